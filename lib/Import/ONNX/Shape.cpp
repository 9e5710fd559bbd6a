//===- Shape.cpp - ONNX data movement to tensor and linalg ----------------===//
//
// Part of the acc project.
//
// Reshape, Flatten, Squeeze, Unsqueeze (collapse/expand_shape), Transpose,
// Concat, Slice, Split, Tile, Gather with known indices, Pad (constant
// mode) and Expand. Each moves host data when its input is known, so the
// shape subgraphs fold at import time with the same shape logic.
//
//===----------------------------------------------------------------------===//

#include "OpBinder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "llvm/ADT/DenseSet.h"

using namespace mlir;

namespace acc {
namespace onnx_import {
namespace {

/// Reshape, Flatten, Squeeze and Unsqueeze.
LogicalResult reshapeLike(OpBinder &binder) {
  StringRef op = binder.opType();
  FailureOr<Val> x = binder.input(0);
  if (failed(x))
    return failure();
  SmallVector<int64_t> in(x->shape()), out;
  int64_t r = in.size();
  if (op == "Reshape") {
    FailureOr<HostRef> s = binder.knownInput(1, "the shape");
    if (failed(s))
      return failure();
    bool allowZero = binder.attrInt("allowzero", 0);
    int64_t infer = -1;
    for (size_t k = 0; k < (*s)->i.size(); ++k) {
      int64_t d = (*s)->i[k];
      if (d == 0 && !allowZero) {
        if (int64_t(k) >= r)
          return binder.error() << "shape entry " << k
                                << " copies a dimension "
                                   "the input does not have";
        d = in[k];
      } else if (d == -1) {
        if (infer >= 0)
          return binder.error() << "more than one -1 in the shape";
        infer = k;
        d = 1;
      } else if (d < 0) {
        return binder.error() << "invalid shape entry " << d;
      }
      out.push_back(d);
    }
    int64_t known = product(out);
    if (infer >= 0) {
      if (known == 0 || product(in) % known)
        return binder.error() << "cannot reshape " << shapeStr(in) << " to "
                              << shapeStr((*s)->i);
      out[infer] = product(in) / known;
    }
  } else if (op == "Flatten") {
    FailureOr<int64_t> axis = binder.axisAttr(1, r + 1);
    if (failed(axis))
      return failure();
    out = {product(ArrayRef<int64_t>(in).take_front(*axis)),
           product(ArrayRef<int64_t>(in).drop_front(*axis))};
  } else {
    FailureOr<std::optional<SmallVector<int64_t>>> given =
        binder.intsFromInputOrAttr(1, "the axes", "axes");
    if (failed(given))
      return failure();
    SmallVector<int64_t> axes = given->value_or(SmallVector<int64_t>());
    if (op == "Squeeze") {
      llvm::SmallDenseSet<int64_t> drop;
      for (int64_t a : axes) {
        auto n = normAxis(a, r);
        if (!n || in[*n] != 1)
          return binder.error()
                 << "cannot squeeze axis " << a << " of " << shapeStr(in);
        drop.insert(*n);
      }
      for (int64_t k = 0; k < r; ++k)
        if (axes.empty() ? in[k] != 1 : !drop.contains(k))
          out.push_back(in[k]);
    } else {
      int64_t outRank = r + axes.size();
      llvm::SmallDenseSet<int64_t> add;
      for (int64_t a : axes) {
        auto n = normAxis(a, outRank);
        if (!n || !add.insert(*n).second)
          return binder.error() << "invalid unsqueeze axis " << a;
      }
      for (int64_t k = 0, j = 0; k < outRank; ++k)
        out.push_back(add.contains(k) ? 1 : in[j++]);
    }
  }
  if (product(out) != product(in))
    return binder.error() << "cannot reshape " << shapeStr(in) << " ("
                          << product(in) << " elements) to " << shapeStr(out);
  if (x->known()) {
    auto h = std::make_shared<HostTensor>(*x->host);
    h->shape = out;
    return binder.setHost(h);
  }
  return binder.setOutput(binder.reshape(x->value, out));
}

LogicalResult transposeOp(OpBinder &binder) {
  FailureOr<Val> x = binder.input(0);
  if (failed(x))
    return failure();
  int64_t r = x->rank();
  SmallVector<int64_t> perm;
  if (auto p = binder.attrInts("perm"))
    perm = *p;
  else
    for (int64_t k = r - 1; k >= 0; --k)
      perm.push_back(k);
  SmallVector<bool> seen(r, false);
  if (int64_t(perm.size()) != r)
    return binder.error() << "perm has " << perm.size() << " entries for rank "
                          << r;
  for (int64_t &p : perm) {
    auto n = normAxis(p, r);
    if (!n || seen[*n])
      return binder.error() << "perm is not a permutation";
    seen[*n] = true;
    p = *n;
  }
  if (x->known())
    return binder.setHost(hostTranspose(*x->host, perm));
  return binder.setOutput(binder.transpose(x->value, perm));
}

LogicalResult concat(OpBinder &binder) {
  ImplicitLocOpBuilder &b = binder.builder();
  int n = binder.numInputs();
  if (n == 0)
    return binder.error() << "no inputs";
  SmallVector<Val> ins;
  for (int k = 0; k < n; ++k) {
    FailureOr<Val> v = binder.input(k);
    if (failed(v))
      return failure();
    ins.push_back(*v);
  }
  int64_t r = ins[0].rank();
  FailureOr<int64_t> axis = binder.axisAttr(0, r);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> out(ins[0].shape());
  out[*axis] = 0;
  bool allKnown = true, anyFloat = false;
  for (auto &v : ins) {
    if (v.rank() != r)
      return binder.error() << "inputs have different ranks";
    for (int64_t k = 0; k < r; ++k)
      if (k != *axis && v.shape()[k] != out[k])
        return binder.error()
               << "input shapes " << shapeStr(ins[0].shape()) << " and "
               << shapeStr(v.shape()) << " differ outside axis " << *axis;
    out[*axis] += v.shape()[*axis];
    allKnown &= v.known();
    anyFloat |= v.known() ? v.host->isFloat : true;
  }
  if (allKnown) {
    auto h = std::make_shared<HostTensor>();
    h->isFloat = anyFloat;
    h->shape = out;
    int64_t outer = product(ArrayRef<int64_t>(out).take_front(*axis));
    for (int64_t o = 0; o < outer; ++o)
      for (auto &v : ins) {
        int64_t chunk = product(v.shape().drop_front(*axis));
        for (int64_t k = 0; k < chunk; ++k) {
          double x = v.host->at(o * chunk + k);
          if (anyFloat)
            h->f.push_back(float(x));
          else
            h->i.push_back(int64_t(x));
        }
      }
    return binder.setHost(h);
  }
  SmallVector<Value> vs;
  for (auto &v : ins) {
    if (v.shape()[*axis] == 0)
      continue;
    FailureOr<Value> x = binder.toValue(v);
    if (failed(x))
      return failure();
    vs.push_back(*x);
  }
  if (vs.size() == 1)
    return binder.setOutput(vs[0]);
  return binder.setOutput(tensor::ConcatOp::create(b, *axis, vs).getResult());
}

/// Slice: starts, ends and axes are attributes before opset 10, inputs
/// (with steps) from it on.
template <bool Inputs> LogicalResult slice(OpBinder &binder) {
  ImplicitLocOpBuilder &b = binder.builder();
  FailureOr<Val> x = binder.input(0);
  if (failed(x))
    return failure();
  int64_t r = x->rank();
  SmallVector<int64_t> starts, ends, axes, steps;
  if (Inputs) {
    FailureOr<SmallVector<int64_t>> s = binder.knownInts(1, "starts"),
                                    e = binder.knownInts(2, "ends");
    if (failed(s) || failed(e))
      return failure();
    starts = *s;
    ends = *e;
    for (auto [k, what, into] : {std::make_tuple(3, "axes", &axes),
                                 std::make_tuple(4, "steps", &steps)}) {
      if (!binder.hasInput(k))
        continue;
      FailureOr<SmallVector<int64_t>> v = binder.knownInts(k, what);
      if (failed(v))
        return failure();
      *into = *v;
    }
  } else {
    starts = binder.attrInts("starts").value_or(SmallVector<int64_t>{});
    ends = binder.attrInts("ends").value_or(SmallVector<int64_t>{});
    axes = binder.attrInts("axes").value_or(SmallVector<int64_t>{});
  }
  if (axes.empty())
    for (size_t k = 0; k < starts.size(); ++k)
      axes.push_back(k);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return binder.error() << "starts, ends, axes and steps differ in length";
  SmallVector<int64_t> offs(r, 0), sizes(x->shape()), strides(r, 1);
  for (size_t k = 0; k < starts.size(); ++k) {
    auto a = normAxis(axes[k], r);
    if (!a)
      return binder.error() << "axis " << axes[k] << " out of range";
    int64_t dim = x->shape()[*a], st = steps[k];
    if (st == 0)
      return binder.error() << "step 0";
    if (st < 0 && !x->known())
      return binder.error()
             << "negative step " << st << " on an activation is not supported";
    int64_t s = starts[k] < 0 ? starts[k] + dim : starts[k];
    int64_t e = ends[k] < 0 ? ends[k] + dim : ends[k];
    if (st > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      sizes[*a] = e > s ? (e - s + st - 1) / st : 0;
    } else {
      // Backwards: start in [0, dim - 1], end in [-1, dim - 1].
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(ends[k] < -dim ? -1 : e, -1, dim - 1);
      sizes[*a] = s > e ? (s - e - st - 1) / -st : 0;
    }
    offs[*a] = s;
    strides[*a] = st;
  }
  if (x->known()) {
    auto h = HostTensor::like(*x->host, sizes);
    SmallVector<int64_t> inStrides = x->host->strides();
    int64_t n = product(sizes);
    for (int64_t k = 0; k < n; ++k) {
      int64_t rem = k, src = 0;
      for (int64_t d = r - 1; d >= 0; --d) {
        int64_t c = rem % sizes[d];
        rem /= sizes[d];
        src += (offs[d] + c * strides[d]) * inStrides[d];
      }
      h->append(*x->host, src);
    }
    return binder.setHost(h);
  }
  if (product(sizes) == 0)
    return binder.error() << "an empty slice of an activation is not supported";
  return binder.setOutput(tensor::ExtractSliceOp::create(
      b, binder.tensorType(sizes), x->value, ValueRange{}, ValueRange{},
      ValueRange{}, offs, sizes, strides));
}

LogicalResult split(OpBinder &binder) {
  ImplicitLocOpBuilder &b = binder.builder();
  FailureOr<Val> x = binder.input(0);
  if (failed(x))
    return failure();
  int64_t r = x->rank();
  FailureOr<int64_t> axis = binder.axisAttr(0, r);
  if (failed(axis))
    return failure();
  int64_t dim = x->shape()[*axis];
  FailureOr<std::optional<SmallVector<int64_t>>> given =
      binder.intsFromInputOrAttr(1, "the split sizes", "split");
  if (failed(given))
    return failure();
  SmallVector<int64_t> sizes;
  if (*given) {
    sizes = **given;
  } else {
    int64_t n = binder.attrInt("num_outputs", binder.node().output_size());
    if (n <= 0)
      return binder.error() << "no outputs";
    int64_t chunk = (dim + n - 1) / n;
    for (int64_t k = 0; k < n; ++k)
      sizes.push_back(std::max<int64_t>(std::min(chunk, dim - k * chunk), 0));
  }
  if (int64_t(sizes.size()) != binder.node().output_size())
    return binder.error() << sizes.size() << " split sizes for "
                          << binder.node().output_size() << " outputs";
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0)
      return binder.error() << "negative split size";
    total += s;
  }
  if (total != dim)
    return binder.error() << "split sizes add up to " << total
                          << ", the axis has " << dim;
  int64_t off = 0;
  for (auto [k, size] : llvm::enumerate(sizes)) {
    SmallVector<int64_t> offs(r, 0), shape(x->shape()), strides(r, 1);
    offs[*axis] = off;
    shape[*axis] = size;
    off += size;
    if (x->known()) {
      auto h = HostTensor::like(*x->host, shape);
      int64_t outer = product(x->shape().take_front(*axis));
      int64_t inner = product(x->shape().drop_front(*axis + 1));
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = offs[*axis]; i < offs[*axis] + size; ++i)
          for (int64_t j = 0; j < inner; ++j) {
            int64_t src = (o * dim + i) * inner + j;
            h->append(*x->host, src);
          }
      if (failed(binder.setOutput(k, Val{h, Value()})))
        return failure();
      continue;
    }
    if (size == 0)
      return binder.error()
             << "an empty split of an activation is not supported";
    Value part = tensor::ExtractSliceOp::create(
        b, binder.tensorType(shape), x->value, ValueRange{}, ValueRange{},
        ValueRange{}, offs, shape, strides);
    if (failed(binder.setOutput(k, Val{nullptr, part})))
      return failure();
  }
  return success();
}

