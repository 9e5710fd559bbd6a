//===- InitAllPasses.h - register every acc pass and pipeline --*- C++ -*-===//
//
// Part of the acc project.
//
// Every tool registers acc's passes through this one function (CIRCT's
// InitAllPasses.h), so a pass added to a component's Passes.td is in
// acc-opt, and in --help, without touching the tools.
//
//===----------------------------------------------------------------------===//

#ifndef ACC_INITALLPASSES_H
#define ACC_INITALLPASSES_H

#include "acc/Codegen/CPU/Passes.h"
#include "acc/Codegen/Common/Passes.h"
#include "acc/Codegen/EntryABI/Passes.h"
#include "acc/Conversion/NNToLinalg/Passes.h"
#include "acc/Dialect/NN/Transforms/Passes.h"
#include "acc/Pipelines/Pipelines.h"

namespace acc {

/// Registers the nn dialect's passes, the lowering, the shared and the CPU
/// code generation passes, the entry-ABI passes and the pipelines.
inline void registerAllPasses() {
  nn::registerNNPasses();
  registerNNToLinalgPasses();
  registerNNCodegenCommonPasses();
  registerNNCodegenCPUPasses();
  registerNNEntryABIPasses();
  registerPipelines();
}

} // namespace acc

#endif // ACC_INITALLPASSES_H
