//===- EvaluationOps.cpp - Host handlers of ONNX ops ----------------------===//
//
// Part of the acc project.
//
// The ops evaluated on host tensors: arithmetic, comparisons and math on
// known values, and the shape computations (Shape, Size, ConstantOfShape,
// Range, ScatterND, Cast, Where). Each registers a host handler; those that
// only exist at import time also register `requireKnownInputs` as their
// runtime handler.
//
//===----------------------------------------------------------------------===//

#include "Evaluation.h"

#include <algorithm>
#include <cmath>

using namespace mlir;

namespace acc {
namespace onnx_import {
namespace {

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

LogicalResult shape(HostEvaluation &eval) {
  OpBinder &binder = eval.binder;
  FailureOr<Val> v = binder.input(0);
  if (failed(v))
    return failure();
  SmallVector<int64_t> s(v->shape());
  int64_t r = s.size();
  int64_t start = binder.attrInt("start", 0), end = binder.attrInt("end", r);
  start = std::clamp<int64_t>(start < 0 ? start + r : start, 0, r);
  end = std::clamp<int64_t>(end < 0 ? end + r : end, 0, r);
  std::vector<int64_t> dims(s.begin() + start,
                            s.begin() + std::max(start, end));
  int64_t count = dims.size();
  return eval.result(HostTensor::ints({count}, std::move(dims)));
}

LogicalResult size(HostEvaluation &eval) {
  FailureOr<Val> v = eval.binder.input(0);
  if (failed(v))
    return failure();
  return eval.result(HostTensor::ints({}, {product(v->shape())}));
}

LogicalResult identity(HostEvaluation &eval) { return eval.result(eval.in[0]); }

LogicalResult constantOfShape(HostEvaluation &eval) {
  if (!eval.all())
    return success();
  auto shape = eval.in[0];
  auto out = std::make_shared<HostTensor>();
  out->shape.assign(shape->i.begin(), shape->i.end());
  for (int64_t d : out->shape)
    if (d < 0)
      return eval.binder.error() << "negative dimension " << d;
  FailureOr<HostRef> value = eval.binder.attrTensor("value");
  if (failed(value))
    return failure();
  out->isFloat = *value ? (*value)->isFloat : true;
  if (out->isFloat)
    out->f.assign(out->numel(), *value ? (*value)->f[0] : 0.0f);
  else
    out->i.assign(out->numel(), (*value)->i[0]);
  return eval.result(out);
}

LogicalResult range(HostEvaluation &eval) {
  if (!eval.all())
    return success();
  auto &in = eval.in;
  double start = in[0]->at(0), limit = in[1]->at(0), delta = in[2]->at(0);
  if (delta == 0)
    return eval.binder.error() << "delta is 0";
  int64_t count =
      std::max<int64_t>(int64_t(std::ceil((limit - start) / delta)), 0);
  if (count > (int64_t(1) << 28))
    return eval.binder.error() << "range of " << count << " elements";
  auto out = std::make_shared<HostTensor>();
  out->isFloat = !eval.intMath();
  out->shape = {count};
  for (int64_t k = 0; k < count; ++k) {
    if (out->isFloat)
      out->f.push_back(float(start + k * delta));
    else
      out->i.push_back(int64_t(start) + k * int64_t(delta));
  }
  return eval.result(out);
}

LogicalResult scatterND(HostEvaluation &eval) {
  if (!eval.all())
    return success();
  OpBinder &binder = eval.binder;
  if (binder.attrString("reduction", "none") != "none")
    return binder.error() << "only reduction 'none' is supported";
  const HostTensor &data = *eval.in[0], &idx = *eval.in[1], &upd = *eval.in[2];
  if (idx.isFloat || idx.shape.empty())
    return binder.error() << "indices must be an integer tensor of rank >= 1";
  int64_t k = idx.shape.back(), r = data.shape.size();
  if (k > r)
    return binder.error() << "index tuples of " << k << " for rank " << r;
  int64_t slice = product(ArrayRef<int64_t>(data.shape).drop_front(k));
  int64_t tuples = idx.numel() / std::max<int64_t>(k, 1);
  if (upd.numel() != tuples * slice)
    return binder.error() << "updates have " << upd.numel() << " elements, "
                          << tuples * slice << " expected";
  auto out = std::make_shared<HostTensor>(data);
  SmallVector<int64_t> strides = data.strides();
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t base = 0;
    for (int64_t j = 0; j < k; ++j) {
      int64_t v = idx.i[t * k + j];
      if (v < 0)
        v += data.shape[j];
      if (v < 0 || v >= data.shape[j])
        return binder.error()
               << "index " << idx.i[t * k + j] << " out of range for dimension "
               << data.shape[j];
      base += v * strides[j];
    }
    for (int64_t e = 0; e < slice; ++e) {
      if (out->isFloat)
        out->f[base + e] = float(upd.at(t * slice + e));
      else
        out->i[base + e] = int64_t(upd.at(t * slice + e));
    }
  }
  return eval.result(out);
}

LogicalResult castOp(HostEvaluation &eval) {
  if (!eval.all())
    return success();
  int64_t to = eval.binder.attrInt("to", onnx::TensorProto::FLOAT);
  auto out = std::make_shared<HostTensor>(*eval.in[0]);
  bool toFloat = to == onnx::TensorProto::FLOAT ||
                 to == onnx::TensorProto::DOUBLE ||
                 to == onnx::TensorProto::FLOAT16;
  if (toFloat && !out->isFloat) {
    out->f.assign(out->i.begin(), out->i.end());
    out->i.clear();
  } else if (!toFloat && out->isFloat) {
    for (float x : out->f)
      out->i.push_back(to == onnx::TensorProto::BOOL ? (x != 0) : int64_t(x));
    out->f.clear();
  }
  out->isFloat = toFloat;
  return eval.result(out);
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

/// An elementwise host handler computing `Fn` of the inputs' elements.
template <double (*Fn)(ArrayRef<double>), bool ToInt = false>
LogicalResult elementwise(HostEvaluation &eval) {
  if (!eval.all())
    return success();
  return eval.elementwise(Fn, ToInt);
}

double add(ArrayRef<double> a) { return a[0] + a[1]; }
double sub(ArrayRef<double> a) { return a[0] - a[1]; }
double mul(ArrayRef<double> a) { return a[0] * a[1]; }
double equal(ArrayRef<double> a) { return double(a[0] == a[1]); }
double less(ArrayRef<double> a) { return double(a[0] < a[1]); }
double greater(ArrayRef<double> a) { return double(a[0] > a[1]); }
double logicalNot(ArrayRef<double> a) { return double(a[0] == 0); }
double neg(ArrayRef<double> a) { return -a[0]; }
double sqrt(ArrayRef<double> a) { return std::sqrt(a[0]); }
double pow(ArrayRef<double> a) { return std::pow(a[0], a[1]); }
double exp(ArrayRef<double> a) { return std::exp(a[0]); }
double erf(ArrayRef<double> a) { return std::erf(a[0]); }
double tanh(ArrayRef<double> a) { return std::tanh(a[0]); }
double abs(ArrayRef<double> a) { return std::abs(a[0]); }
double reciprocal(ArrayRef<double> a) { return 1.0 / a[0]; }

LogicalResult div(HostEvaluation &eval) {
  if (!eval.all())
    return success();
  bool intMath = eval.intMath();
  if (intMath)
    for (int64_t x : eval.in[1]->i)
      if (x == 0)
        return eval.binder.error() << "integer division by zero";
  return eval.elementwise(
      [&](auto a) { return intMath ? std::floor(a[0] / a[1]) : a[0] / a[1]; });
}

LogicalResult mod(HostEvaluation &eval) {
  if (!eval.all())
    return success();
  bool intMath = eval.intMath();
  bool fmod = eval.binder.attrInt("fmod", 0);
  for (auto &t : eval.in)
    if (!fmod && t->isFloat)
      return eval.binder.error() << "Mod of floats needs fmod = 1";
  if (!intMath || fmod)
    return eval.elementwise([](auto a) { return std::fmod(a[0], a[1]); });
  for (int64_t x : eval.in[1]->i)
    if (x == 0)
      return eval.binder.error() << "integer modulo by zero";
  // Integer Mod takes the sign of the divisor (Python's %).
  return eval.elementwise([](auto a) {
    double r = std::fmod(a[0], a[1]);
    return r != 0 && ((r < 0) != (a[1] < 0)) ? r + a[1] : r;
  });
}

/// Max and Min of two inputs (more stay unevaluated).
template <bool IsMax> LogicalResult minMax(HostEvaluation &eval) {
  if (!eval.all() || eval.in.size() != 2)
    return success();
  return eval.elementwise([](auto a) {
    return IsMax ? std::max(a[0], a[1]) : std::min(a[0], a[1]);
  });
}

LogicalResult where(HostEvaluation &eval) {
  if (!eval.all())
    return success();
  auto &in = eval.in;
  // The result type is that of the branches.
  bool isFloat = in[1]->isFloat || in[2]->isFloat;
  auto cond = in[0];
  in.erase(in.begin());
  in.push_back(cond);
  return eval.elementwise([](auto a) { return a[2] != 0 ? a[0] : a[1]; },
                          !isFloat);
}

} // namespace

void registerEvaluationOps(OpRegistry &registry) {
  registry.addHost("Shape", 1, shape, /*shapeOnly=*/true);
  registry.addHost("Size", 1, size, /*shapeOnly=*/true);
  registry.addHost("Identity", 1, identity);
  registry.addHost("Dropout", 1, identity);
  registry.addHost("Add", 1, elementwise<add>);
  registry.addHost("Sub", 1, elementwise<sub>);
  registry.addHost("Mul", 1, elementwise<mul>);
  registry.addHost("Div", 1, div);
  registry.addHost("Equal", 1, elementwise<equal, true>);
  registry.addHost("Less", 1, elementwise<less, true>);
  registry.addHost("Greater", 1, elementwise<greater, true>);
  registry.addHost("Not", 1, elementwise<logicalNot, true>);
  registry.addHost("Neg", 1, elementwise<neg>);
  registry.addHost("Sqrt", 1, elementwise<sqrt>);
  registry.addHost("Pow", 1, elementwise<pow>);
  registry.addHost("Exp", 1, elementwise<exp>);
  registry.addHost("Erf", 1, elementwise<erf>);
  registry.addHost("Tanh", 1, elementwise<tanh>);
  registry.addHost("Abs", 1, elementwise<abs>);
  registry.addHost("Reciprocal", 1, elementwise<reciprocal>);
  registry.addHost("ScatterND", 1, scatterND);
  registry.addHost("Mod", 1, mod);
  registry.addHost("Max", 1, minMax<true>);
  registry.addHost("Min", 1, minMax<false>);
  registry.addHost("Where", 1, where);
  registry.addHost("Cast", 1, castOp);
  registry.addHost("ConstantOfShape", 1, constantOfShape);
  registry.addHost("Range", 1, range);

  // Only on values known at import time.
  for (StringRef op : {"Shape", "Size", "Equal", "Less", "Greater", "Not",
                       "Range", "ConstantOfShape"})
    registry.addRuntime(op, 1, requireKnownInputs);
}

} // namespace onnx_import
} // namespace acc
