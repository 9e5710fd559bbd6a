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
// one's tiles compute.
//
//===----------------------------------------------------------------------===//

#include "acc/Conversion/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"

namespace acc {
#define GEN_PASS_DEF_NNCPUPREFETCHPANELS
#include "acc/Conversion/Passes.h.inc"
} // namespace acc

using namespace mlir;

namespace {
/// How many tiles read each panel: the product of the trip counts of the
/// loops of the `scf.forall` that picks the panel (`p` is one of its
/// induction variables, through affine.apply) other than that one.
std::optional<int64_t> tilesPerPanel(Value p) {
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
  int64_t tiles = 1;
  for (auto [i, iv] : llvm::enumerate(forall.getInductionVars()))
    if (iv != arg)
      tiles *= llvm::divideCeil((*ubs)[i] - (*lbs)[i], (*steps)[i]);
  return tiles;
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
      if (total < minTotalBytes)
        return;
    }
    SmallVector<vector::TransferReadOp> reads;
    getOperation().walk([&](vector::TransferReadOp r) { reads.push_back(r); });
    llvm::DenseMap<Operation *, Value> nextPanels;
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
      std::optional<int64_t> tiles = tilesPerPanel(p);
      if (!tiles || *tiles > maxTilesPerPanel)
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
      OpBuilder b(read);
      Location loc = read.getLoc();
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
    }
  }
};
} // namespace
