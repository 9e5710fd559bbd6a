//===- TileAndVectorize.cpp - register tiling and vectorization -----------===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#include "acc/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SetVector.h"

namespace acc {
#define GEN_PASS_DEF_NNCPUTILEANDVECTORIZE
#define GEN_PASS_DEF_NNHOISTVECTORTRANSFERS
#include "acc/Conversion/Passes.h.inc"
} // namespace acc

using namespace mlir;

namespace {
/// The largest iteration space (in elements) that is vectorized as a whole:
/// a 16 x 16 block.
constexpr int64_t kMaxVectorElements = 256;

bool isAllParallel(linalg::LinalgOp op) {
  return op.getNumLoops() == op.getNumParallelLoops();
}

/// A contraction-like op: reductions and at least two inputs (conv, matmul,
/// linear, the attention products).
bool isContraction(linalg::LinalgOp op) {
  return op.getNumReductionLoops() > 0 && op.getNumDpsInputs() >= 2;
}

/// Register-block tile sizes for `op`, or an empty vector to leave it alone.
SmallVector<int64_t> registerTile(linalg::LinalgOp op, int64_t width,
                                  int64_t rows, bool feedsFromContraction) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> its = op.getIteratorTypesArray();
  unsigned n = op.getNumLoops();
  bool contraction = isContraction(op);
  if (!contraction && !isAllParallel(op))
    return {}; // plain reductions (norm statistics) stay as they are
  SmallVector<int64_t> tiles(n, 1);
  // The innermost parallel loop of the output is the vector dimension.
  AffineMap outMap = op.getIndexingMapMatchingResult(op->getResult(0));
  SmallVector<unsigned> outDims;
  for (AffineExpr e : outMap.getResults())
    if (auto d = dyn_cast<AffineDimExpr>(e))
      outDims.push_back(d.getPosition());
  if (outDims.empty())
    return {};
  unsigned vecDim = outDims.back();
  auto cap = [&](unsigned d, int64_t t) {
    return ShapedType::isDynamic(ranges[d]) ? t : std::min(t, ranges[d]);
  };
  tiles[vecDim] = cap(vecDim, width);
  if ((contraction || feedsFromContraction) && outDims.size() >= 2) {
    unsigned rowDim = outDims[outDims.size() - 2];
    tiles[rowDim] = cap(rowDim, rows);
  }
  // Reductions are not tiled here: the producers of the destination (the
  // init: zeros or the broadcast bias) are fused into the tile and must run
  // once per tile, not once per reduction step. Contractions get their
  // reduction loops afterwards (tileReductions).
  for (unsigned d = 0; d < n; ++d)
    if (its[d] == utils::IteratorType::reduction)
      tiles[d] = 0;
  return tiles;
}

/// Tiles `op` with `parallelTiles` on its parallel loops (0: untiled) and
/// steps each reduction loop one iteration at a time.
void tileStepReductions(RewriterBase &rewriter, linalg::LinalgOp op,
                        SmallVector<int64_t> parallelTiles) {
  for (auto [d, it] : llvm::enumerate(op.getIteratorTypesArray()))
    if (it == utils::IteratorType::reduction)
      parallelTiles[d] = 1;
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(getAsIndexOpFoldResult(op->getContext(), parallelTiles));
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> r = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), tiling);
  if (succeeded(r))
    rewriter.replaceOp(op, r->replacements);
}

