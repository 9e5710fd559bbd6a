//===- Pooling.cpp - max, average and global pooling ----------------------===//
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

/// An NCHW pooling op as its NHWC twin between layout transposes, like an
/// NCHW convolution: the transposes then cancel against the convolutions'
/// (`nn-sink-transposes`), so that a ResNet's max pool and residual adds
/// stay in NHWC, and the pooling's channels are its vector lanes.
template <typename PoolOp>
LogicalResult poolAsNHWC(PoolOp op, PatternRewriter &rewriter) {
  Location loc = op.getLoc();
  Value x = transposed(rewriter, loc, op.getInput(), {0, 2, 3, 1});
  auto rt = cast<RankedTensorType>(op.getType());
  auto nhwcType = RankedTensorType::get(
      {rt.getDimSize(0), rt.getDimSize(2), rt.getDimSize(3), rt.getDimSize(1)},
      rt.getElementType());
  auto nhwc = cast<PoolOp>(rewriter.clone(*op.getOperation()));
  rewriter.modifyOpInPlace(nhwc, [&] {
    nhwc.getInputMutable().assign(x);
    nhwc.setLayout(Layout::NHWC);
    nhwc.getResult().setType(nhwcType);
  });
  replaceCast(rewriter, op, transposed(rewriter, loc, nhwc, {0, 3, 1, 2}));
  return success();
}

