// RUN: acc-opt %s -split-input-file -nn-cpu-runtime-allocator -verify-diagnostics | FileCheck %s

// The generic allocation functions of finalize-memref-to-llvm
// (use-generic-functions) become acc's caching allocator, declarations and
// calls alike.
// CHECK-DAG: llvm.func @acc_rt_alloc(i64) -> !llvm.ptr
// CHECK-DAG: llvm.func @acc_rt_aligned_alloc(i64, i64) -> !llvm.ptr
// CHECK-DAG: llvm.func @acc_rt_free(!llvm.ptr)
// CHECK-LABEL: llvm.func @f
// CHECK: %[[P:.+]] = llvm.call @acc_rt_alloc(%{{.+}}) : (i64) -> !llvm.ptr
// CHECK: %[[Q:.+]] = llvm.call @acc_rt_aligned_alloc(%{{.+}}, %{{.+}}) : (i64, i64) -> !llvm.ptr
// CHECK: llvm.call @acc_rt_free(%[[P]]) : (!llvm.ptr) -> ()
// CHECK: llvm.call @acc_rt_free(%[[Q]]) : (!llvm.ptr) -> ()
// CHECK-NOT: _mlir_memref_to_llvm
llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr
llvm.func @_mlir_memref_to_llvm_aligned_alloc(i64, i64) -> !llvm.ptr
llvm.func @_mlir_memref_to_llvm_free(!llvm.ptr)
llvm.func @f(%n: i64) {
  %a = llvm.mlir.constant(64 : i64) : i64
  %p = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
  %q = llvm.call @_mlir_memref_to_llvm_aligned_alloc(%a, %n) : (i64, i64) -> !llvm.ptr
  llvm.call @_mlir_memref_to_llvm_free(%p) : (!llvm.ptr) -> ()
  llvm.call @_mlir_memref_to_llvm_free(%q) : (!llvm.ptr) -> ()
  llvm.return
}

// -----

// A module that defines acc_rt_alloc itself cannot be redirected.
llvm.func @acc_rt_alloc(i64) -> !llvm.ptr
// expected-error @+1 {{cannot be renamed: 'acc_rt_alloc' exists already}}
llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr
