// RUN: acc-opt %s -nn-dynamic-entry -split-input-file -verify-diagnostics | FileCheck %s

// After bufferization: one input, one out-param (nn.abi_inputs = 1), both
// with a dynamic dim. The function becomes a private implementation whose
// copy into the out-param runs only when the dims agree (status 1
// otherwise); the public entry takes pointers plus the dims array.
// CHECK-LABEL: func.func private @f_dynamic_impl(
// CHECK-SAME: %{{.+}}: memref<?x8xf32>, %[[OUT:.+]]: memref<?x8xf32>) -> i32
// CHECK:   %[[SRC:.+]] = memref.alloc
// CHECK:   %[[A:.+]] = memref.dim %[[SRC]], %{{.+}} : memref<?x8xf32>
// CHECK:   %[[B:.+]] = memref.dim %[[OUT]], %{{.+}} : memref<?x8xf32>
// CHECK:   arith.cmpi eq, %[[A]], %[[B]] : index
// CHECK:   scf.if %{{.+}} {
// CHECK:     memref.copy %[[SRC]], %[[OUT]]
// CHECK:   }
// CHECK:   %[[ST:.+]] = arith.select %{{.+}}, %c1_i32, %c0_i32 : i32
// CHECK:   return %[[ST]] : i32
// CHECK-LABEL: func.func @f(
// CHECK-SAME: %{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr, %[[DIMS:.+]]: !llvm.ptr) -> i32 attributes {nn.abi_dims = 2 : i64}
// CHECK:   %[[P0:.+]] = llvm.getelementptr %[[DIMS]][0] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK:   %[[D0:.+]] = llvm.load %[[P0]] : !llvm.ptr -> i64
// CHECK:   builtin.unrealized_conversion_cast %{{.+}} : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)> to memref<?x8xf32>
// CHECK:   %[[P1:.+]] = llvm.getelementptr %[[DIMS]][1] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK:   cf.cond_br %{{.+}}, ^[[FAIL:.+]], ^[[CALL:.+]]
// CHECK: ^[[CALL]]:
// CHECK:   %[[S:.+]] = call @f_dynamic_impl(%{{.+}}, %{{.+}}) : (memref<?x8xf32>, memref<?x8xf32>) -> i32
// CHECK:   return %[[S]] : i32
// CHECK: ^[[FAIL]]:
// CHECK:   return %c2_i32 : i32
func.func @f(%x: memref<?x8xf32>, %out: memref<?x8xf32>) attributes {nn.abi_inputs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x8xf32>
  %t = memref.alloc(%n) : memref<?x8xf32>
  memref.copy %x, %t : memref<?x8xf32> to memref<?x8xf32>
  memref.copy %t, %out : memref<?x8xf32> to memref<?x8xf32>
  memref.dealloc %t : memref<?x8xf32>
  return
}

// Static functions are left alone.
// CHECK-LABEL: func.func @static(%{{.+}}: memref<4xf32>, %{{.+}}: memref<4xf32>)
func.func @static(%x: memref<4xf32>, %out: memref<4xf32>) attributes {nn.abi_inputs = 1 : i64} {
  memref.copy %x, %out : memref<4xf32> to memref<4xf32>
  return
}

// -----

// An out-param with dynamic dims that is written directly: its size cannot
// be checked against what the model computes.
// expected-error @+1 {{dims-taking entry: output #0 with dynamic dims is not written by a copy whose size can be checked}}
func.func @direct(%x: memref<?xf32>, %out: memref<?xf32>) attributes {nn.abi_inputs = 1 : i64} {
  linalg.copy ins(%x : memref<?xf32>) outs(%out : memref<?xf32>)
  return
}
