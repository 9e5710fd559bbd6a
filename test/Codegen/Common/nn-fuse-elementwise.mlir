// RUN: acc-opt %s -nn-winograd-conv -nn-lower-to-linalg -canonicalize -nn-fuse-elementwise | FileCheck %s

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

// linear -> expand_shape (tokens back to an image, as before a global
// pool): the reshape is not folded into the contraction, which keeps its
// three loops (folded, it became a 4-loop generic over 4x4 "pixels" that
// the tiler no longer recognised as a GEMM).
// CHECK-LABEL: func.func @linear_reshape
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]{{.*}} ins(%{{.+}}, %{{.+}} : tensor<16x32xf32>, tensor<32x8xf32>) outs(%{{.+}} : tensor<16x8xf32>)
// CHECK: tensor.expand_shape %{{.+}} {{\[}}[0, 1], [2]] output_shape [4, 4, 8] : tensor<16x8xf32> into tensor<4x4x8xf32>
func.func @linear_reshape(%x: tensor<16x32xf32>, %w: tensor<8x32xf32>) -> tensor<4x4x8xf32> {
  %y = nn.linear %x, %w : (tensor<16x32xf32>, tensor<8x32xf32>) -> tensor<16x8xf32>
  %e = tensor.expand_shape %y [[0, 1], [2]] output_shape [4, 4, 8] : tensor<16x8xf32> into tensor<4x4x8xf32>
  %r = nn.relu %e : tensor<4x4x8xf32>
  return %r : tensor<4x4x8xf32>
}
