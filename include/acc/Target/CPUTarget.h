//===- CPUTarget.h - LLVM IR and native code for the host CPU ---*- C++ -*-===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#ifndef ACC_TARGET_CPUTARGET_H
#define ACC_TARGET_CPUTARGET_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace acc {

struct CPUTargetOptions {
  /// Target CPU and features; empty means the host's.
  std::string cpu;
  std::string features;
  /// 0-3: the LLVM optimisation level.
  unsigned optLevel = 3;
  /// When set, the phases (translation to LLVM IR, optimisation, code
  /// generation) are timed in scopes nested in it (`--mlir-timing`).
  mlir::TimingScope *timing = nullptr;
};

enum class CPUOutputKind { LLVMIR, Assembly, Object };

/// What code generation needs to know about a CPU before the LLVM level.
struct CPUTargetInfo {
  /// AVX-512 (512-bit vectors, 32 registers).
  bool avx512 = false;
  /// f32 lanes of the vectors register blocks are built from: 16 with
  /// AVX-512, 8 otherwise (AVX2).
  int64_t vectorWidth = 8;
};

/// The facts of the CPU that `options.cpu` and `options.features` name (the
/// host's when both are empty), as LLVM's subtarget for that CPU and those
/// features sees them. Fails with `error` set when LLVM knows no target for
/// the host triple.
mlir::FailureOr<CPUTargetInfo> getCPUTargetInfo(const CPUTargetOptions &options,
                                                std::string &error);

/// Translates a module in the LLVM dialect to LLVM IR, optimises it for the
/// target and writes LLVM IR, assembly or an object file. Errors are
/// reported as diagnostics on the module.
mlir::LogicalResult emitCPUCode(mlir::ModuleOp module, CPUOutputKind kind,
                                const CPUTargetOptions &options,
                                llvm::raw_pwrite_stream &os);

} // namespace acc

#endif // ACC_TARGET_CPUTARGET_H
