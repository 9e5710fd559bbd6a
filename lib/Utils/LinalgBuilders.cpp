//===- LinalgBuilders.cpp - building linalg ops on tensors ----------------===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#include "acc/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace acc::detail {

Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                  Type elt) {
  return tensor::EmptyOp::create(b, loc, sizes, elt);
}

SmallVector<OpFoldResult> sizesOf(OpBuilder &b, Location loc, Value v) {
  return tensor::getMixedSizes(b, loc, v);
}

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
