//===- NNToLinalg.cpp - lower nn ops to linalg on tensors -----------------===//
//
// Part of the acc project.
//
// Every nn op becomes upstream ops on tensors. Structured computations are
// linalg.generic ops (tiling, fusion and vectorization work on them);
// reshapes are tensor.expand_shape / collapse_shape and linalg.transpose;
// attention becomes a flash-attention loop nest with an online softmax.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "acc/Conversion/Passes.h"
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
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>
#include <limits>

namespace acc {
#define GEN_PASS_DEF_NNLOWERTOLINALG
#include "acc/Conversion/Passes.h.inc"
} // namespace acc

using namespace mlir;
using namespace acc::nn;
using utils::IteratorType;
using namespace acc::detail;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

Value toValue(OpBuilder &b, Location loc, OpFoldResult ofr) {
  if (auto v = dyn_cast<Value>(ofr))
    return v;
  return cstIdx(b, loc, *getConstantIntValue(ofr));
}

OpFoldResult mulOfr(OpBuilder &b, Location loc, OpFoldResult x,
                    OpFoldResult y) {
  auto cx = getConstantIntValue(x), cy = getConstantIntValue(y);
  if (cx && cy)
    return b.getIndexAttr(*cx * *cy);
  return arith::MulIOp::create(b, loc, toValue(b, loc, x), toValue(b, loc, y))
      .getResult();
}

OpFoldResult divOfr(OpBuilder &b, Location loc, OpFoldResult x, int64_t d) {
  if (auto cx = getConstantIntValue(x))
    return b.getIndexAttr(*cx / d);
  return arith::DivUIOp::create(b, loc, toValue(b, loc, x), cstIdx(b, loc, d))
      .getResult();
}

/// floor((in + padLo + padHi - span) / stride) + 1 for in + pads >= span.
OpFoldResult windowOut(OpBuilder &b, Location loc, OpFoldResult in,
                       int64_t kernel, int64_t stride, int64_t dilation,
                       int64_t padLo, int64_t padHi, bool ceilMode = false) {
  int64_t span = dilation * (kernel - 1) + 1;
  if (auto c = getConstantIntValue(in)) {
    int64_t padded = *c + padLo + padHi;
    int64_t out = (padded - span) / stride + 1;
    if (ceilMode) {
      out = (padded - span + stride - 1) / stride + 1;
      if ((out - 1) * stride >= *c + padLo)
        --out;
    }
    return b.getIndexAttr(out);
  }
  Value v = toValue(b, loc, in);
  Value num =
      arith::AddIOp::create(b, loc, v, cstIdx(b, loc, padLo + padHi - span));
  Value q = arith::DivUIOp::create(b, loc, num, cstIdx(b, loc, stride));
  return arith::AddIOp::create(b, loc, q, cstIdx(b, loc, 1)).getResult();
}

Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                  Type elt) {
  return tensor::EmptyOp::create(b, loc, sizes, elt);
}

Value fill(OpBuilder &b, Location loc, Value tensor, Value v) {
  return linalg::FillOp::create(b, loc, v, tensor).getResult(0);
}

SmallVector<OpFoldResult> sizesOf(OpBuilder &b, Location loc, Value v) {
  return tensor::getMixedSizes(b, loc, v);
}

/// Result sizes of `op`: static dims from its type, dynamic ones from
/// `computed` (which must have an entry for each dim).
SmallVector<OpFoldResult> resultSizes(OpBuilder &b, Value result,
                                      ArrayRef<OpFoldResult> computed) {
  auto type = cast<RankedTensorType>(result.getType());
  SmallVector<OpFoldResult> out;
  for (int64_t i = 0, e = type.getRank(); i < e; ++i)
    out.push_back(type.isDynamicDim(i)
                      ? computed[i]
                      : OpFoldResult(b.getIndexAttr(type.getDimSize(i))));
  return out;
}

/// A projected identity from the last `rank` dims of an `n`-dim space, with
/// size-1 dims of `type` that broadcast against `target` mapped to 0.
AffineMap broadcastMap(MLIRContext *ctx, RankedTensorType type,
                       RankedTensorType target) {
  int64_t n = target.getRank(), r = type.getRank();
  SmallVector<AffineExpr> exprs;
  for (int64_t i = 0; i < r; ++i) {
    int64_t j = i + n - r;
    if (type.getDimSize(i) == 1 && target.getDimSize(j) != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(j, ctx));
  }
  return AffineMap::get(n, 0, exprs, ctx);
}

/// linalg.transpose of `v` by `perm` (result dim i = input dim perm[i]).
Value transpose(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> perm) {
  SmallVector<OpFoldResult> in = sizesOf(b, loc, v), out;
  for (int64_t p : perm)
    out.push_back(in[p]);
  Value init = emptyTensor(b, loc, out, getElementTypeOrSelf(v.getType()));
  return linalg::TransposeOp::create(b, loc, v, init, perm).getResult()[0];
}

Value expand(OpBuilder &b, Location loc, Value v,
             ArrayRef<ReassociationIndices> reassoc,
             ArrayRef<OpFoldResult> outSizes) {
  SmallVector<int64_t> staticShape;
  for (OpFoldResult s : outSizes)
    staticShape.push_back(
        getConstantIntValue(s).value_or(ShapedType::kDynamic));
  auto type =
      RankedTensorType::get(staticShape, getElementTypeOrSelf(v.getType()));
  return tensor::ExpandShapeOp::create(b, loc, type, v, reassoc, outSizes);
}

