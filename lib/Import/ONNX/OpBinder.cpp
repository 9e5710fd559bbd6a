//===- OpBinder.cpp - A handler's view of its ONNX node -------------------===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#include "OpBinder.h"

using namespace mlir;

namespace acc {
namespace onnx_import {

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

const onnx::AttributeProto *OpBinder::attr(StringRef name) const {
  for (const auto &a : imp.node->attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t OpBinder::attrInt(StringRef name, int64_t dflt) const {
  auto *a = attr(name);
  return a ? a->i() : dflt;
}

float OpBinder::attrFloat(StringRef name, float dflt) const {
  auto *a = attr(name);
  return a ? a->f() : dflt;
}

std::string OpBinder::attrString(StringRef name, StringRef dflt) const {
  auto *a = attr(name);
  return a ? a->s() : dflt.str();
}

std::optional<SmallVector<int64_t>> OpBinder::attrInts(StringRef name) const {
  auto *a = attr(name);
  if (!a)
    return std::nullopt;
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}

FailureOr<HostRef> OpBinder::attrTensor(StringRef name) {
  HostRef h;
  if (auto *a = attr(name))
    if (failed(imp.loadTensor(a->t(), h, name)))
      return failure();
  return h;
}

//===----------------------------------------------------------------------===//
// Inputs and outputs
//===----------------------------------------------------------------------===//

int OpBinder::numInputs() const {
  // Trailing empty names are absent optional inputs.
  int n = imp.node->input_size();
  while (n > 0 && imp.node->input(n - 1).empty())
    --n;
  return n;
}

bool OpBinder::hasInput(int k) const {
  return k < imp.node->input_size() && !imp.node->input(k).empty();
}

FailureOr<Val> OpBinder::input(int k) {
  if (!hasInput(k)) {
    error() << "input " << k << " is missing";
    return failure();
  }
  auto it = imp.values.find(imp.node->input(k));
  if (it == imp.values.end()) {
    error() << "input '" << imp.node->input(k)
            << "' is not produced by any earlier node, initializer or "
               "graph input";
    return failure();
  }
  return it->second;
}

FailureOr<HostRef> OpBinder::knownInput(int k, StringRef what) {
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

FailureOr<int64_t> OpBinder::axisAttr(int64_t dflt, int64_t rank) {
  std::optional<int64_t> axis = normAxis(attrInt("axis", dflt), rank);
  if (!axis) {
    error() << "axis out of range";
    return failure();
  }
  return *axis;
}

FailureOr<SmallVector<int64_t>> OpBinder::knownInts(int k, StringRef what) {
  FailureOr<HostRef> v = knownInput(k, what);
  if (failed(v))
    return failure();
  return SmallVector<int64_t>((*v)->i.begin(), (*v)->i.end());
}

FailureOr<std::optional<SmallVector<int64_t>>>
OpBinder::intsFromInputOrAttr(int k, StringRef what, StringRef name) {
  if (hasInput(k)) {
    FailureOr<SmallVector<int64_t>> v = knownInts(k, what);
    if (failed(v))
      return failure();
    return std::optional<SmallVector<int64_t>>(std::move(*v));
  }
  return attrInts(name);
}

FailureOr<Value> OpBinder::runtimeInput(int k) {
  FailureOr<Val> v = input(k);
  if (failed(v))
    return failure();
  return toValue(*v);
}

LogicalResult OpBinder::setOutput(int k, Val v) {
  if (k >= imp.node->output_size())
    return success();
  if (!imp.node->output(k).empty())
    imp.values[imp.node->output(k)] = std::move(v);
  return success();
}

} // namespace onnx_import
} // namespace acc
