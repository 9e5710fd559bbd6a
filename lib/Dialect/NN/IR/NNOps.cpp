//===- NNOps.cpp - nn dialect operations ---------------------------------===//
//
// Part of the acc project.
//
// Verifiers check every static part of an op's shapes and name the operand and
// the expected versus actual shape in their messages; dynamic dimensions (`?`)
// are compatible with anything. Folders remove identity reshapes.
//
//===----------------------------------------------------------------------===//

#include "acc/Dialect/NN/IR/NNOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace mlir;
using namespace acc::nn;

#include "acc/Dialect/NN/IR/NNEnums.cpp.inc"

#define GET_OP_CLASSES
#include "acc/Dialect/NN/IR/NNOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Shape helpers
//===----------------------------------------------------------------------===//

namespace {
constexpr int64_t kDyn = ShapedType::kDynamic;

bool isDyn(int64_t d) { return ShapedType::isDynamic(d); }

/// True when two dimensions may be equal at run time.
bool compatible(int64_t a, int64_t b) { return isDyn(a) || isDyn(b) || a == b; }

std::string dimStr(int64_t d) { return isDyn(d) ? "?" : std::to_string(d); }

std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string s = "[";
  llvm::raw_string_ostream os(s);
  llvm::interleaveComma(shape, os, [&](int64_t d) { os << dimStr(d); });
  os << "]";
  return s;
}

int64_t mulDims(int64_t a, int64_t b) {
  return isDyn(a) || isDyn(b) ? kDyn : a * b;
}

ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

/// Checks that `actual` may equal `expected` dimension by dimension.
LogicalResult verifyShape(Operation *op, StringRef what,
                          ArrayRef<int64_t> actual,
                          ArrayRef<int64_t> expected) {
  bool ok = actual.size() == expected.size();
  for (size_t i = 0; ok && i < actual.size(); ++i)
    ok = compatible(actual[i], expected[i]);
  if (ok)
    return success();
  return op->emitOpError() << what << " has shape " << shapeStr(actual)
                           << " but the expected shape is "
                           << shapeStr(expected);
}

LogicalResult verifyResult(Operation *op, ArrayRef<int64_t> expected) {
  return verifyShape(op, "result", shapeOf(op->getResult(0)), expected);
}

/// Checks one dimension of a named operand against an expected size.
LogicalResult verifyDim(Operation *op, StringRef operand, Value v, int64_t dim,
                        int64_t expected, StringRef meaning) {
  int64_t actual = shapeOf(v)[dim];
  if (compatible(actual, expected))
    return success();
  return op->emitOpError() << "'" << operand << "' dimension " << dim << " ("
                           << meaning << ") is " << actual << " but "
                           << expected << " was expected (shape "
                           << shapeStr(shapeOf(v)) << ")";
}

/// All tensor operands and results of an nn op share one element type.
LogicalResult verifyElementTypes(Operation *op) {
  Type elt;
  std::string firstName;
  auto check = [&](Value v, StringRef kind, unsigned idx) -> LogicalResult {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t)
      return success();
    if (!elt) {
      elt = t.getElementType();
      firstName = (kind + " #" + Twine(idx)).str();
      return success();
    }
    if (t.getElementType() == elt)
      return success();
    return op->emitOpError()
           << kind << " #" << idx << " has element type " << t.getElementType()
           << " but " << firstName << " has " << elt
           << "; all tensors of the op must agree";
  };
  for (auto [i, v] : llvm::enumerate(op->getOperands()))
    if (failed(check(v, "operand", i)))
      return failure();
  for (auto [i, v] : llvm::enumerate(op->getResults()))
    if (failed(check(v, "result", i)))
      return failure();
  return success();
}

