//===- ONNXImporter.cpp - ONNX models to nn IR
//-----------------------------===//
//
// Part of the acc project.
//
// One pass over the (topologically sorted) graph. Every value is either known
// at import time (a HostTensor: initializers, Constant nodes and everything
// computed only from them, including the shapes of activations, which are
// static) or an SSA value of the function being built. A node whose inputs
// are all known is evaluated on the host when its op has a host evaluator;
// otherwise it is translated to IR, materializing the known inputs it needs
// as `arith.constant`s.
//
//===----------------------------------------------------------------------===//

#include "acc/Import/ONNXImporter.h"

#include "acc/Dialect/NN/IR/NNDialect.h"
#include "acc/Dialect/NN/IR/NNOps.h"
#include "acc/Dialect/NN/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"

#include "onnx/onnx_pb.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>

using namespace mlir;
using llvm::SmallVector;

namespace acc {
namespace {

//===----------------------------------------------------------------------===//
// Host tensors
//===----------------------------------------------------------------------===//

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
  Value value;
  bool known() const { return host != nullptr; }
  ArrayRef<int64_t> shape() const {
    return host ? ArrayRef<int64_t>(host->shape)
                : cast<RankedTensorType>(value.getType()).getShape();
  }
  int64_t rank() const { return shape().size(); }
};

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

//===----------------------------------------------------------------------===//
// The importer
//===----------------------------------------------------------------------===//

class Importer {
public:
  Importer(MLIRContext *ctx, StringRef fileName,
           const ONNXImportOptions &options)
      : ctx(ctx), fileName(fileName), options(options),
        fileLoc(FileLineColLoc::get(ctx, fileName, 0, 0)) {}

  OwningOpRef<ModuleOp> run(const onnx::ModelProto &model);

private:
  MLIRContext *ctx;
  std::string fileName;
  const ONNXImportOptions &options;
  Location fileLoc;
  int64_t opset = 0;

  llvm::StringMap<Val> values;
  /// The node being translated, for messages.
  const onnx::NodeProto *node = nullptr;
  Location loc = fileLoc;
  std::unique_ptr<ImplicitLocOpBuilder> b;
  /// Constants go to the top of the function body.
  std::unique_ptr<OpBuilder> constBuilder;
  /// Host tensors already materialized as constants (each kept alive, so
  /// that its address is never reused by another tensor).
  llvm::DenseMap<HostTensor *, std::pair<HostRef, Value>> materialized;

  Type f32() { return Float32Type::get(ctx); }
  nn::LayoutAttr nchw() { return nn::LayoutAttr::get(ctx, nn::Layout::NCHW); }
  RankedTensorType tensorType(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, f32());
  }

  // --- diagnostics --------------------------------------------------------
  InFlightDiagnostic error() {
    auto d = emitError(loc);
    if (node)
      d << "node '" << node->name() << "' (" << node->op_type() << "): ";
    return d;
  }

  // --- attributes ---------------------------------------------------------
  const onnx::AttributeProto *attr(StringRef name) const {
    for (const auto &a : node->attribute())
      if (a.name() == name)
        return &a;
    return nullptr;
  }
  int64_t attrInt(StringRef name, int64_t dflt) const {
    auto *a = attr(name);
    return a ? a->i() : dflt;
  }
  float attrFloat(StringRef name, float dflt) const {
    auto *a = attr(name);
    return a ? a->f() : dflt;
  }
  std::string attrString(StringRef name, StringRef dflt) const {
    auto *a = attr(name);
    return a ? a->s() : dflt.str();
  }
  std::optional<SmallVector<int64_t>> attrInts(StringRef name) const {
    auto *a = attr(name);
    if (!a)
      return std::nullopt;
    return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
  }

  // --- values -------------------------------------------------------------
  int numInputs() const {
    // Trailing empty names are absent optional inputs.
    int n = node->input_size();
    while (n > 0 && node->input(n - 1).empty())
      --n;
    return n;
  }
  bool hasInput(int k) const {
    return k < node->input_size() && !node->input(k).empty();
  }
  FailureOr<Val> input(int k) {
    if (!hasInput(k)) {
      error() << "input " << k << " is missing";
      return failure();
    }
    auto it = values.find(node->input(k));
    if (it == values.end()) {
      error() << "input '" << node->input(k)
              << "' is not produced by any earlier node, initializer or "
                 "graph input";
      return failure();
    }
    return it->second;
  }
  FailureOr<HostRef> knownInput(int k, StringRef what) {
    FailureOr<Val> v = input(k);
    if (failed(v))
      return failure();
    if (!v->known()) {
      error() << what << " (input " << k
              << ") must be known at import time; acc needs static shapes";
      return failure();
    }
    return v->host;
  }
  FailureOr<Value> runtimeInput(int k) {
    FailureOr<Val> v = input(k);
    if (failed(v))
      return failure();
    return toValue(*v);
  }
  LogicalResult setOutput(int k, Val v) {
    if (k >= node->output_size())
      return success();
    if (!node->output(k).empty())
      values[node->output(k)] = std::move(v);
    return success();
  }
  LogicalResult setOutput(Value v) { return setOutput(0, Val{nullptr, v}); }
  LogicalResult setHost(HostRef h) { return setOutput(0, Val{h, Value()}); }

  FailureOr<Value> toValue(const Val &v) {
    if (!v.known())
      return v.value;
    if (!v.host->isFloat) {
      error() << "an integer tensor of shape " << shapeStr(v.host->shape)
              << " is used as data; acc computes in f32 only";
      return failure();
    }
    auto [it, inserted] =
        materialized.try_emplace(v.host.get(), v.host, Value());
    if (!inserted)
      return it->second.second;
    auto type = tensorType(v.host->shape);
    auto attr = DenseElementsAttr::get(
        type, ArrayRef<float>(v.host->f.data(), v.host->f.size()));
    it->second.second =
        arith::ConstantOp::create(*constBuilder, fileLoc, type, attr);
    return it->second.second;
  }

  // --- IR helpers ---------------------------------------------------------
  Value empty(ArrayRef<int64_t> shape) {
    return tensor::EmptyOp::create(*b, shape, f32());
  }
  Value reshape(Value v, ArrayRef<int64_t> shape);
  Value transpose(Value v, ArrayRef<int64_t> perm);
  Value splat(float x, ArrayRef<int64_t> shape) {
    auto type = tensorType(shape);
    return arith::ConstantOp::create(*constBuilder, fileLoc, type,
                                     DenseElementsAttr::get(type, x));
  }

  // --- translation --------------------------------------------------------
  LogicalResult loadTensor(const onnx::TensorProto &t, HostRef &out,
                           StringRef what);
  LogicalResult translateNode();
  LogicalResult translateNodes(const onnx::GraphProto &graph);
  LogicalResult inlineIf();
  LogicalResult evaluateOnHost(bool &done);
  LogicalResult translateRuntime();

  LogicalResult conv();
  LogicalResult gemm();
  LogicalResult matmul();
  LogicalResult binary(StringRef op);
  LogicalResult pool(StringRef op);
  LogicalResult reshapeLike(StringRef op);
  LogicalResult transposeOp();
  LogicalResult concat();
  LogicalResult slice();
  LogicalResult split();
  LogicalResult tile();
  LogicalResult gather();
  LogicalResult pad();
  LogicalResult expand();
  LogicalResult layerNorm();
  LogicalResult batchNorm();
  LogicalResult softmax();
  LogicalResult reduceMean();
  LogicalResult pow();
  LogicalResult where();
  LogicalResult clip();
  template <typename LinalgOp> LogicalResult linalgUnary();
};

//===----------------------------------------------------------------------===//
// Tensor data
//===----------------------------------------------------------------------===//

LogicalResult Importer::loadTensor(const onnx::TensorProto &t, HostRef &out,
                                   StringRef what) {
  auto fail = [&]() {
    auto d = error();
    d << what << " '" << t.name() << "': ";
    return d;
  };
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    return fail() << "external data files are not supported; save the model "
                     "with its weights inside the .onnx file";
  auto h = std::make_shared<HostTensor>();
  for (int64_t d : t.dims()) {
    if (d < 0)
      return fail() << "negative dimension " << d;
    h->shape.push_back(d);
  }
  int64_t n = 1;
  for (int64_t d : h->shape) {
    if (d != 0 && n > std::numeric_limits<int32_t>::max() / d)
      return fail() << "more than 2^31 elements";
    n *= d;
  }
  // Elements stored as `S` (raw little-endian bytes, or the typed field
  // that protobuf decoded), converted to the host tensor's element type.
  const std::string &raw = t.raw_data();
  auto decode = [&](auto stored, const auto &typed,
                    auto &out) -> LogicalResult {
    using S = decltype(stored);
    out.reserve(n);
    if (!raw.empty() || n == 0) {
      if (raw.size() != size_t(n) * sizeof(S))
        return fail() << "holds " << raw.size()
                      << " bytes of data but its shape " << shapeStr(h->shape)
                      << " needs " << n * int64_t(sizeof(S));
      for (int64_t k = 0; k < n; ++k) {
        S x;
        std::memcpy(&x, raw.data() + k * sizeof(S), sizeof(S));
        out.push_back(x);
      }
      return success();
    }
    if (int64_t(typed.size()) != n)
      return fail() << "holds " << typed.size() << " elements but its shape "
                    << shapeStr(h->shape) << " needs " << n;
    for (auto x : typed)
      out.push_back(S(x));
    return success();
  };
  LogicalResult decoded = failure();
  switch (t.data_type()) {
  case onnx::TensorProto::FLOAT:
    decoded = decode(float(), t.float_data(), h->f);
    break;
  case onnx::TensorProto::DOUBLE:
    decoded = decode(double(), t.double_data(), h->f);
    break;
  case onnx::TensorProto::INT64:
    h->isFloat = false;
    decoded = decode(int64_t(), t.int64_data(), h->i);
    break;
  case onnx::TensorProto::INT32:
    h->isFloat = false;
    decoded = decode(int32_t(), t.int32_data(), h->i);
    break;
  case onnx::TensorProto::INT8:
    h->isFloat = false;
    decoded = decode(int8_t(), t.int32_data(), h->i);
    break;
  case onnx::TensorProto::UINT8:
  case onnx::TensorProto::BOOL:
    h->isFloat = false;
    decoded = decode(uint8_t(), t.int32_data(), h->i);
    break;
  default:
    return fail() << "element type "
                  << onnx::TensorProto::DataType_Name(
                         onnx::TensorProto::DataType(t.data_type()))
                  << " is not supported (float, double and integer types are)";
  }
  if (failed(decoded))
    return failure();
  out = std::move(h);
  return success();
}

