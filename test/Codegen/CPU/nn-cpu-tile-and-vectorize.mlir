// RUN: acc-opt %s -nn-winograd-conv -nn-lower-to-linalg -canonicalize -nn-cpu-prepare-tiling -nn-cpu-select-tile-sizes -nn-cpu-tile-and-vectorize -canonicalize | FileCheck %s
// RUN: acc-opt %s -nn-winograd-conv -nn-lower-to-linalg -canonicalize -nn-cpu-prepare-tiling -nn-cpu-select-tile-sizes="vector-width=8 rows=4" -nn-cpu-tile-and-vectorize="vector-width=8 rows=4" -canonicalize | FileCheck %s --check-prefix=AVX2
// RUN: acc-opt %s -nn-winograd-conv -nn-lower-to-linalg -canonicalize -nn-cpu-prepare-tiling -nn-cpu-select-tile-sizes="vector-width=2 rows=1" -nn-cpu-tile-and-vectorize="vector-width=2 rows=1" | FileCheck %s --check-prefix=PACK
// RUN: acc-opt %s -nn-winograd-conv -nn-lower-to-linalg -canonicalize -nn-sink-transposes -nn-fuse-elementwise -canonicalize -nn-cpu-prepare-tiling -nn-cpu-select-tile-sizes -nn-cpu-tile-and-vectorize -canonicalize | FileCheck %s --check-prefix=NCHW

// linear + bias + gelu: the gelu is the root; the contraction and the bias
// broadcast are fused into its 8 x 32 register block (two vectors per row:
// per reduction step 2 vector loads and 8 broadcasts feed 16 FMAs). The bias initialises
// the block once, then the reduction steps one k at a time with an
// outer-product vector.contract, then gelu runs on the block in registers.
// The tile loops are one scf.forall: its iterations are independent, and
// nn-cpu-parallelize later hands them to the thread pool. The packed weight
// (a transpose, tiled 8 x 8 on its own) is larger than the input, so the
// output-feature loop goes outermost: each weight block stays in cache while
// every row uses it.
// CHECK-LABEL: func.func @linear_bias_gelu
// CHECK: scf.forall (%{{.+}}, %{{.+}}) = (0, 0) to (128, 256) step (8, 8)
// CHECK: vector.transfer_read {{.*}} permutation_map = {{.*}} : tensor<8x8xf32>, vector<8x8xf32>
// CHECK: scf.forall (%{{.+}}, %{{.+}}) = (0, 0) to (256, 64) step (32, 8) shared_outs
// CHECK:     %[[BIAS:.+]] = vector.transfer_read %{{.+}} : tensor<32xf32>, vector<8x32xf32>
// CHECK:     %[[INIT:.+]] = vector.transfer_write %[[BIAS]]
// CHECK:     %[[ACC:.+]] = scf.for %{{.+}} = %c0 to %c128 step %c1 iter_args(%{{.+}} = %[[INIT]]) -> (tensor<8x32xf32>)
// Each step (unit loops dropped) is a broadcast column times a broadcast
// row added to the block: one vector.fma, 8 rows of 2 x 16 lanes.
// CHECK-NOT:   vector.contract
// CHECK:       vector.fma %{{.+}}, %{{.+}}, %{{.+}} : vector<8x32xf32>
// CHECK:     vector.transfer_read %[[ACC]]
// The vector tanh is a polynomial approximation, not a scalarized libm call:
// CHECK-NOT: math.tanh
// CHECK:     math.absf {{.*}} : vector<8x32xf32>
// CHECK-NOT: math.tanh
// AVX2-LABEL: func.func @linear_bias_gelu
// AVX2: scf.forall (%{{.+}}, %{{.+}}) = (0, 0) to (256, 64) step (16, 4)
// AVX2:       vector.fma {{.*}} : vector<4x16xf32>
func.func @linear_bias_gelu(%x: tensor<64x128xf32>, %w: tensor<256x128xf32>, %b: tensor<256xf32>) -> tensor<64x256xf32> {
  %0 = nn.linear %x, %w bias(%b) : (tensor<64x128xf32>, tensor<256x128xf32>, tensor<256xf32>) -> tensor<64x256xf32>
  %1 = nn.gelu %0 approximate(tanh) : tensor<64x256xf32>
  return %1 : tensor<64x256xf32>
}

// Attention tiles (static 64 x 64 blocks inside the key loop): both block
// products become register blocks of FMAs, and the softmax pieces (row max,
// exp, row sum) are tiled into 64-wide rows and vectorized, with exp as a
// vector polynomial (no math.exp left to scalarize). The score block's
// zeros are the register block's initial value (no zero-filled block is
// copied in per key block).
// CHECK-LABEL: func.func @attention_tiles
// CHECK: scf.forall
// CHECK:   scf.for
// CHECK-NOT:   linalg.fill
// CHECK:       scf.forall (%{{.+}}, %{{.+}}) = (0, 0) to (64, 64) step (8, 32)
// CHECK:         vector.transfer_write %cst{{.*}} : vector<8x32xf32>, tensor<8x32xf32>
// CHECK:     vector.fma {{.*}} : vector<8x32xf32>
// CHECK:     vector.multi_reduction <maxnumf>, {{.*}} : vector<64xf32> to f32
// CHECK:     vector.multi_reduction <add>, {{.*}} : vector<64xf32> to f32
// CHECK:     vector.fma {{.*}} : vector<8x32xf32>
// CHECK-NOT: math.exp
func.func @attention_tiles(%q: tensor<1x2x128x64xf32>, %k: tensor<1x2x128x64xf32>, %v: tensor<1x2x128x64xf32>) -> tensor<1x2x128x64xf32> {
  %0 = nn.attention %q, %k, %v : (tensor<1x2x128x64xf32>, tensor<1x2x128x64xf32>, tensor<1x2x128x64xf32>) -> tensor<1x2x128x64xf32>
  return %0 : tensor<1x2x128x64xf32>
}

