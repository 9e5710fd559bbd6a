//===- TileAndFuseUtils.cpp - the shared tile-and-fuse core ---------------===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#include "acc/Codegen/Common/Transforms.h"

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

namespace acc::codegen {

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

} // namespace acc::codegen
