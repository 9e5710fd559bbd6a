//===- SinkTransposes.cpp - cancel layout transposes between ops ----------===//
//
// Part of the acc project.
//
// NCHW convolutions compute in NHWC between transposes. Between two of them
// sit elementwise ops (ReLU, batch norm, residual adds) in NCHW. Moving each
// transpose below the elementwise ops it feeds makes it meet the next
// convolution's inverse transpose, and the pair cancels: a ResNet then runs
// in NHWC from its first convolution to its last.
//
//===----------------------------------------------------------------------===//

#include "acc/Codegen/Common/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace acc {
#define GEN_PASS_DEF_NNSINKTRANSPOSES
#include "acc/Codegen/Common/Passes.h.inc"
} // namespace acc

using namespace mlir;

namespace {

/// transpose(transpose(x, p), q) with p[q[i]] == i is x.
struct CancelTransposePair : public OpRewritePattern<linalg::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<linalg::TransposeOp>();
    if (!inner || !op.hasPureTensorSemantics() ||
        !inner.hasPureTensorSemantics())
      return failure();
    ArrayRef<int64_t> p = inner.getPermutation(), q = op.getPermutation();
    for (size_t i = 0; i < q.size(); ++i)
      if (p[q[i]] != static_cast<int64_t>(i))
        return failure();
    if (inner.getInput().getType() != op.getResult()[0].getType())
      return failure();
    rewriter.replaceOp(op, inner.getInput());
    return success();
  }
};

/// An elementwise generic whose full-rank inputs are all transposes by the
/// same permutation p runs on the untransposed values instead, and its
/// result is transposed by p:
///   g(transpose(x, p), transpose(y, p), bias) -> transpose(g'(x, y, bias), p)
/// Broadcast operands (per-channel parameters) get their maps permuted.
struct SinkTransposeBelowElementwise
    : public OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics() || op.getNumDpsInits() != 1 ||
        op.getNumParallelLoops() != op.getNumLoops() || op.hasIndexSemantics())
      return failure();
    unsigned rank = op.getNumLoops();
    OpOperand *init = op.getDpsInitOperand(0);
    if (!op.getMatchingIndexingMap(init).isIdentity() ||
        op.payloadUsesValueFromOperand(init))
      return failure();
    // The common permutation of the transposed full-rank inputs.
    std::optional<SmallVector<int64_t>> perm;
    for (OpOperand *in : op.getDpsInputOperands()) {
      AffineMap m = op.getMatchingIndexingMap(in);
      if (m.getNumResults() != rank)
        continue; // a broadcast operand
      auto t = in->get().getDefiningOp<linalg::TransposeOp>();
      if (!m.isIdentity() || !t)
        return failure();
      SmallVector<int64_t> p(t.getPermutation());
      if (perm && *perm != p)
        return failure();
      perm = p;
    }
    if (!perm)
      return failure();
    // Loop i of `op` is loop perm[i] of the new op (the inputs' layout).
    MLIRContext *ctx = op.getContext();
    SmallVector<AffineExpr> remap;
    for (unsigned i = 0; i < rank; ++i)
      remap.push_back(getAffineDimExpr((*perm)[i], ctx));
    SmallVector<Value> inputs;
    SmallVector<AffineMap> maps;
    for (OpOperand *in : op.getDpsInputOperands()) {
      AffineMap m = op.getMatchingIndexingMap(in);
      if (m.getNumResults() == rank) {
        auto t = in->get().getDefiningOp<linalg::TransposeOp>();
        inputs.push_back(t.getInput());
        maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
      } else {
        inputs.push_back(in->get());
        maps.push_back(m.replaceDimsAndSymbols(remap, {}, rank, 0));
      }
    }
    maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
    // A full-rank (transposed) input gives the new op's sizes.
    Value src;
    for (auto [in, v] : llvm::zip(op.getDpsInputOperands(), inputs))
      if (!src && op.getMatchingIndexingMap(in).getNumResults() == rank)
        src = v;
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getResult(0).getType());
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, src);
    Value empty = tensor::EmptyOp::create(rewriter, loc, sizes,
                                          resultType.getElementType());
    auto moved = linalg::GenericOp::create(
        rewriter, loc, TypeRange{empty.getType()}, inputs, ValueRange{empty},
        maps, op.getIteratorTypesArray());
    rewriter.inlineRegionBefore(op.getRegion(), moved.getRegion(),
                                moved.getRegion().begin());
    Value back = linalg::TransposeOp::create(
                     rewriter, loc, moved.getResult(0),
                     tensor::EmptyOp::create(
                         rewriter, loc,
                         tensor::getMixedSizes(rewriter, loc, op.getResult(0)),
                         resultType.getElementType()),
                     *perm)
                     .getResult()[0];
    rewriter.replaceOp(op, back);
    return success();
  }
};

struct NNSinkTransposesPass
    : public acc::impl::NNSinkTransposesBase<NNSinkTransposesPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<CancelTransposePair, SinkTransposeBelowElementwise>(
        &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
