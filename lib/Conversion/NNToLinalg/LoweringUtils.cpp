//===- LoweringUtils.cpp - helpers of the nn lowerings --------------------===//
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

namespace acc::detail {

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
                       int64_t padLo, int64_t padHi, bool ceilMode) {
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

Value fill(OpBuilder &b, Location loc, Value tensor, Value v) {
  return linalg::FillOp::create(b, loc, v, tensor).getResult(0);
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

} // namespace acc::detail
