//===- TileAndVectorize.cpp - register tiling and vectorization -----------===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "acc/Conversion/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
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
#define GEN_PASS_DEF_NNHOISTVECTORTRANSFERS
#include "acc/Conversion/Passes.h.inc"
} // namespace acc

using namespace mlir;

namespace {
/// The largest iteration space (in elements) that is vectorized as a whole:
/// a 16 x 16 block.
constexpr int64_t kMaxVectorElements = 256;
/// Marks a stepped reduction loop that nn-hoist-vector-transfers unrolls
/// fully (the taps of a depthwise convolution).
constexpr llvm::StringLiteral kUnrollAttr = "acc.unroll";
/// The most register-block elements times taps that the unrolled tap
/// loops of a window-only reduction may update: 3x3 taps over an 8 x 32
/// block (144 FMAs of 16 lanes). All 7x7 taps over 8 x 32 (784) spill.
constexpr int64_t kMaxUnrolledElements = 2304;
/// The most rows that a column reduction (below) vectorizes as a whole: a
/// key-major attention block of 256 keys (decoding a few queries).
constexpr int64_t kMaxColumnRows = 256;
/// The largest padded NHWC image of one block of channels that a depthwise
/// convolution between NCHW tensors makes per block (half of a 1 MiB L2).
constexpr int64_t kChannelBlockImageBytes = 512 * 1024;
/// Fewer blocks of channels than this split their rows too.
constexpr int64_t kMinChannelTasks = 4;

bool isAllParallel(linalg::LinalgOp op) {
  return op.getNumLoops() == op.getNumParallelLoops();
}

/// A reduction of rows that every input spans except along the reduced
/// loops (a layer norm's sum of (x - mean)^2: x over (r, c), the mean over
/// (r) only): per-row statistics, not a contraction, whose inputs each
/// span loops that another lacks (a matmul's A lacks j, B lacks i).
bool isRowStatistic(linalg::LinalgOp op) {
  if (op.getNumReductionLoops() == 0 || op.getNumParallelLoops() == 0)
    return false;
  SmallVector<utils::IteratorType> its = op.getIteratorTypesArray();
  bool whole = false;
  for (OpOperand *in : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(in);
    if (!map.isProjectedPermutation())
      return false;
    whole |= map.getNumResults() == op.getNumLoops();
    for (auto [d, it] : llvm::enumerate(its))
      if (it == utils::IteratorType::parallel && !map.isFunctionOfDim(d))
        return false;
  }
  return whole;
}

/// A contraction-like op: reductions and at least two inputs (conv, matmul,
/// linear, the attention products), not a row statistic.
bool isContraction(linalg::LinalgOp op) {
  return op.getNumReductionLoops() > 0 && op.getNumDpsInputs() >= 2 &&
         !isRowStatistic(op);
}

/// The loop of `op`'s vector dimension: the innermost dimension of its
/// (first) result, when that is a plain loop. A contraction's operand
/// indexed by it is the weight (read as vectors), the other the image
/// (read as broadcast scalars).
std::optional<unsigned> outputVectorDim(linalg::LinalgOp op) {
  AffineMap out = op.getIndexingMapMatchingResult(op->getResult(0));
  if (out.getNumResults() == 0)
    return std::nullopt;
  if (auto d = dyn_cast<AffineDimExpr>(out.getResults().back()))
    return d.getPosition();
  return std::nullopt;
}

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

/// An elementwise op with one result that does not read its destination
/// and writes it in order (identity map): it may compute into any tensor
/// of its result's type, such as the interior of a padded image.
bool writesOnlyItsResult(linalg::GenericOp op) {
  return op->getNumResults() == 1 && isAllParallel(op) &&
         !op.payloadUsesValueFromOperand(op.getDpsInitOperand(0)) &&
         op.getIndexingMapMatchingResult(op->getResult(0)).isIdentity();
}

/// `image` (a fresh tensor of static shape) with `value` in every element
/// outside the box at `low` of `sizes`, which the caller writes: one fill
/// per padded side of each dimension (for dimension d: the box's extent in
/// the dimensions before d, the band in d, everything after), instead of a
/// fill of the whole image that the box's contents then overwrite (a
/// 58x58x64 image: 57 KB of border instead of 861 KB). A box with dynamic
/// offsets or sizes gets the whole fill.
Value fillBorder(RewriterBase &rewriter, Location loc, Value image, Value value,
                 ArrayRef<OpFoldResult> low, ArrayRef<OpFoldResult> sizes) {
  auto type = cast<RankedTensorType>(image.getType());
  int64_t rank = type.getRank();
  if (!type.hasStaticShape())
    return linalg::FillOp::create(rewriter, loc, value, image).getResult(0);
  MLIRContext *ctx = rewriter.getContext();
  AffineExpr a, b;
  bindSymbols(ctx, a, b);
  for (int64_t d = 0; d < rank; ++d) {
    int64_t full = type.getDimSize(d);
    // The band before the box, and the one after it (a dynamic box: bands
    // of dynamic extent, possibly empty).
    OpFoldResult end = affine::makeComposedFoldedAffineApply(
        rewriter, loc, a + b, {low[d], sizes[d]});
    OpFoldResult rest =
        affine::makeComposedFoldedAffineApply(rewriter, loc, full - a, {end});
    for (auto [start, extent] : {std::pair<OpFoldResult, OpFoldResult>{
                                     rewriter.getIndexAttr(0), low[d]},
                                 {end, rest}}) {
      if (std::optional<int64_t> e = getConstantIntValue(extent); e && *e <= 0)
        continue;
      SmallVector<OpFoldResult> offsets, bandSizes;
      for (int64_t e = 0; e < rank; ++e) {
        offsets.push_back(e < d    ? low[e]
                          : e == d ? start
                                   : rewriter.getIndexAttr(0));
        bandSizes.push_back(e < d ? sizes[e]
                            : e == d
                                ? extent
                                : rewriter.getIndexAttr(type.getDimSize(e)));
      }
      SmallVector<OpFoldResult> strides(rank, rewriter.getIndexAttr(1));
      Value band = tensor::ExtractSliceOp::create(rewriter, loc, image, offsets,
                                                  bandSizes, strides);
      Value filled =
          linalg::FillOp::create(rewriter, loc, value, band).getResult(0);
      image = tensor::InsertSliceOp::create(rewriter, loc, filled, image,
                                            offsets, bandSizes, strides);
    }
  }
  return image;
}

/// Whole operands padded once, by (operand, padded shape).
using PaddedCache = llvm::DenseMap<std::pair<Value, RankedTensorType>, Value>;

/// A tile's `tensor.pad` of a slice of a whole tensor `x` defined outside
/// the tile loop (`pad(x[i, 0][min(8, 197 - i), 768])` to 8 rows) becomes a
/// static slice `xp[i, 0][8, 768]` of `x` padded with zeros once, before
/// the loop, far enough (`197 + 8 - 1` rows) for every tile. Per tile the
/// pad was a copy of the tile's whole row panel for every column block
/// (ViT-B/16: 7% of its time in memmove).
void hoistTilePad(RewriterBase &rewriter, tensor::PadOp pad,
                  PaddedCache &cache) {
  auto slice = pad.getSource().getDefiningOp<tensor::ExtractSliceOp>();
  Value padValue = pad.getConstantPaddingValue();
  auto loop = pad->getParentOfType<scf::ForallOp>();
  if (!slice || !padValue || !loop || !pad.hasZeroLowPad() ||
      !slice.hasUnitStride() || !pad.getResultType().hasStaticShape())
    return;
  Value x = slice.getSource();
  auto xType = dyn_cast<RankedTensorType>(x.getType());
  if (!xType || slice.getResultType().getRank() != xType.getRank() ||
      !loop->isProperAncestor(pad) ||
      loop->isAncestor(x.getParentBlock()->getParentOp()))
    return;
  // Constant padding value defined outside the loop (or a constant to
  // rematerialize).
  Attribute padAttr;
  if (!matchPattern(padValue, m_Constant(&padAttr)))
    return;
  ArrayRef<int64_t> tile = pad.getResultType().getShape();
  SmallVector<int64_t> shape(xType.getShape());
  for (auto [d, size] : llvm::enumerate(slice.getStaticSizes()))
    if (ShapedType::isDynamic(size) && !xType.isDynamicDim(d))
      shape[d] += tile[d] - 1;
  auto paddedType = RankedTensorType::get(shape, xType.getElementType());
  Value &padded = cache[{x, paddedType}];
  if (!padded && !xType.hasStaticShape()) {
    // Dynamic sizes (a dynamic number of tokens): x + tile - 1 rows, the
    // extra rows filled, x copied in.
    OpBuilder::InsertionGuard guard(rewriter);
    if (Operation *def = x.getDefiningOp())
      rewriter.setInsertionPointAfter(def);
    else
      rewriter.setInsertionPointToStart(x.getParentBlock());
    Location loc = x.getLoc();
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, x);
    SmallVector<Value> dynamicSizes;
    for (auto [d, size] : llvm::enumerate(sizes))
      if (xType.isDynamicDim(d)) {
        Value v = getValueOrCreateConstantIndexOp(rewriter, loc, size);
        if (ShapedType::isDynamic(slice.getStaticSizes()[d]))
          v = arith::AddIOp::create(
              rewriter, loc, v,
              arith::ConstantIndexOp::create(rewriter, loc, tile[d] - 1));
        dynamicSizes.push_back(v);
      }
    Value image = bufferization::AllocTensorOp::create(
        rewriter, loc, paddedType, dynamicSizes, /*copy=*/Value(),
        /*size_hint=*/Value(), /*memory_space=*/Attribute());
    Value v =
        arith::ConstantOp::create(rewriter, loc, cast<TypedAttr>(padAttr));
    int64_t rank = shape.size();
    SmallVector<OpFoldResult> zeros(rank, rewriter.getIndexAttr(0)),
        ones(rank, rewriter.getIndexAttr(1));
    for (int64_t d = 0; d < rank; ++d) {
      if (!ShapedType::isDynamic(slice.getStaticSizes()[d]))
        continue;
      // The band past x along d.
      SmallVector<OpFoldResult> offs(zeros),
          band = tensor::getMixedSizes(rewriter, loc, image);
      offs[d] = sizes[d];
      band[d] = rewriter.getIndexAttr(tile[d] - 1);
      Value part = tensor::ExtractSliceOp::create(rewriter, loc, image, offs,
                                                  band, ones);
      Value zeroed =
          linalg::FillOp::create(rewriter, loc, v, part).getResult(0);
      image = tensor::InsertSliceOp::create(rewriter, loc, zeroed, image, offs,
                                            band, ones);
    }
    padded = tensor::InsertSliceOp::create(rewriter, loc, x, image, zeros,
                                           sizes, ones);
  }
  if (!padded) {
    OpBuilder::InsertionGuard guard(rewriter);
    // Like a padded image (`padAsFillAndCopy`): an alloc_tensor that CSE
    // cannot merge with its equals, and an elementwise producer of `x`
    // computes straight into it.
    auto producer = x.getDefiningOp<linalg::GenericOp>();
    bool inPlace = producer && writesOnlyItsResult(producer) &&
                   producer->getBlock() == loop->getBlock();
    Operation *def = x.getDefiningOp();
    if (inPlace)
      rewriter.setInsertionPoint(def);
    else if (def)
      rewriter.setInsertionPointAfter(def);
    else
      rewriter.setInsertionPointToStart(x.getParentBlock());
    Location loc = x.getLoc();
    Value image = bufferization::AllocTensorOp::create(
        rewriter, loc, paddedType, ValueRange{}, /*copy=*/Value(),
        /*size_hint=*/Value(), /*memory_space=*/Attribute());
    Value v =
        arith::ConstantOp::create(rewriter, loc, cast<TypedAttr>(padAttr));
    SmallVector<OpFoldResult> zeros(shape.size(), rewriter.getIndexAttr(0)),
        ones(shape.size(), rewriter.getIndexAttr(1)),
        sizes = getAsIndexOpFoldResult(rewriter.getContext(), xType.getShape());
    Value filled = fillBorder(rewriter, loc, image, v, zeros, sizes);
    if (inPlace) {
      Value interior = tensor::ExtractSliceOp::create(rewriter, loc, filled,
                                                      zeros, sizes, ones);
      rewriter.modifyOpInPlace(
          producer, [&] { producer.getDpsInitOperand(0)->set(interior); });
      rewriter.setInsertionPointAfter(def);
    }
    padded = tensor::InsertSliceOp::create(rewriter, loc, x, filled, zeros,
                                           sizes, ones);
  }
  rewriter.setInsertionPoint(pad);
  SmallVector<OpFoldResult> strides(shape.size(), rewriter.getIndexAttr(1));
  rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
      pad, pad.getResultType(), padded, slice.getMixedOffsets(),
      getAsIndexOpFoldResult(rewriter.getContext(), tile), strides);
}

