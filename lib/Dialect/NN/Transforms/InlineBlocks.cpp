//===- InlineBlocks.cpp - remove nn.block regions -------------------------===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#include "acc/Dialect/NN/IR/NNOps.h"
#include "acc/Dialect/NN/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"

namespace acc::nn {
#define GEN_PASS_DEF_NNINLINEBLOCKS
#include "acc/Dialect/NN/Transforms/Passes.h.inc"
} // namespace acc::nn

using namespace mlir;
using namespace acc::nn;

namespace {
struct NNInlineBlocksPass
    : public acc::nn::impl::NNInlineBlocksBase<NNInlineBlocksPass> {
  void runOnOperation() override {
    // Post-order walk: inner blocks are inlined before the blocks around them.
    SmallVector<BlockOp> blocks;
    getOperation()->walk([&](BlockOp op) { blocks.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (BlockOp op : blocks) {
      YieldOp yield = op.getYield();
      SmallVector<Value> values(yield.getValues());
      rewriter.eraseOp(yield);
      rewriter.inlineBlockBefore(&op.getBody().front(), op);
      rewriter.replaceOp(op, values);
    }
  }
};
} // namespace