/// Output size of a convolution or pooling window along one dimension, or
/// kDyn when the input is dynamic. Fails when the (dilated) window does not
/// fit in the padded input.
FailureOr<int64_t> windowOutSize(Operation *op, StringRef dimName, int64_t in,
                                 int64_t kernel, int64_t stride,
                                 int64_t dilation, int64_t padLo, int64_t padHi,
                                 bool ceilMode = false) {
  if (isDyn(in) || isDyn(kernel))
    return kDyn;
  int64_t span = dilation * (kernel - 1) + 1;
  int64_t padded = in + padLo + padHi;
  if (padded < span) {
    op->emitOpError() << "padded input " << dimName << " " << padded
                      << " is smaller than the dilated window " << span;
    return failure();
  }
  int64_t out = (padded - span) / stride + 1;
  if (ceilMode) {
    out = (padded - span + stride - 1) / stride + 1;
    // The last window must start inside the input or its leading padding.
    if ((out - 1) * stride >= in + padLo)
      --out;
  }
  return out;
}

LogicalResult verifyNonNegative(Operation *op, StringRef name,
                                ArrayRef<int64_t> values, bool strict) {
  for (int64_t v : values)
    if (strict ? v <= 0 : v < 0)
      return op->emitOpError() << "'" << name << "' must be "
                               << (strict ? "positive" : "non-negative")
                               << ", got " << shapeStr(values);
  return success();
}

/// NumPy broadcast of two shapes; fails on an incompatible static pair.
FailureOr<SmallVector<int64_t>>
broadcastShapes(Operation *op, ArrayRef<int64_t> a, ArrayRef<int64_t> b,
                StringRef aName, StringRef bName) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == 1) {
      out[i] = db;
    } else if (db == 1) {
      out[i] = da;
    } else if (isDyn(da) || isDyn(db)) {
      out[i] = isDyn(da) ? db : da;
    } else if (da == db) {
      out[i] = da;
    } else {
      op->emitOpError() << "'" << aName << "' shape " << shapeStr(a) << " and '"
                        << bName << "' shape " << shapeStr(b)
                        << " do not broadcast: dimension " << i << " is " << da
                        << " versus " << db;
      return failure();
    }
  }
  return out;
}
} // namespace

//===----------------------------------------------------------------------===//
// Conv2DOp
//===----------------------------------------------------------------------===//

int64_t Conv2DOp::getNumOutputChannels() {
  ArrayRef<int64_t> f = shapeOf(getFilter());
  return isNCHW() ? f[0] : f[3];
}

std::pair<int64_t, int64_t> Conv2DOp::getKernelSize() {
  ArrayRef<int64_t> f = shapeOf(getFilter());
  return isNCHW() ? std::make_pair(f[2], f[3]) : std::make_pair(f[0], f[1]);
}

/// Shared by conv2d and patch_embed: checks the filter against the input and
/// computes [N, OH, OW, F] (in NHWC order, the caller permutes).
static FailureOr<SmallVector<int64_t>>
verifyConvLike(Operation *op, Value input, Value filter, Value bias, bool nchw,
               ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
               ArrayRef<int64_t> padding, int64_t groups) {
  if (failed(verifyElementTypes(op)) ||
      failed(verifyNonNegative(op, "strides", strides, true)) ||
      failed(verifyNonNegative(op, "dilations", dilations, true)) ||
      failed(verifyNonNegative(op, "padding", padding, false)))
    return failure();
  ArrayRef<int64_t> in = shapeOf(input), f = shapeOf(filter);
  int64_t n = in[0], c = nchw ? in[1] : in[3], h = nchw ? in[2] : in[1],
          w = nchw ? in[3] : in[2];
  int64_t fo = nchw ? f[0] : f[3], kh = nchw ? f[2] : f[0],
          kw = nchw ? f[3] : f[1];
  unsigned fcDim = nchw ? 1 : 2;
  if (!isDyn(c) && c % groups != 0)
    return op->emitOpError() << "input channels " << c
                             << " are not a multiple of groups " << groups,
           failure();
  if (!isDyn(fo) && fo % groups != 0)
    return op->emitOpError() << "filter output channels " << fo
                             << " are not a multiple of groups " << groups,
           failure();
  if (failed(verifyDim(op, "filter", filter, fcDim,
                       isDyn(c) ? kDyn : c / groups,
                       "input channels per group")))
    return failure();
  if (bias && failed(verifyDim(op, "bias", bias, 0, fo, "output channels")))
    return failure();
  FailureOr<int64_t> oh = windowOutSize(op, "height", h, kh, strides[0],
                                        dilations[0], padding[0], padding[2]);
  if (failed(oh))
    return failure();
  FailureOr<int64_t> ow = windowOutSize(op, "width", w, kw, strides[1],
                                        dilations[1], padding[1], padding[3]);
  if (failed(ow))
    return failure();
  return SmallVector<int64_t>{n, *oh, *ow, fo};
}

