//===- Conv.cpp - ONNX convolutions and pooling to nn ---------------------===//
//
// Part of the acc project.
//
// Conv (2-D, grouped, dilated, auto_pad) to nn.conv2d; MaxPool,
// AveragePool and GlobalAveragePool to nn's pooling ops, in NCHW.
//
//===----------------------------------------------------------------------===//

#include "OpBinder.h"

#include "acc/Dialect/NN/IR/NNOps.h"

using namespace mlir;

namespace acc {
namespace onnx_import {
namespace {

/// ONNX's auto_pad to explicit [top, left, bottom, right] padding.
static LogicalResult explicitPadding(StringRef autoPad, ArrayRef<int64_t> in,
                                     ArrayRef<int64_t> k, ArrayRef<int64_t> s,
                                     ArrayRef<int64_t> d,
                                     SmallVector<int64_t> &pads) {
  if (autoPad == "NOTSET")
    return success();
  pads.assign(4, 0);
  if (autoPad == "VALID")
    return success();
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER")
    return failure();
  for (int a = 0; a < 2; ++a) {
    int64_t out = (in[a] + s[a] - 1) / s[a];
    int64_t total =
        std::max<int64_t>((out - 1) * s[a] + (k[a] - 1) * d[a] + 1 - in[a], 0);
    int64_t small = total / 2, large = total - small;
    pads[a] = autoPad == "SAME_UPPER" ? small : large;
    pads[a + 2] = autoPad == "SAME_UPPER" ? large : small;
  }
  return success();
}

LogicalResult conv(OpBinder &binder) {
  ImplicitLocOpBuilder &b = binder.builder();
  FailureOr<Val> x = binder.input(0), w = binder.input(1);
  if (failed(x) || failed(w))
    return failure();
  if (x->rank() != 4 || w->rank() != 4)
    return binder.error()
           << "only 2-D convolutions (rank-4 input and weight) are "
              "supported; got input "
           << shapeStr(x->shape()) << " and weight " << shapeStr(w->shape());
  int64_t groups = binder.attrInt("group", 1);
  auto ks = binder.attrInts("kernel_shape");
  SmallVector<int64_t> kernel = {w->shape()[2], w->shape()[3]};
  if (ks && ArrayRef<int64_t>(*ks) != ArrayRef<int64_t>(kernel))
    return binder.error() << "kernel_shape " << shapeStr(*ks)
                          << " contradicts the weight's shape "
                          << shapeStr(w->shape());
  SmallVector<int64_t> strides =
      binder.attrInts("strides").value_or(SmallVector<int64_t>{1, 1});
  SmallVector<int64_t> dil =
      binder.attrInts("dilations").value_or(SmallVector<int64_t>{1, 1});
  SmallVector<int64_t> pads =
      binder.attrInts("pads").value_or(SmallVector<int64_t>{0, 0, 0, 0});
  if (strides.size() != 2 || dil.size() != 2 || pads.size() != 4)
    return binder.error() << "strides, dilations and pads must have 2, 2 and 4 "
                             "entries";
  if (failed(explicitPadding(binder.attrString("auto_pad", "NOTSET"),
                             x->shape().drop_front(2), kernel, strides, dil,
                             pads)))
    return binder.error() << "unknown auto_pad '"
                          << binder.attrString("auto_pad", "") << "'";
  int64_t c = x->shape()[1], f = w->shape()[0];
  if (groups <= 0 || c % groups || w->shape()[1] * groups != c || f % groups)
    return binder.error() << "input channels " << c << ", weight "
                          << shapeStr(w->shape()) << " and group " << groups
                          << " are inconsistent";
  SmallVector<int64_t> outShape = {x->shape()[0], f};
  for (int a = 0; a < 2; ++a) {
    int64_t span = dil[a] * (kernel[a] - 1) + 1;
    int64_t padded = x->shape()[2 + a] + pads[a] + pads[a + 2];
    if (strides[a] <= 0 || dil[a] <= 0 || padded < span)
      return binder.error() << "the window does not fit the padded input";
    outShape.push_back((padded - span) / strides[a] + 1);
  }
  FailureOr<Value> xv = binder.toValue(*x), wv = binder.toValue(*w);
  if (failed(xv) || failed(wv))
    return failure();
  Value bias;
  if (binder.hasInput(2)) {
    FailureOr<Value> bv = binder.runtimeInput(2);
    if (failed(bv))
      return failure();
    bias = *bv;
  }
  return binder.setOutput(nn::Conv2DOp::create(
      b, binder.tensorType(outShape), *xv, *wv, bias, binder.nchw(),
      b.getDenseI64ArrayAttr(strides), b.getDenseI64ArrayAttr(dil),
      b.getDenseI64ArrayAttr(pads), b.getI64IntegerAttr(groups)));
}

/// MaxPool, AveragePool and GlobalAveragePool.
LogicalResult pool(OpBinder &binder) {
  StringRef op = binder.opType();
  ImplicitLocOpBuilder &b = binder.builder();
  FailureOr<Value> x = binder.runtimeInput(0);
  if (failed(x))
    return failure();
  auto shape = cast<RankedTensorType>(x->getType()).getShape();
  if (shape.size() != 4)
    return binder.error()
           << "only 2-D pooling (rank-4 NCHW input) is supported; got "
           << shapeStr(shape);
  if (op == "GlobalAveragePool")
    return binder.setOutput(nn::GlobalAvgPool2DOp::create(
        b, binder.tensorType({shape[0], shape[1], 1, 1}), *x, binder.nchw()));
  auto ks = binder.attrInts("kernel_shape");
  if (!ks || ks->size() != 2)
    return binder.error() << "kernel_shape with 2 entries is required";
  SmallVector<int64_t> strides =
      binder.attrInts("strides").value_or(SmallVector<int64_t>{1, 1});
  SmallVector<int64_t> pads =
      binder.attrInts("pads").value_or(SmallVector<int64_t>{0, 0, 0, 0});
  SmallVector<int64_t> dil =
      binder.attrInts("dilations").value_or(SmallVector<int64_t>{1, 1});
  if (strides.size() != 2 || pads.size() != 4)
    return binder.error() << "strides and pads must have 2 and 4 entries";
  if (dil != SmallVector<int64_t>{1, 1})
    return binder.error() << "dilated pooling is not supported";
  if (binder.attrInt("storage_order", 0) != 0)
    return binder.error() << "storage_order 1 is not supported";
  if (op == "MaxPool" && binder.node().output_size() > 1 &&
      !binder.node().output(1).empty())
    return binder.error() << "the Indices output is not supported";
  if (failed(explicitPadding(binder.attrString("auto_pad", "NOTSET"),
                             shape.drop_front(2), *ks, strides, dil, pads)))
    return binder.error() << "unknown auto_pad '"
                          << binder.attrString("auto_pad", "") << "'";
  bool ceil = binder.attrInt("ceil_mode", 0);
  SmallVector<int64_t> outShape = {shape[0], shape[1]};
  for (int a = 0; a < 2; ++a) {
    int64_t padded = shape[2 + a] + pads[a] + pads[a + 2];
    if (strides[a] <= 0 || (*ks)[a] <= 0 || padded < (*ks)[a])
      return binder.error() << "the window does not fit the padded input";
    int64_t num = padded - (*ks)[a];
    int64_t o =
        (ceil ? (num + strides[a] - 1) / strides[a] : num / strides[a]) + 1;
    // A window must start inside the input or its left padding.
    if (ceil && (o - 1) * strides[a] >= shape[2 + a] + pads[a])
      --o;
    outShape.push_back(o);
  }
  auto k = b.getDenseI64ArrayAttr(*ks);
  auto s = b.getDenseI64ArrayAttr(strides);
  auto p = b.getDenseI64ArrayAttr(pads);
  if (op == "MaxPool")
    return binder.setOutput(
        nn::MaxPool2DOp::create(b, binder.tensorType(outShape), *x,
                                binder.nchw(), k, s, p, b.getBoolAttr(ceil)));
  return binder.setOutput(nn::AvgPool2DOp::create(
      b, binder.tensorType(outShape), *x, binder.nchw(), k, s, p,
      b.getBoolAttr(ceil),
      b.getBoolAttr(binder.attrInt("count_include_pad", 0) != 0)));
}

} // namespace

void registerConvOps(OpRegistry &registry) {
  registry.addRuntime("Conv", 1, conv);
  for (StringRef op : {"MaxPool", "AveragePool", "GlobalAveragePool"})
    registry.addRuntime(op, 1, pool);
}

} // namespace onnx_import
} // namespace acc
