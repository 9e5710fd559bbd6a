//===- Importer.h - The ONNX importer's core --------------------*- C++ -*-===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//
//
// One pass over the (topologically sorted) graph. Every value is either known
// at import time (a HostTensor) or an SSA value of the function being built.
// A node whose inputs are all known is evaluated on the host when its op has
// a host evaluator (Evaluation.cpp); otherwise it is translated to IR by its
// op's runtime handler, materializing the known inputs it needs as
// `arith.constant`s. Handlers see the importer through an OpBinder
// (OpBinder.h) and are found in the OpRegistry (OpRegistry.h).
//
//===----------------------------------------------------------------------===//

#ifndef ACC_LIB_IMPORT_ONNX_IMPORTER_H
#define ACC_LIB_IMPORT_ONNX_IMPORTER_H

#include "HostTensor.h"
#include "OpRegistry.h"

#include "acc/Dialect/NN/IR/NNOps.h"
#include "acc/Import/ONNX/ONNXImporter.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

#include "onnx/onnx_pb.h"

#include <memory>
#include <string>

namespace acc {
namespace onnx_import {

/// The state of one import: the values of the graph by name, the node being
/// translated (for messages), the builders of the function's body. The
/// members are public for OpBinder, the handlers' view of them.
class Importer {
public:
  Importer(mlir::MLIRContext *ctx, llvm::StringRef fileName,
           const ONNXImportOptions &options);

  /// Translates `model`'s graph into a module; null after diagnostics.
  mlir::OwningOpRef<mlir::ModuleOp> run(const onnx::ModelProto &model);

  /// Translates the nodes of `graph` (the model's, or a taken `If` branch),
  /// loading its initializers first.
  mlir::LogicalResult translateNodes(const onnx::GraphProto &graph);

  /// An error at the current node, prefixed with its name and op type.
  mlir::InFlightDiagnostic error();

  /// Loads tensor data (an initializer, a `value` attribute); `what` names
  /// it in messages.
  mlir::LogicalResult loadTensor(const onnx::TensorProto &t, HostRef &out,
                                 llvm::StringRef what);

  /// `v` as an SSA value: a known float tensor is materialized (once) as an
  /// `arith.constant` at the top of the body.
  mlir::FailureOr<mlir::Value> toValue(const Val &v);

  // --- IR helpers ---------------------------------------------------------
  mlir::Type f32() { return mlir::Float32Type::get(ctx); }
  nn::LayoutAttr nchw() { return nn::LayoutAttr::get(ctx, nn::Layout::NCHW); }
  mlir::RankedTensorType tensorType(ArrayRef<int64_t> shape) {
    return mlir::RankedTensorType::get(shape, f32());
  }
  mlir::Value empty(ArrayRef<int64_t> shape);
  /// `v` reshaped by collapse/expand_shape (through the flat vector when
  /// the shapes have no common refinement).
  mlir::Value reshape(mlir::Value v, ArrayRef<int64_t> shape);
  /// `v` permuted by `perm`: a reshape when only unit dims move.
  mlir::Value transpose(mlir::Value v, ArrayRef<int64_t> perm);
  /// A constant f32 tensor of `shape` filled with `x`.
  mlir::Value splat(float x, ArrayRef<int64_t> shape);

  mlir::MLIRContext *ctx;
  std::string fileName;
  const ONNXImportOptions &options;
  mlir::Location fileLoc;
  /// The model's version of the default ONNX operator set.
  int64_t opset = 0;
  /// The handlers, by op name and since-version.
  OpRegistry registry;

  llvm::StringMap<Val> values;
  /// The node being translated, for messages.
  const onnx::NodeProto *node = nullptr;
  mlir::Location loc = fileLoc;
  std::unique_ptr<mlir::ImplicitLocOpBuilder> b;
  /// Constants go to the top of the function body.
  std::unique_ptr<mlir::OpBuilder> constBuilder;
  /// Host tensors already materialized as constants (each kept alive, so
  /// that its address is never reused by another tensor).
  llvm::DenseMap<HostTensor *, std::pair<HostRef, mlir::Value>> materialized;

private:
  mlir::LogicalResult translateNode();
  /// Evaluates the current node on the host when all its inputs are known
  /// and its op has a host handler; `done` tells whether it did.
  mlir::LogicalResult evaluateOnHost(bool &done);
  mlir::LogicalResult translateRuntime();
};

} // namespace onnx_import
} // namespace acc

#endif // ACC_LIB_IMPORT_ONNX_IMPORTER_H