LogicalResult tile(OpBinder &binder) {
  ImplicitLocOpBuilder &b = binder.builder();
  FailureOr<Val> x = binder.input(0);
  FailureOr<HostRef> reps = binder.knownInput(1, "the repeats");
  if (failed(x) || failed(reps))
    return failure();
  int64_t r = x->rank();
  if (int64_t((*reps)->i.size()) != r)
    return binder.error() << "repeats has " << (*reps)->i.size()
                          << " entries for rank " << r;
  SmallVector<int64_t> out(x->shape());
  for (int64_t k = 0; k < r; ++k) {
    if ((*reps)->i[k] < 1)
      return binder.error()
             << "repeat " << (*reps)->i[k] << " is not supported";
    out[k] *= (*reps)->i[k];
  }
  if (x->known()) {
    auto h = HostTensor::like(*x->host, out);
    int64_t n = product(out);
    SmallVector<int64_t> inStrides = x->host->strides();
    for (int64_t k = 0; k < n; ++k) {
      int64_t rem = k, src = 0;
      for (int64_t d = r - 1; d >= 0; --d) {
        src += (rem % out[d]) % x->shape()[d] * inStrides[d];
        rem /= out[d];
      }
      h->append(*x->host, src);
    }
    return binder.setHost(h);
  }
  Value v = x->value;
  for (int64_t k = 0; k < r; ++k)
    if ((*reps)->i[k] > 1)
      v = tensor::ConcatOp::create(b, k, SmallVector<Value>((*reps)->i[k], v));
  return binder.setOutput(v);
}