template <typename PoolOp, bool isMax>
struct PoolLowering : public NHWCLowering<PoolOp> {
  using NHWCLowering<PoolOp>::NHWCLowering;
  LogicalResult matchAndRewrite(PoolOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    bool nchw = op.getLayout() == Layout::NCHW;
    if (nchw && this->nchwAsNHWC)
      return poolAsNHWC(op, rewriter);
    auto it = cast<RankedTensorType>(op.getInput().getType());
    Type elt = it.getElementType();
    ArrayRef<int64_t> k = op.getKernelSize(), s = op.getStrides();
    SmallVector<int64_t> pad(op.getPadding());
    SmallVector<OpFoldResult> is = sizesOf(rewriter, loc, op.getInput());
    unsigned hd = nchw ? 2 : 1, wd = nchw ? 3 : 2, cd = nchw ? 1 : 3;
    OpFoldResult oh = windowOut(rewriter, loc, is[hd], k[0], s[0], 1, pad[0],
                                pad[2], op.getCeilMode());
    OpFoldResult ow = windowOut(rewriter, loc, is[wd], k[1], s[1], 1, pad[1],
                                pad[3], op.getCeilMode());
    SmallVector<OpFoldResult> computed =
        nchw ? SmallVector<OpFoldResult>{is[0], is[cd], oh, ow}
             : SmallVector<OpFoldResult>{is[0], oh, ow, is[cd]};
    SmallVector<OpFoldResult> sizes =
        resultSizes(rewriter, op.getResult(), computed);
    if (op.getCeilMode()) {
      // Extra bottom/right padding so that the last (partial) window reads
      // padding; it never counts (max: -inf; avg: excluded below).
      auto ohc = getConstantIntValue(sizes[hd]),
           owc = getConstantIntValue(sizes[wd]);
      auto ihc = getConstantIntValue(is[hd]), iwc = getConstantIntValue(is[wd]);
      if (!ohc || !owc || !ihc || !iwc)
        return rewriter.notifyMatchFailure(op, "ceil_mode with dynamic sizes");
      pad[2] =
          std::max<int64_t>(pad[2], (*ohc - 1) * s[0] + k[0] - *ihc - pad[0]);
      pad[3] =
          std::max<int64_t>(pad[3], (*owc - 1) * s[1] + k[1] - *iwc - pad[1]);
    }
    double padValue = isMax ? -std::numeric_limits<double>::infinity() : 0.0;
    Value input = padImage(rewriter, loc, op.getInput(), nchw, pad,
                           cstF(rewriter, loc, elt, padValue));
    Value init = emptyTensor(rewriter, loc, sizes, elt);
    init = fill(rewriter, loc, init, cstF(rewriter, loc, elt, padValue));
    MLIRContext *ctx = rewriter.getContext();
    // Loops in the output's memory order, (n, c, oy, ox) or (n, oy, ox, c):
    // the innermost is the contiguous one that vectorizes. (NHWC pooling
    // in the NCHW order vectorized across 8 pixels, strided gathers and
    // transposes: ResNet-18's 3x3/2 max pool took 0.27 ms, ONNX Runtime's
    // 0.11.)
    AffineExpr n = getAffineDimExpr(0, ctx),
               c = getAffineDimExpr(nchw ? 1 : 3, ctx),
               y = getAffineDimExpr(nchw ? 2 : 1, ctx),
               x = getAffineDimExpr(nchw ? 3 : 2, ctx),
               ky = getAffineDimExpr(4, ctx), kx = getAffineDimExpr(5, ctx);
    AffineExpr iy = y * s[0] + ky, ix = x * s[1] + kx;
    // As in linalg's pooling ops, an (unread) window operand names the
    // window loops so that the indexing maps stay invertible.
    Value windowShape = tensor::EmptyOp::create(
        rewriter, loc, ArrayRef<int64_t>{k[0], k[1]}, elt);
    AffineMap wmap = AffineMap::get(6, 0, {ky, kx}, ctx);
    SmallVector<AffineMap> maps =
        nchw ? SmallVector<AffineMap>{AffineMap::get(6, 0, {n, c, iy, ix}, ctx),
                                      wmap,
                                      AffineMap::get(6, 0, {n, c, y, x}, ctx)}
             : SmallVector<AffineMap>{AffineMap::get(6, 0, {n, iy, ix, c}, ctx),
                                      wmap,
                                      AffineMap::get(6, 0, {n, y, x, c}, ctx)};
    SmallVector<IteratorType> its = {kPar, kPar, kPar, kPar, kRed, kRed};
    Value red =
        generic(rewriter, loc, {input, windowShape}, init, maps, its,
                [](OpBuilder &b, Location l, ValueRange a) {
                  // The window max propagates NaN but needs no order
                  // between -0 and +0 (`nsz`), as PyTorch's, which keeps
                  // the first of equal values: x86 then needs no sign
                  // fix-up around each vmaxps.
                  Value v =
                      isMax ? Value(arith::MaximumFOp::create(
                                  b, l, a[0], a[2], arith::FastMathFlags::nsz))
                            : Value(arith::AddFOp::create(b, l, a[0], a[2]));
                  yieldV(b, l, v);
                });
    if constexpr (isMax) {
      replaceCast(rewriter, op, red);
      return success();
    } else {
      // Divide by the window size: the full window, or (ONNX default) only
      // the positions inside the input. PyTorch's formula, per axis:
      // start = o*s - padLo; end = min(start + k, in + padHi);
      // full = end - start; then clip to [0, in).
      bool includePad = op.getCountIncludePad();
      ArrayRef<int64_t> origPad = op.getPadding();
      Value ih = toValue(rewriter, loc, is[hd]),
            iw = toValue(rewriter, loc, is[wd]);
      SmallVector<AffineMap> idm = {rewriter.getMultiDimIdentityMap(4),
                                    rewriter.getMultiDimIdentityMap(4)};
      Value out = emptyTensor(rewriter, loc, sizes, elt);
      Value res = generic(
          rewriter, loc, {red}, out, idm, {kPar, kPar, kPar, kPar},
          [&](OpBuilder &b, Location l, ValueRange a) {
            auto axis = [&](unsigned dim, int64_t stride, int64_t kk,
                            int64_t plo, int64_t phi, Value in) {
              Value o = linalg::IndexOp::create(b, l, dim);
              Value start = arith::SubIOp::create(
                  b, l, arith::MulIOp::create(b, l, o, cstIdx(b, l, stride)),
                  cstIdx(b, l, plo));
              Value end = arith::MinSIOp::create(
                  b, l, arith::AddIOp::create(b, l, start, cstIdx(b, l, kk)),
                  arith::AddIOp::create(b, l, in, cstIdx(b, l, phi)));
              if (includePad)
                return Value(arith::SubIOp::create(b, l, end, start));
              Value s0 = arith::MaxSIOp::create(b, l, start, cstIdx(b, l, 0));
              Value e0 = arith::MinSIOp::create(b, l, end, in);
              return Value(arith::SubIOp::create(b, l, e0, s0));
            };
            Value ch = axis(hd, s[0], k[0], origPad[0], origPad[2], ih);
            Value cw = axis(wd, s[1], k[1], origPad[1], origPad[3], iw);
            Value cnt = arith::MulIOp::create(b, l, ch, cw);
            Value cntI = arith::IndexCastOp::create(b, l, b.getI64Type(), cnt);
            Value cntF = arith::SIToFPOp::create(b, l, a[0].getType(), cntI);
            yieldV(b, l, arith::DivFOp::create(b, l, a[0], cntF));
          });
      replaceCast(rewriter, op, res);
      return success();
    }
  }
};

