//===- InputShapes.cpp - Parsing of --input-shape values ------------------===//
//
// Part of the acc project.
//
// `NAME:DIMS` specs, shared by acc-import-onnx and acc-compile.
//
//===----------------------------------------------------------------------===//

#include "acc/Import/ONNX/ONNXImporter.h"

using namespace mlir;
using llvm::SmallVector;

namespace acc {

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