Value collapse(OpBuilder &b, Location loc, Value v,
               ArrayRef<ReassociationIndices> reassoc) {
  return tensor::CollapseShapeOp::create(b, loc, v, reassoc);
}

/// A pad of the last two (image) dims for NCHW or the middle two for NHWC.
Value padImage(OpBuilder &b, Location loc, Value input, bool nchw,
               ArrayRef<int64_t> pad, Value padValue) {
  if (llvm::all_of(pad, [](int64_t p) { return p == 0; }))
    return input;
  auto type = cast<RankedTensorType>(input.getType());
  unsigned h = nchw ? 2 : 1, w = nchw ? 3 : 2;
  SmallVector<OpFoldResult> low(4, b.getIndexAttr(0)),
      high(4, b.getIndexAttr(0));
  low[h] = b.getIndexAttr(pad[0]);
  low[w] = b.getIndexAttr(pad[1]);
  high[h] = b.getIndexAttr(pad[2]);
  high[w] = b.getIndexAttr(pad[3]);
  SmallVector<int64_t> shape(type.getShape());
  if (!type.isDynamicDim(h))
    shape[h] += pad[0] + pad[2];
  if (!type.isDynamicDim(w))
    shape[w] += pad[1] + pad[3];
  auto padded = RankedTensorType::get(shape, type.getElementType());
  return tensor::PadOp::create(b, loc, padded, input, low, high, padValue);
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

/// x -> f(x) elementwise.
template <typename OpTy> struct UnaryLowering : public OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  using BodyFn = std::function<Value(OpBuilder &, Location, OpTy, Value)>;
  BodyFn fn;
  UnaryLowering(MLIRContext *ctx, BodyFn fn)
      : OpRewritePattern<OpTy>(ctx), fn(std::move(fn)) {}

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value in = op.getInput();
    auto type = cast<RankedTensorType>(in.getType());
    Value init = emptyTensor(rewriter, loc, sizesOf(rewriter, loc, in),
                             type.getElementType());
    AffineMap id = rewriter.getMultiDimIdentityMap(type.getRank());
    SmallVector<IteratorType> its(type.getRank(), kPar);
    Value r = generic(rewriter, loc, {in}, init, {id, id}, its,
                      [&](OpBuilder &b, Location l, ValueRange args) {
                        yieldV(b, l, fn(b, l, op, args[0]));
                      });
    replaceCast(rewriter, op, r);
    return success();
  }
};

Value sigmoidOf(OpBuilder &b, Location l, Value x) {
  Type t = x.getType();
  Value neg = arith::NegFOp::create(b, l, x);
  Value e = math::ExpOp::create(b, l, neg);
  Value den = arith::AddFOp::create(b, l, cstF(b, l, t, 1.0), e);
  return arith::DivFOp::create(b, l, cstF(b, l, t, 1.0), den);
}

Value clamp(OpBuilder &b, Location l, Value x, double lo, double hi) {
  Type t = x.getType();
  Value m = arith::MaximumFOp::create(b, l, x, cstF(b, l, t, lo));
  return arith::MinimumFOp::create(b, l, m, cstF(b, l, t, hi));
}

template <typename OpTy, typename ArithOp>
struct BinaryLowering : public OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto outType = cast<RankedTensorType>(op.getType());
    auto lt = cast<RankedTensorType>(op.getLhs().getType());
    auto rt = cast<RankedTensorType>(op.getRhs().getType());
    // Result sizes: each dim from an operand that is not a broadcast 1.
    SmallVector<OpFoldResult> computed;
    SmallVector<OpFoldResult> ls = sizesOf(rewriter, loc, op.getLhs()),
                              rs = sizesOf(rewriter, loc, op.getRhs());
    int64_t n = outType.getRank();
    for (int64_t j = 0; j < n; ++j) {
      int64_t il = j - (n - lt.getRank()), ir = j - (n - rt.getRank());
      if (il >= 0 && lt.getDimSize(il) != 1)
        computed.push_back(ls[il]);
      else if (ir >= 0)
        computed.push_back(rs[ir]);
      else
        computed.push_back(ls[il]);
    }
    Value init = emptyTensor(rewriter, loc,
                             resultSizes(rewriter, op.getResult(), computed),
                             outType.getElementType());
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<AffineMap> maps = {broadcastMap(ctx, lt, outType),
                                   broadcastMap(ctx, rt, outType),
                                   rewriter.getMultiDimIdentityMap(n)};
    SmallVector<IteratorType> its(n, kPar);
    Value r = generic(rewriter, loc, {op.getLhs(), op.getRhs()}, init, maps,
                      its, [&](OpBuilder &b, Location l, ValueRange a) {
                        Value v = ArithOp::create(b, l, a[0], a[1]);
                        yieldV(b, l, v);
                      });
    replaceCast(rewriter, op, r);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

