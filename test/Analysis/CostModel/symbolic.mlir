// RUN: acc-opt %s --nn-cost-report -o /dev/null | FileCheck %s

// Dynamic dims become named symbols and every figure an exact polynomial.

// Derived names: B and N from the attention operands' roles.
// Full attention is quadratic in N; causal is quadratic with half the
// constant (N^2/2 + N/2 visible pairs); a static sliding window of 256 makes
// it linear in N (N*256 - 256*255/2 pairs, for N >= 256). The unfused form
// writes and reads the full N x N matrix four times whatever the mask.
// CHECK-LABEL: nn cost report for @attention_scaling
// CHECK:      symbols:
// CHECK-NEXT:   B = %arg0 dim 0 (derived)
// CHECK-NEXT:   N = %arg0 dim 2 (derived)
// CHECK: nn.attention {{.*}} 2088*B*N^2 + 512*B*N 1024*B*N^2 8192*B*N 128*B*N^2 + 8192*B*N 0 linear in B, quadratic in N
// CHECK: nn.attention {{.*}} 1044*B*N^2 + 1556*B*N 512*B*N^2 + 512*B*N 8192*B*N 128*B*N^2 + 8192*B*N 0 linear in B, quadratic in N
// CHECK: nn.attention {{.*}} 535040*B*N - 68152320*B 262144*B*N - 33423360*B 8192*B*N 128*B*N^2 + 8192*B*N 0 linear in B, linear in N
// CHECK: scaling: linear in B, quadratic in N
// CHECK: roofline estimate: symbolic
func.func @attention_scaling(%q: tensor<?x8x?x64xf32>, %k: tensor<?x8x?x64xf32>, %v: tensor<?x8x?x64xf32>) {
  %0 = nn.attention %q, %k, %v : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>) -> tensor<?x8x?x64xf32>
  %1 = nn.attention %q, %k, %v mask(causal) : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>) -> tensor<?x8x?x64xf32>
  %2 = nn.attention %q, %k, %v mask(sliding_window) {window = 256} : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>) -> tensor<?x8x?x64xf32>
  return
}

