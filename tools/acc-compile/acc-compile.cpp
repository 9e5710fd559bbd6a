//===- acc-compile.cpp - acc's ahead-of-time compiler driver --------------===//
//
// Part of the acc project.
//
// Reads nn IR and either prints the cost report (`--cost-report[=json]`) or
// compiles it with the same pipeline acc-opt registers (nn-cpu-pipeline),
// stopping at any level (`-emit=nn|linalg|llvm-dialect|llvm-ir|asm|obj`,
// Toy chapter 7 style). The C header, shared libraries and ONNX input are
// not built yet: asking for them is an error that says so.
//
//===----------------------------------------------------------------------===//

#include "acc/Analysis/CostModel.h"
#include "acc/Conversion/Passes.h"
#include "acc/Dialect/NN/IR/NNDialect.h"
#include "acc/Dialect/NN/Transforms/Passes.h"
#include "acc/Pipelines/Pipelines.h"
#include "acc/Support/InputGuard.h"
#include "acc/Target/CPUTarget.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory accCategory("acc-compile options");

static cl::opt<std::string> inputFilename(cl::Positional,
                                          cl::desc("<model.mlir>"),
                                          cl::init("-"), cl::cat(accCategory));

static cl::opt<std::string>
    outputFilename("o",
                   cl::desc("Output file (default: <input stem>.o for objects, "
                            "standard output otherwise)"),
                   cl::value_desc("filename"), cl::init(""),
                   cl::cat(accCategory));

enum class Emit { NN, Linalg, LLVMDialect, LLVMIR, Asm, Obj };
static cl::opt<Emit> emitLevel(
    "emit", cl::desc("Where to stop"), cl::init(Emit::Obj),
    cl::values(clEnumValN(Emit::NN, "nn", "the verified nn IR"),
               clEnumValN(Emit::Linalg, "linalg", "after lowering to linalg"),
               clEnumValN(Emit::LLVMDialect, "llvm-dialect",
                          "after the whole pipeline, in the LLVM dialect"),
               clEnumValN(Emit::LLVMIR, "llvm-ir", "optimised LLVM IR"),
               clEnumValN(Emit::Asm, "asm", "assembly for the target"),
               clEnumValN(Emit::Obj, "obj", "an object file (the default)")),
    cl::cat(accCategory));

static cl::opt<std::string>
    targetName("target",
               cl::desc("Target: cpu (the GPU path is not built yet)"),
               cl::init("cpu"), cl::cat(accCategory));
static cl::opt<std::string>
    cpuName("cpu", cl::desc("Target CPU (default: the host's)"), cl::init(""),
            cl::cat(accCategory));
static cl::opt<std::string>
    cpuFeatures("features",
                cl::desc("Target features, e.g. +avx2,+fma (default: the "
                         "host's)"),
                cl::init(""), cl::cat(accCategory));
static cl::opt<unsigned> optLevel("O", cl::desc("LLVM optimisation level"),
                                  cl::init(3), cl::Prefix,
                                  cl::cat(accCategory));

