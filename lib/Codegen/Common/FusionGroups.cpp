//===- FusionGroups.cpp - which ops are tiled and which fuse --------------===//
//
// Part of the acc project.
//
// The structure of tile-and-fuse, shared by every target: the roots of a
// block (the ends of producer chains, each tiled once) and the producers
// that join their tiles. A target's strategy sizes the roots' tiles
// (lowering configurations); its tiling pass applies them to these groups.
//
//===----------------------------------------------------------------------===//

#include "acc/Codegen/Common/Transforms.h"

#include "llvm/ADT/SetVector.h"

using namespace mlir;

namespace acc::codegen {

FusionGroups analyzeFusionGroups(Block &block) {
  FusionGroups groups;
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
  // Roots: top-level linalg ops on tensors that no consumer's tile takes
  // in, consumers first. (Decided before any tiling: tiling changes the
  // uses that `fusible` looks at.)
  SmallVector<linalg::LinalgOp> &roots = groups.roots;
  llvm::SmallPtrSet<Operation *, 16> &fused = groups.fused;
  // A fused contraction's one reader (its epilogue), before tiling.
  llvm::DenseMap<Operation *, Operation *> &epilogueOf = groups.epilogueOf;
  llvm::SmallPtrSet<Operation *, 16> &rootSet = groups.rootSet;
  // Layout transposes that take in a contraction's epilogue, both ways.
  llvm::DenseMap<Operation *, Operation *> &transposeOfEpilogue =
      groups.transposeOfEpilogue;
  llvm::DenseMap<Operation *, Operation *> &epilogueOfTranspose =
      groups.epilogueOfTranspose;
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
  llvm::DenseMap<Operation *, SmallVector<int64_t>> &rowRootTiles =
      groups.rowRootTiles;
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
        epilogueRoot = it == transposeOfEpilogue.end() ? nullptr : it->second;
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
        llvm::all_of(linalgOp->getUsers(),
                     [&](Operation *u) { return isa<linalg::LinalgOp>(u); });
    if (!fusedEverywhere) {
      roots.push_back(linalgOp);
      rootSet.insert(linalgOp);
    }
  }

  return groups;
}

bool FusionGroups::joins(Operation *producer, Operation *root) const {
  if (isa<linalg::FillOp>(producer))
    return true;
  // Roots are computed once, by their own tiles.
  if (!fused.contains(producer) || rootSet.contains(producer))
    return false;
  // A contraction joins only the tile of the op that reads it (its
  // epilogue), never a later layer's tile that reaches it through
  // elementwise ops (that would recompute a whole layer per tile).
  auto it = epilogueOf.find(producer);
  return it == epilogueOf.end() || it->second == root;
}

} // namespace acc::codegen
