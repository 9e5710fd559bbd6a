// RUN: acc-opt %s -nn-cpu-prefetch-panels="min-bytes=1024 min-total-bytes=1024 max-tiles-per-panel=8" | FileCheck %s
// RUN: acc-opt %s -nn-cpu-prefetch-panels="min-total-bytes=1024" | FileCheck %s --check-prefix=SMALL
// RUN: acc-opt %s -nn-cpu-prefetch-panels="min-bytes=1024" | FileCheck %s --check-prefix=SMALL
// RUN: acc-opt %s -nn-cpu-prefetch-panels="min-bytes=1024 min-total-bytes=1024 max-tiles-per-panel=16" | FileCheck %s --check-prefix=SHARED

// Each vector read of panel p of a packed weight (inside the reduction
// loop) also prefetches the same position of panel p + 1 (the last panel
// prefetches itself), one prefetch per 64-byte line of the vector: a
// 32-lane f32 read, two lines. Weights under min-bytes (default 1 MiB, in
// cache anyway) are left alone, and so are all reads of a module whose
// constants add up to less than min-total-bytes (default 32 MiB: they stay
// in the last-level cache between calls).
// CHECK-LABEL: func.func @panel_reads
// CHECK: %[[G:.+]] = memref.get_global @panels
// CHECK: scf.forall (%[[P:.+]]) in (4)
// CHECK-DAG: %[[LAST:.+]] = arith.constant 3 : index
// CHECK-DAG: %[[ONE:.+]] = arith.constant 1 : index
// CHECK:   %[[NEXT:.+]] = arith.addi %[[P]], %[[ONE]]
// CHECK:   %[[Q:.+]] = arith.minui %[[NEXT]], %[[LAST]]
// CHECK:   %[[NP:.+]] = memref.subview %[[G]][%[[Q]], 0, 0] [1, 8, 32]
// CHECK:   scf.for %[[K:[a-z0-9_]+]] =
// CHECK:     %[[ROW:.+]] = memref.subview %[[NP]][%[[K]], 0] [1, 32]
// CHECK:     memref.prefetch %[[ROW]][%{{.+}}, %{{.+}}], read, locality<2>, data
// CHECK:     %[[C16:.+]] = arith.constant 16 : index
// CHECK:     %[[I16:.+]] = arith.addi %{{.+}}, %[[C16]]
// CHECK:     memref.prefetch %[[ROW]][%{{.+}}, %[[I16]]], read, locality<2>, data
// CHECK-NOT: memref.prefetch
// CHECK:     vector.transfer_read
// SMALL-LABEL: func.func @panel_reads
// SMALL-NOT: memref.prefetch
memref.global "private" constant @panels : memref<4x8x32xf32> = dense<1.0>
func.func @panel_reads(%out: memref<4x32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %f0 = arith.constant 0.0 : f32
  %zero = arith.constant dense<0.0> : vector<32xf32>
  %g = memref.get_global @panels : memref<4x8x32xf32>
  scf.forall (%p) in (4) {
    %panel = memref.subview %g[%p, 0, 0] [1, 8, 32] [1, 1, 1] : memref<4x8x32xf32> to memref<8x32xf32, strided<[32, 1], offset: ?>>
    %sum = scf.for %k = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> (vector<32xf32>) {
      %row = memref.subview %panel[%k, 0] [1, 32] [1, 1] : memref<8x32xf32, strided<[32, 1], offset: ?>> to memref<1x32xf32, strided<[32, 1], offset: ?>>
      %v = vector.transfer_read %row[%c0, %c0], %f0 {in_bounds = [true]} : memref<1x32xf32, strided<[32, 1], offset: ?>>, vector<32xf32>
      %a = arith.addf %acc, %v : vector<32xf32>
      scf.yield %a : vector<32xf32>
    }
    %o = memref.subview %out[%p, 0] [1, 32] [1, 1] : memref<4x32xf32> to memref<32xf32, strided<[1], offset: ?>>
    vector.transfer_write %sum, %o[%c0] {in_bounds = [true]} : vector<32xf32>, memref<32xf32, strided<[1], offset: ?>>
  }
  return
}

// A panel that many tiles read (16 here, over max-tiles-per-panel = 8) is
// fetched during a small share of its use already: no prefetches.
// CHECK-LABEL: func.func @panel_reused
// CHECK-NOT: memref.prefetch
// CHECK: return
// Under the limit, the 16 tiles of a panel take turns: tile t (its other
// induction variable) prefetches at the reduction steps k with k mod 16 = t.
// SHARED-LABEL: func.func @panel_reused
// SHARED: scf.forall (%{{.+}}, %[[T:.+]]) in (4, 16)
// SHARED:   scf.for %[[K:[a-z0-9_]+]] =
// SHARED:     %[[C16:.+]] = arith.constant 16 : index
// SHARED:     %[[TURN:.+]] = arith.remui %[[K]], %[[C16]]
// SHARED:     %[[MINE:.+]] = arith.cmpi eq, %[[TURN]], %[[T]]
// SHARED:     scf.if %[[MINE]] {
// SHARED-COUNT-2: memref.prefetch
// SHARED:     }
// SHARED:     vector.transfer_read
func.func @panel_reused(%out: memref<4x16x32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %f0 = arith.constant 0.0 : f32
  %zero = arith.constant dense<0.0> : vector<32xf32>
  %g = memref.get_global @panels : memref<4x8x32xf32>
  scf.forall (%p, %t) in (4, 16) {
    %panel = memref.subview %g[%p, 0, 0] [1, 8, 32] [1, 1, 1] : memref<4x8x32xf32> to memref<8x32xf32, strided<[32, 1], offset: ?>>
    %sum = scf.for %k = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> (vector<32xf32>) {
      %row = memref.subview %panel[%k, 0] [1, 32] [1, 1] : memref<8x32xf32, strided<[32, 1], offset: ?>> to memref<1x32xf32, strided<[32, 1], offset: ?>>
      %v = vector.transfer_read %row[%c0, %c0], %f0 {in_bounds = [true]} : memref<1x32xf32, strided<[32, 1], offset: ?>>, vector<32xf32>
      %a = arith.addf %acc, %v : vector<32xf32>
      scf.yield %a : vector<32xf32>
    }
    %o = memref.subview %out[%p, %t, 0] [1, 1, 32] [1, 1, 1] : memref<4x16x32xf32> to memref<32xf32, strided<[1], offset: ?>>
    vector.transfer_write %sum, %o[%c0] {in_bounds = [true]} : vector<32xf32>, memref<32xf32, strided<[1], offset: ?>>
  }
  return
}
