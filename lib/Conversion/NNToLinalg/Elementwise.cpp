//===- Elementwise.cpp - activations and broadcasting arithmetic ----------===//
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

/// x -> f(x) elementwise.
template <typename OpTy> struct UnaryLowering : public OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  using BodyFn = std::function<Value(OpBuilder &, Location, OpTy, Value)>;
  BodyFn fn;
  UnaryLowering(MLIRContext *ctx, BodyFn fn)
      : OpRewritePattern<OpTy>(ctx), fn(std::move(fn)) {}

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value in = op.getInput();
    auto type = cast<RankedTensorType>(in.getType());
    Value init = emptyTensor(rewriter, loc, sizesOf(rewriter, loc, in),
                             type.getElementType());
    AffineMap id = rewriter.getMultiDimIdentityMap(type.getRank());
    SmallVector<IteratorType> its(type.getRank(), kPar);
    Value r = generic(rewriter, loc, {in}, init, {id, id}, its,
                      [&](OpBuilder &b, Location l, ValueRange args) {
                        yieldV(b, l, fn(b, l, op, args[0]));
                      });
    replaceCast(rewriter, op, r);
    return success();
  }
};

Value sigmoidOf(OpBuilder &b, Location l, Value x) {
  Type t = x.getType();
  Value neg = arith::NegFOp::create(b, l, x);
  Value e = math::ExpOp::create(b, l, neg);
  Value den = arith::AddFOp::create(b, l, cstF(b, l, t, 1.0), e);
  return arith::DivFOp::create(b, l, cstF(b, l, t, 1.0), den);
}

Value clamp(OpBuilder &b, Location l, Value x, double lo, double hi) {
  Type t = x.getType();
  Value m = arith::MaximumFOp::create(b, l, x, cstF(b, l, t, lo));
  return arith::MinimumFOp::create(b, l, m, cstF(b, l, t, hi));
}

template <typename OpTy, typename ArithOp>
struct BinaryLowering : public OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto outType = cast<RankedTensorType>(op.getType());
    auto lt = cast<RankedTensorType>(op.getLhs().getType());
    auto rt = cast<RankedTensorType>(op.getRhs().getType());
    // Result sizes: each dim from an operand that is not a broadcast 1.
    SmallVector<OpFoldResult> computed;
    SmallVector<OpFoldResult> ls = sizesOf(rewriter, loc, op.getLhs()),
                              rs = sizesOf(rewriter, loc, op.getRhs());
    int64_t n = outType.getRank();
    for (int64_t j = 0; j < n; ++j) {
      int64_t il = j - (n - lt.getRank()), ir = j - (n - rt.getRank());
      if (il >= 0 && lt.getDimSize(il) != 1)
        computed.push_back(ls[il]);
      else if (ir >= 0)
        computed.push_back(rs[ir]);
      else
        computed.push_back(ls[il]);
    }
    Value init = emptyTensor(rewriter, loc,
                             resultSizes(rewriter, op.getResult(), computed),
                             outType.getElementType());
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<AffineMap> maps = {broadcastMap(ctx, lt, outType),
                                   broadcastMap(ctx, rt, outType),
                                   rewriter.getMultiDimIdentityMap(n)};
    SmallVector<IteratorType> its(n, kPar);
    Value r = generic(rewriter, loc, {op.getLhs(), op.getRhs()}, init, maps,
                      its, [&](OpBuilder &b, Location l, ValueRange a) {
                        Value v = ArithOp::create(b, l, a[0], a[1]);
                        yieldV(b, l, v);
                      });
    replaceCast(rewriter, op, r);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

} // namespace

void acc::detail::populateElementwiseLoweringPatterns(
    RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<UnaryLowering<ReluOp>>(
      ctx, [](OpBuilder &b, Location l, ReluOp, Value x) -> Value {
        // NaN propagates (as in PyTorch); the sign of a zero result does
        // not matter (`nsz`): against a constant 0, x86 then needs one
        // vmaxps, not a compare, a max and a blend.
        return arith::MaximumFOp::create(b, l, x, cstF(b, l, x.getType(), 0),
                                         arith::FastMathFlags::nsz);
      });
  patterns.add<UnaryLowering<SigmoidOp>>(
      ctx, [](OpBuilder &b, Location l, SigmoidOp, Value x) {
        return sigmoidOf(b, l, x);
      });
  patterns.add<UnaryLowering<SiluOp>>(
      ctx, [](OpBuilder &b, Location l, SiluOp, Value x) -> Value {
        return arith::MulFOp::create(b, l, x, sigmoidOf(b, l, x));
      });
  patterns.add<UnaryLowering<HardSwishOp>>(
      ctx, [](OpBuilder &b, Location l, HardSwishOp, Value x) -> Value {
        Type t = x.getType();
        Value s = arith::AddFOp::create(b, l, x, cstF(b, l, t, 3.0));
        Value c = clamp(b, l, s, 0.0, 6.0);
        Value m = arith::MulFOp::create(b, l, x, c);
        return arith::DivFOp::create(b, l, m, cstF(b, l, t, 6.0));
      });
  patterns.add<UnaryLowering<ClampOp>>(
      ctx, [](OpBuilder &b, Location l, ClampOp op, Value x) -> Value {
        Type t = x.getType();
        if (op.getMin())
          x = arith::MaximumFOp::create(
              b, l, x, cstF(b, l, t, op.getMin()->convertToDouble()));
        if (op.getMax())
          x = arith::MinimumFOp::create(
              b, l, x, cstF(b, l, t, op.getMax()->convertToDouble()));
        return x;
      });
  patterns.add<UnaryLowering<HardSigmoidOp>>(
      ctx, [](OpBuilder &b, Location l, HardSigmoidOp op, Value x) -> Value {
        Type t = x.getType();
        Value v = arith::MulFOp::create(
            b, l, x, cstF(b, l, t, op.getAlpha().convertToDouble()));
        v = arith::AddFOp::create(
            b, l, v, cstF(b, l, t, op.getBeta().convertToDouble()));
        return clamp(b, l, v, 0.0, 1.0);
      });
  patterns.add<UnaryLowering<GeluOp>>(
      ctx, [](OpBuilder &b, Location l, GeluOp op, Value x) -> Value {
        Type t = x.getType();
        Value half = arith::MulFOp::create(b, l, x, cstF(b, l, t, 0.5));
        Value inner;
        if (op.getApproximate() == GeluApproximation::Tanh) {
          Value x3 =
              arith::MulFOp::create(b, l, x, arith::MulFOp::create(b, l, x, x));
          Value s = arith::AddFOp::create(
              b, l, x,
              arith::MulFOp::create(b, l, x3, cstF(b, l, t, 0.044715)));
          Value k = arith::MulFOp::create(b, l, s,
                                          cstF(b, l, t, std::sqrt(2.0 / M_PI)));
          inner = math::TanhOp::create(b, l, k);
        } else {
          Value k = arith::MulFOp::create(b, l, x,
                                          cstF(b, l, t, 1.0 / std::sqrt(2.0)));
          inner = math::ErfOp::create(b, l, k);
        }
        Value one = arith::AddFOp::create(b, l, inner, cstF(b, l, t, 1.0));
        return arith::MulFOp::create(b, l, half, one);
      });
  patterns.add<BinaryLowering<AddOp, arith::AddFOp>,
               BinaryLowering<SubOp, arith::SubFOp>,
               BinaryLowering<MulOp, arith::MulFOp>,
               BinaryLowering<DivOp, arith::DivFOp>>(ctx);
}
