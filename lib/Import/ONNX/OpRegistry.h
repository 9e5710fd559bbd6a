//===- OpRegistry.h - ONNX op handlers by name and version ------*- C++ -*-===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//
//
// The op table: handlers registered per op name and since-version, the way
// torch-mlir's ONNX conversion registers its patterns. Dispatch picks, for
// the model's opset of the default domain, the handler with the largest
// since-version not above it. There are three kinds of handler:
//
// - node handlers take the whole node before anything else (Constant, If);
// - host handlers evaluate a node whose inputs are all known at import time
//   (Evaluation*.cpp);
// - runtime handlers translate a node to IR (one file per op family).
//
// Each family's file defines a `register...Ops` function; adding an operator
// is one handler and one registration line there (and one test).
//
//===----------------------------------------------------------------------===//

#ifndef ACC_LIB_IMPORT_ONNX_OPREGISTRY_H
#define ACC_LIB_IMPORT_ONNX_OPREGISTRY_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"

#include <utility>

namespace acc {
namespace onnx_import {

class HostEvaluation;
class OpBinder;

/// Translates the binder's node (a node or runtime handler).
using NodeHandler = mlir::LogicalResult (*)(OpBinder &binder);
/// Evaluates a node on host tensors; sets `done` on the evaluation when it
/// computed the outputs.
using HostHandler = mlir::LogicalResult (*)(HostEvaluation &eval);

/// A host handler and how it reads its inputs.
struct HostOp {
  HostHandler handler = nullptr;
  /// Input 0 is read for its shape only (Shape, Size): the node is
  /// evaluated even when that input is an activation.
  bool shapeOnly = false;
};

/// Handlers by op name, each with the opset version it applies from.
class OpRegistry {
public:
  void addNode(llvm::StringRef op, int64_t since, NodeHandler handler);
  void addHost(llvm::StringRef op, int64_t since, HostHandler handler,
               bool shapeOnly = false);
  void addRuntime(llvm::StringRef op, int64_t since, NodeHandler handler);

  /// The handler of `op` for `opset`, or null when none applies.
  NodeHandler lookupNode(llvm::StringRef op, int64_t opset) const;
  const HostOp *lookupHost(llvm::StringRef op, int64_t opset) const;
  NodeHandler lookupRuntime(llvm::StringRef op, int64_t opset) const;

private:
  template <typename T>
  using Versions = llvm::SmallVector<std::pair<int64_t, T>, 1>;
  llvm::StringMap<Versions<NodeHandler>> nodeOps, runtimeOps;
  llvm::StringMap<Versions<HostOp>> hostOps;
};

/// Registers every family's handlers.
void registerAllOps(OpRegistry &registry);

// One per file of handlers.
void registerConstantOps(OpRegistry &registry);
void registerControlFlowOps(OpRegistry &registry);
void registerEvaluationOps(OpRegistry &registry);
void registerElementwiseOps(OpRegistry &registry);
void registerConvOps(OpRegistry &registry);
void registerContractionOps(OpRegistry &registry);
void registerShapeOps(OpRegistry &registry);
void registerNormalizationOps(OpRegistry &registry);
void registerReductionOps(OpRegistry &registry);

/// The runtime handler of ops that only exist on values known at import
/// time (shape computations): an error saying so.
mlir::LogicalResult requireKnownInputs(OpBinder &binder);

} // namespace onnx_import
} // namespace acc

#endif // ACC_LIB_IMPORT_ONNX_OPREGISTRY_H