//===----------------------------------------------------------------------===//
// IR helpers
//===----------------------------------------------------------------------===//

Value Importer::reshape(Value v, ArrayRef<int64_t> shape) {
  auto srcType = cast<RankedTensorType>(v.getType());
  if (srcType.getShape() == shape)
    return v;
  auto dstType = tensorType(shape);
  if (srcType.getRank() == 0 || dstType.getRank() == 0) {
    // Rank-0 <-> any unit shape: a reassociation with no groups.
    if (srcType.getRank() == 0)
      return tensor::ExpandShapeOp::create(*b, dstType, v,
                                           SmallVector<ReassociationIndices>{});
    return tensor::CollapseShapeOp::create(*b, dstType, v,
                                           SmallVector<ReassociationIndices>{});
  }
  if (srcType.getRank() > dstType.getRank()) {
    if (auto re = getReassociationIndicesForReshape(srcType, dstType))
      return tensor::CollapseShapeOp::create(*b, dstType, v, *re);
  } else if (srcType.getRank() < dstType.getRank()) {
    if (auto re = getReassociationIndicesForReshape(dstType, srcType))
      return tensor::ExpandShapeOp::create(*b, dstType, v, *re);
  }
  // No common refinement: through the flat vector.
  int64_t n = product(srcType.getShape());
  ReassociationIndices all;
  for (int64_t k = 0; k < srcType.getRank(); ++k)
    all.push_back(k);
  Value flat = tensor::CollapseShapeOp::create(
      *b, tensorType({n}), v, SmallVector<ReassociationIndices>{all});
  ReassociationIndices allDst;
  for (int64_t k = 0; k < dstType.getRank(); ++k)
    allDst.push_back(k);
  return tensor::ExpandShapeOp::create(
      *b, dstType, flat, SmallVector<ReassociationIndices>{allDst});
}

Value Importer::transpose(Value v, ArrayRef<int64_t> perm) {
  auto shape = cast<RankedTensorType>(v.getType()).getShape();
  bool identity = true;
  SmallVector<int64_t> outShape;
  for (size_t k = 0; k < perm.size(); ++k) {
    outShape.push_back(shape[perm[k]]);
    identity &= perm[k] == int64_t(k);
  }
  if (identity)
    return v;
  // Moving only unit dims keeps the data in place: a reshape.
  SmallVector<int64_t> order;
  for (int64_t p : perm)
    if (shape[p] != 1)
      order.push_back(p);
  if (llvm::is_sorted(order))
    return reshape(v, outShape);
  return linalg::TransposeOp::create(*b, v, empty(outShape), perm)
      .getResult()[0];
}

//===----------------------------------------------------------------------===//
// Host evaluation (shape subgraphs and constant weights)
//===----------------------------------------------------------------------===//

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

LogicalResult Importer::evaluateOnHost(bool &done) {
  done = false;
  StringRef op = node->op_type();
  int n = numInputs();
  SmallVector<HostRef> in;
  for (int k = 0; k < n; ++k) {
    if (!hasInput(k)) {
      in.push_back(nullptr);
      continue;
    }
    FailureOr<Val> v = input(k);
    if (failed(v))
      return failure();
    // Shape only needs the shape.
    if (op == "Shape" && k == 0) {
      SmallVector<int64_t> s(v->shape());
      int64_t r = s.size();
      int64_t start = attrInt("start", 0), end = attrInt("end", r);
      start = std::clamp<int64_t>(start < 0 ? start + r : start, 0, r);
      end = std::clamp<int64_t>(end < 0 ? end + r : end, 0, r);
      std::vector<int64_t> dims(s.begin() + start,
                                s.begin() + std::max(start, end));
      done = true;
      int64_t count = dims.size();
      return setHost(HostTensor::ints({count}, std::move(dims)));
    }
    if (op == "Size" && k == 0) {
      done = true;
      return setHost(HostTensor::ints({}, {product(v->shape())}));
    }
    if (!v->known())
      return success(); // Not a host computation.
    in.push_back(v->host);
  }

  auto elementwise = [&](auto fn, bool toInt = false) -> LogicalResult {
    SmallVector<int64_t> shape;
    for (auto &t : in) {
      auto s = broadcast(shape, t->shape);
      if (!s)
        return error() << "shapes " << shapeStr(shape) << " and "
                       << shapeStr(t->shape) << " do not broadcast";
      shape = *s;
    }
    bool anyFloat = llvm::any_of(in, [](auto &t) { return t->isFloat; });
    auto out = std::make_shared<HostTensor>();
    out->shape = shape;
    out->isFloat = anyFloat && !toInt;
    int64_t count = product(shape);
    for (int64_t k = 0; k < count; ++k) {
      SmallVector<double, 3> args;
      for (auto &t : in)
        args.push_back(t->at(broadcastIndex(k, shape, t->shape)));
      double r = fn(args);
      if (out->isFloat)
        out->f.push_back(float(r));
      else
        out->i.push_back(int64_t(r));
    }
    done = true;
    return setHost(out);
  };
  bool intMath = !llvm::any_of(in, [](auto &t) { return t && t->isFloat; });
  auto all = [&]() { return llvm::all_of(in, [](auto &t) { return !!t; }); };

  if (op == "Identity" || op == "Dropout") {
    done = true;
    return setHost(in[0]);
  }
  if (op == "Add" && all())
    return elementwise([](auto a) { return a[0] + a[1]; });
  if (op == "Sub" && all())
    return elementwise([](auto a) { return a[0] - a[1]; });
  if (op == "Mul" && all())
    return elementwise([](auto a) { return a[0] * a[1]; });
  if (op == "Div" && all()) {
    if (intMath)
      for (int64_t x : in[1]->i)
        if (x == 0)
          return error() << "integer division by zero";
    return elementwise([&](auto a) {
      return intMath ? std::floor(a[0] / a[1]) : a[0] / a[1];
    });
  }
  if (op == "Equal" && all())
    return elementwise([](auto a) { return double(a[0] == a[1]); }, true);
  if (op == "Less" && all())
    return elementwise([](auto a) { return double(a[0] < a[1]); }, true);
  if (op == "Greater" && all())
    return elementwise([](auto a) { return double(a[0] > a[1]); }, true);
  if (op == "Not" && all())
    return elementwise([](auto a) { return double(a[0] == 0); }, true);
  if (op == "Neg" && all())
    return elementwise([](auto a) { return -a[0]; });
  if (op == "Sqrt" && all())
    return elementwise([](auto a) { return std::sqrt(a[0]); });
  if (op == "Pow" && all())
    return elementwise([](auto a) { return std::pow(a[0], a[1]); });
  if (op == "Exp" && all())
    return elementwise([](auto a) { return std::exp(a[0]); });
  if (op == "Erf" && all())
    return elementwise([](auto a) { return std::erf(a[0]); });
  if (op == "Tanh" && all())
    return elementwise([](auto a) { return std::tanh(a[0]); });
  if (op == "Abs" && all())
    return elementwise([](auto a) { return std::abs(a[0]); });
  if (op == "Reciprocal" && all())
    return elementwise([](auto a) { return 1.0 / a[0]; });
  if (op == "ScatterND" && all()) {
    if (attrString("reduction", "none") != "none")
      return error() << "only reduction 'none' is supported";
    const HostTensor &data = *in[0], &idx = *in[1], &upd = *in[2];
    if (idx.isFloat || idx.shape.empty())
      return error() << "indices must be an integer tensor of rank >= 1";
    int64_t k = idx.shape.back(), r = data.shape.size();
    if (k > r)
      return error() << "index tuples of " << k << " for rank " << r;
    int64_t slice = product(ArrayRef<int64_t>(data.shape).drop_front(k));
    int64_t tuples = idx.numel() / std::max<int64_t>(k, 1);
    if (upd.numel() != tuples * slice)
      return error() << "updates have " << upd.numel() << " elements, "
                     << tuples * slice << " expected";
    auto out = std::make_shared<HostTensor>(data);
    SmallVector<int64_t> strides = data.strides();
    for (int64_t t = 0; t < tuples; ++t) {
      int64_t base = 0;
      for (int64_t j = 0; j < k; ++j) {
        int64_t v = idx.i[t * k + j];
        if (v < 0)
          v += data.shape[j];
        if (v < 0 || v >= data.shape[j])
          return error() << "index " << idx.i[t * k + j]
                         << " out of range for dimension " << data.shape[j];
        base += v * strides[j];
      }
      for (int64_t e = 0; e < slice; ++e) {
        if (out->isFloat)
          out->f[base + e] = float(upd.at(t * slice + e));
        else
          out->i[base + e] = int64_t(upd.at(t * slice + e));
      }
    }
    done = true;
    return setHost(out);
  }
  if (op == "Mod" && all()) {
    bool fmod = attrInt("fmod", 0);
    for (auto &t : in)
      if (!fmod && t->isFloat)
        return error() << "Mod of floats needs fmod = 1";
    if (!intMath || fmod)
      return elementwise([](auto a) { return std::fmod(a[0], a[1]); });
    for (int64_t x : in[1]->i)
      if (x == 0)
        return error() << "integer modulo by zero";
    // Integer Mod takes the sign of the divisor (Python's %).
    return elementwise([](auto a) {
      double r = std::fmod(a[0], a[1]);
      return r != 0 && ((r < 0) != (a[1] < 0)) ? r + a[1] : r;
    });
  }
  if (op == "Max" && all() && in.size() == 2)
    return elementwise([](auto a) { return std::max(a[0], a[1]); });
  if (op == "Min" && all() && in.size() == 2)
    return elementwise([](auto a) { return std::min(a[0], a[1]); });
  if (op == "Where" && all()) {
    // The result type is that of the branches.
    bool isFloat = in[1]->isFloat || in[2]->isFloat;
    auto cond = in[0];
    in.erase(in.begin());
    in.push_back(cond);
    return elementwise([](auto a) { return a[2] != 0 ? a[0] : a[1]; },
                       !isFloat);
  }
  if (op == "Cast" && all()) {
    int64_t to = attrInt("to", onnx::TensorProto::FLOAT);
    auto out = std::make_shared<HostTensor>(*in[0]);
    bool toFloat = to == onnx::TensorProto::FLOAT ||
                   to == onnx::TensorProto::DOUBLE ||
                   to == onnx::TensorProto::FLOAT16;
    if (toFloat && !out->isFloat) {
      out->f.assign(out->i.begin(), out->i.end());
      out->i.clear();
    } else if (!toFloat && out->isFloat) {
      for (float x : out->f)
        out->i.push_back(to == onnx::TensorProto::BOOL ? (x != 0) : int64_t(x));
      out->f.clear();
    }
    out->isFloat = toFloat;
    done = true;
    return setHost(out);
  }
  if (op == "ConstantOfShape" && all()) {
    auto shape = in[0];
    auto out = std::make_shared<HostTensor>();
    out->shape.assign(shape->i.begin(), shape->i.end());
    for (int64_t d : out->shape)
      if (d < 0)
        return error() << "negative dimension " << d;
    HostRef value;
    if (auto *a = attr("value"))
      if (failed(loadTensor(a->t(), value, "value")))
        return failure();
    out->isFloat = value ? value->isFloat : true;
    if (out->isFloat)
      out->f.assign(out->numel(), value ? value->f[0] : 0.0f);
    else
      out->i.assign(out->numel(), value->i[0]);
    done = true;
    return setHost(out);
  }
  if (op == "Range" && all()) {
    double start = in[0]->at(0), limit = in[1]->at(0), delta = in[2]->at(0);
    if (delta == 0)
      return error() << "delta is 0";
    int64_t count =
        std::max<int64_t>(int64_t(std::ceil((limit - start) / delta)), 0);
    if (count > (int64_t(1) << 28))
      return error() << "range of " << count << " elements";
    auto out = std::make_shared<HostTensor>();
    out->isFloat = !intMath;
    out->shape = {count};
    for (int64_t k = 0; k < count; ++k) {
      if (out->isFloat)
        out->f.push_back(float(start + k * delta));
      else
        out->i.push_back(int64_t(start) + k * int64_t(delta));
    }
    done = true;
    return setHost(out);
  }
  // The data-movement ops (Reshape, Transpose, Concat, Gather, Slice, ...)
  // share their shape logic with the runtime translation, which moves host
  // data when their inputs are known.
  return success();
}

