//===- Reduction.cpp - ONNX reductions to nn and linalg -------------------===//
//
// Part of the acc project.
//
// ReduceMean: over H and W of a rank-4 input, nn.global_avg_pool2d; over
// other axes, a linalg.reduce sum scaled by 1 / count.
//
//===----------------------------------------------------------------------===//

#include "OpBinder.h"

#include "acc/Dialect/NN/IR/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

using namespace mlir;

namespace acc {
namespace onnx_import {
namespace {

LogicalResult reduceMean(OpBinder &binder) {
  ImplicitLocOpBuilder &b = binder.builder();
  FailureOr<Value> x = binder.runtimeInput(0);
  if (failed(x))
    return failure();
  auto shape = cast<RankedTensorType>(x->getType()).getShape();
  int64_t r = shape.size();
  FailureOr<std::optional<SmallVector<int64_t>>> given =
      binder.intsFromInputOrAttr(1, "axes", "axes");
  if (failed(given))
    return failure();
  SmallVector<int64_t> axes = given->value_or(SmallVector<int64_t>());
  for (int64_t &a : axes) {
    auto n = normAxis(a, r);
    if (!n)
      return binder.error() << "axis " << a << " out of range";
    a = *n;
  }
  llvm::sort(axes);
  bool keep = binder.attrInt("keepdims", 1);
  if (axes.empty()) {
    if (binder.attrInt("noop_with_empty_axes", 0))
      return binder.setOutput(*x);
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
        b, binder.tensorType({shape[0], shape[1], 1, 1}), *x, binder.nchw());
    return binder.setOutput(keep ? y : binder.reshape(y, kept));
  }
  // A sum over the axes, then a scale by 1 / count.
  Value zero = arith::ConstantOp::create(b, b.getF32FloatAttr(0.0f));
  Value init = linalg::FillOp::create(b, zero, binder.empty(kept)).getResult(0);
  auto reduce = linalg::ReduceOp::create(
      b, ValueRange{*x}, ValueRange{init}, axes,
      [](OpBuilder &nb, Location l, ValueRange args) {
        Value sum = arith::AddFOp::create(nb, l, args[0], args[1]);
        linalg::YieldOp::create(nb, l, sum);
      });
  Value scale = binder.splat(1.0f / float(count), {});
  Value mean =
      nn::MulOp::create(b, binder.tensorType(kept), reduce.getResult(0), scale);
  return binder.setOutput(keep ? binder.reshape(mean, keptDims) : mean);
}

} // namespace

void registerReductionOps(OpRegistry &registry) {
  registry.addRuntime("ReduceMean", 1, reduceMean);
}

} // namespace onnx_import
} // namespace acc
