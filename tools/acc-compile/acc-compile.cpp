//===- acc-compile.cpp - acc's ahead-of-time compiler driver --------------===//
//
// Part of the acc project.
//
// Reads nn IR and either prints the cost report (`--cost-report[=json]`) or
// compiles it with the same pipeline acc-opt registers (nn-cpu-pipeline),
// stopping at any level (`-emit=nn|linalg|llvm-dialect|llvm-ir|asm|obj`,
// Toy chapter 7 style). It names the entry (`--name`, default: the file's
// stem), writes its C header (`--header`), and links shared libraries with
// acc's runtime (`--shared`). A `.onnx` input goes through the ONNX importer
// (docs/Import.md) first. The C ABI is documented in docs/ABI.md.
//
//===----------------------------------------------------------------------===//

#include "acc/Analysis/CostModel.h"
#include "acc/Dialect/NN/IR/NNDialect.h"
#include "acc/Import/ONNX/ONNXImporter.h"
#include "acc/InitAllDialects.h"
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
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
namespace cl = llvm::cl;

/// Where acc-compile stops (Toy chapter 7's levels); every level past `nn`
/// is a stop point of nn-cpu-pipeline.
enum class Emit { NN, Linalg, LLVMDialect, LLVMIR, Asm, Obj };

namespace {
/// acc-compile's options, registered with LLVM's command line when the
/// struct is made (in main) and handed to the driver, the pipeline and the
/// target builders below: no option lives at file scope.
struct CompileOptions {
  cl::OptionCategory category{"acc-compile options"};
  cl::opt<std::string> inputFilename{cl::Positional,
                                     cl::desc("<model.mlir|model.onnx>"),
                                     cl::init("-"), cl::cat(category)};
  cl::opt<std::string> outputFilename{
      "o",
      cl::desc("Output file (default: <input stem>.o for objects, "
               "standard output otherwise)"),
      cl::value_desc("filename"), cl::init(""), cl::cat(category)};
  cl::opt<Emit> emitLevel{
      "emit", cl::desc("Where to stop"), cl::init(Emit::Obj),
      cl::values(clEnumValN(Emit::NN, "nn", "the verified nn IR"),
                 clEnumValN(Emit::Linalg, "linalg", "after lowering to linalg"),
                 clEnumValN(Emit::LLVMDialect, "llvm-dialect",
                            "after the whole pipeline, in the LLVM dialect"),
                 clEnumValN(Emit::LLVMIR, "llvm-ir", "optimised LLVM IR"),
                 clEnumValN(Emit::Asm, "asm", "assembly for the target"),
                 clEnumValN(Emit::Obj, "obj", "an object file (the default)")),
      cl::cat(category)};
  cl::opt<std::string> targetName{
      "target", cl::desc("Target: cpu (the GPU path is not built yet)"),
      cl::init("cpu"), cl::cat(category)};
  cl::opt<std::string> cpuName{"cpu",
                               cl::desc("Target CPU (default: the host's)"),
                               cl::init(""), cl::cat(category)};
  cl::opt<std::string> cpuFeatures{
      "features",
      cl::desc("Target features, e.g. +avx2,+fma (default: the "
               "host's)"),
      cl::init(""), cl::cat(category)};
  cl::opt<unsigned> optLevel{"O", cl::desc("LLVM optimisation level"),
                             cl::init(3), cl::Prefix, cl::cat(category)};
  cl::opt<std::string> entryName{
      "name",
      cl::desc("Entry symbol of a model with one public function "
               "(default: the input file's stem, as a C identifier)"),
      cl::value_desc("identifier"), cl::init(""), cl::cat(category)};
  cl::opt<std::string> headerFilename{
      "header", cl::desc("Also write the entry's C header"),
      cl::value_desc("model.h"), cl::init(""), cl::cat(category)};
  cl::list<std::string> inputShapes{
      "input-shape",
      cl::desc("ONNX input only: the shape of a graph input, NAME:DIMS (e.g. "
               "input:1x3x224x224); repeat for several inputs"),
      cl::value_desc("name:dims"), cl::cat(category)};
  cl::opt<bool> shared{
      "shared",
      cl::desc("Link a shared library (with acc's runtime inside) "
               "instead of emitting an object"),
      cl::init(false), cl::cat(category)};
  cl::opt<bool> parallel{
      "parallel", cl::init(true),
      cl::desc("Run parallel loops on acc's thread pool (link libacc_runtime.a "
               "and -lpthread); --parallel=false gives single-threaded code "
               "that needs only libc and libm"),
      cl::cat(category)};
  cl::opt<bool> winograd{
      "winograd", cl::init(true),
      cl::desc(
          "Compute 3x3 stride-1 convolutions with constant f32 filters by "
          "Winograd's algorithm where it pays (4x fewer multiplies; "
          "rounding differs from the direct sum by a few ulps of the "
          "largest term); --winograd=false keeps every convolution direct"),
      cl::cat(category)};
  cl::opt<std::string> costReport{
      "cost-report", cl::ValueOptional,
      cl::desc("Print the cost report (text, or =json) and stop before "
               "compiling"),
      cl::value_desc("text|json"), cl::cat(category)};
  cl::opt<double> peakGflops{
      "peak-gflops", cl::init(330.0),
      cl::desc("Peak GFLOP/s for the roofline estimate of the cost report"),
      cl::cat(category)};
  cl::opt<double> bandwidthGBs{
      "bandwidth-gbs", cl::init(26.0),
      cl::desc("Memory bandwidth in GB/s for the roofline estimate"),
      cl::cat(category)};
};
} // namespace

