//===- Convolution.cpp - nn.conv2d and nn.patch_embed ---------------------===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "acc/Dialect/NN/IR/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace acc::nn;
using utils::IteratorType;
using namespace acc::detail;

namespace {

/// Whether an NCHW depthwise convolution (one filter per channel) computes
/// in NCHW: each channel is then a 2-D stencil over its own image, with the
/// image rows as the vector lanes, and no transpose is needed. That is the
/// better plan when the input arrives in NCHW (a function argument, a
/// pooling) and the rows fill whole vectors (a width that is a multiple of
/// 16: 112x112x32 3x3 went from 0.33 to 0.17 ms; a 56-wide row would leave
/// 14-lane vectors, slower than the transposes). After a dense
/// convolution, which computes in NHWC, the NHWC plan lets the layout
/// transposes between the two cancel (nn-sink-transposes).
static bool depthwiseInPlace(Conv2DOp op) {
  auto it = cast<RankedTensorType>(op.getInput().getType());
  auto ft = cast<RankedTensorType>(op.getFilter().getType());
  auto ot = cast<RankedTensorType>(op.getType());
  int64_t g = op.getGroups();
  if (g == 1 || it.isDynamicDim(1) || it.getDimSize(1) != g ||
      ft.isDynamicDim(0) || ft.getDimSize(0) != g || ot.isDynamicDim(3) ||
      ot.getDimSize(3) % 16 != 0)
    return false;
  // Follow the data back through ops that keep its shape (activations,
  // batch norms, residual adds) to where it was computed.
  Value v = op.getInput();
  while (Operation *def = v.getDefiningOp()) {
    if (isa<Conv2DOp, PatchEmbedOp>(def))
      return false;
    if (def->getNumOperands() == 0 || def->getNumResults() != 1 ||
        def->getOperand(0).getType() != v.getType())
      break;
    v = def->getOperand(0);
  }
  return true;
}

/// An NCHW conv becomes an NHWC one, which this pattern lowers next.
struct Conv2DLowering : public NHWCLowering<Conv2DOp> {
  using NHWCLowering::NHWCLowering;

