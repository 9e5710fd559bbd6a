//===- Evaluation.h - Import-time evaluation of ONNX nodes ------*- C++ -*-===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//
//
// A node whose inputs are all known at import time is evaluated on the host
// when its op has a host handler: the shape subgraphs PyTorch's exporter
// writes (Shape, Gather, Concat, Unsqueeze, Range, Where, ...) fold to
// constants before they reach Reshape, Expand, Slice or Pad. The
// data-movement ops (Reshape, Transpose, Concat, Gather, Slice, ...) have no
// host handler: their runtime handlers move host data when their inputs are
// known, sharing the shape logic.
//
//===----------------------------------------------------------------------===//

#ifndef ACC_LIB_IMPORT_ONNX_EVALUATION_H
#define ACC_LIB_IMPORT_ONNX_EVALUATION_H

#include "OpBinder.h"

#include "llvm/ADT/STLFunctionalExtras.h"

namespace acc {
namespace onnx_import {

/// A host handler's node: the binder and the inputs as host tensors.
class HostEvaluation {
public:
  HostEvaluation(OpBinder &binder, SmallVector<HostRef> in)
      : binder(binder), in(std::move(in)) {}

  OpBinder &binder;
  /// The inputs, null where an optional input is absent.
  SmallVector<HostRef> in;
  /// Set once the outputs are defined.
  bool done = false;

  /// Whether every input is present.
  bool all() const {
    return llvm::all_of(in, [](auto &t) { return !!t; });
  }
  /// Whether no input is floating-point (integer arithmetic).
  bool intMath() const {
    return !llvm::any_of(in, [](auto &t) { return t && t->isFloat; });
  }
  /// Defines output 0 as `h`: the node is evaluated.
  mlir::LogicalResult result(HostRef h) {
    done = true;
    return binder.setHost(std::move(h));
  }
  /// Output 0 as `fn` of the broadcast inputs' elements (as doubles): float
  /// when an input is float, unless `toInt`.
  mlir::LogicalResult
  elementwise(llvm::function_ref<double(ArrayRef<double>)> fn,
              bool toInt = false);
};

} // namespace onnx_import
} // namespace acc

#endif // ACC_LIB_IMPORT_ONNX_EVALUATION_H
