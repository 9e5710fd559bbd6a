//===- DepthwiseChannels.cpp - depthwise convolutions by channel blocks ---===//
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

/// Tiles `root` by `tiles` (its channel loop) with its producers fused,
/// and makes each tile's padded image a fill of its border and a copy.
LogicalResult tileChannelsWithPad(RewriterBase &rewriter, linalg::LinalgOp root,
                                  ArrayRef<int64_t> tiles,
                                  SmallVectorImpl<scf::ForallOp> &loops) {
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(getAsIndexOpFoldResult(rewriter.getContext(), tiles));
  tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  scf::SCFTileAndFuseOptions options;
  options.setTilingOptions(tiling);
  // (The originals, now unused, are erased by the caller.)
  FailureOr<scf::SCFTileAndFuseResult> result =
      tileAndFuse(rewriter, root, options);
  if (failed(result))
    return failure();
  // The tiled pad sits in an `scf.if` on whether its slice of the source
  // is empty: fold it (a whole plane: statically not; a band of rows, of
  // dynamic extent: evaluated for each iteration), then make the tile's
  // padded image a fill of its border and a copy, as at the top level.
  auto loop = cast<scf::ForallOp>(result->loops.front().getOperation());
  loop->walk([&](scf::IfOp guard) {
    if (guard.getNumResults() == 1 && guardNeverTaken(loop, guard)) {
      rewriter.setInsertionPoint(guard);
      rewriter.modifyOpInPlace(guard, [&] {
        guard.getConditionMutable().assign(
            arith::ConstantIntOp::create(rewriter, guard.getLoc(), 0, 1));
      });
    }
  });
  RewritePatternSet patterns(rewriter.getContext());
  scf::IfOp::getCanonicalizationPatterns(patterns, rewriter.getContext());
  // (A tile of rows: its pad's extent, low + rows + high, folds to the
  // tile's.)
  tensor::PadOp::getCanonicalizationPatterns(patterns, rewriter.getContext());
  affine::AffineApplyOp::getCanonicalizationPatterns(patterns,
                                                     rewriter.getContext());
  (void)applyPatternsGreedily(loop.getOperation(), std::move(patterns));
  SmallVector<tensor::PadOp> tiledPads;
  loop->walk([&](tensor::PadOp p) { tiledPads.push_back(p); });
  for (tensor::PadOp p : tiledPads)
    (void)padAsFillAndCopy(rewriter, p);
  loops.push_back(loop);
  return success();
}

/// Whether the image (input 0) of convolution `conv` reads, along its
/// dimension `imageDim`, the output's channel `outC`: f, or f + c with the
/// per-group channel loop c of extent 1 (f floordiv 1 * 1 + c, simplified).
bool imageChannelIsOutputChannel(linalg::GenericOp conv, unsigned imageDim,
                                 AffineDimExpr outC) {
  AffineMap in = conv.getMatchingIndexingMap(conv.getDpsInputOperand(0));
  SmallVector<int64_t> ranges = conv.getStaticLoopRanges();
  SmallVector<AffineExpr> zeroUnit;
  for (unsigned d = 0; d < ranges.size(); ++d)
    zeroUnit.push_back(ranges[d] == 1 && d != outC.getPosition()
                           ? getAffineConstantExpr(0, conv.getContext())
                           : getAffineDimExpr(d, conv.getContext()));
  return in.getResult(imageDim).replaceDims(zeroUnit) == outC;
}

/// Whether `op` is an elementwise op of 4 loops in `block` whose operands
/// all share its iteration space (identity maps): an epilogue that a tile
/// of the convolution before it can take in.
bool isIdentityEpilogue(Operation *op, Block *block) {
  auto g = dyn_cast<linalg::GenericOp>(op);
  return g && isAllParallel(g) && g->getBlock() == block &&
         g.getNumLoops() == 4 &&
         llvm::all_of(g.getIndexingMapsArray(),
                      [](AffineMap m) { return m.isIdentity(); });
}