//===----------------------------------------------------------------------===//
// Node translation
//===----------------------------------------------------------------------===//

LogicalResult Importer::translateNode() {
  StringRef op = node->op_type();
  if (!node->domain().empty() && node->domain() != "ai.onnx")
    return error() << "operator domain '" << node->domain()
                   << "' is not supported (only the default ONNX domain is)";
  if (op == "Constant") {
    HostRef h;
    if (auto *a = attr("value")) {
      if (failed(loadTensor(a->t(), h, "value")))
        return failure();
    } else if (auto *a = attr("value_float")) {
      h = HostTensor::floats({}, {a->f()});
    } else if (auto *a = attr("value_floats")) {
      h = HostTensor::floats({int64_t(a->floats_size())},
                             {a->floats().begin(), a->floats().end()});
    } else if (auto *a = attr("value_int")) {
      h = HostTensor::ints({}, {a->i()});
    } else if (auto *a = attr("value_ints")) {
      h = HostTensor::ints({int64_t(a->ints_size())},
                           {a->ints().begin(), a->ints().end()});
    } else {
      return error() << "only tensor, float(s) and int(s) values are supported";
    }
    return setHost(h);
  }
  if (op == "If")
    return inlineIf();
  bool done = false;
  if (failed(evaluateOnHost(done)))
    return failure();
  if (done)
    return success();
  return translateRuntime();
}

LogicalResult Importer::translateNodes(const onnx::GraphProto &graph) {
  for (const auto &init : graph.initializer()) {
    HostRef h;
    if (failed(loadTensor(init, h, "initializer")))
      return failure();
    values[init.name()] = Val{h, Value()};
  }
  for (const auto &n : graph.node()) {
    node = &n;
    std::string name = n.name().empty() ? n.op_type() : n.name();
    loc = NameLoc::get(StringAttr::get(ctx, name), fileLoc);
    b->setLoc(loc);
    for (const auto &out : n.output())
      if (!out.empty() && values.count(out))
        return error() << "output '" << out << "' is produced twice";
    if (failed(translateNode()))
      return failure();
  }
  return success();
}

/// PyTorch writes `If` where a shape check is dynamic in general; with
/// static shapes the condition is known and the taken branch is inlined.
LogicalResult Importer::inlineIf() {
  FailureOr<Val> c = input(0);
  if (failed(c))
    return failure();
  if (!c->known() || c->host->numel() != 1)
    return error() << "the condition depends on the model's inputs; only "
                      "conditions known at import time are supported";
  const onnx::NodeProto *ifNode = node;
  const auto *branch =
      attr(c->host->at(0) != 0 ? "then_branch" : "else_branch");
  if (!branch || !branch->has_g())
    return error() << "the taken branch is missing";
  const onnx::GraphProto &g = branch->g();
  if (g.output_size() != ifNode->output_size())
    return error() << "the branch has " << g.output_size()
                   << " outputs, the node " << ifNode->output_size();
  if (failed(translateNodes(g)))
    return failure();
  node = ifNode;
  loc = NameLoc::get(StringAttr::get(ctx, node->name()), fileLoc);
  for (int k = 0; k < g.output_size(); ++k) {
    auto it = values.find(g.output(k).name());
    if (it == values.end())
      return error() << "the branch never produces '" << g.output(k).name()
                     << "'";
    Val v = it->second;
    if (failed(setOutput(k, v)))
      return failure();
  }
  return success();
}

LogicalResult Importer::translateRuntime() {
  StringRef op = node->op_type();
  // Unary ops with an nn counterpart.
  auto unary = [&](auto tag) -> LogicalResult {
    using OpTy = decltype(tag);
    FailureOr<Value> x = runtimeInput(0);
    if (failed(x))
      return failure();
    return setOutput(OpTy::create(*b, x->getType(), *x).getResult());
  };
  if (op == "Identity" || op == "Dropout") {
    FailureOr<Val> v = input(0);
    if (failed(v))
      return failure();
    return setOutput(0, *v);
  }
  if (op == "Cast") {
    int64_t to = attrInt("to", 0);
    if (to != onnx::TensorProto::FLOAT)
      return error() << "casting an activation to "
                     << onnx::TensorProto::DataType_Name(
                            onnx::TensorProto::DataType(to))
                     << " is not supported (acc computes in f32)";
    FailureOr<Val> v = input(0);
    if (failed(v))
      return failure();
    return setOutput(0, *v);
  }
  if (op == "Relu")
    return unary(nn::ReluOp());
  if (op == "Sigmoid")
    return unary(nn::SigmoidOp());
  if (op == "HardSwish")
    return unary(nn::HardSwishOp());
  if (op == "HardSigmoid") {
    FailureOr<Value> x = runtimeInput(0);
    if (failed(x))
      return failure();
    return setOutput(nn::HardSigmoidOp::create(
        *b, x->getType(), *x, b->getF32FloatAttr(attrFloat("alpha", 0.2f)),
        b->getF32FloatAttr(attrFloat("beta", 0.5f))));
  }
  if (op == "Clip")
    return clip();
  if (op == "Erf")
    return linalgUnary<linalg::ErfOp>();
  if (op == "Sqrt")
    return linalgUnary<linalg::SqrtOp>();
  if (op == "Exp")
    return linalgUnary<linalg::ExpOp>();
  if (op == "Tanh")
    return linalgUnary<linalg::TanhOp>();
  if (op == "Neg")
    return linalgUnary<linalg::NegFOp>();
  if (op == "Abs")
    return linalgUnary<linalg::AbsOp>();
  if (op == "Reciprocal")
    return linalgUnary<linalg::ReciprocalOp>();
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div")
    return binary(op);
  if (op == "Pow")
    return pow();
  if (op == "Conv")
    return conv();
  if (op == "Gemm")
    return gemm();
  if (op == "MatMul")
    return matmul();
  if (op == "MaxPool" || op == "AveragePool" || op == "GlobalAveragePool")
    return pool(op);
  if (op == "Reshape" || op == "Flatten" || op == "Squeeze" ||
      op == "Unsqueeze")
    return reshapeLike(op);
  if (op == "Transpose")
    return transposeOp();
  if (op == "Concat")
    return concat();
  if (op == "Slice")
    return slice();
  if (op == "Split")
    return split();
  if (op == "Tile")
    return tile();
  if (op == "Gather")
    return gather();
  if (op == "Pad")
    return pad();
  if (op == "Expand")
    return expand();
  if (op == "LayerNormalization")
    return layerNorm();
  if (op == "BatchNormalization")
    return batchNorm();
  if (op == "Softmax")
    return softmax();
  if (op == "ReduceMean")
    return reduceMean();
  if (op == "Where")
    return where();
  static const llvm::StringSet<> hostOnly = {"Shape", "Size",           "Equal",
                                             "Less",  "Greater",        "Not",
                                             "Range", "ConstantOfShape"};
  if (hostOnly.contains(op))
    return error() << "is supported only on values known at import time "
                      "(shape computations); here an input depends on the "
                      "model's inputs";
  return error() << "operator '" << op << "' is not supported";
}

