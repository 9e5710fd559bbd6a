// RUN: acc-opt %s -canonicalize -split-input-file | FileCheck %s

// Identity reshape pairs fold away.

// CHECK-LABEL: func.func @heads_roundtrip
// CHECK-SAME: (%[[X:.+]]: tensor<1x?x768xf32>, %[[H:.+]]: tensor<1x12x?x64xf32>)
// CHECK-NOT: nn.split_heads
// CHECK-NOT: nn.merge_heads
// CHECK: return %[[X]], %[[H]]
func.func @heads_roundtrip(%x: tensor<1x?x768xf32>, %h: tensor<1x12x?x64xf32>)
    -> (tensor<1x?x768xf32>, tensor<1x12x?x64xf32>) {
  %0 = nn.split_heads %x {num_heads = 12} : tensor<1x?x768xf32> -> tensor<1x12x?x64xf32>
  %1 = nn.merge_heads %0 : tensor<1x12x?x64xf32> -> tensor<1x?x768xf32>
  %2 = nn.merge_heads %h : tensor<1x12x?x64xf32> -> tensor<1x?x768xf32>
  %3 = nn.split_heads %2 {num_heads = 12} : tensor<1x?x768xf32> -> tensor<1x12x?x64xf32>
  return %1, %3 : tensor<1x?x768xf32>, tensor<1x12x?x64xf32>
}

// -----

// Splitting into a different number of heads is not an identity.
// CHECK-LABEL: func.func @heads_regroup
// CHECK: nn.merge_heads
// CHECK: nn.split_heads
func.func @heads_regroup(%h: tensor<1x12x?x64xf32>) -> tensor<1x6x?x128xf32> {
  %0 = nn.merge_heads %h : tensor<1x12x?x64xf32> -> tensor<1x?x768xf32>
  %1 = nn.split_heads %0 {num_heads = 6} : tensor<1x?x768xf32> -> tensor<1x6x?x128xf32>
  return %1 : tensor<1x6x?x128xf32>
}

// -----

// CHECK-LABEL: func.func @image_tokens_roundtrip
// CHECK-SAME: (%[[X:.+]]: tensor<2x64x7x7xf32>, %[[T:.+]]: tensor<2x49x64xf32>)
// CHECK-NOT: nn.image_to_tokens
// CHECK-NOT: nn.tokens_to_image
// CHECK: return %[[X]], %[[T]]
func.func @image_tokens_roundtrip(%x: tensor<2x64x7x7xf32>, %t: tensor<2x49x64xf32>)
    -> (tensor<2x64x7x7xf32>, tensor<2x49x64xf32>) {
  %0 = nn.image_to_tokens %x layout(nchw) : tensor<2x64x7x7xf32> -> tensor<2x49x64xf32>
  %1 = nn.tokens_to_image %0 layout(nchw) {height = 7, width = 7} : tensor<2x49x64xf32> -> tensor<2x64x7x7xf32>
  %2 = nn.tokens_to_image %t layout(nhwc) {height = 7, width = 7} : tensor<2x49x64xf32> -> tensor<2x7x7x64xf32>
  %3 = nn.image_to_tokens %2 layout(nhwc) : tensor<2x7x7x64xf32> -> tensor<2x49x64xf32>
  return %1, %3 : tensor<2x64x7x7xf32>, tensor<2x49x64xf32>
}

// -----

// Different layouts on the two sides transpose the image: no fold.
// CHECK-LABEL: func.func @image_tokens_layout_change
// CHECK: nn.image_to_tokens
// CHECK: nn.tokens_to_image
func.func @image_tokens_layout_change(%x: tensor<2x8x8x8xf32>) -> tensor<2x8x8x8xf32> {
  %0 = nn.image_to_tokens %x layout(nchw) : tensor<2x8x8x8xf32> -> tensor<2x64x8xf32>
  %1 = nn.tokens_to_image %0 layout(nhwc) {height = 8, width = 8} : tensor<2x64x8xf32> -> tensor<2x8x8x8xf32>
  return %1 : tensor<2x8x8x8xf32>
}

// -----

// CHECK-LABEL: func.func @windows_roundtrip
// CHECK-SAME: (%[[X:.+]]: tensor<1x56x56x96xf32>)
// CHECK-NEXT: return %[[X]]
func.func @windows_roundtrip(%x: tensor<1x56x56x96xf32>) -> tensor<1x56x56x96xf32> {
  %0 = nn.window_partition %x {window_size = array<i64: 7, 7>} : tensor<1x56x56x96xf32> -> tensor<64x49x96xf32>
  %1 = nn.window_merge %0 {window_size = array<i64: 7, 7>, height = 56, width = 56}
       : tensor<64x49x96xf32> -> tensor<1x56x56x96xf32>
  return %1 : tensor<1x56x56x96xf32>
}

// -----