LogicalResult Conv2DOp::verify() {
  FailureOr<SmallVector<int64_t>> nhwc =
      verifyConvLike(*this, getInput(), getFilter(), getBias(), isNCHW(),
                     getStrides(), getDilations(), getPadding(), getGroups());
  if (failed(nhwc))
    return failure();
  SmallVector<int64_t> expected = *nhwc;
  if (isNCHW())
    expected = {(*nhwc)[0], (*nhwc)[3], (*nhwc)[1], (*nhwc)[2]};
  return verifyResult(*this, expected);
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

double AttentionOp::getScaleOrDefault() {
  if (std::optional<APFloat> s = getScale())
    return s->convertToDouble();
  int64_t d = shapeOf(getQuery())[3];
  return isDyn(d) ? 1.0 : 1.0 / std::sqrt(static_cast<double>(d));
}

LogicalResult AttentionOp::verify() {
  if (failed(verifyElementTypes(*this)))
    return failure();
  ArrayRef<int64_t> q = shapeOf(getQuery()), k = shapeOf(getKey()),
                    v = shapeOf(getValue());
  if (failed(verifyDim(*this, "key", getKey(), 0, q[0], "batch")) ||
      failed(verifyDim(*this, "value", getValue(), 0, q[0], "batch")) ||
      failed(verifyDim(*this, "key", getKey(), 3, q[3], "head dim D")) ||
      failed(verifyDim(*this, "value", getValue(), 1, k[1], "kv heads")) ||
      failed(verifyDim(*this, "value", getValue(), 2, k[2], "key length Nk")))
    return failure();
  if (!isDyn(q[1]) && !isDyn(k[1]) && q[1] % k[1] != 0)
    return emitOpError() << "query heads " << q[1]
                         << " are not a multiple of key/value heads " << k[1];
  if (isDyn(q[3]) && !getScale())
    return emitOpError() << "a dynamic head dim needs an explicit 'scale'";
  bool windowed = getMask() == MaskKind::SlidingWindow;
  if (windowed && !getWindow())
    return emitOpError() << "mask(sliding_window) requires a 'window' size";
  if (!windowed && getWindow())
    return emitOpError()
           << "'window' is only allowed with mask(sliding_window)";
  if (Value m = getAdditiveMask()) {
    ArrayRef<int64_t> ms = shapeOf(m);
    SmallVector<int64_t> full = {q[0], q[1], q[2], k[2]};
    if (ms.size() < 2 || ms.size() > 4)
      return emitOpError() << "'additive_mask' must have rank 2 to 4, got "
                           << ms.size();
    for (size_t i = 0; i < ms.size(); ++i) {
      int64_t want = full[4 - ms.size() + i];
      if (ms[i] != 1 && !compatible(ms[i], want))
        return emitOpError()
               << "'additive_mask' shape " << shapeStr(ms)
               << " does not broadcast to [B, Hq, Nq, Nk] = " << shapeStr(full);
    }
  }
  return verifyResult(*this, {q[0], q[1], q[2], v[3]});
}

//===----------------------------------------------------------------------===//
// LinearOp / MatmulOp
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::verify() {
  if (failed(verifyElementTypes(*this)))
    return failure();
  ArrayRef<int64_t> x = shapeOf(getInput()), w = shapeOf(getWeight());
  if (x.empty())
    return emitOpError() << "'input' must have rank 1 or more";
  if (failed(verifyDim(*this, "weight", getWeight(), 1, x.back(),
                       "input features K")))
    return failure();
  if (getBias() &&
      failed(verifyDim(*this, "bias", getBias(), 0, w[0], "output features N")))
    return failure();
  SmallVector<int64_t> expected(x.begin(), x.end());
  expected.back() = w[0];
  return verifyResult(*this, expected);
}

LogicalResult MatmulOp::verify() {
  if (failed(verifyElementTypes(*this)))
    return failure();
  ArrayRef<int64_t> a = shapeOf(getLhs()), b = shapeOf(getRhs());
  if (a.size() < 2 || b.size() < 2)
    return emitOpError() << "operands must have rank 2 or more, got 'lhs' "
                         << shapeStr(a) << " and 'rhs' " << shapeStr(b);
  if (failed(verifyDim(*this, "rhs", getRhs(), b.size() - 2, a.back(),
                       "contraction K")))
    return failure();
  FailureOr<SmallVector<int64_t>> batch = broadcastShapes(
      *this, a.drop_back(2), b.drop_back(2), "lhs batch", "rhs batch");
  if (failed(batch))
    return failure();
  SmallVector<int64_t> expected = *batch;
  expected.push_back(a[a.size() - 2]);
  expected.push_back(b.back());
  return verifyResult(*this, expected);
}

//===----------------------------------------------------------------------===//
// Normalisation, softmax
//===----------------------------------------------------------------------===//

int64_t LayerNormOp::getNormalizedAxis() {
  int64_t rank = getInput().getType().getRank();
  int64_t axis = getAxis();
  return axis < 0 ? axis + rank : axis;
}

static LogicalResult verifyAxis(Operation *op, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return op->emitOpError()
           << "'axis' " << axis << " is out of range for rank " << rank;
  return success();
}

LogicalResult LayerNormOp::verify() {
  if (failed(verifyElementTypes(*this)))
    return failure();
  int64_t rank = getInput().getType().getRank();
  if (failed(verifyAxis(*this, getAxis(), rank)))
    return failure();
  if (getEpsilon().isNegative())
    return emitOpError() << "'epsilon' must be non-negative";
  if (getBias() && !getWeight())
    return emitOpError() << "a 'bias' requires a 'weight'";
  ArrayRef<int64_t> normalized =
      shapeOf(getInput()).drop_front(getNormalizedAxis());
  if (getWeight() &&
      failed(verifyShape(*this, "'weight'", shapeOf(getWeight()), normalized)))
    return failure();
  if (getBias() &&
      failed(verifyShape(*this, "'bias'", shapeOf(getBias()), normalized)))
    return failure();
  return verifyResult(*this, shapeOf(getInput()));
}

LogicalResult BatchNormOp::verify() {
  if (failed(verifyElementTypes(*this)))
    return failure();
  if (getInput().getType().getRank() < 2)
    return emitOpError() << "'input' must have rank 2 or more";
  if (getEpsilon().isNegative())
    return emitOpError() << "'epsilon' must be non-negative";
  int64_t c = shapeOf(getInput())[getChannelAxis()];
  for (auto [name, v] :
       {std::make_pair("scale", getScale()), std::make_pair("bias", getBias()),
        std::make_pair("mean", getMean()),
        std::make_pair("variance", getVariance())})
    if (failed(verifyDim(*this, name, v, 0, c, "channels")))
      return failure();
  return verifyResult(*this, shapeOf(getInput()));
}

LogicalResult SoftmaxOp::verify() {
  return verifyAxis(*this, getAxis(), getInput().getType().getRank());
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

LogicalResult ClampOp::verify() {
  if (getMin() && getMax() &&
      getMin()->convertToDouble() > getMax()->convertToDouble())
    return emitOpError() << "min " << getMin()->convertToDouble()
                         << " exceeds max " << getMax()->convertToDouble();
  return success();
}

OpFoldResult ReluOp::fold(FoldAdaptor) {
  // relu(relu(x)) == relu(x).
  if (getInput().getDefiningOp<ReluOp>())
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// Binary elementwise
//===----------------------------------------------------------------------===//

static LogicalResult verifyBinary(Operation *op) {
  if (failed(verifyElementTypes(op)))
    return failure();
  FailureOr<SmallVector<int64_t>> shape = broadcastShapes(
      op, shapeOf(op->getOperand(0)), shapeOf(op->getOperand(1)), "lhs", "rhs");
  if (failed(shape))
    return failure();
  return verifyResult(op, *shape);
}

/// x op c -> x when c is a splat identity and the result has x's type.
static OpFoldResult foldIdentity(Operation *op, Attribute rhsAttr,
                                 double identity) {
  Value lhs = op->getOperand(0);
  if (lhs.getType() != op->getResult(0).getType())
    return {};
  auto splat = dyn_cast_if_present<SplatElementsAttr>(rhsAttr);
  if (!splat || !isa<FloatType>(splat.getElementType()))
    return {};
  if (splat.getSplatValue<APFloat>().convertToDouble() != identity)
    return {};
  return lhs;
}

LogicalResult AddOp::verify() { return verifyBinary(*this); }
LogicalResult SubOp::verify() { return verifyBinary(*this); }
LogicalResult MulOp::verify() { return verifyBinary(*this); }
LogicalResult DivOp::verify() { return verifyBinary(*this); }

OpFoldResult AddOp::fold(FoldAdaptor a) {
  return foldIdentity(*this, a.getRhs(), 0.0);
}
OpFoldResult SubOp::fold(FoldAdaptor a) {
  return foldIdentity(*this, a.getRhs(), 0.0);
}
OpFoldResult MulOp::fold(FoldAdaptor a) {
  return foldIdentity(*this, a.getRhs(), 1.0);
}
OpFoldResult DivOp::fold(FoldAdaptor a) {
  return foldIdentity(*this, a.getRhs(), 1.0);
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

template <typename PoolOp> static LogicalResult verifyPool(PoolOp op) {
  if (failed(verifyElementTypes(op)) ||
      failed(verifyNonNegative(op, "kernel_size", op.getKernelSize(), true)) ||
      failed(verifyNonNegative(op, "strides", op.getStrides(), true)) ||
      failed(verifyNonNegative(op, "padding", op.getPadding(), false)))
    return failure();
  ArrayRef<int64_t> pad = op.getPadding(), k = op.getKernelSize();
  if (pad[0] >= k[0] || pad[2] >= k[0] || pad[1] >= k[1] || pad[3] >= k[1])
    return op.emitOpError()
           << "'padding' " << shapeStr(pad)
           << " must be smaller than 'kernel_size' " << shapeStr(k);
  bool nchw = op.getLayout() == Layout::NCHW;
  ArrayRef<int64_t> in = shapeOf(op.getInput());
  int64_t h = nchw ? in[2] : in[1], w = nchw ? in[3] : in[2];
  FailureOr<int64_t> oh =
      windowOutSize(op, "height", h, k[0], op.getStrides()[0], 1, pad[0],
                    pad[2], op.getCeilMode());
  if (failed(oh))
    return failure();
  FailureOr<int64_t> ow =
      windowOutSize(op, "width", w, k[1], op.getStrides()[1], 1, pad[1], pad[3],
                    op.getCeilMode());
  if (failed(ow))
    return failure();
  if (nchw)
    return verifyResult(op, {in[0], in[1], *oh, *ow});
  return verifyResult(op, {in[0], *oh, *ow, in[3]});
}

LogicalResult MaxPool2DOp::verify() { return verifyPool(*this); }
LogicalResult AvgPool2DOp::verify() { return verifyPool(*this); }

LogicalResult GlobalAvgPool2DOp::verify() {
  if (failed(verifyElementTypes(*this)))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput());
  if (getLayout() == Layout::NCHW)
    return verifyResult(*this, {in[0], in[1], 1, 1});
  return verifyResult(*this, {in[0], 1, 1, in[3]});
}

//===----------------------------------------------------------------------===//
// Reshapes
//===----------------------------------------------------------------------===//

LogicalResult ImageToTokensOp::verify() {
  if (failed(verifyElementTypes(*this)))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput());
  if (getLayout() == Layout::NCHW)
    return verifyResult(*this, {in[0], mulDims(in[2], in[3]), in[1]});
  return verifyResult(*this, {in[0], mulDims(in[1], in[2]), in[3]});
}

OpFoldResult ImageToTokensOp::fold(FoldAdaptor) {
  auto src = getInput().getDefiningOp<TokensToImageOp>();
  if (src && src.getLayout() == getLayout() &&
      src.getInput().getType() == getType())
    return src.getInput();
  return {};
}

LogicalResult TokensToImageOp::verify() {
  if (failed(verifyElementTypes(*this)))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput());
  int64_t h = getHeight(), w = getWidth();
  if (failed(verifyDim(*this, "input", getInput(), 1, h * w,
                       "tokens = height * width")))
    return failure();
  if (getLayout() == Layout::NCHW)
    return verifyResult(*this, {in[0], in[2], h, w});
  return verifyResult(*this, {in[0], h, w, in[2]});
}

OpFoldResult TokensToImageOp::fold(FoldAdaptor) {
  auto src = getInput().getDefiningOp<ImageToTokensOp>();
  if (src && src.getLayout() == getLayout() &&
      src.getInput().getType() == getType())
    return src.getInput();
  return {};
}

LogicalResult PatchEmbedOp::verify() {
  bool nchw = getLayout() == Layout::NCHW;
  ArrayRef<int64_t> f = shapeOf(getFilter()), in = shapeOf(getInput());
  int64_t ph = nchw ? f[2] : f[0], pw = nchw ? f[3] : f[1];
  if (isDyn(ph) || isDyn(pw))
    return emitOpError() << "the patch size (filter spatial dims) must be "
                            "static, got filter shape "
                         << shapeStr(f);
  int64_t h = nchw ? in[2] : in[1], w = nchw ? in[3] : in[2];
  if ((!isDyn(h) && h % ph != 0) || (!isDyn(w) && w % pw != 0))
    return emitOpError() << "image size " << dimStr(h) << "x" << dimStr(w)
                         << " is not a multiple of the patch size " << ph << "x"
                         << pw;
  int64_t strides[2] = {ph, pw}, dil[2] = {1, 1}, pad[4] = {0, 0, 0, 0};
  FailureOr<SmallVector<int64_t>> nhwc = verifyConvLike(
      *this, getInput(), getFilter(), getBias(), nchw, strides, dil, pad, 1);
  if (failed(nhwc))
    return failure();
  return verifyResult(
      *this, {(*nhwc)[0], mulDims((*nhwc)[1], (*nhwc)[2]), (*nhwc)[3]});
}

LogicalResult WindowPartitionOp::verify() {
  if (failed(verifyElementTypes(*this)) ||
      failed(verifyNonNegative(*this, "window_size", getWindowSize(), true)))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput()), ws = getWindowSize();
  if ((!isDyn(in[1]) && in[1] % ws[0] != 0) ||
      (!isDyn(in[2]) && in[2] % ws[1] != 0))
    return emitOpError() << "image size " << dimStr(in[1]) << "x"
                         << dimStr(in[2])
                         << " is not a multiple of the window size " << ws[0]
                         << "x" << ws[1];
  int64_t nh = isDyn(in[1]) ? kDyn : in[1] / ws[0];
  int64_t nw = isDyn(in[2]) ? kDyn : in[2] / ws[1];
  return verifyResult(*this,
                      {mulDims(in[0], mulDims(nh, nw)), ws[0] * ws[1], in[3]});
}