// Elementwise chains are one vectorized loop nest over 16-wide rows (the
// unit row dimension of each tile dropped).
// CHECK-LABEL: func.func @elementwise
// CHECK: scf.forall (%{{.+}}, %{{.+}}) = (0, 0) to (3, 64) step (1, 16)
// CHECK:   arith.addf {{.*}} : vector<16xf32>
// CHECK:   arith.maximumf {{.*}} : vector<16xf32>
func.func @elementwise(%x: tensor<3x64xf32>, %y: tensor<64xf32>) -> tensor<3x64xf32> {
  %0 = nn.add %x, %y : (tensor<3x64xf32>, tensor<64xf32>) -> tensor<3x64xf32>
  %1 = nn.relu %0 : tensor<3x64xf32>
  return %1 : tensor<3x64xf32>
}


// An elementwise op that feeds a contraction's input is a root of its own,
// computed once: fused into the contraction's tiles it would be recomputed
// by every tile of output features (here erf's polynomial, with its
// selects, would appear inside the register-block loop).
// CHECK-LABEL: func.func @gelu_linear
// CHECK: scf.forall (%{{.+}}, %{{.+}}) = (0, 0) to (16, 64) step (1, 16)
// CHECK:   arith.select
// CHECK: scf.forall (%{{.+}}, %{{.+}}) = (0, 0) to (64, 32) step (8, 8)
// CHECK: scf.forall (%{{.+}}) = (0) to (16) step (8)
// CHECK-NOT: arith.select
// CHECK:   vector.fma
// CHECK-NOT: arith.select
// CHECK: return
func.func @gelu_linear(%x: tensor<16x64xf32>, %w: tensor<32x64xf32>) -> tensor<16x32xf32> {
  %g = nn.gelu %x : tensor<16x64xf32>
  %y = nn.linear %g, %w : (tensor<16x64xf32>, tensor<32x64xf32>) -> tensor<16x32xf32>
  return %y : tensor<16x32xf32>
}

// A constant weight is packed at compile time into one contiguous panel per
// register block of output features: W [8, 2] (w[n][k] = 2n + k) is the
// linear layer's [K, N] = [2, 8] operand; blocks of 4 features (2 vectors of
// 2 lanes) read panels [N / 4][K][4], panel p holding features 4p .. 4p + 3.
// The tile at feature f0 reads panel f0 floordiv 4 whole.
// PACK-LABEL: func.func @packed_linear
// PACK:  %[[P:.+]] = arith.constant dense<{{\[\[\[}}0.000000e+00, 2.000000e+00, 4.000000e+00, 6.000000e+00], [1.000000e+00, 3.000000e+00, 5.000000e+00, 7.000000e+00]], {{\[\[}}8.000000e+00, 1.000000e+01, 1.200000e+01, 1.400000e+01], [9.000000e+00, 1.100000e+01, 1.300000e+01, 1.500000e+01]]]> : tensor<2x2x4xf32>
// PACK:  scf.forall (%[[F:.+]], %{{.+}}) = (0, 0) to (8, 6) step (4, 1)
// PACK:    %[[I:.+]] = affine.apply #{{.+}}(%[[F]])
// PACK:    tensor.extract_slice %[[P]][%[[I]], 0, 0] [1, 2, 4] [1, 1, 1] : tensor<2x2x4xf32> to tensor<2x4xf32>
func.func @packed_linear(%x: tensor<6x2xf32>) -> tensor<6x8xf32> {
  %w = arith.constant dense<[[0.0, 1.0], [2.0, 3.0], [4.0, 5.0], [6.0, 7.0], [8.0, 9.0], [10.0, 11.0], [12.0, 13.0], [14.0, 15.0]]> : tensor<8x2xf32>
  %0 = nn.linear %x, %w : (tensor<6x2xf32>, tensor<8x2xf32>) -> tensor<6x8xf32>
  return %0 : tensor<6x8xf32>
}

// An NCHW image steps its reductions channels outermost (c, kh, kw), so
// the filter's panels store their rows in that order, [F / 4][C][KH][KW][4]
// (w[f][c][0][kx] = 4f + 2c + kx): each step reads the next row of its
// panel, not rows KW x C apart (the filter's own HWCF order). The
// generic reads the panel through the permuted map.
// PACK-LABEL: func.func @packed_nchw_filter
// PACK:  %[[P:.+]] = arith.constant dense<{{\[\[\[\[\[}}0.000000e+00, 4.000000e+00, 8.000000e+00, 1.200000e+01], [1.000000e+00, 5.000000e+00, 9.000000e+00, 1.300000e+01]]], {{\[\[\[}}2.000000e+00, 6.000000e+00, 1.000000e+01, 1.400000e+01], [3.000000e+00, 7.000000e+00, 1.100000e+01, 1.500000e+01]]]], {{.+}} : tensor<2x2x1x2x4xf32>
// PACK:  scf.forall (%[[F:.+]], %{{.+}}, %{{.+}}, %{{.+}}) = (0, 0, 0, 0) to (8, 1, 3, 3) step (4, 1, 1, 1)
// PACK:    %[[I:.+]] = affine.apply #{{.+}}(%[[F]])
// PACK:    tensor.extract_slice %[[P]][%[[I]], 0, 0, 0, 0] [1, 2, 1, 2, 4] [1, 1, 1, 1, 1] : tensor<2x2x1x2x4xf32> to tensor<2x1x2x4xf32>
func.func @packed_nchw_filter(%x: tensor<1x2x3x4xf32>) -> tensor<1x8x3x3xf32> {
  %w = arith.constant dense<[[[[0.0, 1.0]], [[2.0, 3.0]]], [[[4.0, 5.0]], [[6.0, 7.0]]], [[[8.0, 9.0]], [[10.0, 11.0]]], [[[12.0, 13.0]], [[14.0, 15.0]]], [[[16.0, 17.0]], [[18.0, 19.0]]], [[[20.0, 21.0]], [[22.0, 23.0]]], [[[24.0, 25.0]], [[26.0, 27.0]]], [[[28.0, 29.0]], [[30.0, 31.0]]]]> : tensor<8x2x1x2xf32>
  %0 = nn.conv2d %x, %w layout(nchw) : (tensor<1x2x3x4xf32>, tensor<8x2x1x2xf32>) -> tensor<1x8x3x3xf32>
  return %0 : tensor<1x8x3x3xf32>
}

