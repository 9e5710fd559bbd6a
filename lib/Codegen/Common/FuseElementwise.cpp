//===- FuseElementwise.cpp - elementwise fusion ---------------------------===//
//
// Part of the acc project.
//
// nn-fuse-elementwise fuses elementwise linalg ops into elementwise
// consumers only (never into a contraction, whose tiles would recompute
// them).
//
//===----------------------------------------------------------------------===//

#include "acc/Codegen/Common/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace acc {
#define GEN_PASS_DEF_NNFUSEELEMENTWISE
#include "acc/Codegen/Common/Passes.h.inc"
} // namespace acc

using namespace mlir;

namespace {

struct NNFuseElementwisePass
    : public acc::impl::NNFuseElementwiseBase<NNFuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    linalg::ControlFusionFn intoElementwise = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      auto consumer = dyn_cast<linalg::LinalgOp>(fused->getOwner());
      return producer && producer->hasOneUse() && consumer &&
             consumer.getNumLoops() == consumer.getNumParallelLoops();
    };
    linalg::populateElementwiseOpsFusionPatterns(patterns, intoElementwise);
    // Reshapes move through elementwise generics only: folded into a
    // contraction or reduction they would split its dims (tokens into
    // 16x16 images, unit dims around channels), which the tiler does not
    // recognise as a GEMM any more and runs with scalar tiles.
    linalg::ControlFusionFn singleUseElementwise = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      if (!producer || !producer->hasOneUse())
        return false;
      auto generic = dyn_cast<linalg::LinalgOp>(fused->getOwner());
      if (!generic)
        generic = dyn_cast<linalg::LinalgOp>(producer);
      return generic && generic.getNumLoops() == generic.getNumParallelLoops();
    };
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns,
                                                      singleUseElementwise);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