LogicalResult gather(OpBinder &binder) {
  ImplicitLocOpBuilder &b = binder.builder();
  FailureOr<Val> x = binder.input(0);
  if (failed(x))
    return failure();
  FailureOr<HostRef> idx = binder.knownInput(1, "the indices");
  if (failed(idx))
    return failure();
  int64_t r = x->rank();
  FailureOr<int64_t> axis = binder.axisAttr(0, r);
  if (failed(axis))
    return failure();
  int64_t dim = x->shape()[*axis];
  SmallVector<int64_t> indices;
  for (int64_t v : (*idx)->i) {
    int64_t i = v < 0 ? v + dim : v;
    if (i < 0 || i >= dim)
      return binder.error()
             << "index " << v << " out of range for dimension " << dim;
    indices.push_back(i);
  }
  SmallVector<int64_t> out(x->shape().take_front(*axis));
  out.append((*idx)->shape.begin(), (*idx)->shape.end());
  out.append(x->shape().begin() + *axis + 1, x->shape().end());
  if (x->known()) {
    auto h = HostTensor::like(*x->host, out);
    int64_t outer = product(x->shape().take_front(*axis));
    int64_t inner = product(x->shape().drop_front(*axis + 1));
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i : indices)
        for (int64_t k = 0; k < inner; ++k) {
          int64_t src = (o * dim + i) * inner + k;
          h->append(*x->host, src);
        }
    return binder.setHost(h);
  }
  // Runtime data, constant indices: slices along the axis.
  SmallVector<Value> parts;
  for (int64_t i : indices) {
    SmallVector<int64_t> offs(r, 0), sizes(x->shape()), strides(r, 1);
    offs[*axis] = i;
    sizes[*axis] = 1;
    parts.push_back(tensor::ExtractSliceOp::create(
        b, binder.tensorType(sizes), x->value, ValueRange{}, ValueRange{},
        ValueRange{}, offs, sizes, strides));
  }
  if (parts.empty())
    return binder.error() << "empty indices are not supported";
  // Runs of consecutive indices would be one slice; models gather one index
  // or a few, so the parts are concatenated as they are.
  Value all = parts.size() == 1
                  ? parts[0]
                  : tensor::ConcatOp::create(b, *axis, parts).getResult();
  return binder.setOutput(binder.reshape(all, out));
}