/// An output initialised with the bias broadcast along `biasDim`, or zeros.
Value initWithBias(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                   Type elt, Value bias, unsigned biasDim) {
  Value init = emptyTensor(b, loc, sizes, elt);
  if (!bias)
    return fill(b, loc, init, cstF(b, loc, elt, 0.0));
  MLIRContext *ctx = b.getContext();
  unsigned n = sizes.size();
  AffineMap bm = AffineMap::get(n, 0, {getAffineDimExpr(biasDim, ctx)}, ctx);
  SmallVector<IteratorType> its(n, kPar);
  return generic(
      b, loc, {bias}, init, {bm, b.getMultiDimIdentityMap(n)}, its,
      [](OpBuilder &bb, Location l, ValueRange a) { yieldV(bb, l, a[0]); });
}

/// linalg.transpose of `v` by `perm` into a fresh tensor.
/// The transpose of a constant, computed now: weights embedded in the
/// model are packed at compile time. Splats and f32 data; null otherwise.
static Value foldConstantTranspose(OpBuilder &b, Location loc, Value v,
                                   ArrayRef<int64_t> perm) {
  DenseElementsAttr data;
  if (!matchPattern(v, m_Constant(&data)))
    return nullptr;
  auto type = cast<RankedTensorType>(v.getType());
  if (!type.hasStaticShape())
    return nullptr;
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type.getDimSize(p));
  auto outType = RankedTensorType::get(shape, type.getElementType());
  if (data.isSplat())
    return arith::ConstantOp::create(b, loc, outType,
                                     data.resizeSplat(outType));
  if (!type.getElementType().isF32())
    return nullptr;
  SmallVector<float> in(data.getValues<float>());
  SmallVector<float> out(in.size());
  int64_t rank = type.getRank();
  SmallVector<int64_t> inStrides(rank, 1), idx(rank, 0);
  for (int64_t d = rank - 2; d >= 0; --d)
    inStrides[d] = inStrides[d + 1] * type.getDimSize(d + 1);
  // Walk the output in order; idx is its multi-index.
  for (size_t o = 0; o < out.size(); ++o) {
    int64_t src = 0;
    for (int64_t d = 0; d < rank; ++d)
      src += idx[d] * inStrides[perm[d]];
    out[o] = in[src];
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++idx[d] < shape[d])
        break;
      idx[d] = 0;
    }
  }
  return arith::ConstantOp::create(
      b, loc, outType, DenseElementsAttr::get(outType, ArrayRef<float>(out)));
}

} // namespace

namespace acc::detail {
Value transposed(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> perm) {
  if (Value folded = foldConstantTranspose(b, loc, v, perm))
    return folded;
  SmallVector<OpFoldResult> in = sizesOf(b, loc, v), out;
  for (int64_t p : perm)
    out.push_back(in[p]);
  Type elt = cast<RankedTensorType>(v.getType()).getElementType();
  Value init = emptyTensor(b, loc, out, elt);
  return linalg::TransposeOp::create(b, loc, v, init, perm).getResult()[0];
}
} // namespace acc::detail

namespace {

struct LinearLowering : public OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto xt = cast<RankedTensorType>(op.getInput().getType());
    int64_t r = xt.getRank();
    SmallVector<OpFoldResult> xs = sizesOf(rewriter, loc, op.getInput());
    SmallVector<OpFoldResult> computed(xs.begin(), xs.end());
    computed.back() = sizesOf(rewriter, loc, op.getWeight())[0];
    SmallVector<OpFoldResult> sizes =
        resultSizes(rewriter, op.getResult(), computed);
    Value init = initWithBias(rewriter, loc, sizes, xt.getElementType(),
                              op.getBias(), r - 1);
    // Loops: the r output dims, then k.
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<AffineExpr> xe, oe;
    for (int64_t i = 0; i < r - 1; ++i) {
      xe.push_back(getAffineDimExpr(i, ctx));
      oe.push_back(getAffineDimExpr(i, ctx));
    }
    AffineExpr n = getAffineDimExpr(r - 1, ctx), k = getAffineDimExpr(r, ctx);
    xe.push_back(k);
    oe.push_back(n);
    // The weight is packed as [K, N] (a transpose, folded for constants):
    // each reduction step of a register block then reads a contiguous row
    // of output features instead of a strided column.
    Value packed = transposed(rewriter, loc, op.getWeight(), {1, 0});
    SmallVector<AffineMap> maps = {AffineMap::get(r + 1, 0, xe, ctx),
                                   AffineMap::get(r + 1, 0, {k, n}, ctx),
                                   AffineMap::get(r + 1, 0, oe, ctx)};
    SmallVector<IteratorType> its(r, kPar);
    its.push_back(kRed);
    Value res = generic(rewriter, loc, {op.getInput(), packed}, init, maps, its,
                        mulAddBody);
    replaceCast(rewriter, op, res);
    return success();
  }
};

