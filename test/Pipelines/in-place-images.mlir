// RUN: acc-opt %s --nn-cpu-pipeline=stop-after=buffers | FileCheck %s

// A residual block's output is the next convolution's padded image and the
// next residual: after bufferization it is computed once, in place, into
// the image's interior, which the residual add reads. Nothing is copied:
// neither a zero-filled image shared by both layers (equal fills merged by
// CSE) nor the block's output into a temporary and back.
// CHECK-LABEL: func.func @two_blocks
// CHECK-NOT: memref.copy
// CHECK: %[[IMG:.+]] = memref.alloc() {{.*}} : memref<1x10x10x32xf32>
// CHECK-NOT: memref.copy
// CHECK: %[[IN:.+]] = memref.subview %[[IMG]][0, 1, 1, 0] [1, 8, 8, 32] [1, 1, 1, 1]
// CHECK-NOT: memref.copy
// CHECK: %[[IMG2:.+]] = memref.alloc() {{.*}} : memref<1x10x10x32xf32>
// CHECK-NOT: memref.copy
// CHECK: return
func.func @two_blocks(%x: tensor<1x10x10x32xf32>, %w1: tensor<3x3x32x32xf32>, %w2: tensor<3x3x32x32xf32>, %w3: tensor<3x3x32x32xf32>) -> tensor<1x8x8x32xf32> {
  %0 = nn.conv2d %x, %w1 layout(nhwc) : (tensor<1x10x10x32xf32>, tensor<3x3x32x32xf32>) -> tensor<1x8x8x32xf32>
  %1 = nn.relu %0 : tensor<1x8x8x32xf32>
  %2 = nn.conv2d %1, %w2 layout(nhwc) {padding = array<i64: 1, 1, 1, 1>} : (tensor<1x8x8x32xf32>, tensor<3x3x32x32xf32>) -> tensor<1x8x8x32xf32>
  %3 = nn.add %2, %1 : (tensor<1x8x8x32xf32>, tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32>
  %4 = nn.relu %3 : tensor<1x8x8x32xf32>
  %5 = nn.conv2d %4, %w3 layout(nhwc) {padding = array<i64: 1, 1, 1, 1>} : (tensor<1x8x8x32xf32>, tensor<3x3x32x32xf32>) -> tensor<1x8x8x32xf32>
  %6 = nn.add %5, %4 : (tensor<1x8x8x32xf32>, tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32>
  return %6 : tensor<1x8x8x32xf32>
}
