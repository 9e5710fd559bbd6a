//===- Normalization.cpp - norms and softmax ------------------------------===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "acc/Dialect/NN/IR/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace acc::nn;
using utils::IteratorType;
using namespace acc::detail;

namespace {

/// Reduces `in` over dims [axis, rank) (or just `axis` when `single`) into a
/// tensor of the kept dims, with `combine(acc, x)` from `initValue`;
/// `pre(x, keptValues...)` transforms x first.
Value reduceTrailing(
    OpBuilder &b, Location loc, Value in, int64_t axis, bool single,
    double initValue, ValueRange keptInputs,
    function_ref<Value(OpBuilder &, Location, Value, ValueRange)> pre,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  auto t = cast<RankedTensorType>(in.getType());
  int64_t r = t.getRank();
  MLIRContext *ctx = b.getContext();
  SmallVector<OpFoldResult> is = sizesOf(b, loc, in), kept;
  SmallVector<AffineExpr> keptExprs;
  SmallVector<IteratorType> its;
  for (int64_t i = 0; i < r; ++i) {
    bool reduced = single ? i == axis : i >= axis;
    its.push_back(reduced ? kRed : kPar);
    if (!reduced) {
      kept.push_back(is[i]);
      keptExprs.push_back(getAffineDimExpr(i, ctx));
    }
  }
  Type elt = t.getElementType();
  Value init = fill(b, loc, emptyTensor(b, loc, kept, elt),
                    cstF(b, loc, elt, initValue));
  AffineMap keptMap = AffineMap::get(r, 0, keptExprs, ctx);
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(r)};
  SmallVector<Value> inputs = {in};
  for (Value k : keptInputs) {
    inputs.push_back(k);
    maps.push_back(keptMap);
  }
  maps.push_back(keptMap);
  return generic(b, loc, inputs, init, maps, its,
                 [&](OpBuilder &bb, Location l, ValueRange a) {
                   Value x = pre(bb, l, a[0], a.drop_front().drop_back());
                   yieldV(bb, l, combine(bb, l, a.back(), x));
                 });
}

struct LayerNormLowering : public OpRewritePattern<LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LayerNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value in = op.getInput();
    auto t = cast<RankedTensorType>(in.getType());
    Type elt = t.getElementType();
    int64_t r = t.getRank(), axis = op.getNormalizedAxis();
    SmallVector<OpFoldResult> is = sizesOf(rewriter, loc, in);
    OpFoldResult count = rewriter.getIndexAttr(1);
    for (int64_t i = axis; i < r; ++i)
      count = mulOfr(rewriter, loc, count, is[i]);
    Value countF = arith::SIToFPOp::create(
        rewriter, loc, elt,
        arith::IndexCastOp::create(rewriter, loc, rewriter.getI64Type(),
                                   toValue(rewriter, loc, count)));
    auto add = [](OpBuilder &b, Location l, Value acc, Value x) -> Value {
      return arith::AddFOp::create(b, l, acc, x);
    };
    auto identity = [](OpBuilder &, Location, Value x, ValueRange) {
      return x;
    };
    Value sum =
        reduceTrailing(rewriter, loc, in, axis, false, 0.0, {}, identity, add);
    // mean = sum / count; var = sum((x - mean)^2) / count.
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<AffineExpr> keptExprs;
    for (int64_t i = 0; i < axis; ++i)
      keptExprs.push_back(getAffineDimExpr(i, ctx));
    AffineMap keptMap = AffineMap::get(r, 0, keptExprs, ctx);
    AffineMap keptId = rewriter.getMultiDimIdentityMap(axis);
    SmallVector<IteratorType> keptIts(axis, kPar);
    SmallVector<OpFoldResult> kept(is.begin(), is.begin() + axis);
    Value mean = generic(
        rewriter, loc, {sum}, emptyTensor(rewriter, loc, kept, elt),
        {keptId, keptId}, keptIts, [&](OpBuilder &b, Location l, ValueRange a) {
          yieldV(b, l, arith::DivFOp::create(b, l, a[0], countF));
        });
    Value sq = reduceTrailing(
        rewriter, loc, in, axis, false, 0.0, {mean},
        [](OpBuilder &b, Location l, Value x, ValueRange kv) -> Value {
          Value dlt = arith::SubFOp::create(b, l, x, kv[0]);
          return arith::MulFOp::create(b, l, dlt, dlt);
        },
        add);
    double eps = op.getEpsilon().convertToDouble();
    Value rstd = generic(
        rewriter, loc, {sq}, emptyTensor(rewriter, loc, kept, elt),
        {keptId, keptId}, keptIts, [&](OpBuilder &b, Location l, ValueRange a) {
          Value var = arith::DivFOp::create(b, l, a[0], countF);
          Value ve = arith::AddFOp::create(b, l, var, cstF(b, l, elt, eps));
          yieldV(b, l,
                 arith::DivFOp::create(b, l, cstF(b, l, elt, 1.0),
                                       math::SqrtOp::create(b, l, ve)));
        });
    // y = (x - mean) * rstd * w + b.
    SmallVector<Value> inputs = {in, mean, rstd};
    AffineMap id = rewriter.getMultiDimIdentityMap(r);
    SmallVector<AffineExpr> normExprs;
    for (int64_t i = axis; i < r; ++i)
      normExprs.push_back(getAffineDimExpr(i, ctx));
    AffineMap normMap = AffineMap::get(r, 0, normExprs, ctx);
    SmallVector<AffineMap> maps = {id, keptMap, keptMap};
    if (op.getWeight()) {
      inputs.push_back(op.getWeight());
      maps.push_back(normMap);
    }
    if (op.getBias()) {
      inputs.push_back(op.getBias());
      maps.push_back(normMap);
    }
    maps.push_back(id);
    bool hasW = op.getWeight() != nullptr, hasB = op.getBias() != nullptr;
    Value res =
        generic(rewriter, loc, inputs, emptyTensor(rewriter, loc, is, elt),
                maps, SmallVector<IteratorType>(r, kPar),
                [&](OpBuilder &b, Location l, ValueRange a) {
                  Value v = arith::MulFOp::create(
                      b, l, arith::SubFOp::create(b, l, a[0], a[1]), a[2]);
                  unsigned next = 3;
                  if (hasW)
                    v = arith::MulFOp::create(b, l, v, a[next++]);
                  if (hasB)
                    v = arith::AddFOp::create(b, l, v, a[next++]);
                  yieldV(b, l, v);
                });
    replaceCast(rewriter, op, res);
    return success();
  }
};

