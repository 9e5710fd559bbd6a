//===- ONNXImporter.h - ONNX models to nn IR --------------------*- C++ -*-===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//
//
// Translates an ONNX ModelProto into a module holding one func.func of nn IR:
// graph inputs become arguments (in the model's order), graph outputs the
// results, initializers `arith.constant`s. Everything computable at import
// time (the shape subgraphs PyTorch's exporter writes: Shape, Gather, Concat,
// Unsqueeze, Range, Where, ... feeding Reshape/Expand/Slice) is evaluated on
// the host, so the IR holds only the computation on activations. Data
// movement without an nn op (Transpose, Reshape, Concat, Slice, Gather with
// constant indices, Pad, Expand) becomes upstream tensor/linalg ops.
//
// Errors are diagnostics naming the node, its op type and the reason; the
// importer never aborts on bad input. The implementation is in
// lib/Import/ONNX/ (docs/Import.md, "Code layout").
//
//===----------------------------------------------------------------------===//

#ifndef ACC_IMPORT_ONNX_ONNXIMPORTER_H
#define ACC_IMPORT_ONNX_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <utility>
#include <vector>

namespace acc {

struct ONNXImportOptions {
  /// Name of the entry function (a C identifier).
  std::string functionName = "main";
  /// Shapes that replace (or fix the dynamic dims of) graph inputs, by input
  /// name. A shape given for an input the graph does not have is an error.
  std::vector<std::pair<std::string, llvm::SmallVector<int64_t>>> inputShapes;
  /// Raise decomposed subgraphs (attention, erf-GELU, linear + bias) to nn
  /// ops after the translation (the `nn-raise` patterns).
  bool raise = true;
};

/// Parses the serialized ModelProto `bytes` (read from `fileName`, used in
/// locations and messages) and returns the nn module, or null after emitting
/// diagnostics on `context`.
mlir::OwningOpRef<mlir::ModuleOp>
importONNXModel(llvm::StringRef bytes, llvm::StringRef fileName,
                mlir::MLIRContext *context, const ONNXImportOptions &options);

/// Parses `--input-shape` values: `name:1x3x224x224` (several separated by
/// `,`). Returns false and sets `error` on a malformed spec.
bool parseInputShapes(
    llvm::StringRef spec,
    std::vector<std::pair<std::string, llvm::SmallVector<int64_t>>> &shapes,
    std::string &error);

} // namespace acc

#endif // ACC_IMPORT_ONNX_ONNXIMPORTER_H