/// `op` (a tile with dynamic sizes bounded by constants) rewritten to run on
/// operands padded with zeros to those bounds; its uses get the valid slice
/// of the result. Returns the padded op, or null when a bound is unknown.
/// With a `cache`, pads of slices of whole tensors are hoisted (each
/// operand padded once, for tiles that read its rows many times);
/// without, each tile pads its own slice (a masked vector read).
linalg::LinalgOp padToStaticBounds(RewriterBase &rewriter, linalg::LinalgOp op,
                                   PaddedCache *cache) {
  linalg::LinalgPaddingOptions options;
  SmallVector<Attribute> zeros;
  for (OpOperand &operand : op->getOpOperands())
    zeros.push_back(
        rewriter.getZeroAttr(getElementTypeOrSelf(operand.get().getType())));
  options.setPaddingValues(zeros);
  options.setPaddingDimensions(
      llvm::to_vector(llvm::seq<int64_t>(0, op.getNumLoops())));
  options.copyBackOp = linalg::LinalgPaddingOptions::CopyBackOp::None;
  linalg::LinalgOp padded;
  SmallVector<Value> replacements;
  SmallVector<tensor::PadOp> pads;
  rewriter.setInsertionPoint(op);
  if (failed(linalg::rewriteAsPaddedOp(rewriter, op, options, padded,
                                       replacements, pads)) ||
      padded.hasDynamicShape())
    return nullptr;
  rewriter.replaceOp(op, replacements);
  if (cache)
    for (tensor::PadOp pad : pads)
      hoistTilePad(rewriter, pad, *cache);
  return padded;
}

