//===- PrefetchPanels.cpp - Prefetch the next weight panel ----------------===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//
//
// A deep layer's packed weight (a 3x3x512x512 filter: 9.4 MB) does not stay
// in cache between calls, and its tiles reuse each panel only a few times
// (a 7x7 image: 7 register blocks per panel). The first tile of a panel
// then waits on memory at the rate of its FMAs while the other tiles run
// from L2. Each vector read of a large panel also prefetches the same
// position of the next panel, so that the next panel streams in while this
// one's tiles compute; the tiles of a panel take turns, one reduction step
// in T each, so that the next panel is fetched once.
//
//===----------------------------------------------------------------------===//

#include "acc/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"

#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "nn-cpu-prefetch-panels"

namespace acc {
#define GEN_PASS_DEF_NNCPUPREFETCHPANELS
#include "acc/Codegen/CPU/Passes.h.inc"
} // namespace acc

using namespace mlir;

namespace {
/// The tiles of an `scf.forall` that read one panel: the loop, the panel's
/// induction variable (`p`, through affine.apply) and how many tiles read
/// each panel (the product of the trip counts of the other loops).
struct PanelTiles {
  scf::ForallOp forall;
  BlockArgument panelIv;
  int64_t count = 1;
};

std::optional<PanelTiles> panelTiles(Value p) {
  while (auto apply = p.getDefiningOp<affine::AffineApplyOp>()) {
    if (apply.getMapOperands().size() != 1)
      return std::nullopt;
    p = apply.getMapOperands()[0];
  }
  auto arg = dyn_cast<BlockArgument>(p);
  auto forall =
      arg ? dyn_cast<scf::ForallOp>(arg.getOwner()->getParentOp()) : nullptr;
  if (!forall)
    return std::nullopt;
  std::optional<SmallVector<int64_t>> lbs =
      getConstantIntValues(forall.getMixedLowerBound());
  std::optional<SmallVector<int64_t>> ubs =
      getConstantIntValues(forall.getMixedUpperBound());
  std::optional<SmallVector<int64_t>> steps =
      getConstantIntValues(forall.getMixedStep());
  if (!lbs || !ubs || !steps)
    return std::nullopt;
  PanelTiles tiles{forall, arg};
  for (auto [i, iv] : llvm::enumerate(forall.getInductionVars()))
    if (iv != arg)
      tiles.count *= llvm::divideCeil((*ubs)[i] - (*lbs)[i], (*steps)[i]);
  return tiles;
}

/// The index of the current tile among the tiles of its panel: its other
/// induction variables, linearized (the last one fastest).
Value tileIndex(OpBuilder &b, Location loc, const PanelTiles &tiles) {
  scf::ForallOp forall = tiles.forall;
  SmallVector<int64_t> lbs = *getConstantIntValues(forall.getMixedLowerBound());
  SmallVector<int64_t> ubs = *getConstantIntValues(forall.getMixedUpperBound());
  SmallVector<int64_t> steps = *getConstantIntValues(forall.getMixedStep());
  auto cst = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };
  Value index = cst(0);
  for (auto [i, iv] : llvm::enumerate(forall.getInductionVars())) {
    if (iv == tiles.panelIv)
      continue;
    Value pos = b.createOrFold<arith::DivUIOp>(
        loc, b.createOrFold<arith::SubIOp>(loc, iv, cst(lbs[i])),
        cst(steps[i]));
    index = b.createOrFold<arith::AddIOp>(
        loc,
        b.createOrFold<arith::MulIOp>(
            loc, index, cst(llvm::divideCeil(ubs[i] - lbs[i], steps[i]))),
        pos);
  }
  return index;
}

