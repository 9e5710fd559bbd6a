// Softmax over rows of 37 and a 64-query x 256-key attention (static
// tiles): the row max is a maxnum whose lane reductions assume no NaN.
func.func @softmax_rows(%x: tensor<4x37xf32>) -> tensor<4x37xf32> {
  %0 = nn.softmax %x {axis = 1 : i64} : tensor<4x37xf32>
  return %0 : tensor<4x37xf32>
}

func.func @attention_rows(%q: tensor<1x1x64x16xf32>, %k: tensor<1x1x256x16xf32>, %v: tensor<1x1x256x16xf32>) -> tensor<1x1x64x16xf32> {
  %0 = nn.attention %q, %k, %v : (tensor<1x1x64x16xf32>, tensor<1x1x256x16xf32>, tensor<1x1x256x16xf32>) -> tensor<1x1x64x16xf32>
  return %0 : tensor<1x1x64x16xf32>
}

// A 3x3 / 2 max pool (its max is `nsz`, not `nnan`): a NaN reaches every
// window that holds it, at whichever tap.
func.func @max_pool_nan(%x: tensor<1x9x9x32xf32>) -> tensor<1x5x5x32xf32> {
  %0 = nn.max_pool2d %x layout(nhwc) {kernel_size = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : tensor<1x9x9x32xf32> -> tensor<1x5x5x32xf32>
  return %0 : tensor<1x5x5x32xf32>
}

// A softmax over rows of dynamic length (LLVM vectorizes its row max, a
// maxnum with `nnan`): a NaN still makes exactly its row NaN.
func.func @softmax_dynamic_rows(%x: tensor<4x?xf32>) -> tensor<4x?xf32> {
  %0 = nn.softmax %x {axis = 1 : i64} : tensor<4x?xf32>
  return %0 : tensor<4x?xf32>
}

// A 3x3 convolution with a constant filter, computed by Winograd
// F(4x4, 3x3): a NaN input reaches every output of the 4 x 4 tiles whose
// 6 x 6 input window holds it, not only its 3 x 3 neighbourhood.
func.func @winograd_nan(%x: tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32> {
  %w = arith.constant dense<0.125> : tensor<3x3x16x16xf32>
  %0 = nn.conv2d %x, %w layout(nhwc) {padding = array<i64: 1, 1, 1, 1>} : (tensor<1x8x8x16xf32>, tensor<3x3x16x16xf32>) -> tensor<1x8x8x16xf32>
  return %0 : tensor<1x8x8x16xf32>
}

// A ReLU is a maximumf against 0 with `nsz` (one vmaxps, its operands in
// the order that returns a NaN): NaN and infinities pass as in PyTorch.
func.func @relu_nan(%x: tensor<4x37xf32>) -> tensor<4x37xf32> {
  %0 = nn.relu %x : tensor<4x37xf32>
  return %0 : tensor<4x37xf32>
}