/// Whether `op` is computed on padded operands (zeros in, the results
/// past the bound dropped): an all-parallel op with some operand read
/// through a broadcast or permutation, which masks cannot follow (ops with
/// identity maps only are vectorized with masks instead), and whose body
/// cannot trap on a zero (integer division).
bool padsSafely(linalg::LinalgOp op) {
  if (llvm::all_of(op.getIndexingMapsArray(),
                   [](AffineMap m) { return m.isIdentity(); }))
    return false;
  return !op->walk([](Operation *o) {
              return isa<arith::DivSIOp, arith::DivUIOp, arith::RemSIOp,
                         arith::RemUIOp, arith::CeilDivSIOp, arith::CeilDivUIOp,
                         arith::FloorDivSIOp>(o)
                         ? WalkResult::interrupt()
                         : WalkResult::advance();
            }).wasInterrupted();
}

/// In a tile, a convolution's window loops have one iteration: `oy + ky`
/// with ky in [0, 1) is `oy`, and a strided window `2 * ox` reads every
/// other element (a strided slice of the operand, read with the plain map
/// `ox`). Rewriting the input maps so makes the tile a plain contraction
/// (projected permutations), which vectorizes like a matmul register block.
void foldTileWindows(RewriterBase &rewriter, linalg::GenericOp op) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  MLIRContext *c = op.getContext();
  SmallVector<Attribute> maps;
  bool changed = false;
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap m = op.getMatchingIndexingMap(&operand);
    bool compound = llvm::any_of(m.getResults(), [](AffineExpr e) {
      return !isa<AffineDimExpr, AffineConstantExpr>(e);
    });
    auto type = dyn_cast<RankedTensorType>(operand.get().getType());
    if (!compound || !type || !type.hasStaticShape() ||
        op.isDpsInit(&operand)) {
      maps.push_back(AffineMapAttr::get(m));
      continue;
    }
    AffineMap n = m;
    for (auto [d, r] : llvm::enumerate(ranges))
      if (r == 1)
        n = n.replace(getAffineDimExpr(d, c), getAffineConstantExpr(0, c),
                      n.getNumDims(), n.getNumSymbols());
    n = simplifyAffineMap(n);
    SmallVector<AffineExpr> results;
    SmallVector<int64_t> strides, sizes;
    bool ok = true;
    for (auto [e, ne] : llvm::zip(m.getResults(), n.getResults())) {
      int64_t stride = 1;
      AffineExpr r = ne;
      if (auto bin = dyn_cast<AffineBinaryOpExpr>(ne);
          bin && bin.getKind() == AffineExprKind::Mul)
        if (auto k = dyn_cast<AffineConstantExpr>(bin.getRHS()))
          if (isa<AffineDimExpr>(bin.getLHS())) {
            stride = k.getValue();
            r = bin.getLHS();
          }
      if (isa<AffineDimExpr, AffineConstantExpr>(e))
        r = e; // keep plain results (they name the loops)
      int64_t size;
      if (auto d = dyn_cast<AffineDimExpr>(r))
        size = ranges[d.getPosition()];
      else if (auto k = dyn_cast<AffineConstantExpr>(r); k && k.getValue() == 0)
        size = 1;
      else {
        ok = false;
        break;
      }
      results.push_back(r);
      strides.push_back(stride);
      sizes.push_back(size);
    }
    AffineMap nm =
        ok ? AffineMap::get(m.getNumDims(), m.getNumSymbols(), results, c)
           : AffineMap();
    if (!ok || !nm.isProjectedPermutation(/*allowZeroInResults=*/true)) {
      maps.push_back(AffineMapAttr::get(m));
      continue;
    }
    // A result that was a constant 0 reads index 0 of a dimension whose
    // extent may be larger: slice it to 1 (the new map reads 0 there).
    bool needSlice = false;
    for (auto [i, sz] : llvm::enumerate(sizes))
      needSlice |= strides[i] != 1 || sz != type.getDimSize(i);
    if (needSlice) {
      rewriter.setInsertionPoint(op);
      SmallVector<OpFoldResult> offs(sizes.size(), rewriter.getIndexAttr(0));
      auto sliceType = RankedTensorType::get(sizes, type.getElementType());
      Value slice = tensor::ExtractSliceOp::create(
          rewriter, op.getLoc(), sliceType, operand.get(), offs,
          getAsIndexOpFoldResult(c, sizes), getAsIndexOpFoldResult(c, strides));
      rewriter.modifyOpInPlace(op, [&] { operand.set(slice); });
    }
    maps.push_back(AffineMapAttr::get(nm));
    changed = true;
  }
  if (changed)
    rewriter.modifyOpInPlace(
        op, [&] { op.setIndexingMapsAttr(ArrayAttr::get(c, maps)); });
}

/// Constant upper bounds of the loop ranges of `op` (each loop read through
/// some operand dimension), e.g. 8 for a partial tile min(8, N - i).
std::optional<SmallVector<int64_t>> loopUpperBounds(linalg::LinalgOp op) {
  SmallVector<int64_t> bounds(op.getNumLoops(), ShapedType::kDynamic);
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<ShapedType>(operand.get().getType());
    if (!type)
      continue;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    for (auto [i, e] : llvm::enumerate(map.getResults())) {
      auto d = dyn_cast<AffineDimExpr>(e);
      if (!d)
        continue;
      int64_t bound = type.getDimSize(i);
      if (ShapedType::isDynamic(bound)) {
        FailureOr<int64_t> ub = ValueBoundsConstraintSet::computeConstantBound(
            presburger::BoundType::UB,
            ValueBoundsConstraintSet::Variable(operand.get(), i), nullptr,
            /*closedUB=*/true);
        if (failed(ub))
          continue;
        bound = *ub;
      }
      int64_t &b = bounds[d.getPosition()];
      b = ShapedType::isDynamic(b) ? bound : std::min(b, bound);
    }
  }
  if (llvm::any_of(
          bounds, [](int64_t b) { return b <= 0 || ShapedType::isDynamic(b); }))
    return std::nullopt;
  return bounds;
}

