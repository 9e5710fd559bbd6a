// RUN: acc-opt %s -nn-cpu-hoist-vector-transfers | FileCheck %s

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

// A reduction over the outer dimension (a column max: a key-major score
// block's row max) combines whole rows element-wise, in a tree (two levels
// for four rows, then the accumulator); no lanes are crossed.
// CHECK-LABEL: func.func @column_max
// CHECK-NOT: vector.reduction
// CHECK-DAG: %[[R0:.+]] = vector.extract %arg0[0]
// CHECK-DAG: %[[R1:.+]] = vector.extract %arg0[1]
// CHECK-DAG: %[[R2:.+]] = vector.extract %arg0[2]
// CHECK-DAG: %[[R3:.+]] = vector.extract %arg0[3]
// CHECK: %[[A:.+]] = arith.maxnumf %[[R0]], %[[R1]] : vector<16xf32>
// CHECK: %[[B:.+]] = arith.maxnumf %[[R2]], %[[R3]] : vector<16xf32>
// CHECK: %[[C:.+]] = arith.maxnumf %[[A]], %[[B]] : vector<16xf32>
// CHECK: %[[D:.+]] = arith.maxnumf %[[C]], %arg1 : vector<16xf32>
// CHECK: return %[[D]]
func.func @column_max(%v: vector<4x16xf32>, %init: vector<16xf32>) -> vector<16xf32> {
  %r = vector.multi_reduction <maxnumf>, %v, %init [0] : vector<4x16xf32> to vector<16xf32>
  return %r : vector<16xf32>
}

// Loops marked acc.unroll (the tap loops of a depthwise convolution, marked
// by nn-cpu-tile-and-vectorize) are unrolled fully once their accumulator
// is carried in registers: the taps' reads of one image row become the same
// load for LLVM. Unmarked loops stay.
// CHECK-LABEL: func.func @unroll_taps
// CHECK: vector.transfer_read %arg0
// CHECK: scf.for %[[KH:.+]] = {{.*}} iter_args
// CHECK-NOT: scf.for
// CHECK: vector.transfer_read %arg1[%[[KH]], %c0]
// CHECK: vector.fma
// CHECK: vector.transfer_read %arg1[%[[KH]], %c1]
// CHECK: vector.fma
// CHECK-NOT: vector.fma
// CHECK: scf.yield
func.func @unroll_taps(%acc: memref<16xf32>, %x: memref<8x18xf32>, %w: memref<3x3xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %pad = arith.constant 0.0 : f32
  scf.for %kh = %c0 to %c3 step %c1 {
    scf.for %kw = %c0 to %c2 step %c1 {
      %a = vector.transfer_read %acc[%c0], %pad {in_bounds = [true]} : memref<16xf32>, vector<16xf32>
      %b = vector.transfer_read %x[%kh, %kw], %pad {in_bounds = [true]} : memref<8x18xf32>, vector<16xf32>
      %s = memref.load %w[%kh, %kw] : memref<3x3xf32>
      %v = vector.broadcast %s : f32 to vector<16xf32>
      %f = vector.fma %b, %v, %a : vector<16xf32>
      vector.transfer_write %f, %acc[%c0] {in_bounds = [true]} : vector<16xf32>, memref<16xf32>
    } {acc.unroll}
  }
  return
}