struct BatchNormLowering : public OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value in = op.getInput();
    auto t = cast<RankedTensorType>(in.getType());
    Type elt = t.getElementType();
    int64_t r = t.getRank(), ca = op.getChannelAxis();
    MLIRContext *ctx = rewriter.getContext();
    AffineMap id = rewriter.getMultiDimIdentityMap(r);
    AffineMap cm = AffineMap::get(r, 0, {getAffineDimExpr(ca, ctx)}, ctx);
    double eps = op.getEpsilon().convertToDouble();
    Value res = generic(
        rewriter, loc,
        {in, op.getScale(), op.getBias(), op.getMean(), op.getVariance()},
        emptyTensor(rewriter, loc, sizesOf(rewriter, loc, in), elt),
        {id, cm, cm, cm, cm, id}, SmallVector<IteratorType>(r, kPar),
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value ve = arith::AddFOp::create(b, l, a[4], cstF(b, l, elt, eps));
          Value sc =
              arith::DivFOp::create(b, l, a[1], math::SqrtOp::create(b, l, ve));
          Value v = arith::MulFOp::create(
              b, l, arith::SubFOp::create(b, l, a[0], a[3]), sc);
          yieldV(b, l, arith::AddFOp::create(b, l, v, a[2]));
        });
    replaceCast(rewriter, op, res);
    return success();
  }
};

struct SoftmaxLowering : public OpRewritePattern<SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SoftmaxOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value in = op.getInput();
    auto t = cast<RankedTensorType>(in.getType());
    Type elt = t.getElementType();
    // I64Attr getters return uint64_t: go through int64_t for negatives.
    int64_t r = t.getRank(), axis = static_cast<int64_t>(op.getAxis());
    if (axis < 0)
      axis += r;
    auto identity = [](OpBuilder &, Location, Value x, ValueRange) {
      return x;
    };
    // The row max as maxnum without NaN checks (`nnan`): its lane
    // reductions vectorize (see nn-cpu-tile-and-vectorize), and so does
    // LLVM's loop over a row of dynamic length (a chain of scalar maxss
    // without the flag); a NaN in the row still makes the whole row NaN,
    // through its exp in the sum, whatever the max.
    Value mx = reduceTrailing(
        rewriter, loc, in, axis, true, -std::numeric_limits<double>::infinity(),
        {}, identity,
        [](OpBuilder &b, Location l, Value acc, Value x) -> Value {
          return arith::MaxNumFOp::create(b, l, acc, x,
                                          arith::FastMathFlags::nnan);
        });
    Value sum = reduceTrailing(
        rewriter, loc, in, axis, true, 0.0, {mx},
        [](OpBuilder &b, Location l, Value x, ValueRange kv) -> Value {
          return math::ExpOp::create(b, l,
                                     arith::SubFOp::create(b, l, x, kv[0]));
        },
        [](OpBuilder &b, Location l, Value acc, Value x) -> Value {
          return arith::AddFOp::create(b, l, acc, x);
        });
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<AffineExpr> keptExprs;
    for (int64_t i = 0; i < r; ++i)
      if (i != axis)
        keptExprs.push_back(getAffineDimExpr(i, ctx));
    AffineMap keptMap = AffineMap::get(r, 0, keptExprs, ctx);
    AffineMap id = rewriter.getMultiDimIdentityMap(r);
    Value res =
        generic(rewriter, loc, {in, mx, sum},
                emptyTensor(rewriter, loc, sizesOf(rewriter, loc, in), elt),
                {id, keptMap, keptMap, id}, SmallVector<IteratorType>(r, kPar),
                [](OpBuilder &b, Location l, ValueRange a) {
                  Value e = math::ExpOp::create(
                      b, l, arith::SubFOp::create(b, l, a[0], a[1]));
                  yieldV(b, l, arith::DivFOp::create(b, l, e, a[2]));
                });
    replaceCast(rewriter, op, res);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Reshapes
//===----------------------------------------------------------------------===//

} // namespace

void acc::detail::populateNormalizationLoweringPatterns(
    RewritePatternSet &patterns) {
  patterns.add<LayerNormLowering, BatchNormLowering, SoftmaxLowering>(
      patterns.getContext());
}
