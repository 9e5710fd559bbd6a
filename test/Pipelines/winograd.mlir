// RUN: acc-opt %s --nn-cpu-pipeline=stop-after=buffers --mlir-elide-elementsattrs-if-larger=16 | FileCheck %s
// RUN: acc-opt %s --nn-cpu-pipeline="stop-after=buffers winograd-max-filter-bytes=0" | FileCheck %s --check-prefix=OFF

// A Winograd convolution through the whole pipeline: the transformed filter
// is a constant global, the input transform, the 36 GEMMs and the output
// transform are three parallel loops over two buffers (V and M), and
// nothing is copied.
// CHECK: memref.global "private" constant @{{.+}} : memref<36x1x16x16xf32>
// CHECK-LABEL: func.func @winograd
// CHECK-NOT: memref.copy
// CHECK: memref.alloc() {{.*}} : memref<36x4x16xf32>
// CHECK: scf.forall
// CHECK: memref.alloc() {{.*}} : memref<36x1x4x16xf32>
// CHECK: scf.forall
// CHECK: vector.fma {{.*}} : vector<4x16xf32>
// CHECK: scf.forall
// CHECK-NOT: memref.copy
// CHECK: return
// The pipeline option winograd-max-filter-bytes=0 keeps it direct.
// OFF-LABEL: func.func @winograd
// OFF-NOT: memref<36x
func.func @winograd(%x: tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32> {
  %w = arith.constant dense<0.5> : tensor<16x16x3x3xf32>
  %0 = nn.conv2d %x, %w layout(nchw) {padding = array<i64: 1, 1, 1, 1>} : (tensor<1x16x8x8xf32>, tensor<16x16x3x3xf32>) -> tensor<1x16x8x8xf32>
  return %0 : tensor<1x16x8x8xf32>
}

// A batch norm with constant statistics folds into the convolution (nn's
// canonicalization runs before lowering), so the residual add and ReLU
// after it still fuse into the output transform: the GEMM is the only
// generic left.
// RUN: acc-opt %s --nn-cpu-pipeline=stop-after=buffers --mlir-print-ir-after=nn-lower-to-linalg --mlir-elide-elementsattrs-if-larger=16 -o /dev/null 2>&1 | FileCheck %s --check-prefix=BN
// BN-LABEL: func.func @winograd_bn_block
// BN-NOT: nn.
// BN: linalg.generic
// BN-NOT: linalg.generic
// BN: arith.maximumf {{.*}} : vector<16xf32>
// BN-NOT: linalg.generic
// BN: return
func.func @winograd_bn_block(%x: tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32> {
  %w = arith.constant dense<0.5> : tensor<16x16x3x3xf32>
  %g = arith.constant dense<1.5> : tensor<16xf32>
  %b = arith.constant dense<0.25> : tensor<16xf32>
  %m = arith.constant dense<0.1> : tensor<16xf32>
  %v = arith.constant dense<2.0> : tensor<16xf32>
  %0 = nn.conv2d %x, %w layout(nchw) {padding = array<i64: 1, 1, 1, 1>} : (tensor<1x16x8x8xf32>, tensor<16x16x3x3xf32>) -> tensor<1x16x8x8xf32>
  %1 = nn.batch_norm %0, %g, %b, %m, %v layout(nchw) : (tensor<1x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<1x16x8x8xf32>
  %2 = nn.add %1, %x : (tensor<1x16x8x8xf32>, tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32>
  %3 = nn.relu %2 : tensor<1x16x8x8xf32>
  return %3 : tensor<1x16x8x8xf32>
}