/// A reduction over outer loops only, its innermost loop parallel and the
/// innermost dimension of its input and result (column sums: the row max
/// and sum of a key-major attention score block, [keys, queries] reduced
/// over the keys). Its vector form reduces one vector per row with plain
/// element-wise ops (no lanes crossed), so up to kMaxColumnRows rows of
/// one vector are vectorized whole.
bool isColumnReduction(linalg::LinalgOp op) {
  if (op.getNumDpsInputs() != 1 || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() == 0 || isContraction(op))
    return false;
  SmallVector<utils::IteratorType> its = op.getIteratorTypesArray();
  unsigned last = its.size() - 1;
  if (its[last] != utils::IteratorType::parallel)
    return false;
  AffineExpr lastDim = getAffineDimExpr(last, op.getContext());
  AffineMap in = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  return in.getNumResults() && out.getNumResults() &&
         in.getResults().back() == lastDim &&
         out.getResults().back() == lastDim;
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

/// Static size in bytes of a tensor value (0 if dynamic).
int64_t staticBytes(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  if (!t || !t.hasStaticShape())
    return 0;
  return t.getNumElements() * ((t.getElementTypeBitWidth() + 7) / 8);
}

bool windowOnlyReductions(linalg::LinalgOp op);

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

std::optional<SmallVector<int64_t>> reductionOrder(linalg::LinalgOp op);

/// Constant weights packed into panels, one per (constant, panel width,
/// order of the panel's rows).
using PanelCache =
    std::map<std::tuple<Operation *, int64_t, SmallVector<int64_t>>, Value>;

/// A tiled contraction reads its constant weight as a slice along the
/// output (vector) dimension: `w[0, .., 0, f0][D0, .., Dn-2, T]` of a
/// `[D0, .., Dn-1]` constant (a conv's HWCF filter, a linear layer's [K, N]
/// weight). Each reduction step then reads T contiguous elements at a
/// stride of Dn-1: for a 3x3x512x512 filter, 4608 rows of 128 bytes 2 KiB
/// apart, a new page every second row, and every tile of the layer walks a
/// different column of panels. The weight is packed at compile time into
/// panels `[Dn-1 / T][D0, .., Dn-2][T]` and the slice becomes the panel
/// `f0 / T`, one contiguous block that the prefetcher streams.
///
/// The panel's rows follow the order in which the reduction steps visit
/// them (`reductionOrder`, else the loops' own order): an NCHW image steps
/// its channels outermost (c, kh, kw), so an HWCF filter's panel is stored
/// `[C][KH][KW][T]` and the generic reads it through the permuted map.
/// Stored as HWCF, each channel step read nine rows 64 KiB apart (a
/// 3x3x512 filter), nine pages per step: the 7x7x512 layer ran at 57% of
/// peak. Weights that are not constants, and slices cut along other
/// dimensions, are left alone.
void packConstantWeights(RewriterBase &rewriter, linalg::LinalgOp op,
                         PanelCache &cache) {
  // The position of each loop in the order the reductions are stepped.
  unsigned numLoops = op.getNumLoops();
  SmallVector<int64_t> stepOrder = reductionOrder(op).value_or(
      SmallVector<int64_t>(llvm::to_vector(llvm::seq<int64_t>(0, numLoops))));
  SmallVector<int64_t> loopPos(numLoops);
  for (auto [i, d] : llvm::enumerate(stepOrder))
    loopPos[d] = i;
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  for (OpOperand *operand : op.getDpsInputOperands()) {
    auto slice = operand->get().getDefiningOp<tensor::ExtractSliceOp>();
    if (!slice)
      continue;
    auto cst = slice.getSource().getDefiningOp<arith::ConstantOp>();
    auto data = cst ? dyn_cast<DenseElementsAttr>(cst.getValue()) : nullptr;
    auto type = dyn_cast<RankedTensorType>(slice.getSourceType());
    if (!data || data.isSplat() || !type || !type.hasStaticShape() ||
        !isa<FloatType>(type.getElementType()) ||
        type.getElementTypeBitWidth() % 8 != 0 ||
        slice.getResultType().getRank() != type.getRank() ||
        !slice.hasUnitStride())
      continue;
    int64_t rank = type.getRank();
    SmallVector<int64_t> sizes(slice.getStaticSizes());
    SmallVector<int64_t> offsets(slice.getStaticOffsets());
    bool wholeRows = true;
    for (int64_t d = 0; d + 1 < rank; ++d)
      wholeRows &= offsets[d] == 0 && sizes[d] == type.getDimSize(d);
    int64_t width = sizes[rank - 1], extent = type.getDimSize(rank - 1);
    if (!wholeRows || ShapedType::isDynamic(width) || width >= extent ||
        extent % width != 0)
      continue;
    // perm[k]: the weight dimension stored k-th in a panel row. The
    // weight's dimensions in the order their loops are stepped, when each
    // is a plain loop and the op's map can be changed (a generic).
    AffineMap map = op.getMatchingIndexingMap(operand);
    SmallVector<int64_t> perm =
        llvm::to_vector(llvm::seq<int64_t>(0, rank - 1));
    if (generic && llvm::all_of(map.getResults(), [](AffineExpr e) {
          return isa<AffineDimExpr>(e);
        })) {
      auto loopOf = [&](int64_t d) {
        return loopPos[cast<AffineDimExpr>(map.getResult(d)).getPosition()];
      };
      llvm::stable_sort(
          perm, [&](int64_t a, int64_t b) { return loopOf(a) < loopOf(b); });
    }
    Value &packed = cache[{cst.getOperation(), width, perm}];
    if (!packed) {
      SmallVector<int64_t> shape{extent / width};
      for (int64_t d : perm)
        shape.push_back(type.getDimSize(d));
      shape.push_back(width);
      auto packedType = RankedTensorType::get(shape, type.getElementType());
      ArrayRef<char> raw = data.getRawData();
      int64_t bytes = type.getElementTypeBitWidth() / 8;
      int64_t rows = type.getNumElements() / extent, panel = width * bytes;
      // Row-major strides of the source's rows (dimensions 0 .. n-2).
      SmallVector<int64_t> rowStride(rank - 1, 1);
      for (int64_t d = rank - 3; d >= 0; --d)
        rowStride[d] = rowStride[d + 1] * type.getDimSize(d + 1);
      std::vector<char> out(raw.size());
      char *dst = out.data();
      SmallVector<int64_t> idx(rank - 1);
      for (int64_t p = 0; p < extent / width; ++p) {
        std::fill(idx.begin(), idx.end(), 0);
        for (int64_t r = 0; r < rows; ++r, dst += panel) {
          int64_t src = 0;
          for (auto [k, d] : llvm::enumerate(perm))
            src += idx[k] * rowStride[d];
          std::memcpy(dst, raw.data() + (src * extent + p * width) * bytes,
                      panel);
          // The next row in the panel's order.
          for (int64_t k = rank - 2; k >= 0; --k) {
            if (++idx[k] < type.getDimSize(perm[k]))
              break;
            idx[k] = 0;
          }
        }
      }
      rewriter.setInsertionPoint(cst);
      packed = arith::ConstantOp::create(
          rewriter, cst.getLoc(), packedType,
          DenseElementsAttr::getFromRawBuffer(packedType, out));
    }
    rewriter.setInsertionPoint(slice);
    Location loc = slice.getLoc();
    AffineExpr d0 = rewriter.getAffineDimExpr(0);
    SmallVector<OpFoldResult> offs(rank + 1, rewriter.getIndexAttr(0)),
        szs{rewriter.getIndexAttr(1)},
        strides(rank + 1, rewriter.getIndexAttr(1));
    offs[0] = affine::makeComposedFoldedAffineApply(
        rewriter, loc, d0.floorDiv(width), {slice.getMixedOffsets().back()});
    SmallVector<int64_t> panelShape;
    SmallVector<AffineExpr> panelMap;
    for (int64_t d : perm) {
      panelShape.push_back(sizes[d]);
      panelMap.push_back(map.getResult(d));
    }
    panelShape.push_back(width);
    panelMap.push_back(map.getResult(rank - 1));
    for (int64_t s : panelShape)
      szs.push_back(rewriter.getIndexAttr(s));
    auto panelType = RankedTensorType::get(panelShape, type.getElementType());
    Value panelSlice = tensor::ExtractSliceOp::create(
        rewriter, loc, panelType, packed, offs, szs, strides);
    rewriter.modifyOpInPlace(op, [&] {
      operand->set(panelSlice);
      if (!llvm::equal(perm, llvm::seq<int64_t>(0, rank - 1))) {
        SmallVector<AffineMap> maps = op.getIndexingMapsArray();
        maps[operand->getOperandNumber()] = AffineMap::get(
            map.getNumDims(), map.getNumSymbols(), panelMap, op.getContext());
        generic.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
      }
    });
  }
}

/// `pad(transpose(x))` read only as a contraction's broadcast operand (an
/// NCHW image padded for an NHWC convolution) is `transpose(pad(x))` with
/// the padding permuted: the image is padded in its own layout (a copy of
/// whole rows) and the convolution then reads it through its indexing map
/// (`foldTransposedBroadcastOperands`), instead of a transpose into the
/// padded NHWC image.
LogicalResult padBeforeTranspose(RewriterBase &rewriter, tensor::PadOp pad) {
  auto t = pad.getSource().getDefiningOp<linalg::TransposeOp>();
  if (!t || !t->hasOneUse() || !pad->hasOneUse() ||
      !pad.getConstantPaddingValue())
    return failure();
  auto user = dyn_cast<linalg::GenericOp>(*pad->getUsers().begin());
  if (!user || !isContraction(user) || user.getNumDpsInputs() != 2 ||
      user->getNumResults() != 1)
    return failure();
  std::optional<unsigned> vec = outputVectorDim(user);
  OpOperand *use = &*pad->getUses().begin();
  if (!vec || user.isDpsInit(use) ||
      user.getMatchingIndexingMap(use).isFunctionOfDim(*vec))
    return failure();
  // Result dim j of the transpose is input dim perm[j].
  ArrayRef<int64_t> perm = t.getPermutation();
  SmallVector<OpFoldResult> low(perm.size()), high(perm.size());
  for (auto [j, p] : llvm::enumerate(perm)) {
    low[p] = pad.getMixedLowPad()[j];
    high[p] = pad.getMixedHighPad()[j];
  }
  Location loc = pad.getLoc();
  rewriter.setInsertionPoint(pad);
  auto padded =
      tensor::PadOp::create(rewriter, loc, Type(), t.getInput(), low, high,
                            pad.getConstantPaddingValue(), pad.getNofold());
  SmallVector<OpFoldResult> paddedSizes =
      tensor::getMixedSizes(rewriter, loc, padded.getResult());
  SmallVector<OpFoldResult> sizes;
  for (int64_t p : perm)
    sizes.push_back(paddedSizes[p]);
  Value init = tensor::EmptyOp::create(rewriter, loc, sizes,
                                       pad.getResultType().getElementType());
  Value moved =
      linalg::TransposeOp::create(rewriter, loc, padded.getResult(), init, perm)
          .getResult()[0];
  rewriter.replaceOp(pad, moved);
  rewriter.eraseOp(t);
  return success();
}

/// A contraction's broadcast operand (the one not indexed by the output's
/// vector dimension: a convolution's image, a matmul's left side) that is a
/// layout transpose read by nothing else is read in its original layout,
/// the transpose folded into the operand's indexing map. Per reduction
/// step the register block broadcasts `rows` scalars of it, which need no
/// particular layout (an NCHW image's 8 pixels of a channel are even
/// contiguous), so the transpose's whole pass over the operand is saved.
/// (Not for the vector operand: its rows would become gathers.)
void foldTransposedBroadcastOperands(RewriterBase &rewriter,
                                     linalg::GenericOp op) {
  if (!isContraction(op) || op.getNumDpsInputs() != 2 ||
      op->getNumResults() != 1)
    return;
  std::optional<unsigned> vec = outputVectorDim(op);
  if (!vec)
    return;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  bool changed = false;
  SmallVector<Value> inputs(op.getDpsInputs());
  for (auto [i, in] : llvm::enumerate(inputs)) {
    auto t = in.getDefiningOp<linalg::TransposeOp>();
    if (!t || !t->hasOneUse() || maps[i].isFunctionOfDim(*vec))
      continue;
    // Result dim j of the transpose is input dim perm[j]: input dim d is
    // indexed by what indexed result dim j with perm[j] == d.
    ArrayRef<int64_t> perm = t.getPermutation();
    SmallVector<AffineExpr> exprs(perm.size());
    for (auto [j, p] : llvm::enumerate(perm))
      exprs[p] = maps[i].getResult(j);
    maps[i] = AffineMap::get(maps[i].getNumDims(), maps[i].getNumSymbols(),
                             exprs, op.getContext());
    inputs[i] = t.getInput();
    changed = true;
  }
  if (!changed)
    return;
  rewriter.modifyOpInPlace(op, [&] {
    for (auto [i, v] : llvm::enumerate(inputs))
      op.getDpsInputOperand(i)->set(v);
    op.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
  });
}

/// A whole-tensor `tensor.pad` (a convolution's padded image, attention's
/// padded blocks) as a fill of the padded shape and a write of the source
/// into its interior. Bufferized as it comes, a pad is a memset and a copy
/// on one thread (for a 112x112x32 depthwise convolution, longer than the
/// convolution on two threads); as linalg ops both become roots of their
/// own, tiled, vectorized and run on the thread pool.
///
/// The padded image is a `bufferization.alloc_tensor`, not a
/// `tensor.empty`: CSE would merge the equal fills of equal-sized images
/// (every padded activation of a ResNet stage) into one, which
/// bufferization then copies whole for every layer.
///
/// The write into the interior is, in order of preference:
/// - the source's producer itself, when it is elementwise and does not
///   read its destination (the ReLU that ends a residual block): it
///   computes straight into the interior, and its other readers (the next
///   residual add) read it there;
/// - a layout transpose read only by the pad (an NCHW image going into an
///   NHWC convolution), which then writes into the interior;
/// - a `linalg.copy`.
LogicalResult padAsFillAndCopy(RewriterBase &rewriter, tensor::PadOp pad) {
  Value padValue = pad.getConstantPaddingValue();
  RankedTensorType type = pad.getResultType();
  if (!padValue || !type.hasStaticShape())
    return failure();
  Location loc = pad.getLoc();
  Value source = pad.getSource();
  auto producer = source.getDefiningOp<linalg::GenericOp>();
  bool writeInPlace = producer && pad.getSourceType().hasStaticShape() &&
                      writesOnlyItsResult(producer) &&
                      producer->getBlock() == pad->getBlock();
  // The pad value must exist where the padded image is made.
  if (writeInPlace) {
    Operation *def = padValue.getDefiningOp();
    if (def && def->getBlock() == producer->getBlock() &&
        producer->isBeforeInBlock(def))
      writeInPlace = false;
  }
  rewriter.setInsertionPoint(writeInPlace ? producer.getOperation()
                                          : pad.getOperation());
  Value image = bufferization::AllocTensorOp::create(
      rewriter, loc, type, ValueRange{}, /*copy=*/Value(),
      /*size_hint=*/Value(), /*memory_space=*/Attribute());
  SmallVector<OpFoldResult> offsets = pad.getMixedLowPad();
  auto transpose = source.getDefiningOp<linalg::TransposeOp>();
  bool transposeInto = !writeInPlace && transpose && transpose->hasOneUse();
  // (The sizes of a transpose's result, read off its input: a `tensor.dim`
  // of the result would keep the transpose alive.)
  SmallVector<OpFoldResult> sizes;
  if (transposeInto) {
    SmallVector<OpFoldResult> inSizes =
        tensor::getMixedSizes(rewriter, loc, transpose.getInput());
    for (int64_t p : transpose.getPermutation())
      sizes.push_back(inSizes[p]);
  } else {
    sizes = tensor::getMixedSizes(rewriter, loc, source);
  }
  Value filled = fillBorder(rewriter, loc, image, padValue, offsets, sizes);
  SmallVector<OpFoldResult> strides(type.getRank(), rewriter.getIndexAttr(1));
  Value interior = tensor::ExtractSliceOp::create(rewriter, loc, filled,
                                                  offsets, sizes, strides);
  Value copied;
  if (writeInPlace) {
    rewriter.modifyOpInPlace(
        producer, [&] { producer.getDpsInitOperand(0)->set(interior); });
    copied = source;
    rewriter.setInsertionPoint(pad);
  } else if (transposeInto) {
    copied = linalg::TransposeOp::create(rewriter, loc, transpose.getInput(),
                                         interior, transpose.getPermutation())
                 .getResult()[0];
  } else {
    copied =
        linalg::CopyOp::create(rewriter, loc, source, interior).getResult(0);
  }
  rewriter.replaceOpWithNewOp<tensor::InsertSliceOp>(pad, copied, filled,
                                                     offsets, sizes, strides);
  if (!writeInPlace && transpose && transpose->use_empty())
    rewriter.eraseOp(transpose);
  return success();
}

/// After a tiled root computed its value `v` straight into the interior of
/// a padded image (`padAsFillAndCopy`: `image' = insert_slice v into
/// image`), tiles that read `v` after that point read `image'` instead.
/// Both hold the same values, but bufferization sees a read of `v` after
/// the insertion as a read after a write to its buffer (the insertion
/// writes `v` onto itself), and would then compute `v` into a copy that is
/// copied into the image: two serial copies of the activation per layer
/// (ResNet's residual adds read a block's output after the next block's
/// padded image is made). Only the tiles' slices are redirected: a slice
/// of the whole interior would fold straight back to `v`.
void readInteriorsFromImages(RewriterBase &rewriter, func::FuncOp func) {
  for (auto insert :
       llvm::to_vector(func.getBody().getOps<tensor::InsertSliceOp>())) {
    Value v = insert.getSource();
    if (!insert.hasUnitStride() || !v.getDefiningOp<scf::ForallOp>() ||
        insert.getSourceType().getRank() != insert.getDestType().getRank())
      continue;
    Block *block = insert->getBlock();
    for (OpOperand &use : llvm::make_early_inc_range(v.getUses())) {
      auto slice = dyn_cast<tensor::ExtractSliceOp>(use.getOwner());
      if (!slice || !slice.hasUnitStride())
        continue;
      Operation *user = block->findAncestorOpInBlock(*slice);
      if (!user || !insert->isBeforeInBlock(user))
        continue;
      rewriter.setInsertionPoint(slice);
      AffineExpr d0, d1;
      bindDims(rewriter.getContext(), d0, d1);
      SmallVector<OpFoldResult> offsets;
      for (auto [a, b] :
           llvm::zip(insert.getMixedOffsets(), slice.getMixedOffsets()))
        offsets.push_back(affine::makeComposedFoldedAffineApply(
            rewriter, slice.getLoc(), d0 + d1, {a, b}));
      rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
          slice, slice.getType(), insert.getResult(), offsets,
          slice.getMixedSizes(), slice.getMixedStrides());
    }
  }
}

