// A model whose intermediate (1000 x 100000 floats, 400 MB) dwarfs its
// input and output: alloc-failure.test runs it with too little memory.
func.func @big(%x: tensor<1x1x1000x8xf32>) -> tensor<1x1x1x1xf32> {
  %w = arith.constant dense<0.125> : tensor<100000x8xf32>
  %y = nn.linear %x, %w : (tensor<1x1x1000x8xf32>, tensor<100000x8xf32>) -> tensor<1x1x1000x100000xf32>
  %p = nn.global_avg_pool2d %y layout(nchw) : tensor<1x1x1000x100000xf32> -> tensor<1x1x1x1xf32>
  return %p : tensor<1x1x1x1xf32>
}