struct NNCPUPrefetchPanelsPass
    : public acc::impl::NNCPUPrefetchPanelsBase<NNCPUPrefetchPanelsPass> {
  using Base::Base;

  void runOnOperation() override {
    // Only when the module's constants cannot stay in cache between calls
    // (ResNet-18: 47 MB): a single layer's 9.4 MB filter stays in L3, and
    // the prefetches then only cost load slots (the 7x7x512 layer alone:
    // about 0.9 -> 1.14 ms).
    if (auto module = getOperation()->getParentOfType<ModuleOp>()) {
      int64_t total = 0;
      for (auto g : module.getOps<memref::GlobalOp>())
        if (g.getConstant() && g.getType().hasStaticShape())
          total += g.getType().getNumElements() *
                   (g.getType().getElementTypeBitWidth() / 8);
      if (total < minTotalBytes) {
        LLVM_DEBUG(llvm::dbgs() << "constants take " << total
                                << " bytes, under min-total-bytes: no "
                                   "prefetches\n");
        return;
      }
    }
    SmallVector<vector::TransferReadOp> reads;
    getOperation().walk([&](vector::TransferReadOp r) { reads.push_back(r); });
    llvm::DenseMap<Operation *, Value> nextPanels, turns, tileIndices;
    for (vector::TransferReadOp read : reads) {
      if (read.getVectorType().getRank() != 1 ||
          !read->getParentOfType<scf::ForOp>())
        continue;
      // The chain of views from a global's panel down to the read.
      SmallVector<memref::SubViewOp> chain;
      Value src = read.getBase();
      memref::GetGlobalOp global;
      while (auto sv = src.getDefiningOp<memref::SubViewOp>()) {
        chain.push_back(sv);
        src = sv.getSource();
        if ((global = src.getDefiningOp<memref::GetGlobalOp>()))
          break;
      }
      if (!global)
        continue;
      memref::SubViewOp panel = chain.back();
      auto type = cast<MemRefType>(global.getType());
      int64_t bytes =
          type.getNumElements() * (type.getElementTypeBitWidth() / 8);
      // A panel: [p, 0, .., 0] of a [P, ..] global, p dynamic.
      ArrayRef<int64_t> offs = panel.getStaticOffsets();
      if (!type.hasStaticShape() || type.getRank() < 2 || bytes < minBytes ||
          type.getDimSize(0) < 2 || !ShapedType::isDynamic(offs[0]) ||
          panel.getStaticSizes()[0] != 1 ||
          llvm::any_of(offs.drop_front(), [](int64_t o) { return o != 0; }))
        continue;
      // Panels read by many tiles (a 14x14 image: 28 register blocks) are
      // fetched from memory during a small share of their use already.
      Value p = panel.getOffsets()[0];
      std::optional<PanelTiles> tiles = panelTiles(p);
      if (!tiles || tiles->count > maxTilesPerPanel)
        continue;
      // The next panel's view, once per panel (its reads share it).
      Value &nextPanel = nextPanels[panel];
      if (!nextPanel) {
        OpBuilder pb(panel);
        Location ploc = panel.getLoc();
        Value next = arith::MinUIOp::create(
            pb, ploc,
            arith::AddIOp::create(pb, ploc, p,
                                  arith::ConstantIndexOp::create(pb, ploc, 1)),
            arith::ConstantIndexOp::create(pb, ploc, type.getDimSize(0) - 1));
        IRMapping map;
        map.map(p, next);
        nextPanel = pb.clone(*panel, map)->getResult(0);
      }
      // The tiles of a panel share the work: tile t of T prefetches the
      // steps k of the outermost reduction loop with k mod T = t, so that
      // the next panel is fetched once, not once per tile (7 times over
      // for a 7x7 image; with its weights in cache, the 7x7x512 layer took
      // 0.88 ms without prefetches, 1.15 with every tile's, 0.94 with
      // shared ones).
      OpBuilder b(read);
      Location loc = read.getLoc();
      scf::ForOp outer;
      for (Operation *op = read->getParentOp(); op && op != tiles->forall;
           op = op->getParentOp())
        if (auto f = dyn_cast<scf::ForOp>(op))
          outer = f;
      if (!outer || !tiles->forall->isProperAncestor(read))
        continue; // not a reduction step of the panel's tiles
      if (tiles->count > 1) {
        Value &cond = turns[outer];
        if (!cond) {
          Value &index = tileIndices[tiles->forall];
          if (!index) {
            OpBuilder fb = OpBuilder::atBlockBegin(tiles->forall.getBody());
            index = tileIndex(fb, tiles->forall.getLoc(), *tiles);
          }
          OpBuilder cb = OpBuilder::atBlockBegin(outer.getBody());
          Location cloc = outer.getLoc();
          Value turn = arith::RemUIOp::create(
              cb, cloc, outer.getInductionVar(),
              arith::ConstantIndexOp::create(cb, cloc, tiles->count));
          cond = arith::CmpIOp::create(cb, cloc, arith::CmpIPredicate::eq, turn,
                                       index);
        }
        auto guard = scf::IfOp::create(b, loc, cond);
        b.setInsertionPointToStart(guard.thenBlock());
      }
      IRMapping views;
      views.map(panel.getResult(), nextPanel);
      Value view = nextPanel;
      for (memref::SubViewOp sv : llvm::reverse(ArrayRef(chain).drop_back())) {
        view = b.clone(*sv, views)->getResult(0);
        views.map(sv.getResult(), view);
      }
      // One prefetch per cache line of the vector.
      int64_t elems = read.getVectorType().getNumElements();
      int64_t perLine = std::max<int64_t>(
          1, 64 / (read.getVectorType().getElementTypeBitWidth() / 8));
      SmallVector<Value> idx(read.getIndices());
      for (int64_t e = 0; e < elems; e += perLine) {
        SmallVector<Value> at = idx;
        if (e)
          at.back() = arith::AddIOp::create(
              b, loc, idx.back(), arith::ConstantIndexOp::create(b, loc, e));
        memref::PrefetchOp::create(b, loc, view, at, /*isWrite=*/false,
                                   /*localityHint=*/locality,
                                   /*isDataCache=*/true);
      }
      ++numPrefetchedReads;
      LLVM_DEBUG(llvm::dbgs()
                 << "prefetching the next panel of " << global.getName()
                 << " from the read at " << read.getLoc() << "\n");
    }
  }
};
} // namespace