template <typename LinalgOp> LogicalResult Importer::linalgUnary() {
  FailureOr<Value> x = runtimeInput(0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  Value out = empty(type.getShape());
  return setOutput(
      LinalgOp::create(*b, TypeRange{type}, ValueRange{*x}, ValueRange{out})
          ->getResult(0));
}

LogicalResult Importer::binary(StringRef op) {
  FailureOr<Val> l = input(0), r = input(1);
  if (failed(l) || failed(r))
    return failure();
  auto shape = broadcast(l->shape(), r->shape());
  if (!shape)
    return error() << "shapes " << shapeStr(l->shape()) << " and "
                   << shapeStr(r->shape()) << " do not broadcast";
  FailureOr<Value> lv = toValue(*l), rv = toValue(*r);
  if (failed(lv) || failed(rv))
    return failure();
  Type type = tensorType(*shape);
  Value res;
  if (op == "Add")
    res = nn::AddOp::create(*b, type, *lv, *rv);
  else if (op == "Sub")
    res = nn::SubOp::create(*b, type, *lv, *rv);
  else if (op == "Mul")
    res = nn::MulOp::create(*b, type, *lv, *rv);
  else
    res = nn::DivOp::create(*b, type, *lv, *rv);
  return setOutput(res);
}

LogicalResult Importer::pow() {
  FailureOr<Val> x = input(0), e = input(1);
  if (failed(x) || failed(e))
    return failure();
  FailureOr<Value> xv = toValue(*x);
  if (failed(xv))
    return failure();
  if (e->known() && e->host->numel() == 1) {
    double p = e->host->at(0);
    if (p == 1)
      return setOutput(*xv);
    if (p == 2)
      return setOutput(nn::MulOp::create(*b, xv->getType(), *xv, *xv));
    if (p == 0.5) {
      return setOutput(linalg::SqrtOp::create(*b, TypeRange{xv->getType()},
                                              ValueRange{*xv},
                                              ValueRange{empty(x->shape())})
                           ->getResult(0));
    }
  }
  auto shape = broadcast(x->shape(), e->shape());
  if (!shape || ArrayRef<int64_t>(*shape) != x->shape())
    return error() << "the exponent's shape " << shapeStr(e->shape())
                   << " must broadcast to the base's " << shapeStr(x->shape());
  Value ev;
  if (e->known()) {
    if (e->host->numel() != 1)
      return error() << "a non-scalar exponent is not supported";
    ev = splat(float(e->host->at(0)), x->shape());
  } else {
    if (e->shape() != x->shape())
      return error() << "a runtime exponent must have the base's shape";
    ev = e->value;
  }
  return setOutput(linalg::PowFOp::create(*b, TypeRange{xv->getType()},
                                          ValueRange{*xv, ev},
                                          ValueRange{empty(x->shape())})
                       ->getResult(0));
}

/// Where with a condition known at import time (masked_fill with a constant
/// mask): a select between the branches, broadcast to the result's shape.
LogicalResult Importer::where() {
  FailureOr<Val> c = input(0), x = input(1), y = input(2);
  if (failed(c) || failed(x) || failed(y))
    return failure();
  if (!c->known())
    return error() << "the condition depends on the model's inputs; only "
                      "conditions known at import time are supported";
  auto shape = broadcast(c->shape(), x->shape());
  if (shape)
    shape = broadcast(*shape, y->shape());
  if (!shape)
    return error() << "condition " << shapeStr(c->shape()) << ", "
                   << shapeStr(x->shape()) << " and " << shapeStr(y->shape())
                   << " do not broadcast";
  FailureOr<Value> xv = toValue(*x), yv = toValue(*y);
  if (failed(xv) || failed(yv))
    return failure();
  // The condition as bytes (i1 vectors would be read bit-packed from a
  // byte-per-element buffer).
  auto condType = RankedTensorType::get(c->shape(), b->getI8Type());
  SmallVector<int8_t> bytes;
  for (int64_t k = 0; k < c->host->numel(); ++k)
    bytes.push_back(c->host->at(k) != 0);
  Value cond = arith::ConstantOp::create(
      *constBuilder, fileLoc, condType,
      DenseElementsAttr::get(condType, ArrayRef<int8_t>(bytes)));
  int64_t r = shape->size();
  // Trailing-aligned broadcast maps: a size-1 or missing dim reads index 0.
  auto mapFor = [&](ArrayRef<int64_t> s) {
    SmallVector<AffineExpr> exprs;
    for (size_t k = 0; k < s.size(); ++k) {
      int64_t d = r - int64_t(s.size()) + int64_t(k);
      exprs.push_back(s[k] == 1 && (*shape)[d] != 1
                          ? b->getAffineConstantExpr(0)
                          : b->getAffineDimExpr(d));
    }
    return AffineMap::get(r, 0, exprs, ctx);
  };
  SmallVector<AffineMap> maps = {mapFor(c->shape()), mapFor(x->shape()),
                                 mapFor(y->shape()),
                                 b->getMultiDimIdentityMap(r)};
  SmallVector<utils::IteratorType> iters(r, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      *b, TypeRange{tensorType(*shape)}, ValueRange{cond, *xv, *yv},
      ValueRange{empty(*shape)}, maps, iters,
      [](OpBuilder &nb, Location l, ValueRange args) {
        Value zero = arith::ConstantIntOp::create(nb, l, nb.getI8Type(), 0);
        Value set = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ne,
                                          args[0], zero);
        Value v = arith::SelectOp::create(nb, l, set, args[1], args[2]);
        linalg::YieldOp::create(nb, l, v);
      });
  return setOutput(generic.getResult(0));
}

LogicalResult Importer::clip() {
  FailureOr<Value> x = runtimeInput(0);
  if (failed(x))
    return failure();
  FloatAttr bounds[2];
  for (int k = 0; k < 2; ++k) {
    std::optional<float> v;
    if (opset >= 11) {
      if (hasInput(k + 1)) {
        FailureOr<HostRef> h =
            knownInput(k + 1, k == 0 ? "the lower bound" : "the upper bound");
        if (failed(h))
          return failure();
        if ((*h)->numel() != 1)
          return error() << "the bounds must be scalars";
        v = float((*h)->at(0));
      }
    } else if (attr(k == 0 ? "min" : "max")) {
      v = attrFloat(k == 0 ? "min" : "max", 0.0f);
    }
    if (v)
      bounds[k] = b->getF32FloatAttr(*v);
  }
  if (bounds[0] && bounds[1] &&
      bounds[0].getValueAsDouble() > bounds[1].getValueAsDouble())
    return error() << "min " << bounds[0].getValueAsDouble() << " exceeds max "
                   << bounds[1].getValueAsDouble();
  if (!bounds[0] && !bounds[1])
    return setOutput(*x);
  return setOutput(
      nn::ClampOp::create(*b, x->getType(), *x, bounds[0], bounds[1]));
}

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

LogicalResult Importer::conv() {
  FailureOr<Val> x = input(0), w = input(1);
  if (failed(x) || failed(w))
    return failure();
  if (x->rank() != 4 || w->rank() != 4)
    return error() << "only 2-D convolutions (rank-4 input and weight) are "
                      "supported; got input "
                   << shapeStr(x->shape()) << " and weight "
                   << shapeStr(w->shape());
  int64_t groups = attrInt("group", 1);
  auto ks = attrInts("kernel_shape");
  SmallVector<int64_t> kernel = {w->shape()[2], w->shape()[3]};
  if (ks && ArrayRef<int64_t>(*ks) != ArrayRef<int64_t>(kernel))
    return error() << "kernel_shape " << shapeStr(*ks)
                   << " contradicts the weight's shape "
                   << shapeStr(w->shape());
  SmallVector<int64_t> strides =
      attrInts("strides").value_or(SmallVector<int64_t>{1, 1});
  SmallVector<int64_t> dil =
      attrInts("dilations").value_or(SmallVector<int64_t>{1, 1});
  SmallVector<int64_t> pads =
      attrInts("pads").value_or(SmallVector<int64_t>{0, 0, 0, 0});
  if (strides.size() != 2 || dil.size() != 2 || pads.size() != 4)
    return error() << "strides, dilations and pads must have 2, 2 and 4 "
                      "entries";
  if (failed(explicitPadding(attrString("auto_pad", "NOTSET"),
                             x->shape().drop_front(2), kernel, strides, dil,
                             pads)))
    return error() << "unknown auto_pad '" << attrString("auto_pad", "") << "'";
  int64_t c = x->shape()[1], f = w->shape()[0];
  if (groups <= 0 || c % groups || w->shape()[1] * groups != c || f % groups)
    return error() << "input channels " << c << ", weight "
                   << shapeStr(w->shape()) << " and group " << groups
                   << " are inconsistent";
  SmallVector<int64_t> outShape = {x->shape()[0], f};
  for (int a = 0; a < 2; ++a) {
    int64_t span = dil[a] * (kernel[a] - 1) + 1;
    int64_t padded = x->shape()[2 + a] + pads[a] + pads[a + 2];
    if (strides[a] <= 0 || dil[a] <= 0 || padded < span)
      return error() << "the window does not fit the padded input";
    outShape.push_back((padded - span) / strides[a] + 1);
  }
  FailureOr<Value> xv = toValue(*x), wv = toValue(*w);
  if (failed(xv) || failed(wv))
    return failure();
  Value bias;
  if (hasInput(2)) {
    FailureOr<Value> bv = runtimeInput(2);
    if (failed(bv))
      return failure();
    bias = *bv;
  }
  return setOutput(nn::Conv2DOp::create(
      *b, tensorType(outShape), *xv, *wv, bias, nchw(),
      b->getDenseI64ArrayAttr(strides), b->getDenseI64ArrayAttr(dil),
      b->getDenseI64ArrayAttr(pads), b->getI64IntegerAttr(groups)));
}