LogicalResult WindowMergeOp::verify() {
  if (failed(verifyElementTypes(*this)) ||
      failed(verifyNonNegative(*this, "window_size", getWindowSize(), true)))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput()), ws = getWindowSize();
  int64_t h = getHeight(), w = getWidth();
  if (h % ws[0] != 0 || w % ws[1] != 0)
    return emitOpError() << "image size " << h << "x" << w
                         << " is not a multiple of the window size " << ws[0]
                         << "x" << ws[1];
  if (failed(verifyDim(*this, "input", getInput(), 1, ws[0] * ws[1],
                       "tokens per window")))
    return failure();
  int64_t windows = (h / ws[0]) * (w / ws[1]);
  if (!isDyn(in[0]) && in[0] % windows != 0)
    return emitOpError() << "'input' dimension 0 (" << in[0]
                         << ") is not a multiple of the " << windows
                         << " windows per image";
  return verifyResult(*this,
                      {isDyn(in[0]) ? kDyn : in[0] / windows, h, w, in[2]});
}

OpFoldResult WindowMergeOp::fold(FoldAdaptor) {
  auto src = getInput().getDefiningOp<WindowPartitionOp>();
  if (src && src.getWindowSize() == getWindowSize() &&
      src.getInput().getType() == getType())
    return src.getInput();
  return {};
}

