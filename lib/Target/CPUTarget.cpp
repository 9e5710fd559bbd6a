//===- CPUTarget.cpp - LLVM IR and native code for the host CPU -----------===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#include "acc/Target/CPUTarget.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

using namespace mlir;

/// Constant float arrays (a model's weights) become byte arrays of the same
/// contents. LLVM's asm printer writes a float array element by element
/// (82 million calls for ViT-B/16, most of its compile time) and nested
/// arrays (packed weight panels) make millions of uniqued constants; a
/// byte array is one ConstantDataArray written as one blob. Every use
/// addresses the global through a pointer, so its declared type does not
/// matter to them; the alignment is kept (at least 64 bytes, a cache
/// line, for the vector loads of weight panels).
static void weightsAsBytes(ModuleOp module) {
  MLIRContext *ctx = module.getContext();
  auto i8 = IntegerType::get(ctx, 8);
  module.walk([&](LLVM::GlobalOp global) {
    auto data = dyn_cast_or_null<DenseElementsAttr>(global.getValueOrNull());
    if (!global.getConstant() || !data || data.isSplat() ||
        !isa<FloatType>(data.getElementType()))
      return;
    ArrayRef<char> raw = data.getRawData();
    if (raw.size() < 1024)
      return;
    auto bytesType = RankedTensorType::get({int64_t(raw.size())}, i8);
    global.setGlobalType(LLVM::LLVMArrayType::get(i8, raw.size()));
    global.setValueAttr(DenseElementsAttr::getFromRawBuffer(bytesType, raw));
    global.setAlignment(
        std::max<uint64_t>(global.getAlignment().value_or(0), 64));
  });
}

LogicalResult acc::emitCPUCode(ModuleOp module, CPUOutputKind kind,
                               const CPUTargetOptions &options,
                               llvm::raw_pwrite_stream &os) {
  weightsAsBytes(module);
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  module->getContext()->appendDialectRegistry(registry);

  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();

  auto phase = [&](llvm::StringRef name) {
    return options.timing ? options.timing->nest(name) : mlir::TimingScope();
  };
  llvm::LLVMContext llvmContext;
  mlir::TimingScope translation = phase("Translation to LLVM IR");
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "acc");
  translation.stop();
  if (!llvmModule)
    return module.emitError() << "translation to LLVM IR failed";

  std::string tripleName = llvm::sys::getDefaultTargetTriple();
  llvm::Triple triple(tripleName);
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return module.emitError()
           << "no LLVM target for " << tripleName << ": " << error;
  std::string cpu =
      options.cpu.empty() ? llvm::sys::getHostCPUName().str() : options.cpu;
  std::string features = options.features;
  if (options.cpu.empty() && features.empty()) {
    std::vector<std::string> list;
    for (auto &f : llvm::sys::getHostCPUFeatures())
      list.push_back((f.second ? "+" : "-") + f.first().str());
    features = llvm::join(list, ",");
  }
  llvm::CodeGenOptLevel level =
      options.optLevel >= 3   ? llvm::CodeGenOptLevel::Aggressive
      : options.optLevel == 2 ? llvm::CodeGenOptLevel::Default
      : options.optLevel == 1 ? llvm::CodeGenOptLevel::Less
                              : llvm::CodeGenOptLevel::None;
  llvm::TargetOptions targetOptions;
  std::unique_ptr<llvm::TargetMachine> machine(
      target->createTargetMachine(triple, cpu, features, targetOptions,
                                  llvm::Reloc::PIC_, std::nullopt, level));
  if (!machine)
    return module.emitError() << "cannot create a target machine for "
                              << tripleName << " (" << cpu << ")";
  llvmModule->setDataLayout(machine->createDataLayout());
  llvmModule->setTargetTriple(triple);

  // The optimisation pipeline of clang -O<level>.
  mlir::TimingScope optimisation = phase("LLVM optimisation");
  if (options.optLevel > 0) {
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PassBuilder pb(machine.get());
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    llvm::OptimizationLevel ol =
        options.optLevel >= 3   ? llvm::OptimizationLevel::O3
        : options.optLevel == 2 ? llvm::OptimizationLevel::O2
                                : llvm::OptimizationLevel::O1;
    llvm::ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(ol);
    mpm.run(*llvmModule, mam);
  }

  optimisation.stop();

  if (kind == CPUOutputKind::LLVMIR) {
    llvmModule->print(os, nullptr);
    return success();
  }
  mlir::TimingScope codegenTiming = phase("Code generation");
  llvm::legacy::PassManager codegen;
  auto fileType = kind == CPUOutputKind::Object
                      ? llvm::CodeGenFileType::ObjectFile
                      : llvm::CodeGenFileType::AssemblyFile;
  if (machine->addPassesToEmitFile(codegen, os, nullptr, fileType))
    return module.emitError() << "the target cannot emit this file type";
  codegen.run(*llvmModule);
  return success();
}

mlir::FailureOr<acc::CPUTargetInfo>
acc::getCPUTargetInfo(const CPUTargetOptions &options, std::string &error) {
  CPUTargetInfo info;
  if (options.cpu.empty() && options.features.empty()) {
    info.avx512 = llvm::sys::getHostCPUFeatures().lookup("avx512f");
  } else {
    llvm::InitializeNativeTarget();
    llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
    const llvm::Target *target =
        llvm::TargetRegistry::lookupTarget(triple, error);
    if (!target)
      return mlir::failure();
    std::string cpu =
        options.cpu.empty() ? llvm::sys::getHostCPUName().str() : options.cpu;
    std::unique_ptr<llvm::MCSubtargetInfo> subtarget(
        target->createMCSubtargetInfo(triple, cpu, options.features));
    if (!subtarget) {
      error = "cannot create a subtarget for " + cpu;
      return mlir::failure();
    }
    info.avx512 = subtarget->checkFeatures("+avx512f");
  }
  info.vectorWidth = info.avx512 ? 16 : 8;
  return info;
}