struct MatmulLowering : public OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto at = cast<RankedTensorType>(op.getLhs().getType());
    auto bt = cast<RankedTensorType>(op.getRhs().getType());
    auto ot = cast<RankedTensorType>(op.getType());
    int64_t n = ot.getRank(); // batch dims + M + N; loops add K
    SmallVector<OpFoldResult> as = sizesOf(rewriter, loc, op.getLhs()),
                              bs = sizesOf(rewriter, loc, op.getRhs());
    SmallVector<OpFoldResult> computed;
    int64_t batch = n - 2;
    for (int64_t j = 0; j < batch; ++j) {
      int64_t ia = j - (batch - (at.getRank() - 2));
      int64_t ib = j - (batch - (bt.getRank() - 2));
      if (ia >= 0 && at.getDimSize(ia) != 1)
        computed.push_back(as[ia]);
      else if (ib >= 0)
        computed.push_back(bs[ib]);
      else
        computed.push_back(as[ia]);
    }
    computed.push_back(as[at.getRank() - 2]);
    computed.push_back(bs.back());
    Value init = initWithBias(rewriter, loc,
                              resultSizes(rewriter, op.getResult(), computed),
                              ot.getElementType(), Value(), 0);
    MLIRContext *ctx = rewriter.getContext();
    auto operandMap = [&](RankedTensorType t, bool isLhs) {
      SmallVector<AffineExpr> e;
      int64_t tb = t.getRank() - 2;
      for (int64_t i = 0; i < tb; ++i) {
        int64_t j = i + batch - tb;
        if (t.getDimSize(i) == 1 && ot.getDimSize(j) != 1)
          e.push_back(getAffineConstantExpr(0, ctx));
        else
          e.push_back(getAffineDimExpr(j, ctx));
      }
      AffineExpr m = getAffineDimExpr(batch, ctx),
                 nn = getAffineDimExpr(batch + 1, ctx),
                 k = getAffineDimExpr(batch + 2, ctx);
      if (isLhs) {
        e.push_back(m);
        e.push_back(k);
      } else {
        e.push_back(k);
        e.push_back(nn);
      }
      return AffineMap::get(n + 1, 0, e, ctx);
    };
    SmallVector<AffineExpr> oe;
    for (int64_t i = 0; i < n; ++i)
      oe.push_back(getAffineDimExpr(i, ctx));
    SmallVector<AffineMap> maps = {operandMap(at, true), operandMap(bt, false),
                                   AffineMap::get(n + 1, 0, oe, ctx)};
    SmallVector<IteratorType> its(n, kPar);
    its.push_back(kRed);
    Value res = generic(rewriter, loc, {op.getLhs(), op.getRhs()}, init, maps,
                        its, mulAddBody);
    replaceCast(rewriter, op, res);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

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