LogicalResult Importer::gemm() {
  FailureOr<Val> a = input(0), w = input(1);
  if (failed(a) || failed(w))
    return failure();
  if (a->rank() != 2 || w->rank() != 2)
    return error() << "A and B must have rank 2; got " << shapeStr(a->shape())
                   << " and " << shapeStr(w->shape());
  float alpha = attrFloat("alpha", 1.0f), beta = attrFloat("beta", 1.0f);
  bool transA = attrInt("transA", 0), transB = attrInt("transB", 0);
  FailureOr<Value> av = toValue(*a);
  if (failed(av))
    return failure();
  Value x = transA ? transpose(*av, {1, 0}) : *av;
  int64_t m = cast<RankedTensorType>(x.getType()).getShape()[0];
  int64_t k = cast<RankedTensorType>(x.getType()).getShape()[1];
  // nn.linear takes W as [N, K].
  Value weight;
  int64_t n;
  if (w->known()) {
    HostRef wt = transB ? w->host : hostTranspose(*w->host, {1, 0});
    if (alpha != 1.0f)
      wt = HostTensor::scaled(*wt, alpha, wt->shape);
    FailureOr<Value> wv = toValue(Val{wt, Value()});
    if (failed(wv))
      return failure();
    weight = *wv;
  } else {
    if (alpha != 1.0f)
      return error() << "alpha != 1 with a runtime B is not supported";
    FailureOr<Value> wv = toValue(*w);
    if (failed(wv))
      return failure();
    weight = transB ? *wv : transpose(*wv, {1, 0});
  }
  n = cast<RankedTensorType>(weight.getType()).getShape()[0];
  if (cast<RankedTensorType>(weight.getType()).getShape()[1] != k)
    return error() << "inner dimensions differ: A " << shapeStr(a->shape())
                   << ", B " << shapeStr(w->shape());
  Value bias, extraAdd;
  if (hasInput(2) && beta != 0.0f) {
    FailureOr<Val> c = input(2);
    if (failed(c))
      return failure();
    auto s = broadcast(c->shape(), {m, n});
    if (!s || (*s)[0] != m || (*s)[1] != n)
      return error() << "C " << shapeStr(c->shape())
                     << " does not broadcast to " << shapeStr({m, n});
    bool perColumn = c->rank() == 1 || (c->rank() == 2 && c->shape()[0] == 1);
    if (c->known() && perColumn && c->shape().back() == n) {
      FailureOr<Value> bv =
          toValue(Val{HostTensor::scaled(*c->host, beta, {n}), Value()});
      if (failed(bv))
        return failure();
      bias = *bv;
    } else {
      if (beta != 1.0f)
        return error() << "beta != 1 with this C is not supported";
      FailureOr<Value> cv = toValue(*c);
      if (failed(cv))
        return failure();
      extraAdd = *cv;
    }
  }
  Value y = nn::LinearOp::create(*b, tensorType({m, n}), x, weight, bias);
  if (extraAdd)
    y = nn::AddOp::create(*b, tensorType({m, n}), y, extraAdd);
  return setOutput(y);
}

LogicalResult Importer::matmul() {
  FailureOr<Val> l = input(0), r = input(1);
  if (failed(l) || failed(r))
    return failure();
  if (l->rank() < 1 || r->rank() < 1)
    return error() << "operands must have rank 1 or more";
  SmallVector<int64_t> ls(l->shape()), rs(r->shape());
  // Rank-1 operands: promoted as in numpy, the added dim dropped at the end.
  bool lVec = ls.size() == 1, rVec = rs.size() == 1;
  if (lVec)
    ls.insert(ls.begin(), 1);
  if (rVec)
    rs.push_back(1);
  if (ls.back() != rs[rs.size() - 2])
    return error() << "inner dimensions differ: " << shapeStr(l->shape())
                   << " times " << shapeStr(r->shape());
  auto batch = broadcast(ArrayRef<int64_t>(ls).drop_back(2),
                         ArrayRef<int64_t>(rs).drop_back(2));
  if (!batch)
    return error() << "batch dimensions of " << shapeStr(l->shape()) << " and "
                   << shapeStr(r->shape()) << " do not broadcast";
  SmallVector<int64_t> outShape(*batch);
  outShape.push_back(ls[ls.size() - 2]);
  outShape.push_back(rs.back());
  FailureOr<Value> lv = toValue(*l);
  if (failed(lv))
    return failure();
  Value lhs = reshape(*lv, ls);
  Value y;
  if (r->known() && rs.size() == 2) {
    // A constant [K, N] right operand is a linear layer's weight.
    HostRef w = hostTranspose(*r->host, {1, 0});
    w->shape = {rs[1], rs[0]};
    FailureOr<Value> wv = toValue(Val{w, Value()});
    if (failed(wv))
      return failure();
    y = nn::LinearOp::create(*b, tensorType(outShape), lhs, *wv, Value());
  } else {
    FailureOr<Value> rv = toValue(*r);
    if (failed(rv))
      return failure();
    Value rhs = reshape(*rv, rs);
    if (ls.size() < 2 || rs.size() < 2)
      return error() << "unsupported operand ranks";
    y = nn::MatmulOp::create(*b, tensorType(outShape), lhs, rhs);
  }
  SmallVector<int64_t> finalShape(outShape);
  if (rVec)
    finalShape.pop_back();
  if (lVec)
    finalShape.erase(finalShape.end() - (rVec ? 1 : 2));
  return setOutput(reshape(y, finalShape));
}

LogicalResult Importer::pool(StringRef op) {
  FailureOr<Value> x = runtimeInput(0);
  if (failed(x))
    return failure();
  auto shape = cast<RankedTensorType>(x->getType()).getShape();
  if (shape.size() != 4)
    return error() << "only 2-D pooling (rank-4 NCHW input) is supported; got "
                   << shapeStr(shape);
  if (op == "GlobalAveragePool")
    return setOutput(nn::GlobalAvgPool2DOp::create(
        *b, tensorType({shape[0], shape[1], 1, 1}), *x, nchw()));
  auto ks = attrInts("kernel_shape");
  if (!ks || ks->size() != 2)
    return error() << "kernel_shape with 2 entries is required";
  SmallVector<int64_t> strides =
      attrInts("strides").value_or(SmallVector<int64_t>{1, 1});
  SmallVector<int64_t> pads =
      attrInts("pads").value_or(SmallVector<int64_t>{0, 0, 0, 0});
  SmallVector<int64_t> dil =
      attrInts("dilations").value_or(SmallVector<int64_t>{1, 1});
  if (strides.size() != 2 || pads.size() != 4)
    return error() << "strides and pads must have 2 and 4 entries";
  if (dil != SmallVector<int64_t>{1, 1})
    return error() << "dilated pooling is not supported";
  if (attrInt("storage_order", 0) != 0)
    return error() << "storage_order 1 is not supported";
  if (op == "MaxPool" && node->output_size() > 1 && !node->output(1).empty())
    return error() << "the Indices output is not supported";
  if (failed(explicitPadding(attrString("auto_pad", "NOTSET"),
                             shape.drop_front(2), *ks, strides, dil, pads)))
    return error() << "unknown auto_pad '" << attrString("auto_pad", "") << "'";
  bool ceil = attrInt("ceil_mode", 0);
  SmallVector<int64_t> outShape = {shape[0], shape[1]};
  for (int a = 0; a < 2; ++a) {
    int64_t padded = shape[2 + a] + pads[a] + pads[a + 2];
    if (strides[a] <= 0 || (*ks)[a] <= 0 || padded < (*ks)[a])
      return error() << "the window does not fit the padded input";
    int64_t num = padded - (*ks)[a];
    int64_t o =
        (ceil ? (num + strides[a] - 1) / strides[a] : num / strides[a]) + 1;
    // A window must start inside the input or its left padding.
    if (ceil && (o - 1) * strides[a] >= shape[2 + a] + pads[a])
      --o;
    outShape.push_back(o);
  }
  auto k = b->getDenseI64ArrayAttr(*ks);
  auto s = b->getDenseI64ArrayAttr(strides);
  auto p = b->getDenseI64ArrayAttr(pads);
  if (op == "MaxPool")
    return setOutput(nn::MaxPool2DOp::create(
        *b, tensorType(outShape), *x, nchw(), k, s, p, b->getBoolAttr(ceil)));
  return setOutput(nn::AvgPool2DOp::create(
      *b, tensorType(outShape), *x, nchw(), k, s, p, b->getBoolAttr(ceil),
      b->getBoolAttr(attrInt("count_include_pad", 0) != 0)));
}

