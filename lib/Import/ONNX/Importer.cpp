//===- Importer.cpp - The ONNX importer's core ----------------------------===//
//
// Part of the acc project.
//
// The graph walk (inputs, initializers, nodes, outputs), tensor data, the
// materialization of known values, `If` inlining and the entry point. The
// operators are in the handler files, one per family.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"
#include "OpBinder.h"

#include "acc/Dialect/NN/IR/NNOps.h"
#include "acc/Dialect/NN/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringSet.h"

#include <cstring>
#include <limits>

using namespace mlir;

namespace acc {
namespace onnx_import {

Importer::Importer(MLIRContext *ctx, StringRef fileName,
                   const ONNXImportOptions &options)
    : ctx(ctx), fileName(fileName), options(options),
      fileLoc(FileLineColLoc::get(ctx, fileName, 0, 0)) {
  registerAllOps(registry);
}

InFlightDiagnostic Importer::error() {
  auto d = emitError(loc);
  if (node)
    d << "node '" << node->name() << "' (" << node->op_type() << "): ";
  return d;
}

FailureOr<Value> Importer::toValue(const Val &v) {
  if (!v.known())
    return v.value;
  if (!v.host->isFloat) {
    error() << "an integer tensor of shape " << shapeStr(v.host->shape)
            << " is used as data; acc computes in f32 only";
    return failure();
  }
  auto [it, inserted] = materialized.try_emplace(v.host.get(), v.host, Value());
  if (!inserted)
    return it->second.second;
  auto type = tensorType(v.host->shape);
  auto attr = DenseElementsAttr::get(
      type, ArrayRef<float>(v.host->f.data(), v.host->f.size()));
  it->second.second =
      arith::ConstantOp::create(*constBuilder, fileLoc, type, attr);
  return it->second.second;
}

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

Value Importer::empty(ArrayRef<int64_t> shape) {
  return tensor::EmptyOp::create(*b, shape, f32());
}

Value Importer::splat(float x, ArrayRef<int64_t> shape) {
  auto type = tensorType(shape);
  return arith::ConstantOp::create(*constBuilder, fileLoc, type,
                                   DenseElementsAttr::get(type, x));
}

//===----------------------------------------------------------------------===//
// Node translation
//===----------------------------------------------------------------------===//

LogicalResult Importer::translateNode() {
  StringRef op = node->op_type();
  if (!node->domain().empty() && node->domain() != "ai.onnx")
    return error() << "operator domain '" << node->domain()
                   << "' is not supported (only the default ONNX domain is)";
  OpBinder binder(*this);
  if (NodeHandler handler = registry.lookupNode(op, opset))
    return handler(binder);
  bool done = false;
  if (failed(evaluateOnHost(done)))
    return failure();
  if (done)
    return success();
  return translateRuntime();
}

LogicalResult Importer::translateRuntime() {
  StringRef op = node->op_type();
  OpBinder binder(*this);
  if (NodeHandler handler = registry.lookupRuntime(op, opset))
    return handler(binder);
  return error() << "operator '" << op << "' is not supported";
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

namespace {

/// PyTorch writes `If` where a shape check is dynamic in general; with
/// static shapes the condition is known and the taken branch is inlined.
LogicalResult inlineIf(OpBinder &binder) {
  Importer &imp = binder.importer();
  FailureOr<Val> c = binder.input(0);
  if (failed(c))
    return failure();
  if (!c->known() || c->host->numel() != 1)
    return binder.error() << "the condition depends on the model's inputs; "
                             "only conditions known at import time are "
                             "supported";
  const onnx::NodeProto *ifNode = &binder.node();
  const auto *branch =
      binder.attr(c->host->at(0) != 0 ? "then_branch" : "else_branch");
  if (!branch || !branch->has_g())
    return binder.error() << "the taken branch is missing";
  const onnx::GraphProto &g = branch->g();
  if (g.output_size() != ifNode->output_size())
    return binder.error() << "the branch has " << g.output_size()
                          << " outputs, the node " << ifNode->output_size();
  if (failed(imp.translateNodes(g)))
    return failure();
  imp.node = ifNode;
  imp.loc =
      NameLoc::get(StringAttr::get(imp.ctx, imp.node->name()), imp.fileLoc);
  for (int k = 0; k < g.output_size(); ++k) {
    auto it = imp.values.find(g.output(k).name());
    if (it == imp.values.end())
      return binder.error()
             << "the branch never produces '" << g.output(k).name() << "'";
    Val v = it->second;
    if (failed(binder.setOutput(k, v)))
      return failure();
  }
  return success();
}

} // namespace

void registerControlFlowOps(OpRegistry &registry) {
  registry.addNode("If", 1, inlineIf);
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

} // namespace onnx_import

using onnx_import::Importer;

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

} // namespace acc
