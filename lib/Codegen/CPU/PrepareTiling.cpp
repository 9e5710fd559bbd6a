//===- PrepareTiling.cpp - nn-cpu-prepare-tiling --------------------------===//
//
// Part of the acc project.
//
// The rewrites the CPU's register tiling is planned on: depthwise NCHW
// convolutions by channel blocks (DepthwiseChannels.cpp), padded images as
// fills and copies, transposes folded into broadcast operands
// (Codegen/Common/PadDecomposition.cpp).
//
//===----------------------------------------------------------------------===//

#include "KernelDispatch.h"
#include "acc/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/RegionUtils.h"

namespace acc {
#define GEN_PASS_DEF_NNCPUPREPARETILING
#include "acc/Codegen/CPU/Passes.h.inc"
} // namespace acc

using namespace mlir;
using namespace acc::codegen;
using namespace acc::cpu;

namespace {

struct NNCPUPrepareTilingPass
    : public acc::impl::NNCPUPrepareTilingBase<NNCPUPrepareTilingPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    IRRewriter rewriter(&getContext());
    SmallVector<scf::ForallOp> channelLoops =
        padDepthwisePerChannel(rewriter, func);
    for (scf::ForallOp loop : channelLoops)
      loop->setAttr(kChannelBlocksAttr, rewriter.getUnitAttr());
    // The convolutions, epilogues and pads that the channel loops took in
    // are left unused.
    if (!channelLoops.empty())
      for (Operation &op :
           llvm::make_early_inc_range(llvm::reverse(func.getBody().front())))
        if (isOpTriviallyDead(&op))
          rewriter.eraseOp(&op);
    for (auto pad : llvm::to_vector(func.getBody().getOps<tensor::PadOp>()))
      (void)padBeforeTranspose(rewriter, pad);
    for (auto pad : llvm::to_vector(func.getBody().getOps<tensor::PadOp>()))
      (void)padAsFillAndCopy(rewriter, pad);
    for (auto op : llvm::to_vector(func.getBody().getOps<linalg::GenericOp>()))
      foldTransposedBroadcastOperands(rewriter, op);
  }
};

} // namespace