LogicalResult Importer::reshapeLike(StringRef op) {
  FailureOr<Val> x = input(0);
  if (failed(x))
    return failure();
  SmallVector<int64_t> in(x->shape()), out;
  int64_t r = in.size();
  if (op == "Reshape") {
    FailureOr<HostRef> s = knownInput(1, "the shape");
    if (failed(s))
      return failure();
    bool allowZero = attrInt("allowzero", 0);
    int64_t infer = -1;
    for (size_t k = 0; k < (*s)->i.size(); ++k) {
      int64_t d = (*s)->i[k];
      if (d == 0 && !allowZero) {
        if (int64_t(k) >= r)
          return error() << "shape entry " << k
                         << " copies a dimension "
                            "the input does not have";
        d = in[k];
      } else if (d == -1) {
        if (infer >= 0)
          return error() << "more than one -1 in the shape";
        infer = k;
        d = 1;
      } else if (d < 0) {
        return error() << "invalid shape entry " << d;
      }
      out.push_back(d);
    }
    int64_t known = product(out);
    if (infer >= 0) {
      if (known == 0 || product(in) % known)
        return error() << "cannot reshape " << shapeStr(in) << " to "
                       << shapeStr((*s)->i);
      out[infer] = product(in) / known;
    }
  } else if (op == "Flatten") {
    auto axis = normAxis(attrInt("axis", 1), r + 1);
    if (!axis)
      return error() << "axis out of range";
    out = {product(ArrayRef<int64_t>(in).take_front(*axis)),
           product(ArrayRef<int64_t>(in).drop_front(*axis))};
  } else {
    SmallVector<int64_t> axes;
    if (hasInput(1)) {
      FailureOr<HostRef> a = knownInput(1, "the axes");
      if (failed(a))
        return failure();
      axes.assign((*a)->i.begin(), (*a)->i.end());
    } else if (auto a = attrInts("axes")) {
      axes = *a;
    }
    if (op == "Squeeze") {
      llvm::SmallDenseSet<int64_t> drop;
      for (int64_t a : axes) {
        auto n = normAxis(a, r);
        if (!n || in[*n] != 1)
          return error() << "cannot squeeze axis " << a << " of "
                         << shapeStr(in);
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
          return error() << "invalid unsqueeze axis " << a;
      }
      for (int64_t k = 0, j = 0; k < outRank; ++k)
        out.push_back(add.contains(k) ? 1 : in[j++]);
    }
  }
  if (product(out) != product(in))
    return error() << "cannot reshape " << shapeStr(in) << " (" << product(in)
                   << " elements) to " << shapeStr(out);
  if (x->known()) {
    auto h = std::make_shared<HostTensor>(*x->host);
    h->shape = out;
    return setHost(h);
  }
  return setOutput(reshape(x->value, out));
}

LogicalResult Importer::transposeOp() {
  FailureOr<Val> x = input(0);
  if (failed(x))
    return failure();
  int64_t r = x->rank();
  SmallVector<int64_t> perm;
  if (auto p = attrInts("perm"))
    perm = *p;
  else
    for (int64_t k = r - 1; k >= 0; --k)
      perm.push_back(k);
  SmallVector<bool> seen(r, false);
  if (int64_t(perm.size()) != r)
    return error() << "perm has " << perm.size() << " entries for rank " << r;
  for (int64_t &p : perm) {
    auto n = normAxis(p, r);
    if (!n || seen[*n])
      return error() << "perm is not a permutation";
    seen[*n] = true;
    p = *n;
  }
  if (x->known())
    return setHost(hostTranspose(*x->host, perm));
  return setOutput(transpose(x->value, perm));
}

LogicalResult Importer::concat() {
  int n = numInputs();
  if (n == 0)
    return error() << "no inputs";
  SmallVector<Val> ins;
  for (int k = 0; k < n; ++k) {
    FailureOr<Val> v = input(k);
    if (failed(v))
      return failure();
    ins.push_back(*v);
  }
  int64_t r = ins[0].rank();
  auto axis = normAxis(attrInt("axis", 0), r);
  if (!axis)
    return error() << "axis out of range";
  SmallVector<int64_t> out(ins[0].shape());
  out[*axis] = 0;
  bool allKnown = true, anyFloat = false;
  for (auto &v : ins) {
    if (v.rank() != r)
      return error() << "inputs have different ranks";
    for (int64_t k = 0; k < r; ++k)
      if (k != *axis && v.shape()[k] != out[k])
        return error() << "input shapes " << shapeStr(ins[0].shape()) << " and "
                       << shapeStr(v.shape()) << " differ outside axis "
                       << *axis;
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
    return setHost(h);
  }
  SmallVector<Value> vs;
  for (auto &v : ins) {
    if (v.shape()[*axis] == 0)
      continue;
    FailureOr<Value> x = toValue(v);
    if (failed(x))
      return failure();
    vs.push_back(*x);
  }
  if (vs.size() == 1)
    return setOutput(vs[0]);
  return setOutput(tensor::ConcatOp::create(*b, *axis, vs).getResult());
}

LogicalResult Importer::slice() {
  FailureOr<Val> x = input(0);
  if (failed(x))
    return failure();
  int64_t r = x->rank();
  SmallVector<int64_t> starts, ends, axes, steps;
  if (opset >= 10) {
    FailureOr<HostRef> s = knownInput(1, "starts"), e = knownInput(2, "ends");
    if (failed(s) || failed(e))
      return failure();
    starts.assign((*s)->i.begin(), (*s)->i.end());
    ends.assign((*e)->i.begin(), (*e)->i.end());
    if (hasInput(3)) {
      FailureOr<HostRef> a = knownInput(3, "axes");
      if (failed(a))
        return failure();
      axes.assign((*a)->i.begin(), (*a)->i.end());
    }
    if (hasInput(4)) {
      FailureOr<HostRef> st = knownInput(4, "steps");
      if (failed(st))
        return failure();
      steps.assign((*st)->i.begin(), (*st)->i.end());
    }
  } else {
    starts = attrInts("starts").value_or(SmallVector<int64_t>{});
    ends = attrInts("ends").value_or(SmallVector<int64_t>{});
    axes = attrInts("axes").value_or(SmallVector<int64_t>{});
  }
  if (axes.empty())
    for (size_t k = 0; k < starts.size(); ++k)
      axes.push_back(k);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return error() << "starts, ends, axes and steps differ in length";
  SmallVector<int64_t> offs(r, 0), sizes(x->shape()), strides(r, 1);
  for (size_t k = 0; k < starts.size(); ++k) {
    auto a = normAxis(axes[k], r);
    if (!a)
      return error() << "axis " << axes[k] << " out of range";
    int64_t dim = x->shape()[*a], st = steps[k];
    if (st == 0)
      return error() << "step 0";
    if (st < 0 && !x->known())
      return error() << "negative step " << st
                     << " on an activation is not supported";
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
    return setHost(h);
  }
  if (product(sizes) == 0)
    return error() << "an empty slice of an activation is not supported";
  return setOutput(tensor::ExtractSliceOp::create(
      *b, tensorType(sizes), x->value, ValueRange{}, ValueRange{}, ValueRange{},
      offs, sizes, strides));
}

LogicalResult Importer::split() {
  FailureOr<Val> x = input(0);
  if (failed(x))
    return failure();
  int64_t r = x->rank();
  auto axis = normAxis(attrInt("axis", 0), r);
  if (!axis)
    return error() << "axis out of range";
  int64_t dim = x->shape()[*axis];
  SmallVector<int64_t> sizes;
  if (hasInput(1)) {
    FailureOr<HostRef> s = knownInput(1, "the split sizes");
    if (failed(s))
      return failure();
    sizes.assign((*s)->i.begin(), (*s)->i.end());
  } else if (auto s = attrInts("split")) {
    sizes = *s;
  } else {
    int64_t n = attrInt("num_outputs", node->output_size());
    if (n <= 0)
      return error() << "no outputs";
    int64_t chunk = (dim + n - 1) / n;
    for (int64_t k = 0; k < n; ++k)
      sizes.push_back(std::max<int64_t>(std::min(chunk, dim - k * chunk), 0));
  }
  if (int64_t(sizes.size()) != node->output_size())
    return error() << sizes.size() << " split sizes for " << node->output_size()
                   << " outputs";
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0)
      return error() << "negative split size";
    total += s;
  }
  if (total != dim)
    return error() << "split sizes add up to " << total << ", the axis has "
                   << dim;
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
      if (failed(setOutput(k, Val{h, Value()})))
        return failure();
      continue;
    }
    if (size == 0)
      return error() << "an empty split of an activation is not supported";
    Value part = tensor::ExtractSliceOp::create(
        *b, tensorType(shape), x->value, ValueRange{}, ValueRange{},
        ValueRange{}, offs, shape, strides);
    if (failed(setOutput(k, Val{nullptr, part})))
      return failure();
  }
  return success();
}

LogicalResult Importer::tile() {
  FailureOr<Val> x = input(0);
  FailureOr<HostRef> reps = knownInput(1, "the repeats");
  if (failed(x) || failed(reps))
    return failure();
  int64_t r = x->rank();
  if (int64_t((*reps)->i.size()) != r)
    return error() << "repeats has " << (*reps)->i.size()
                   << " entries for rank " << r;
  SmallVector<int64_t> out(x->shape());
  for (int64_t k = 0; k < r; ++k) {
    if ((*reps)->i[k] < 1)
      return error() << "repeat " << (*reps)->i[k] << " is not supported";
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
    return setHost(h);
  }
  Value v = x->value;
  for (int64_t k = 0; k < r; ++k)
    if ((*reps)->i[k] > 1)
      v = tensor::ConcatOp::create(*b, k, SmallVector<Value>((*reps)->i[k], v));
  return setOutput(v);
}