  LogicalResult matchAndRewrite(Conv2DOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    bool nchw = op.isNCHW();
    if (nchw && nchwAsNHWC && !depthwiseInPlace(op)) {
      // NCHW computes as NHWC: output channels are then the contiguous
      // vector dimension of the register block and of the filter rows. The
      // input and the filter are transposed in, the result back out (a
      // constant filter's transpose folds at compile time).
      Value x = transposed(rewriter, loc, op.getInput(), {0, 2, 3, 1});
      Value w = transposed(rewriter, loc, op.getFilter(), {2, 3, 1, 0});
      auto rt = cast<RankedTensorType>(op.getType());
      auto nhwcType =
          RankedTensorType::get({rt.getDimSize(0), rt.getDimSize(2),
                                 rt.getDimSize(3), rt.getDimSize(1)},
                                rt.getElementType());
      Value conv = Conv2DOp::create(
          rewriter, loc, nhwcType, x, w, op.getBias(), Layout::NHWC,
          op.getStrides(), op.getDilations(), op.getPadding(), op.getGroups());
      replaceCast(rewriter, op, transposed(rewriter, loc, conv, {0, 3, 1, 2}));
      return success();
    }
    auto it = cast<RankedTensorType>(op.getInput().getType());
    Type elt = it.getElementType();
    int64_t g = op.getGroups();
    ArrayRef<int64_t> s = op.getStrides(), d = op.getDilations(),
                      pad = op.getPadding();
    SmallVector<OpFoldResult> is = sizesOf(rewriter, loc, op.getInput()),
                              fs = sizesOf(rewriter, loc, op.getFilter());
    auto [kh, kw] = op.getKernelSize();
    OpFoldResult oh = windowOut(rewriter, loc, is[nchw ? 2 : 1], kh, s[0], d[0],
                                pad[0], pad[2]);
    OpFoldResult ow = windowOut(rewriter, loc, is[nchw ? 3 : 2], kw, s[1], d[1],
                                pad[1], pad[3]);
    OpFoldResult f = fs[nchw ? 0 : 3];
    SmallVector<OpFoldResult> computed =
        nchw ? SmallVector<OpFoldResult>{is[0], f, oh, ow}
             : SmallVector<OpFoldResult>{is[0], oh, ow, f};
    SmallVector<OpFoldResult> sizes =
        resultSizes(rewriter, op.getResult(), computed);
    Value init =
        initWithBias(rewriter, loc, sizes, elt, op.getBias(), nchw ? 1 : 3);
    Value input = padImage(rewriter, loc, op.getInput(), nchw, pad,
                           cstF(rewriter, loc, elt, 0.0));
    // Loops: n, f, oh, ow (parallel, see below for the order), c (per
    // group), kh, kw (reduction).
    // Output channel f belongs to group f / (F/g), reading input channels
    // (f / (F/g)) * (C/g) + c.
    MLIRContext *ctx = rewriter.getContext();
    // Loop order (n, f, oy, ox) for NCHW, (n, oy, ox, f) for NHWC: the
    // output's innermost dimension is the innermost parallel loop, the one
    // that vectorizes.
    AffineExpr n = getAffineDimExpr(0, ctx),
               fo = getAffineDimExpr(nchw ? 1 : 3, ctx),
               y = getAffineDimExpr(nchw ? 2 : 1, ctx),
               x = getAffineDimExpr(nchw ? 3 : 2, ctx),
               c = getAffineDimExpr(4, ctx), ky = getAffineDimExpr(5, ctx),
               kx = getAffineDimExpr(6, ctx);
    auto ft = cast<RankedTensorType>(op.getFilter().getType());
    int64_t fTotal = nchw ? ft.getDimSize(0) : ft.getDimSize(3);
    int64_t cPerG = nchw ? ft.getDimSize(1) : ft.getDimSize(2);
    if (g > 1 &&
        (ShapedType::isDynamic(fTotal) || ShapedType::isDynamic(cPerG)))
      return rewriter.notifyMatchFailure(op,
                                         "grouped conv with dynamic filter");
    AffineExpr inC = g == 1 ? c : (fo.floorDiv(fTotal / g)) * cPerG + c;
    AffineExpr iy = y * s[0] + ky * d[0], ix = x * s[1] + kx * d[1];
    SmallVector<AffineMap> maps;
    if (nchw) {
      maps = {AffineMap::get(7, 0, {n, inC, iy, ix}, ctx),
              AffineMap::get(7, 0, {fo, c, ky, kx}, ctx),
              AffineMap::get(7, 0, {n, fo, y, x}, ctx)};
    } else {
      maps = {AffineMap::get(7, 0, {n, iy, ix, inC}, ctx),
              AffineMap::get(7, 0, {ky, kx, c, fo}, ctx),
              AffineMap::get(7, 0, {n, y, x, fo}, ctx)};
    }
    SmallVector<IteratorType> its = {kPar, kPar, kPar, kPar, kRed, kRed, kRed};
    Value res = generic(rewriter, loc, {input, op.getFilter()}, init, maps, its,
                        mulAddBody);
    replaceCast(rewriter, op, res);
    return success();
  }
};

/// patch_embed = conv2d (kernel = stride = patch) + image_to_tokens.
struct PatchEmbedLowering : public OpRewritePattern<PatchEmbedOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(PatchEmbedOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    bool nchw = op.getLayout() == Layout::NCHW;
    auto it = cast<RankedTensorType>(op.getInput().getType());
    auto ft = cast<RankedTensorType>(op.getFilter().getType());
    auto ot = cast<RankedTensorType>(op.getType());
    int64_t ph = nchw ? ft.getDimSize(2) : ft.getDimSize(0);
    int64_t pw = nchw ? ft.getDimSize(3) : ft.getDimSize(1);
    int64_t e = ot.getDimSize(2);
    auto div = [](int64_t a, int64_t b) {
      return ShapedType::isDynamic(a) ? a : a / b;
    };
    int64_t h = nchw ? it.getDimSize(2) : it.getDimSize(1);
    int64_t w = nchw ? it.getDimSize(3) : it.getDimSize(2);
    SmallVector<int64_t> convShape =
        nchw
            ? SmallVector<int64_t>{it.getDimSize(0), e, div(h, ph), div(w, pw)}
            : SmallVector<int64_t>{it.getDimSize(0), div(h, ph), div(w, pw), e};
    auto convType = RankedTensorType::get(convShape, it.getElementType());
    int64_t strides[2] = {ph, pw};
    Value conv = Conv2DOp::create(rewriter, loc, convType, op.getInput(),
                                  op.getFilter(), op.getBias(), op.getLayout(),
                                  strides, ArrayRef<int64_t>{1, 1},
                                  ArrayRef<int64_t>{0, 0, 0, 0}, 1);
    rewriter.replaceOpWithNewOp<ImageToTokensOp>(op, ot, conv, op.getLayout());
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

} // namespace

void acc::detail::populateConvolutionLoweringPatterns(
    RewritePatternSet &patterns, bool nchwAsNHWC) {
  patterns.add<Conv2DLowering>(patterns.getContext(), nchwAsNHWC);
  patterns.add<PatchEmbedLowering>(patterns.getContext());
}
