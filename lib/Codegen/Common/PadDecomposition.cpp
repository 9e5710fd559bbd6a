//===- PadDecomposition.cpp - padded images as fills and copies -----------===//
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

} // namespace acc::codegen