LogicalResult Importer::gather() {
  FailureOr<Val> x = input(0);
  if (failed(x))
    return failure();
  FailureOr<HostRef> idx = knownInput(1, "the indices");
  if (failed(idx))
    return failure();
  int64_t r = x->rank();
  auto axis = normAxis(attrInt("axis", 0), r);
  if (!axis)
    return error() << "axis out of range";
  int64_t dim = x->shape()[*axis];
  SmallVector<int64_t> indices;
  for (int64_t v : (*idx)->i) {
    int64_t i = v < 0 ? v + dim : v;
    if (i < 0 || i >= dim)
      return error() << "index " << v << " out of range for dimension " << dim;
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
    return setHost(h);
  }
  // Runtime data, constant indices: slices along the axis.
  SmallVector<Value> parts;
  for (int64_t i : indices) {
    SmallVector<int64_t> offs(r, 0), sizes(x->shape()), strides(r, 1);
    offs[*axis] = i;
    sizes[*axis] = 1;
    parts.push_back(tensor::ExtractSliceOp::create(
        *b, tensorType(sizes), x->value, ValueRange{}, ValueRange{},
        ValueRange{}, offs, sizes, strides));
  }
  if (parts.empty())
    return error() << "empty indices are not supported";
  // Runs of consecutive indices would be one slice; models gather one index
  // or a few, so the parts are concatenated as they are.
  Value all = parts.size() == 1
                  ? parts[0]
                  : tensor::ConcatOp::create(*b, *axis, parts).getResult();
  return setOutput(reshape(all, out));
}

LogicalResult Importer::pad() {
  FailureOr<Value> x = runtimeInput(0);
  if (failed(x))
    return failure();
  std::string mode = attrString("mode", "constant");
  if (mode != "constant")
    return error() << "mode '" << mode << "' is not supported (only constant)";
  auto shape = cast<RankedTensorType>(x->getType()).getShape();
  int64_t r = shape.size();
  SmallVector<int64_t> pads;
  if (opset >= 11) {
    FailureOr<HostRef> p = knownInput(1, "pads");
    if (failed(p))
      return failure();
    pads.assign((*p)->i.begin(), (*p)->i.end());
  } else {
    pads = attrInts("pads").value_or(SmallVector<int64_t>{});
  }
  float value = 0.0f;
  if (hasInput(2)) {
    FailureOr<HostRef> v = knownInput(2, "constant_value");
    if (failed(v))
      return failure();
    if ((*v)->numel())
      value = float((*v)->at(0));
  } else if (opset < 11) {
    value = attrFloat("value", 0.0f);
  }
  SmallVector<int64_t> axes;
  if (hasInput(3)) {
    FailureOr<HostRef> a = knownInput(3, "axes");
    if (failed(a))
      return failure();
    for (int64_t ax : (*a)->i) {
      auto n = normAxis(ax, r);
      if (!n)
        return error() << "axis " << ax << " out of range";
      axes.push_back(*n);
    }
  } else {
    for (int64_t k = 0; k < r; ++k)
      axes.push_back(k);
  }
  if (pads.size() != 2 * axes.size())
    return error() << "pads has " << pads.size() << " entries for "
                   << axes.size() << " axes";
  SmallVector<int64_t> low(r, 0), high(r, 0), out(shape);
  for (size_t k = 0; k < axes.size(); ++k) {
    low[axes[k]] = pads[k];
    high[axes[k]] = pads[k + axes.size()];
    if (low[axes[k]] < 0 || high[axes[k]] < 0)
      return error() << "negative pads are not supported";
    out[axes[k]] += low[axes[k]] + high[axes[k]];
  }
  Value padValue = arith::ConstantOp::create(*b, b->getF32FloatAttr(value));
  auto padOp = tensor::PadOp::create(
      *b, tensorType(out), *x, getAsIndexOpFoldResult(ctx, low),
      getAsIndexOpFoldResult(ctx, high), padValue, /*nofold=*/false);
  return setOutput(padOp.getResult());
}

