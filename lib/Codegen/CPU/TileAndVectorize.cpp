//===- TileAndVectorize.cpp - nn-cpu-tile-and-vectorize -------------------===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#include "KernelDispatch.h"
#include "acc/Codegen/CPU/Passes.h"
#include "acc/Dialect/NN/IR/NNOps.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SetVector.h"

#include <map>
#include <tuple>

#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "nn-cpu-tile-and-vectorize"

namespace acc {
#define GEN_PASS_DEF_NNCPUTILEANDVECTORIZE
#include "acc/Codegen/CPU/Passes.h.inc"
} // namespace acc

using namespace mlir;
using namespace acc::codegen;
using namespace acc::cpu;

namespace {
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
    Value lhs =
        vector::ShapeCastOp::create(rewriter, loc, accType, op.getLhs());
    Value rhs =
        vector::ShapeCastOp::create(rewriter, loc, accType, op.getRhs());
    rewriter.replaceOpWithNewOp<vector::FMAOp>(op, lhs, rhs, op.getAcc());
    return success();
  }
};

/// acc + a * b on vectors (a single-use product) is one vector.fma: the
/// register-block update once unit loops are gone. (Without `contract`
/// flags LLVM would keep a multiply and an add.)
struct MulAddToFMA : public OpRewritePattern<arith::AddFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::AddFOp op,
                                PatternRewriter &rewriter) const override {
    if (!isa<VectorType>(op.getType()))
      return failure();
    for (unsigned i = 0; i < 2; ++i) {
      auto mul = op->getOperand(i).getDefiningOp<arith::MulFOp>();
      if (!mul || !mul->hasOneUse())
        continue;
      rewriter.replaceOpWithNewOp<vector::FMAOp>(op, mul.getLhs(), mul.getRhs(),
                                                 op->getOperand(1 - i));
      return success();
    }
    return failure();
  }
};

