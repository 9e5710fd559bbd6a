//===- Constant.cpp - ONNX Constant nodes ---------------------------------===//
//
// Part of the acc project.
//
// A Constant node's value (a tensor, float(s) or int(s)) is a host tensor;
// it becomes an `arith.constant` only where the computation uses it.
//
//===----------------------------------------------------------------------===//

#include "OpBinder.h"

using namespace mlir;

namespace acc {
namespace onnx_import {
namespace {

LogicalResult constant(OpBinder &binder) {
  HostRef h;
  if (auto *a = binder.attr("value")) {
    if (failed(binder.loadTensor(a->t(), h, "value")))
      return failure();
  } else if (auto *a = binder.attr("value_float")) {
    h = HostTensor::floats({}, {a->f()});
  } else if (auto *a = binder.attr("value_floats")) {
    h = HostTensor::floats({int64_t(a->floats_size())},
                           {a->floats().begin(), a->floats().end()});
  } else if (auto *a = binder.attr("value_int")) {
    h = HostTensor::ints({}, {a->i()});
  } else if (auto *a = binder.attr("value_ints")) {
    h = HostTensor::ints({int64_t(a->ints_size())},
                         {a->ints().begin(), a->ints().end()});
  } else {
    return binder.error()
           << "only tensor, float(s) and int(s) values are supported";
  }
  return binder.setHost(h);
}

} // namespace

void registerConstantOps(OpRegistry &registry) {
  registry.addNode("Constant", 1, constant);
}

} // namespace onnx_import
} // namespace acc