struct Conv2DLowering : public OpRewritePattern<Conv2DOp> {
  bool nchwAsNHWC;
  Conv2DLowering(MLIRContext *ctx, bool nchwAsNHWC)
      : OpRewritePattern(ctx), nchwAsNHWC(nchwAsNHWC) {
    // An NCHW conv becomes an NHWC one, which this pattern lowers next.
    setHasBoundedRewriteRecursion();
  }

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
struct PoolLowering : public OpRewritePattern<PoolOp> {
  bool nchwAsNHWC;
  PoolLowering(MLIRContext *ctx, bool nchwAsNHWC)
      : OpRewritePattern<PoolOp>(ctx), nchwAsNHWC(nchwAsNHWC) {
    this->setHasBoundedRewriteRecursion();
  }
  LogicalResult matchAndRewrite(PoolOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    bool nchw = op.getLayout() == Layout::NCHW;
    if (nchw && nchwAsNHWC)
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

struct GlobalAvgPoolLowering : public OpRewritePattern<GlobalAvgPool2DOp> {
  bool nchwAsNHWC;
  GlobalAvgPoolLowering(MLIRContext *ctx, bool nchwAsNHWC)
      : OpRewritePattern(ctx), nchwAsNHWC(nchwAsNHWC) {
    setHasBoundedRewriteRecursion();
  }
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

/// Reduces `in` over dims [axis, rank) (or just `axis` when `single`) into a
/// tensor of the kept dims, with `combine(acc, x)` from `initValue`;
/// `pre(x, keptValues...)` transforms x first.
Value reduceTrailing(
    OpBuilder &b, Location loc, Value in, int64_t axis, bool single,
    double initValue, ValueRange keptInputs,
    function_ref<Value(OpBuilder &, Location, Value, ValueRange)> pre,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  auto t = cast<RankedTensorType>(in.getType());
  int64_t r = t.getRank();
  MLIRContext *ctx = b.getContext();
  SmallVector<OpFoldResult> is = sizesOf(b, loc, in), kept;
  SmallVector<AffineExpr> keptExprs;
  SmallVector<IteratorType> its;
  for (int64_t i = 0; i < r; ++i) {
    bool reduced = single ? i == axis : i >= axis;
    its.push_back(reduced ? kRed : kPar);
    if (!reduced) {
      kept.push_back(is[i]);
      keptExprs.push_back(getAffineDimExpr(i, ctx));
    }
  }
  Type elt = t.getElementType();
  Value init = fill(b, loc, emptyTensor(b, loc, kept, elt),
                    cstF(b, loc, elt, initValue));
  AffineMap keptMap = AffineMap::get(r, 0, keptExprs, ctx);
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(r)};
  SmallVector<Value> inputs = {in};
  for (Value k : keptInputs) {
    inputs.push_back(k);
    maps.push_back(keptMap);
  }
  maps.push_back(keptMap);
  return generic(b, loc, inputs, init, maps, its,
                 [&](OpBuilder &bb, Location l, ValueRange a) {
                   Value x = pre(bb, l, a[0], a.drop_front().drop_back());
                   yieldV(bb, l, combine(bb, l, a.back(), x));
                 });
}

struct LayerNormLowering : public OpRewritePattern<LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LayerNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value in = op.getInput();
    auto t = cast<RankedTensorType>(in.getType());
    Type elt = t.getElementType();
    int64_t r = t.getRank(), axis = op.getNormalizedAxis();
    SmallVector<OpFoldResult> is = sizesOf(rewriter, loc, in);
    OpFoldResult count = rewriter.getIndexAttr(1);
    for (int64_t i = axis; i < r; ++i)
      count = mulOfr(rewriter, loc, count, is[i]);
    Value countF = arith::SIToFPOp::create(
        rewriter, loc, elt,
        arith::IndexCastOp::create(rewriter, loc, rewriter.getI64Type(),
                                   toValue(rewriter, loc, count)));
    auto add = [](OpBuilder &b, Location l, Value acc, Value x) -> Value {
      return arith::AddFOp::create(b, l, acc, x);
    };
    auto identity = [](OpBuilder &, Location, Value x, ValueRange) {
      return x;
    };
    Value sum =
        reduceTrailing(rewriter, loc, in, axis, false, 0.0, {}, identity, add);
    // mean = sum / count; var = sum((x - mean)^2) / count.
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<AffineExpr> keptExprs;
    for (int64_t i = 0; i < axis; ++i)
      keptExprs.push_back(getAffineDimExpr(i, ctx));
    AffineMap keptMap = AffineMap::get(r, 0, keptExprs, ctx);
    AffineMap keptId = rewriter.getMultiDimIdentityMap(axis);
    SmallVector<IteratorType> keptIts(axis, kPar);
    SmallVector<OpFoldResult> kept(is.begin(), is.begin() + axis);
    Value mean = generic(
        rewriter, loc, {sum}, emptyTensor(rewriter, loc, kept, elt),
        {keptId, keptId}, keptIts, [&](OpBuilder &b, Location l, ValueRange a) {
          yieldV(b, l, arith::DivFOp::create(b, l, a[0], countF));
        });
    Value sq = reduceTrailing(
        rewriter, loc, in, axis, false, 0.0, {mean},
        [](OpBuilder &b, Location l, Value x, ValueRange kv) -> Value {
          Value dlt = arith::SubFOp::create(b, l, x, kv[0]);
          return arith::MulFOp::create(b, l, dlt, dlt);
        },
        add);
    double eps = op.getEpsilon().convertToDouble();
    Value rstd = generic(
        rewriter, loc, {sq}, emptyTensor(rewriter, loc, kept, elt),
        {keptId, keptId}, keptIts, [&](OpBuilder &b, Location l, ValueRange a) {
          Value var = arith::DivFOp::create(b, l, a[0], countF);
          Value ve = arith::AddFOp::create(b, l, var, cstF(b, l, elt, eps));
          yieldV(b, l,
                 arith::DivFOp::create(b, l, cstF(b, l, elt, 1.0),
                                       math::SqrtOp::create(b, l, ve)));
        });
    // y = (x - mean) * rstd * w + b.
    SmallVector<Value> inputs = {in, mean, rstd};
    AffineMap id = rewriter.getMultiDimIdentityMap(r);
    SmallVector<AffineExpr> normExprs;
    for (int64_t i = axis; i < r; ++i)
      normExprs.push_back(getAffineDimExpr(i, ctx));
    AffineMap normMap = AffineMap::get(r, 0, normExprs, ctx);
    SmallVector<AffineMap> maps = {id, keptMap, keptMap};
    if (op.getWeight()) {
      inputs.push_back(op.getWeight());
      maps.push_back(normMap);
    }
    if (op.getBias()) {
      inputs.push_back(op.getBias());
      maps.push_back(normMap);
    }
    maps.push_back(id);
    bool hasW = op.getWeight() != nullptr, hasB = op.getBias() != nullptr;
    Value res =
        generic(rewriter, loc, inputs, emptyTensor(rewriter, loc, is, elt),
                maps, SmallVector<IteratorType>(r, kPar),
                [&](OpBuilder &b, Location l, ValueRange a) {
                  Value v = arith::MulFOp::create(
                      b, l, arith::SubFOp::create(b, l, a[0], a[1]), a[2]);
                  unsigned next = 3;
                  if (hasW)
                    v = arith::MulFOp::create(b, l, v, a[next++]);
                  if (hasB)
                    v = arith::AddFOp::create(b, l, v, a[next++]);
                  yieldV(b, l, v);
                });
    replaceCast(rewriter, op, res);
    return success();
  }
};

struct BatchNormLowering : public OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value in = op.getInput();
    auto t = cast<RankedTensorType>(in.getType());
    Type elt = t.getElementType();
    int64_t r = t.getRank(), ca = op.getChannelAxis();
    MLIRContext *ctx = rewriter.getContext();
    AffineMap id = rewriter.getMultiDimIdentityMap(r);
    AffineMap cm = AffineMap::get(r, 0, {getAffineDimExpr(ca, ctx)}, ctx);
    double eps = op.getEpsilon().convertToDouble();
    Value res = generic(
        rewriter, loc,
        {in, op.getScale(), op.getBias(), op.getMean(), op.getVariance()},
        emptyTensor(rewriter, loc, sizesOf(rewriter, loc, in), elt),
        {id, cm, cm, cm, cm, id}, SmallVector<IteratorType>(r, kPar),
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value ve = arith::AddFOp::create(b, l, a[4], cstF(b, l, elt, eps));
          Value sc =
              arith::DivFOp::create(b, l, a[1], math::SqrtOp::create(b, l, ve));
          Value v = arith::MulFOp::create(
              b, l, arith::SubFOp::create(b, l, a[0], a[3]), sc);
          yieldV(b, l, arith::AddFOp::create(b, l, v, a[2]));
        });
    replaceCast(rewriter, op, res);
    return success();
  }
};

