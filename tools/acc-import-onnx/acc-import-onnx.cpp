//===- acc-import-onnx.cpp - ONNX models to nn IR
//--------------------------===//
//
// Part of the acc project.
//
//   acc-import-onnx model.onnx -o model.mlir [--input-shape NAME:DIMS]...
//                   [--name NAME] [--no-raise] [--emit-bytecode]
//
// Writes the model as nn IR: one function, graph inputs as arguments, weights
// as constants. The output file is written only when the import succeeds.
//
//===----------------------------------------------------------------------===//

#include "acc/Dialect/NN/IR/NNDialect.h"
#include "acc/Import/ONNX/ONNXImporter.h"
#include "acc/Support/InputGuard.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace llvm;

static cl::OptionCategory importCategory("acc-import-onnx options");

static cl::opt<std::string> inputFilename(cl::Positional,
                                          cl::desc("<model.onnx>"),
                                          cl::init("-"),
                                          cl::cat(importCategory));
static cl::opt<std::string> outputFilename("o", cl::desc("Output file"),
                                           cl::value_desc("filename"),
                                           cl::init("-"),
                                           cl::cat(importCategory));
static cl::list<std::string>
    inputShapes("input-shape",
                cl::desc("Shape of a graph input, NAME:DIMS (e.g. "
                         "input:1x3x224x224); repeat for several inputs"),
                cl::value_desc("name:dims"), cl::cat(importCategory));
static cl::opt<std::string>
    functionName("name",
                 cl::desc("Name of the function (default: the file's stem)"),
                 cl::init(""), cl::cat(importCategory));
static cl::opt<bool>
    noRaise("no-raise",
            cl::desc("Keep the exporter's decomposition (attention, GELU, "
                     "linear biases, layer norm): skip nn-raise and the "
                     "canonicalizer"),
            cl::init(false), cl::cat(importCategory));
static cl::opt<bool> emitBytecode("emit-bytecode",
                                  cl::desc("Write MLIR bytecode, not text"),
                                  cl::init(false), cl::cat(importCategory));

/// The file's stem as a C identifier.
static std::string identifier(StringRef path) {
  std::string s = sys::path::stem(path).str();
  for (char &c : s)
    if (!llvm::isAlnum(c) && c != '_')
      c = '_';
  if (s.empty() || llvm::isDigit(s[0]))
    s = "m_" + s;
  return s;
}

static int fail(const Twine &message) {
  errs() << "acc-import-onnx: error: " << message << "\n";
  return 1;
}

static int run() {
  acc::ONNXImportOptions options;
  for (const std::string &spec : inputShapes) {
    std::string error;
    if (!acc::parseInputShapes(spec, options.inputShapes, error))
      return fail(error);
  }
  options.functionName =
      functionName.empty() ? (inputFilename == "-" ? std::string("main")
                                                   : identifier(inputFilename))
                           : std::string(functionName);
  options.raise = !noRaise;

  std::string error;
  std::unique_ptr<MemoryBuffer> file =
      mlir::openInputFile(inputFilename, &error);
  if (!file)
    return fail(error);

  mlir::MLIRContext context;
  context.loadDialect<acc::nn::NNDialect>();
  SourceMgr sourceMgr;
  mlir::SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  StringRef name = inputFilename == "-" ? "<stdin>" : StringRef(inputFilename);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      acc::importONNXModel(file->getBuffer(), name, &context, options);
  if (!module)
    return 1;

  std::unique_ptr<ToolOutputFile> output =
      mlir::openOutputFile(outputFilename, &error);
  if (!output)
    return fail(error);
  if (emitBytecode) {
    if (mlir::failed(mlir::writeBytecodeToFile(*module, output->os())))
      return fail("cannot write bytecode");
  } else {
    module->print(output->os(), mlir::OpPrintingFlags().elideLargeElementsAttrs(
                                    std::numeric_limits<int64_t>::max()));
  }
  output->os().flush();
  if (output->os().has_error())
    return fail("cannot write '" + outputFilename + "'");
  output->keep();
  return 0;
}

int main(int argc, char **argv) {
  InitLLVM y(argc, argv);
  cl::HideUnrelatedOptions(importCategory);
  cl::ParseCommandLineOptions(
      argc, argv,
      "acc-import-onnx: ONNX models to nn IR (docs/Import.md)\n\n"
      "  acc-import-onnx model.onnx -o model.mlir\n"
      "  acc-import-onnx model.onnx --input-shape input:1x3x224x224\n");
  return acc::runWithLargeStack(run);
}
