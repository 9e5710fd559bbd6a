//===- Contraction.cpp - nn.linear and nn.matmul --------------------------===//
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

struct LinearLowering : public OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto xt = cast<RankedTensorType>(op.getInput().getType());
    int64_t r = xt.getRank();
    SmallVector<OpFoldResult> xs = sizesOf(rewriter, loc, op.getInput());
    SmallVector<OpFoldResult> computed(xs.begin(), xs.end());
    computed.back() = sizesOf(rewriter, loc, op.getWeight())[0];
    SmallVector<OpFoldResult> sizes =
        resultSizes(rewriter, op.getResult(), computed);
    Value init = initWithBias(rewriter, loc, sizes, xt.getElementType(),
                              op.getBias(), r - 1);
    // Loops: the r output dims, then k.
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<AffineExpr> xe, oe;
    for (int64_t i = 0; i < r - 1; ++i) {
      xe.push_back(getAffineDimExpr(i, ctx));
      oe.push_back(getAffineDimExpr(i, ctx));
    }
    AffineExpr n = getAffineDimExpr(r - 1, ctx), k = getAffineDimExpr(r, ctx);
    xe.push_back(k);
    oe.push_back(n);
    // The weight is packed as [K, N] (a transpose, folded for constants):
    // each reduction step of a register block then reads a contiguous row
    // of output features instead of a strided column.
    Value packed = transposed(rewriter, loc, op.getWeight(), {1, 0});
    SmallVector<AffineMap> maps = {AffineMap::get(r + 1, 0, xe, ctx),
                                   AffineMap::get(r + 1, 0, {k, n}, ctx),
                                   AffineMap::get(r + 1, 0, oe, ctx)};
    SmallVector<IteratorType> its(r, kPar);
    its.push_back(kRed);
    Value res = generic(rewriter, loc, {op.getInput(), packed}, init, maps, its,
                        mulAddBody);
    replaceCast(rewriter, op, res);
    return success();
  }
};

struct MatmulLowering : public OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto at = cast<RankedTensorType>(op.getLhs().getType());
    auto bt = cast<RankedTensorType>(op.getRhs().getType());
    auto ot = cast<RankedTensorType>(op.getType());
    int64_t n = ot.getRank(); // batch dims + M + N; loops add K
    SmallVector<OpFoldResult> as = sizesOf(rewriter, loc, op.getLhs()),
                              bs = sizesOf(rewriter, loc, op.getRhs());
    SmallVector<OpFoldResult> computed;
    int64_t batch = n - 2;
    for (int64_t j = 0; j < batch; ++j) {
      int64_t ia = j - (batch - (at.getRank() - 2));
      int64_t ib = j - (batch - (bt.getRank() - 2));
      if (ia >= 0 && at.getDimSize(ia) != 1)
        computed.push_back(as[ia]);
      else if (ib >= 0)
        computed.push_back(bs[ib]);
      else
        computed.push_back(as[ia]);
    }
    computed.push_back(as[at.getRank() - 2]);
    computed.push_back(bs.back());
    Value init = initWithBias(rewriter, loc,
                              resultSizes(rewriter, op.getResult(), computed),
                              ot.getElementType(), Value(), 0);
    MLIRContext *ctx = rewriter.getContext();
    auto operandMap = [&](RankedTensorType t, bool isLhs) {
      SmallVector<AffineExpr> e;
      int64_t tb = t.getRank() - 2;
      for (int64_t i = 0; i < tb; ++i) {
        int64_t j = i + batch - tb;
        if (t.getDimSize(i) == 1 && ot.getDimSize(j) != 1)
          e.push_back(getAffineConstantExpr(0, ctx));
        else
          e.push_back(getAffineDimExpr(j, ctx));
      }
      AffineExpr m = getAffineDimExpr(batch, ctx),
                 nn = getAffineDimExpr(batch + 1, ctx),
                 k = getAffineDimExpr(batch + 2, ctx);
      if (isLhs) {
        e.push_back(m);
        e.push_back(k);
      } else {
        e.push_back(k);
        e.push_back(nn);
      }
      return AffineMap::get(n + 1, 0, e, ctx);
    };
    SmallVector<AffineExpr> oe;
    for (int64_t i = 0; i < n; ++i)
      oe.push_back(getAffineDimExpr(i, ctx));
    SmallVector<AffineMap> maps = {operandMap(at, true), operandMap(bt, false),
                                   AffineMap::get(n + 1, 0, oe, ctx)};
    SmallVector<IteratorType> its(n, kPar);
    its.push_back(kRed);
    Value res = generic(rewriter, loc, {op.getLhs(), op.getRhs()}, init, maps,
                        its, mulAddBody);
    replaceCast(rewriter, op, res);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

} // namespace

void acc::detail::populateContractionLoweringPatterns(
    RewritePatternSet &patterns) {
  patterns.add<LinearLowering, MatmulLowering>(patterns.getContext());
}