/// `op` tiled and fused with `options`; its uses take the tiled results.
FailureOr<scf::SCFTileAndFuseResult>
tileAndFuse(RewriterBase &rewriter, linalg::LinalgOp op,
            const scf::SCFTileAndFuseOptions &options) {
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTileAndFuseResult> result =
      scf::tileConsumerAndFuseProducersUsingSCF(
          rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(result))
    return failure();
  for (OpResult r : op->getResults())
    if (Value repl = result->replacements.lookup(r))
      rewriter.replaceAllUsesWith(r, repl);
  return result;
}

/// The value of the index or i1 `v` when the ivs of its loops take the
/// values of `env`: constants, affine.apply / min / max and integer
/// compares and logic; nothing else.
std::optional<int64_t> evaluate(Value v, const DenseMap<Value, int64_t> &env,
                                int depth = 0) {
  if (auto it = env.find(v); it != env.end())
    return it->second;
  if (std::optional<int64_t> c = getConstantIntValue(v))
    return c;
  Operation *op = v.getDefiningOp();
  if (!op || depth > 32)
    return std::nullopt;
  SmallVector<int64_t> args;
  for (Value operand : op->getOperands()) {
    std::optional<int64_t> a = evaluate(operand, env, depth + 1);
    if (!a)
      return std::nullopt;
    args.push_back(*a);
  }
  auto applyMap = [&](AffineMap map) -> std::optional<SmallVector<int64_t>> {
    SmallVector<Attribute> in;
    for (int64_t a : args)
      in.push_back(IntegerAttr::get(IndexType::get(op->getContext()), a));
    SmallVector<Attribute> out;
    if (failed(map.constantFold(in, out)))
      return std::nullopt;
    SmallVector<int64_t> r;
    for (Attribute a : out)
      r.push_back(cast<IntegerAttr>(a).getInt());
    return r;
  };
  std::optional<SmallVector<int64_t>> r;
  if (auto a = dyn_cast<affine::AffineApplyOp>(op))
    r = applyMap(a.getAffineMap());
  else if (auto a = dyn_cast<affine::AffineMinOp>(op))
    r = applyMap(a.getAffineMap());
  else if (auto a = dyn_cast<affine::AffineMaxOp>(op))
    r = applyMap(a.getAffineMap());
  if (r && !r->empty()) {
    if (isa<affine::AffineMinOp>(op))
      return *llvm::min_element(*r);
    if (isa<affine::AffineMaxOp>(op))
      return *llvm::max_element(*r);
    return r->front();
  }
  if (auto cmp = dyn_cast<arith::CmpIOp>(op))
    return arith::applyCmpPredicate(cmp.getPredicate(),
                                    APInt(64, args[0], /*isSigned=*/true),
                                    APInt(64, args[1], /*isSigned=*/true))
               ? 1
               : 0;
  if (isa<arith::OrIOp>(op))
    return args[0] | args[1];
  if (isa<arith::AndIOp>(op))
    return args[0] & args[1];
  return std::nullopt;
}