/// Whether `conv` (its image `pad`) is a depthwise convolution computed in
/// NHWC for NCHW tensors: the image is the pad along H and W of a layout
/// transpose of an NCHW tensor read by nothing else, and the result goes
/// back through a transpose to NCHW. Then `root` is that transpose, or the
/// elementwise epilogue that reads it, and `tiles` its tiles of one block
/// of channels (32, or 16), whose padded NHWC image fits in L2.
bool nhwcFromNCHW(linalg::GenericOp conv, tensor::PadOp pad,
                  linalg::LinalgOp &root, SmallVectorImpl<int64_t> &tiles) {
  auto in = pad.getSource().getDefiningOp<linalg::TransposeOp>();
  if (!in || !in->hasOneUse() ||
      in.getPermutation() != ArrayRef<int64_t>{0, 2, 3, 1} ||
      !windowOnlyReductions(conv))
    return false;
  for (auto [d, lo, hi] :
       llvm::enumerate(pad.getStaticLow(), pad.getStaticHigh()))
    if ((d == 0 || d == 3) && (lo != 0 || hi != 0))
      return false;
  AffineMap inMap = conv.getMatchingIndexingMap(conv.getDpsInputOperand(0));
  AffineMap out = conv.getIndexingMapMatchingResult(conv->getResult(0));
  auto outC = dyn_cast<AffineDimExpr>(out.getResult(3));
  if (!outC || !imageChannelIsOutputChannel(conv, 3, outC))
    return false;
  SmallVector<int64_t> ranges = conv.getStaticLoopRanges();
  // The epilogue in NHWC (elementwise ops, each the only reader of the
  // one before), then the transpose back.
  Block *convBlock = conv->getBlock();
  Operation *last = conv;
  while (last->hasOneUse() &&
         isIdentityEpilogue(*last->getUsers().begin(), convBlock))
    last = *last->getUsers().begin();
  if (!last->hasOneUse())
    return false;
  auto back = dyn_cast<linalg::TransposeOp>(*last->getUsers().begin());
  if (!back || back->getBlock() != conv->getBlock() ||
      back.getPermutation() != ArrayRef<int64_t>{0, 3, 1, 2})
    return false;
  root = back;
  if (back->hasOneUse() &&
      isIdentityEpilogue(*back->getUsers().begin(), convBlock))
    root = cast<linalg::LinalgOp>(*back->getUsers().begin());
  RankedTensorType padded = pad.getResultType();
  int64_t channels = padded.getDimSize(3);
  int64_t plane = padded.getDimSize(1) * padded.getDimSize(2) *
                  (padded.getElementTypeBitWidth() / 8);
  int64_t block = 0;
  for (int64_t b : {32, 16})
    if (!block && channels % b == 0 && channels > b &&
        plane * b <= kChannelBlockImageBytes)
      block = b;
  if (!block)
    return false;
  tiles.assign(root.getNumLoops(), 0);
  tiles[0] = 1;
  tiles[1] = block;
  // Too few blocks of channels for the threads (96 channels: 3 for 2
  // threads, one idle half the time): the output rows go in two bands,
  // each with its own padded rows, when the rows that both bands read
  // (the window's overlap) add at most a quarter to a band's.
  auto outH = dyn_cast<AffineDimExpr>(out.getResult(1));
  if (channels / block >= kMinChannelTasks || !outH)
    return true;
  SmallVector<utils::IteratorType> its = conv.getIteratorTypesArray();
  auto inputRow = [&](int64_t oh, bool lastTap) -> std::optional<int64_t> {
    SmallVector<AffineExpr> values;
    for (unsigned d = 0; d < ranges.size(); ++d)
      values.push_back(getAffineConstantExpr(
          d == outH.getPosition()                               ? oh
          : lastTap && its[d] == utils::IteratorType::reduction ? ranges[d] - 1
                                                                : 0,
          conv.getContext()));
    auto c = dyn_cast<AffineConstantExpr>(
        simplifyAffineExpr(inMap.getResult(1).replaceDims(values), 0, 0));
    return c ? std::optional<int64_t>(c.getValue()) : std::nullopt;
  };
  std::optional<int64_t> first = inputRow(0, false), next = inputRow(1, false),
                         lastTap = inputRow(0, true);
  int64_t rows = ranges[outH.getPosition()];
  if (!first || !next || !lastTap || rows % 2 != 0)
    return true;
  int64_t stride = *next - *first, span = *lastTap - *first + 1;
  int64_t band = rows / 2;
  if (stride > 0 && 4 * ((band - 1) * stride + span) <= 5 * band * stride)
    tiles[2] = band;
  return true;
}

/// A depthwise NCHW convolution (each output channel reads its own input
/// channel) whose image is a `tensor.pad` of a static NCHW tensor along H
/// and W only: its consumer chain (the elementwise epilogue, or the
/// convolution itself) is tiled one channel at a time, the convolution and
/// the pad fused into the tile. (One computed in NHWC between NCHW tensors,
/// `nhwcFromNCHW`, is tiled the same way by blocks of channels, and rows.) Each
/// channel's padded plane is then made right before its stencil reads it, a
/// small buffer in L1/L2 (114 x 114 floats for a 112x112 image), instead of a
/// padded copy of the whole tensor written and read back through L3 (a
/// 112x112x32 3x3 layer spent a quarter of its time in that copy). Returns the
/// channel loops, whose bodies are then tiled like the function's.
SmallVector<scf::ForallOp> padDepthwisePerChannel(RewriterBase &rewriter,
                                                  func::FuncOp func) {
  SmallVector<scf::ForallOp> loops;
  for (auto conv :
       llvm::to_vector(func.getBody().getOps<linalg::GenericOp>())) {
    if (!isContraction(conv) || conv.getNumDpsInputs() != 2 ||
        conv.getNumLoops() != 7 || !conv->hasOneUse())
      continue;
    auto pad = conv.getDpsInputs()[0].getDefiningOp<tensor::PadOp>();
    if (!pad || !pad->hasOneUse() || !pad.getSourceType().hasStaticShape() ||
        pad.getSourceType().getRank() != 4 || !pad.getConstantPaddingValue())
      continue;
    linalg::LinalgOp root;
    SmallVector<int64_t> tiles;
    if (nhwcFromNCHW(conv, pad, root, tiles)) {
      (void)tileChannelsWithPad(rewriter, root, tiles, loops);
      continue;
    }
    bool hw = true;
    for (auto [d, lo, hi] :
         llvm::enumerate(pad.getStaticLow(), pad.getStaticHigh()))
      hw &= d >= 2 || (lo == 0 && hi == 0);
    if (!hw)
      continue;
    AffineMap out = conv.getIndexingMapMatchingResult(conv->getResult(0));
    auto outC = dyn_cast<AffineDimExpr>(out.getResult(1));
    auto outW = dyn_cast<AffineDimExpr>(out.getResult(3));
    if (!outC || !outW || outW.getPosition() != 3 ||
        !imageChannelIsOutputChannel(conv, 1, outC))
      continue;
    root = conv;
    Operation *user = *conv->getUsers().begin();
    if (isIdentityEpilogue(user, conv->getBlock()))
      root = cast<linalg::LinalgOp>(user);
    tiles.assign(root.getNumLoops(), 0);
    tiles[0] = tiles[1] = 1;
    (void)tileChannelsWithPad(rewriter, root, tiles, loops);
  }
  return loops;
}

} // namespace acc::cpu
