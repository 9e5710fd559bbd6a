//===- CPUPipeline.cpp - nn to native CPU code ----------------------------===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#include "acc/Codegen/CPU/Passes.h"
#include "acc/Codegen/Common/Passes.h"
#include "acc/Codegen/EntryABI/Passes.h"
#include "acc/Conversion/NNToLinalg/Passes.h"
#include "acc/Dialect/NN/Transforms/Passes.h"
#include "acc/Pipelines/Pipelines.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void acc::buildCPUPipeline(OpPassManager &pm,
                           const CPUPipelineOptions &options) {
  bool lowerToLLVM = options.stopAfter == CPUPipelineStop::LLVM;
  // nn level.
  if (lowerToLLVM)
    pm.addPass(acc::createNNCheckEntryABI());
  pm.addPass(acc::nn::createNNInlineBlocks());
  // nn's own folds first: a batch norm with constant statistics after a
  // convolution with a constant filter becomes that convolution's filter
  // and bias, so its epilogue (residual add, ReLU) fuses into it.
  pm.addPass(createCanonicalizerPass());
  // 3x3 convolutions that pay for it go by Winograd; the threshold is the
  // target's choice.
  acc::NNWinogradConvOptions winograd;
  winograd.maxFilterBytes = options.winogradMaxFilterBytes;
  pm.addPass(acc::createNNWinogradConv(winograd));
  acc::NNLowerToLinalgOptions lower;
  lower.queryBlock = options.queryBlock;
  lower.keyBlock = options.keyBlock;
  pm.addPass(acc::createNNLowerToLinalg(lower));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  if (options.stopAfter == CPUPipelineStop::Linalg)
    return;
  // NCHW models: layout transposes between convolutions cancel.
  if (options.sinkTransposes) {
    pm.addNestedPass<func::FuncOp>(acc::createNNSinkTransposes());
    pm.addPass(createCanonicalizerPass());
  }
  // Before elementwise fusion: the rounding back of a widened sum then
  // fuses into its consumers (a 16-bit convolution's bias and ReLU).
  pm.addNestedPass<func::FuncOp>(acc::createNNWidenAccumulators());
  pm.addNestedPass<func::FuncOp>(acc::createNNFuseElementwise());
  pm.addPass(createCanonicalizerPass());
  if (options.vectorize) {
    // The CPU strategy writes each root's lowering configuration; the
    // tiling pass applies it.
    pm.addNestedPass<func::FuncOp>(acc::createNNCPUPrepareTiling());
    acc::NNCPUSelectTileSizesOptions select;
    select.vectorWidth = options.vectorWidth;
    pm.addNestedPass<func::FuncOp>(acc::createNNCPUSelectTileSizes(select));
    acc::NNCPUTileAndVectorizeOptions tile;
    tile.vectorWidth = options.vectorWidth;
    pm.addNestedPass<func::FuncOp>(acc::createNNCPUTileAndVectorize(tile));
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
  }

  // Bufferization: function arguments and results become identity-layout
  // memrefs; results are written into caller-provided buffers.
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  // Loop-carried tiles (the attention accumulators) may be reallocated in
  // the loop; the deallocation pipeline frees them.
  bufferize.allowReturnAllocsFromLoops = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  pm.addNestedPass<func::FuncOp>(bufferization::createBufferHoistingPass());
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.modifyPublicFunctions = true;
  outParams.hoistStaticAllocs = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  // Entries with dynamic dims take their buffers' dims (`int NAME(...,
  // const int64_t *dims)`); the implementation is inlined below.
  if (lowerToLLVM)
    pm.addPass(acc::createNNDynamicEntry());
  // The deallocation helper takes dynamic memrefs, which the bare-pointer
  // calling convention cannot express: inline it and drop it.
  pm.addPass(createInlinerPass());
  pm.addPass(createSymbolDCEPass());
  pm.addPass(createCanonicalizerPass());
  if (!lowerToLLVM)
    return;
  // `int NAME(...)`: 0 on success.
  pm.addPass(acc::createNNReturnStatus());

  // Per-tile temporaries on the stack, allocated once per scope.
  pm.addNestedPass<func::FuncOp>(acc::createNNCPUPromoteTileBuffers());
  if (options.vectorize) {
    pm.addNestedPass<func::FuncOp>(acc::createNNCPUHoistVectorTransfers());
    pm.addPass(createCanonicalizerPass());
    pm.addNestedPass<func::FuncOp>(acc::createNNCPUPrefetchPanels());
  }
  // The outermost parallel tile loops go to the thread pool; the others
  // become sequential loops.
  if (options.parallel)
    pm.addPass(acc::createNNCPUParallelize());
  else
    pm.addPass(createForallToForLoopPass());
  pm.addPass(createCanonicalizerPass());

  // Loops and the LLVM dialect; no call into MLIR's runtime libraries.
  pm.addPass(acc::createNNCopyToLinalg());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  // Fully unrolled: the non-unrolled lowering stages n-D transfers through a
  // memref.alloca at the top of the enclosing scf.for, which the LLVM
  // lowering leaves in the loop (the stack grows at every iteration).
  pm.addPass(createConvertVectorToSCFPass(
      VectorTransferToSCFOptions().enableFullUnroll()));
  // LLVM intrinsics first (fma, floor, ... stay vector instructions); only
  // what has no intrinsic (erf, scalar tanh) becomes a libm call, which
  // would scalarize a vector.
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertVectorToLLVMPass());
  // With the runtime linked in (parallel code), heap buffers come from its
  // caching allocator.
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useGenericFunctions = options.parallel;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  ConvertFuncToLLVMPassOptions funcToLLVM;
  funcToLLVM.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(funcToLLVM));
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  // Every heap allocation is checked (NULL: the entry returns 3).
  acc::NNCPURuntimeAllocatorOptions allocator;
  allocator.runtime = options.parallel;
  pm.addPass(acc::createNNCPURuntimeAllocator(allocator));
  pm.addPass(createCanonicalizerPass());
}

void acc::registerPipelines() {
  PassPipelineRegistration<CPUPipelineOptions>(
      "nn-cpu-pipeline",
      "Compile nn IR to the LLVM dialect for the host CPU (the pipeline "
      "acc-compile runs)",
      buildCPUPipeline);
}
