//===- ONNXImporter.h - Forwards to acc/Import/ONNX -------------*- C++ -*-===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//
//
// The ONNX importer's API moved to acc/Import/ONNX/ONNXImporter.h; this
// header only forwards there until its last includer switches.
//
//===----------------------------------------------------------------------===//

#include "acc/Import/ONNX/ONNXImporter.h"
