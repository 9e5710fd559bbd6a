// RUN: acc-opt %s -nn-cpu-runtime-allocator=runtime=false | FileCheck %s --check-prefix=SERIAL

// runtime=false (single-threaded code, no runtime linked): malloc keeps
// its name and its result is checked all the same; nothing of acc's
// runtime is called.
// SERIAL-NOT: acc_rt
// SERIAL-LABEL: llvm.func @serial
// SERIAL: %[[P:.+]] = llvm.call @malloc(%{{.+}}) : (i64) -> !llvm.ptr
// SERIAL: %[[Z:.+]] = llvm.mlir.zero : !llvm.ptr
// SERIAL: %[[NULL:.+]] = llvm.icmp "eq" %[[P]], %[[Z]] : !llvm.ptr
// SERIAL: llvm.cond_br %[[NULL]], ^[[FAIL:.+]], ^
// SERIAL: ^[[FAIL]]:
// SERIAL-NEXT: %[[THREE:.+]] = llvm.mlir.constant(3 : i32) : i32
// SERIAL-NEXT: llvm.return %[[THREE]] : i32
llvm.func @malloc(i64) -> !llvm.ptr
llvm.func @free(!llvm.ptr)
llvm.func @serial(%n: i64) -> i32 {
  %p = llvm.call @malloc(%n) : (i64) -> !llvm.ptr
  llvm.call @free(%p) : (!llvm.ptr) -> ()
  %z = llvm.mlir.constant(0 : i32) : i32
  llvm.return %z : i32
}

// A function returning nothing cannot report without the runtime: left
// alone.
// SERIAL-LABEL: llvm.func @helper
// SERIAL-NOT: llvm.icmp
// SERIAL: llvm.return
llvm.func @helper(%n: i64) {
  %p = llvm.call @malloc(%n) : (i64) -> !llvm.ptr
  llvm.call @free(%p) : (!llvm.ptr) -> ()
  llvm.return
}
