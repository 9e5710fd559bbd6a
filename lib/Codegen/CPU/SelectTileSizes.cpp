//===- SelectTileSizes.cpp - nn-cpu-select-tile-sizes ---------------------===//
//
// Part of the acc project.
//
// The CPU strategy as a pass: every root of tile-and-fuse gets the
// lowering configuration that KernelDispatch.cpp chooses for it, which
// nn-cpu-tile-and-vectorize applies.
//
//===----------------------------------------------------------------------===//

#include "KernelDispatch.h"
#include "acc/Codegen/CPU/Passes.h"
#include "acc/Dialect/NN/IR/NNOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "nn-cpu-select-tile-sizes"

namespace acc {
#define GEN_PASS_DEF_NNCPUSELECTTILESIZES
#include "acc/Codegen/CPU/Passes.h.inc"
} // namespace acc

using namespace mlir;
using namespace acc::codegen;
using namespace acc::cpu;

namespace {

struct NNCPUSelectTileSizesPass
    : public acc::impl::NNCPUSelectTileSizesBase<NNCPUSelectTileSizesPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    MLIRContext *ctx = &getContext();
    for (Block *block : tilingBlocks(func)) {
      FusionGroups groups = analyzeFusionGroups(*block);
      for (linalg::LinalgOp root : groups.roots) {
        RootTiling tiling = selectRootTiling(root, groups, vectorWidth, rows);
        auto config = acc::nn::LoweringConfigAttr::get(
            ctx, DenseI64ArrayAttr::get(ctx, tiling.tiles),
            tiling.order ? DenseI64ArrayAttr::get(ctx, *tiling.order)
                         : DenseI64ArrayAttr());
        root->setAttr(acc::nn::LoweringConfigAttr::getAttrName(), config);
        ++numConfigured;
        LLVM_DEBUG(llvm::dbgs() << "root " << root->getName() << " at "
                                << root->getLoc() << ": " << config << "\n");
      }
    }
  }
};

} // namespace
