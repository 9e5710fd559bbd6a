// RUN: acc-opt %s -nn-inline-blocks -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @nested
// CHECK-SAME: (%[[X:.+]]: tensor<1x8x4x4xf32>, %[[W:.+]]: tensor<8x8x1x1xf32>)
// CHECK-NOT: nn.block
// CHECK: %[[C:.+]] = nn.conv2d %[[X]], %[[W]]
// CHECK-NEXT: %[[R:.+]] = nn.relu %[[C]]
// CHECK-NEXT: %[[T:.+]] = nn.image_to_tokens %[[R]]
// CHECK-NEXT: %[[S:.+]] = nn.softmax %[[T]]
// CHECK-NOT: nn.yield
// CHECK: return %[[S]], %[[R]]
func.func @nested(%x: tensor<1x8x4x4xf32>, %w: tensor<8x8x1x1xf32>)
    -> (tensor<1x16x8xf32>, tensor<1x8x4x4xf32>) {
  %0:2 = nn.block "hybrid" kind(hybrid) -> tensor<1x16x8xf32>, tensor<1x8x4x4xf32> {
    %1 = nn.block "conv" kind(convolution) -> tensor<1x8x4x4xf32> {
      %c = nn.conv2d %x, %w layout(nchw) : (tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x4x4xf32>
      %r = nn.relu %c : tensor<1x8x4x4xf32>
      nn.yield %r : tensor<1x8x4x4xf32>
    }
    %2 = nn.block "attn" kind(attention) -> tensor<1x16x8xf32> {
      %t = nn.image_to_tokens %1 layout(nchw) : tensor<1x8x4x4xf32> -> tensor<1x16x8xf32>
      %s = nn.softmax %t : tensor<1x16x8xf32>
      nn.yield %s : tensor<1x16x8xf32>
    }
    nn.yield %2, %1 : tensor<1x16x8xf32>, tensor<1x8x4x4xf32>
  }
  return %0#0, %0#1 : tensor<1x16x8xf32>, tensor<1x8x4x4xf32>
}

// -----

// A block without results leaves its ops behind.
// CHECK-LABEL: func.func @no_results
// CHECK-NOT: nn.block
// CHECK: nn.gelu
// CHECK-NEXT: return
func.func @no_results(%x: tensor<4xf32>) {
  nn.block "side" kind(convolution) {
    %g = nn.gelu %x : tensor<4xf32>
  }
  return
}