/// Pad: the pads (and the value) are attributes before opset 11, inputs
/// from it on.
template <bool Inputs> LogicalResult pad(OpBinder &binder) {
  ImplicitLocOpBuilder &b = binder.builder();
  FailureOr<Value> x = binder.runtimeInput(0);
  if (failed(x))
    return failure();
  std::string mode = binder.attrString("mode", "constant");
  if (mode != "constant")
    return binder.error() << "mode '" << mode
                          << "' is not supported (only constant)";
  auto shape = cast<RankedTensorType>(x->getType()).getShape();
  int64_t r = shape.size();
  SmallVector<int64_t> pads;
  if (Inputs) {
    FailureOr<SmallVector<int64_t>> p = binder.knownInts(1, "pads");
    if (failed(p))
      return failure();
    pads = *p;
  } else {
    pads = binder.attrInts("pads").value_or(SmallVector<int64_t>{});
  }
  float value = 0.0f;
  if (binder.hasInput(2)) {
    FailureOr<HostRef> v = binder.knownInput(2, "constant_value");
    if (failed(v))
      return failure();
    if ((*v)->numel())
      value = float((*v)->at(0));
  } else if (!Inputs) {
    value = binder.attrFloat("value", 0.0f);
  }
  SmallVector<int64_t> axes;
  if (binder.hasInput(3)) {
    FailureOr<HostRef> a = binder.knownInput(3, "axes");
    if (failed(a))
      return failure();
    for (int64_t ax : (*a)->i) {
      auto n = normAxis(ax, r);
      if (!n)
        return binder.error() << "axis " << ax << " out of range";
      axes.push_back(*n);
    }
  } else {
    for (int64_t k = 0; k < r; ++k)
      axes.push_back(k);
  }
  if (pads.size() != 2 * axes.size())
    return binder.error() << "pads has " << pads.size() << " entries for "
                          << axes.size() << " axes";
  SmallVector<int64_t> low(r, 0), high(r, 0), out(shape);
  for (size_t k = 0; k < axes.size(); ++k) {
    low[axes[k]] = pads[k];
    high[axes[k]] = pads[k + axes.size()];
    if (low[axes[k]] < 0 || high[axes[k]] < 0)
      return binder.error() << "negative pads are not supported";
    out[axes[k]] += low[axes[k]] + high[axes[k]];
  }
  Value padValue = arith::ConstantOp::create(b, b.getF32FloatAttr(value));
  auto padOp =
      tensor::PadOp::create(b, binder.tensorType(out), *x,
                            getAsIndexOpFoldResult(binder.getContext(), low),
                            getAsIndexOpFoldResult(binder.getContext(), high),
                            padValue, /*nofold=*/false);
  return binder.setOutput(padOp.getResult());
}