static cl::opt<bool> parallel(
    "parallel", cl::init(true),
    cl::desc("Run parallel loops on acc's thread pool (link libacc_runtime.a "
             "and -lpthread); --parallel=false gives single-threaded code "
             "that needs only libc and libm"),
    cl::cat(accCategory));

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
  if (targetName != "cpu")
    return fail("unknown or unbuilt target '" + targetName +
                "'; only --target=cpu is available");
  if (!costReport.empty() && costReport != "text" && costReport != "json")
    return fail("--cost-report takes 'text' or 'json', not '" + costReport +
                "'");
  if (!(peakGflops > 0) || !(bandwidthGBs > 0))
    return fail("--peak-gflops and --bandwidth-gbs must be positive");
  if (optLevel > 3)
    return fail("-O takes 0 to 3");

  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> file =
      openInputFile(inputFilename, &error);
  if (!file)
    return fail(error);
  if (!acc::checkIRNesting(file->getBuffer(), file->getBufferIdentifier(),
                           llvm::errs()))
    return 1;

  DialectRegistry registry;
  registry.insert<acc::nn::NNDialect>();
  registerAllDialects(registry);
  registerAllExtensions(registry);
  MLIRContext context(registry);
  context.loadDialect<acc::nn::NNDialect>();
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;

  // The output path: objects default to <stem>.o next to nothing else.
  std::string outPath = outputFilename;
  if (outPath.empty()) {
    if (emitLevel == Emit::Obj && !wantReport && inputFilename != "-")
      outPath = llvm::sys::path::stem(inputFilename).str() + ".o";
    else
      outPath = "-";
  }

  auto writeOutput =
      [&](llvm::function_ref<LogicalResult(llvm::raw_pwrite_stream &)> write)
      -> int {
    std::string err;
    std::unique_ptr<llvm::ToolOutputFile> output =
        openOutputFile(outPath, &err);
    if (!output)
      return fail(err);
    // Nothing is kept unless everything succeeded: no partial outputs.
    if (failed(write(output->os())))
      return 1;
    output->keep();
    return 0;
  };

  if (wantReport) {
    acc::CostModel model(*module);
    acc::CostReportOptions options;
    options.json = costReport == "json";
    options.peakGflops = peakGflops;
    options.bandwidthGBs = bandwidthGBs;
    return writeOutput([&](llvm::raw_pwrite_stream &os) {
      acc::printCostReport(model, options, os);
      return success();
    });
  }

  if (emitLevel != Emit::NN) {
    PassManager pm(&context);
    if (failed(applyPassManagerCLOptions(pm)))
      return 1;
    if (emitLevel == Emit::Linalg) {
      pm.addPass(acc::nn::createNNInlineBlocks());
      pm.addPass(acc::createNNLowerToLinalg());
      pm.addPass(createCanonicalizerPass());
    } else {
      // Register blocks as wide as the target's vectors: 16 f32 lanes with
      // AVX-512, 8 otherwise (AVX2).
      bool avx512;
      if (cpuName.empty() && cpuFeatures.empty()) {
        auto host = llvm::sys::getHostCPUFeatures();
        avx512 = host.lookup("avx512f");
      } else {
        avx512 = llvm::StringRef(cpuFeatures).contains("+avx512f") ||
                 llvm::StringRef(cpuName).contains("avx512") ||
                 llvm::StringRef(cpuName).starts_with("skylake-avx512") ||
                 llvm::StringRef(cpuName).contains("sapphirerapids") ||
                 llvm::StringRef(cpuName).contains("icelake");
      }
      acc::CPUPipelineOptions options;
      options.vectorWidth = avx512 ? 16 : 8;
      options.parallel = parallel;
      acc::buildCPUPipeline(pm, options);
    }
    if (failed(pm.run(*module)))
      return 1;
  }

  if (emitLevel == Emit::NN || emitLevel == Emit::Linalg ||
      emitLevel == Emit::LLVMDialect)
    return writeOutput([&](llvm::raw_pwrite_stream &os) {
      module->print(os);
      return success();
    });

  acc::CPUTargetOptions target;
  target.cpu = cpuName;
  target.features = cpuFeatures;
  target.optLevel = optLevel;
  acc::CPUOutputKind kind =
      emitLevel == Emit::LLVMIR ? acc::CPUOutputKind::LLVMIR
      : emitLevel == Emit::Asm  ? acc::CPUOutputKind::Assembly
                                : acc::CPUOutputKind::Object;
  return writeOutput([&](llvm::raw_pwrite_stream &os) {
    return acc::emitCPUCode(*module, kind, target, os);
  });
}

int main(int argc, char **argv) {
  llvm::InitLLVM y(argc, argv);
  registerPassManagerCLOptions();
  cl::HideUnrelatedOptions(accCategory);
  cl::ParseCommandLineOptions(
      argc, argv,
      "acc-compile: ahead-of-time compiler for nn models\n\n"
      "  acc-compile model.mlir -o model.o          native object for the "
      "host\n"
      "  acc-compile model.mlir -emit=linalg        stop at any level\n"
      "  acc-compile model.mlir --cost-report[=json]\n\n"
      "A function with static shapes compiles to void NAME(const float *in0, "
      "..., float *out0, ...). The C header, shared libraries and ONNX input "
      "are not built yet.\n");
  return acc::runWithLargeStack(run);
}
