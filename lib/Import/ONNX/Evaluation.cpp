//===- Evaluation.cpp - Import-time evaluation of ONNX nodes --------------===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#include "Evaluation.h"

using namespace mlir;

namespace acc {
namespace onnx_import {

LogicalResult
HostEvaluation::elementwise(llvm::function_ref<double(ArrayRef<double>)> fn,
                            bool toInt) {
  SmallVector<int64_t> shape;
  for (auto &t : in) {
    auto s = broadcast(shape, t->shape);
    if (!s)
      return binder.error() << "shapes " << shapeStr(shape) << " and "
                            << shapeStr(t->shape) << " do not broadcast";
    shape = *s;
  }
  bool anyFloat = llvm::any_of(in, [](auto &t) { return t->isFloat; });
  auto out = std::make_shared<HostTensor>();
  out->shape = shape;
  out->isFloat = anyFloat && !toInt;
  int64_t count = product(shape);
  for (int64_t k = 0; k < count; ++k) {
    SmallVector<double, 3> args;
    for (auto &t : in)
      args.push_back(t->at(broadcastIndex(k, shape, t->shape)));
    double r = fn(args);
    if (out->isFloat)
      out->f.push_back(float(r));
    else
      out->i.push_back(int64_t(r));
  }
  done = true;
  return binder.setHost(out);
}

LogicalResult Importer::evaluateOnHost(bool &done) {
  done = false;
  OpBinder binder(*this);
  const HostOp *op = registry.lookupHost(node->op_type(), opset);
  int n = binder.numInputs();
  SmallVector<HostRef> in;
  for (int k = 0; k < n; ++k) {
    if (!binder.hasInput(k)) {
      in.push_back(nullptr);
      continue;
    }
    FailureOr<Val> v = binder.input(k);
    if (failed(v))
      return failure();
    // Shape and Size only need the shape.
    if (op && op->shapeOnly && k == 0) {
      HostEvaluation eval(binder, {});
      LogicalResult result = op->handler(eval);
      done = eval.done;
      return result;
    }
    if (!v->known())
      return success(); // Not a host computation.
    in.push_back(v->host);
  }
  if (!op || op->shapeOnly)
    return success();
  HostEvaluation eval(binder, std::move(in));
  LogicalResult result = op->handler(eval);
  done = eval.done;
  return result;
}

} // namespace onnx_import
} // namespace acc
