//===- PackWeights.cpp - constant weights packed into panels --------------===//
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

} // namespace acc::cpu