/// Whether the condition of `guard` (inside `loop`, of static bounds) is
/// false in every iteration of the loop: evaluated for every combination
/// of the induction variables that it depends on (at most 256; a row
/// band's guard depends on the band's only, not on the batch or channels).
bool guardNeverTaken(scf::ForallOp loop, scf::IfOp guard) {
  std::optional<SmallVector<int64_t>> lbs =
      getConstantIntValues(loop.getMixedLowerBound());
  std::optional<SmallVector<int64_t>> ubs =
      getConstantIntValues(loop.getMixedUpperBound());
  std::optional<SmallVector<int64_t>> steps =
      getConstantIntValues(loop.getMixedStep());
  if (!lbs || !ubs || !steps)
    return false;
  // The loop's induction variables that the condition reads.
  llvm::SmallDenseSet<Value> used;
  SmallVector<Value> work = {guard.getCondition()};
  llvm::SmallPtrSet<Operation *, 16> seen;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      if (arg.getOwner() == loop.getBody())
        used.insert(arg);
    } else if (Operation *def = v.getDefiningOp();
               def && loop->isProperAncestor(def) && seen.insert(def).second) {
      llvm::append_range(work, def->getOperands());
    }
  }
  SmallVector<unsigned> dims;
  int64_t count = 1;
  for (auto [d, arg] : llvm::enumerate(loop.getInductionVars())) {
    if (!used.contains(arg))
      continue;
    int64_t lb = (*lbs)[d], ub = (*ubs)[d], step = (*steps)[d];
    count *= step > 0 && ub > lb ? llvm::divideCeil(ub - lb, step) : 0;
    dims.push_back(d);
  }
  if (count == 0 || count > 256)
    return false;
  DenseMap<Value, int64_t> env;
  SmallVector<int64_t> iv(*lbs);
  for (int64_t n = 0; n < count; ++n) {
    for (unsigned d : dims)
      env[loop.getInductionVars()[d]] = iv[d];
    std::optional<int64_t> taken = evaluate(guard.getCondition(), env);
    if (!taken || *taken != 0)
      return false;
    // Next combination, the innermost loop fastest.
    for (int64_t k = dims.size() - 1; k >= 0; --k) {
      unsigned d = dims[k];
      iv[d] += (*steps)[d];
      if (iv[d] < (*ubs)[d])
        break;
      iv[d] = (*lbs)[d];
    }
  }
  return true;
}

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

