// RUN: acc-opt %s -nn-lower-to-linalg -canonicalize -nn-sink-transposes -canonicalize -split-input-file | FileCheck %s

// Two NCHW convolutions with a ReLU between them: each computes in NHWC
// between transposes. The ReLU moves into the NHWC layout, the transpose
// out of the first convolution meets the transpose into the second, and
// the pair cancels: only the model's own input and output are transposed.
// CHECK-LABEL: func.func @conv_relu_conv
// CHECK: %[[X:.+]] = linalg.transpose ins(%arg0 : tensor<1x8x6x6xf32>) {{.*}} permutation = [0, 2, 3, 1]
// CHECK: %[[C1:.+]] = linalg.generic {{.*}} ins(%{{.+}}, %{{.+}} : tensor<1x8x8x8xf32>, tensor<3x3x8x8xf32>) outs(%{{.+}} : tensor<1x6x6x8xf32>)
// CHECK: %[[R:.+]] = linalg.generic {{.*}} ins(%[[C1]] : tensor<1x6x6x8xf32>) outs(%{{.+}} : tensor<1x6x6x8xf32>)
// CHECK: arith.maximumf
// CHECK: tensor.pad %[[R]]
// CHECK: %[[C2:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<1x6x6x8xf32>)
// CHECK: linalg.transpose ins(%[[C2]] : tensor<1x6x6x8xf32>) {{.*}} permutation = [0, 3, 1, 2]
// CHECK-NOT: linalg.transpose
// CHECK: return
func.func @conv_relu_conv(%x: tensor<1x8x6x6xf32>, %w1: tensor<8x8x3x3xf32>, %w2: tensor<8x8x3x3xf32>) -> tensor<1x8x6x6xf32> {
  %0 = nn.conv2d %x, %w1 layout(nchw) {padding = array<i64: 1, 1, 1, 1>} : (tensor<1x8x6x6xf32>, tensor<8x8x3x3xf32>) -> tensor<1x8x6x6xf32>
  %1 = nn.relu %0 : tensor<1x8x6x6xf32>
  %2 = nn.conv2d %1, %w2 layout(nchw) {padding = array<i64: 1, 1, 1, 1>} : (tensor<1x8x6x6xf32>, tensor<8x8x3x3xf32>) -> tensor<1x8x6x6xf32>
  return %2 : tensor<1x8x6x6xf32>
}

// -----

// Per-channel operands (a batch norm's parameters) follow the move with
// permuted maps: NCHW channel d1 becomes NHWC d3.
// CHECK-DAG: #[[CH:.+]] = affine_map<(d0, d1, d2, d3) -> (d3)>
// CHECK-LABEL: func.func @conv_bn
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[CH]], #[[CH]], #[[CH]], #[[CH]], #{{.+}}]
// CHECK: linalg.transpose {{.*}} permutation = [0, 3, 1, 2]
func.func @conv_bn(%x: tensor<1x4x5x5xf32>, %w: tensor<4x4x1x1xf32>, %s: tensor<4xf32>, %b: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) -> tensor<1x4x5x5xf32> {
  %0 = nn.conv2d %x, %w layout(nchw) : (tensor<1x4x5x5xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x5x5xf32>
  %1 = nn.batch_norm %0, %s, %b, %m, %v layout(nchw) : (tensor<1x4x5x5xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x5x5xf32>
  return %1 : tensor<1x4x5x5xf32>
}

// -----

// Nothing moves when a full-rank input is not transposed the same way: the
// sum of a convolution's output and the raw NCHW input stays in NCHW.
// CHECK-LABEL: func.func @mixed
// CHECK: %[[T:.+]] = linalg.transpose {{.*}} permutation = [0, 3, 1, 2]
// CHECK: linalg.generic {{.*}} ins(%[[T]], %arg0 : tensor<1x4x5x5xf32>, tensor<1x4x5x5xf32>)
func.func @mixed(%x: tensor<1x4x5x5xf32>, %w: tensor<4x4x1x1xf32>) -> tensor<1x4x5x5xf32> {
  %0 = nn.conv2d %x, %w layout(nchw) : (tensor<1x4x5x5xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x5x5xf32>
  %1 = nn.add %0, %x : (tensor<1x4x5x5xf32>, tensor<1x4x5x5xf32>) -> tensor<1x4x5x5xf32>
  return %1 : tensor<1x4x5x5xf32>
}
