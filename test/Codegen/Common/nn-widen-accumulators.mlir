// RUN: acc-opt %s -nn-widen-accumulators -split-input-file | FileCheck %s

// A sum (here ONNX ReduceSum's linalg.reduce) accumulates in f64: the
// fill is widened, each term extended, the result rounded back once.
// CHECK-LABEL: func.func @reduce_sum
// CHECK: %[[Z:.+]] = arith.extf %{{.+}} : f32 to f64
// CHECK: %[[INIT:.+]] = linalg.fill ins(%[[Z]] : f64) outs(%{{.+}} : tensor<4xf64>)
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%arg0 : tensor<4x100000xf32>) outs(%[[INIT]] : tensor<4xf64>)
// CHECK:   %[[T:.+]] = arith.extf %{{.+}} : f32 to f64
// CHECK:   arith.addf %{{.+}}, %[[T]] fastmath<reassoc> : f64
// CHECK: linalg.generic {{.*}} ins(%[[SUM]] : tensor<4xf64>) outs(%{{.+}} : tensor<4xf32>)
// CHECK:   arith.truncf %{{.+}} : f64 to f32
func.func @reduce_sum(%x: tensor<4x100000xf32>) -> tensor<4xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %r = linalg.reduce ins(%x : tensor<4x100000xf32>) outs(%f : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  return %r : tensor<4xf32>
}

// -----

// A sum of a computed term (a variance: the mean is read without the
// reduction dim) over f16 accumulates in f32; the term itself stays f16.
// CHECK-LABEL: func.func @variance_f16
// CHECK: linalg.generic {{.*}} ins(%arg0, %arg1 : tensor<2x64xf16>, tensor<2xf16>) outs(%{{.+}} : tensor<2xf32>)
// CHECK:   %[[D:.+]] = arith.subf %{{.+}}, %{{.+}} : f16
// CHECK:   %[[SQ:.+]] = arith.mulf %[[D]], %[[D]] : f16
// CHECK:   %[[T:.+]] = arith.extf %[[SQ]] : f16 to f32
// CHECK:   arith.addf %{{.+}}, %[[T]] fastmath<reassoc> : f32
// CHECK: arith.truncf %{{.+}} : f32 to f16
#row = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d0)>
func.func @variance_f16(%x: tensor<2x64xf16>, %m: tensor<2xf16>, %init: tensor<2xf16>) -> tensor<2xf16> {
  %r = linalg.generic {indexing_maps = [#row, #col, #col], iterator_types = ["parallel", "reduction"]} ins(%x, %m : tensor<2x64xf16>, tensor<2xf16>) outs(%init : tensor<2xf16>) {
  ^bb0(%a: f16, %b: f16, %acc: f16):
    %d = arith.subf %a, %b : f16
    %sq = arith.mulf %d, %d : f16
    %s = arith.addf %acc, %sq : f16
    linalg.yield %s : f16
  } -> tensor<2xf16>
  return %r : tensor<2xf16>
}

// -----

// Left alone: a max (no rounding grows with n), a contraction (both inputs
// read along the reduction; its register blocks are vectorized), and f64.
// CHECK-LABEL: func.func @untouched
// CHECK-NOT: arith.extf
// CHECK-NOT: f64
// CHECK: return
#r2 = affine_map<(d0, d1, d2) -> (d0, d2)>
#k2 = affine_map<(d0, d1, d2) -> (d2, d1)>
#o2 = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @untouched(%x: tensor<4x64xf32>, %w: tensor<64x8xf32>, %i: tensor<4xf32>, %o: tensor<4x8xf32>) -> (tensor<4xf32>, tensor<4x8xf32>) {
  %mx = linalg.reduce ins(%x : tensor<4x64xf32>) outs(%i : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.maximumf %in, %acc : f32
      linalg.yield %s : f32
    }
  %mm = linalg.generic {indexing_maps = [#r2, #k2, #o2], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : tensor<4x64xf32>, tensor<64x8xf32>) outs(%o : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  return %mx, %mm : tensor<4xf32>, tensor<4x8xf32>
}
// CHECK-LABEL: func.func @max_stays_named
// CHECK: linalg.reduce
func.func @max_stays_named(%x: tensor<4x64xf32>, %i: tensor<4xf32>) -> tensor<4xf32> {
  %mx = linalg.reduce ins(%x : tensor<4x64xf32>) outs(%i : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.maximumf %in, %acc : f32
      linalg.yield %s : f32
    }
  return %mx : tensor<4xf32>
}

// -----

// A 16-bit contraction accumulates in f32 too, its products formed from the
// extended inputs (no rounding per product).
// CHECK-LABEL: func.func @matmul_bf16
// CHECK: linalg.generic {{.*}} ins(%arg0, %arg1 : tensor<4x64xbf16>, tensor<64x8xbf16>) outs(%{{.+}} : tensor<4x8xf32>)
// CHECK:   %[[A:.+]] = arith.extf %{{.+}} : bf16 to f32
// CHECK:   %[[B:.+]] = arith.extf %{{.+}} : bf16 to f32
// CHECK:   %[[P:.+]] = arith.mulf %[[A]], %[[B]] : f32
// CHECK:   arith.addf %{{.+}}, %[[P]] fastmath<reassoc> : f32
// CHECK: arith.truncf %{{.+}} : f32 to bf16
#r3 = affine_map<(d0, d1, d2) -> (d0, d2)>
#k3 = affine_map<(d0, d1, d2) -> (d2, d1)>
#o3 = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @matmul_bf16(%x: tensor<4x64xbf16>, %w: tensor<64x8xbf16>, %o: tensor<4x8xbf16>) -> tensor<4x8xbf16> {
  %mm = linalg.generic {indexing_maps = [#r3, #k3, #o3], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : tensor<4x64xbf16>, tensor<64x8xbf16>) outs(%o : tensor<4x8xbf16>) {
  ^bb0(%a: bf16, %b: bf16, %acc: bf16):
    %p = arith.mulf %a, %b : bf16
    %s = arith.addf %acc, %p : bf16
    linalg.yield %s : bf16
  } -> tensor<4x8xbf16>
  return %mm : tensor<4x8xbf16>
}
