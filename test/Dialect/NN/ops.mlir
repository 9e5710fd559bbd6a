// RUN: acc-opt %s | acc-opt | FileCheck %s
// RUN: acc-opt %s --mlir-print-op-generic | acc-opt | FileCheck %s

// Round-trips every nn op and every attribute form, with static and dynamic
// shapes.

// CHECK-LABEL: func.func @conv2d_nchw
func.func @conv2d_nchw(%x: tensor<1x3x224x224xf32>, %w: tensor<64x3x7x7xf32>,
                       %b: tensor<64xf32>) -> tensor<1x64x112x112xf32> {
  // CHECK: nn.conv2d %{{.*}}, %{{.*}} bias(%{{.*}}) layout(nchw) {padding = array<i64: 3, 3, 3, 3>, strides = array<i64: 2, 2>}
  // CHECK-SAME: (tensor<1x3x224x224xf32>, tensor<64x3x7x7xf32>, tensor<64xf32>) -> tensor<1x64x112x112xf32>
  %y = nn.conv2d %x, %w bias(%b) layout(nchw)
         {strides = array<i64: 2, 2>, padding = array<i64: 3, 3, 3, 3>}
       : (tensor<1x3x224x224xf32>, tensor<64x3x7x7xf32>, tensor<64xf32>)
         -> tensor<1x64x112x112xf32>
  return %y : tensor<1x64x112x112xf32>
}

// CHECK-LABEL: func.func @conv2d_nhwc_dynamic
func.func @conv2d_nhwc_dynamic(%x: tensor<?x?x?x32xf32>, %w: tensor<3x3x32x64xf32>)
    -> tensor<?x?x?x64xf32> {
  // CHECK: nn.conv2d %{{.*}}, %{{.*}} layout(nhwc) {dilations = array<i64: 2, 2>, padding = array<i64: 2, 2, 2, 2>}
  // CHECK-SAME: (tensor<?x?x?x32xf32>, tensor<3x3x32x64xf32>) -> tensor<?x?x?x64xf32>
  %y = nn.conv2d %x, %w layout(nhwc)
         {dilations = array<i64: 2, 2>, padding = array<i64: 2, 2, 2, 2>}
       : (tensor<?x?x?x32xf32>, tensor<3x3x32x64xf32>) -> tensor<?x?x?x64xf32>
  return %y : tensor<?x?x?x64xf32>
}

// CHECK-LABEL: func.func @conv2d_depthwise_grouped
func.func @conv2d_depthwise_grouped(%x: tensor<1x96x56x56xf32>, %w: tensor<96x1x7x7xf32>,
                                    %x2: tensor<2x17x9x8xf16>, %w2: tensor<1x3x4x6xf16>)
    -> (tensor<1x96x56x56xf32>, tensor<2x9x4x6xf16>) {
  // CHECK: nn.conv2d {{.*}} layout(nchw) {groups = 96 : i64, padding = array<i64: 3, 3, 3, 3>}
  %y = nn.conv2d %x, %w layout(nchw) {groups = 96, padding = array<i64: 3, 3, 3, 3>}
       : (tensor<1x96x56x56xf32>, tensor<96x1x7x7xf32>) -> tensor<1x96x56x56xf32>
  // Grouped, strided, asymmetric padding, f16, odd sizes.
  // CHECK: nn.conv2d {{.*}} layout(nhwc) {groups = 2 : i64, padding = array<i64: 0, 1, 1, 0>, strides = array<i64: 2, 2>}
  %z = nn.conv2d %x2, %w2 layout(nhwc)
         {groups = 2, strides = array<i64: 2, 2>, padding = array<i64: 0, 1, 1, 0>}
       : (tensor<2x17x9x8xf16>, tensor<1x3x4x6xf16>) -> tensor<2x9x4x6xf16>
  return %y, %z : tensor<1x96x56x56xf32>, tensor<2x9x4x6xf16>
}

