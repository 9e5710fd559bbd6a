//===- Contraction.cpp - ONNX Gemm and MatMul to nn -----------------------===//
//
// Part of the acc project.
//
// Gemm to nn.linear (alpha and beta folded into constant operands); MatMul
// to nn.linear when its right operand is a constant matrix (the weight
// transposed at import time to nn's [N, K]), else to nn.matmul, with NumPy's
// promotion of rank-1 operands.
//
//===----------------------------------------------------------------------===//

#include "OpBinder.h"

#include "acc/Dialect/NN/IR/NNOps.h"

using namespace mlir;

namespace acc {
namespace onnx_import {
namespace {

LogicalResult gemm(OpBinder &binder) {
  ImplicitLocOpBuilder &b = binder.builder();
  FailureOr<Val> a = binder.input(0), w = binder.input(1);
  if (failed(a) || failed(w))
    return failure();
  if (a->rank() != 2 || w->rank() != 2)
    return binder.error() << "A and B must have rank 2; got "
                          << shapeStr(a->shape()) << " and "
                          << shapeStr(w->shape());
  float alpha = binder.attrFloat("alpha", 1.0f),
        beta = binder.attrFloat("beta", 1.0f);
  bool transA = binder.attrInt("transA", 0),
       transB = binder.attrInt("transB", 0);
  FailureOr<Value> av = binder.toValue(*a);
  if (failed(av))
    return failure();
  Value x = transA ? binder.transpose(*av, {1, 0}) : *av;
  int64_t m = cast<RankedTensorType>(x.getType()).getShape()[0];
  int64_t k = cast<RankedTensorType>(x.getType()).getShape()[1];
  // nn.linear takes W as [N, K].
  Value weight;
  int64_t n;
  if (w->known()) {
    HostRef wt = transB ? w->host : hostTranspose(*w->host, {1, 0});
    if (alpha != 1.0f)
      wt = HostTensor::scaled(*wt, alpha, wt->shape);
    FailureOr<Value> wv = binder.toValue(Val{wt, Value()});
    if (failed(wv))
      return failure();
    weight = *wv;
  } else {
    if (alpha != 1.0f)
      return binder.error() << "alpha != 1 with a runtime B is not supported";
    FailureOr<Value> wv = binder.toValue(*w);
    if (failed(wv))
      return failure();
    weight = transB ? *wv : binder.transpose(*wv, {1, 0});
  }
  n = cast<RankedTensorType>(weight.getType()).getShape()[0];
  if (cast<RankedTensorType>(weight.getType()).getShape()[1] != k)
    return binder.error() << "inner dimensions differ: A "
                          << shapeStr(a->shape()) << ", B "
                          << shapeStr(w->shape());
  Value bias, extraAdd;
  if (binder.hasInput(2) && beta != 0.0f) {
    FailureOr<Val> c = binder.input(2);
    if (failed(c))
      return failure();
    auto s = broadcast(c->shape(), {m, n});
    if (!s || (*s)[0] != m || (*s)[1] != n)
      return binder.error() << "C " << shapeStr(c->shape())
                            << " does not broadcast to " << shapeStr({m, n});
    bool perColumn = c->rank() == 1 || (c->rank() == 2 && c->shape()[0] == 1);
    if (c->known() && perColumn && c->shape().back() == n) {
      FailureOr<Value> bv =
          binder.toValue(Val{HostTensor::scaled(*c->host, beta, {n}), Value()});
      if (failed(bv))
        return failure();
      bias = *bv;
    } else {
      if (beta != 1.0f)
        return binder.error() << "beta != 1 with this C is not supported";
      FailureOr<Value> cv = binder.toValue(*c);
      if (failed(cv))
        return failure();
      extraAdd = *cv;
    }
  }
  Value y = nn::LinearOp::create(b, binder.tensorType({m, n}), x, weight, bias);
  if (extraAdd)
    y = nn::AddOp::create(b, binder.tensorType({m, n}), y, extraAdd);
  return binder.setOutput(y);
}

LogicalResult matmul(OpBinder &binder) {
  ImplicitLocOpBuilder &b = binder.builder();
  FailureOr<Val> l = binder.input(0), r = binder.input(1);
  if (failed(l) || failed(r))
    return failure();
  if (l->rank() < 1 || r->rank() < 1)
    return binder.error() << "operands must have rank 1 or more";
  SmallVector<int64_t> ls(l->shape()), rs(r->shape());
  // Rank-1 operands: promoted as in numpy, the added dim dropped at the end.
  bool lVec = ls.size() == 1, rVec = rs.size() == 1;
  if (lVec)
    ls.insert(ls.begin(), 1);
  if (rVec)
    rs.push_back(1);
  if (ls.back() != rs[rs.size() - 2])
    return binder.error() << "inner dimensions differ: " << shapeStr(l->shape())
                          << " times " << shapeStr(r->shape());
  auto batch = broadcast(ArrayRef<int64_t>(ls).drop_back(2),
                         ArrayRef<int64_t>(rs).drop_back(2));
  if (!batch)
    return binder.error() << "batch dimensions of " << shapeStr(l->shape())
                          << " and " << shapeStr(r->shape())
                          << " do not broadcast";
  SmallVector<int64_t> outShape(*batch);
  outShape.push_back(ls[ls.size() - 2]);
  outShape.push_back(rs.back());
  FailureOr<Value> lv = binder.toValue(*l);
  if (failed(lv))
    return failure();
  Value lhs = binder.reshape(*lv, ls);
  Value y;
  if (r->known() && rs.size() == 2) {
    // A constant [K, N] right operand is a linear layer's weight.
    HostRef w = hostTranspose(*r->host, {1, 0});
    w->shape = {rs[1], rs[0]};
    FailureOr<Value> wv = binder.toValue(Val{w, Value()});
    if (failed(wv))
      return failure();
    y = nn::LinearOp::create(b, binder.tensorType(outShape), lhs, *wv, Value());
  } else {
    FailureOr<Value> rv = binder.toValue(*r);
    if (failed(rv))
      return failure();
    Value rhs = binder.reshape(*rv, rs);
    if (ls.size() < 2 || rs.size() < 2)
      return binder.error() << "unsupported operand ranks";
    y = nn::MatmulOp::create(b, binder.tensorType(outShape), lhs, rhs);
  }
  SmallVector<int64_t> finalShape(outShape);
  if (rVec)
    finalShape.pop_back();
  if (lVec)
    finalShape.erase(finalShape.end() - (rVec ? 1 : 2));
  return binder.setOutput(binder.reshape(y, finalShape));
}

} // namespace

void registerContractionOps(OpRegistry &registry) {
  registry.addRuntime("Gemm", 1, gemm);
  registry.addRuntime("MatMul", 1, matmul);
}

} // namespace onnx_import
} // namespace acc