struct NNCPUTileAndVectorizePass
    : public acc::impl::NNCPUTileAndVectorizeBase<NNCPUTileAndVectorizePass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    MLIRContext *ctx = &getContext();
    IRRewriter rewriter(ctx);

    // Roots: top-level linalg ops on tensors that no linalg op reads.
    SmallVector<linalg::LinalgOp> roots;
    for (Operation &op : func.getBody().getOps()) {
      auto linalgOp = dyn_cast<linalg::LinalgOp>(&op);
      if (!linalgOp || !linalgOp.hasPureTensorSemantics() ||
          linalgOp->getNumResults() != 1)
        continue;
      bool readByLinalg = llvm::any_of(linalgOp->getUsers(), [](Operation *u) {
        return isa<linalg::LinalgOp>(u);
      });
      if (!readByLinalg)
        roots.push_back(linalgOp);
    }

    for (linalg::LinalgOp root : roots) {
      // Contractions that feed the root directly are fused into its tile;
      // any other reduction is computed once, outside.
      llvm::SmallPtrSet<Operation *, 4> direct;
      bool fromContraction = false;
      for (Value in : root.getDpsInputs())
        if (Operation *def = in.getDefiningOp()) {
          direct.insert(def);
          if (auto l = dyn_cast<linalg::LinalgOp>(def))
            fromContraction |= isContraction(l);
        }
      SmallVector<int64_t> tiles =
          registerTile(root, vectorWidth, rows, fromContraction);
      if (tiles.empty())
        continue;
      // The tile loops are parallel (they only cover parallel dimensions):
      // scf.forall, which nn-cpu-parallelize hands to the thread pool.
      scf::SCFTilingOptions tiling;
      tiling.setTileSizes(getAsIndexOpFoldResult(ctx, tiles));
      tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
      scf::SCFTileAndFuseOptions options;
      options.setTilingOptions(tiling);
      options.setFusionControlFn(
          [&](tensor::ExtractSliceOp, OpResult producer, bool)
              -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
            auto p = dyn_cast<linalg::LinalgOp>(producer.getOwner());
            if (!p)
              return std::nullopt;
            if (isa<linalg::FillOp>(p) || isAllParallel(p) ||
                direct.contains(p))
              return scf::SCFTileAndFuseOptions::ControlFnResult{};
            return std::nullopt;
          });
      rewriter.setInsertionPoint(root);
      FailureOr<scf::SCFTileAndFuseResult> result =
          scf::tileConsumerAndFuseProducersUsingSCF(
              rewriter, cast<TilingInterface>(root.getOperation()), options);
      if (failed(result))
        continue;
      for (OpResult r : root->getResults())
        if (Value repl = result->replacements.lookup(r))
          rewriter.replaceAllUsesWith(r, repl);
      // Step the reductions of the tiled contractions one at a time: an
      // outer-product update of the register block per step.
      for (Operation *tiled : result->tiledAndFusedOps) {
        auto op = dyn_cast<linalg::LinalgOp>(tiled);
        if (!op || !isContraction(op))
          continue;
        tileStepReductions(rewriter, op,
                           SmallVector<int64_t>(op.getNumLoops(), 0));
      }
    }

    // Static contractions inside loops (the attention block products):
    // register-block their parallel loops and step their reductions.
    SmallVector<linalg::LinalgOp> nested;
    func.walk([&](linalg::LinalgOp op) {
      if (op->getParentOfType<scf::ForOp>() && op.hasPureTensorSemantics() &&
          !op.hasDynamicShape() && isContraction(op))
        nested.push_back(op);
    });
    for (linalg::LinalgOp op : nested) {
      SmallVector<int64_t> tiles = registerTile(op, vectorWidth, rows, false);
      if (!tiles.empty())
        tileStepReductions(rewriter, op, tiles);
    }

    // Clean up what tiling left (dead producers, folded slices).
    {
      RewritePatternSet patterns(ctx);
      linalg::populateLinalgTilingCanonicalizationPatterns(patterns);
      tensor::populateFoldTensorEmptyPatterns(patterns);
      if (failed(applyPatternsGreedily(func, std::move(patterns))))
        return signalPassFailure();
    }

    // Vectorize every linalg op with static shapes outside of loops that
    // carry dynamic tiles; failures leave scalar code.
    // Only register-sized iteration spaces: a whole-tensor op (a norm's
    // statistics, a global pool) would become one enormous vector, spilled
    // to the stack and slow to compile; those stay loops for LLVM.
    SmallVector<linalg::LinalgOp> candidates;
    func.walk([&](linalg::LinalgOp op) {
      if (!op.hasPureTensorSemantics() || op.hasDynamicShape())
        return;
      int64_t elements = 1;
      for (int64_t r : op.getStaticLoopRanges())
        elements *= r;
      if (elements <= kMaxVectorElements)
        candidates.push_back(op);
    });
    for (linalg::LinalgOp op : candidates) {
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::VectorizationResult> v =
          linalg::vectorize(rewriter, op);
      if (succeeded(v))
        rewriter.replaceOp(op, v->replacements);
    }
    RewritePatternSet patterns(ctx);
    vector::populateVectorReductionToContractPatterns(patterns);
    vector::populateSinkVectorOpsPatterns(patterns);
    vector::TransferReadOp::getCanonicalizationPatterns(patterns, ctx);
    vector::TransferWriteOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return signalPassFailure();
  }
};

struct NNHoistVectorTransfersPass
    : public acc::impl::NNHoistVectorTransfersBase<NNHoistVectorTransfersPass> {
  void runOnOperation() override {
    linalg::hoistRedundantVectorTransfers(getOperation());
    // n-D reductions and contractions to the 1-D forms that the LLVM
    // conversion understands.
    RewritePatternSet patterns(&getContext());
    vector::populateVectorMultiReductionLoweringPatterns(
        patterns, vector::VectorMultiReductionLowering::InnerReduction);
    vector::populateVectorContractLoweringPatterns(
        patterns, vector::VectorContractLowering::OuterProduct);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    vector::populateVectorBroadcastLoweringPatterns(patterns);
    vector::populateVectorShapeCastLoweringPatterns(patterns);
    vector::populateVectorTransposeLoweringPatterns(
        patterns, vector::VectorTransposeLowering::EltWise);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