struct SoftmaxLowering : public OpRewritePattern<SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SoftmaxOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value in = op.getInput();
    auto t = cast<RankedTensorType>(in.getType());
    Type elt = t.getElementType();
    // I64Attr getters return uint64_t: go through int64_t for negatives.
    int64_t r = t.getRank(), axis = static_cast<int64_t>(op.getAxis());
    if (axis < 0)
      axis += r;
    auto identity = [](OpBuilder &, Location, Value x, ValueRange) {
      return x;
    };
    // The row max as maxnum without NaN checks (`nnan`): its lane
    // reductions vectorize (see nn-cpu-tile-and-vectorize), and so does
    // LLVM's loop over a row of dynamic length (a chain of scalar maxss
    // without the flag); a NaN in the row still makes the whole row NaN,
    // through its exp in the sum, whatever the max.
    Value mx = reduceTrailing(
        rewriter, loc, in, axis, true, -std::numeric_limits<double>::infinity(),
        {}, identity,
        [](OpBuilder &b, Location l, Value acc, Value x) -> Value {
          return arith::MaxNumFOp::create(b, l, acc, x,
                                          arith::FastMathFlags::nnan);
        });
    Value sum = reduceTrailing(
        rewriter, loc, in, axis, true, 0.0, {mx},
        [](OpBuilder &b, Location l, Value x, ValueRange kv) -> Value {
          return math::ExpOp::create(b, l,
                                     arith::SubFOp::create(b, l, x, kv[0]));
        },
        [](OpBuilder &b, Location l, Value acc, Value x) -> Value {
          return arith::AddFOp::create(b, l, acc, x);
        });
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<AffineExpr> keptExprs;
    for (int64_t i = 0; i < r; ++i)
      if (i != axis)
        keptExprs.push_back(getAffineDimExpr(i, ctx));
    AffineMap keptMap = AffineMap::get(r, 0, keptExprs, ctx);
    AffineMap id = rewriter.getMultiDimIdentityMap(r);
    Value res =
        generic(rewriter, loc, {in, mx, sum},
                emptyTensor(rewriter, loc, sizesOf(rewriter, loc, in), elt),
                {id, keptMap, keptMap, id}, SmallVector<IteratorType>(r, kPar),
                [](OpBuilder &b, Location l, ValueRange a) {
                  Value e = math::ExpOp::create(
                      b, l, arith::SubFOp::create(b, l, a[0], a[1]));
                  yieldV(b, l, arith::DivFOp::create(b, l, e, a[2]));
                });
    replaceCast(rewriter, op, res);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Reshapes
//===----------------------------------------------------------------------===//

struct ImageToTokensLowering : public OpRewritePattern<ImageToTokensOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ImageToTokensOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value v = op.getInput();
    if (op.getLayout() == Layout::NCHW)
      v = transpose(rewriter, loc, v, {0, 2, 3, 1});
    replaceCast(rewriter, op, collapse(rewriter, loc, v, {{0}, {1, 2}, {3}}));
    return success();
  }
};

struct TokensToImageLowering : public OpRewritePattern<TokensToImageOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TokensToImageOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    SmallVector<OpFoldResult> ts = sizesOf(rewriter, loc, op.getInput());
    SmallVector<OpFoldResult> nhwc = {
        ts[0], rewriter.getIndexAttr(op.getHeight()),
        rewriter.getIndexAttr(op.getWidth()), ts[2]};
    Value v = expand(rewriter, loc, op.getInput(), {{0}, {1, 2}, {3}}, nhwc);
    if (op.getLayout() == Layout::NCHW)
      v = transpose(rewriter, loc, v, {0, 3, 1, 2});
    replaceCast(rewriter, op, v);
    return success();
  }
};

struct SplitHeadsLowering : public OpRewritePattern<SplitHeadsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SplitHeadsOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    SmallVector<OpFoldResult> s = sizesOf(rewriter, loc, op.getInput());
    int64_t h = op.getNumHeads();
    SmallVector<OpFoldResult> bnhd = {s[0], s[1], rewriter.getIndexAttr(h),
                                      divOfr(rewriter, loc, s[2], h)};
    Value v = expand(rewriter, loc, op.getInput(), {{0}, {1}, {2, 3}}, bnhd);
    replaceCast(rewriter, op, transpose(rewriter, loc, v, {0, 2, 1, 3}));
    return success();
  }
};

struct MergeHeadsLowering : public OpRewritePattern<MergeHeadsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MergeHeadsOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value v = transpose(rewriter, loc, op.getInput(), {0, 2, 1, 3});
    replaceCast(rewriter, op, collapse(rewriter, loc, v, {{0}, {1}, {2, 3}}));
    return success();
  }
};

