//===- HostTensor.h - Tensors known at import time --------------*- C++ -*-===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//
//
// Every value of an ONNX graph is either known at import time (a HostTensor:
// initializers, Constant nodes and everything computed only from them,
// including the shapes of activations, which are static) or an SSA value of
// the function being built; `Val` is one of the two. The helpers below are
// the shape arithmetic that host evaluation and the runtime translation
// share.
//
//===----------------------------------------------------------------------===//

#ifndef ACC_LIB_IMPORT_ONNX_HOSTTENSOR_H
#define ACC_LIB_IMPORT_ONNX_HOSTTENSOR_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace acc {
namespace onnx_import {

using llvm::ArrayRef;
using llvm::SmallVector;

/// A tensor known at import time. Floating-point data is kept as float (the
/// models acc compiles are f32), integers and booleans as int64.
struct HostTensor {
  bool isFloat = true;
  SmallVector<int64_t> shape;
  std::vector<float> f;
  std::vector<int64_t> i;

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
  double at(int64_t k) const { return isFloat ? f[k] : double(i[k]); }
  /// An empty tensor of `src`'s kind with `shape`, filled by append().
  static std::shared_ptr<HostTensor> like(const HostTensor &src,
                                          SmallVector<int64_t> shape) {
    auto t = std::make_shared<HostTensor>();
    t->isFloat = src.isFloat;
    t->shape = std::move(shape);
    return t;
  }
  /// A float copy of `src` scaled by `factor`, with `shape` (same count).
  static std::shared_ptr<HostTensor> scaled(const HostTensor &src, float factor,
                                            SmallVector<int64_t> shape) {
    auto t = std::make_shared<HostTensor>(src);
    t->shape = std::move(shape);
    if (factor != 1.0f)
      for (float &v : t->f)
        v *= factor;
    return t;
  }
  /// Appends element `k` of `src` (of the same kind).
  void append(const HostTensor &src, int64_t k) {
    if (isFloat)
      f.push_back(src.f[k]);
    else
      i.push_back(src.i[k]);
  }
  static std::shared_ptr<HostTensor> ints(SmallVector<int64_t> shape,
                                          std::vector<int64_t> data) {
    auto t = std::make_shared<HostTensor>();
    t->isFloat = false;
    t->shape = std::move(shape);
    t->i = std::move(data);
    return t;
  }
  static std::shared_ptr<HostTensor> floats(SmallVector<int64_t> shape,
                                            std::vector<float> data) {
    auto t = std::make_shared<HostTensor>();
    t->shape = std::move(shape);
    t->f = std::move(data);
    return t;
  }
  /// Row-major strides.
  SmallVector<int64_t> strides() const {
    SmallVector<int64_t> s(shape.size(), 1);
    for (int k = int(shape.size()) - 2; k >= 0; --k)
      s[k] = s[k + 1] * shape[k + 1];
    return s;
  }
};
using HostRef = std::shared_ptr<HostTensor>;

/// A value of the graph: known on the host, or an SSA tensor.
struct Val {
  HostRef host;
  mlir::Value value;
  bool known() const { return host != nullptr; }
  ArrayRef<int64_t> shape() const {
    return host
               ? ArrayRef<int64_t>(host->shape)
               : mlir::cast<mlir::RankedTensorType>(value.getType()).getShape();
  }
  int64_t rank() const { return shape().size(); }
};

/// `shape` as `[1,?,4]`, for messages.
std::string shapeStr(ArrayRef<int64_t> shape);

/// The number of elements of `shape`.
int64_t product(ArrayRef<int64_t> shape);

/// NumPy broadcasting of two shapes; nullopt when they do not broadcast.
std::optional<SmallVector<int64_t>> broadcast(ArrayRef<int64_t> a,
                                              ArrayRef<int64_t> b);

/// Index into a broadcast operand of shape `in` for the flat output index
/// `flat` of shape `out`.
int64_t broadcastIndex(int64_t flat, ArrayRef<int64_t> out,
                       ArrayRef<int64_t> in);

/// Normalizes `axis` for rank `rank`; nullopt when out of range.
std::optional<int64_t> normAxis(int64_t axis, int64_t rank);

/// `t` with its dims permuted by `perm` (a permutation of its rank).
HostRef hostTranspose(const HostTensor &t, ArrayRef<int64_t> perm);

} // namespace onnx_import
} // namespace acc

#endif // ACC_LIB_IMPORT_ONNX_HOSTTENSOR_H
