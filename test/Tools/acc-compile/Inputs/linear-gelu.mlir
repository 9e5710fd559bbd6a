func.func @lin(%x: tensor<64x256xf32>, %w: tensor<256x256xf32>, %b: tensor<256xf32>) -> tensor<64x256xf32> {
  %0 = nn.linear %x, %w bias(%b) : (tensor<64x256xf32>, tensor<256x256xf32>, tensor<256xf32>) -> tensor<64x256xf32>
  %1 = nn.gelu %0 approximate(tanh) : tensor<64x256xf32>
  return %1 : tensor<64x256xf32>
}