struct NNCPUTileAndVectorizePass
    : public acc::impl::NNCPUTileAndVectorizeBase<NNCPUTileAndVectorizePass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return; // a declaration: nothing to tile
    MLIRContext *ctx = &getContext();
    IRRewriter rewriter(ctx);

    PanelCache panels;
    PaddedCache paddedOperands;
    // The fusion groups of every block, found before any tiling (tiling
    // changes the uses they are found from), as nn-cpu-select-tile-sizes
    // found them when it wrote the roots' configurations.
    SmallVector<std::pair<Block *, FusionGroups>, 2> blocks;
    for (Block *block : tilingBlocks(func))
      blocks.emplace_back(block, analyzeFusionGroups(*block));
    for (auto &[block, groups] : blocks) {
      for (linalg::LinalgOp root : groups.roots) {
        auto config = root->getAttrOfType<acc::nn::LoweringConfigAttr>(
            acc::nn::LoweringConfigAttr::getAttrName());
        if (!config) {
          LLVM_DEBUG(llvm::dbgs()
                     << "root " << root->getName() << " at " << root->getLoc()
                     << ": no lowering configuration, left "
                        "untiled\n");
          ++numRootsUnconfigured;
          continue;
        }
        ArrayRef<int64_t> tiles = config.getTileSizes().asArrayRef();
        if (tiles.empty()) {
          splitLongReduction(rewriter, root);
          continue;
        }
        ++numRootsTiled;
        // The tile loops are parallel (they only cover parallel dimensions):
        // scf.forall, which nn-cpu-parallelize hands to the thread pool.
        scf::SCFTilingOptions tiling;
        tiling.setTileSizes(getAsIndexOpFoldResult(ctx, tiles));
        tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
        if (DenseI64ArrayAttr order = config.getInterchange())
          tiling.setInterchange(order.asArrayRef());
        scf::SCFTileAndFuseOptions options;
        options.setTilingOptions(tiling);
        options.setFusionControlFn(
            [&, &groups = groups](tensor::ExtractSliceOp, OpResult producer,
                                  bool)
                -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
              if (!groups.joins(producer.getOwner(), root))
                return std::nullopt;
              return scf::SCFTileAndFuseOptions::ControlFnResult{};
            });
        FailureOr<scf::SCFTileAndFuseResult> result =
            tileAndFuse(rewriter, root, options);
        if (failed(result))
          continue;
        // Step the reductions of the tiled contractions one at a time: an
        // outer-product update of the register block per step.
        for (Operation *tiled : result->tiledAndFusedOps) {
          auto op = dyn_cast<linalg::LinalgOp>(tiled);
          if (op && isAllParallel(op) && op.hasDynamicShape() &&
              padsSafely(op)) {
            // A partial elementwise tile over a dynamic innermost extent
            // (a softmax's normalisation over rows of dynamic length),
            // read through broadcasts (the row's max and sum), cannot be
            // vectorized with masks: it runs at its static bound on
            // padded operands, like the contractions below.
            (void)padToStaticBounds(rewriter, op, /*cache=*/nullptr);
            continue;
          }
          if (!op || !isContraction(op))
            continue;
          // A partial tile (an extent with no divisor near the tile, e.g.
          // ViT's 197 tokens) has dynamic sizes, which would stay scalar
          // code: it is computed at its static bound instead, on operands
          // padded with zeros, and the valid part of the result is kept.
          packConstantWeights(rewriter, op, panels);
          if (op.hasDynamicShape())
            if (linalg::LinalgOp padded =
                    padToStaticBounds(rewriter, op, &paddedOperands))
              op = padded;
          tileStepReductions(rewriter, op,
                             SmallVector<int64_t>(op.getNumLoops(), 0));
        }
      }
    }
    numPanelsPacked += panels.size();
    // The configurations are done with (tiling copied them onto the tiled
    // ops), and so are the channel-block marks.
    func.walk([](Operation *op) {
      op->removeAttr(acc::nn::LoweringConfigAttr::getAttrName());
      op->removeAttr(kChannelBlocksAttr);
    });

    // Static ops inside loops (the attention tiles): contractions get a
    // register block with stepped reductions; other ops are tiled into rows
    // small enough to vectorize whole.
    SmallVector<linalg::LinalgOp> nested;
    func.walk([&](linalg::LinalgOp op) {
      if (op->getParentOp() != func.getOperation() &&
          op.hasPureTensorSemantics() && !op.hasDynamicShape())
        nested.push_back(op);
    });
    // Contractions first: their register blocks take in the producers of
    // their accumulators before those are tiled on their own.
    std::stable_partition(
        nested.begin(), nested.end(),
        [](linalg::LinalgOp op) { return isContraction(op); });
    for (linalg::LinalgOp op : nested) {
      if (op->use_empty())
        continue; // taken into a contraction's register blocks
      if (isContraction(op)) {
        SmallVector<int64_t> tiles = registerTile(op, vectorWidth, rows, false);
        if (tiles.empty())
          continue;
        // The accumulator's init (zeros for the scores, the rescaled
        // running output `a * acc` for P V) is computed per register block,
        // in registers, when only this contraction reads it: not filled or
        // rescaled as a whole block and copied in per key block.
        // (An scf.forall: tile-and-fuse takes destination producers into
        // its shared outputs; nested in a forall it runs serially.)
        scf::SCFTilingOptions tiling;
        tiling.setTileSizes(getAsIndexOpFoldResult(ctx, tiles));
        tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
        scf::SCFTileAndFuseOptions options;
        options.setTilingOptions(tiling);
        options.setFusionControlFn(
            [&](tensor::ExtractSliceOp, OpResult producer, bool isInit)
                -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
              auto p = dyn_cast<linalg::LinalgOp>(producer.getOwner());
              // Read only by this contraction (and by its new tile loop).
              if (!isInit || !p ||
                  !(isa<linalg::FillOp>(p) || isAllParallel(p)) ||
                  !llvm::all_of(p->getUsers(), [&](Operation *u) {
                    return u == op.getOperation() || isa<scf::ForallOp>(u);
                  }))
                return std::nullopt;
              return scf::SCFTileAndFuseOptions::ControlFnResult{};
            });
        FailureOr<scf::SCFTileAndFuseResult> result =
            tileAndFuse(rewriter, op, options);
        if (failed(result))
          continue;
        if (op->use_empty())
          rewriter.eraseOp(op);
        for (Operation *tiled : result->tiledAndFusedOps)
          if (auto t = dyn_cast<linalg::LinalgOp>(tiled); t && isContraction(t))
            tileStepReductions(rewriter, t,
                               SmallVector<int64_t>(t.getNumLoops(), 0));
        continue;
      }
      SmallVector<int64_t> tiles = squareTransposeTile(op, vectorWidth);
      if (tiles.empty())
        tiles = rowTile(op, vectorWidth);
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

    // Convolution tiles: window loops folded into plain or strided reads.
    SmallVector<linalg::GenericOp> generics;
    func.walk([&](linalg::GenericOp op) {
      if (op.hasPureTensorSemantics() && !op.hasDynamicShape())
        generics.push_back(op);
    });
    for (linalg::GenericOp op : generics)
      foldTileWindows(rewriter, op);

    // Tiles carry many unit loops (batch, one output row, the stepped
    // reduction): dropping them leaves e.g. out[ox, f] += in[ox] * w[f], a
    // 2-D outer product whose reads are plain rows, instead of 7-D vectors
    // whose transposed unit dimensions lower element by element.
    {
      linalg::ControlDropUnitDims control;
      control.rankReductionStrategy = linalg::ControlDropUnitDims::
          RankReductionStrategy::ExtractInsertSlice;
      control.controlFn = [&](Operation *op) -> SmallVector<unsigned> {
        auto generic = dyn_cast<linalg::GenericOp>(op);
        if (!generic || generic->getParentOp() == func.getOperation() ||
            !generic.hasPureTensorSemantics() || generic.hasDynamicShape())
          return {};
        return llvm::to_vector(llvm::seq<unsigned>(0, generic.getNumLoops()));
      };
      RewritePatternSet patterns(ctx);
      linalg::populateFoldUnitExtentDimsPatterns(patterns, control);
      if (failed(applyPatternsGreedily(func, std::move(patterns))))
        return signalPassFailure();
    }

    // Vectorize every static linalg op of a register-sized iteration space;
    // failures leave scalar code. A whole-tensor op (a norm's statistics, a
    // global pool) would become one enormous vector, spilled to the stack
    // and slow to compile; those stay loops for LLVM.
    // Partial tiles (a size that is not a multiple of the tile) have
    // dynamic shapes bounded by the tile: they are vectorized at the bound
    // with masks.
    SmallVector<std::pair<linalg::LinalgOp, SmallVector<int64_t>>> candidates;
    func.walk([&](linalg::LinalgOp op) {
      if (!op.hasPureTensorSemantics())
        return;
      SmallVector<int64_t> sizes;
      if (!op.hasDynamicShape()) {
        sizes = op.getStaticLoopRanges();
      } else {
        // Masked vectorization: only elementwise ops with identity maps
        // (masks through permuted or broadcast transfers do not verify).
        if (!isAllParallel(op) ||
            !llvm::all_of(op.getIndexingMapsArray(),
                          [](AffineMap m) { return m.isIdentity(); }))
          return;
        std::optional<SmallVector<int64_t>> bounds = loopUpperBounds(op);
        if (!bounds)
          return;
        sizes = *bounds;
      }
      int64_t elements = 1;
      for (int64_t r : sizes)
        elements *= r;
      if (elements <= maxVectorElements(op, vectorWidth))
        candidates.push_back(
            {op, op.hasDynamicShape() ? sizes : SmallVector<int64_t>{}});
    });
    for (auto &[op, sizes] : candidates) {
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::VectorizationResult> v = linalg::vectorize(
          rewriter, op, sizes, SmallVector<bool>(sizes.size(), false));
      if (succeeded(v)) {
        rewriter.replaceOp(op, v->replacements);
        ++numVectorized;
      } else {
        LLVM_DEBUG(llvm::dbgs() << "left scalar: " << op->getName() << " at "
                                << op->getLoc() << "\n");
        ++numLeftScalar;
      }
    }
    // A tile's pad of a dynamic slice to a static vector-sized block (a
    // partial elementwise tile run at its bound) is one masked read and a
    // write, not a fill and a copy of the slice.
    SmallVector<tensor::PadOp> tilePads;
    func.walk([&](tensor::PadOp pad) {
      if (pad->getParentOp() != func.getOperation() &&
          pad.getResultType().hasStaticShape() &&
          pad.getResultType().getNumElements() <= kMaxVectorElements &&
          pad.getConstantPaddingValue())
        tilePads.push_back(pad);
    });
    for (tensor::PadOp pad : tilePads) {
      SmallVector<int64_t> sizes(pad.getResultType().getShape());
      rewriter.setInsertionPoint(pad);
      FailureOr<linalg::VectorizationResult> v = linalg::vectorize(
          rewriter, pad, sizes, SmallVector<bool>(sizes.size(), false));
      if (succeeded(v))
        rewriter.replaceOp(pad, v->replacements);
    }
    // Masks go into the masked transfers themselves (vector.mask regions
    // would not survive canonicalization).
    {
      RewritePatternSet masks(ctx);
      vector::populateVectorMaskLoweringPatternsForSideEffectingOps(masks);
      if (failed(applyPatternsGreedily(func, std::move(masks))))
        return signalPassFailure();
    }
    // Vectorized exp/tanh/erf become polynomial approximations (a few ulp
    // in f32) so that they stay vectors; libm would scalarize them. So do
    // the f32 ones left in the bodies of ops that could not be vectorized
    // here (dynamic row lengths): their loops are then plain arithmetic,
    // which LLVM vectorizes, and their results match the vectorized tiles'
    // (a softmax over a dynamic row length called libm's expf per element).
    // Other scalar math keeps libm.
    {
      RewritePatternSet approx(ctx);
      // f32 exp: acc's shorter polynomial first (ExpApproximation.cpp).
      acc::codegen::populateExpF32Approximation(approx, /*benefit=*/2);
      populateMathPolynomialApproximationPatterns(approx, [](StringRef name) {
        return name == math::ExpOp::getOperationName() ||
               name == math::TanhOp::getOperationName() ||
               name == math::ErfOp::getOperationName();
      });
      SmallVector<Operation *> vectorMath;
      func.walk([&](Operation *op) {
        if (isa<math::ExpOp, math::TanhOp, math::ErfOp>(op) &&
            (isa<VectorType>(op->getResult(0).getType()) ||
             (op->getResult(0).getType().isF32() &&
              isa<linalg::LinalgOp>(op->getParentOp()))))
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
    patterns.add<MulAddToFMA>(ctx);
    vector::populateVectorReductionToContractPatterns(patterns);
    vector::populateSinkVectorOpsPatterns(patterns);
    vector::TransferReadOp::getCanonicalizationPatterns(patterns, ctx);
    vector::TransferWriteOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return signalPassFailure();
    readInteriorsFromImages(rewriter, func);
  }
};

} // namespace
