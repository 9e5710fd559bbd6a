// RUN: acc-opt %s -nn-winograd-conv -nn-lower-to-linalg -canonicalize -nn-sink-transposes -canonicalize -split-input-file | FileCheck %s

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

// -----

// Pooling computes in NHWC between transposes too, so that a ResNet's max
// pool, its residual adds and its global pool stay in NHWC: the only
// transposes left are the model's input, its (constant-folded) filters and
// the pooled result.
// CHECK-LABEL: func.func @pool_residual
// CHECK: linalg.transpose ins(%arg0 : tensor<1x3x16x16xf32>) {{.*}} permutation = [0, 2, 3, 1]
// CHECK: %[[R:.+]] = linalg.generic {{.*}} ins(%{{.+}} : tensor<1x16x16x8xf32>) outs(%{{.+}} : tensor<1x16x16x8xf32>)
// CHECK: %[[RP:.+]] = tensor.pad %[[R]] low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK: %[[P:.+]] = linalg.generic {{.*}} ins(%[[RP]], %{{.+}} : tensor<1x18x18x8xf32>, tensor<3x3xf32>) outs(%{{.+}} : tensor<1x8x8x8xf32>)
// CHECK: arith.maximumf
// CHECK: %[[C:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<1x8x8x8xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[C]], %[[P]] : tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>)
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%{{.+}} : tensor<1x8x8x8xf32>) outs(%{{.+}} : tensor<1x8xf32>)
// CHECK: %[[E:.+]] = tensor.expand_shape %{{.+}} {{\[}}[0, 1, 2], [3]] output_shape [1, 1, 1, 8]
// CHECK: %[[T:.+]] = linalg.transpose ins(%[[E]] : tensor<1x1x1x8xf32>) {{.*}} permutation = [0, 3, 1, 2]
// CHECK: return %[[T]]
func.func @pool_residual(%x: tensor<1x3x16x16xf32>, %w0: tensor<8x3x3x3xf32>, %w1: tensor<8x8x3x3xf32>) -> tensor<1x8x1x1xf32> {
  %0 = nn.conv2d %x, %w0 layout(nchw) {padding = array<i64: 1, 1, 1, 1>} : (tensor<1x3x16x16xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x16x16xf32>
  %1 = nn.relu %0 : tensor<1x8x16x16xf32>
  %2 = nn.max_pool2d %1 layout(nchw) {kernel_size = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : tensor<1x8x16x16xf32> -> tensor<1x8x8x8xf32>
  %3 = nn.conv2d %2, %w1 layout(nchw) {padding = array<i64: 1, 1, 1, 1>} : (tensor<1x8x8x8xf32>, tensor<8x8x3x3xf32>) -> tensor<1x8x8x8xf32>
  %4 = nn.add %3, %2 : (tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %5 = nn.relu %4 : tensor<1x8x8x8xf32>
  %6 = nn.global_avg_pool2d %5 layout(nchw) : tensor<1x8x8x8xf32> -> tensor<1x8x1x1xf32>
  return %6 : tensor<1x8x1x1xf32>
}
