//===- TileAndVectorize.cpp - nn-cpu-tile-and-vectorize -------------------===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#include "KernelDispatch.h"
#include "acc/Codegen/CPU/Passes.h"

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

    // Which producers the tile of a consumer takes in: fills and
    // elementwise/broadcast ops (recomputed per tile, cheap), and a
    // contraction whose only reader is an all-parallel op reading it
    // element for element (conv -> bias -> relu). Transposes are not fused:
    // per tile they would become strided gathers; they are tiled alone.
    auto fusible = [](linalg::LinalgOp p) -> bool {
      if (isa<linalg::FillOp>(p))
        return true;
      if (isa<linalg::TransposeOp>(p))
        return false;
      if (isAllParallel(p)) {
        // Recomputed per tile: fine for elementwise consumers and for the
        // destination of a contraction (its bias), not for a contraction's
        // input, which every output tile would recompute (GELU before a
        // linear layer: N / 16 times).
        for (OpOperand &use : p->getUses()) {
          auto user = dyn_cast<linalg::LinalgOp>(use.getOwner());
          if (user && !isAllParallel(user) && !user.isDpsInit(&use))
            return false;
        }
        return true;
      }
      if (!isContraction(p) || !p->hasOneUse())
        return false;
      auto user = dyn_cast<linalg::LinalgOp>(*p->getUsers().begin());
      if (!user || !isAllParallel(user) || isa<linalg::TransposeOp>(user))
        return false;
      AffineMap out = user.getIndexingMapMatchingResult(user->getResult(0));
      for (OpOperand *in : user.getDpsInputOperands())
        if (in->get().getDefiningOp() == p.getOperation() &&
            user.getMatchingIndexingMap(in) != out)
          return false;
      return true;
    };
    SmallVector<scf::ForallOp> channelLoops =
        padDepthwisePerChannel(rewriter, func);
    // The convolutions, epilogues and pads that the channel loops took in
    // are left unused.
    if (!channelLoops.empty())
      for (Operation &op :
           llvm::make_early_inc_range(llvm::reverse(func.getBody().front())))
        if (isOpTriviallyDead(&op))
          rewriter.eraseOp(&op);
    for (auto pad : llvm::to_vector(func.getBody().getOps<tensor::PadOp>()))
      (void)padBeforeTranspose(rewriter, pad);
    for (auto pad : llvm::to_vector(func.getBody().getOps<tensor::PadOp>()))
      (void)padAsFillAndCopy(rewriter, pad);
    for (auto op : llvm::to_vector(func.getBody().getOps<linalg::GenericOp>()))
      foldTransposedBroadcastOperands(rewriter, op);

    PanelCache panels;
    PaddedCache paddedOperands;
    // Tiles the roots of one block (the function's, or a depthwise
    // channel loop's body).
    auto tileRoots = [&](Block &block) {
      // Roots: top-level linalg ops on tensors that no consumer's tile takes
      // in, consumers first. (Decided before any tiling: tiling changes the
      // uses that `fusible` looks at.)
      SmallVector<linalg::LinalgOp> roots;
      llvm::SmallPtrSet<Operation *, 16> fused;
      // A fused contraction's one reader (its epilogue), before tiling.
      llvm::DenseMap<Operation *, Operation *> epilogueOf;
      llvm::SmallPtrSet<Operation *, 16> rootSet;
      // Layout transposes that take in a contraction's epilogue, both ways.
      llvm::DenseMap<Operation *, Operation *> transposeOfEpilogue,
          epilogueOfTranspose;
      SmallVector<Operation *> topLevel;
      for (Operation &op : block.getOperations())
        topLevel.push_back(&op);
      // Row statistics fused with their reader: an all-parallel op that
      // reads per-row statistics (a layer norm's mean and variance sums, a
      // softmax's max and sum) is tiled one row at a time with the row
      // whole, and the statistics (plain reductions, and the elementwise
      // ops between them) are computed inside its tile: one parallel loop
      // and one pass over each row from L1, instead of a loop per
      // statistic, each reading the whole tensor again.
      llvm::SmallPtrSet<Operation *, 16> rowFused;
      llvm::DenseMap<Operation *, SmallVector<int64_t>> rowRootTiles;
      for (Operation *op : llvm::reverse(topLevel)) {
        auto r = dyn_cast<linalg::GenericOp>(op);
        if (!r || !r.hasPureTensorSemantics() || r->getNumResults() != 1 ||
            !isAllParallel(r) || r.hasDynamicShape() || rowFused.contains(r))
          continue;
        // The ops that r's inputs come from (transitively), all-parallel
        // or plain reductions with static shapes, in this block...
        llvm::SetVector<Operation *> group;
        SmallVector<Operation *> work = {r};
        while (!work.empty()) {
          Operation *o = work.pop_back_val();
          for (Value in : cast<linalg::LinalgOp>(o).getDpsInputs()) {
            auto p = in.getDefiningOp<linalg::GenericOp>();
            if (!p || p->getBlock() != &block || group.contains(p) ||
                rowFused.contains(p) || !p.hasPureTensorSemantics() ||
                p.hasDynamicShape() || p->getNumResults() != 1 ||
                !(isAllParallel(p) || isRowStatistic(p)))
              continue;
            group.insert(p);
            work.push_back(p);
          }
        }
        // ...less those read outside the group (the residual stream a layer
        // norm reads stays a tensor of its own), to a fixed point.
        for (bool pruned = true; pruned;) {
          pruned = false;
          for (Operation *o : llvm::to_vector(group))
            if (llvm::any_of(o->getUsers(), [&](Operation *u) {
                  return u != r.getOperation() && !group.contains(u);
                })) {
              group.remove(o);
              pruned = true;
            }
        }
        bool ok = llvm::any_of(group, [](Operation *o) {
          return !isAllParallel(cast<linalg::LinalgOp>(o));
        });
        // The statistics r reads vary along its outer loops only: those
        // are tiled by 1, the rest (the row) kept whole.
        SmallVector<int64_t> tiles(r.getNumLoops(), 0);
        for (OpOperand *in : r.getDpsInputOperands()) {
          if (!group.contains(in->get().getDefiningOp()))
            continue;
          AffineMap map = r.getMatchingIndexingMap(in);
          if (map.getNumResults() == r.getNumLoops())
            continue; // a whole-shape input (x itself, or x - mean)
          for (AffineExpr e : map.getResults())
            if (auto d = dyn_cast<AffineDimExpr>(e))
              tiles[d.getPosition()] = 1;
        }
        if (!ok || llvm::all_of(tiles, [](int64_t t) { return t == 0; }) ||
            llvm::all_of(tiles, [](int64_t t) { return t == 1; }))
          continue;
        for (Operation *o : group)
          rowFused.insert(o);
        rowRootTiles[r] = tiles;
      }
      for (Operation &op : llvm::make_pointee_range(llvm::reverse(topLevel))) {
        auto linalgOp = dyn_cast<linalg::LinalgOp>(&op);
        if (!linalgOp || !linalgOp.hasPureTensorSemantics() ||
            linalgOp->getNumResults() != 1)
          continue;
        bool canFuse = fusible(linalgOp) || rowFused.contains(linalgOp);
        // A contraction is fused only into an epilogue that is itself a root
        // (consumers come first in this walk, so that is known), or into the
        // layout transpose that is the epilogue's only reader (below); if the
        // epilogue is fused further otherwise, the contraction is tiled on
        // its own.
        Operation *epilogueRoot = nullptr;
        // A contraction with no epilogue, read only by a transpose that takes
        // it into its tiles.
        if (isContraction(linalgOp) && linalgOp->hasOneUse()) {
          Operation *user = *linalgOp->getUsers().begin();
          if (epilogueOfTranspose.lookup(user) == linalgOp.getOperation()) {
            fused.insert(linalgOp);
            epilogueOf[linalgOp] = user;
            continue;
          }
        }
        if (canFuse && isContraction(linalgOp)) {
          Operation *user = *linalgOp->getUsers().begin();
          epilogueRoot = user;
          if (!rootSet.contains(user)) {
            auto it = transposeOfEpilogue.find(user);
            epilogueRoot =
                it == transposeOfEpilogue.end() ? nullptr : it->second;
          }
          if (!epilogueRoot)
            canFuse = false;
          // One contraction per epilogue (a residual add of two convolutions
          // fuses the first; the other is tiled on its own).
          for (Value in : cast<linalg::LinalgOp>(user).getDpsInputs()) {
            auto other = in.getDefiningOp<linalg::LinalgOp>();
            if (other && isContraction(other)) {
              canFuse &= other == linalgOp;
              break;
            }
          }
        }
        if (canFuse) {
          fused.insert(linalgOp);
          if (isContraction(linalgOp))
            epilogueOf[linalgOp] = epilogueRoot;
        }
        // A layout transpose of a contraction's epilogue (an NCHW
        // convolution's output, computed in NHWC) that is the epilogue's only
        // reader takes the epilogue and the contraction into its tiles: the
        // register block is transposed in registers on its way out instead
        // of stored, read back and transposed by a pass of its own.
        // (Or the contraction itself, when it has no epilogue.)
        if (auto t = dyn_cast<linalg::TransposeOp>(linalgOp.getOperation())) {
          auto e = t.getInput().getDefiningOp<linalg::GenericOp>();
          auto isFusedContraction = [](Value in) {
            auto c = in.getDefiningOp<linalg::LinalgOp>();
            return c && isContraction(c) && c->hasOneUse();
          };
          if (e && e->hasOneUse() && e->getBlock() == t->getBlock() &&
              e->getNumResults() == 1 &&
              ((isAllParallel(e) &&
                llvm::any_of(e.getDpsInputs(), isFusedContraction)) ||
               isContraction(e))) {
            transposeOfEpilogue[e] = t;
            epilogueOfTranspose[t] = e;
          }
        }
        bool fusedEverywhere =
            canFuse && !linalgOp->use_empty() &&
            llvm::all_of(linalgOp->getUsers(), [&](Operation *u) {
              return isa<linalg::LinalgOp>(u);
            });
        if (!fusedEverywhere) {
          roots.push_back(linalgOp);
          rootSet.insert(linalgOp);
        }
      }

      for (linalg::LinalgOp root : roots) {
        // Rows of dynamic extent are tiled by the contraction's register
        // block only when the root takes the contraction into its tiles
        // (the partial tiles are then padded to their static bounds);
        // otherwise one row per tile, which keeps every tile static (a
        // softmax over a dynamic number of rows: vector exp, not libm's
        // scalar expf on every element).
        bool dynamicRows = root.hasDynamicShape();
        bool fromContraction = false;
        for (Value in : root.getDpsInputs())
          if (auto l = in.getDefiningOp<linalg::LinalgOp>())
            fromContraction |=
                isContraction(l) &&
                (!dynamicRows || (fused.contains(l) &&
                                  epilogueOf.lookup(l) == root.getOperation()));
        SmallVector<int64_t> tiles =
            registerTile(root, vectorWidth, rows, fromContraction);
        if (auto it = rowRootTiles.find(root); it != rowRootTiles.end())
          tiles = it->second;
        // A transpose that takes in a contraction's epilogue: the epilogue's
        // register block, permuted (loop i of the transpose is loop perm[i]
        // of the epilogue's identity-mapped output).
        std::optional<SmallVector<int64_t>> order;
        if (auto it = epilogueOfTranspose.find(root);
            it != epilogueOfTranspose.end()) {
          auto epilogue = cast<linalg::LinalgOp>(it->second);
          ArrayRef<int64_t> perm =
              cast<linalg::TransposeOp>(root.getOperation()).getPermutation();
          SmallVector<int64_t> eTiles =
              registerTile(epilogue, vectorWidth, rows, true);
          AffineMap eOut =
              epilogue.getIndexingMapMatchingResult(epilogue->getResult(0));
          bool leadingIdentity = eOut.getNumResults() == perm.size();
          for (auto [i, e] : llvm::enumerate(eOut.getResults()))
            leadingIdentity &= e == rewriter.getAffineDimExpr(i);
          if (!eTiles.empty() && leadingIdentity) {
            for (auto [i, p] : llvm::enumerate(perm))
              tiles[i] = eTiles[p];
            if (std::optional<SmallVector<int64_t>> eOrder =
                    weightOuterOrder(epilogue, eTiles)) {
              SmallVector<int64_t> inv(perm.size());
              for (auto [i, p] : llvm::enumerate(perm))
                inv[p] = i;
              // (Only tiled loops are ordered: the output's, which the
              // transpose has.)
              if (llvm::all_of(*eOrder, [&](int64_t d) {
                    return d < static_cast<int64_t>(perm.size());
                  })) {
                order.emplace();
                for (int64_t d : *eOrder)
                  order->push_back(inv[d]);
              }
            }
          }
        } else {
          order = weightOuterOrder(root, tiles);
        }
        // Data movement (a padded image's fill and copy) is tiled into whole
        // planes of its two innermost dimensions, one per thread-pool
        // iteration; the plane's loops are left to LLVM (memset, vector
        // copies) rather than cut into one-vector tiles.
        if (isa<linalg::CopyOp, linalg::FillOp>(root) &&
            root.getNumLoops() > 2) {
          tiles.assign(root.getNumLoops(), 1);
          tiles[tiles.size() - 1] = tiles[tiles.size() - 2] = 0;
        }
        if (tiles.empty())
          tiles = reductionTile(root, vectorWidth);
        if (tiles.empty()) {
          splitLongReduction(rewriter, root);
          continue;
        }
        // The tile loops are parallel (they only cover parallel dimensions):
        // scf.forall, which nn-cpu-parallelize hands to the thread pool.
        scf::SCFTilingOptions tiling;
        tiling.setTileSizes(getAsIndexOpFoldResult(ctx, tiles));
        tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
        if (order)
          tiling.setInterchange(*order);
        scf::SCFTileAndFuseOptions options;
        options.setTilingOptions(tiling);
        options.setFusionControlFn(
            [&](tensor::ExtractSliceOp, OpResult producer, bool)
                -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
              Operation *p = producer.getOwner();
              if (isa<linalg::FillOp>(p))
                return scf::SCFTileAndFuseOptions::ControlFnResult{};
              // Roots are computed once, by their own tiles.
              if (!fused.contains(p) || rootSet.contains(p))
                return std::nullopt;
              // A contraction joins only the tile of the op that reads it
              // (its epilogue), never a later layer's tile that reaches it
              // through elementwise ops (that would recompute a whole layer
              // per tile).
              auto it = epilogueOf.find(p);
              if (it != epilogueOf.end() && it->second != root.getOperation())
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
    };
    for (scf::ForallOp loop : channelLoops)
      tileRoots(*loop.getBody());
    tileRoots(func.getBody().front());

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
      if (succeeded(v))
        rewriter.replaceOp(op, v->replacements);
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
