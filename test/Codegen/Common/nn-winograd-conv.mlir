// RUN: acc-opt %s -nn-winograd-conv -nn-lower-to-linalg -canonicalize -cse -split-input-file --mlir-elide-elementsattrs-if-larger=16 | FileCheck %s
// RUN: acc-opt %s -nn-winograd-conv=max-filter-bytes=0 -nn-lower-to-linalg -split-input-file | FileCheck %s --check-prefix=OFF
// RUN: acc-opt %s -nn-winograd-conv=max-filter-bytes=300000 -nn-lower-to-linalg -canonicalize -split-input-file --mlir-elide-elementsattrs-if-larger=16 | FileCheck %s --check-prefix=SMALL

// Winograd F(4x4, 3x3) for a 3x3 stride-1 convolution with a constant
// filter and an output that is a multiple of 4: the filter transformed at
// compile time into 36 panels-of-32 GEMM operands, the input (NCHW: in NHWC
// after a transpose) into V[36][tiles][C] by one forall of vector ops (36
// reads, the transform, 36 writes per tile and channel vector; the padding
// is not materialised: reads outside the image are clamped and zeroed), the
// 36 GEMMs one generic, the output transform and the bias (16 writes per
// tile) one forall, transposed back to NCHW.
// CHECK-LABEL: func.func @winograd_f4
// CHECK-DAG: %[[U:.+]] = arith.constant dense_resource<__elided__> : tensor<36x1x16x32xf32>
// CHECK: %[[T:.+]] = linalg.transpose ins(%{{.+}} : tensor<1x16x8x8xf32>) {{.*}} permutation = [0, 2, 3, 1]
// CHECK-NOT: tensor.pad
// CHECK: %[[V:.+]] = scf.forall (%{{.+}}) in (2) shared_outs(%{{.+}} = %{{.+}}) -> (tensor<36x4x16xf32>)
// CHECK: scf.for
// CHECK-COUNT-36: vector.transfer_read %[[T]]
// CHECK: arith.select
// CHECK: vector.fma
// CHECK-COUNT-36: vector.transfer_write
// CHECK: tensor.parallel_insert_slice
// CHECK: %[[Z:.+]] = linalg.fill {{.*}} -> tensor<36x1x4x32xf32>
// CHECK: %[[M:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[V]], %[[U]] : tensor<36x4x16xf32>, tensor<36x1x16x32xf32>) outs(%[[Z]] : tensor<36x1x4x32xf32>)
// CHECK: %[[Y:.+]] = scf.forall (%{{.+}}, %{{.+}}) = (0, 0) to (2, 32) step (1, 16) shared_outs(%{{.+}} = %{{.+}}) -> (tensor<1x8x8x32xf32>)
// CHECK: vector.transfer_read %arg1
// CHECK: scf.for
// CHECK-COUNT-36: vector.transfer_read %[[M]]
// CHECK-COUNT-16: vector.transfer_write
// CHECK: linalg.transpose ins(%[[Y]] : tensor<1x8x8x32xf32>) {{.*}} permutation = [0, 3, 1, 2]
// OFF-LABEL: func.func @winograd_f4
// OFF-NOT: vector.fma
// OFF: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
func.func @winograd_f4(%x: tensor<1x16x8x8xf32>, %b: tensor<32xf32>) -> tensor<1x32x8x8xf32> {
  %w = arith.constant dense<1.0> : tensor<32x16x3x3xf32>
  %0 = nn.conv2d %x, %w bias(%b) layout(nchw) {padding = array<i64: 1, 1, 1, 1>} : (tensor<1x16x8x8xf32>, tensor<32x16x3x3xf32>, tensor<32xf32>) -> tensor<1x32x8x8xf32>
  return %0 : tensor<1x32x8x8xf32>
}

// -----

