// RUN: acc-opt %s -nn-lower-to-linalg -canonicalize -nn-fuse-elementwise | FileCheck %s

// gelu -> linear: the activation is not fused into the contraction (it
// would be recomputed once per reduction step); bias-add -> relu fuse into
// one elementwise op.
// CHECK-LABEL: func.func @gelu_linear
// CHECK: %[[G:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK:   math.erf
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]{{.*}} ins(%{{.+}}, %{{.+}} : tensor<8x32xf32>, tensor<32x16xf32>)
// CHECK-NOT: math.erf
// CHECK: return
func.func @gelu_linear(%x: tensor<8x32xf32>, %w: tensor<16x32xf32>) -> tensor<8x16xf32> {
  %g = nn.gelu %x : tensor<8x32xf32>
  %y = nn.linear %g, %w : (tensor<8x32xf32>, tensor<16x32xf32>) -> tensor<8x16xf32>
  return %y : tensor<8x16xf32>
}

// CHECK-LABEL: func.func @add_relu
// CHECK: linalg.generic
// CHECK:   arith.addf
// CHECK:   arith.maximumf
// CHECK-NOT: linalg.generic
func.func @add_relu(%x: tensor<8x32xf32>, %y: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %s = nn.add %x, %y : (tensor<8x32xf32>, tensor<8x32xf32>) -> tensor<8x32xf32>
  %r = nn.relu %s : tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}
