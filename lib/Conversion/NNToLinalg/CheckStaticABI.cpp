//===- CheckStaticABI.cpp - static shapes at public function boundaries ---===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#include "acc/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace acc {
#define GEN_PASS_DEF_NNCHECKSTATICABI
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
      for (auto [i, t] : llvm::enumerate(func.getArgumentTypes()))
        check(t, "argument", i);
      for (auto [i, t] : llvm::enumerate(func.getResultTypes()))
        check(t, "result", i);
    });
    if (bad)
      signalPassFailure();
  }
};
} // namespace