// An output that is a multiple of 2 but not of 4 (6 x 6): F(2x2, 3x3), 16
// GEMMs over 9 tiles; NHWC needs no transposes. 16 output channels are one
// panel of 16.
// CHECK-LABEL: func.func @winograd_f2
// CHECK-NOT: linalg.transpose
// CHECK-DAG: arith.constant dense_resource<__elided__> : tensor<16x1x16x16xf32>
// CHECK: scf.forall (%{{.+}}) in (3) {{.*}} -> (tensor<16x9x16xf32>)
// CHECK-COUNT-16: vector.transfer_read
// CHECK: linalg.generic {{.*}} outs(%{{.+}} : tensor<16x1x9x16xf32>)
// CHECK: scf.forall (%{{.+}}) in (3) {{.*}} -> (tensor<1x6x6x16xf32>)
// CHECK-COUNT-16: vector.transfer_read
// CHECK-COUNT-4: vector.transfer_write
// CHECK-NOT: linalg.transpose
func.func @winograd_f2(%x: tensor<1x6x6x16xf32>) -> tensor<1x6x6x16xf32> {
  %w = arith.constant dense<1.0> : tensor<3x3x16x16xf32>
  %0 = nn.conv2d %x, %w layout(nhwc) {padding = array<i64: 1, 1, 1, 1>} : (tensor<1x6x6x16xf32>, tensor<3x3x16x16xf32>) -> tensor<1x6x6x16xf32>
  return %0 : tensor<1x6x6x16xf32>
}

// -----

// Convolutions Winograd does not take stay direct (one 7-loop generic):
// a filter passed in (not known at compile time), a stride, channels that
// are not whole 16-lane vectors, an output too small to save multiplies
// (1 x 1: a whole 2 x 2 tile for one output), f16, groups.
// CHECK-LABEL: func.func @direct
// CHECK-NOT: vector.fma
// CHECK-COUNT-6: iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
// CHECK-NOT: vector.fma
func.func @direct(%x: tensor<1x16x8x8xf32>, %wa: tensor<16x16x3x3xf32>, %x7: tensor<1x16x3x3xf32>, %x8: tensor<1x8x8x8xf32>, %xh: tensor<1x16x8x8xf16>) -> (tensor<1x16x8x8xf32>, tensor<1x16x4x4xf32>, tensor<1x16x8x8xf32>, tensor<1x16x1x1xf32>, tensor<1x16x8x8xf16>, tensor<1x16x8x8xf32>) {
  %w = arith.constant dense<1.0> : tensor<16x16x3x3xf32>
  %w8 = arith.constant dense<1.0> : tensor<16x8x3x3xf32>
  %wh = arith.constant dense<1.0> : tensor<16x16x3x3xf16>
  %wg = arith.constant dense<1.0> : tensor<16x8x3x3xf32>
  %0 = nn.conv2d %x, %wa layout(nchw) {padding = array<i64: 1, 1, 1, 1>} : (tensor<1x16x8x8xf32>, tensor<16x16x3x3xf32>) -> tensor<1x16x8x8xf32>
  %1 = nn.conv2d %x, %w layout(nchw) {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x16x8x8xf32>, tensor<16x16x3x3xf32>) -> tensor<1x16x4x4xf32>
  %2 = nn.conv2d %x8, %w8 layout(nchw) {padding = array<i64: 1, 1, 1, 1>} : (tensor<1x8x8x8xf32>, tensor<16x8x3x3xf32>) -> tensor<1x16x8x8xf32>
  %3 = nn.conv2d %x7, %w layout(nchw) : (tensor<1x16x3x3xf32>, tensor<16x16x3x3xf32>) -> tensor<1x16x1x1xf32>
  %4 = nn.conv2d %xh, %wh layout(nchw) {padding = array<i64: 1, 1, 1, 1>} : (tensor<1x16x8x8xf16>, tensor<16x16x3x3xf16>) -> tensor<1x16x8x8xf16>
  %5 = nn.conv2d %x, %wg layout(nchw) {padding = array<i64: 1, 1, 1, 1>, groups = 2} : (tensor<1x16x8x8xf32>, tensor<16x8x3x3xf32>) -> tensor<1x16x8x8xf32>
  return %0, %1, %2, %3, %4, %5 : tensor<1x16x8x8xf32>, tensor<1x16x4x4xf32>, tensor<1x16x8x8xf32>, tensor<1x16x1x1xf32>, tensor<1x16x8x8xf16>, tensor<1x16x8x8xf32>
}

// -----

