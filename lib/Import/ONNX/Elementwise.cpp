//===- Elementwise.cpp - ONNX elementwise ops to nn and linalg ------------===//
//
// Part of the acc project.
//
// Activations (Relu, Sigmoid, HardSigmoid, HardSwish, Clip), arithmetic
// (Add, Sub, Mul, Div, Pow), math without an nn op (Erf, Sqrt, Exp, Tanh,
// Neg, Abs, Reciprocal as linalg named ops), Where with a known condition,
// and the ops that pass a value through (Identity, Dropout, Cast to float).
//
//===----------------------------------------------------------------------===//

#include "OpBinder.h"

#include "acc/Dialect/NN/IR/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace acc {
namespace onnx_import {
namespace {

/// Identity and Dropout (inference): the input itself.
LogicalResult passThrough(OpBinder &binder) {
  FailureOr<Val> v = binder.input(0);
  if (failed(v))
    return failure();
  return binder.setOutput(0, *v);
}

/// Cast of an activation: only to f32, which it already is.
LogicalResult castOp(OpBinder &binder) {
  int64_t to = binder.attrInt("to", 0);
  if (to != onnx::TensorProto::FLOAT)
    return binder.error() << "casting an activation to "
                          << onnx::TensorProto::DataType_Name(
                                 onnx::TensorProto::DataType(to))
                          << " is not supported (acc computes in f32)";
  return passThrough(binder);
}

/// A unary op with an nn counterpart.
template <typename OpTy> LogicalResult nnUnary(OpBinder &binder) {
  FailureOr<Value> x = binder.runtimeInput(0);
  if (failed(x))
    return failure();
  return binder.setOutput(
      OpTy::create(binder.builder(), x->getType(), *x).getResult());
}

LogicalResult hardSigmoid(OpBinder &binder) {
  ImplicitLocOpBuilder &b = binder.builder();
  FailureOr<Value> x = binder.runtimeInput(0);
  if (failed(x))
    return failure();
  return binder.setOutput(nn::HardSigmoidOp::create(
      b, x->getType(), *x, b.getF32FloatAttr(binder.attrFloat("alpha", 0.2f)),
      b.getF32FloatAttr(binder.attrFloat("beta", 0.5f))));
}

/// A unary op without an nn counterpart: a linalg named op.
template <typename LinalgOp> LogicalResult linalgUnary(OpBinder &binder) {
  ImplicitLocOpBuilder &b = binder.builder();
  FailureOr<Value> x = binder.runtimeInput(0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  Value out = binder.empty(type.getShape());
  return binder.setOutput(
      LinalgOp::create(b, TypeRange{type}, ValueRange{*x}, ValueRange{out})
          ->getResult(0));
}

LogicalResult binary(OpBinder &binder) {
  StringRef op = binder.opType();
  ImplicitLocOpBuilder &b = binder.builder();
  FailureOr<Val> l = binder.input(0), r = binder.input(1);
  if (failed(l) || failed(r))
    return failure();
  auto shape = broadcast(l->shape(), r->shape());
  if (!shape)
    return binder.error() << "shapes " << shapeStr(l->shape()) << " and "
                          << shapeStr(r->shape()) << " do not broadcast";
  FailureOr<Value> lv = binder.toValue(*l), rv = binder.toValue(*r);
  if (failed(lv) || failed(rv))
    return failure();
  Type type = binder.tensorType(*shape);
  Value res;
  if (op == "Add")
    res = nn::AddOp::create(b, type, *lv, *rv);
  else if (op == "Sub")
    res = nn::SubOp::create(b, type, *lv, *rv);
  else if (op == "Mul")
    res = nn::MulOp::create(b, type, *lv, *rv);
  else
    res = nn::DivOp::create(b, type, *lv, *rv);
  return binder.setOutput(res);
}

LogicalResult pow(OpBinder &binder) {
  ImplicitLocOpBuilder &b = binder.builder();
  FailureOr<Val> x = binder.input(0), e = binder.input(1);
  if (failed(x) || failed(e))
    return failure();
  FailureOr<Value> xv = binder.toValue(*x);
  if (failed(xv))
    return failure();
  if (e->known() && e->host->numel() == 1) {
    double p = e->host->at(0);
    if (p == 1)
      return binder.setOutput(*xv);
    if (p == 2)
      return binder.setOutput(nn::MulOp::create(b, xv->getType(), *xv, *xv));
    if (p == 0.5) {
      return binder.setOutput(
          linalg::SqrtOp::create(b, TypeRange{xv->getType()}, ValueRange{*xv},
                                 ValueRange{binder.empty(x->shape())})
              ->getResult(0));
    }
  }
  auto shape = broadcast(x->shape(), e->shape());
  if (!shape || ArrayRef<int64_t>(*shape) != x->shape())
    return binder.error() << "the exponent's shape " << shapeStr(e->shape())
                          << " must broadcast to the base's "
                          << shapeStr(x->shape());
  Value ev;
  if (e->known()) {
    if (e->host->numel() != 1)
      return binder.error() << "a non-scalar exponent is not supported";
    ev = binder.splat(float(e->host->at(0)), x->shape());
  } else {
    if (e->shape() != x->shape())
      return binder.error() << "a runtime exponent must have the base's shape";
    ev = e->value;
  }
  return binder.setOutput(
      linalg::PowFOp::create(b, TypeRange{xv->getType()}, ValueRange{*xv, ev},
                             ValueRange{binder.empty(x->shape())})
          ->getResult(0));
}

/// Where with a condition known at import time (masked_fill with a constant
/// mask): a select between the branches, broadcast to the result's shape.
LogicalResult where(OpBinder &binder) {
  ImplicitLocOpBuilder &b = binder.builder();
  FailureOr<Val> c = binder.input(0), x = binder.input(1), y = binder.input(2);
  if (failed(c) || failed(x) || failed(y))
    return failure();
  if (!c->known())
    return binder.error()
           << "the condition depends on the model's inputs; only "
              "conditions known at import time are supported";
  auto shape = broadcast(c->shape(), x->shape());
  if (shape)
    shape = broadcast(*shape, y->shape());
  if (!shape)
    return binder.error() << "condition " << shapeStr(c->shape()) << ", "
                          << shapeStr(x->shape()) << " and "
                          << shapeStr(y->shape()) << " do not broadcast";
  FailureOr<Value> xv = binder.toValue(*x), yv = binder.toValue(*y);
  if (failed(xv) || failed(yv))
    return failure();
  // The condition as bytes (i1 vectors would be read bit-packed from a
  // byte-per-element buffer).
  auto condType = RankedTensorType::get(c->shape(), b.getI8Type());
  SmallVector<int8_t> bytes;
  for (int64_t k = 0; k < c->host->numel(); ++k)
    bytes.push_back(c->host->at(k) != 0);
  Value cond = arith::ConstantOp::create(
      binder.constBuilder(), binder.fileLoc(), condType,
      DenseElementsAttr::get(condType, ArrayRef<int8_t>(bytes)));
  int64_t r = shape->size();
  // Trailing-aligned broadcast maps: a size-1 or missing dim reads index 0.
  auto mapFor = [&](ArrayRef<int64_t> s) {
    SmallVector<AffineExpr> exprs;
    for (size_t k = 0; k < s.size(); ++k) {
      int64_t d = r - int64_t(s.size()) + int64_t(k);
      exprs.push_back(s[k] == 1 && (*shape)[d] != 1 ? b.getAffineConstantExpr(0)
                                                    : b.getAffineDimExpr(d));
    }
    return AffineMap::get(r, 0, exprs, binder.getContext());
  };
  SmallVector<AffineMap> maps = {mapFor(c->shape()), mapFor(x->shape()),
                                 mapFor(y->shape()),
                                 b.getMultiDimIdentityMap(r)};
  SmallVector<utils::IteratorType> iters(r, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, TypeRange{binder.tensorType(*shape)}, ValueRange{cond, *xv, *yv},
      ValueRange{binder.empty(*shape)}, maps, iters,
      [](OpBuilder &nb, Location l, ValueRange args) {
        Value zero = arith::ConstantIntOp::create(nb, l, nb.getI8Type(), 0);
        Value set = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ne,
                                          args[0], zero);
        Value v = arith::SelectOp::create(nb, l, set, args[1], args[2]);
        linalg::YieldOp::create(nb, l, v);
      });
  return binder.setOutput(generic.getResult(0));
}

/// Clip: the bounds are attributes before opset 11, inputs from it on.
template <bool BoundsAreInputs> LogicalResult clip(OpBinder &binder) {
  ImplicitLocOpBuilder &b = binder.builder();
  FailureOr<Value> x = binder.runtimeInput(0);
  if (failed(x))
    return failure();
  FloatAttr bounds[2];
  for (int k = 0; k < 2; ++k) {
    std::optional<float> v;
    if (BoundsAreInputs) {
      if (binder.hasInput(k + 1)) {
        FailureOr<HostRef> h = binder.knownInput(
            k + 1, k == 0 ? "the lower bound" : "the upper bound");
        if (failed(h))
          return failure();
        if ((*h)->numel() != 1)
          return binder.error() << "the bounds must be scalars";
        v = float((*h)->at(0));
      }
    } else if (binder.attr(k == 0 ? "min" : "max")) {
      v = binder.attrFloat(k == 0 ? "min" : "max", 0.0f);
    }
    if (v)
      bounds[k] = b.getF32FloatAttr(*v);
  }
  if (bounds[0] && bounds[1] &&
      bounds[0].getValueAsDouble() > bounds[1].getValueAsDouble())
    return binder.error() << "min " << bounds[0].getValueAsDouble()
                          << " exceeds max " << bounds[1].getValueAsDouble();
  if (!bounds[0] && !bounds[1])
    return binder.setOutput(*x);
  return binder.setOutput(
      nn::ClampOp::create(b, x->getType(), *x, bounds[0], bounds[1]));
}

} // namespace

void registerElementwiseOps(OpRegistry &registry) {
  registry.addRuntime("Identity", 1, passThrough);
  registry.addRuntime("Dropout", 1, passThrough);
  registry.addRuntime("Cast", 1, castOp);
  registry.addRuntime("Relu", 1, nnUnary<nn::ReluOp>);
  registry.addRuntime("Sigmoid", 1, nnUnary<nn::SigmoidOp>);
  registry.addRuntime("HardSwish", 1, nnUnary<nn::HardSwishOp>);
  registry.addRuntime("HardSigmoid", 1, hardSigmoid);
  registry.addRuntime("Clip", 1, clip<false>);
  registry.addRuntime("Clip", 11, clip<true>);
  registry.addRuntime("Erf", 1, linalgUnary<linalg::ErfOp>);
  registry.addRuntime("Sqrt", 1, linalgUnary<linalg::SqrtOp>);
  registry.addRuntime("Exp", 1, linalgUnary<linalg::ExpOp>);
  registry.addRuntime("Tanh", 1, linalgUnary<linalg::TanhOp>);
  registry.addRuntime("Neg", 1, linalgUnary<linalg::NegFOp>);
  registry.addRuntime("Abs", 1, linalgUnary<linalg::AbsOp>);
  registry.addRuntime("Reciprocal", 1, linalgUnary<linalg::ReciprocalOp>);
  for (StringRef op : {"Add", "Sub", "Mul", "Div"})
    registry.addRuntime(op, 1, binary);
  registry.addRuntime("Pow", 1, pow);
  registry.addRuntime("Where", 1, where);
}

} // namespace onnx_import
} // namespace acc
