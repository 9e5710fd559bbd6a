//===- Normalization.cpp - ONNX normalizations and Softmax to nn ----------===//
//
// Part of the acc project.
//
// LayerNormalization (parameters broadcast to the normalised shape at import
// time), BatchNormalization (inference) and Softmax.
//
//===----------------------------------------------------------------------===//

#include "OpBinder.h"

#include "acc/Dialect/NN/IR/NNOps.h"

using namespace mlir;

namespace acc {
namespace onnx_import {
namespace {

LogicalResult layerNorm(OpBinder &binder) {
  ImplicitLocOpBuilder &b = binder.builder();
  FailureOr<Val> x = binder.input(0);
  if (failed(x))
    return failure();
  FailureOr<int64_t> axis = binder.axisAttr(-1, x->rank());
  if (failed(axis))
    return failure();
  if (binder.attrInt("stash_type", 1) != 1)
    return binder.error() << "stash_type other than float is not supported";
  for (int k = 1; k < binder.node().output_size(); ++k)
    if (!binder.node().output(k).empty())
      return binder.error()
             << "the Mean and InvStdDev outputs are not supported";
  ArrayRef<int64_t> normShape = x->shape().drop_front(*axis);
  auto param = [&](int k) -> FailureOr<Value> {
    if (!binder.hasInput(k))
      return Value();
    FailureOr<Val> p = binder.input(k);
    if (failed(p))
      return failure();
    auto s = broadcast(p->shape(), normShape);
    if (!s || ArrayRef<int64_t>(*s) != normShape)
      return binder.error() << "parameter " << shapeStr(p->shape())
                            << " does not broadcast to the normalised shape "
                            << shapeStr(normShape),
             failure();
    FailureOr<Value> v = binder.toValue(*p);
    if (failed(v))
      return failure();
    if (p->shape() == normShape)
      return *v;
    if (!p->known())
      return binder.error()
                 << "runtime parameters must have the normalised shape",
             failure();
    HostTensor full;
    full.shape.assign(normShape.begin(), normShape.end());
    for (int64_t i = 0; i < product(normShape); ++i)
      full.f.push_back(p->host->f[broadcastIndex(i, normShape, p->shape())]);
    return binder.toValue(Val{std::make_shared<HostTensor>(full), Value()});
  };
  FailureOr<Value> scale = param(1), bias = param(2);
  if (failed(scale) || failed(bias))
    return failure();
  if (!*scale && *bias)
    return binder.error() << "a bias without a scale";
  FailureOr<Value> xv = binder.toValue(*x);
  if (failed(xv))
    return failure();
  return binder.setOutput(nn::LayerNormOp::create(
      b, xv->getType(), *xv, *scale, *bias, b.getI64IntegerAttr(*axis),
      b.getF32FloatAttr(binder.attrFloat("epsilon", 1e-5f))));
}

LogicalResult batchNorm(OpBinder &binder) {
  ImplicitLocOpBuilder &b = binder.builder();
  FailureOr<Value> x = binder.runtimeInput(0);
  if (failed(x))
    return failure();
  if (binder.attrInt("training_mode", 0))
    return binder.error() << "training mode is not supported";
  for (int k = 1; k < binder.node().output_size(); ++k)
    if (!binder.node().output(k).empty())
      return binder.error()
             << "the running-statistics outputs are not supported";
  auto shape = cast<RankedTensorType>(x->getType()).getShape();
  if (shape.size() < 2)
    return binder.error() << "input rank must be 2 or more";
  SmallVector<Value> params;
  for (int k = 1; k <= 4; ++k) {
    FailureOr<Val> p = binder.input(k);
    if (failed(p))
      return failure();
    if (p->rank() != 1 || p->shape()[0] != shape[1])
      return binder.error()
             << "parameter " << k << " has shape " << shapeStr(p->shape())
             << ", expected [" << shape[1] << "]";
    FailureOr<Value> v = binder.toValue(*p);
    if (failed(v))
      return failure();
    params.push_back(*v);
  }
  return binder.setOutput(nn::BatchNormOp::create(
      b, x->getType(), *x, params[0], params[1], params[2], params[3],
      binder.nchw(), b.getF32FloatAttr(binder.attrFloat("epsilon", 1e-5f))));
}

/// Softmax: before opset 13 it flattens from `axis` (default 1), which is
/// taken only as the last axis; from 13 on it is over `axis` (default -1).
template <bool Opset13> LogicalResult softmax(OpBinder &binder) {
  ImplicitLocOpBuilder &b = binder.builder();
  FailureOr<Value> x = binder.runtimeInput(0);
  if (failed(x))
    return failure();
  int64_t r = cast<RankedTensorType>(x->getType()).getRank();
  FailureOr<int64_t> axis = binder.axisAttr(Opset13 ? -1 : 1, r);
  if (failed(axis))
    return failure();
  if (!Opset13 && *axis != r - 1)
    return binder.error()
           << "before opset 13 Softmax flattens from axis; only the "
              "last axis is supported";
  return binder.setOutput(
      nn::SoftmaxOp::create(b, x->getType(), *x, b.getI64IntegerAttr(*axis)));
}

} // namespace

void registerNormalizationOps(OpRegistry &registry) {
  registry.addRuntime("LayerNormalization", 1, layerNorm);
  registry.addRuntime("BatchNormalization", 1, batchNorm);
  registry.addRuntime("Softmax", 1, softmax<false>);
  registry.addRuntime("Softmax", 13, softmax<true>);
}

} // namespace onnx_import
} // namespace acc
