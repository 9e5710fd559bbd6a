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
// A function returning nothing (a parallel loop's body) that gets NULL
// reports the failure and stops.
// CHECK: llvm.call @acc_rt_fail() : () -> ()
// CHECK-NEXT: llvm.return
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

// An entry (returning the i32 status): a NULL allocation returns 3 at once;
// after a parallel loop, a failure in its bodies returns 3; a failure left
// over from an earlier call is cleared on entry.
// CHECK-LABEL: llvm.func @entry
// CHECK:   llvm.call @acc_rt_take_failure() : () -> i32
// CHECK:   %[[P:.+]] = llvm.call @acc_rt_alloc(%{{.+}}) : (i64) -> !llvm.ptr
// CHECK:   %[[NULL:.+]] = llvm.mlir.zero : !llvm.ptr
// CHECK:   %[[ISNULL:.+]] = llvm.icmp "eq" %[[P]], %[[NULL]] : !llvm.ptr
// CHECK:   llvm.cond_br %[[ISNULL]], ^[[FAIL:.+]], ^[[NEXT:.+]]
// CHECK: ^[[NEXT]]:
// CHECK:   llvm.call @acc_rt_parallel_for
// CHECK:   %[[T:.+]] = llvm.call @acc_rt_take_failure() : () -> i32
// CHECK:   %[[BAD:.+]] = llvm.icmp "ne" %[[T]], %{{.+}} : i32
// CHECK:   llvm.cond_br %[[BAD]], ^[[FAIL]], ^{{.+}}
// CHECK: ^[[FAIL]]:
// CHECK:   %[[THREE:.+]] = llvm.mlir.constant(3 : i32) : i32
// CHECK:   llvm.return %[[THREE]] : i32
llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr
llvm.func @_mlir_memref_to_llvm_free(!llvm.ptr)
llvm.func @acc_rt_parallel_for(!llvm.ptr, !llvm.ptr, i64)
llvm.func @entry(%n: i64, %body: !llvm.ptr, %ctx: !llvm.ptr) -> i32 {
  %p = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
  llvm.call @acc_rt_parallel_for(%body, %ctx, %n) : (!llvm.ptr, !llvm.ptr, i64) -> ()
  llvm.call @_mlir_memref_to_llvm_free(%p) : (!llvm.ptr) -> ()
  %z = llvm.mlir.constant(0 : i32) : i32
  llvm.return %z : i32
}

// -----

// A module that defines acc_rt_alloc itself cannot be redirected.
llvm.func @acc_rt_alloc(i64) -> !llvm.ptr
// expected-error @+1 {{cannot be renamed: 'acc_rt_alloc' exists already}}
llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr

