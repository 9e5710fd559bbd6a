//===- CheckStaticABI.cpp - static shapes at public function boundaries ---===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#include "acc/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace acc {
#define GEN_PASS_DEF_NNCHECKSTATICABI
#define GEN_PASS_DEF_NNCPURETURNSTATUS
#include "acc/Conversion/Passes.h.inc"
} // namespace acc

using namespace mlir;

namespace {
struct NNCheckStaticABIPass
    : public acc::impl::NNCheckStaticABIBase<NNCheckStaticABIPass> {
  void runOnOperation() override {
    bool bad = false;
    getOperation().walk([&](func::FuncOp func) {
      if (func.isPrivate() || func.isExternal())
        return;
      auto check = [&](Type t, StringRef what, unsigned i) {
        auto shaped = dyn_cast<ShapedType>(t);
        if (!shaped || shaped.hasStaticShape())
          return;
        func.emitError() << "cannot compile @" << func.getSymName()
                         << " for the CPU yet: " << what << " #" << i
                         << " has dynamic dimensions (" << t
                         << "); the compiled entry takes static shapes only "
                            "so far";
        bad = true;
      };
      for (auto [i, t] : llvm::enumerate(func.getArgumentTypes())) {
        check(t, "argument", i);
        // Inputs are only read (docs/ABI.md): bufferization must copy
        // rather than compute into an argument's buffer.
        if (isa<TensorType>(t))
          func.setArgAttr(i, "bufferization.writable",
                          BoolAttr::get(func.getContext(), false));
      }
      for (auto [i, t] : llvm::enumerate(func.getResultTypes()))
        check(t, "result", i);
      // The model's names for its inputs and outputs (`nn.name`, set by the
      // ONNX importer) document the nn level; the C ABI is positional.
      for (unsigned i = 0; i < func.getNumArguments(); ++i)
        func.removeArgAttr(i, "nn.name");
      for (unsigned i = 0; i < func.getNumResults(); ++i)
        func.removeResultAttr(i, StringAttr::get(func.getContext(), "nn.name"));
    });
    if (bad)
      signalPassFailure();
  }
};
struct NNCPUReturnStatusPass
    : public acc::impl::NNCPUReturnStatusBase<NNCPUReturnStatusPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isPrivate() || func.isExternal() || func.getNumResults() != 0)
        continue;
      OpBuilder b(func.getContext());
      Type i32 = b.getI32Type();
      func.setType(
          FunctionType::get(func.getContext(), func.getArgumentTypes(), {i32}));
      func.walk([&](func::ReturnOp ret) {
        b.setInsertionPoint(ret);
        Value ok = arith::ConstantIntOp::create(b, ret.getLoc(), i32, 0);
        ret->setOperands(ValueRange{ok});
      });
    }
  }
};
} // namespace
