// RUN: acc-opt %s -nn-cpu-parallelize -split-input-file -verify-diagnostics | FileCheck %s

// The outermost scf.forall becomes a call of the runtime's thread pool. The
// body is outlined into @scale_par(ctx, begin, end), which delinearises each
// iteration (the last dimension fastest) and reads the captured memrefs from
// the context struct; constants are rematerialised, not passed. The stack
// buffer at the top of the forall body is allocated once per chunk.
// CHECK-LABEL: func.func @scale
// CHECK-SAME: (%[[IN:.+]]: memref<6x32xf32>, %[[OUT:.+]]: memref<6x32xf32>)
// CHECK: %[[CTX:.+]] = llvm.alloca %{{.+}} x !llvm.struct<(struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>, struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>)>
// CHECK: %[[D0:.+]] = builtin.unrealized_conversion_cast %[[IN]] : memref<6x32xf32> to !llvm.struct
// CHECK: %[[F0:.+]] = llvm.getelementptr %[[CTX]][0, 0]
// CHECK: llvm.store %[[D0]], %[[F0]]
// CHECK: %[[D1:.+]] = builtin.unrealized_conversion_cast %[[OUT]]
// CHECK: %[[F1:.+]] = llvm.getelementptr %[[CTX]][0, 1]
// CHECK: llvm.store %[[D1]], %[[F1]]
// 3 x 2 iterations:
// CHECK: %[[N:.+]] = arith.index_cast %{{.+}} : index to i64
// CHECK: %[[FN:.+]] = constant @scale_par : (!llvm.ptr, i64, i64) -> ()
// CHECK: call @acc_rt_parallel_for(%[[FN]], %[[CTX]], %[[N]])
// CHECK-NOT: scf.forall
// CHECK: return

// CHECK-LABEL: func.func private @scale_par
// CHECK-SAME: (%[[C:.+]]: !llvm.ptr, %[[BEGIN:.+]]: i64, %[[END:.+]]: i64)
// CHECK: arith.constant 2.0
// CHECK: %[[L0:.+]] = llvm.load %{{.+}} : !llvm.ptr -> !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>
// CHECK: %[[M0:.+]] = builtin.unrealized_conversion_cast %[[L0]] {{.*}} to memref<6x32xf32>
// CHECK: %[[BUF:.+]] = memref.alloca() : memref<16xf32>
// CHECK: %[[B:.+]] = arith.index_cast %[[BEGIN]] : i64 to index
// CHECK: %[[E:.+]] = arith.index_cast %[[END]] : i64 to index
// CHECK: scf.for %[[L:.+]] = %[[B]] to %[[E]] step
// CHECK:   %[[J:.+]] = arith.remui %[[L]], %[[C2:.+]] : index
// CHECK:   %[[I:.+]] = arith.divui %[[L]], %[[C2]] : index
// CHECK:   memref.subview %[[M0]]
// CHECK-NOT: memref.alloca
// CHECK: return

// CHECK: func.func private @acc_rt_parallel_for((!llvm.ptr, i64, i64) -> (), !llvm.ptr, i64)
func.func @scale(%in: memref<6x32xf32>, %out: memref<6x32xf32>) {
  %c2 = arith.constant 2.0 : f32
  scf.forall (%i, %j) = (0, 0) to (6, 32) step (2, 16) {
    %buf = memref.alloca() : memref<16xf32>
    %a = memref.subview %in[%i, %j] [1, 16] [1, 1] : memref<6x32xf32> to memref<16xf32, strided<[1], offset: ?>>
    %b = memref.subview %out[%i, %j] [1, 16] [1, 1] : memref<6x32xf32> to memref<16xf32, strided<[1], offset: ?>>
    linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
        ins(%a : memref<16xf32, strided<[1], offset: ?>>) outs(%buf : memref<16xf32>) {
    ^bb0(%x: f32, %y: f32):
      %m = arith.mulf %x, %c2 : f32
      linalg.yield %m : f32
    }
    memref.copy %buf, %b : memref<16xf32> to memref<16xf32, strided<[1], offset: ?>>
  }
  return
}

// -----

// Dynamic bounds: the trip count is computed at run time (and again in the
// body, from the passed bound), and an inner forall becomes scf.for.
// CHECK-LABEL: func.func @dynamic
// CHECK: %[[T:.+]] = arith.ceildivsi
// CHECK: call @acc_rt_parallel_for
// CHECK-LABEL: func.func private @dynamic_par
// CHECK: llvm.load %{{.+}} : !llvm.ptr -> i64
// CHECK: arith.ceildivsi
// CHECK: scf.for
// CHECK:   scf.for
// CHECK-NOT: scf.forall
func.func @dynamic(%out: memref<?x4xf32>, %n: index) {
  %cst = arith.constant 0.0 : f32
  scf.forall (%i) = (0) to (%n) step (8) {
    scf.forall (%j) in (4) {
      memref.store %cst, %out[%i, %j] : memref<?x4xf32>
    }
  }
  return
}

// -----

// A single iteration is not worth a thread: it stays a sequential loop.
// CHECK-LABEL: func.func @single
// CHECK-NOT: acc_rt_parallel_for
// CHECK: scf.for
func.func @single(%out: memref<4xf32>) {
  %cst = arith.constant 0.0 : f32
  scf.forall (%i) = (0) to (4) step (4) {
    memref.store %cst, %out[%i] : memref<4xf32>
  }
  return
}

// -----

// Before bufferization the pass has nothing to outline.
func.func @tensors(%t: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{has tensor results: nn-cpu-parallelize runs after bufferization}}
  %r = scf.forall (%i) in (4) shared_outs(%o = %t) -> (tensor<4xf32>) {
    %s = tensor.extract_slice %t[%i] [1] [1] : tensor<4xf32> to tensor<1xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %s into %o[%i] [1] [1] : tensor<1xf32> into tensor<4xf32>
    }
  }
  return %r : tensor<4xf32>
}

// -----

// Nor a nested one (turning it into sequential loops crashed on its tensor
// results).
func.func @nested_tensors(%t: tensor<4x4xf32>, %out: memref<4x4xf32>) {
  scf.forall (%j) in (4) {
    // expected-error @+1 {{has tensor results: nn-cpu-parallelize runs after bufferization}}
    %n = scf.forall (%i) in (4) shared_outs(%o = %t) -> (tensor<4x4xf32>) {
      %s = tensor.extract_slice %t[%i, 0] [1, 4] [1, 1] : tensor<4x4xf32> to tensor<1x4xf32>
      scf.forall.in_parallel {
        tensor.parallel_insert_slice %s into %o[%i, 0] [1, 4] [1, 1] : tensor<1x4xf32> into tensor<4x4xf32>
      }
    }
    %v = tensor.extract %n[%j, %j] : tensor<4x4xf32>
    memref.store %v, %out[%j, %j] : memref<4x4xf32>
  }
  return
}