bool windowOnlyReductions(linalg::LinalgOp op);

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

/// A plain reduction to a single value (every parallel extent 1: a whole
/// tensor summed, a global pool of one channel) of at least 2^16 elements
/// is split along its outermost reduction loop into kReductionChunks
/// partial reductions, an `scf.forall` that the thread pool runs, and a
/// merge of the partial results. The chunks are fixed, not the thread
/// count, so the result does not depend on how many threads run them.
constexpr int64_t kReductionChunks = 16;
void splitLongReduction(RewriterBase &rewriter, linalg::LinalgOp op) {
  if (isContraction(op) || op.getNumReductionLoops() == 0 ||
      op->getNumResults() != 1 || op.hasDynamicShape() ||
      !op.hasPureTensorSemantics())
    return;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t reduced = 1;
  std::optional<unsigned> outer;
  for (auto [d, it] : llvm::enumerate(op.getIteratorTypesArray())) {
    if (it == utils::IteratorType::parallel) {
      if (ranges[d] != 1)
        return;
      continue;
    }
    reduced *= ranges[d];
    if (!outer)
      outer = d;
  }
  if (!outer || reduced < (int64_t(1) << 16) ||
      ranges[*outer] % kReductionChunks != 0)
    return;
  SmallVector<int64_t> tiles(ranges.size(), 0);
  tiles[*outer] = ranges[*outer] / kReductionChunks;
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(getAsIndexOpFoldResult(op->getContext(), tiles));
  tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  tiling.setReductionTilingStrategy(
      ReductionTilingStrategy::PartialReductionOuterParallel);
  tiling.setReductionDims({*outer});
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> r = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), tiling);
  if (succeeded(r))
    rewriter.replaceOp(op, r->replacements);
}

/// Tiles `op` with `parallelTiles` on its parallel loops (0: untiled) and
/// steps each reduction loop one iteration at a time.
///
/// The tap loops of a window-only contraction (a depthwise convolution's
/// kh and kw) are marked to be unrolled once the accumulator is in
/// registers (nn-hoist-vector-transfers), innermost first while the body
/// stays small: the rows of the register block then load each image row
/// once for all the taps that read it (a 3x3 over 8 rows: 30 loads for 72
/// FMAs, where stepping kh reloads each row three times: 72).
void tileStepReductions(RewriterBase &rewriter, linalg::LinalgOp op,
                        SmallVector<int64_t> parallelTiles) {
  for (auto [d, it] : llvm::enumerate(op.getIteratorTypesArray()))
    if (it == utils::IteratorType::reduction)
      parallelTiles[d] = 1;
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(getAsIndexOpFoldResult(op->getContext(), parallelTiles));
  if (std::optional<SmallVector<int64_t>> order = reductionOrder(op))
    tiling.setInterchange(*order);
  rewriter.setInsertionPoint(op);
  bool window = windowOnlyReductions(op);
  // The elements of the register block that each step updates.
  int64_t block = 1;
  for (auto [size, it] :
       llvm::zip_equal(op.getStaticLoopRanges(), op.getIteratorTypesArray()))
    if (it == utils::IteratorType::parallel)
      block *= ShapedType::isDynamic(size) ? kMaxUnrolledElements : size;
  FailureOr<scf::SCFTilingResult> r = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), tiling);
  if (failed(r))
    return;
  rewriter.replaceOp(op, r->replacements);
  if (!window)
    return;
  // Innermost first, while the unrolled body stays small (3x3 taps over
  // an 8 x 16 block: both loops; 7x7 over 8 x 32: kw only, as 49 taps
  // would spill).
  for (LoopLikeOpInterface loop : llvm::reverse(r->loops)) {
    std::optional<APInt> trips = loop.getStaticTripCount();
    if (!trips)
      return;
    block *= trips->getSExtValue();
    if (block > kMaxUnrolledElements)
      return;
    loop->setAttr(kUnrollAttr, rewriter.getUnitAttr());
  }
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
      acc::detail::populateExpF32Approximation(approx, /*benefit=*/2);
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

/// transpose(broadcast(x : vector<N>) : vector<MxN>, [1, 0]) is a row-wise
/// splat: broadcast(shape_cast(x) : vector<Nx1>) : vector<NxM>. (A column
/// of a register block broadcast along the row; lowered as a transpose it
/// would be a long chain of shuffles.)
struct TransposedBroadcastToSplat
    : public OpRewritePattern<vector::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto bcast = op.getVector().getDefiningOp<vector::BroadcastOp>();
    auto srcType =
        bcast ? dyn_cast<VectorType>(bcast.getSourceType()) : VectorType();
    VectorType resType = op.getResultVectorType();
    if (!srcType || srcType.getRank() != 1 || resType.getRank() != 2 ||
        op.getPermutation() != ArrayRef<int64_t>{1, 0} ||
        resType.getDimSize(0) != srcType.getDimSize(0))
      return failure();
    auto column =
        VectorType::get({srcType.getDimSize(0), 1}, srcType.getElementType());
    Value col = vector::ShapeCastOp::create(rewriter, op.getLoc(), column,
                                            bcast.getSource());
    rewriter.replaceOpWithNewOp<vector::BroadcastOp>(op, resType, col);
    return success();
  }
};

/// A reduction of the rows of a 2-D vector (a column reduction) as a tree
/// of element-wise ops over its rows, then the accumulator: log2(rows)
/// dependent ops instead of a chain of `rows` (a key-major attention
/// block's row max and sum, 32 rows). The tree reassociates a float sum,
/// like the lane reductions below, in an order fixed at compile time.
struct ColumnReductionTree
    : public OpRewritePattern<vector::MultiDimReductionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::MultiDimReductionOp op,
                                PatternRewriter &rewriter) const override {
    VectorType src = op.getSourceVectorType();
    if (src.getRank() != 2 || !op.isReducedDim(0) || op.isReducedDim(1) ||
        src.getDimSize(0) < 2)
      return failure();
    Location loc = op.getLoc();
    SmallVector<Value> rows;
    for (int64_t r = 0; r < src.getDimSize(0); ++r)
      rows.push_back(
          vector::ExtractOp::create(rewriter, loc, op.getSource(), r));
    while (rows.size() > 1) {
      SmallVector<Value> next;
      for (size_t r = 0; r + 1 < rows.size(); r += 2)
        next.push_back(vector::makeArithReduction(rewriter, loc, op.getKind(),
                                                  rows[r], rows[r + 1]));
      if (rows.size() % 2)
        next.push_back(rows.back());
      rows = std::move(next);
    }
    rewriter.replaceOp(op,
                       vector::makeArithReduction(rewriter, loc, op.getKind(),
                                                  rows[0], op.getAcc()));
    return success();
  }
};