struct WindowPartitionLowering : public OpRewritePattern<WindowPartitionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(WindowPartitionOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    ArrayRef<int64_t> ws = op.getWindowSize();
    SmallVector<OpFoldResult> s = sizesOf(rewriter, loc, op.getInput());
    // [B, H, W, C] -> [B, nH, wh, nW, ww, C] -> [B, nH, nW, wh, ww, C]
    SmallVector<OpFoldResult> six = {s[0],
                                     divOfr(rewriter, loc, s[1], ws[0]),
                                     rewriter.getIndexAttr(ws[0]),
                                     divOfr(rewriter, loc, s[2], ws[1]),
                                     rewriter.getIndexAttr(ws[1]),
                                     s[3]};
    Value v =
        expand(rewriter, loc, op.getInput(), {{0}, {1, 2}, {3, 4}, {5}}, six);
    v = transpose(rewriter, loc, v, {0, 1, 3, 2, 4, 5});
    replaceCast(rewriter, op,
                collapse(rewriter, loc, v, {{0, 1, 2}, {3, 4}, {5}}));
    return success();
  }
};

struct WindowMergeLowering : public OpRewritePattern<WindowMergeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(WindowMergeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    ArrayRef<int64_t> ws = op.getWindowSize();
    SmallVector<OpFoldResult> s = sizesOf(rewriter, loc, op.getInput());
    int64_t nh = op.getHeight() / ws[0], nw = op.getWidth() / ws[1];
    // [B*nH*nW, wh*ww, C] -> [B, nH, nW, wh, ww, C] -> [B, nH, wh, nW, ww, C]
    SmallVector<OpFoldResult> six = {divOfr(rewriter, loc, s[0], nh * nw),
                                     rewriter.getIndexAttr(nh),
                                     rewriter.getIndexAttr(nw),
                                     rewriter.getIndexAttr(ws[0]),
                                     rewriter.getIndexAttr(ws[1]),
                                     s[2]};
    Value v =
        expand(rewriter, loc, op.getInput(), {{0, 1, 2}, {3, 4}, {5}}, six);
    v = transpose(rewriter, loc, v, {0, 1, 3, 2, 4, 5});
    replaceCast(rewriter, op,
                collapse(rewriter, loc, v, {{0}, {1, 2}, {3, 4}, {5}}));
    return success();
  }
};

} // namespace

// Attention lives in its own file; it is the one op with a loop nest.
namespace acc::detail {
void populateAttentionLowering(RewritePatternSet &patterns, int64_t queryBlock,
                               int64_t keyBlock, bool prefetch);
} // namespace acc::detail

namespace {
/// Tensors with a static extent of 0 (no elements) are refused: the tilers
/// and the attention blocks are sized from the extents and would divide by
/// it. (A dynamic extent that is 0 at run time runs empty loops.) So are
/// tensors of more bytes than a 64-bit process addresses (x86-64: 2^47 of
/// user space), on which index arithmetic (padding to blocks, byte
/// offsets) would overflow.
LogicalResult checkExtents(Operation *op) {
  auto tooLarge = [](RankedTensorType t) {
    if (!t.getElementType().isIntOrFloat())
      return false;
    uint64_t bytes =
        std::max<uint64_t>(1, t.getElementType().getIntOrFloatBitWidth() / 8);
    for (int64_t d : t.getShape())
      if (!ShapedType::isDynamic(d) &&
          (__builtin_mul_overflow(bytes, uint64_t(d), &bytes) ||
           bytes > (uint64_t(1) << 47)))
        return true;
    return false;
  };
  for (auto [what, types] :
       {std::pair<StringRef, TypeRange>{"operand", op->getOperandTypes()},
        std::pair<StringRef, TypeRange>{"result", op->getResultTypes()}})
    for (auto [i, type] : llvm::enumerate(types)) {
      auto t = dyn_cast<RankedTensorType>(type);
      if (!t)
        continue;
      if (tooLarge(t))
        return op->emitError()
               << "cannot lower " << op->getName() << ": " << type
               << " holds more bytes than a process can "
                  "address (2^47)";
      if (llvm::is_contained(t.getShape(), 0))
        return op->emitError() << "cannot lower " << op->getName()
                               << " yet: " << what << " #" << i << " (" << type
                               << ") has no elements (a dimension of size 0)";
    }
  return success();
}

struct NNLowerToLinalgPass
    : public acc::impl::NNLowerToLinalgBase<NNLowerToLinalgPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    if (queryBlock <= 0 || keyBlock <= 0) {
      getOperation()->emitError()
          << "nn-lower-to-linalg: query-block and key-block must be positive";
      return signalPassFailure();
    }
    // Ops that cannot be lowered get a located error up front.
    bool bad = false;
    getOperation()->walk([&](Operation *op) {
      if (isa<BlockOp>(op)) {
        op->emitError() << "nn.block must be inlined before lowering (run "
                           "nn-inline-blocks first)";
        bad = true;
      }
      if (auto pool = dyn_cast<MaxPool2DOp>(op))
        if (pool.getCeilMode() &&
            !cast<RankedTensorType>(pool.getInput().getType())
                 .hasStaticShape()) {
          op->emitError() << "cannot lower nn.max_pool2d yet: ceil_mode with "
                             "dynamic sizes";
          bad = true;
        }
      if (auto pool = dyn_cast<AvgPool2DOp>(op))
        if (pool.getCeilMode() &&
            !cast<RankedTensorType>(pool.getInput().getType())
                 .hasStaticShape()) {
          op->emitError() << "cannot lower nn.avg_pool2d yet: ceil_mode with "
                             "dynamic sizes";
          bad = true;
        }
      if (isa<NNDialect>(op->getDialect()) && failed(checkExtents(op))) {
        bad = true;
        return;
      }
      if (auto conv = dyn_cast<Conv2DOp>(op)) {
        auto ft = cast<RankedTensorType>(conv.getFilter().getType());
        if (!ft.hasStaticShape()) {
          op->emitError() << "cannot lower nn.conv2d yet: the filter shape "
                             "must be static";
          bad = true;
        }
      }
    });
    if (bad)
      return signalPassFailure();