// A depthwise NCHW convolution's padded image is made one channel at a
// time, inside the channel loop of the convolution's tiles: a fill of the
// plane's border (one band per padded side) and a copy of the channel into
// its interior, right before the stencil reads it (a small buffer in L1/L2,
// not a padded copy of the whole tensor written and read back).
// CHECK-LABEL: func.func @padded_image
// CHECK-NOT: tensor.pad
// CHECK-NOT: tensor<1x4x10x34xf32>
// CHECK: scf.forall (%[[C:.+]]) in (4) shared_outs(%{{.+}}) -> (tensor<1x4x8x32xf32>)
// CHECK:   %[[X:.+]] = tensor.extract_slice %arg0[0, %[[C]], 0, 0] [1, 1, 8, 32]
// CHECK:   bufferization.alloc_tensor() : tensor<1x1x10x34xf32>
// CHECK:   tensor.insert_slice %{{.+}} into %{{.+}}[0, 0, 0, 0] [1, 1, 1, 34]
// CHECK:   tensor.insert_slice %{{.+}} into %{{.+}}[0, 0, 9, 0] [1, 1, 1, 34]
// CHECK:   tensor.insert_slice %{{.+}} into %{{.+}}[0, 0, 1, 0] [1, 1, 8, 1]
// CHECK:   %[[FILL:.+]] = tensor.insert_slice %{{.+}} into %{{.+}}[0, 0, 1, 33] [1, 1, 8, 1]
// CHECK:   tensor.insert_slice %[[X]] into %[[FILL]][0, 0, 1, 1] [1, 1, 8, 32] [1, 1, 1, 1]
// Its tap loops (kh, kw) are marked for nn-cpu-hoist-vector-transfers to unroll.
// CHECK:   vector.fma {{.*}} : vector<8x32xf32>
// CHECK:   } {acc.unroll}
// CHECK:   } {acc.unroll}
// CHECK: scf.forall.in_parallel
// CHECK-NOT: tensor.pad
func.func @padded_image(%x: tensor<1x4x8x32xf32>, %w: tensor<4x1x3x3xf32>) -> tensor<1x4x8x32xf32> {
  %0 = nn.conv2d %x, %w layout(nchw) {padding = array<i64: 1, 1, 1, 1>, groups = 4} : (tensor<1x4x8x32xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x8x32xf32>
  return %0 : tensor<1x4x8x32xf32>
}

// Rows that no tile divides (197 tokens, a prime): every 8-row tile runs at
// its static bound on a slice of the input padded once, before the tile
// loop, to 197 + 8 - 1 rows; no tile copies its row panel.
// CHECK-LABEL: func.func @partial_rows
// CHECK: %[[IMG:.+]] = bufferization.alloc_tensor() : tensor<204x64xf32>
// CHECK: %[[B:.+]] = tensor.extract_slice %[[IMG]][197, 0] [7, 64] [1, 1]
// CHECK: %[[Z:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%[[B]] : tensor<7x64xf32>)
// CHECK: %[[F:.+]] = tensor.insert_slice %[[Z]] into %[[IMG]][197, 0] [7, 64] [1, 1]
// CHECK: %[[XP:.+]] = tensor.insert_slice %arg0 into %[[F]][0, 0] [197, 64] [1, 1] : tensor<197x64xf32> into tensor<204x64xf32>
// CHECK: scf.forall (%[[I:.+]], %{{.+}}) = (0, 0) to (197, 64) step (8, 32)
// CHECK:   tensor.extract_slice %[[XP]][%[[I]], 0] [8, 64] [1, 1] : tensor<204x64xf32> to tensor<8x64xf32>
func.func @partial_rows(%x: tensor<197x64xf32>, %w: tensor<64x64xf32>, %b: tensor<64xf32>) -> tensor<197x64xf32> {
  %0 = nn.linear %x, %w bias(%b) : (tensor<197x64xf32>, tensor<64x64xf32>, tensor<64xf32>) -> tensor<197x64xf32>
  %1 = nn.gelu %0 : tensor<197x64xf32>
  return %1 : tensor<197x64xf32>
}

// The padded rows' producer, when elementwise (a GELU here, a layer
// norm or a residual add in a transformer), computes straight into the
// padded operand: no copy of the activation before the tile loop.
// CHECK-LABEL: func.func @partial_rows_in_place
// CHECK: %[[IMG:.+]] = bufferization.alloc_tensor() : tensor<204x64xf32>
// CHECK: %[[B:.+]] = tensor.extract_slice %[[IMG]][197, 0] [7, 64] [1, 1]
// CHECK: %[[Z:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%[[B]] : tensor<7x64xf32>)
// CHECK: %[[F:.+]] = tensor.insert_slice %[[Z]] into %[[IMG]][197, 0] [7, 64] [1, 1]
// CHECK: %[[IN:.+]] = tensor.extract_slice %[[F]][0, 0] [197, 64] [1, 1]
// CHECK: %[[G:.+]] = scf.forall ({{.+}}) shared_outs(%{{.+}} = %[[IN]]) -> (tensor<197x64xf32>)
// CHECK: %[[XP:.+]] = tensor.insert_slice %[[G]] into %[[F]][0, 0] [197, 64] [1, 1]
// CHECK: scf.forall (%[[I:.+]], %{{.+}}) = (0, 0) to (197, 64) step (8, 32)
// CHECK:   tensor.extract_slice %[[XP]][%[[I]], 0] [8, 64] [1, 1] : tensor<204x64xf32> to tensor<8x64xf32>
func.func @partial_rows_in_place(%x: tensor<197x64xf32>, %w: tensor<64x64xf32>) -> tensor<197x64xf32> {
  %0 = nn.gelu %x : tensor<197x64xf32>
  %1 = nn.linear %0, %w : (tensor<197x64xf32>, tensor<64x64xf32>) -> tensor<197x64xf32>
  return %1 : tensor<197x64xf32>
}

// An NCHW convolution computes in NHWC, but reads its NCHW image as it
// is: the image is padded in NCHW (a copy of whole rows into the padded
// image's interior) and the register block broadcasts 8 contiguous pixels
// of a channel per step (no transpose of the image). Its output transpose
// takes the convolution into its tiles: each 8 x 16 block goes out
// transposed, and no NHWC result exists.
// CHECK-LABEL: func.func @padded_nchw_conv
// CHECK-NOT: linalg.transpose
// CHECK: bufferization.alloc_tensor() : tensor<1x16x10x10xf32>
// CHECK: %[[FILL:.+]] = tensor.insert_slice %{{.+}} into %{{.+}}[0, 0, 1, 9] [1, 16, 8, 1]
// CHECK: %[[IN:.+]] = tensor.extract_slice %[[FILL]][0, 0, 1, 1] [1, 16, 8, 8] [1, 1, 1, 1]
// CHECK: %[[COPY:.+]] = scf.forall (%{{.+}}) in (16) shared_outs(%{{.+}} = %[[IN]]) -> (tensor<1x16x8x8xf32>)
// CHECK: %[[IMG:.+]] = tensor.insert_slice %[[COPY]] into %[[FILL]][0, 0, 1, 1] [1, 16, 8, 8] [1, 1, 1, 1]
// CHECK: scf.forall (%[[Y:.+]]) in (8) shared_outs(%{{.+}}) -> (tensor<1x16x8x8xf32>)
// CHECK:   tensor.extract_slice %[[IMG]][0, 0, %[[Y]], 0] [1, 16, 3, 10]
// CHECK-NOT: acc.unroll
// CHECK:   vector.fma {{.*}} : vector<8x16xf32>
// CHECK-NOT: acc.unroll
// CHECK:   vector.transfer_read {{.*}} : tensor<1x1x8x16xf32>, vector<1x16x1x8xf32>
// CHECK-NOT: linalg.transpose
// CHECK: return
func.func @padded_nchw_conv(%x: tensor<1x16x8x8xf32>, %w: tensor<16x16x3x3xf32>) -> tensor<1x16x8x8xf32> {
  %0 = nn.conv2d %x, %w layout(nchw) {padding = array<i64: 1, 1, 1, 1>} : (tensor<1x16x8x8xf32>, tensor<16x16x3x3xf32>) -> tensor<1x16x8x8xf32>
  return %0 : tensor<1x16x8x8xf32>
}

// A ReLU that feeds a padded convolution computes straight into the
// interior of the padded image (a `bufferization.alloc_tensor` per image:
// equal tensor.empty fills would be CSE'd into one image that every layer
// copies). Its later reader (the residual add) reads the image, so that
// bufferization keeps the ReLU in place instead of computing it into a
// copy that is copied in.
// CHECK-LABEL: func.func @residual_into_image
// CHECK: %[[IMG:.+]] = bufferization.alloc_tensor() : tensor<1x10x10x32xf32>
// CHECK: %[[FILL:.+]] = tensor.insert_slice %{{.+}} into %{{.+}}[0, 1, 9, 0] [1, 8, 1, 32]
// CHECK: %[[IN:.+]] = tensor.extract_slice %[[FILL]][0, 1, 1, 0] [1, 8, 8, 32] [1, 1, 1, 1]
// CHECK: %[[R:.+]] = scf.forall ({{.+}}) shared_outs(%{{.+}} = %[[IN]]) -> (tensor<1x8x8x32xf32>)
// CHECK:   arith.maximumf
// CHECK: %[[P:.+]] = tensor.insert_slice %[[R]] into %[[FILL]][0, 1, 1, 0] [1, 8, 8, 32] [1, 1, 1, 1]
// CHECK: scf.forall (%[[Y:.+]]) in (8)
// CHECK:   tensor.extract_slice %[[P]][0, %[[Y]], 0, 0] [1, 3, 10, 32]
// CHECK:   %[[Y1:.+]] = affine.apply #{{.+}}(%[[Y]])
// CHECK:   tensor.extract_slice %[[P]][0, %[[Y1]], 1, 0] [1, 1, 8, 32] [1, 1, 1, 1]
// CHECK-NOT: tensor.extract_slice %[[R]]
// CHECK: return
func.func @residual_into_image(%x: tensor<1x10x10x32xf32>, %w1: tensor<3x3x32x32xf32>, %w2: tensor<3x3x32x32xf32>) -> tensor<1x8x8x32xf32> {
  %0 = nn.conv2d %x, %w1 layout(nhwc) : (tensor<1x10x10x32xf32>, tensor<3x3x32x32xf32>) -> tensor<1x8x8x32xf32>
  %1 = nn.relu %0 : tensor<1x8x8x32xf32>
  %2 = nn.conv2d %1, %w2 layout(nhwc) {padding = array<i64: 1, 1, 1, 1>} : (tensor<1x8x8x32xf32>, tensor<3x3x32x32xf32>) -> tensor<1x8x8x32xf32>
  %3 = nn.add %2, %1 : (tensor<1x8x8x32xf32>, tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32>
  return %3 : tensor<1x8x8x32xf32>
}

// An NCHW convolution's output transpose takes its epilogue (bias, ReLU)
// and the convolution itself into its tiles: each 8 x 32 register block
// goes out transposed, straight into the NCHW result (no NHWC result and
// no transpose pass of its own).
// NCHW-LABEL: func.func @conv_out_nchw
// NCHW: scf.forall (%{{.+}}) in (8) shared_outs(%{{.+}}) -> (tensor<1x32x8x8xf32>)
// NCHW:   vector.fma %{{.+}}, %{{.+}}, %{{.+}} : vector<8x32xf32>
// NCHW:   arith.maximumf %{{.+}}, %{{.+}} : vector<8x32xf32>
// NCHW:   vector.transfer_read {{.*}} : tensor<1x1x8x32xf32>, vector<1x32x1x8xf32>
// NCHW:   vector.transfer_write {{.*}} : vector<1x32x1x8xf32>, tensor<1x32x1x8xf32>
// NCHW-NOT: linalg.transpose
// NCHW: return
func.func @conv_out_nchw(%x: tensor<1x16x8x8xf32>, %w: tensor<32x16x3x3xf32>, %b: tensor<32xf32>) -> tensor<1x32x8x8xf32> {
  %0 = nn.conv2d %x, %w bias(%b) layout(nchw) {padding = array<i64: 1, 1, 1, 1>} : (tensor<1x16x8x8xf32>, tensor<32x16x3x3xf32>, tensor<32xf32>) -> tensor<1x32x8x8xf32>
  %1 = nn.relu %0 : tensor<1x32x8x8xf32>
  return %1 : tensor<1x32x8x8xf32>
}

// A depthwise convolution between NCHW tensors whose rows are no multiple
// of 16 computes in NHWC, one block of 16 channels at a time, and its rows
// in two bands (2 blocks are too few for the threads): each (block, band)
// makes its own padded NHWC image (its rows and their halo, 10 x 12 x 16)
// right before its stencil reads it: the halo rows above (zero for the
// first band) and below, the side columns, then the input's rows
// transposed into the interior. The row counts are dynamic (the bands
// clip at the image's edges); no empty-slice guard remains.
// NCHW-LABEL: func.func @depthwise_nchw_bands
// NCHW-NOT: tensor.pad
// NCHW: scf.forall (%[[C:.+]], %[[H:.+]]) = (0, 0) to (32, 16) step (16, 8) shared_outs(%{{.+}}) -> (tensor<1x32x16x10xf32>)
// NCHW-NOT: scf.if
// NCHW:   %[[X:.+]] = tensor.extract_slice %arg0[0, %[[C]], %{{.+}}, 0] [1, 16, %[[ROWS:.+]], 10]
// NCHW:   bufferization.alloc_tensor() : tensor<1x10x12x16xf32>
// NCHW:   scf.forall (%{{.+}}) in (%{{.+}}) {{.*}} -> (tensor<1x?x12x16xf32>)
// NCHW:   scf.forall (%{{.+}}) in (%{{.+}}) {{.*}} -> (tensor<1x?x12x16xf32>)
// NCHW:   scf.forall (%{{.+}}) in (%[[ROWS]]) {{.*}} -> (tensor<1x?x1x16xf32>)
// NCHW:   scf.forall (%{{.+}}) in (%[[ROWS]]) {{.*}} -> (tensor<1x?x1x16xf32>)
// NCHW:   scf.forall (%{{.+}}, %{{.+}}, %{{.+}}) = (0, 0, 0) to (%[[ROWS]], 10, 16) step (1, 5, 8)
// NCHW:     vector.transfer_read %{{.+}} : tensor<1x8x1x5xf32>, vector<1x1x5x8xf32>
// NCHW:   scf.forall (%{{.+}}, %{{.+}}) = (0, 0) to (8, 10) step (1, 5)
// NCHW:     vector.fma %{{.+}}, %{{.+}}, %{{.+}} : vector<5x16xf32>
// NCHW:     arith.maximumf %{{.+}}, %{{.+}} fastmath<nsz> : vector<5x16xf32>
// NCHW:     vector.transfer_read {{.*}} : tensor<1x1x5x16xf32>, vector<1x16x1x5xf32>
// NCHW-NOT: scf.if
// NCHW-NOT: linalg.transpose
// NCHW: return
func.func @depthwise_nchw_bands(%x: tensor<1x32x16x10xf32>, %w: tensor<32x1x3x3xf32>, %b: tensor<32xf32>) -> tensor<1x32x16x10xf32> {
  %0 = nn.conv2d %x, %w bias(%b) layout(nchw) {padding = array<i64: 1, 1, 1, 1>, groups = 32} : (tensor<1x32x16x10xf32>, tensor<32x1x3x3xf32>, tensor<32xf32>) -> tensor<1x32x16x10xf32>
  %1 = nn.relu %0 : tensor<1x32x16x10xf32>
  return %1 : tensor<1x32x16x10xf32>
}

// The bands' guard depends on the band only: 50 images x 3 blocks x 2
// bands (300 tiles) evaluate it for the 2 bands, and it folds.
// NCHW-LABEL: func.func @depthwise_nchw_bands_batch
// NCHW: scf.forall (%{{.+}}, %{{.+}}, %{{.+}}) = (0, 0, 0) to (50, 96, 16) step (1, 32, 8)
// NCHW-NOT: scf.if
// NCHW: return
func.func @depthwise_nchw_bands_batch(%x: tensor<50x96x16x10xf32>, %w: tensor<96x1x3x3xf32>) -> tensor<50x96x16x10xf32> {
  %0 = nn.conv2d %x, %w layout(nchw) {padding = array<i64: 1, 1, 1, 1>, groups = 96} : (tensor<50x96x16x10xf32>, tensor<96x1x3x3xf32>) -> tensor<50x96x16x10xf32>
  return %0 : tensor<50x96x16x10xf32>
}

// An unpadded NCHW 1x1 convolution reads its image through its indexing
// map (the image's transpose folded in) and writes its output transposed
// from the register blocks: one loop nest, no transposes.
// CHECK-LABEL: func.func @conv1x1_nchw
// CHECK-NOT: linalg.transpose
// CHECK: scf.forall
// CHECK:   tensor.extract_slice %arg0
// CHECK:   vector.fma {{.*}} : vector<8x32xf32>
// CHECK-NOT: linalg.transpose
// CHECK: return
func.func @conv1x1_nchw(%x: tensor<1x16x8x8xf32>, %w: tensor<32x16x1x1xf32>) -> tensor<1x32x8x8xf32> {
  %0 = nn.conv2d %x, %w layout(nchw) : (tensor<1x16x8x8xf32>, tensor<32x16x1x1xf32>) -> tensor<1x32x8x8xf32>
  return %0 : tensor<1x32x8x8xf32>
}

// A layer norm is one parallel loop over its rows: each tile computes its
// row's statistics (the plain reductions, each row reduced whole: results
// independent of the thread count) and normalizes the row, 16 lanes at a
// time, while the row is in L1; not a loop per statistic over the whole
// tensor.
// CHECK-LABEL: func.func @layer_norm_rows
// CHECK: scf.forall (%[[R:.+]]) in (197) shared_outs(%{{.+}}) -> (tensor<1x197x768xf32>)
// CHECK:   tensor.extract_slice %arg0[0, %[[R]], 0] [1, 1, 768] [1, 1, 1]
// CHECK:   linalg.generic {{.*}} iterator_types = ["reduction"]
// CHECK:   linalg.generic {{.*}} iterator_types = ["reduction"]
// CHECK:   math.sqrt %{{.+}} : f32
// CHECK:   scf.for %{{.+}} = %c0 to %c768 step %c16
// CHECK-NOT:   math.sqrt
// CHECK:     arith.subf %{{.+}}, %{{.+}} : vector<16xf32>
// CHECK:     vector.fma %{{.+}} : vector<16xf32>
// CHECK: scf.forall.in_parallel
// CHECK-NOT: scf.forall
// CHECK: return
func.func @layer_norm_rows(%x: tensor<1x197x768xf32>) -> tensor<1x197x768xf32> {
  %g = arith.constant dense<1.5> : tensor<768xf32>
  %b = arith.constant dense<0.5> : tensor<768xf32>
  %0 = nn.layer_norm %x weight(%g) bias(%b) {axis = 2 : i64, epsilon = 9.99999997E-7 : f32} : (tensor<1x197x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<1x197x768xf32>
  return %0 : tensor<1x197x768xf32>
}

// An NHWC convolution steps its reductions in the filter's memory order
// (kh, kw, then the channels innermost): each step reads the next
// contiguous row of the filter and of the image.
// CHECK-LABEL: func.func @nhwc_reduction_order
// CHECK: scf.forall
// CHECK:   scf.for %{{.+}} = %c0 to %c3 step %c1
// CHECK:     scf.for %{{.+}} = %c0 to %c3 step %c1
// CHECK:       scf.for %{{.+}} = %c0 to %c16 step %c1
// CHECK:         vector.fma
func.func @nhwc_reduction_order(%x: tensor<1x10x10x16xf32>, %w: tensor<3x3x16x32xf32>) -> tensor<1x8x8x32xf32> {
  %0 = nn.conv2d %x, %w layout(nhwc) : (tensor<1x10x10x16xf32>, tensor<3x3x16x32xf32>) -> tensor<1x8x8x32xf32>
  return %0 : tensor<1x8x8x32xf32>
}

// A depthwise NHWC convolution steps its blocks of 32 channels outermost:
// each block's window slides over the image with that block's rows and
// taps in L1, where all channels of a window would not fit (56x56x96 7x7:
// 0.175 -> 0.141 ms on one thread).
// CHECK-LABEL: func.func @depthwise_nhwc_channels_outer
// CHECK: scf.forall (%{{.+}}, %{{.+}}, %{{.+}}) = (0, 0, 0) to (64, 12, 16) step (32, 1, 8)
// CHECK:   vector.fma %{{.+}}, %{{.+}}, %{{.+}} : vector<8x32xf32>
// CHECK:   arith.maximumf %{{.+}}, %{{.+}} fastmath<nsz> : vector<8x32xf32>
func.func @depthwise_nhwc_channels_outer(%x: tensor<1x12x16x64xf32>, %w: tensor<3x3x1x64xf32>) -> tensor<1x12x16x64xf32> {
  %0 = nn.conv2d %x, %w layout(nhwc) {padding = array<i64: 1, 1, 1, 1>, groups = 64} : (tensor<1x12x16x64xf32>, tensor<3x3x1x64xf32>) -> tensor<1x12x16x64xf32>
  %1 = nn.relu %0 : tensor<1x12x16x64xf32>
  return %1 : tensor<1x12x16x64xf32>
}

// An NHWC max pool's loops follow its output's memory order (n, oy, ox, c):
// its register block is 8 pixels x 32 channels, channels in the vector
// lanes, read with contiguous loads (not 8-lane vectors of pixels gathered
// at the stride and transposed). Its window loops are marked for unrolling
// (a stride-2 pool's kw = 2 reads what kw = 0 reads for the next pixel).
// CHECK-LABEL: func.func @max_pool_nhwc
// CHECK: scf.forall (%{{.+}}, %{{.+}}) = (0, 0) to (64, 8) step (32, 1)
// CHECK-NOT: permutation_map
// CHECK:   arith.maximumf %{{.+}}, %{{.+}} : vector<8x32xf32>
// CHECK:   } {acc.unroll}
// CHECK:   } {acc.unroll}
// CHECK-NOT: permutation_map
// CHECK: return
func.func @max_pool_nhwc(%x: tensor<1x16x16x64xf32>) -> tensor<1x8x8x64xf32> {
  %0 = nn.max_pool2d %x layout(nhwc) {kernel_size = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : tensor<1x16x16x64xf32> -> tensor<1x8x8x64xf32>
  return %0 : tensor<1x8x8x64xf32>
}

// A softmax over a dynamic number of rows, fed by (not fused with) a linear
// layer: its tiles take one row at a time, so that every tile is static and
// vectorizes (tiled by the linear's 8-row register block, each tile would
// have a dynamic row count and stay scalar, with libm's expf per element).
// CHECK-LABEL: func.func @dynamic_rows_softmax
// CHECK: scf.forall (%{{.+}}, %{{.+}}) = (0, 0) to (%{{.+}}, 64) step (1, 16)
// CHECK:   tensor.extract_slice %{{.+}} [1, 16] [1, 1] : tensor<?x64xf32> to tensor<1x16xf32>
// CHECK:   arith.divf %{{.+}}, %{{.+}} : vector<16xf32>
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @dynamic_rows_softmax(%x: tensor<?x64xf32>, %w: tensor<64x64xf32>) -> tensor<?x64xf32> {
  %y = nn.linear %x, %w : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  %s = nn.softmax %y : tensor<?x64xf32>
  return %s : tensor<?x64xf32>
}

// A reduction to a single value (a one-channel global pool: 2^17 terms) is
// split along its outer reduction loop into 16 partial sums, an scf.forall
// that the thread pool runs, and a merge of the 16: both cores, and the
// same chunks whatever the thread count.
// CHECK-LABEL: func.func @single_row_reduction
// CHECK: %[[PARTS:.+]] = scf.forall (%{{.+}}) = (0) to (256) step (16) shared_outs(%{{.+}}) -> (tensor<1x1x16xf32>)
// CHECK:   linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]} ins(%{{.+}} : tensor<16x512xf32>)
// CHECK: vector.transfer_read %[[PARTS]]
// CHECK: vector.multi_reduction <add>, %{{.+}}, %{{.+}} [2] : vector<1x1x16xf32> to vector<1x1xf32>
func.func @single_row_reduction(%x: tensor<1x256x512x1xf32>) -> tensor<1x1x1x1xf32> {
  %0 = nn.global_avg_pool2d %x layout(nhwc) : tensor<1x256x512x1xf32> -> tensor<1x1x1x1xf32>
  return %0 : tensor<1x1x1x1xf32>
}

// A dynamic number of rows: the input is padded once, before the tile loop,
// to its rows + 7 (the 7 extra rows zeroed), and every 8-row tile reads a
// static slice of it; no tile pads its own rows.
// CHECK-LABEL: func.func @dynamic_rows_linear
// CHECK: %[[N:.+]] = tensor.dim %arg0, %c0
// CHECK: %[[N7:.+]] = arith.addi %[[N]], %c7
// CHECK: %[[IMG:.+]] = bufferization.alloc_tensor(%[[N7]]) : tensor<?x64xf32>
// CHECK: %[[BAND:.+]] = tensor.extract_slice %[[IMG]][%[[N]], 0] [7, 64] [1, 1]
// CHECK: linalg.fill ins(%{{.+}} : f32) outs(%[[BAND]] : tensor<7x64xf32>)
// CHECK: %[[XP:.+]] = tensor.insert_slice %arg0 into %{{.+}}[0, 0] [%[[N]], 64] [1, 1]
// CHECK: scf.forall (%{{.+}}, %[[I:.+]]) = (0, 0) to (64, %{{.+}}) step (32, 8)
// CHECK-NOT: tensor.pad
// CHECK:   tensor.extract_slice %[[XP]][%[[I]], 0] [8, 64] [1, 1] : tensor<?x64xf32> to tensor<8x64xf32>
// CHECK-NOT: tensor.pad
// CHECK: return
func.func @dynamic_rows_linear(%x: tensor<?x64xf32>, %w: tensor<64x64xf32>) -> tensor<?x64xf32> {
  %y = nn.linear %x, %w : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  %g = nn.gelu %y : tensor<?x64xf32>
  return %g : tensor<?x64xf32>
}

// A softmax over a dynamic row length: its row statistics keep a dynamic
// extent and are not vectorized here, but their exp is the same polynomial
// as the vectorized tiles' (FMAs and a shift into the exponent field, no
// libm expf call per element), so LLVM vectorizes those loops. The normalisation's 16-wide
// tiles (the last one partial) run at their static bound: each operand is
// read with a mask (zeros past the row's end), the tile is one vector, and
// the valid part is kept; read through the broadcast row statistics, it
// could not be vectorized with masks.
// CHECK-LABEL: func.func @dynamic_row_length_softmax
// CHECK-NOT: math.exp
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:   math.fma %{{.+}} : f32
// CHECK:   arith.shli %{{.+}} : i32
// CHECK-NOT: math.exp
// CHECK: scf.forall (%{{.+}}, %{{.+}}) = (0, 0) to (64, %{{.+}}) step (1, 16)
// CHECK:   %[[MASK:.+]] = vector.create_mask %c1, %{{.+}} : vector<1x16xi1>
// CHECK:   vector.transfer_read %{{.+}}[%c0, %c0], %{{.+}}, %[[MASK]] {{.*}} : tensor<1x?xf32>, vector<1x16xf32>
// CHECK:   math.fma %{{.+}} : vector<16xf32>
// CHECK:   arith.shli %{{.+}} : vector<16xi32>
// CHECK:   arith.divf %{{.+}}, %{{.+}} : vector<16xf32>
// CHECK-NOT: math.exp
// CHECK: return
func.func @dynamic_row_length_softmax(%x: tensor<64x?xf32>) -> tensor<64x?xf32> {
  %s = nn.softmax %x : tensor<64x?xf32>
  return %s : tensor<64x?xf32>
}

// A sliding window's key-major score block [32 keys, 32 queries]: its row
// max and sum reduce over the outer (key) loop, column reductions, which
// are vectorized whole over a vector of queries (32 rows of 16 lanes,
// beyond the 256-element limit of other ops) instead of left scalar. The
// query block's transpose ([32, 64] -> [64, 32], once per query block) goes
// in 8 x 8 blocks transposed in registers: rows of 32 would each gather a
// strided column element by element.
// CHECK-LABEL: func.func @window_column_reductions
// CHECK: scf.for %{{.+}} = %c0 to %c64 step %c8
// CHECK:   scf.for %{{.+}} = %c0 to %c32 step %c8
// CHECK:     vector.transfer_read %{{.+}} permutation_map = #{{.+}} : tensor<8x8xf32>, vector<8x8xf32>
// CHECK: scf.for %{{.+}} = %c0 to %c32 step %c16
// CHECK:   vector.multi_reduction <maxnumf>, %{{.+}}, %{{.+}} [0] : vector<32x16xf32> to vector<16xf32>
// CHECK: scf.for %{{.+}} = %c0 to %c32 step %c16
// CHECK:   vector.multi_reduction <add>, %{{.+}}, %{{.+}} [0] : vector<32x16xf32> to vector<16xf32>
func.func @window_column_reductions(%q: tensor<1x1x256x64xf32>, %k: tensor<1x1x256x64xf32>, %v: tensor<1x1x256x64xf32>) -> tensor<1x1x256x64xf32> {
  %r = nn.attention %q, %k, %v mask(sliding_window) {window = 64} : (tensor<1x1x256x64xf32>, tensor<1x1x256x64xf32>, tensor<1x1x256x64xf32>) -> tensor<1x1x256x64xf32>
  return %r : tensor<1x1x256x64xf32>
}

// A residual add (+ ReLU) of two convolutions takes the first into its
// tiles (the other, a 1x1 downsample, is tiled on its own first), and the
// tile order follows that one: its 3x3x64x128 weight outweighs its 8x8x64
// image, so the output-channel loop goes outermost. (The order once
// followed the downsample, whose image outweighs its weight: every pixel
// row streamed the whole 3x3 weight.)
// NCHW-LABEL: func.func @residual_of_two_convs
// NCHW: scf.forall (%{{.+}}, %{{.+}}) = (0, 0) to (8, 128) step (1, 32)
// NCHW: scf.forall (%{{.+}}, %{{.+}}) = (0, 0) to (128, 8) step (32, 1)
// NCHW:   vector.fma
// NCHW:   arith.maximumf
func.func @residual_of_two_convs(%x: tensor<1x10x10x64xf32>, %w: tensor<3x3x64x128xf32>, %y: tensor<1x16x16x32xf32>, %wd: tensor<1x1x32x128xf32>) -> tensor<1x8x8x128xf32> {
  %c = nn.conv2d %x, %w layout(nhwc) : (tensor<1x10x10x64xf32>, tensor<3x3x64x128xf32>) -> tensor<1x8x8x128xf32>
  %d = nn.conv2d %y, %wd layout(nhwc) {strides = array<i64: 2, 2>} : (tensor<1x16x16x32xf32>, tensor<1x1x32x128xf32>) -> tensor<1x8x8x128xf32>
  %s = nn.add %c, %d : (tensor<1x8x8x128xf32>, tensor<1x8x8x128xf32>) -> tensor<1x8x8x128xf32>
  %r = nn.relu %s : tensor<1x8x8x128xf32>
  return %r : tensor<1x8x8x128xf32>
}

// A declaration (no body) is left alone (it once crashed the pass).
// CHECK-LABEL: func.func private @declared(tensor<4xf32>)
func.func private @declared(tensor<4xf32>)

// Decoding 16 queries over 1024 keys: key-major blocks of 256 keys, whose
// row max and sum are column reductions of 256 rows, vectorized whole.
// CHECK-LABEL: func.func @decode_column_reductions
// CHECK: vector.multi_reduction <maxnumf>, %{{.+}}, %{{.+}} [0] : vector<256x16xf32> to vector<16xf32>
// CHECK: vector.multi_reduction <add>, %{{.+}}, %{{.+}} [0] : vector<256x16xf32> to vector<16xf32>
func.func @decode_column_reductions(%q: tensor<1x2x16x64xf32>, %k: tensor<1x2x1024x64xf32>, %v: tensor<1x2x1024x64xf32>) -> tensor<1x2x16x64xf32> {
  %0 = nn.attention %q, %k, %v : (tensor<1x2x16x64xf32>, tensor<1x2x1024x64xf32>, tensor<1x2x1024x64xf32>) -> tensor<1x2x16x64xf32>
  return %0 : tensor<1x2x16x64xf32>
}