// CHECK-LABEL: func.func @attention_forms
func.func @attention_forms(%q: tensor<1x8x?x64xf32>, %k: tensor<1x2x?x64xf32>,
                           %v: tensor<1x2x?x32xf32>, %m: tensor<?x?xf32>,
                           %qb: tensor<2x4x5x16xbf16>, %kb: tensor<2x4x7x16xbf16>,
                           %vb: tensor<2x4x7x16xbf16>) {
  // CHECK: nn.attention %{{.*}}, %{{.*}}, %{{.*}} : (tensor<1x8x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x32xf32>) -> tensor<1x8x?x32xf32>
  %0 = nn.attention %q, %k, %v
       : (tensor<1x8x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x32xf32>) -> tensor<1x8x?x32xf32>
  // CHECK: nn.attention {{.*}} mask(causal) : (
  %1 = nn.attention %q, %k, %v mask(causal)
       : (tensor<1x8x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x32xf32>) -> tensor<1x8x?x32xf32>
  // CHECK: nn.attention {{.*}} mask(sliding_window) {window = 256 : i64} : (
  %2 = nn.attention %q, %k, %v mask(sliding_window) {window = 256}
       : (tensor<1x8x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x32xf32>) -> tensor<1x8x?x32xf32>
  // CHECK: nn.attention {{.*}} additive_mask(%{{.*}}) mask(causal) {scale = 1.250000e-01 : f32} : (
  %3 = nn.attention %q, %k, %v additive_mask(%m) mask(causal) {scale = 0.125 : f32}
       : (tensor<1x8x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x32xf32>, tensor<?x?xf32>)
         -> tensor<1x8x?x32xf32>
  // Nq != Nk, bf16, explicit mask(none) prints as the default.
  // CHECK: nn.attention %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x4x5x16xbf16>
  %4 = nn.attention %qb, %kb, %vb mask(none)
       : (tensor<2x4x5x16xbf16>, tensor<2x4x7x16xbf16>, tensor<2x4x7x16xbf16>) -> tensor<2x4x5x16xbf16>
  return
}

// CHECK-LABEL: func.func @contractions
func.func @contractions(%x: tensor<1x?x768xf32>, %w: tensor<3072x768xf32>,
                        %b: tensor<3072xf32>, %a: tensor<8x?x64xf32>,
                        %c: tensor<64x?xf32>) -> (tensor<1x?x3072xf32>, tensor<1x?x3072xf32>, tensor<8x?x?xf32>) {
  // CHECK: nn.linear %{{.*}}, %{{.*}} bias(%{{.*}}) : (tensor<1x?x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>) -> tensor<1x?x3072xf32>
  %0 = nn.linear %x, %w bias(%b)
       : (tensor<1x?x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>) -> tensor<1x?x3072xf32>
  // CHECK: nn.linear %{{.*}}, %{{.*}} : (tensor<1x?x768xf32>, tensor<3072x768xf32>) -> tensor<1x?x3072xf32>
  %1 = nn.linear %x, %w : (tensor<1x?x768xf32>, tensor<3072x768xf32>) -> tensor<1x?x3072xf32>
  // CHECK: nn.matmul %{{.*}}, %{{.*}} : (tensor<8x?x64xf32>, tensor<64x?xf32>) -> tensor<8x?x?xf32>
  %2 = nn.matmul %a, %c : (tensor<8x?x64xf32>, tensor<64x?xf32>) -> tensor<8x?x?xf32>
  return %0, %1, %2 : tensor<1x?x3072xf32>, tensor<1x?x3072xf32>, tensor<8x?x?xf32>
}

