func.func @a(%q: tensor<1x1x100x8xf32>) -> tensor<1x1x100x8xf32> {
  %0 = nn.attention %q, %q, %q : (tensor<1x1x100x8xf32>, tensor<1x1x100x8xf32>, tensor<1x1x100x8xf32>) -> tensor<1x1x100x8xf32>
  return %0 : tensor<1x1x100x8xf32>
}
