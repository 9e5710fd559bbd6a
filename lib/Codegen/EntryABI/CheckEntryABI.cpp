//===- CheckEntryABI.cpp - public function boundaries and the C ABI -------===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#include "acc/Codegen/EntryABI/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace acc {
#define GEN_PASS_DEF_NNCHECKENTRYABI
#include "acc/Codegen/EntryABI/Passes.h.inc"
} // namespace acc

using namespace mlir;

namespace {
/// Element types with a C type in the ABI (docs/ABI.md).
bool hasCType(Type t) {
  return t.isF32() || t.isF64() || t.isF16() || t.isBF16() || t.isInteger(8) ||
         t.isInteger(32) || t.isInteger(64);
}

struct NNCheckEntryABIPass
    : public acc::impl::NNCheckEntryABIBase<NNCheckEntryABIPass> {
  void runOnOperation() override {
    bool bad = false;
    getOperation().walk([&](func::FuncOp func) {
      if (func.isPrivate() || func.isExternal())
        return;
      auto check = [&](Type t, StringRef what, unsigned i) {
        auto ranked = dyn_cast<RankedTensorType>(t);
        if (ranked && hasCType(ranked.getElementType()))
          return;
        func.emitError() << "cannot compile @" << func.getSymName()
                         << " for the CPU: " << what << " #" << i << " (" << t
                         << ") has no C ABI; entries take ranked tensors of "
                            "f32, f64, f16, bf16, i8, i32 or i64";
        bad = true;
      };
      MLIRContext *ctx = func.getContext();
      for (auto [i, t] : llvm::enumerate(func.getArgumentTypes())) {
        check(t, "argument", i);
        // Inputs are only read (docs/ABI.md): bufferization must copy
        // rather than compute into an argument's buffer.
        if (isa<TensorType>(t))
          func.setArgAttr(i, "bufferization.writable",
                          BoolAttr::get(ctx, false));
      }
      for (auto [i, t] : llvm::enumerate(func.getResultTypes()))
        check(t, "result", i);
      func->setAttr("nn.abi_inputs", IntegerAttr::get(IntegerType::get(ctx, 64),
                                                      func.getNumArguments()));
      // The model's names for its inputs and outputs (`nn.name`, set by the
      // ONNX importer) document the nn level; the C ABI is positional.
      for (unsigned i = 0; i < func.getNumArguments(); ++i)
        func.removeArgAttr(i, "nn.name");
      for (unsigned i = 0; i < func.getNumResults(); ++i)
        func.removeResultAttr(i, StringAttr::get(ctx, "nn.name"));
    });
    if (bad)
      signalPassFailure();
  }
};

} // namespace
