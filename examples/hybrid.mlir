// A small conv-stem + transformer hybrid, written directly in the nn dialect.
//
//   image [1, 3, 64, 64] (NCHW)
//   stem:    two 3x3/2 convolutions with batch norm and ReLU -> [1, 64, 16, 16]
//   encoder: the 256 pixels become tokens; one pre-norm transformer layer
//            (4 heads of 16, MLP ratio 4) runs over them
//   head:    tokens back to an image, global average pool -> [1, 64, 1, 1]
//
// The convolution weights and batch-norm statistics are constants, so
// `acc-opt -canonicalize` folds each batch norm into its convolution.
// The sequence length (256 here) is what makes the encoder quadratic.

func.func @hybrid(%image: tensor<1x3x64x64xf32>,
                  %wq: tensor<64x64xf32>, %wk: tensor<64x64xf32>,
                  %wv: tensor<64x64xf32>, %wo: tensor<64x64xf32>,
                  %w1: tensor<256x64xf32>, %b1: tensor<256xf32>,
                  %w2: tensor<64x256xf32>, %b2: tensor<64xf32>,
                  %ln_g: tensor<64xf32>, %ln_b: tensor<64xf32>)
    -> tensor<1x64x1x1xf32> {
  %stem = nn.block "stem" kind(convolution) -> tensor<1x64x16x16xf32> {
    %c1w = arith.constant dense<0.05> : tensor<32x3x3x3xf32>
    %c1s = arith.constant dense<1.5> : tensor<32xf32>
    %c1b = arith.constant dense<0.1> : tensor<32xf32>
    %c1m = arith.constant dense<0.2> : tensor<32xf32>
    %c1v = arith.constant dense<4.0> : tensor<32xf32>
    %c1 = nn.conv2d %image, %c1w layout(nchw)
            {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>}
          : (tensor<1x3x64x64xf32>, tensor<32x3x3x3xf32>) -> tensor<1x32x32x32xf32>
    %n1 = nn.batch_norm %c1, %c1s, %c1b, %c1m, %c1v layout(nchw)
          : (tensor<1x32x32x32xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>,
             tensor<32xf32>) -> tensor<1x32x32x32xf32>
    %r1 = nn.relu %n1 : tensor<1x32x32x32xf32>

    %c2w = arith.constant dense<0.02> : tensor<64x32x3x3xf32>
    %c2s = arith.constant dense<0.5> : tensor<64xf32>
    %c2b = arith.constant dense<0.0> : tensor<64xf32>
    %c2m = arith.constant dense<0.1> : tensor<64xf32>
    %c2v = arith.constant dense<1.0> : tensor<64xf32>
    %c2 = nn.conv2d %r1, %c2w layout(nchw)
            {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>}
          : (tensor<1x32x32x32xf32>, tensor<64x32x3x3xf32>) -> tensor<1x64x16x16xf32>
    %n2 = nn.batch_norm %c2, %c2s, %c2b, %c2m, %c2v layout(nchw)
          : (tensor<1x64x16x16xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>,
             tensor<64xf32>) -> tensor<1x64x16x16xf32>
    %r2 = nn.relu %n2 : tensor<1x64x16x16xf32>
    nn.yield %r2 : tensor<1x64x16x16xf32>
  }

  %encoded = nn.block "encoder" kind(attention) -> tensor<1x256x64xf32> {
    %tokens = nn.image_to_tokens %stem layout(nchw)
              : tensor<1x64x16x16xf32> -> tensor<1x256x64xf32>
    %x = nn.layer_norm %tokens weight(%ln_g) bias(%ln_b)
         : (tensor<1x256x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<1x256x64xf32>
    %q = nn.linear %x, %wq : (tensor<1x256x64xf32>, tensor<64x64xf32>) -> tensor<1x256x64xf32>
    %k = nn.linear %x, %wk : (tensor<1x256x64xf32>, tensor<64x64xf32>) -> tensor<1x256x64xf32>
    %v = nn.linear %x, %wv : (tensor<1x256x64xf32>, tensor<64x64xf32>) -> tensor<1x256x64xf32>
    %qh = nn.split_heads %q {num_heads = 4} : tensor<1x256x64xf32> -> tensor<1x4x256x16xf32>
    %kh = nn.split_heads %k {num_heads = 4} : tensor<1x256x64xf32> -> tensor<1x4x256x16xf32>
    %vh = nn.split_heads %v {num_heads = 4} : tensor<1x256x64xf32> -> tensor<1x4x256x16xf32>
    %att = nn.attention %qh, %kh, %vh
           : (tensor<1x4x256x16xf32>, tensor<1x4x256x16xf32>, tensor<1x4x256x16xf32>)
             -> tensor<1x4x256x16xf32>
    %merged = nn.merge_heads %att : tensor<1x4x256x16xf32> -> tensor<1x256x64xf32>
    %proj = nn.linear %merged, %wo : (tensor<1x256x64xf32>, tensor<64x64xf32>) -> tensor<1x256x64xf32>
    %res1 = nn.add %tokens, %proj
            : (tensor<1x256x64xf32>, tensor<1x256x64xf32>) -> tensor<1x256x64xf32>
    %y = nn.layer_norm %res1 weight(%ln_g) bias(%ln_b)
         : (tensor<1x256x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<1x256x64xf32>
    %h = nn.linear %y, %w1 bias(%b1)
         : (tensor<1x256x64xf32>, tensor<256x64xf32>, tensor<256xf32>) -> tensor<1x256x256xf32>
    %g = nn.gelu %h : tensor<1x256x256xf32>
    %o = nn.linear %g, %w2 bias(%b2)
         : (tensor<1x256x256xf32>, tensor<64x256xf32>, tensor<64xf32>) -> tensor<1x256x64xf32>
    %res2 = nn.add %res1, %o
            : (tensor<1x256x64xf32>, tensor<1x256x64xf32>) -> tensor<1x256x64xf32>
    nn.yield %res2 : tensor<1x256x64xf32>
  }

  %img = nn.tokens_to_image %encoded layout(nchw) {height = 16, width = 16}
         : tensor<1x256x64xf32> -> tensor<1x64x16x16xf32>
  %pooled = nn.global_avg_pool2d %img layout(nchw)
            : tensor<1x64x16x16xf32> -> tensor<1x64x1x1xf32>
  return %pooled : tensor<1x64x1x1xf32>
}