LogicalResult expand(OpBinder &binder) {
  ImplicitLocOpBuilder &b = binder.builder();
  FailureOr<Val> x = binder.input(0);
  FailureOr<HostRef> s = binder.knownInput(1, "the shape");
  if (failed(x) || failed(s))
    return failure();
  auto out = broadcast(x->shape(), (*s)->i);
  if (!out)
    return binder.error() << "cannot expand " << shapeStr(x->shape()) << " to "
                          << shapeStr((*s)->i);
  if (x->known()) {
    auto h = HostTensor::like(*x->host, *out);
    int64_t n = product(*out);
    for (int64_t k = 0; k < n; ++k) {
      int64_t src = broadcastIndex(k, *out, x->host->shape);
      h->append(*x->host, src);
    }
    return binder.setHost(h);
  }
  // Drop the broadcast (size-1 or missing) dims, then linalg.broadcast.
  int64_t r = out->size(), lead = r - x->rank();
  SmallVector<int64_t> kept, added;
  for (int64_t k = 0; k < r; ++k) {
    int64_t in = k < lead ? 1 : x->shape()[k - lead];
    if (in == (*out)[k] && k >= lead)
      kept.push_back(in);
    else
      added.push_back(k);
  }
  if (added.empty())
    return binder.setOutput(x->value);
  Value src = binder.reshape(x->value, kept);
  return binder.setOutput(
      linalg::BroadcastOp::create(b, src, binder.empty(*out), added)
          ->getResult(0));
}

} // namespace

void registerShapeOps(OpRegistry &registry) {
  for (StringRef op : {"Reshape", "Flatten", "Squeeze", "Unsqueeze"})
    registry.addRuntime(op, 1, reshapeLike);
  registry.addRuntime("Transpose", 1, transposeOp);
  registry.addRuntime("Concat", 1, concat);
  registry.addRuntime("Slice", 1, slice<false>);
  registry.addRuntime("Slice", 10, slice<true>);
  registry.addRuntime("Split", 1, split);
  registry.addRuntime("Tile", 1, tile);
  registry.addRuntime("Gather", 1, gather);
  registry.addRuntime("Pad", 1, pad<false>);
  registry.addRuntime("Pad", 11, pad<true>);
  registry.addRuntime("Expand", 1, expand);
}

} // namespace onnx_import
} // namespace acc
