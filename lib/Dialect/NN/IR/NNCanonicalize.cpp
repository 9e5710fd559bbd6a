//===- NNCanonicalize.cpp - nn canonicalization patterns -----------------===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#include "acc/Dialect/NN/IR/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
using namespace acc::nn;

namespace {
/// Reads a constant float tensor into doubles; fails for non-constants.
FailureOr<SmallVector<double>> readConstant(Value v) {
  DenseElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)) ||
      !isa<FloatType>(attr.getElementType()))
    return failure();
  SmallVector<double> out;
  out.reserve(attr.getNumElements());
  for (APFloat f : attr.getValues<APFloat>())
    out.push_back(f.convertToDouble());
  return out;
}

/// Builds a constant of `type` from doubles, rounded to its element type.
Value makeConstant(PatternRewriter &rewriter, Location loc,
                   RankedTensorType type, ArrayRef<double> values) {
  auto eltType = cast<FloatType>(type.getElementType());
  SmallVector<APFloat> elts;
  elts.reserve(values.size());
  for (double d : values) {
    APFloat f(d);
    bool lostInfo;
    f.convert(eltType.getFloatSemantics(), APFloat::rmNearestTiesToEven,
              &lostInfo);
    elts.push_back(f);
  }
  return arith::ConstantOp::create(rewriter, loc, type,
                                   DenseElementsAttr::get(type, elts));
}

/// batch_norm(conv2d(x, W, b)) -> conv2d(x, W * s, (b - mean) * s + beta)
/// with s = scale / sqrt(variance + epsilon), when the filter, the bias (if
/// any) and all batch-norm parameters are constants and the convolution has
/// no other user.
struct FoldBatchNormIntoConv : public OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BatchNormOp bn,
                                PatternRewriter &rewriter) const override {
    auto conv = bn.getInput().getDefiningOp<Conv2DOp>();
    if (!conv || !conv->hasOneUse())
      return rewriter.notifyMatchFailure(bn,
                                         "input is not a single-use conv2d");
    if (conv.getLayout() != bn.getLayout())
      return rewriter.notifyMatchFailure(bn, "channel axes differ");
    auto filter = readConstant(conv.getFilter());
    auto scale = readConstant(bn.getScale());
    auto beta = readConstant(bn.getBias());
    auto mean = readConstant(bn.getMean());
    auto var = readConstant(bn.getVariance());
    if (failed(filter) || failed(scale) || failed(beta) || failed(mean) ||
        failed(var))
      return rewriter.notifyMatchFailure(bn, "parameters are not constant");
    auto filterType = cast<RankedTensorType>(conv.getFilter().getType());
    if (!filterType.hasStaticShape())
      return rewriter.notifyMatchFailure(bn, "dynamic filter");
    int64_t f = conv.getNumOutputChannels();
    SmallVector<double> bias(f, 0.0);
    if (Value b = conv.getBias()) {
      auto cb = readConstant(b);
      if (failed(cb))
        return rewriter.notifyMatchFailure(bn, "conv bias is not constant");
      bias.assign(cb->begin(), cb->end());
    }
    // Splat constants come back as one value per element already.
    double eps = bn.getEpsilon().convertToDouble();
    SmallVector<double> s(f);
    for (int64_t i = 0; i < f; ++i)
      s[i] = (*scale)[i] / std::sqrt((*var)[i] + eps);
    SmallVector<double> newFilter(*filter);
    int64_t perF = filterType.getNumElements() / f;
    for (int64_t idx = 0, e = newFilter.size(); idx < e; ++idx) {
      int64_t oc = conv.isNCHW() ? idx / perF : idx % f;
      newFilter[idx] *= s[oc];
    }
    SmallVector<double> newBias(f);
    for (int64_t i = 0; i < f; ++i)
      newBias[i] = (bias[i] - (*mean)[i]) * s[i] + (*beta)[i];

    Location loc = bn.getLoc();
    Value w = makeConstant(rewriter, loc, filterType, newFilter);
    auto biasType = RankedTensorType::get({f}, filterType.getElementType());
    Value b = makeConstant(rewriter, loc, biasType, newBias);
    auto folded = Conv2DOp::create(
        rewriter, rewriter.getFusedLoc({conv.getLoc(), loc}), bn.getType(),
        conv.getInput(), w, b, conv.getLayout(), conv.getStrides(),
        conv.getDilations(), conv.getPadding(), conv.getGroups());
    rewriter.replaceOp(bn, folded.getResult());
    rewriter.eraseOp(conv);
    return success();
  }
};
} // namespace

void Conv2DOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                           MLIRContext *context) {
  results.add<FoldBatchNormIntoConv>(context);
}
