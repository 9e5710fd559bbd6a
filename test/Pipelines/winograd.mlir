// RUN: acc-opt %s --nn-cpu-pipeline=lower-to-llvm=false --mlir-elide-elementsattrs-if-larger=16 | FileCheck %s
// RUN: acc-opt %s --nn-cpu-pipeline="lower-to-llvm=false winograd-max-filter-bytes=0" | FileCheck %s --check-prefix=OFF

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
