//===- OpRegistry.cpp - ONNX op handlers by name and version --------------===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#include "OpRegistry.h"
#include "OpBinder.h"

using namespace mlir;

namespace acc {
namespace onnx_import {

namespace {

template <typename T>
void add(llvm::StringMap<llvm::SmallVector<std::pair<int64_t, T>, 1>> &table,
         StringRef op, int64_t since, T handler) {
  auto &versions = table[op];
  versions.emplace_back(since, handler);
  llvm::sort(versions,
             [](const auto &l, const auto &r) { return l.first < r.first; });
}

/// The entry with the largest since-version not above `opset`.
template <typename T>
const T *
find(const llvm::StringMap<llvm::SmallVector<std::pair<int64_t, T>, 1>> &table,
     StringRef op, int64_t opset) {
  auto it = table.find(op);
  if (it == table.end())
    return nullptr;
  const T *best = nullptr;
  for (const auto &[since, handler] : it->second)
    if (since <= opset)
      best = &handler;
  return best;
}

} // namespace

void OpRegistry::addNode(StringRef op, int64_t since, NodeHandler handler) {
  add(nodeOps, op, since, handler);
}

void OpRegistry::addHost(StringRef op, int64_t since, HostHandler handler,
                         bool shapeOnly) {
  add(hostOps, op, since, HostOp{handler, shapeOnly});
}

void OpRegistry::addRuntime(StringRef op, int64_t since, NodeHandler handler) {
  add(runtimeOps, op, since, handler);
}

NodeHandler OpRegistry::lookupNode(StringRef op, int64_t opset) const {
  const NodeHandler *h = find(nodeOps, op, opset);
  return h ? *h : nullptr;
}

const HostOp *OpRegistry::lookupHost(StringRef op, int64_t opset) const {
  return find(hostOps, op, opset);
}

NodeHandler OpRegistry::lookupRuntime(StringRef op, int64_t opset) const {
  const NodeHandler *h = find(runtimeOps, op, opset);
  return h ? *h : nullptr;
}

void registerAllOps(OpRegistry &registry) {
  registerConstantOps(registry);
  registerControlFlowOps(registry);
  registerEvaluationOps(registry);
  registerElementwiseOps(registry);
  registerConvOps(registry);
  registerContractionOps(registry);
  registerShapeOps(registry);
  registerNormalizationOps(registry);
  registerReductionOps(registry);
}

LogicalResult requireKnownInputs(OpBinder &binder) {
  return binder.error() << "is supported only on values known at import time "
                           "(shape computations); here an input depends on "
                           "the model's inputs";
}

} // namespace onnx_import
} // namespace acc
