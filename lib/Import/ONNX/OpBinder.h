//===- OpBinder.h - A handler's view of its ONNX node -----------*- C++ -*-===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//
//
// What an op handler reads and writes, after torch-mlir's OpBinder: the
// node's attributes (ints, floats, strings, int lists, tensors), its inputs
// (any, known at import time, or as SSA values), its outputs, and the
// builders of the function. Failures are diagnostics located at the node and
// naming it, its op type and the reason.
//
//===----------------------------------------------------------------------===//

#ifndef ACC_LIB_IMPORT_ONNX_OPBINDER_H
#define ACC_LIB_IMPORT_ONNX_OPBINDER_H

#include "Importer.h"

#include <optional>
#include <string>

namespace acc {
namespace onnx_import {

/// The current node of an Importer, as the handlers see it.
class OpBinder {
public:
  explicit OpBinder(Importer &importer) : imp(importer) {}

  const onnx::NodeProto &node() const { return *imp.node; }
  llvm::StringRef opType() const { return imp.node->op_type(); }
  /// The model's version of the default ONNX operator set.
  int64_t opset() const { return imp.opset; }
  mlir::MLIRContext *getContext() const { return imp.ctx; }
  /// The file's location (constants are located there).
  mlir::Location fileLoc() const { return imp.fileLoc; }
  Importer &importer() { return imp; }

  /// An error at the node: `node 'NAME' (OP): ` and the caller's reason.
  mlir::InFlightDiagnostic error() { return imp.error(); }

  // --- attributes ---------------------------------------------------------
  /// The attribute `name`, or null when the node has none.
  const onnx::AttributeProto *attr(llvm::StringRef name) const;
  int64_t attrInt(llvm::StringRef name, int64_t dflt) const;
  float attrFloat(llvm::StringRef name, float dflt) const;
  std::string attrString(llvm::StringRef name, llvm::StringRef dflt) const;
  std::optional<SmallVector<int64_t>> attrInts(llvm::StringRef name) const;
  /// The `axis` attribute (`dflt` when absent) as a dim of a rank-`rank`
  /// tensor (negative: counted from the end); failure, diagnosed "axis out
  /// of range", when it is none.
  mlir::FailureOr<int64_t> axisAttr(int64_t dflt, int64_t rank);
  /// The tensor attribute `name` loaded on the host (null when absent);
  /// failure after a diagnostic when its data is malformed.
  mlir::FailureOr<HostRef> attrTensor(llvm::StringRef name);

  // --- inputs -------------------------------------------------------------
  /// The number of inputs, not counting absent trailing optional ones.
  int numInputs() const;
  bool hasInput(int k) const;
  /// Input `k`; failure (diagnosed) when it is absent or undefined.
  mlir::FailureOr<Val> input(int k);
  /// Input `k`, which must be known at import time; `what` names it.
  mlir::FailureOr<HostRef> knownInput(int k, llvm::StringRef what);
  /// The integers of input `k`, which must be known at import time.
  mlir::FailureOr<SmallVector<int64_t>> knownInts(int k, llvm::StringRef what);
  /// Integers that later opsets moved from an attribute to an input (axes,
  /// split sizes): input `k` (known at import time; `what` names it) when
  /// the node has it, else the ints attribute `name`; nullopt when it has
  /// neither; failure (diagnosed) when the input is not known.
  mlir::FailureOr<std::optional<SmallVector<int64_t>>>
  intsFromInputOrAttr(int k, llvm::StringRef what, llvm::StringRef name);
  /// Input `k` as an SSA value (a known one is materialized).
  mlir::FailureOr<mlir::Value> runtimeInput(int k);

  // --- outputs ------------------------------------------------------------
  /// Defines output `k` (nothing when the node has no such output).
  mlir::LogicalResult setOutput(int k, Val v);
  mlir::LogicalResult setOutput(mlir::Value v) {
    return setOutput(0, Val{nullptr, v});
  }
  mlir::LogicalResult setHost(HostRef h) {
    return setOutput(0, Val{h, mlir::Value()});
  }

  // --- IR -----------------------------------------------------------------
  /// The builder of the body, located at the node.
  mlir::ImplicitLocOpBuilder &builder() { return *imp.b; }
  /// The builder of the constants at the top of the body.
  mlir::OpBuilder &constBuilder() { return *imp.constBuilder; }
  mlir::FailureOr<mlir::Value> toValue(const Val &v) { return imp.toValue(v); }
  mlir::LogicalResult loadTensor(const onnx::TensorProto &t, HostRef &out,
                                 llvm::StringRef what) {
    return imp.loadTensor(t, out, what);
  }
  mlir::Type f32() { return imp.f32(); }
  nn::LayoutAttr nchw() { return imp.nchw(); }
  mlir::RankedTensorType tensorType(ArrayRef<int64_t> shape) {
    return imp.tensorType(shape);
  }
  mlir::Value empty(ArrayRef<int64_t> shape) { return imp.empty(shape); }
  mlir::Value reshape(mlir::Value v, ArrayRef<int64_t> shape) {
    return imp.reshape(v, shape);
  }
  mlir::Value transpose(mlir::Value v, ArrayRef<int64_t> perm) {
    return imp.transpose(v, perm);
  }
  mlir::Value splat(float x, ArrayRef<int64_t> shape) {
    return imp.splat(x, shape);
  }

private:
  Importer &imp;
};

} // namespace onnx_import
} // namespace acc

#endif // ACC_LIB_IMPORT_ONNX_OPBINDER_H
