//===- Runtime.h - acc's runtime as the CPU passes name it -----*- C++ -*-===//
//
// Part of the acc project.
//
// Internal to lib/Codegen/CPU: the symbols of runtime/acc_runtime.h that
// more than one pass refers to.
//
//===----------------------------------------------------------------------===//

#ifndef ACC_LIB_CODEGEN_CPU_RUNTIME_H
#define ACC_LIB_CODEGEN_CPU_RUNTIME_H

#include "llvm/ADT/StringRef.h"

namespace acc::cpu {

/// `void acc_rt_parallel_for(void (*body)(void *, int64_t, int64_t),
/// void *ctx, int64_t n)`: nn-cpu-parallelize calls it; a failure inside a
/// loop is checked after each call (nn-cpu-runtime-allocator).
constexpr llvm::StringLiteral kParallelFor = "acc_rt_parallel_for";

} // namespace acc::cpu

#endif // ACC_LIB_CODEGEN_CPU_RUNTIME_H