struct GlobalAvgPoolLowering : public NHWCLowering<GlobalAvgPool2DOp> {
  using NHWCLowering::NHWCLowering;
  LogicalResult matchAndRewrite(GlobalAvgPool2DOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    bool nchw = op.getLayout() == Layout::NCHW;
    if (nchw && nchwAsNHWC)
      return poolAsNHWC(op, rewriter);
    auto it = cast<RankedTensorType>(op.getInput().getType());
    Type elt = it.getElementType();
    SmallVector<OpFoldResult> is = sizesOf(rewriter, loc, op.getInput());
    unsigned hd = nchw ? 2 : 1, wd = nchw ? 3 : 2, cd = nchw ? 1 : 3;
    // Sum into [N, C], then divide and reshape to keep the unit dims.
    SmallVector<OpFoldResult> sums = {is[0], is[cd]};
    Value init = fill(rewriter, loc, emptyTensor(rewriter, loc, sums, elt),
                      cstF(rewriter, loc, elt, 0.0));
    MLIRContext *ctx = rewriter.getContext();
    AffineExpr n = getAffineDimExpr(0, ctx), c = getAffineDimExpr(1, ctx),
               y = getAffineDimExpr(2, ctx), x = getAffineDimExpr(3, ctx);
    AffineMap inMap = nchw ? AffineMap::get(4, 0, {n, c, y, x}, ctx)
                           : AffineMap::get(4, 0, {n, y, x, c}, ctx);
    Value sum = generic(rewriter, loc, {op.getInput()}, init,
                        {inMap, AffineMap::get(4, 0, {n, c}, ctx)},
                        {kPar, kPar, kRed, kRed},
                        [](OpBuilder &b, Location l, ValueRange a) {
                          yieldV(b, l, arith::AddFOp::create(b, l, a[0], a[1]));
                        });
    Value hw =
        arith::MulIOp::create(rewriter, loc, toValue(rewriter, loc, is[hd]),
                              toValue(rewriter, loc, is[wd]));
    Value hwF = arith::SIToFPOp::create(
        rewriter, loc, elt,
        arith::IndexCastOp::create(rewriter, loc, rewriter.getI64Type(), hw));
    Value out = emptyTensor(rewriter, loc, sums, elt);
    AffineMap id2 = rewriter.getMultiDimIdentityMap(2);
    Value mean = generic(rewriter, loc, {sum}, out, {id2, id2}, {kPar, kPar},
                         [&](OpBuilder &b, Location l, ValueRange a) {
                           yieldV(b, l, arith::DivFOp::create(b, l, a[0], hwF));
                         });
    SmallVector<OpFoldResult> outSizes =
        nchw
            ? SmallVector<OpFoldResult>{is[0], is[cd], rewriter.getIndexAttr(1),
                                        rewriter.getIndexAttr(1)}
            : SmallVector<OpFoldResult>{is[0], rewriter.getIndexAttr(1),
                                        rewriter.getIndexAttr(1), is[cd]};
    SmallVector<ReassociationIndices> re =
        nchw ? SmallVector<ReassociationIndices>{{0}, {1, 2, 3}}
             : SmallVector<ReassociationIndices>{{0, 1, 2}, {3}};
    replaceCast(rewriter, op, expand(rewriter, loc, mean, re, outSizes));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Normalisation and softmax
//===----------------------------------------------------------------------===//

} // namespace

void acc::detail::populatePoolingLoweringPatterns(RewritePatternSet &patterns,
                                                  bool nchwAsNHWC) {
  patterns.add<PoolLowering<MaxPool2DOp, true>,
               PoolLowering<AvgPool2DOp, false>, GlobalAvgPoolLowering>(
      patterns.getContext(), nchwAsNHWC);
}
