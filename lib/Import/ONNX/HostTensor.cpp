//===- HostTensor.cpp - Tensors known at import time ----------------------===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#include "HostTensor.h"

#include <algorithm>

using namespace mlir;

namespace acc {
namespace onnx_import {

std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t k = 0; k < shape.size(); ++k)
    s += (k ? "," : "") + (ShapedType::isDynamic(shape[k])
                               ? std::string("?")
                               : std::to_string(shape[k]));
  return s + "]";
}

int64_t product(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

/// NumPy broadcasting of two shapes; nullopt when they do not broadcast.
std::optional<SmallVector<int64_t>> broadcast(ArrayRef<int64_t> a,
                                              ArrayRef<int64_t> b) {
  size_t r = std::max(a.size(), b.size());
  SmallVector<int64_t> out(r);
  for (size_t k = 0; k < r; ++k) {
    int64_t x = k < r - a.size() ? 1 : a[k - (r - a.size())];
    int64_t y = k < r - b.size() ? 1 : b[k - (r - b.size())];
    if (x != y && x != 1 && y != 1)
      return std::nullopt;
    out[k] = x == 1 ? y : x;
  }
  return out;
}

/// Index into a broadcast operand of shape `in` for the flat output index
/// `flat` of shape `out`.
int64_t broadcastIndex(int64_t flat, ArrayRef<int64_t> out,
                       ArrayRef<int64_t> in) {
  int64_t idx = 0, stride = 1;
  for (int k = int(out.size()) - 1, j = int(in.size()) - 1; k >= 0; --k, --j) {
    int64_t coord = flat % out[k];
    flat /= out[k];
    if (j >= 0) {
      if (in[j] != 1)
        idx += coord * stride;
      stride *= in[j];
    }
  }
  return idx;
}

/// Normalizes `axis` for rank `rank`; nullopt when out of range.
std::optional<int64_t> normAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

HostRef hostTranspose(const HostTensor &t, ArrayRef<int64_t> perm) {
  auto out = std::make_shared<HostTensor>();
  out->isFloat = t.isFloat;
  for (int64_t p : perm)
    out->shape.push_back(t.shape[p]);
  int64_t n = t.numel(), r = t.shape.size();
  SmallVector<int64_t> inStrides = t.strides(), outStrides = out->strides();
  if (t.isFloat)
    out->f.resize(n);
  else
    out->i.resize(n);
  SmallVector<int64_t> coord(r, 0);
  for (int64_t k = 0; k < n; ++k) {
    int64_t src = 0, rem = k;
    for (int64_t d = 0; d < r; ++d) {
      int64_t c = rem / outStrides[d];
      rem %= outStrides[d];
      src += c * inStrides[perm[d]];
    }
    if (t.isFloat)
      out->f[k] = t.f[src];
    else
      out->i[k] = t.i[src];
  }
  return out;
}

} // namespace onnx_import
} // namespace acc
