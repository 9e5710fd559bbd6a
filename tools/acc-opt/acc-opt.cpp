//===- acc-opt.cpp - acc's optimizer driver -------------------------------===//
//
// Part of the acc project.
//
// Like mlir-opt, for nn IR files and lit tests: the nn dialect and acc's
// passes, plus the upstream dialects and passes that acc's pipelines use.
//
//===----------------------------------------------------------------------===//

#include "acc/InitAllDialects.h"
#include "acc/InitAllPasses.h"
#include "acc/Support/InputGuard.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Affine/Transforms/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/Transforms/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/Tensor/Transforms/Passes.h"
#include "mlir/Dialect/Vector/Transforms/Passes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"

int main(int argc, char **argv) {
  // acc's own passes first, so that `--help` shows where they come from.
  acc::registerAllPasses();

  // The upstream passes that acc's pipelines are built from.
  mlir::registerTransformsPasses();
  mlir::registerConversionPasses();
  mlir::affine::registerAffinePasses();
  mlir::arith::registerArithPasses();
  mlir::bufferization::registerBufferizationPasses();
  mlir::bufferization::registerBufferizationPipelines();
  mlir::func::registerFuncPasses();
  mlir::registerGPUPasses();
  mlir::LLVM::registerLLVMPasses();
  mlir::registerLinalgPasses();
  mlir::math::registerMathPasses();
  mlir::memref::registerMemRefPasses();
  mlir::registerSCFPasses();
  mlir::tensor::registerTensorPasses();
  mlir::vector::registerVectorPasses();

  mlir::DialectRegistry registry;
  acc::registerAllDialects(registry);

  auto [inputFilename, outputFilename] = mlir::registerAndParseCLIOptions(
      argc, argv, "acc optimizer driver: nn dialect and acc passes\n",
      registry);

  // What MlirOptMain(argc, argv, ...) does, plus a scan that refuses inputs
  // nested deeply enough to overflow the parser's stack, and a thread with a
  // stack large enough for everything the scan accepts.
  return acc::runWithLargeStack([&, &inputFilename = inputFilename,
                                 &outputFilename = outputFilename]() -> int {
    std::string errorMessage;
    std::unique_ptr<llvm::MemoryBuffer> file =
        mlir::openInputFile(inputFilename, &errorMessage);
    if (!file) {
      llvm::errs() << "acc-opt: error: " << errorMessage << "\n";
      return 1;
    }
    if (!acc::checkIRNesting(file->getBuffer(), file->getBufferIdentifier(),
                             llvm::errs()))
      return 1;
    // The output file is only kept when everything succeeded: a failed run
    // never leaves a partial file behind.
    std::unique_ptr<llvm::ToolOutputFile> output =
        mlir::openOutputFile(outputFilename, &errorMessage);
    if (!output) {
      llvm::errs() << "acc-opt: error: " << errorMessage << "\n";
      return 1;
    }
    mlir::MlirOptMainConfig config =
        mlir::MlirOptMainConfig::createFromCLOptions();
    if (mlir::failed(
            mlir::MlirOptMain(output->os(), std::move(file), registry, config)))
      return 1;
    output->keep();
    return 0;
  });
}
