//===- RuntimeAllocator.cpp - acc's allocator, checked --------------------===//
//
// Part of the acc project.
//
// nn-cpu-runtime-allocator points heap allocations at acc's caching
// allocator and checks every allocation.
//
//===----------------------------------------------------------------------===//

#include "Runtime.h"
#include "acc/Codegen/CPU/Passes.h"

#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

namespace acc {
#define GEN_PASS_DEF_NNCPURUNTIMEALLOCATOR
#include "acc/Codegen/CPU/Passes.h.inc"
} // namespace acc

using namespace mlir;
using acc::cpu::kParallelFor;

namespace {
struct NNCPURuntimeAllocatorPass
    : public acc::impl::NNCPURuntimeAllocatorBase<NNCPURuntimeAllocatorPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (!runtime) {
      addFailureChecks(module, /*entriesOnly=*/true);
      return;
    }
    const std::pair<StringRef, StringRef> names[] = {
        {"_mlir_memref_to_llvm_alloc", "acc_rt_alloc"},
        {"_mlir_memref_to_llvm_aligned_alloc", "acc_rt_aligned_alloc"},
        {"_mlir_memref_to_llvm_free", "acc_rt_free"}};
    for (auto [from, to] : names) {
      auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>(from);
      if (!fn)
        continue;
      if (module.lookupSymbol(to)) {
        fn.emitOpError("cannot be renamed: '") << to << "' exists already";
        return signalPassFailure();
      }
      if (failed(SymbolTable::replaceAllSymbolUses(
              fn, StringAttr::get(&getContext(), to), module)))
        return signalPassFailure();
      SymbolTable::setSymbolName(fn, to);
    }
    addFailureChecks(module);
  }

  /// `fn`, declared in `module` if it is not yet.
  static LLVM::LLVMFuncOp declare(ModuleOp module, StringRef name,
                                  Type result) {
    if (auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
      return fn;
    OpBuilder b(module.getBodyRegion());
    return LLVM::LLVMFuncOp::create(
        b, module.getLoc(), name,
        LLVM::LLVMFunctionType::get(result, {}, /*isVarArg=*/false));
  }

  /// A heap allocation that returns NULL makes the entry return 3: an entry
  /// (returning the i32 status) returns at once; a parallel loop's body
  /// (returning nothing) reports it (`acc_rt_fail`) and stops its chunk,
  /// and the entry returns 3 after the loop (`acc_rt_take_failure`).
  /// Buffers allocated before the failure are not freed.
  /// `entriesOnly`: without the runtime, only entries can report.
  static void addFailureChecks(ModuleOp module, bool entriesOnly = false) {
    MLIRContext *ctx = module.getContext();
    Type i32 = IntegerType::get(ctx, 32), voidT = LLVM::LLVMVoidType::get(ctx);
    SmallVector<LLVM::LLVMFuncOp> funcs(module.getOps<LLVM::LLVMFuncOp>());
    for (LLVM::LLVMFuncOp func : funcs) {
      if (func.isExternal())
        continue;
      Type result = func.getFunctionType().getReturnType();
      bool entry = result == i32,
           body = !entriesOnly && isa<LLVM::LLVMVoidType>(result);
      if (!entry && !body)
        continue;
      SmallVector<LLVM::CallOp> allocs, loops;
      func.walk([&](LLVM::CallOp call) {
        std::optional<StringRef> callee = call.getCallee();
        if (!callee)
          return;
        if (llvm::is_contained(
                {StringRef("acc_rt_alloc"), StringRef("acc_rt_aligned_alloc"),
                 StringRef("malloc"), StringRef("aligned_alloc"),
                 StringRef("_mlir_memref_to_llvm_alloc"),
                 StringRef("_mlir_memref_to_llvm_aligned_alloc")},
                *callee))
          allocs.push_back(call);
        else if (entry && *callee == kParallelFor)
          loops.push_back(call);
      });
      if (allocs.empty() && loops.empty())
        continue;
      OpBuilder b(ctx);
      Location loc = func.getLoc();
      // The failure exit.
      Block *fail = new Block();
      func.getBody().push_back(fail);
      b.setInsertionPointToStart(fail);
      if (entry) {
        Value three = LLVM::ConstantOp::create(b, loc, i32, 3);
        LLVM::ReturnOp::create(b, loc, ValueRange{three});
        // A failure left over from an earlier call is not this call's.
        // (Code without parallel loops calls nothing of the runtime.)
        if (!loops.empty()) {
          b.setInsertionPointToStart(&func.getBody().front());
          LLVM::CallOp::create(b, loc,
                               declare(module, "acc_rt_take_failure", i32),
                               ValueRange{});
        }
      } else {
        LLVM::CallOp::create(b, loc, declare(module, "acc_rt_fail", voidT),
                             ValueRange{});
        LLVM::ReturnOp::create(b, loc, ValueRange{});
      }
      auto branchOnFailure = [&](Operation *after, Value failed) {
        Block *before = after->getBlock();
        Block *cont = before->splitBlock(after->getNextNode());
        b.setInsertionPointToEnd(before);
        LLVM::CondBrOp::create(b, loc, failed, fail, cont);
      };
      for (LLVM::CallOp call : allocs) {
        b.setInsertionPointAfter(call);
        Value null = LLVM::ZeroOp::create(b, loc, call.getResult().getType());
        Value isNull = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq,
                                            call.getResult(), null);
        branchOnFailure(isNull.getDefiningOp(), isNull);
      }
      for (LLVM::CallOp call : loops) {
        b.setInsertionPointAfter(call);
        Value taken = LLVM::CallOp::create(
                          b, loc, declare(module, "acc_rt_take_failure", i32),
                          ValueRange{})
                          .getResult();
        Value zero = LLVM::ConstantOp::create(b, loc, i32, 0);
        Value failed =
            LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::ne, taken, zero);
        branchOnFailure(failed.getDefiningOp(), failed);
      }
    }
  }
};

} // namespace
