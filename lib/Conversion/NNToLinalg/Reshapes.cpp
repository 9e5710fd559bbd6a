//===- Reshapes.cpp - image, token, window and head reshapes --------------===//
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

struct ImageToTokensLowering : public OpRewritePattern<ImageToTokensOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ImageToTokensOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value v = op.getInput();
    if (op.getLayout() == Layout::NCHW)
      v = transpose(rewriter, loc, v, {0, 2, 3, 1});
    replaceCast(rewriter, op, collapse(rewriter, loc, v, {{0}, {1, 2}, {3}}));
    return success();
  }
};

struct TokensToImageLowering : public OpRewritePattern<TokensToImageOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TokensToImageOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    SmallVector<OpFoldResult> ts = sizesOf(rewriter, loc, op.getInput());
    SmallVector<OpFoldResult> nhwc = {
        ts[0], rewriter.getIndexAttr(op.getHeight()),
        rewriter.getIndexAttr(op.getWidth()), ts[2]};
    Value v = expand(rewriter, loc, op.getInput(), {{0}, {1, 2}, {3}}, nhwc);
    if (op.getLayout() == Layout::NCHW)
      v = transpose(rewriter, loc, v, {0, 3, 1, 2});
    replaceCast(rewriter, op, v);
    return success();
  }
};

struct SplitHeadsLowering : public OpRewritePattern<SplitHeadsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SplitHeadsOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    SmallVector<OpFoldResult> s = sizesOf(rewriter, loc, op.getInput());
    int64_t h = op.getNumHeads();
    SmallVector<OpFoldResult> bnhd = {s[0], s[1], rewriter.getIndexAttr(h),
                                      divOfr(rewriter, loc, s[2], h)};
    Value v = expand(rewriter, loc, op.getInput(), {{0}, {1}, {2, 3}}, bnhd);
    replaceCast(rewriter, op, transpose(rewriter, loc, v, {0, 2, 1, 3}));
    return success();
  }
};

struct MergeHeadsLowering : public OpRewritePattern<MergeHeadsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MergeHeadsOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value v = transpose(rewriter, loc, op.getInput(), {0, 2, 1, 3});
    replaceCast(rewriter, op, collapse(rewriter, loc, v, {{0}, {1}, {2, 3}}));
    return success();
  }
};

struct WindowPartitionLowering : public OpRewritePattern<WindowPartitionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(WindowPartitionOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    ArrayRef<int64_t> ws = op.getWindowSize();
    SmallVector<OpFoldResult> s = sizesOf(rewriter, loc, op.getInput());
    // [B, H, W, C] -> [B, nH, wh, nW, ww, C] -> [B, nH, nW, wh, ww, C]
    SmallVector<OpFoldResult> six = {s[0],
                                     divOfr(rewriter, loc, s[1], ws[0]),
                                     rewriter.getIndexAttr(ws[0]),
                                     divOfr(rewriter, loc, s[2], ws[1]),
                                     rewriter.getIndexAttr(ws[1]),
                                     s[3]};
    Value v =
        expand(rewriter, loc, op.getInput(), {{0}, {1, 2}, {3, 4}, {5}}, six);
    v = transpose(rewriter, loc, v, {0, 1, 3, 2, 4, 5});
    replaceCast(rewriter, op,
                collapse(rewriter, loc, v, {{0, 1, 2}, {3, 4}, {5}}));
    return success();
  }
};

struct WindowMergeLowering : public OpRewritePattern<WindowMergeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(WindowMergeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    ArrayRef<int64_t> ws = op.getWindowSize();
    SmallVector<OpFoldResult> s = sizesOf(rewriter, loc, op.getInput());
    int64_t nh = op.getHeight() / ws[0], nw = op.getWidth() / ws[1];
    // [B*nH*nW, wh*ww, C] -> [B, nH, nW, wh, ww, C] -> [B, nH, wh, nW, ww, C]
    SmallVector<OpFoldResult> six = {divOfr(rewriter, loc, s[0], nh * nw),
                                     rewriter.getIndexAttr(nh),
                                     rewriter.getIndexAttr(nw),
                                     rewriter.getIndexAttr(ws[0]),
                                     rewriter.getIndexAttr(ws[1]),
                                     s[2]};
    Value v =
        expand(rewriter, loc, op.getInput(), {{0, 1, 2}, {3, 4}, {5}}, six);
    v = transpose(rewriter, loc, v, {0, 1, 3, 2, 4, 5});
    replaceCast(rewriter, op,
                collapse(rewriter, loc, v, {{0}, {1, 2}, {3, 4}, {5}}));
    return success();
  }
};

} // namespace

void acc::detail::populateReshapeLoweringPatterns(RewritePatternSet &patterns) {
  patterns
      .add<ImageToTokensLowering, TokensToImageLowering, SplitHeadsLowering,
           MergeHeadsLowering, WindowPartitionLowering, WindowMergeLowering>(
          patterns.getContext());
}
