// RUN: acc-opt %s -nn-lower-to-linalg -canonicalize -nn-cpu-prepare-tiling -nn-cpu-select-tile-sizes -split-input-file | FileCheck %s
// RUN: acc-opt %s -nn-lower-to-linalg -canonicalize -nn-cpu-prepare-tiling -nn-cpu-select-tile-sizes="vector-width=8 rows=4" -split-input-file | FileCheck %s --check-prefix=AVX2

// The CPU strategy alone: each root of tile-and-fuse gets its lowering
// configuration (nn-cpu-tile-and-vectorize applies it; see
// nn-cpu-tile-and-vectorize-config.mlir for the mechanism alone).

// A linear layer and its ReLU: one register block of 8 rows x two 16-lane
// vectors (with AVX2, 4 x two 8-lane vectors), the weight's columns outermost.
// The weight's transpose (an argument, not a constant) is a root of its
// own, tiled in 8 x 8 blocks.
// CHECK-LABEL: func.func @linear_relu
// CHECK: linalg.transpose {{.*}} {nn.lowering_config = #nn.lowering_config<tile_sizes = [8, 8]>}
// CHECK: linalg.generic {{.*}}nn.lowering_config = #nn.lowering_config<tile_sizes = [8, 32], interchange = [1, 0]>
// AVX2-LABEL: func.func @linear_relu
// AVX2: linalg.generic {{.*}}nn.lowering_config = #nn.lowering_config<tile_sizes = [4, 16], interchange = [1, 0]>
func.func @linear_relu(%x: tensor<64x96xf32>, %w: tensor<128x96xf32>, %b: tensor<128xf32>) -> tensor<64x128xf32> {
  %0 = nn.linear %x, %w bias(%b) : (tensor<64x96xf32>, tensor<128x96xf32>, tensor<128xf32>) -> tensor<64x128xf32>
  %1 = nn.relu %0 : tensor<64x128xf32>
  return %1 : tensor<64x128xf32>
}

// -----

// An NCHW convolution computed in NHWC: the transpose back to NCHW takes
// the convolution and its bias into its tiles, so it carries the
// convolution's register block permuted ([n, c, h, w] <- [n, h, w, c]:
// 32 channels by 8 columns), channels outermost.
// CHECK-LABEL: func.func @conv_nchw
// CHECK: linalg.transpose {{.*}} permutation = [0, 3, 1, 2] {nn.lowering_config = #nn.lowering_config<tile_sizes = [1, 32, 1, 8], interchange = [1, 0, 2, 3]>}
func.func @conv_nchw(%x: tensor<1x16x10x10xf32>, %w: tensor<32x16x3x3xf32>, %b: tensor<32xf32>) -> tensor<1x32x8x8xf32> {
  %y = nn.conv2d %x, %w bias(%b) layout(nchw) {strides = array<i64: 1, 1>} : (tensor<1x16x10x10xf32>, tensor<32x16x3x3xf32>, tensor<32xf32>) -> tensor<1x32x8x8xf32>
  return %y : tensor<1x32x8x8xf32>
}

// -----

// A layer norm: the normalisation reads its row's statistics, so it is
// tiled one row at a time with the row whole (and the statistics computed
// inside the tile).
// The statistics (the mean and variance sums) are fused, no roots: no
// configuration of their own.
// CHECK-LABEL: func.func @layer_norm
// CHECK-NOT: nn.lowering_config
// CHECK: linalg.generic {{.*}}nn.lowering_config = #nn.lowering_config<tile_sizes = [1, 1, 0]>
// CHECK-NOT: nn.lowering_config
// CHECK: return
func.func @layer_norm(%x: tensor<4x50x64xf32>) -> tensor<4x50x64xf32> {
  %0 = nn.layer_norm %x : (tensor<4x50x64xf32>) -> tensor<4x50x64xf32>
  return %0 : tensor<4x50x64xf32>
}

// -----

// A global pool of one 512 x 512 channel: a reduction to one value has no
// parallel loop to tile (tile_sizes empty: the tiling pass splits it into
// chunks instead).
// CHECK-LABEL: func.func @global_pool
// CHECK: linalg.generic {{.*}}"reduction", "reduction"]{{.*}}nn.lowering_config = #nn.lowering_config<tile_sizes = []>
func.func @global_pool(%x: tensor<1x1x512x512xf32>) -> tensor<1x1x1x1xf32> {
  %0 = nn.global_avg_pool2d %x layout(nchw) : tensor<1x1x512x512xf32> -> tensor<1x1x1x1xf32>
  return %0 : tensor<1x1x1x1xf32>
}
