// RUN: acc-opt %s -nn-hoist-vector-transfers | FileCheck %s

// The accumulator of a reduction loop is read once before the loop, carried
// in registers, and written once after it.
// CHECK-LABEL: func.func @accumulate
// CHECK: %[[INIT:.+]] = vector.transfer_read %arg0
// CHECK: %[[ACC:.+]] = scf.for {{.*}} iter_args(%[[A:.+]] = %[[INIT]]) -> (vector<16xf32>)
// CHECK-NOT: vector.transfer_write
// CHECK:   arith.addf %[[A]]
// CHECK: vector.transfer_write %[[ACC]], %arg0
func.func @accumulate(%acc: memref<16xf32>, %x: memref<64x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %pad = arith.constant 0.0 : f32
  scf.for %k = %c0 to %c64 step %c1 {
    %a = vector.transfer_read %acc[%c0], %pad {in_bounds = [true]} : memref<16xf32>, vector<16xf32>
    %b = vector.transfer_read %x[%k, %c0], %pad {in_bounds = [true]} : memref<64x16xf32>, vector<16xf32>
    %s = arith.addf %a, %b : vector<16xf32>
    vector.transfer_write %s, %acc[%c0] {in_bounds = [true]} : vector<16xf32>, memref<16xf32>
  }
  return
}

// n-D reductions become 1-D ones that the LLVM conversion understands.
// Float sums may reassociate (LLVM sums the lanes in a tree, not in a chain
// of scalar adds); a max keeps its flags.
// CHECK-LABEL: func.func @row_sums
// CHECK-NOT: vector.multi_reduction
// CHECK: vector.reduction <add>, %{{.+}}, %{{.+}} fastmath<reassoc>
// CHECK-LABEL: func.func @row_max
// CHECK: vector.reduction <maximumf>
// CHECK-NOT: reassoc
func.func @row_sums(%v: vector<2x8xf32>, %init: vector<2xf32>) -> vector<2xf32> {
  %r = vector.multi_reduction <add>, %v, %init [1] : vector<2x8xf32> to vector<2xf32>
  return %r : vector<2xf32>
}

func.func @row_max(%v: vector<2x8xf32>, %init: vector<2xf32>) -> vector<2xf32> {
  %r = vector.multi_reduction <maximumf>, %v, %init [1] : vector<2x8xf32> to vector<2xf32>
  return %r : vector<2xf32>
}