/// The allocation (or function argument) a memref is a view of.
Value baseBuffer(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

/// Hoists one read/modify/write of an accumulator tile out of `loop`: a
/// transfer_read and a later transfer_write of the same view at the same
/// loop-invariant indices, when nothing else in the loop touches the
/// buffer it views. Unlike upstream's hoisting, the view may be a subview
/// (a register block written straight into its output); distinct buffers,
/// including the entry's arguments, are taken not to alias (the ABI
/// requires outputs not to overlap inputs).
bool hoistAccumulator(RewriterBase &rewriter, scf::ForOp loop) {
  Block *body = loop.getBody();
  for (auto read : body->getOps<vector::TransferReadOp>()) {
    Value src = read.getBase();
    if (!isa<MemRefType>(src.getType()) || read.getMask() ||
        !llvm::all_of(read->getOperands(),
                      [&](Value v) { return loop.isDefinedOutsideOfLoop(v); }))
      continue;
    vector::TransferWriteOp write;
    for (Operation *op = read->getNextNode(); op; op = op->getNextNode())
      if (auto w = dyn_cast<vector::TransferWriteOp>(op))
        if (w.getBase() == src && w.getIndices() == read.getIndices() &&
            w.getVectorType() == read.getVectorType() && !w.getMask() &&
            w.getPermutationMap() == read.getPermutationMap())
          write = w;
    if (!write)
      continue;
    Value base = baseBuffer(src);
    bool clean = true;
    loop.walk([&](Operation *op) {
      if (op == read.getOperation() || op == write.getOperation() || !clean)
        return;
      auto effects = dyn_cast<MemoryEffectOpInterface>(op);
      if (!effects) {
        if (!op->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
          clean = false;
        return;
      }
      SmallVector<MemoryEffects::EffectInstance> list;
      effects.getEffects(list);
      for (auto &e : list) {
        Value v = e.getValue();
        if (!v || baseBuffer(v) == base)
          clean = false;
      }
    });
    if (!clean)
      continue;
    rewriter.moveOpBefore(read, loop);
    rewriter.moveOpAfter(write, loop);
    auto newLoop = cast<scf::ForOp>(*loop.replaceWithAdditionalYields(
        rewriter, read.getResult(), /*replaceInitOperandUsesInLoop=*/true,
        [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
          return SmallVector<Value>{write.getVector()};
        }));
    rewriter.modifyOpInPlace(write, [&] {
      write.getValueToStoreMutable().assign(newLoop.getResults().back());
    });
    return true;
  }
  return false;
}

struct NNHoistVectorTransfersPass
    : public acc::impl::NNHoistVectorTransfersBase<NNHoistVectorTransfersPass> {
  void runOnOperation() override {
    linalg::hoistRedundantVectorTransfers(getOperation());
    IRRewriter rewriter(&getContext());
    for (bool changed = true; changed;) {
      changed = false;
      SmallVector<scf::ForOp> loops;
      getOperation().walk([&](scf::ForOp l) { loops.push_back(l); });
      for (scf::ForOp l : loops)
        if (hoistAccumulator(rewriter, l)) {
          changed = true;
          break; // the loop was replaced: collect again
        }
    }
    // Unroll the marked tap loops (innermost first), now that their
    // accumulators are loop-carried values: LLVM then loads each image
    // row once for every tap that reads it.
    SmallVector<scf::ForOp> marked;
    getOperation().walk([&](scf::ForOp l) {
      if (l->hasAttr(kUnrollAttr))
        marked.push_back(l);
    });
    for (scf::ForOp l : marked)
      if (failed(loopUnrollFull(l)))
        l->removeAttr(kUnrollAttr);
    // n-D reductions and contractions to the 1-D forms that the LLVM
    // conversion understands.
    // Transfers with permutation maps first become minor-identity reads
    // followed by broadcasts/transposes, which the splat rewrite sees.
    {
      RewritePatternSet perm(&getContext());
      vector::populateVectorTransferPermutationMapLoweringPatterns(perm);
      perm.add<TransposedBroadcastToSplat>(&getContext(), /*benefit=*/2);
      if (failed(applyPatternsGreedily(getOperation(), std::move(perm))))
        return signalPassFailure();
    }
    // Reductions over outer dimensions only (column reductions) combine
    // whole vectors element-wise; the inner-reduction lowering below would
    // transpose them and reduce across lanes.
    {
      SmallVector<Operation *> outer;
      getOperation().walk([&](vector::MultiDimReductionOp r) {
        if (!r.isReducedDim(r.getSourceVectorType().getRank() - 1))
          outer.push_back(r);
      });
      RewritePatternSet columns(&getContext());
      columns.add<ColumnReductionTree>(&getContext(), /*benefit=*/2);
      vector::populateVectorMultiReductionLoweringPatterns(
          columns, vector::VectorMultiReductionLowering::InnerParallel);
      GreedyRewriteConfig config;
      config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
      if (!outer.empty() &&
          failed(applyOpPatternsGreedily(outer, std::move(columns), config)))
        return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    patterns.add<TransposedBroadcastToSplat>(&getContext(), /*benefit=*/2);
    vector::populateVectorMultiReductionLoweringPatterns(
        patterns, vector::VectorMultiReductionLowering::InnerReduction);
    vector::populateVectorContractLoweringPatterns(
        patterns, vector::VectorContractLowering::OuterProduct);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    vector::populateVectorBroadcastLoweringPatterns(patterns);
    vector::populateVectorShapeCastLoweringPatterns(patterns);
    vector::populateVectorTransposeLoweringPatterns(
        patterns, vector::VectorTransposeLowering::Shuffle1D);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // A float sum across the lanes of a vector (a row sum of a softmax
    // block) may reassociate: LLVM then adds the vectors and halves them in
    // a tree (a few shuffles and adds) instead of 64 dependent scalar adds
    // per row (17% of a 1024-long attention). The order is fixed at compile
    // time, so results stay independent of the thread count.
    // A maxnum across the lanes (an attention block's row max) likewise:
    // without `nnan`, LLVM reduces it one lane at a time with a NaN check
    // per lane (13% of a sliding-window attention's instructions). maxnum
    // ignores NaN operands anyway, and a NaN score still reaches the output
    // through its exp.
    getOperation().walk([](vector::ReductionOp op) {
      if (!isa<FloatType>(op.getType()))
        return;
      vector::CombiningKind kind = op.getKind();
      if (kind == vector::CombiningKind::ADD)
        op.setFastmath(op.getFastmath() | arith::FastMathFlags::reassoc);
      else if (kind == vector::CombiningKind::MAXNUMF ||
               kind == vector::CombiningKind::MINNUMF)
        op.setFastmath(op.getFastmath() | arith::FastMathFlags::nnan);
    });
  }
};
} // namespace
