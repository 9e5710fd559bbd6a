//===- KernelDispatch.cpp - the CPU's tile sizes and loop orders ----------===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#include "KernelDispatch.h"

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

using namespace mlir;
using namespace acc::codegen;

namespace acc::cpu {

/// The output dimension of `transpose` that reads the input's contiguous
/// (last) dimension.
unsigned transposeSourceDim(linalg::TransposeOp transpose) {
  ArrayRef<int64_t> perm = transpose.getPermutation();
  return std::find(perm.begin(), perm.end(), int64_t(perm.size()) - 1) -
         perm.begin();
}

/// The side of the square blocks a transpose is cut into, each transposed
/// in registers.
int64_t transposeBlockSide(int64_t width) {
  return std::min<int64_t>(width, 8);
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
  // A static extent that is not a multiple of the tile gets the largest
  // divisor of it that is at least half the tile (28 rows: 7; 14: 7), so
  // that every tile is whole and static; otherwise partial tiles remain.
  auto cap = [&](unsigned d, int64_t t) {
    if (ShapedType::isDynamic(ranges[d]))
      return t;
    if (ranges[d] <= t)
      return ranges[d];
    for (int64_t v = t; v * 2 >= t; --v)
      if (ranges[d] % v == 0)
        return v;
    return t;
  };
  tiles[vecDim] = cap(vecDim, width);
  // Contractions (and the epilogues whose tiles take them in) with a wide
  // enough output take two vectors per row: a rows x 2 register block loads
  // 2 vectors and broadcasts `rows` scalars per 2 x rows FMAs, where one
  // vector per row is bound by loads (ViT's 768 x 3072 linear layers: 63
  // -> 89 GFLOP/s on one core; the 7x7x512 convolution 65 -> 89).
  if ((contraction || feedsFromContraction) &&
      !ShapedType::isDynamic(ranges[vecDim]) &&
      ranges[vecDim] % (2 * width) == 0)
    tiles[vecDim] = 2 * width;
  if (auto transpose = dyn_cast<linalg::TransposeOp>(op.getOperation())) {
    // A square block: the input's contiguous dimension becomes a second
    // vector dimension, read with whole-vector loads and transposed in
    // registers (shuffles).
    unsigned srcDim = transposeSourceDim(transpose);
    int64_t side = transposeBlockSide(width);
    tiles[vecDim] = cap(vecDim, side);
    if (srcDim != vecDim)
      tiles[srcDim] = cap(srcDim, side);
    return tiles;
  }
  if ((contraction || feedsFromContraction) && outDims.size() >= 2) {
    // The row dimension: the innermost other output dimension that is not
    // a unit dimension ([197, 1, 2304] blocks rows of the 197).
    unsigned rowDim = outDims[outDims.size() - 2];
    for (int k = int(outDims.size()) - 2; k >= 0; --k)
      if (ranges[outDims[k]] != 1) {
        rowDim = outDims[k];
        break;
      }
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

/// The most elements of `op`'s iteration space that are vectorized as one
/// vector op: kMaxVectorElements, or kMaxColumnRows rows of at most
/// `width` for a column reduction.
int64_t maxVectorElements(linalg::LinalgOp op, int64_t width) {
  return isColumnReduction(op) ? kMaxColumnRows * width : kMaxVectorElements;
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
  if (row > maxVectorElements(op, width))
    return {};
  return tiles;
}

/// Tile sizes that cut a static transpose that moves the input's contiguous
/// dimension (a query block turned [D, bq] in attention) into square
/// blocks of min(width, 8): each block is read with whole-row loads and
/// transposed in registers (shuffles), where rows of the result would each
/// gather a strided column element by element (the blocks of a root
/// transpose in `registerTile`, for a transpose inside a loop). Empty
/// otherwise, and for a transpose small enough to be vectorized whole (a
/// register block's 8 x 32 on its way out), which is transposed in
/// registers as it is.
SmallVector<int64_t> squareTransposeTile(linalg::LinalgOp op, int64_t width) {
  auto transpose = dyn_cast<linalg::TransposeOp>(op.getOperation());
  if (!transpose || transpose.getPermutation().size() < 2)
    return {};
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t n = ranges.size(), side = transposeBlockSide(width);
  int64_t total = 1;
  for (int64_t r : ranges)
    total *= r;
  int64_t srcDim = transposeSourceDim(transpose);
  if (total <= kMaxVectorElements || srcDim == n - 1 ||
      ranges[n - 1] % side != 0 || ranges[srcDim] % side != 0)
    return {};
  SmallVector<int64_t> tiles(n, 1);
  tiles[n - 1] = side;
  tiles[srcDim] = side;
  return tiles;
}

/// Tile sizes for a plain reduction root (a norm's statistics, a global
/// pool): each parallel loop cut into single rows, except the output's
/// innermost loop when it is also the input's contiguous one (channels of
/// an NHWC pool, reduced over the image), cut into `width`-wide column
/// blocks; reductions stay whole. Each thread-pool iteration then reduces
/// its own rows whole, so the reduction runs on every core and its
/// results do not depend on the thread count. Empty when there is a
/// single row to reduce.
SmallVector<int64_t> reductionTile(linalg::LinalgOp op, int64_t width) {
  if (isContraction(op) || op.getNumReductionLoops() == 0 ||
      op.getNumParallelLoops() == 0 ||
      (op.getNumDpsInputs() != 1 && !isRowStatistic(op)))
    return {};
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> its = op.getIteratorTypesArray();
  unsigned n = ranges.size();
  std::optional<unsigned> vecDim;
  AffineMap out = op.getIndexingMapMatchingResult(op->getResult(0));
  AffineMap in = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  if (out.getNumResults() && in.getNumResults() &&
      out.getResults().back() == in.getResults().back())
    if (auto d = dyn_cast<AffineDimExpr>(out.getResults().back()))
      vecDim = d.getPosition();
  SmallVector<int64_t> tiles(n, 0);
  bool several = false;
  for (unsigned d = 0; d < n; ++d) {
    if (its[d] != utils::IteratorType::parallel)
      continue;
    tiles[d] = 1;
    if (vecDim && d == *vecDim)
      tiles[d] = ShapedType::isDynamic(ranges[d])
                     ? width
                     : std::min<int64_t>(width, ranges[d]);
    several |= ShapedType::isDynamic(ranges[d]) || ranges[d] > tiles[d];
  }
  if (!several)
    return {};
  return tiles;
}

/// Tile-loop order for a root whose contraction reads more weight than
/// activation (deep layers: a 3x3x512x512 filter against a 7x7 image): the
/// output-channel (vector) loop goes outermost, so that each block of the
/// weights is read once and stays in cache while all output pixels use it,
/// instead of streaming all the weights once per pixel row. So too for a
/// depthwise convolution in NHWC: a block of 32 channels slides its window
/// over the image with that block's rows and taps in L1 (7x7 over 14 x 32
/// pixels x channels and its filter: 19 KB), where all channels of a
/// window (56 KB for 96 channels) do not fit.
std::optional<SmallVector<int64_t>> weightOuterOrder(linalg::LinalgOp root,
                                                     ArrayRef<int64_t> tiles) {
  linalg::LinalgOp contraction = isContraction(root) ? root : nullptr;
  // (Only a contraction that the root's tiles take in: the first one it
  // reads, with no other reader, as the fusion takes it. A residual add of
  // two convolutions fuses the first; ordering by the second, a 1x1
  // downsample with less weight than image, left ResNet-18's layer3.0
  // conv2 streaming all its weights once per pixel row: 30% slower than
  // its twin layers.)
  if (!contraction)
    for (Value in : root.getDpsInputs())
      if (auto l = in.getDefiningOp<linalg::LinalgOp>();
          l && isContraction(l)) {
        if (l->hasOneUse())
          contraction = l;
        break;
      }
  if (!contraction || contraction.getNumDpsInputs() != 2)
    return std::nullopt;
  AffineMap out = root.getIndexingMapMatchingResult(root->getResult(0));
  auto vecExpr = dyn_cast<AffineDimExpr>(out.getResults().back());
  if (!vecExpr)
    return std::nullopt;
  unsigned vecDim = vecExpr.getPosition();
  // The weight operand: the contraction input indexed by the vector dim.
  Value weight, act;
  AffineMap cOut =
      contraction.getIndexingMapMatchingResult(contraction->getResult(0));
  auto cVec = dyn_cast<AffineDimExpr>(cOut.getResults().back());
  if (!cVec)
    return std::nullopt;
  for (OpOperand *in : contraction.getDpsInputOperands()) {
    bool hasVec =
        llvm::any_of(contraction.getMatchingIndexingMap(in).getResults(),
                     [&](AffineExpr e) { return e == cVec; });
    (hasVec ? weight : act) = in->get();
  }
  if (!weight || !act ||
      (staticBytes(weight) <= staticBytes(act) &&
       !windowOnlyReductions(contraction)))
    return std::nullopt;
  // Tiled loops (non-zero tile sizes) in order, the vector loop first.
  SmallVector<int64_t> order;
  if (vecDim < tiles.size() && tiles[vecDim] != 0)
    order.push_back(vecDim);
  for (auto [d, t] : llvm::enumerate(tiles))
    if (t != 0 && d != vecDim)
      order.push_back(d);
  return order;
}

/// The loop order for stepping `op`'s reductions (its parallel loops
/// first): the weight's (the operand indexed by the output's vector
/// dimension) memory order, an HWCF filter's kh, kw, c, when the other
/// operand (the image) also has that last reduction innermost (NHWC).
/// Each step then reads the next contiguous row of both, instead of a
/// filter row 3 x 3 x C apart (ResNet-18, NHWC inside: 35.0 -> 33.1 ms
/// on one thread). An NCHW image keeps the generic's order.
std::optional<SmallVector<int64_t>> reductionOrder(linalg::LinalgOp op) {
  std::optional<unsigned> vec = outputVectorDim(op);
  if (op.getNumDpsInputs() != 2 || !vec)
    return std::nullopt;
  AffineMap weight, image;
  for (OpOperand *in : op.getDpsInputOperands()) {
    AffineMap m = op.getMatchingIndexingMap(in);
    (m.isFunctionOfDim(*vec) ? weight : image) = m;
  }
  if (!weight || !image || image.getNumResults() == 0)
    return std::nullopt;
  SmallVector<utils::IteratorType> its = op.getIteratorTypesArray();
  SmallVector<int64_t> order;
  for (auto [d, it] : llvm::enumerate(its))
    if (it == utils::IteratorType::parallel)
      order.push_back(d);
  for (AffineExpr e : weight.getResults())
    if (auto d = dyn_cast<AffineDimExpr>(e);
        d && its[d.getPosition()] == utils::IteratorType::reduction)
      order.push_back(d.getPosition());
  if (order.size() != its.size() ||
      image.getResults().back() !=
          getAffineDimExpr(order.back(), op.getContext()))
    return std::nullopt;
  return order;
}

/// Whether every reduction loop of contraction `op` only slides a window
/// over an image (a depthwise convolution: out[c, oy, ox] += in[c, oy +
/// kh, ox + kw] * w[c, kh, kw]): no reduction over a whole dimension of
/// it (a channel sum, a matmul's k).
bool windowOnlyReductions(linalg::LinalgOp op) {
  SmallVector<utils::IteratorType> its = op.getIteratorTypesArray();
  for (OpOperand *in : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(in);
    if (llvm::all_of(map.getResults(), llvm::IsaPred<AffineDimExpr>))
      continue; // not the image
    bool window = true;
    for (auto [d, it] : llvm::enumerate(its)) {
      if (it != utils::IteratorType::reduction)
        continue;
      bool inCompound = false;
      for (AffineExpr e : map.getResults()) {
        if (auto dim = dyn_cast<AffineDimExpr>(e))
          window &= dim.getPosition() != d;
        else
          inCompound |= e.isFunctionOfDim(d);
      }
      window &= inCompound;
    }
    if (window)
      return true;
  }
  return false;
}

RootTiling selectRootTiling(linalg::LinalgOp root,
                            const codegen::FusionGroups &groups,
                            int64_t vectorWidth, int64_t rows) {
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
      fromContraction |= isContraction(l) &&
                         (!dynamicRows ||
                          (groups.fused.contains(l) &&
                           groups.epilogueOf.lookup(l) == root.getOperation()));
  SmallVector<int64_t> tiles =
      registerTile(root, vectorWidth, rows, fromContraction);
  if (auto it = groups.rowRootTiles.find(root); it != groups.rowRootTiles.end())
    tiles = it->second;
  // A transpose that takes in a contraction's epilogue: the epilogue's
  // register block, permuted (loop i of the transpose is loop perm[i]
  // of the epilogue's identity-mapped output).
  std::optional<SmallVector<int64_t>> order;
  if (auto it = groups.epilogueOfTranspose.find(root);
      it != groups.epilogueOfTranspose.end()) {
    auto epilogue = cast<linalg::LinalgOp>(it->second);
    ArrayRef<int64_t> perm =
        cast<linalg::TransposeOp>(root.getOperation()).getPermutation();
    SmallVector<int64_t> eTiles =
        registerTile(epilogue, vectorWidth, rows, true);
    AffineMap eOut =
        epilogue.getIndexingMapMatchingResult(epilogue->getResult(0));
    bool leadingIdentity = eOut.getNumResults() == perm.size();
    for (auto [i, e] : llvm::enumerate(eOut.getResults()))
      leadingIdentity &= e == getAffineDimExpr(i, root.getContext());
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
  if (isa<linalg::CopyOp, linalg::FillOp>(root) && root.getNumLoops() > 2) {
    tiles.assign(root.getNumLoops(), 1);
    tiles[tiles.size() - 1] = tiles[tiles.size() - 2] = 0;
  }
  if (tiles.empty())
    tiles = reductionTile(root, vectorWidth);
  return {tiles, order};
}

SmallVector<Block *> tilingBlocks(func::FuncOp func) {
  SmallVector<Block *> blocks;
  for (auto loop : func.getBody().getOps<scf::ForallOp>())
    if (loop->hasAttr(kChannelBlocksAttr))
      blocks.push_back(loop.getBody());
  blocks.push_back(&func.getBody().front());
  return blocks;
}

} // namespace acc::cpu