// CHECK-LABEL: func.func @relu_idempotent
// CHECK: %[[R:.+]] = nn.relu
// CHECK-NOT: nn.relu
// CHECK: return %[[R]]
func.func @relu_idempotent(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.relu %x : tensor<4xf32>
  %1 = nn.relu %0 : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// Adding zero, multiplying or dividing by one: the operand itself.
// CHECK-LABEL: func.func @arith_identities
// CHECK-SAME: (%[[X:.+]]: tensor<2x3xf32>)
// CHECK-NOT: nn.
// CHECK: return %[[X]], %[[X]], %[[X]], %[[X]]
func.func @arith_identities(%x: tensor<2x3xf32>)
    -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %zero = arith.constant dense<0.0> : tensor<3xf32>
  %one = arith.constant dense<1.0> : tensor<2x3xf32>
  %0 = nn.add %x, %zero : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %1 = nn.sub %x, %zero : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %2 = nn.mul %x, %one : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %3 = nn.div %x, %one : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0, %1, %2, %3 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// A zero that broadcasts the operand to a larger shape is not an identity.
// CHECK-LABEL: func.func @arith_broadcasting_zero
// CHECK: nn.add
func.func @arith_broadcasting_zero(%x: tensor<3xf32>) -> tensor<2x3xf32> {
  %zero = arith.constant dense<0.0> : tensor<2x3xf32>
  %0 = nn.add %x, %zero : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// batch_norm after a conv2d with constant parameters folds into the conv:
// s = scale / sqrt(var + eps) = [2 / sqrt(4), 3 / sqrt(9)] = [1, 1] would be
// too easy, so: scale = [2, 6], var = [3, 8] with eps = 1 -> s = [1, 2].
// W' = W * s per output channel; b' = (b - mean) * s + beta
//    = ([1, 1] - [0.5, 2]) * [1, 2] + [10, 20] = [10.5, 18].
// CHECK-LABEL: func.func @fold_bn_nchw
// CHECK-DAG: %[[W:.+]] = arith.constant dense<{{\[}}{{\[}}{{\[}}[1.000000e+00]]], {{\[}}{{\[}}[4.000000e+00]]]]> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.+]] = arith.constant dense<[1.050000e+01, 1.800000e+01]> : tensor<2xf32>
// CHECK: %[[C:.+]] = nn.conv2d %{{.*}}, %[[W]] bias(%[[B]]) layout(nchw) {strides = array<i64: 2, 2>}
// CHECK-NOT: nn.batch_norm
// CHECK: return %[[C]]
func.func @fold_bn_nchw(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %w = arith.constant dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>
  %b = arith.constant dense<1.0> : tensor<2xf32>
  %scale = arith.constant dense<[2.0, 6.0]> : tensor<2xf32>
  %beta = arith.constant dense<[10.0, 20.0]> : tensor<2xf32>
  %mean = arith.constant dense<[0.5, 2.0]> : tensor<2xf32>
  %var = arith.constant dense<[3.0, 8.0]> : tensor<2xf32>
  %c = nn.conv2d %x, %w bias(%b) layout(nchw) {strides = array<i64: 2, 2>}
       : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  %y = nn.batch_norm %c, %scale, %beta, %mean, %var layout(nchw) {epsilon = 1.0 : f32}
       : (tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>)
         -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// NHWC filters are [KH, KW, C, F]: the output channel is the last index.
// Without a conv bias, b' = -mean * s + beta = [10 - 0.5, 20 - 4] = [9.5, 16].
// CHECK-LABEL: func.func @fold_bn_nhwc
// CHECK-DAG: %[[W:.+]] = arith.constant dense<{{\[}}{{\[}}{{\[}}[1.000000e+00, 4.000000e+00], [3.000000e+00, 8.000000e+00]]]]> : tensor<1x1x2x2xf32>
// CHECK-DAG: %[[B:.+]] = arith.constant dense<[9.500000e+00, 1.600000e+01]> : tensor<2xf32>
// CHECK: nn.conv2d %{{.*}}, %[[W]] bias(%[[B]]) layout(nhwc)
// CHECK-NOT: nn.batch_norm
func.func @fold_bn_nhwc(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %w = arith.constant dense<[[[[1.0, 2.0], [3.0, 4.0]]]]> : tensor<1x1x2x2xf32>
  %scale = arith.constant dense<[2.0, 6.0]> : tensor<2xf32>
  %beta = arith.constant dense<[10.0, 20.0]> : tensor<2xf32>
  %mean = arith.constant dense<[0.5, 2.0]> : tensor<2xf32>
  %var = arith.constant dense<[3.0, 8.0]> : tensor<2xf32>
  %c = nn.conv2d %x, %w layout(nhwc) : (tensor<1x4x4x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x4x4x2xf32>
  %y = nn.batch_norm %c, %scale, %beta, %mean, %var layout(nhwc) {epsilon = 1.0 : f32}
       : (tensor<1x4x4x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>)
         -> tensor<1x4x4x2xf32>
  return %y : tensor<1x4x4x2xf32>
}

// -----

// Not folded: the filter is a function argument.
// CHECK-LABEL: func.func @no_fold_bn_dynamic_weights
// CHECK: nn.conv2d
// CHECK: nn.batch_norm
func.func @no_fold_bn_dynamic_weights(%x: tensor<1x1x4x4xf32>, %w: tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32> {
  %p = arith.constant dense<1.0> : tensor<2xf32>
  %c = nn.conv2d %x, %w layout(nchw) : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %y = nn.batch_norm %c, %p, %p, %p, %p layout(nchw)
       : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

// Not folded: the convolution has a second user that needs the raw output.
// CHECK-LABEL: func.func @no_fold_bn_shared_conv
// CHECK: nn.conv2d
// CHECK: nn.batch_norm
func.func @no_fold_bn_shared_conv(%x: tensor<1x1x4x4xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %w = arith.constant dense<2.0> : tensor<2x1x1x1xf32>
  %p = arith.constant dense<1.0> : tensor<2xf32>
  %c = nn.conv2d %x, %w layout(nchw) : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %y = nn.batch_norm %c, %p, %p, %p, %p layout(nchw)
       : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %c, %y : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// -----

// Unused nn ops are pure and disappear; so does an unused block.
// CHECK-LABEL: func.func @dead_code
// CHECK-NEXT: return
func.func @dead_code(%x: tensor<4xf32>) {
  %0 = nn.gelu %x : tensor<4xf32>
  %1 = nn.block "unused" kind(convolution) -> tensor<4xf32> {
    %r = nn.relu %x : tensor<4xf32>
    nn.yield %r : tensor<4xf32>
  }
  return
}
