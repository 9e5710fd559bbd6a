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