    RewritePatternSet patterns(ctx);
    patterns.add<UnaryLowering<ReluOp>>(
        ctx, [](OpBuilder &b, Location l, ReluOp, Value x) -> Value {
          // NaN propagates (as in PyTorch); the sign of a zero result does
          // not matter (`nsz`): against a constant 0, x86 then needs one
          // vmaxps, not a compare, a max and a blend.
          return arith::MaximumFOp::create(b, l, x, cstF(b, l, x.getType(), 0),
                                           arith::FastMathFlags::nsz);
        });
    patterns.add<UnaryLowering<SigmoidOp>>(
        ctx, [](OpBuilder &b, Location l, SigmoidOp, Value x) {
          return sigmoidOf(b, l, x);
        });
    patterns.add<UnaryLowering<SiluOp>>(
        ctx, [](OpBuilder &b, Location l, SiluOp, Value x) -> Value {
          return arith::MulFOp::create(b, l, x, sigmoidOf(b, l, x));
        });
    patterns.add<UnaryLowering<HardSwishOp>>(
        ctx, [](OpBuilder &b, Location l, HardSwishOp, Value x) -> Value {
          Type t = x.getType();
          Value s = arith::AddFOp::create(b, l, x, cstF(b, l, t, 3.0));
          Value c = clamp(b, l, s, 0.0, 6.0);
          Value m = arith::MulFOp::create(b, l, x, c);
          return arith::DivFOp::create(b, l, m, cstF(b, l, t, 6.0));
        });
    patterns.add<UnaryLowering<ClampOp>>(
        ctx, [](OpBuilder &b, Location l, ClampOp op, Value x) -> Value {
          Type t = x.getType();
          if (op.getMin())
            x = arith::MaximumFOp::create(
                b, l, x, cstF(b, l, t, op.getMin()->convertToDouble()));
          if (op.getMax())
            x = arith::MinimumFOp::create(
                b, l, x, cstF(b, l, t, op.getMax()->convertToDouble()));
          return x;
        });
    patterns.add<UnaryLowering<HardSigmoidOp>>(
        ctx, [](OpBuilder &b, Location l, HardSigmoidOp op, Value x) -> Value {
          Type t = x.getType();
          Value v = arith::MulFOp::create(
              b, l, x, cstF(b, l, t, op.getAlpha().convertToDouble()));
          v = arith::AddFOp::create(
              b, l, v, cstF(b, l, t, op.getBeta().convertToDouble()));
          return clamp(b, l, v, 0.0, 1.0);
        });
    patterns.add<UnaryLowering<GeluOp>>(
        ctx, [](OpBuilder &b, Location l, GeluOp op, Value x) -> Value {
          Type t = x.getType();
          Value half = arith::MulFOp::create(b, l, x, cstF(b, l, t, 0.5));
          Value inner;
          if (op.getApproximate() == GeluApproximation::Tanh) {
            Value x3 = arith::MulFOp::create(b, l, x,
                                             arith::MulFOp::create(b, l, x, x));
            Value s = arith::AddFOp::create(
                b, l, x,
                arith::MulFOp::create(b, l, x3, cstF(b, l, t, 0.044715)));
            Value k = arith::MulFOp::create(
                b, l, s, cstF(b, l, t, std::sqrt(2.0 / M_PI)));
            inner = math::TanhOp::create(b, l, k);
          } else {
            Value k = arith::MulFOp::create(
                b, l, x, cstF(b, l, t, 1.0 / std::sqrt(2.0)));
            inner = math::ErfOp::create(b, l, k);
          }
          Value one = arith::AddFOp::create(b, l, inner, cstF(b, l, t, 1.0));
          return arith::MulFOp::create(b, l, half, one);
        });
    patterns.add<BinaryLowering<AddOp, arith::AddFOp>,
                 BinaryLowering<SubOp, arith::SubFOp>,
                 BinaryLowering<MulOp, arith::MulFOp>,
                 BinaryLowering<DivOp, arith::DivFOp>, LinearLowering,
                 MatmulLowering, PatchEmbedLowering, LayerNormLowering,
                 BatchNormLowering, SoftmaxLowering, ImageToTokensLowering,
                 TokensToImageLowering, SplitHeadsLowering, MergeHeadsLowering,
                 WindowPartitionLowering, WindowMergeLowering>(ctx);
    patterns.add<Conv2DLowering, PoolLowering<MaxPool2DOp, true>,
                 PoolLowering<AvgPool2DOp, false>, GlobalAvgPoolLowering>(
        ctx, nchwConvAsNHWC);
    acc::detail::populateAttentionLowering(patterns, queryBlock, keyBlock,
                                           attentionPrefetch);
    acc::detail::populateWinogradConvLowering(patterns, winogradMaxFilterBytes);

    ConversionTarget target(*ctx);
    target.addIllegalDialect<NNDialect>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, scf::SCFDialect,
                           tensor::TensorDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    target.addIllegalDialect<NNDialect>();
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
