// The hybrid of hybrid.mlir over square images of any side S (one name for
// both dims, given by the nn.dims argument attribute): the cost report shows
// how each part grows with S and where attention overtakes convolution.
//
//   acc-compile examples/hybrid-scaling.mlir --cost-report
//
// The stem is linear in the number of pixels (quadratic in S); the encoder's
// attention is quadratic in the number of tokens, S^2/16 (degree 4 in S).
// Symbolic sizes are exact for S a multiple of 4 (the stem's total stride).

func.func @hybrid_scaling(%image: tensor<1x3x?x?xf32> {nn.dims = ["", "", "S", "S"]},
                  %wq: tensor<64x64xf32>, %wk: tensor<64x64xf32>,
                  %wv: tensor<64x64xf32>, %wo: tensor<64x64xf32>,
                  %w1: tensor<256x64xf32>, %b1: tensor<256xf32>,
                  %w2: tensor<64x256xf32>, %b2: tensor<64xf32>,
                  %ln_g: tensor<64xf32>, %ln_b: tensor<64xf32>)
    -> tensor<1x?x64xf32> {
  %stem = nn.block "stem" kind(convolution) -> tensor<1x64x?x?xf32> {
    %c1w = arith.constant dense<0.05> : tensor<32x3x3x3xf32>
    %c1s = arith.constant dense<1.5> : tensor<32xf32>
    %c1b = arith.constant dense<0.1> : tensor<32xf32>
    %c1m = arith.constant dense<0.2> : tensor<32xf32>
    %c1v = arith.constant dense<4.0> : tensor<32xf32>
    %c1 = nn.conv2d %image, %c1w layout(nchw)
            {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>}
          : (tensor<1x3x?x?xf32>, tensor<32x3x3x3xf32>) -> tensor<1x32x?x?xf32>
    %n1 = nn.batch_norm %c1, %c1s, %c1b, %c1m, %c1v layout(nchw)
          : (tensor<1x32x?x?xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>,
             tensor<32xf32>) -> tensor<1x32x?x?xf32>
    %r1 = nn.relu %n1 : tensor<1x32x?x?xf32>

    %c2w = arith.constant dense<0.02> : tensor<64x32x3x3xf32>
    %c2s = arith.constant dense<0.5> : tensor<64xf32>
    %c2b = arith.constant dense<0.0> : tensor<64xf32>
    %c2m = arith.constant dense<0.1> : tensor<64xf32>
    %c2v = arith.constant dense<1.0> : tensor<64xf32>
    %c2 = nn.conv2d %r1, %c2w layout(nchw)
            {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>}
          : (tensor<1x32x?x?xf32>, tensor<64x32x3x3xf32>) -> tensor<1x64x?x?xf32>
    %n2 = nn.batch_norm %c2, %c2s, %c2b, %c2m, %c2v layout(nchw)
          : (tensor<1x64x?x?xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>,
             tensor<64xf32>) -> tensor<1x64x?x?xf32>
    %r2 = nn.relu %n2 : tensor<1x64x?x?xf32>
    nn.yield %r2 : tensor<1x64x?x?xf32>
  }

  %encoded = nn.block "encoder" kind(attention) -> tensor<1x?x64xf32> {
    %tokens = nn.image_to_tokens %stem layout(nchw)
              : tensor<1x64x?x?xf32> -> tensor<1x?x64xf32>
    %x = nn.layer_norm %tokens weight(%ln_g) bias(%ln_b)
         : (tensor<1x?x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<1x?x64xf32>
    %q = nn.linear %x, %wq : (tensor<1x?x64xf32>, tensor<64x64xf32>) -> tensor<1x?x64xf32>
    %k = nn.linear %x, %wk : (tensor<1x?x64xf32>, tensor<64x64xf32>) -> tensor<1x?x64xf32>
    %v = nn.linear %x, %wv : (tensor<1x?x64xf32>, tensor<64x64xf32>) -> tensor<1x?x64xf32>
    %qh = nn.split_heads %q {num_heads = 4} : tensor<1x?x64xf32> -> tensor<1x4x?x16xf32>
    %kh = nn.split_heads %k {num_heads = 4} : tensor<1x?x64xf32> -> tensor<1x4x?x16xf32>
    %vh = nn.split_heads %v {num_heads = 4} : tensor<1x?x64xf32> -> tensor<1x4x?x16xf32>
    %att = nn.attention %qh, %kh, %vh
           : (tensor<1x4x?x16xf32>, tensor<1x4x?x16xf32>, tensor<1x4x?x16xf32>)
             -> tensor<1x4x?x16xf32>
    %merged = nn.merge_heads %att : tensor<1x4x?x16xf32> -> tensor<1x?x64xf32>
    %proj = nn.linear %merged, %wo : (tensor<1x?x64xf32>, tensor<64x64xf32>) -> tensor<1x?x64xf32>
    %res1 = nn.add %tokens, %proj
            : (tensor<1x?x64xf32>, tensor<1x?x64xf32>) -> tensor<1x?x64xf32>
    %y = nn.layer_norm %res1 weight(%ln_g) bias(%ln_b)
         : (tensor<1x?x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<1x?x64xf32>
    %h = nn.linear %y, %w1 bias(%b1)
         : (tensor<1x?x64xf32>, tensor<256x64xf32>, tensor<256xf32>) -> tensor<1x?x256xf32>
    %g = nn.gelu %h : tensor<1x?x256xf32>
    %o = nn.linear %g, %w2 bias(%b2)
         : (tensor<1x?x256xf32>, tensor<64x256xf32>, tensor<64xf32>) -> tensor<1x?x64xf32>
    %res2 = nn.add %res1, %o
            : (tensor<1x?x64xf32>, tensor<1x?x64xf32>) -> tensor<1x?x64xf32>
    nn.yield %res2 : tensor<1x?x64xf32>
  }

  return %encoded : tensor<1x?x64xf32>
}