// CHECK-LABEL: func.func @norms
func.func @norms(%x: tensor<1x?x768xf32>, %g: tensor<768xf32>, %b: tensor<768xf32>,
                 %g2: tensor<?x768xf32>, %i: tensor<?x64x56x56xf32>,
                 %c: tensor<64xf32>, %j: tensor<2x5x5x3xf16>, %h: tensor<3xf16>) {
  // CHECK: nn.layer_norm %{{.*}} weight(%{{.*}}) bias(%{{.*}}) {epsilon = 9.99999997E-7 : f32}
  %0 = nn.layer_norm %x weight(%g) bias(%b) {epsilon = 1.0e-06 : f32}
       : (tensor<1x?x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<1x?x768xf32>
  // CHECK: nn.layer_norm %{{.*}} : (tensor<1x?x768xf32>) -> tensor<1x?x768xf32>
  %1 = nn.layer_norm %x : (tensor<1x?x768xf32>) -> tensor<1x?x768xf32>
  // CHECK: nn.layer_norm %{{.*}} weight(%{{.*}}) {axis = 1 : i64}
  %2 = nn.layer_norm %x weight(%g2) {axis = 1}
       : (tensor<1x?x768xf32>, tensor<?x768xf32>) -> tensor<1x?x768xf32>
  // CHECK: nn.batch_norm {{.*}} layout(nchw) : (tensor<?x64x56x56xf32>
  %3 = nn.batch_norm %i, %c, %c, %c, %c layout(nchw)
       : (tensor<?x64x56x56xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>)
         -> tensor<?x64x56x56xf32>
  // CHECK: nn.batch_norm {{.*}} layout(nhwc) {epsilon = 1.000000e-03 : f32}
  %4 = nn.batch_norm %j, %h, %h, %h, %h layout(nhwc) {epsilon = 1.0e-3 : f32}
       : (tensor<2x5x5x3xf16>, tensor<3xf16>, tensor<3xf16>, tensor<3xf16>, tensor<3xf16>)
         -> tensor<2x5x5x3xf16>
  // CHECK: nn.softmax %{{.*}} : tensor<1x?x768xf32>
  %5 = nn.softmax %x : tensor<1x?x768xf32>
  // CHECK: nn.softmax %{{.*}} {axis = 1 : i64} : tensor<1x?x768xf32>
  %6 = nn.softmax %x {axis = 1} : tensor<1x?x768xf32>
  return
}

// CHECK-LABEL: func.func @activations
func.func @activations(%x: tensor<?x7xf32>, %h: tensor<3xbf16>) {
  // CHECK: nn.relu %{{.*}} : tensor<?x7xf32>
  %0 = nn.relu %x : tensor<?x7xf32>
  // CHECK: nn.gelu %{{.*}} : tensor<?x7xf32>
  %1 = nn.gelu %x : tensor<?x7xf32>
  // CHECK: nn.gelu %{{.*}} approximate(tanh) : tensor<?x7xf32>
  %2 = nn.gelu %x approximate(tanh) : tensor<?x7xf32>
  // CHECK: nn.silu %{{.*}} : tensor<?x7xf32>
  %3 = nn.silu %x : tensor<?x7xf32>
  // CHECK: nn.sigmoid %{{.*}} : tensor<3xbf16>
  %4 = nn.sigmoid %h : tensor<3xbf16>
  // CHECK: nn.hardswish %{{.*}} : tensor<?x7xf32>
  %5 = nn.hardswish %x : tensor<?x7xf32>
  // CHECK: nn.hardsigmoid %{{.*}} : tensor<?x7xf32>
  %6 = nn.hardsigmoid %x : tensor<?x7xf32>
  // The default beta is elided.
  // CHECK: nn.hardsigmoid %{{.*}} {alpha = 2.000000e-01 : f32} : tensor<?x7xf32>
  %7 = nn.hardsigmoid %x {alpha = 0.2 : f32, beta = 0.5 : f32} : tensor<?x7xf32>
  // ReLU6, and a clamp with one bound.
  // CHECK: nn.clamp %{{.*}} {max = 6.000000e+00 : f32, min = 0.000000e+00 : f32} : tensor<?x7xf32>
  %8 = nn.clamp %x {min = 0.0 : f32, max = 6.0 : f32} : tensor<?x7xf32>
  // CHECK: nn.clamp %{{.*}} {min = -1.000000e+00 : f32} : tensor<3xbf16>
  %9 = nn.clamp %h {min = -1.0 : f32} : tensor<3xbf16>
  return
}

// CHECK-LABEL: func.func @binary
func.func @binary(%x: tensor<1x?x768xf32>, %b: tensor<768xf32>, %s: tensor<?x1x1xf32>,
                  %t: tensor<4x1xf32>, %u: tensor<3xf32>) {
  // CHECK: nn.add %{{.*}}, %{{.*}} : (tensor<1x?x768xf32>, tensor<768xf32>) -> tensor<1x?x768xf32>
  %0 = nn.add %x, %b : (tensor<1x?x768xf32>, tensor<768xf32>) -> tensor<1x?x768xf32>
  // CHECK: nn.sub %{{.*}}, %{{.*}} : (tensor<1x?x768xf32>, tensor<?x1x1xf32>) -> tensor<?x?x768xf32>
  %1 = nn.sub %x, %s : (tensor<1x?x768xf32>, tensor<?x1x1xf32>) -> tensor<?x?x768xf32>
  // CHECK: nn.mul %{{.*}}, %{{.*}} : (tensor<4x1xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %2 = nn.mul %t, %u : (tensor<4x1xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  // CHECK: nn.div %{{.*}}, %{{.*}} : (tensor<3xf32>, tensor<4x1xf32>) -> tensor<4x3xf32>
  %3 = nn.div %u, %t : (tensor<3xf32>, tensor<4x1xf32>) -> tensor<4x3xf32>
  return
}

// CHECK-LABEL: func.func @pooling
func.func @pooling(%x: tensor<1x64x112x112xf32>, %y: tensor<?x?x?x64xf32>,
                   %z: tensor<1x3x6x6xf32>) {
  // CHECK: nn.max_pool2d %{{.*}} layout(nchw) {kernel_size = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : tensor<1x64x112x112xf32> -> tensor<1x64x56x56xf32>
  %0 = nn.max_pool2d %x layout(nchw)
         {kernel_size = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>}
       : tensor<1x64x112x112xf32> -> tensor<1x64x56x56xf32>
  // CHECK: nn.avg_pool2d %{{.*}} layout(nhwc) {count_include_pad = true, kernel_size = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : tensor<?x?x?x64xf32> -> tensor<?x?x?x64xf32>
  %1 = nn.avg_pool2d %y layout(nhwc)
         {kernel_size = array<i64: 2, 2>, strides = array<i64: 2, 2>,
          padding = array<i64: 1, 1, 1, 1>, count_include_pad = true}
       : tensor<?x?x?x64xf32> -> tensor<?x?x?x64xf32>
  // ceil_mode: 6 with kernel 3 and stride 2 gives 3 windows instead of 2.
  // CHECK: nn.max_pool2d %{{.*}} layout(nchw) {ceil_mode = true, kernel_size = array<i64: 3, 3>, strides = array<i64: 2, 2>} : tensor<1x3x6x6xf32> -> tensor<1x3x3x3xf32>
  %2 = nn.max_pool2d %z layout(nchw)
         {kernel_size = array<i64: 3, 3>, strides = array<i64: 2, 2>, ceil_mode = true}
       : tensor<1x3x6x6xf32> -> tensor<1x3x3x3xf32>
  // CHECK: nn.global_avg_pool2d %{{.*}} layout(nchw) : tensor<1x64x112x112xf32> -> tensor<1x64x1x1xf32>
  %3 = nn.global_avg_pool2d %x layout(nchw) : tensor<1x64x112x112xf32> -> tensor<1x64x1x1xf32>
  // CHECK: nn.global_avg_pool2d %{{.*}} layout(nhwc) : tensor<?x?x?x64xf32> -> tensor<?x1x1x64xf32>
  %4 = nn.global_avg_pool2d %y layout(nhwc) : tensor<?x?x?x64xf32> -> tensor<?x1x1x64xf32>
  return
}

// CHECK-LABEL: func.func @reshapes
func.func @reshapes(%img: tensor<1x768x14x14xf32>, %nhwc: tensor<?x?x?x96xf32>,
                    %tok: tensor<?x196x768xf32>, %x: tensor<1x3x224x224xf32>,
                    %pw: tensor<768x3x16x16xf32>, %pb: tensor<768xf32>,
                    %sw: tensor<1x56x56x96xf32>, %win: tensor<64x49x96xf32>,
                    %seq: tensor<1x?x768xf32>, %heads: tensor<1x12x?x64xf32>) {
  // CHECK: nn.image_to_tokens %{{.*}} layout(nchw) : tensor<1x768x14x14xf32> -> tensor<1x196x768xf32>
  %0 = nn.image_to_tokens %img layout(nchw) : tensor<1x768x14x14xf32> -> tensor<1x196x768xf32>
  // CHECK: nn.image_to_tokens %{{.*}} layout(nhwc) : tensor<?x?x?x96xf32> -> tensor<?x?x96xf32>
  %1 = nn.image_to_tokens %nhwc layout(nhwc) : tensor<?x?x?x96xf32> -> tensor<?x?x96xf32>
  // CHECK: nn.tokens_to_image %{{.*}} layout(nchw) {height = 14 : i64, width = 14 : i64} : tensor<?x196x768xf32> -> tensor<?x768x14x14xf32>
  %2 = nn.tokens_to_image %tok layout(nchw) {height = 14, width = 14}
       : tensor<?x196x768xf32> -> tensor<?x768x14x14xf32>
  // CHECK: nn.tokens_to_image %{{.*}} layout(nhwc) {height = 7 : i64, width = 28 : i64} : tensor<?x196x768xf32> -> tensor<?x7x28x768xf32>
  %3 = nn.tokens_to_image %tok layout(nhwc) {height = 7, width = 28}
       : tensor<?x196x768xf32> -> tensor<?x7x28x768xf32>
  // CHECK: nn.patch_embed %{{.*}}, %{{.*}} bias(%{{.*}}) layout(nchw) : (tensor<1x3x224x224xf32>, tensor<768x3x16x16xf32>, tensor<768xf32>) -> tensor<1x196x768xf32>
  %4 = nn.patch_embed %x, %pw bias(%pb) layout(nchw)
       : (tensor<1x3x224x224xf32>, tensor<768x3x16x16xf32>, tensor<768xf32>) -> tensor<1x196x768xf32>
  // CHECK: nn.window_partition %{{.*}} {window_size = array<i64: 7, 7>} : tensor<1x56x56x96xf32> -> tensor<64x49x96xf32>
  %5 = nn.window_partition %sw {window_size = array<i64: 7, 7>}
       : tensor<1x56x56x96xf32> -> tensor<64x49x96xf32>
  // CHECK: nn.window_partition %{{.*}} {window_size = array<i64: 7, 7>} : tensor<?x?x?x96xf32> -> tensor<?x49x96xf32>
  %6 = nn.window_partition %nhwc {window_size = array<i64: 7, 7>}
       : tensor<?x?x?x96xf32> -> tensor<?x49x96xf32>
  // CHECK: nn.window_merge %{{.*}} {height = 56 : i64, width = 56 : i64, window_size = array<i64: 7, 7>} : tensor<64x49x96xf32> -> tensor<1x56x56x96xf32>
  %7 = nn.window_merge %win {window_size = array<i64: 7, 7>, height = 56, width = 56}
       : tensor<64x49x96xf32> -> tensor<1x56x56x96xf32>
  // CHECK: nn.split_heads %{{.*}} {num_heads = 12 : i64} : tensor<1x?x768xf32> -> tensor<1x12x?x64xf32>
  %8 = nn.split_heads %seq {num_heads = 12} : tensor<1x?x768xf32> -> tensor<1x12x?x64xf32>
  // CHECK: nn.merge_heads %{{.*}} : tensor<1x12x?x64xf32> -> tensor<1x?x768xf32>
  %9 = nn.merge_heads %heads : tensor<1x12x?x64xf32> -> tensor<1x?x768xf32>
  return
}

// CHECK-LABEL: func.func @blocks
func.func @blocks(%x: tensor<1x64x56x56xf32>, %w: tensor<64x64x3x3xf32>)
    -> tensor<1x64x56x56xf32> {
  // CHECK: %[[OUT:.+]] = nn.block "hybrid0" kind(hybrid) -> tensor<1x64x56x56xf32> {
  // CHECK:   %[[IN:.+]] = nn.block "stem" kind(convolution) -> tensor<1x64x56x56xf32> {
  // CHECK:     %[[C:.+]] = nn.conv2d
  // CHECK:     nn.yield %[[C]] : tensor<1x64x56x56xf32>
  // An empty nn.yield is implicit.
  // CHECK:   nn.block "tail" kind(attention) {
  // CHECK-NEXT: }
  // CHECK:   nn.yield %[[IN]] : tensor<1x64x56x56xf32>
  // CHECK: return %[[OUT]]
  %0 = nn.block "hybrid0" kind(hybrid) -> tensor<1x64x56x56xf32> {
    %1 = nn.block "stem" kind(convolution) -> tensor<1x64x56x56xf32> {
      %c = nn.conv2d %x, %w layout(nchw) {padding = array<i64: 1, 1, 1, 1>}
           : (tensor<1x64x56x56xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x56x56xf32>
      nn.yield %c : tensor<1x64x56x56xf32>
    }
    nn.block "tail" kind(attention) {
      nn.yield
    }
    nn.yield %1 : tensor<1x64x56x56xf32>
  }
  return %0 : tensor<1x64x56x56xf32>
}