LogicalResult SplitHeadsOp::verify() {
  if (failed(verifyElementTypes(*this)))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput());
  int64_t heads = getNumHeads();
  if (!isDyn(in[2]) && in[2] % heads != 0)
    return emitOpError() << "channels " << in[2]
                         << " are not a multiple of num_heads " << heads;
  return verifyResult(
      *this, {in[0], heads, in[1], isDyn(in[2]) ? kDyn : in[2] / heads});
}

OpFoldResult SplitHeadsOp::fold(FoldAdaptor) {
  auto src = getInput().getDefiningOp<MergeHeadsOp>();
  if (src && src.getInput().getType() == getType())
    return src.getInput();
  return {};
}

LogicalResult MergeHeadsOp::verify() {
  if (failed(verifyElementTypes(*this)))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput());
  return verifyResult(*this, {in[0], in[2], mulDims(in[1], in[3])});
}

OpFoldResult MergeHeadsOp::fold(FoldAdaptor) {
  auto src = getInput().getDefiningOp<SplitHeadsOp>();
  if (src && src.getInput().getType() == getType())
    return src.getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// BlockOp
//===----------------------------------------------------------------------===//

YieldOp BlockOp::getYield() {
  return cast<YieldOp>(getBody().front().getTerminator());
}

LogicalResult BlockOp::verify() {
  if (getName().empty())
    return emitOpError() << "'name' must not be empty";
  Block &body = getBody().front();
  if (body.getNumArguments() != 0)
    return emitOpError() << "the body must have no arguments, got "
                         << body.getNumArguments();
  TypeRange yielded = getYield().getValues().getTypes();
  if (yielded == getResultTypes())
    return success();
  InFlightDiagnostic diag = emitOpError() << "yields " << yielded.size()
                                          << " value(s) of types ";
  llvm::interleaveComma(yielded, diag, [&](Type t) { diag << t; });
  diag << " but the block has " << getNumResults() << " result(s) of types ";
  llvm::interleaveComma(getResultTypes(), diag, [&](Type t) { diag << t; });
  return diag;
}
