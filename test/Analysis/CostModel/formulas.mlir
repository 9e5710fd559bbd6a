// RUN: acc-opt %s --nn-cost-report -o /dev/null | FileCheck %s

// Exact figures of every op kind, computed by hand in the comments.
// Columns: FLOPs, MACs, bytes, bytes unfused, params, scaling.

// Grouped conv: stride 2, dilation [2, 1], padding [1, 0, 0, 1], bias.
// OH = (9 + 1 + 0 - 5) / 2 + 1 = 3, OW = (9 + 0 + 1 - 3) / 2 + 1 = 4.
// MACs = 2*4*3*4 outputs * (C/g = 3) * 3 * 3 = 96 * 27 = 2592.
// FLOPs = 2 * 2592 + 96 (bias) = 5280.
// bytes = 4 * (972 + 108 + 4 + 96) = 4720; params = 108 + 4.
// CHECK-LABEL: nn cost report for @conv_grouped
// CHECK: nn.conv2d {{.*}} 5280 2592 4720 4720 112 constant
// CHECK: receptive field (input pixels) after each op:
// CHECK-NEXT: nn.conv2d {{.*}} 5x3 (stride 2x2)
func.func @conv_grouped(%x: tensor<2x6x9x9xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>)
    -> tensor<2x4x3x4xf32> {
  %0 = nn.conv2d %x, %w bias(%b) layout(nchw)
         {groups = 2, strides = array<i64: 2, 2>, dilations = array<i64: 2, 1>,
          padding = array<i64: 1, 0, 0, 1>}
       : (tensor<2x6x9x9xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<2x4x3x4xf32>
  return %0 : tensor<2x4x3x4xf32>
}

// Depthwise NHWC 3x3, 5 channels: 245 outputs * 9 = 2205 MACs.
// bytes = 4 * (245 + 45 + 245) = 2140.
// A second 3x3 conv widens the receptive field to 5x5.
// CHECK-LABEL: nn cost report for @conv_depthwise_nhwc
// CHECK: nn.conv2d {{.*}} 4410 2205 2140 2140 45 constant
// CHECK: nn.conv2d {{.*}} 4410 2205 2140 2140 45 constant
// CHECK: receptive field
// CHECK-NEXT: nn.conv2d {{.*}} 3x3 (stride 1x1)
// CHECK-NEXT: nn.conv2d {{.*}} 5x5 (stride 1x1)
func.func @conv_depthwise_nhwc(%x: tensor<1x7x7x5xf32>, %w: tensor<3x3x1x5xf32>)
    -> tensor<1x7x7x5xf32> {
  %0 = nn.conv2d %x, %w layout(nhwc) {groups = 5, padding = array<i64: 1, 1, 1, 1>}
       : (tensor<1x7x7x5xf32>, tensor<3x3x1x5xf32>) -> tensor<1x7x7x5xf32>
  %1 = nn.conv2d %0, %w layout(nhwc) {groups = 5, padding = array<i64: 1, 1, 1, 1>}
       : (tensor<1x7x7x5xf32>, tensor<3x3x1x5xf32>) -> tensor<1x7x7x5xf32>
  return %1 : tensor<1x7x7x5xf32>
}

// f16: 2 bytes per element. 128 outputs * 3 = 384 MACs;
// bytes = 2 * (192 + 6 + 128) = 652.
// CHECK-LABEL: nn cost report for @conv_f16
// CHECK: nn.conv2d {{.*}} 768 384 652 652 6 constant
func.func @conv_f16(%x: tensor<1x3x8x8xf16>, %w: tensor<2x3x1x1xf16>) -> tensor<1x2x8x8xf16> {
  %0 = nn.conv2d %x, %w layout(nchw) : (tensor<1x3x8x8xf16>, tensor<2x3x1x1xf16>) -> tensor<1x2x8x8xf16>
  return %0 : tensor<1x2x8x8xf16>
}

// Attention, B = 2, Hq = 4, Hkv = 2 (grouped), Nq = 3, Nk = 5, D = 8, Dv = 6.
// Each line: pairs = B * Hq * visible; MACs = pairs * (D + Dv);
// FLOPs = 2 * MACs + 5 * pairs + B*Hq*Nq*Dv (= 144, normalisation).
// bytes = 4 * (192 + 160 + 120 + 144) = 2464; unfused adds 4 * 4 * 120.
//   none:   visible 15 -> pairs 120, MACs 1680, FLOPs 3360 + 600 + 144
//   causal: query i sits at i + 2 and sees 3, 4, 5 keys -> 12 -> pairs 96
//   window 2: 2 + 2 + 2 -> pairs 48
// CHECK-LABEL: nn cost report for @attention_masks
// CHECK: nn.attention {{.*}} 4104 1680 2464 4384 0 constant
// CHECK: nn.attention {{.*}} 3312 1344 2464 4384 0 constant
// CHECK: nn.attention {{.*}} 1728 672 2464 4384 0 constant
// No image comes in, so there is no receptive field to report.
// CHECK-NOT: receptive field
// CHECK-LABEL: nn cost report for @attention_self
func.func @attention_masks(%q: tensor<2x4x3x8xf32>, %k: tensor<2x2x5x8xf32>, %v: tensor<2x2x5x6xf32>)
    -> (tensor<2x4x3x6xf32>, tensor<2x4x3x6xf32>, tensor<2x4x3x6xf32>) {
  %0 = nn.attention %q, %k, %v : (tensor<2x4x3x8xf32>, tensor<2x2x5x8xf32>, tensor<2x2x5x6xf32>) -> tensor<2x4x3x6xf32>
  %1 = nn.attention %q, %k, %v mask(causal) : (tensor<2x4x3x8xf32>, tensor<2x2x5x8xf32>, tensor<2x2x5x6xf32>) -> tensor<2x4x3x6xf32>
  %2 = nn.attention %q, %k, %v mask(sliding_window) {window = 2} : (tensor<2x4x3x8xf32>, tensor<2x2x5x8xf32>, tensor<2x2x5x6xf32>) -> tensor<2x4x3x6xf32>
  return %0, %1, %2 : tensor<2x4x3x6xf32>, tensor<2x4x3x6xf32>, tensor<2x4x3x6xf32>
}

// Self-attention N = 5, D = 8, one head.
//   window 4: 1 + 2 + 3 + 4 + 4 = 14 pairs; MACs 224; FLOPs 448 + 70 + 40.
//   additive mask: 25 pairs; MACs 400; FLOPs 800 + 6 * 25 + 40 = 990;
//     bytes 4 * (40 * 4 + 25) = 740, unfused + 16 * 25.
// Causal with Nq = 4 > Nk = 2: queries at -2, -1, 0, 1 see 0, 0, 1, 2 keys;
//   3 pairs, MACs 48, FLOPs 96 + 15 + 32; bytes 4 * (32 + 16 + 16 + 32).
// CHECK: nn.attention {{.*}} 558 224 640 1040 0 constant
// CHECK: nn.attention {{.*}} 990 400 740 1140 0 constant
// CHECK: nn.attention {{.*}} 143 48 384 512 0 constant
func.func @attention_self(%q: tensor<1x1x5x8xf32>, %k: tensor<1x1x5x8xf32>, %v: tensor<1x1x5x8xf32>,
                          %m: tensor<5x5xf32>, %q4: tensor<1x1x4x8xf32>, %k2: tensor<1x1x2x8xf32>,
                          %v2: tensor<1x1x2x8xf32>) {
  %0 = nn.attention %q, %k, %v mask(sliding_window) {window = 4} : (tensor<1x1x5x8xf32>, tensor<1x1x5x8xf32>, tensor<1x1x5x8xf32>) -> tensor<1x1x5x8xf32>
  %1 = nn.attention %q, %k, %v additive_mask(%m) : (tensor<1x1x5x8xf32>, tensor<1x1x5x8xf32>, tensor<1x1x5x8xf32>, tensor<5x5xf32>) -> tensor<1x1x5x8xf32>
  %2 = nn.attention %q4, %k2, %v2 mask(causal) : (tensor<1x1x4x8xf32>, tensor<1x1x2x8xf32>, tensor<1x1x2x8xf32>) -> tensor<1x1x4x8xf32>
  return
}

// linear: 42 outputs * K = 5 -> 210 MACs, FLOPs 420 + 42 (bias);
//   bytes 4 * (30 + 35 + 7 + 42) = 456, params 42.
// matmul with a broadcast batch: 30 outputs * K = 4 -> 120 MACs;
//   bytes 4 * (24 + 20 + 30) = 296.
// CHECK-LABEL: nn cost report for @contractions
// CHECK: nn.linear {{.*}} 462 210 456 456 42 constant
// CHECK: nn.matmul {{.*}} 240 120 296 296 0 constant
func.func @contractions(%x: tensor<2x3x5xf32>, %w: tensor<7x5xf32>, %b: tensor<7xf32>,
                        %a: tensor<3x2x4xf32>, %c: tensor<4x5xf32>) {
  %0 = nn.linear %x, %w bias(%b) : (tensor<2x3x5xf32>, tensor<7x5xf32>, tensor<7xf32>) -> tensor<2x3x7xf32>
  %1 = nn.matmul %a, %c : (tensor<3x2x4xf32>, tensor<4x5xf32>) -> tensor<3x2x5xf32>
  return
}

// layer_norm: 5 FLOPs per element, +1 each for weight and bias (24 elements).
// batch_norm: 2 per element (scale and shift); the one tensor passed as all
// four parameters is read once and counted once: bytes 4 * (16 + 4 + 16).
// softmax: 5 per element.
// CHECK-LABEL: nn cost report for @norms
// CHECK: nn.layer_norm {{.*}} 168 0 224 224 8 constant
// CHECK: nn.layer_norm {{.*}} 120 0 192 192 0 constant
// CHECK: nn.batch_norm {{.*}} 32 0 144 144 4 constant
// CHECK: nn.softmax {{.*}} 120 0 192 192 0 constant
// CHECK: total 440 0 752 752 12 constant
func.func @norms(%x: tensor<2x3x4xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>,
                 %i: tensor<1x4x2x2xf32>, %p: tensor<4xf32>) {
  %0 = nn.layer_norm %x weight(%g) bias(%b) : (tensor<2x3x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  %1 = nn.layer_norm %x : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %2 = nn.batch_norm %i, %p, %p, %p, %p layout(nchw)
       : (tensor<1x4x2x2xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x2x2xf32>
  %3 = nn.softmax %x : tensor<2x3x4xf32>
  return
}

// Per element: relu 1, gelu 5 (tanh: 9), silu 5, sigmoid 4, hardswish 5,
// hardsigmoid 4; binary ops 1 per output element (with broadcasting).
// CHECK-LABEL: nn cost report for @elementwise
// CHECK: nn.relu {{.*}} 10 0 80 80 0 constant
// CHECK: nn.gelu {{.*}} 50 0 80 80 0 constant
// CHECK: nn.gelu {{.*}} 90 0 80 80 0 constant
// CHECK: nn.silu {{.*}} 50 0 80 80 0 constant
// CHECK: nn.sigmoid {{.*}} 40 0 80 80 0 constant
// CHECK: nn.hardswish {{.*}} 50 0 80 80 0 constant
// CHECK: nn.hardsigmoid {{.*}} 40 0 80 80 0 constant
// CHECK: nn.add {{.*}} 6 0 60 60 0 constant
// CHECK: nn.div {{.*}} 6 0 60 60 0 constant
func.func @elementwise(%x: tensor<10xf32>, %a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  %0 = nn.relu %x : tensor<10xf32>
  %1 = nn.gelu %x : tensor<10xf32>
  %2 = nn.gelu %x approximate(tanh) : tensor<10xf32>
  %3 = nn.silu %x : tensor<10xf32>
  %4 = nn.sigmoid %x : tensor<10xf32>
  %5 = nn.hardswish %x : tensor<10xf32>
  %6 = nn.hardsigmoid %x : tensor<10xf32>
  %7 = nn.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %8 = nn.div %b, %a : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// max pool 3x3/2 pad 1 on 6x6: 3x3 outputs per channel, 18 * 9 = 162;
// the avg pool after it (3x3 -> 2x2) adds a division per output: 8 * 10;
// global average: 72 additions + 2 divisions.
// CHECK-LABEL: nn cost report for @pooling
// CHECK: nn.max_pool2d {{.*}} 162 0 360 360 0 constant
// CHECK: nn.avg_pool2d {{.*}} 80 0 104 104 0 constant
// CHECK: nn.global_avg_pool2d {{.*}} 74 0 296 296 0 constant
// CHECK: receptive field
// CHECK-NEXT: nn.max_pool2d {{.*}} 3x3 (stride 2x2)
// CHECK-NEXT: nn.avg_pool2d {{.*}} 7x7 (stride 4x4)
// CHECK-NEXT: nn.global_avg_pool2d {{.*}} global
func.func @pooling(%x: tensor<1x2x6x6xf32>) {
  %0 = nn.max_pool2d %x layout(nchw) {kernel_size = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>}
       : tensor<1x2x6x6xf32> -> tensor<1x2x3x3xf32>
  %1 = nn.avg_pool2d %0 layout(nchw) {kernel_size = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>}
       : tensor<1x2x3x3xf32> -> tensor<1x2x2x2xf32>
  %2 = nn.global_avg_pool2d %x layout(nchw) : tensor<1x2x6x6xf32> -> tensor<1x2x1x1xf32>
  return
}

// patch_embed 4x4 patches of an 8x8x3 image to 5 channels: 4 tokens * 5
// outputs * 48 = 960 MACs, + 20 bias adds; bytes 4 * (192 + 240 + 5 + 20).
// Reshapes cost no FLOPs and move their input and output.
// CHECK-LABEL: nn cost report for @reshapes
// CHECK: nn.patch_embed {{.*}} 1940 960 1828 1828 245 constant
// CHECK: nn.split_heads {{.*}} 0 0 160 160 0 constant
// CHECK: nn.merge_heads {{.*}} 0 0 160 160 0 constant
func.func @reshapes(%x: tensor<1x3x8x8xf32>, %w: tensor<5x3x4x4xf32>, %b: tensor<5xf32>,
                    %t: tensor<1x5x4xf32>) {
  %0 = nn.patch_embed %x, %w bias(%b) layout(nchw) : (tensor<1x3x8x8xf32>, tensor<5x3x4x4xf32>, tensor<5xf32>) -> tensor<1x4x5xf32>
  %1 = nn.split_heads %t {num_heads = 2} : tensor<1x5x4xf32> -> tensor<1x2x5x2xf32>
  %2 = nn.merge_heads %1 : tensor<1x2x5x2xf32> -> tensor<1x5x4xf32>
  return
}
