//===- Passes.h - the CPU backend's passes ----------------------*- C++ -*-===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#ifndef ACC_CODEGEN_CPU_PASSES_H
#define ACC_CODEGEN_CPU_PASSES_H

#include "acc/Dialect/NN/IR/NNDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace acc {

#define GEN_PASS_DECL
#include "acc/Codegen/CPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "acc/Codegen/CPU/Passes.h.inc"

} // namespace acc

#endif // ACC_CODEGEN_CPU_PASSES_H
