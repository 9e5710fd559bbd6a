//===- TileAndVectorize.cpp - register tiling and vectorization -----------===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#include "acc/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
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

/// Tile sizes that cut a non-contraction op with a static iteration space
/// larger than a vector block into rows: every parallel loop but the last
/// one becomes 1; the last loop stays whole when the remaining space fits
/// kMaxVectorElements (a row of a 64 x 64 tile), else `width`; reductions
/// stay whole (a row reduction). Empty when the op is small already or its
/// rows would still be too large.
SmallVector<int64_t> rowTile(linalg::LinalgOp op, int64_t width) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> its = op.getIteratorTypesArray();
  int64_t total = 1;
  for (int64_t r : ranges)
    total *= r;
  if (total <= kMaxVectorElements || ranges.empty())
    return {};
  unsigned n = ranges.size();
  SmallVector<int64_t> tiles(n, 1);
  int64_t reduced = 1;
  for (unsigned d = 0; d < n; ++d)
    if (its[d] == utils::IteratorType::reduction) {
      tiles[d] = 0;
      reduced *= ranges[d];
    }
  unsigned last = n - 1;
  if (its[last] == utils::IteratorType::parallel) {
    tiles[last] = reduced * ranges[last] <= kMaxVectorElements
                      ? 0
                      : std::min(width, ranges[last]);
  }
  int64_t row = reduced;
  if (its[last] == utils::IteratorType::parallel)
    row *= tiles[last] == 0 ? ranges[last] : tiles[last];
  if (row > kMaxVectorElements)
    return {};
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

/// A contraction whose reduction dimensions all have extent 1 (a stepped
/// reduction, after vectorization: operands broadcast to the whole
/// iteration space) is an elementwise multiply-add:
///   acc + shape_cast(lhs * rhs)
/// with `contract` fast-math so that LLVM fuses it into FMAs. Each row then
/// is one broadcast scalar times one vector, the outer-product microkernel;
/// the generic contraction lowerings scalarize some of these forms.
struct SteppedContractToFMA : public OpRewritePattern<vector::ContractionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::ContractionOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getKind() != vector::CombiningKind::ADD)
      return failure();
    auto lhsType = op.getLhsType(), rhsType = op.getRhsType();
    auto accType = dyn_cast<VectorType>(op.getAccType());
    if (!accType || lhsType != rhsType ||
        !isa<FloatType>(lhsType.getElementType()) ||
        lhsType.getElementType() != accType.getElementType())
      return failure();
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    if (!maps[0].isIdentity() || !maps[1].isIdentity())
      return failure();
    // The accumulator: the parallel dimensions in order; every reduction
    // dimension has extent 1.
    SmallVector<int64_t> kept;
    for (auto [d, it] : llvm::enumerate(op.getIteratorTypesArray())) {
      if (it == vector::IteratorType::reduction) {
        if (lhsType.getDimSize(d) != 1)
          return failure();
        continue;
      }
      kept.push_back(d);
    }
    AffineMap accMap = maps[2];
    if (accMap.getNumResults() != kept.size())
      return failure();
    for (auto [r, d] : llvm::enumerate(kept))
      if (accMap.getResult(r) != getAffineDimExpr(d, op.getContext()))
        return failure();
    Location loc = op.getLoc();
    auto fm = arith::FastMathFlagsAttr::get(op.getContext(),
                                            arith::FastMathFlags::contract);
    Value prod =
        arith::MulFOp::create(rewriter, loc, op.getLhs(), op.getRhs(), fm);
    prod = vector::ShapeCastOp::create(rewriter, loc, accType, prod);
    rewriter.replaceOpWithNewOp<arith::AddFOp>(op, op.getAcc(), prod, fm);
    return success();
  }
};

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

    // Static ops inside loops (the attention tiles): contractions get a
    // register block with stepped reductions; other ops are tiled into rows
    // small enough to vectorize whole.
    SmallVector<linalg::LinalgOp> nested;
    func.walk([&](linalg::LinalgOp op) {
      if (op->getParentOp() != func.getOperation() &&
          op.hasPureTensorSemantics() && !op.hasDynamicShape())
        nested.push_back(op);
    });
    for (linalg::LinalgOp op : nested) {
      if (isContraction(op)) {
        SmallVector<int64_t> tiles = registerTile(op, vectorWidth, rows, false);
        if (!tiles.empty())
          tileStepReductions(rewriter, op, tiles);
        continue;
      }
      SmallVector<int64_t> tiles = rowTile(op, vectorWidth);
      if (tiles.empty())
        continue;
      scf::SCFTilingOptions tiling;
      tiling.setTileSizes(getAsIndexOpFoldResult(ctx, tiles));
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTilingResult> r = scf::tileUsingSCF(
          rewriter, cast<TilingInterface>(op.getOperation()), tiling);
      if (succeeded(r))
        rewriter.replaceOp(op, r->replacements);
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
    // Vectorized exp/tanh/erf become polynomial approximations (a few ulp
    // in f32) so that they stay vectors; libm would scalarize them. Scalar
    // math keeps libm.
    {
      RewritePatternSet approx(ctx);
      populateMathPolynomialApproximationPatterns(approx, [](StringRef name) {
        return name == math::ExpOp::getOperationName() ||
               name == math::TanhOp::getOperationName() ||
               name == math::ErfOp::getOperationName();
      });
      SmallVector<Operation *> vectorMath;
      func.walk([&](Operation *op) {
        if (isa<math::ExpOp, math::TanhOp, math::ErfOp>(op) &&
            isa<VectorType>(op->getResult(0).getType()))
          vectorMath.push_back(op);
      });
      GreedyRewriteConfig config;
      config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
      if (failed(
              applyOpPatternsGreedily(vectorMath, std::move(approx), config)))
        return signalPassFailure();
    }
    RewritePatternSet patterns(ctx);
    // Before the broadcasts fold into the contraction's maps.
    patterns.add<SteppedContractToFMA>(ctx, /*benefit=*/2);
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
