//===- Passes.h - nn graph passes -------------------------------*- C++ -*-===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#ifndef ACC_DIALECT_NN_TRANSFORMS_PASSES_H
#define ACC_DIALECT_NN_TRANSFORMS_PASSES_H

#include "acc/Dialect/NN/IR/NNDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace acc::nn {

#define GEN_PASS_DECL
#include "acc/Dialect/NN/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "acc/Dialect/NN/Transforms/Passes.h.inc"

} // namespace acc::nn

#endif // ACC_DIALECT_NN_TRANSFORMS_PASSES_H
