//===- acc-compile.cpp - acc's ahead-of-time compiler driver --------------===//
//
// Part of the acc project.
//
// Today the driver reads nn IR and prints the cost report
// (`--cost-report[=text|json]`), stopping before compilation. Lowering to
// native code, the C header and ONNX input are not built yet: asking for
// them is an error that says so, never a silent no-op.
//
//===----------------------------------------------------------------------===//

#include "acc/Analysis/CostModel.h"
#include "acc/Dialect/NN/IR/NNDialect.h"
#include "acc/Support/InputGuard.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory accCategory("acc-compile options");

static cl::opt<std::string> inputFilename(cl::Positional,
                                          cl::desc("<model.mlir>"),
                                          cl::init("-"), cl::cat(accCategory));

static cl::opt<std::string> outputFilename("o", cl::desc("Output file"),
                                           cl::value_desc("filename"),
                                           cl::init("-"), cl::cat(accCategory));

static cl::opt<std::string> costReport(
    "cost-report", cl::ValueOptional,
    cl::desc("Print the cost report (text, or =json) and stop before "
             "compiling"),
    cl::value_desc("text|json"), cl::cat(accCategory));

static cl::opt<double> peakGflops(
    "peak-gflops", cl::init(330.0),
    cl::desc("Peak GFLOP/s for the roofline estimate of the cost report"),
    cl::cat(accCategory));

static cl::opt<double>
    bandwidthGBs("bandwidth-gbs", cl::init(26.0),
                 cl::desc("Memory bandwidth in GB/s for the roofline estimate"),
                 cl::cat(accCategory));

static int fail(const llvm::Twine &message) {
  llvm::errs() << "acc-compile: error: " << message << "\n";
  return 1;
}

static int run() {
  bool wantReport = costReport.getNumOccurrences() > 0;
  if (llvm::sys::path::extension(inputFilename) == ".onnx")
    return fail("ONNX input is not supported yet (acc-import-onnx is not "
                "built); give nn IR (.mlir)");
  if (!wantReport)
    return fail("compiling to native code is not built yet; only "
                "--cost-report is available");
  if (!costReport.empty() && costReport != "text" && costReport != "json")
    return fail("--cost-report takes 'text' or 'json', not '" + costReport +
                "'");
  if (!(peakGflops > 0) || !(bandwidthGBs > 0))
    return fail("--peak-gflops and --bandwidth-gbs must be positive");

  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> file =
      openInputFile(inputFilename, &error);
  if (!file)
    return fail(error);
  if (!acc::checkIRNesting(file->getBuffer(), file->getBufferIdentifier(),
                           llvm::errs()))
    return 1;

  DialectRegistry registry;
  registry.insert<acc::nn::NNDialect, arith::ArithDialect, func::FuncDialect,
                  math::MathDialect, tensor::TensorDialect>();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;

  acc::CostModel model(*module);
  acc::CostReportOptions options;
  options.json = costReport == "json";
  options.peakGflops = peakGflops;
  options.bandwidthGBs = bandwidthGBs;
  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(outputFilename, &error);
  if (!output)
    return fail(error);
  acc::printCostReport(model, options, output->os());
  output->keep();
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM y(argc, argv);
  cl::HideUnrelatedOptions(accCategory);
  cl::ParseCommandLineOptions(
      argc, argv,
      "acc-compile: ahead-of-time compiler for nn models\n\n"
      "  acc-compile model.mlir --cost-report[=json]\n\n"
      "Only the cost report is built so far; code generation, the C header "
      "and ONNX import come with later work.\n");
  return acc::runWithLargeStack(run);
}
