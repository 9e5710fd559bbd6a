//===- InitAllDialects.h - the dialects acc's tools load -------*- C++ -*-===//
//
// Part of the acc project.
//
// The nn dialect and every upstream dialect and extension that acc's
// pipelines produce, registered the same way by every tool.
//
//===----------------------------------------------------------------------===//

#ifndef ACC_INITALLDIALECTS_H
#define ACC_INITALLDIALECTS_H

#include "acc/Dialect/NN/IR/NNDialect.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"

namespace acc {

/// Adds the nn dialect, all upstream dialects and their extensions
/// (bufferization and tiling interface models among them) to `registry`.
inline void registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<nn::NNDialect>();
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
}

} // namespace acc

#endif // ACC_INITALLDIALECTS_H