static int fail(const llvm::Twine &message) {
  llvm::errs() << "acc-compile: error: " << message << "\n";
  return 1;
}

/// `name` as a C identifier: other characters become '_', and a leading
/// digit gets a '_' in front.
static std::string cIdentifier(StringRef name) {
  std::string id;
  for (char c : name)
    id.push_back(llvm::isAlnum(c) || c == '_' ? c : '_');
  if (id.empty() || llvm::isDigit(id[0]))
    id.insert(id.begin(), '_');
  return id;
}

static bool isCIdentifier(StringRef name) {
  return !name.empty() && !llvm::isDigit(name[0]) &&
         llvm::all_of(name,
                      [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

/// The C type of a buffer element, or "" if the ABI has none.
static std::string cElementType(Type t) {
  if (t.isF32())
    return "float";
  if (t.isF64())
    return "double";
  if (t.isF16() || t.isBF16())
    return "uint16_t"; // raw IEEE half / bfloat16 bits
  if (t.isInteger(32))
    return "int32_t";
  if (t.isInteger(64))
    return "int64_t";
  if (t.isInteger(8))
    return "int8_t";
  return "";
}

/// The C header of the public functions of `module` (at the nn level:
/// tensor arguments and results).
static LogicalResult writeHeader(ModuleOp module, StringRef guardStem,
                                 StringRef source, bool withRuntime,
                                 llvm::raw_ostream &os) {
  std::string guard =
      "ACC_" + llvm::StringRef(cIdentifier(guardStem)).upper() + "_H";
  os << "/* Generated by acc-compile from " << source << ". Do not edit.\n"
     << " *\n"
     << " * C ABI (docs/ABI.md): dense row-major buffers in the model's own "
        "layout,\n"
     << " * inputs then outputs; outputs must not overlap inputs. Each entry\n"
     << " * returns 0 on success. Link the object with "
     << (withRuntime ? "libacc_runtime.a -lm -lpthread" : "-lm")
     << "\n * (a library from acc-compile --shared contains the runtime).\n"
     << " */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include <stdint.h>\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n";
  unsigned numPublic = 0;
  for (auto func : module.getOps<func::FuncOp>())
    numPublic += !func.isPrivate() && !func.isExternal();
  bool single = numPublic == 1;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isPrivate() || func.isExternal())
      continue;
    std::string name = func.getSymName().str();
    std::string upper = llvm::StringRef(name).upper();
    SmallVector<std::string> params;
    std::string comment, macros;
    // Dynamic dims are read from the entry's trailing `dims` array, in
    // signature order.
    int64_t numDims = 0;
    auto add = [&](Type t, bool in, unsigned i) -> LogicalResult {
      auto shaped = dyn_cast<RankedTensorType>(t);
      std::string elt = shaped ? cElementType(shaped.getElementType()) : "";
      if (!shaped || elt.empty())
        return func.emitError()
               << "no C ABI for " << (in ? "argument" : "result") << " #" << i
               << " of type " << t
               << " (ranked tensors of f32, f64, f16, bf16, i8, i32 or i64 "
                  "only)";
      std::string pname = (in ? "in" : "out") + std::to_string(i);
      params.push_back((in ? "const " : "") + elt + " *" + pname);
      std::string macro = upper + "_" + llvm::StringRef(pname).upper();
      std::string dims, shapeMacro;
      for (auto [k, d] : llvm::enumerate(shaped.getShape())) {
        bool dyn = ShapedType::isDynamic(d);
        dims +=
            (k ? ", " : "") + (dyn ? "dims[" + std::to_string(numDims++) + "]"
                                   : std::to_string(d));
        shapeMacro += (k ? ", " : "") + std::to_string(dyn ? -1 : d);
      }
      // The model's own name for the tensor (ONNX inputs and outputs).
      auto named = in ? func.getArgAttrOfType<StringAttr>(i, "nn.name")
                      : func.getResultAttrOfType<StringAttr>(i, "nn.name");
      comment += " * " + pname + ": " + elt +
                 (shaped.hasStaticShape()
                      ? "[" + std::to_string(shaped.getNumElements()) + "]"
                      : std::string("[]")) +
                 ", shape (" + dims + ")" +
                 (named ? ", \"" + named.str() + "\"" : "") + "\n";
      macros += "#define " + macro + "_RANK " +
                std::to_string(shaped.getRank()) + "\n";
      macros += "#define " + macro + "_SHAPE {" + shapeMacro + "}\n";
      if (shaped.hasStaticShape())
        macros += "#define " + macro + "_ELEMENTS " +
                  std::to_string(shaped.getNumElements()) + "\n";
      return success();
    };
    for (auto [i, t] : llvm::enumerate(func.getArgumentTypes()))
      if (failed(add(t, true, i)))
        return failure();
    for (auto [i, t] : llvm::enumerate(func.getResultTypes()))
      if (failed(add(t, false, i)))
        return failure();
    if (numDims) {
      params.push_back("const int64_t *dims");
      comment += " * dims: the " + std::to_string(numDims) +
                 " dynamic dims (-1 in the _SHAPE macros), in the order\n"
                 " * above. Returns 1 when an output's dims differ from what "
                 "the model\n * computes (outputs untouched), 2 for a "
                 "negative dim.\n";
      macros +=
          "#define " + upper + "_NUM_DIMS " + std::to_string(numDims) + "\n";
    }
    os << "\n/* " << name << ": " << func.getNumArguments() << " input(s), "
       << func.getNumResults() << " output(s).\n"
       << comment << " */\n"
       << macros << "int " << name << "(" << llvm::join(params, ", ") << ");\n";
    if (single && !numDims && llvm::all_of(params, [](const std::string &p) {
          return StringRef(p).contains("float *");
        })) {
      // Generic access for runners that handle any model: arrays of
      // buffers in, the entry's status out.
      SmallVector<std::string> inElems, outElems, callArgs;
      for (Type t : func.getArgumentTypes())
        inElems.push_back(
            std::to_string(cast<RankedTensorType>(t).getNumElements()));
      for (Type t : func.getResultTypes())
        outElems.push_back(
            std::to_string(cast<RankedTensorType>(t).getNumElements()));
      for (unsigned i = 0; i < func.getNumArguments(); ++i)
        callArgs.push_back("in[" + std::to_string(i) + "]");
      for (unsigned i = 0; i < func.getNumResults(); ++i)
        callArgs.push_back("out[" + std::to_string(i) + "]");
      os << "\n/* The single entry, generically. */\n"
         << "#define ACC_MODEL_NAME \"" << name << "\"\n"
         << "#define ACC_NUM_INPUTS " << func.getNumArguments() << "\n"
         << "#define ACC_NUM_OUTPUTS " << func.getNumResults() << "\n"
         << "#define ACC_INPUT_ELEMENTS {" << llvm::join(inElems, ", ") << "}\n"
         << "#define ACC_OUTPUT_ELEMENTS {" << llvm::join(outElems, ", ")
         << "}\n"
         << "static inline int acc_run(const float *const *in, "
            "float *const *out) {\n"
         << "  return " << name << "(" << llvm::join(callArgs, ", ")
         << ");\n}\n";
    }
  }
  os << "\n#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << guard << " */\n";
  return success();
}

/// acc's runtime library next to this executable (<prefix>/lib).
static std::string runtimeLibrary() {
  static int anchor;
  std::string exe = llvm::sys::fs::getMainExecutable("acc-compile", &anchor);
  SmallString<256> path(
      llvm::sys::path::parent_path(llvm::sys::path::parent_path(exe)));
  llvm::sys::path::append(path, "lib", "libacc_runtime.a");
  return std::string(path);
}

/// The target of `opts` (--cpu, --features, -O).
static acc::CPUTargetOptions targetOptions(const CompileOptions &opts) {
  acc::CPUTargetOptions target;
  target.cpu = opts.cpuName;
  target.features = opts.cpuFeatures;
  target.optLevel = opts.optLevel;
  return target;
}

/// Sets nn-cpu-pipeline's `options` for `opts` on a CPU with the facts
/// `info`: register blocks as wide as its vectors, and the pipeline's stop
/// point for -emit.
static void setPipelineOptions(acc::CPUPipelineOptions &options,
                               const CompileOptions &opts,
                               const acc::CPUTargetInfo &info) {
  options.vectorWidth = info.vectorWidth;
  options.parallel = opts.parallel.getValue();
  if (!opts.winograd)
    options.winogradMaxFilterBytes = 0;
  options.stopAfter = opts.emitLevel == Emit::Linalg
                          ? acc::CPUPipelineStop::Linalg
                          : acc::CPUPipelineStop::LLVM;
}

static int run(const CompileOptions &opts) {
  bool wantReport = opts.costReport.getNumOccurrences() > 0;
  bool isONNX = llvm::sys::path::extension(opts.inputFilename) == ".onnx";
  if (!isONNX && !opts.inputShapes.empty())
    return fail("--input-shape applies to ONNX models only");
  if (opts.targetName != "cpu")
    return fail("unknown or unbuilt target '" + opts.targetName +
                "'; only --target=cpu is available");
  if (!opts.costReport.empty() && opts.costReport != "text" &&
      opts.costReport != "json")
    return fail("--cost-report takes 'text' or 'json', not '" +
                opts.costReport + "'");
  if (!(opts.peakGflops > 0) || !(opts.bandwidthGBs > 0))
    return fail("--peak-gflops and --bandwidth-gbs must be positive");
  if (opts.optLevel > 3)
    return fail("-O takes 0 to 3");

  // --mlir-timing: the time of each phase (reading the model, every pass
  // of the pipeline, LLVM's optimisation and code generation, linking),
  // printed to stderr at the end, as mlir-opt prints its passes'.
  DefaultTimingManager timingManager;
  applyDefaultTimingManagerCLOptions(timingManager);
  TimingScope timing = timingManager.getRootScope();

  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> file =
      openInputFile(opts.inputFilename, &error);
  if (!file)
    return fail(error);
  if (!isONNX &&
      !acc::checkIRNesting(file->getBuffer(), file->getBufferIdentifier(),
                           llvm::errs()))
    return 1;

  DialectRegistry registry;
  acc::registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadDialect<acc::nn::NNDialect>();
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module;
  TimingScope readTiming =
      timing.nest(isONNX ? "Import the ONNX model" : "Parse the input");
  if (isONNX) {
    acc::ONNXImportOptions options;
    if (!opts.entryName.empty())
      options.functionName = opts.entryName;
    else if (opts.inputFilename != "-")
      options.functionName =
          cIdentifier(llvm::sys::path::stem(opts.inputFilename));
    for (const std::string &spec : opts.inputShapes) {
      std::string err;
      if (!acc::parseInputShapes(spec, options.inputShapes, err))
        return fail(err);
    }
    module = acc::importONNXModel(file->getBuffer(), opts.inputFilename,
                                  &context, options);
    // The protobuf's bytes are not needed any more.
    file.reset();
  } else {
    sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
    module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  }
  readTiming.stop();
  if (!module)
    return 1;

  // The entry's name: --name, else the file's stem, for a model with one
  // public function; a module of several keeps their names.
  SmallVector<func::FuncOp> publicFuncs;
  for (auto func : module->getOps<func::FuncOp>())
    if (!func.isPrivate() && !func.isExternal())
      publicFuncs.push_back(func);
  if (!opts.entryName.empty() && !isCIdentifier(opts.entryName))
    return fail("--name '" + opts.entryName + "' is not a C identifier");
  if (!opts.entryName.empty() && publicFuncs.size() != 1)
    return fail("--name needs a module with exactly one public function (" +
                llvm::Twine(publicFuncs.size()) + " found)");
  if (publicFuncs.size() == 1 && !wantReport &&
      (!opts.entryName.empty() || opts.inputFilename != "-")) {
    std::string name =
        !opts.entryName.empty()
            ? std::string(opts.entryName)
            : cIdentifier(llvm::sys::path::stem(opts.inputFilename));
    func::FuncOp func = publicFuncs.front();
    if (func.getSymName() != name) {
      if (module->lookupSymbol(name))
        return fail("cannot name the entry '" + name +
                    "': the module has a symbol of that name");
      if (failed(SymbolTable::replaceAllSymbolUses(
              func, StringAttr::get(&context, name), *module)))
        return 1;
      SymbolTable::setSymbolName(func, name);
    }
  }
  if (opts.shared && opts.emitLevel != Emit::Obj)
    return fail("--shared links a library from an object: it cannot be "
                "combined with -emit");
  if ((opts.shared || !opts.headerFilename.empty()) && wantReport)
    return fail("--cost-report stops before compiling: no --shared or "
                "--header");

  // The header is written now (it describes the nn-level signature) and
  // kept only if the compile succeeds.
  std::unique_ptr<llvm::ToolOutputFile> header;
  if (!opts.headerFilename.empty()) {
    std::string err;
    header = openOutputFile(opts.headerFilename, &err);
    if (!header)
      return fail(err);
    if (failed(writeHeader(*module, llvm::sys::path::stem(opts.headerFilename),
                           llvm::sys::path::filename(opts.inputFilename),
                           opts.parallel, header->os())))
      return 1;
  }

  // The output path: objects default to <stem>.o, opts.shared libraries to
  // lib<stem>.so.
  std::string outPath = opts.outputFilename;
  if (outPath.empty()) {
    if (opts.emitLevel == Emit::Obj && !wantReport && opts.inputFilename != "-")
      outPath = (opts.shared ? "lib" : "") +
                llvm::sys::path::stem(opts.inputFilename).str() +
                (opts.shared ? ".so" : ".o");
    else
      outPath = "-";
  }
  if (opts.shared && outPath == "-")
    return fail("--shared needs an output file (-o)");

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
    if (header)
      header->keep();
    return 0;
  };

  if (wantReport) {
    acc::CostModel model(*module);
    acc::CostReportOptions options;
    options.json = opts.costReport == "json";
    options.peakGflops = opts.peakGflops;
    options.bandwidthGBs = opts.bandwidthGBs;
    return writeOutput([&](llvm::raw_pwrite_stream &os) {
      acc::printCostReport(model, options, os);
      return success();
    });
  }

  if (opts.emitLevel != Emit::NN) {
    PassManager pm(&context);
    if (failed(applyPassManagerCLOptions(pm)))
      return 1;
    TimingScope pipelineTiming = timing.nest("Pipeline");
    pm.enableTiming(pipelineTiming);
    FailureOr<acc::CPUTargetInfo> info =
        acc::getCPUTargetInfo(targetOptions(opts), error);
    if (failed(info))
      return fail(error);
    acc::CPUPipelineOptions options;
    setPipelineOptions(options, opts, *info);
    acc::buildCPUPipeline(pm, options);
    if (failed(pm.run(*module)))
      return 1;
  }

  if (opts.emitLevel == Emit::NN || opts.emitLevel == Emit::Linalg ||
      opts.emitLevel == Emit::LLVMDialect)
    return writeOutput([&](llvm::raw_pwrite_stream &os) {
      module->print(os);
      return success();
    });

  acc::CPUTargetOptions target = targetOptions(opts);
  acc::CPUOutputKind kind =
      opts.emitLevel == Emit::LLVMIR ? acc::CPUOutputKind::LLVMIR
      : opts.emitLevel == Emit::Asm  ? acc::CPUOutputKind::Assembly
                                     : acc::CPUOutputKind::Object;
  TimingScope codegenTiming = timing.nest("LLVM");
  target.timing = &codegenTiming;
  if (!opts.shared)
    return writeOutput([&](llvm::raw_pwrite_stream &os) {
      return acc::emitCPUCode(*module, kind, target, os);
    });

  // --shared: an object in a temporary file, linked by the system's C
  // compiler with acc's runtime into a temporary library, renamed into
  // place only on success.
  std::string runtime = runtimeLibrary();
  if (!llvm::sys::fs::exists(runtime))
    return fail("acc's runtime library is not at '" + runtime +
                "' (build the acc_runtime target)");
  llvm::ErrorOr<std::string> cc = llvm::sys::findProgramByName("cc");
  if (!cc)
    return fail("--shared needs a C compiler driver 'cc' on PATH to link");
  SmallString<128> objPath, libPath;
  if (llvm::sys::fs::createTemporaryFile("acc-compile", "o", objPath) ||
      llvm::sys::fs::createUniqueFile(outPath + ".tmp%%%%%%", libPath))
    return fail("cannot create temporary files for --shared");
  llvm::FileRemover removeObj(objPath), removeLib(libPath);
  {
    std::error_code ec;
    llvm::raw_fd_ostream obj(objPath, ec);
    if (ec)
      return fail("cannot write " + objPath + ": " + ec.message());
    if (failed(acc::emitCPUCode(*module, kind, target, obj)))
      return 1;
  }
  codegenTiming.stop();
  TimingScope linkTiming = timing.nest("Link (cc)");
  SmallVector<StringRef> args = {*cc,     "-shared", "-o",  libPath,
                                 objPath, runtime,   "-lm", "-lpthread"};
  std::string linkError;
  int rc =
      llvm::sys::ExecuteAndWait(*cc, args, std::nullopt, {}, 0, 0, &linkError);
  if (rc != 0)
    return fail("linking the shared library failed" +
                (linkError.empty() ? "" : ": " + linkError));
  if (std::error_code ec = llvm::sys::fs::rename(libPath, outPath))
    return fail("cannot write " + outPath + ": " + ec.message());
  removeLib.releaseFile();
  if (header)
    header->keep();
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM y(argc, argv);
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  CompileOptions opts;
  cl::HideUnrelatedOptions(opts.category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "acc-compile: ahead-of-time compiler for nn models\n\n"
      "  acc-compile model.mlir -o model.o          native object for the "
      "host\n"
      "  acc-compile model.mlir -emit=linalg        stop at any level\n"
      "  acc-compile model.mlir --cost-report[=json]\n\n"
      "  acc-compile model.mlir --shared -o libmodel.so --header model.h\n"
      "  acc-compile model.onnx -o model.o [--input-shape NAME:DIMS]\n\n"
      "A function with static shapes compiles to int NAME(const float *in0, "
      "..., float *out0, ...), returning 0 on success; one with dynamic "
      "dims takes them in a trailing const int64_t *dims (docs/ABI.md). "
      "ONNX models go through acc-import-onnx's importer "
      "(docs/Import.md).\n");
  return acc::runWithLargeStack([&] { return run(opts); });
}