// Names from the nn.dims argument attribute; Nq != Nk. Cross attention with
// a causal mask: P = T*S - T^2/2 + T/2 visible pairs; MACs = 16*P;
// FLOPs = 2*16*P + 5*P + 8*T. K and V are one tensor, read once:
// bytes = 4 * (8*T + 8*S + 8*T).
// CHECK-LABEL: nn cost report for @named_cross_attention
// CHECK:      symbols:
// CHECK-NEXT:   T = %arg0 dim 2 (named by nn.dims)
// CHECK-NEXT:   S = %arg1 dim 2 (named by nn.dims)
// CHECK: nn.attention {{.*}} 37*T*S - 37*T^2/2 + 53*T/2 16*T*S - 8*T^2 + 8*T 64*T + 32*S 16*T*S + 64*T + 32*S 0 quadratic in T, linear in S
func.func @named_cross_attention(%q: tensor<1x1x?x8xf32> {nn.dims = ["", "", "T", ""]},
                                 %kv: tensor<1x1x?x8xf32> {nn.dims = ["", "", "S", ""]}) {
  %0 = nn.attention %q, %kv, %kv mask(causal) : (tensor<1x1x?x8xf32>, tensor<1x1x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<1x1x?x8xf32>
  return
}

// conv2d is linear in H and in W (linear in H*W): derived names from the
// NCHW layout. A stride of 2 halves each output size: floor((H - 1)/2) + 1,
// which is H/2 when H is even (the symbolic form assumes sizes that are
// multiples of the stride); 16 * H/2 * W/2 outputs per image, 72 MACs each.
// CHECK-LABEL: nn cost report for @conv_scaling
// CHECK:      symbols:
// CHECK-NEXT:   B = %arg0 dim 0 (derived)
// CHECK-NEXT:   H = %arg0 dim 2 (derived)
// CHECK-NEXT:   W = %arg0 dim 3 (derived)
// CHECK: nn.conv2d {{.*}} 576*B*H*W 288*B*H*W {{.*}} linear in B, linear in H, linear in W
// CHECK: scaling: linear in B, linear in H, linear in W
func.func @conv_scaling(%x: tensor<?x8x?x?xf32>, %w: tensor<16x8x3x3xf32>) -> tensor<?x16x?x?xf32> {
  %0 = nn.conv2d %x, %w layout(nchw) {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>}
       : (tensor<?x8x?x?xf32>, tensor<16x8x3x3xf32>) -> tensor<?x16x?x?xf32>
  return %0 : tensor<?x16x?x?xf32>
}

// A hybrid over square images of side S (named once for both dims): the
// convolution part is 4992*S^2 FLOPs, the attention over S^2/16 tokens
// 261*S^4/256 + 4*S^2. Attention overtakes when S^2 > 4988*256/261, i.e.
// from S = 70 (69^2 = 4761 < 4892.3 < 4900). In bytes the convolution part
// is 60*S^2 + 159744 (the weights: 4 * (3072 + 36864)) and the fused
// attention part 128*S^2: from S = 49 (48^2 = 2304 < 2349.2 < 2401).
// CHECK-LABEL: nn cost report for @hybrid_crossover
// CHECK: block "stem" (convolution) {{.*}} 4992*S^2 {{.*}} 60*S^2 + 159744 {{.*}} quadratic in S
// CHECK: block "mixer" (attention) {{.*}} 261*S^4/256 + 4*S^2 {{.*}} degree 4 in S
// CHECK: scaling: degree 4 in S
// CHECK: crossover: attention FLOPs overtake convolution FLOPs at S = 70
// CHECK: crossover: attention bytes overtake convolution bytes at S = 49
// CHECK: receptive field (input pixels) after each op:
// CHECK-NEXT: nn.conv2d {{.*}} 4x4 (stride 4x4)
// CHECK-NEXT: nn.conv2d {{.*}} 12x12 (stride 4x4)
// CHECK-NEXT: nn.attention {{.*}} global
func.func @hybrid_crossover(%x: tensor<1x3x?x?xf32> {nn.dims = ["", "", "S", "S"]},
                            %w1: tensor<64x3x4x4xf32>, %w2: tensor<64x64x3x3xf32>)
    -> tensor<1x?x64xf32> {
  %c = nn.block "stem" kind(convolution) -> tensor<1x64x?x?xf32> {
    %0 = nn.conv2d %x, %w1 layout(nchw) {strides = array<i64: 4, 4>}
         : (tensor<1x3x?x?xf32>, tensor<64x3x4x4xf32>) -> tensor<1x64x?x?xf32>
    %1 = nn.conv2d %0, %w2 layout(nchw) {padding = array<i64: 1, 1, 1, 1>}
         : (tensor<1x64x?x?xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x?x?xf32>
    nn.yield %1 : tensor<1x64x?x?xf32>
  }
  %a = nn.block "mixer" kind(attention) -> tensor<1x?x64xf32> {
    %t = nn.image_to_tokens %c layout(nchw) : tensor<1x64x?x?xf32> -> tensor<1x?x64xf32>
    %h = nn.split_heads %t {num_heads = 1} : tensor<1x?x64xf32> -> tensor<1x1x?x64xf32>
    %o = nn.attention %h, %h, %h : (tensor<1x1x?x64xf32>, tensor<1x1x?x64xf32>, tensor<1x1x?x64xf32>) -> tensor<1x1x?x64xf32>
    %m = nn.merge_heads %o : tensor<1x1x?x64xf32> -> tensor<1x?x64xf32>
    nn.yield %m : tensor<1x?x64xf32>
  }
  return %a : tensor<1x?x64xf32>
}

// With separate H and W the crossover is not one number: say so.
// CHECK-LABEL: nn cost report for @hybrid_two_symbols
// CHECK: crossover: not computed: the difference depends on several symbols (H, W); name them alike with nn.dims to get one
func.func @hybrid_two_symbols(%x: tensor<1x3x?x?xf32>, %w1: tensor<64x3x4x4xf32>) -> tensor<1x?x64xf32> {
  %c = nn.block "stem" kind(convolution) -> tensor<1x64x?x?xf32> {
    %0 = nn.conv2d %x, %w1 layout(nchw) {strides = array<i64: 4, 4>}
         : (tensor<1x3x?x?xf32>, tensor<64x3x4x4xf32>) -> tensor<1x64x?x?xf32>
    nn.yield %0 : tensor<1x64x?x?xf32>
  }
  %a = nn.block "mixer" kind(attention) -> tensor<1x?x64xf32> {
    %t = nn.image_to_tokens %c layout(nchw) : tensor<1x64x?x?xf32> -> tensor<1x?x64xf32>
    %h = nn.split_heads %t {num_heads = 1} : tensor<1x?x64xf32> -> tensor<1x1x?x64xf32>
    %o = nn.attention %h, %h, %h : (tensor<1x1x?x64xf32>, tensor<1x1x?x64xf32>, tensor<1x1x?x64xf32>) -> tensor<1x1x?x64xf32>
    %m = nn.merge_heads %o : tensor<1x1x?x64xf32> -> tensor<1x?x64xf32>
    nn.yield %m : tensor<1x?x64xf32>
  }
  return %a : tensor<1x?x64xf32>
}

// A block kind is what the author says it is: here an MLP is called the
// "convolution" part (1048576*N FLOPs) and a sliding-window attention the
// attention part (4240*N - 31320 for N >= 16): attention never catches up.
// CHECK-LABEL: nn cost report for @hybrid_never
// CHECK: block "mlp" (convolution) {{.*}} 1048576*N {{.*}} linear in N
// CHECK: block "local" (attention) {{.*}} 4240*N - 31320 {{.*}} linear in N
// CHECK: crossover: attention FLOPs never overtake convolution FLOPs (N >= 1)
func.func @hybrid_never(%x: tensor<1x?x64xf32>, %w1: tensor<4096x64xf32>, %w2: tensor<64x4096xf32>)
    -> tensor<1x?x64xf32> {
  %m = nn.block "mlp" kind(convolution) -> tensor<1x?x64xf32> {
    %0 = nn.linear %x, %w1 : (tensor<1x?x64xf32>, tensor<4096x64xf32>) -> tensor<1x?x4096xf32>
    %1 = nn.linear %0, %w2 : (tensor<1x?x4096xf32>, tensor<64x4096xf32>) -> tensor<1x?x64xf32>
    nn.yield %1 : tensor<1x?x64xf32>
  }
  %a = nn.block "local" kind(attention) -> tensor<1x?x64xf32> {
    %h = nn.split_heads %m {num_heads = 1} : tensor<1x?x64xf32> -> tensor<1x1x?x64xf32>
    %o = nn.attention %h, %h, %h mask(sliding_window) {window = 16}
         : (tensor<1x1x?x64xf32>, tensor<1x1x?x64xf32>, tensor<1x1x?x64xf32>) -> tensor<1x1x?x64xf32>
    %r = nn.merge_heads %o : tensor<1x1x?x64xf32> -> tensor<1x?x64xf32>
    nn.yield %r : tensor<1x?x64xf32>
  }
  return %a : tensor<1x?x64xf32>
}
