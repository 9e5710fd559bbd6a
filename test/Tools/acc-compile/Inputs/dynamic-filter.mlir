func.func @f(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  %wd = tensor.cast %w : tensor<4x3x3x3xf32> to tensor<4x3x?x3xf32>
  %0 = nn.conv2d %x, %wd layout(nchw) : (tensor<1x3x8x8xf32>, tensor<4x3x?x3xf32>) -> tensor<1x4x?x6xf32>
  %1 = tensor.cast %0 : tensor<1x4x?x6xf32> to tensor<1x4x6x6xf32>
  return %1 : tensor<1x4x6x6xf32>
}