// A residual add and a ReLU after the convolution (a ResNet block's end)
// are computed in the output transform: no other generic remains. A valid
// convolution (no padding) reads its input without bounds checks.
// CHECK-LABEL: func.func @winograd_residual_relu
// CHECK-NOT: arith.select
// CHECK: linalg.generic
// CHECK: %[[RT:.+]] = linalg.transpose ins(%arg1 : tensor<1x16x8x8xf32>) {{.*}} permutation = [0, 2, 3, 1]
// CHECK: scf.forall
// CHECK-COUNT-36: vector.transfer_read
// CHECK: %[[RV:.+]] = vector.transfer_read %[[RT]]
// CHECK: %[[S:.+]] = arith.addf %{{.+}}, %[[RV]]
// CHECK: %[[Y:.+]] = arith.maximumf %[[S]], %{{.+}} : vector<16xf32>
// CHECK: vector.transfer_write %[[Y]]
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @winograd_residual_relu(%x: tensor<1x16x10x10xf32>, %r: tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32> {
  %w = arith.constant dense<1.0> : tensor<16x16x3x3xf32>
  %0 = nn.conv2d %x, %w layout(nchw) : (tensor<1x16x10x10xf32>, tensor<16x16x3x3xf32>) -> tensor<1x16x8x8xf32>
  %1 = nn.add %0, %r : (tensor<1x16x8x8xf32>, tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32>
  %2 = nn.relu %1 : tensor<1x16x8x8xf32>
  return %2 : tensor<1x16x8x8xf32>
}

// -----

// An output that is no multiple of the tile (7 x 7) is computed rounded up
// to whole 4 x 4 tiles (8 x 8: 3.1x fewer multiplies than direct) and its
// valid part kept; the reads past the image are zeroed.
// CHECK-LABEL: func.func @winograd_partial
// CHECK: scf.forall (%{{.+}}) in (2) {{.*}} -> (tensor<36x4x16xf32>)
// CHECK: arith.select
// CHECK: scf.forall (%{{.+}}) in (2) {{.*}} -> (tensor<1x8x8x16xf32>)
// CHECK: tensor.extract_slice %{{.+}}[0, 0, 0, 0] [1, 7, 7, 16] [1, 1, 1, 1] : tensor<1x8x8x16xf32> to tensor<1x7x7x16xf32>
func.func @winograd_partial(%x: tensor<1x7x7x16xf32>) -> tensor<1x7x7x16xf32> {
  %w = arith.constant dense<1.0> : tensor<3x3x16x16xf32>
  %0 = nn.conv2d %x, %w layout(nhwc) {padding = array<i64: 1, 1, 1, 1>} : (tensor<1x7x7x16xf32>, tensor<3x3x16x16xf32>) -> tensor<1x7x7x16xf32>
  return %0 : tensor<1x7x7x16xf32>
}

// -----

// A transformed filter over the limit (36 x 64 x 64 x 4 bytes = 589824 >
// 300000) and not amortised over its 4 tiles (64 KiB each) takes the
// smaller tile F(2x2, 3x3) (16 x 64 x 64 x 4 = 262144).
// SMALL-LABEL: func.func @winograd_limit
// SMALL: tensor<16x2x64x32xf32>
// SMALL-NOT: tensor<36x
func.func @winograd_limit(%x: tensor<1x8x8x64xf32>) -> tensor<1x8x8x64xf32> {
  %w = arith.constant dense<1.0> : tensor<3x3x64x64xf32>
  %0 = nn.conv2d %x, %w layout(nhwc) {padding = array<i64: 1, 1, 1, 1>} : (tensor<1x8x8x64xf32>, tensor<3x3x64x64xf32>) -> tensor<1x8x8x64xf32>
  return %0 : tensor<1x8x8x64xf32>
}

// -----

// Transformed tiles V and M of more than 256 MiB together (a 1024 x 1024
// image: 36 x 65536 tiles x (16 + 16) channels, 302 MB) would be computed
// whole between the three parts: the convolution stays direct.
// CHECK-LABEL: func.func @too_large
// CHECK-NOT: vector.fma
// CHECK: iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
// CHECK-NOT: vector.fma
func.func @too_large(%x: tensor<1x1024x1024x16xf32>) -> tensor<1x1024x1024x16xf32> {
  %w = arith.constant dense<1.0> : tensor<3x3x16x16xf32>
  %0 = nn.conv2d %x, %w layout(nhwc) {padding = array<i64: 1, 1, 1, 1>} : (tensor<1x1024x1024x16xf32>, tensor<3x3x16x16xf32>) -> tensor<1x1024x1024x16xf32>
  return %0 : tensor<1x1024x1024x16xf32>
}