LogicalResult Importer::expand() {
  FailureOr<Val> x = input(0);
  FailureOr<HostRef> s = knownInput(1, "the shape");
  if (failed(x) || failed(s))
    return failure();
  auto out = broadcast(x->shape(), (*s)->i);
  if (!out)
    return error() << "cannot expand " << shapeStr(x->shape()) << " to "
                   << shapeStr((*s)->i);
  if (x->known()) {
    auto h = HostTensor::like(*x->host, *out);
    int64_t n = product(*out);
    for (int64_t k = 0; k < n; ++k) {
      int64_t src = broadcastIndex(k, *out, x->host->shape);
      h->append(*x->host, src);
    }
    return setHost(h);
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
    return setOutput(x->value);
  Value src = reshape(x->value, kept);
  return setOutput(
      linalg::BroadcastOp::create(*b, src, empty(*out), added)->getResult(0));
}

LogicalResult Importer::layerNorm() {
  FailureOr<Val> x = input(0);
  if (failed(x))
    return failure();
  auto axis = normAxis(attrInt("axis", -1), x->rank());
  if (!axis)
    return error() << "axis out of range";
  if (attrInt("stash_type", 1) != 1)
    return error() << "stash_type other than float is not supported";
  for (int k = 1; k < node->output_size(); ++k)
    if (!node->output(k).empty())
      return error() << "the Mean and InvStdDev outputs are not supported";
  ArrayRef<int64_t> normShape = x->shape().drop_front(*axis);
  auto param = [&](int k) -> FailureOr<Value> {
    if (!hasInput(k))
      return Value();
    FailureOr<Val> p = input(k);
    if (failed(p))
      return failure();
    auto s = broadcast(p->shape(), normShape);
    if (!s || ArrayRef<int64_t>(*s) != normShape)
      return error() << "parameter " << shapeStr(p->shape())
                     << " does not broadcast to the normalised shape "
                     << shapeStr(normShape),
             failure();
    FailureOr<Value> v = toValue(*p);
    if (failed(v))
      return failure();
    if (p->shape() == normShape)
      return *v;
    if (!p->known())
      return error() << "runtime parameters must have the normalised shape",
             failure();
    HostTensor full;
    full.shape.assign(normShape.begin(), normShape.end());
    for (int64_t i = 0; i < product(normShape); ++i)
      full.f.push_back(p->host->f[broadcastIndex(i, normShape, p->shape())]);
    return toValue(Val{std::make_shared<HostTensor>(full), Value()});
  };
  FailureOr<Value> scale = param(1), bias = param(2);
  if (failed(scale) || failed(bias))
    return failure();
  if (!*scale && *bias)
    return error() << "a bias without a scale";
  FailureOr<Value> xv = toValue(*x);
  if (failed(xv))
    return failure();
  return setOutput(nn::LayerNormOp::create(
      *b, xv->getType(), *xv, *scale, *bias, b->getI64IntegerAttr(*axis),
      b->getF32FloatAttr(attrFloat("epsilon", 1e-5f))));
}

LogicalResult Importer::batchNorm() {
  FailureOr<Value> x = runtimeInput(0);
  if (failed(x))
    return failure();
  if (attrInt("training_mode", 0))
    return error() << "training mode is not supported";
  for (int k = 1; k < node->output_size(); ++k)
    if (!node->output(k).empty())
      return error() << "the running-statistics outputs are not supported";
  auto shape = cast<RankedTensorType>(x->getType()).getShape();
  if (shape.size() < 2)
    return error() << "input rank must be 2 or more";
  SmallVector<Value> params;
  for (int k = 1; k <= 4; ++k) {
    FailureOr<Val> p = input(k);
    if (failed(p))
      return failure();
    if (p->rank() != 1 || p->shape()[0] != shape[1])
      return error() << "parameter " << k << " has shape "
                     << shapeStr(p->shape()) << ", expected [" << shape[1]
                     << "]";
    FailureOr<Value> v = toValue(*p);
    if (failed(v))
      return failure();
    params.push_back(*v);
  }
  return setOutput(nn::BatchNormOp::create(
      *b, x->getType(), *x, params[0], params[1], params[2], params[3], nchw(),
      b->getF32FloatAttr(attrFloat("epsilon", 1e-5f))));
}

LogicalResult Importer::softmax() {
  FailureOr<Value> x = runtimeInput(0);
  if (failed(x))
    return failure();
  int64_t r = cast<RankedTensorType>(x->getType()).getRank();
  auto axis = normAxis(attrInt("axis", opset >= 13 ? -1 : 1), r);
  if (!axis)
    return error() << "axis out of range";
  if (opset < 13 && *axis != r - 1)
    return error() << "before opset 13 Softmax flattens from axis; only the "
                      "last axis is supported";
  return setOutput(
      nn::SoftmaxOp::create(*b, x->getType(), *x, b->getI64IntegerAttr(*axis)));
}

LogicalResult Importer::reduceMean() {
  FailureOr<Value> x = runtimeInput(0);
  if (failed(x))
    return failure();
  auto shape = cast<RankedTensorType>(x->getType()).getShape();
  int64_t r = shape.size();
  SmallVector<int64_t> axes;
  if (hasInput(1)) {
    FailureOr<HostRef> a = knownInput(1, "axes");
    if (failed(a))
      return failure();
    axes.assign((*a)->i.begin(), (*a)->i.end());
  } else if (auto a = attrInts("axes")) {
    axes = *a;
  }
  for (int64_t &a : axes) {
    auto n = normAxis(a, r);
    if (!n)
      return error() << "axis " << a << " out of range";
    a = *n;
  }
  llvm::sort(axes);
  bool keep = attrInt("keepdims", 1);
  if (axes.empty()) {
    if (attrInt("noop_with_empty_axes", 0))
      return setOutput(*x);
    for (int64_t k = 0; k < r; ++k)
      axes.push_back(k);
  }
  SmallVector<int64_t> kept, keptDims;
  int64_t count = 1;
  for (int64_t k = 0; k < r; ++k) {
    if (llvm::is_contained(axes, k)) {
      count *= shape[k];
      keptDims.push_back(1);
    } else {
      kept.push_back(shape[k]);
      keptDims.push_back(shape[k]);
    }
  }
  if (r == 4 && axes == SmallVector<int64_t>{2, 3}) {
    // The spatial mean: nn's global pooling.
    Value y = nn::GlobalAvgPool2DOp::create(
        *b, tensorType({shape[0], shape[1], 1, 1}), *x, nchw());
    return setOutput(keep ? y : reshape(y, kept));
  }
  // A sum over the axes, then a scale by 1 / count.
  Value zero = arith::ConstantOp::create(*b, b->getF32FloatAttr(0.0f));
  Value init = linalg::FillOp::create(*b, zero, empty(kept)).getResult(0);
  auto reduce = linalg::ReduceOp::create(
      *b, ValueRange{*x}, ValueRange{init}, axes,
      [](OpBuilder &nb, Location l, ValueRange args) {
        Value sum = arith::AddFOp::create(nb, l, args[0], args[1]);
        linalg::YieldOp::create(nb, l, sum);
      });
  Value scale = splat(1.0f / float(count), {});
  Value mean =
      nn::MulOp::create(*b, tensorType(kept), reduce.getResult(0), scale);
  return setOutput(keep ? reshape(mean, keptDims) : mean);
}

//===----------------------------------------------------------------------===//
// The graph
//===----------------------------------------------------------------------===//

OwningOpRef<ModuleOp> Importer::run(const onnx::ModelProto &model) {
  for (const auto &o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx")
      opset = o.version();
  if (opset == 0) {
    emitError(fileLoc) << "the model imports no version of the default ONNX "
                          "operator set";
    return nullptr;
  }
  if (opset < 7 || opset > 18) {
    emitError(fileLoc) << "opset " << opset
                       << " is not supported (7 to 18 are; 13 to 17 tested)";
    return nullptr;
  }
  const onnx::GraphProto &graph = model.graph();
  auto module = ModuleOp::create(fileLoc);
  OpBuilder top(ctx);
  top.setInsertionPointToEnd(module.getBody());

  // Initializers are loaded with the nodes; graph inputs that are also
  // initializers (old exporters list both) are not arguments.
  llvm::StringSet<> initNames;
  for (const auto &init : graph.initializer())
    initNames.insert(init.name());

  // Shapes given for inputs the graph does not have.
  for (const auto &[name, given] : options.inputShapes) {
    bool found = false;
    for (const auto &in : graph.input())
      found |= in.name() == name && !initNames.contains(name);
    if (!found) {
      emitError(fileLoc) << "--input-shape names '" << name
                         << "', which is not an input of the graph";
      return nullptr;
    }
  }
  // Inputs: those that are not initializers (old exporters list both).
  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  for (const auto &in : graph.input()) {
    if (initNames.contains(in.name()))
      continue;
    auto inLoc = NameLoc::get(StringAttr::get(ctx, in.name()), fileLoc);
    const auto &type = in.type();
    if (!type.has_tensor_type()) {
      emitError(inLoc) << "graph input '" << in.name() << "' is not a tensor";
      return nullptr;
    }
    const auto &tt = type.tensor_type();
    if (tt.elem_type() != onnx::TensorProto::FLOAT) {
      emitError(inLoc) << "graph input '" << in.name() << "' has element type "
                       << onnx::TensorProto::DataType_Name(
                              onnx::TensorProto::DataType(tt.elem_type()))
                       << "; acc's models take f32 inputs";
      return nullptr;
    }
    SmallVector<int64_t> shape;
    bool dynamic = !tt.has_shape();
    for (const auto &d : tt.shape().dim()) {
      if (d.has_dim_value() && d.dim_value() > 0)
        shape.push_back(d.dim_value());
      else {
        shape.push_back(ShapedType::kDynamic);
        dynamic = true;
      }
    }
    for (const auto &[name, given] : options.inputShapes) {
      if (name != in.name())
        continue;
      if (tt.has_shape() && given.size() != shape.size()) {
        emitError(inLoc) << "--input-shape gives rank " << given.size()
                         << " for '" << name << "', the model says "
                         << shape.size();
        return nullptr;
      }
      for (size_t k = 0; k < shape.size(); ++k)
        if (!ShapedType::isDynamic(shape[k]) && shape[k] != given[k]) {
          emitError(inLoc) << "--input-shape " << shapeStr(given)
                           << " contradicts the model's shape "
                           << shapeStr(shape) << " for '" << name << "'";
          return nullptr;
        }
      shape.assign(given.begin(), given.end());
      dynamic = false;
    }
    if (dynamic) {
      emitError(inLoc) << "graph input '" << in.name() << "' has shape "
                       << shapeStr(shape)
                       << " with unknown dimensions; give them with "
                          "--input-shape "
                       << in.name() << ":DIMS (e.g. 1x3x224x224)";
      return nullptr;
    }
    argTypes.push_back(tensorType(shape));
    argNames.push_back(in.name());
  }
  // The function; its result types are known once the graph is translated.
  auto func = func::FuncOp::create(top, fileLoc, options.functionName,
                                   FunctionType::get(ctx, argTypes, {}));
  Block *body = func.addEntryBlock();
  for (size_t k = 0; k < argNames.size(); ++k) {
    values[argNames[k]] = Val{nullptr, body->getArgument(k)};
    func.setArgAttr(k, "nn.name", StringAttr::get(ctx, argNames[k]));
  }
  b = std::make_unique<ImplicitLocOpBuilder>(fileLoc, ctx);
  b->setInsertionPointToEnd(body);
  constBuilder = std::make_unique<OpBuilder>(ctx);
  constBuilder->setInsertionPointToStart(body);

  if (failed(translateNodes(graph)))
    return nullptr;
  node = nullptr;
  loc = fileLoc;

  SmallVector<Value> results;
  for (const auto &out : graph.output()) {
    auto it = values.find(out.name());
    if (it == values.end()) {
      emitError(fileLoc) << "graph output '" << out.name()
                         << "' is never produced";
      return nullptr;
    }
    FailureOr<Value> v = toValue(it->second);
    if (failed(v))
      return nullptr;
    results.push_back(*v);
  }
  if (results.empty()) {
    emitError(fileLoc) << "the graph has no outputs";
    return nullptr;
  }
  func::ReturnOp::create(*b, fileLoc, results);
  func.setType(
      FunctionType::get(ctx, argTypes, ValueRange(results).getTypes()));
  for (size_t k = 0; k < results.size(); ++k)
    func.setResultAttr(k, "nn.name",
                       StringAttr::get(ctx, graph.output(k).name()));

  if (failed(verify(module))) {
    emitError(fileLoc) << "the translated IR does not verify (an importer "
                          "bug; please report it with the model)";
    return nullptr;
  }
  OwningOpRef<ModuleOp> owned(module);
  if (options.raise) {
    PassManager pm(ctx);
    pm.addNestedPass<func::FuncOp>(nn::createNNRaise());
    // nn's canonicalizations: a batch norm after a constant convolution
    // folds into its filter and bias, identity reshapes go away.
    pm.addPass(createCanonicalizerPass());
    if (failed(pm.run(*owned)))
      return nullptr;
  }
  return owned;
}

} // namespace

OwningOpRef<ModuleOp> importONNXModel(StringRef bytes, StringRef fileName,
                                      MLIRContext *context,
                                      const ONNXImportOptions &options) {
  context->loadDialect<nn::NNDialect, arith::ArithDialect, func::FuncDialect,
                       linalg::LinalgDialect, tensor::TensorDialect>();
  Location fileLoc = FileLineColLoc::get(context, fileName, 0, 0);
  if (bytes.size() > size_t(std::numeric_limits<int>::max())) {
    emitError(fileLoc) << "files over 2 GiB are not supported (ONNX keeps such "
                          "weights in external data files)";
    return nullptr;
  }
  onnx::ModelProto model;
  if (bytes.empty() || !model.ParseFromArray(bytes.data(), int(bytes.size()))) {
    emitError(fileLoc) << "not a valid ONNX model (the protobuf does not "
                          "parse: a malformed or truncated file)";
    return nullptr;
  }
  if (!model.has_graph()) {
    emitError(fileLoc) << "not a valid ONNX model (it has no graph)";
    return nullptr;
  }
  Importer importer(context, fileName, options);
  return importer.run(model);
}

bool parseInputShapes(
    StringRef spec,
    std::vector<std::pair<std::string, SmallVector<int64_t>>> &shapes,
    std::string &error) {
  size_t colon = spec.rfind(':');
  if (colon == StringRef::npos || colon == 0) {
    error = "--input-shape '" + spec.str() +
            "' is not NAME:DIMS (e.g. input:1x3x224x224)";
    return false;
  }
  StringRef name = spec.take_front(colon), dims = spec.drop_front(colon + 1);
  SmallVector<int64_t> shape;
  SmallVector<StringRef> parts;
  if (!dims.empty())
    dims.split(parts, 'x');
  for (StringRef p : parts) {
    int64_t d;
    if (p.getAsInteger(10, d) || d <= 0) {
      error = "--input-shape '" + spec.str() + "': '" + p.str() +
              "' is not a positive dimension";
      return false;
    }
    shape.push_back(d);
  }
  shapes.emplace_back(name.str(), shape);
  return true;
}

} // namespace acc
