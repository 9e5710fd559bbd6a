//===- HoistVectorTransfers.cpp - nn-cpu-hoist-vector-transfers -----------===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#include "KernelDispatch.h"
#include "acc/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SetVector.h"

#include <map>
#include <tuple>

namespace acc {
#define GEN_PASS_DEF_NNCPUHOISTVECTORTRANSFERS
#include "acc/Codegen/CPU/Passes.h.inc"
} // namespace acc

using namespace mlir;
using namespace acc::codegen;
using namespace acc::cpu;

namespace {
/// transpose(broadcast(x : vector<N>) : vector<MxN>, [1, 0]) is a row-wise
/// splat: broadcast(shape_cast(x) : vector<Nx1>) : vector<NxM>. (A column
/// of a register block broadcast along the row; lowered as a transpose it
/// would be a long chain of shuffles.)
struct TransposedBroadcastToSplat
    : public OpRewritePattern<vector::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto bcast = op.getVector().getDefiningOp<vector::BroadcastOp>();
    auto srcType =
        bcast ? dyn_cast<VectorType>(bcast.getSourceType()) : VectorType();
    VectorType resType = op.getResultVectorType();
    if (!srcType || srcType.getRank() != 1 || resType.getRank() != 2 ||
        op.getPermutation() != ArrayRef<int64_t>{1, 0} ||
        resType.getDimSize(0) != srcType.getDimSize(0))
      return failure();
    auto column =
        VectorType::get({srcType.getDimSize(0), 1}, srcType.getElementType());
    Value col = vector::ShapeCastOp::create(rewriter, op.getLoc(), column,
                                            bcast.getSource());
    rewriter.replaceOpWithNewOp<vector::BroadcastOp>(op, resType, col);
    return success();
  }
};

/// A reduction of the rows of a 2-D vector (a column reduction) as a tree
/// of element-wise ops over its rows, then the accumulator: log2(rows)
/// dependent ops instead of a chain of `rows` (a key-major attention
/// block's row max and sum, 32 rows). The tree reassociates a float sum,
/// like the lane reductions below, in an order fixed at compile time.
struct ColumnReductionTree
    : public OpRewritePattern<vector::MultiDimReductionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::MultiDimReductionOp op,
                                PatternRewriter &rewriter) const override {
    VectorType src = op.getSourceVectorType();
    if (src.getRank() != 2 || !op.isReducedDim(0) || op.isReducedDim(1) ||
        src.getDimSize(0) < 2)
      return failure();
    Location loc = op.getLoc();
    SmallVector<Value> rows;
    for (int64_t r = 0; r < src.getDimSize(0); ++r)
      rows.push_back(
          vector::ExtractOp::create(rewriter, loc, op.getSource(), r));
    while (rows.size() > 1) {
      SmallVector<Value> next;
      for (size_t r = 0; r + 1 < rows.size(); r += 2)
        next.push_back(vector::makeArithReduction(rewriter, loc, op.getKind(),
                                                  rows[r], rows[r + 1]));
      if (rows.size() % 2)
        next.push_back(rows.back());
      rows = std::move(next);
    }
    rewriter.replaceOp(op,
                       vector::makeArithReduction(rewriter, loc, op.getKind(),
                                                  rows[0], op.getAcc()));
    return success();
  }
};

/// The allocation (or function argument) a memref is a view of.
Value baseBuffer(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

/// Hoists one read/modify/write of an accumulator tile out of `loop`: a
/// transfer_read and a later transfer_write of the same view at the same
/// loop-invariant indices, when nothing else in the loop touches the
/// buffer it views. Unlike upstream's hoisting, the view may be a subview
/// (a register block written straight into its output); distinct buffers,
/// including the entry's arguments, are taken not to alias (the ABI
/// requires outputs not to overlap inputs).
bool hoistAccumulator(RewriterBase &rewriter, scf::ForOp loop) {
  Block *body = loop.getBody();
  for (auto read : body->getOps<vector::TransferReadOp>()) {
    Value src = read.getBase();
    if (!isa<MemRefType>(src.getType()) || read.getMask() ||
        !llvm::all_of(read->getOperands(),
                      [&](Value v) { return loop.isDefinedOutsideOfLoop(v); }))
      continue;
    vector::TransferWriteOp write;
    for (Operation *op = read->getNextNode(); op; op = op->getNextNode())
      if (auto w = dyn_cast<vector::TransferWriteOp>(op))
        if (w.getBase() == src && w.getIndices() == read.getIndices() &&
            w.getVectorType() == read.getVectorType() && !w.getMask() &&
            w.getPermutationMap() == read.getPermutationMap())
          write = w;
    if (!write)
      continue;
    Value base = baseBuffer(src);
    bool clean = true;
    loop.walk([&](Operation *op) {
      if (op == read.getOperation() || op == write.getOperation() || !clean)
        return;
      auto effects = dyn_cast<MemoryEffectOpInterface>(op);
      if (!effects) {
        if (!op->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
          clean = false;
        return;
      }
      SmallVector<MemoryEffects::EffectInstance> list;
      effects.getEffects(list);
      for (auto &e : list) {
        Value v = e.getValue();
        if (!v || baseBuffer(v) == base)
          clean = false;
      }
    });
    if (!clean)
      continue;
    rewriter.moveOpBefore(read, loop);
    rewriter.moveOpAfter(write, loop);
    auto newLoop = cast<scf::ForOp>(*loop.replaceWithAdditionalYields(
        rewriter, read.getResult(), /*replaceInitOperandUsesInLoop=*/true,
        [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
          return SmallVector<Value>{write.getVector()};
        }));
    rewriter.modifyOpInPlace(write, [&] {
      write.getValueToStoreMutable().assign(newLoop.getResults().back());
    });
    return true;
  }
  return false;
}

struct NNCPUHoistVectorTransfersPass
    : public acc::impl::NNCPUHoistVectorTransfersBase<
          NNCPUHoistVectorTransfersPass> {
  void runOnOperation() override {
    linalg::hoistRedundantVectorTransfers(getOperation());
    IRRewriter rewriter(&getContext());
    for (bool changed = true; changed;) {
      changed = false;
      SmallVector<scf::ForOp> loops;
      getOperation().walk([&](scf::ForOp l) { loops.push_back(l); });
      for (scf::ForOp l : loops)
        if (hoistAccumulator(rewriter, l)) {
          changed = true;
          break; // the loop was replaced: collect again
        }
    }
    // Unroll the marked tap loops (innermost first), now that their
    // accumulators are loop-carried values: LLVM then loads each image
    // row once for every tap that reads it.
    SmallVector<scf::ForOp> marked;
    getOperation().walk([&](scf::ForOp l) {
      if (l->hasAttr(kUnrollAttr))
        marked.push_back(l);
    });
    for (scf::ForOp l : marked)
      if (failed(loopUnrollFull(l)))
        l->removeAttr(kUnrollAttr);
    // n-D reductions and contractions to the 1-D forms that the LLVM
    // conversion understands.
    // Transfers with permutation maps first become minor-identity reads
    // followed by broadcasts/transposes, which the splat rewrite sees.
    {
      RewritePatternSet perm(&getContext());
      vector::populateVectorTransferPermutationMapLoweringPatterns(perm);
      perm.add<TransposedBroadcastToSplat>(&getContext(), /*benefit=*/2);
      if (failed(applyPatternsGreedily(getOperation(), std::move(perm))))
        return signalPassFailure();
    }
    // Reductions over outer dimensions only (column reductions) combine
    // whole vectors element-wise; the inner-reduction lowering below would
    // transpose them and reduce across lanes.
    {
      SmallVector<Operation *> outer;
      getOperation().walk([&](vector::MultiDimReductionOp r) {
        if (!r.isReducedDim(r.getSourceVectorType().getRank() - 1))
          outer.push_back(r);
      });
      RewritePatternSet columns(&getContext());
      columns.add<ColumnReductionTree>(&getContext(), /*benefit=*/2);
      vector::populateVectorMultiReductionLoweringPatterns(
          columns, vector::VectorMultiReductionLowering::InnerParallel);
      GreedyRewriteConfig config;
      config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
      if (!outer.empty() &&
          failed(applyOpPatternsGreedily(outer, std::move(columns), config)))
        return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    patterns.add<TransposedBroadcastToSplat>(&getContext(), /*benefit=*/2);
    vector::populateVectorMultiReductionLoweringPatterns(
        patterns, vector::VectorMultiReductionLowering::InnerReduction);
    vector::populateVectorContractLoweringPatterns(
        patterns, vector::VectorContractLowering::OuterProduct);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    vector::populateVectorBroadcastLoweringPatterns(patterns);
    vector::populateVectorShapeCastLoweringPatterns(patterns);
    vector::populateVectorTransposeLoweringPatterns(
        patterns, vector::VectorTransposeLowering::Shuffle1D);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // A float sum across the lanes of a vector (a row sum of a softmax
    // block) may reassociate: LLVM then adds the vectors and halves them in
    // a tree (a few shuffles and adds) instead of 64 dependent scalar adds
    // per row (17% of a 1024-long attention). The order is fixed at compile
    // time, so results stay independent of the thread count.
    // A maxnum across the lanes (an attention block's row max) likewise:
    // without `nnan`, LLVM reduces it one lane at a time with a NaN check
    // per lane (13% of a sliding-window attention's instructions). maxnum
    // ignores NaN operands anyway, and a NaN score still reaches the output
    // through its exp.
    getOperation().walk([](vector::ReductionOp op) {
      if (!isa<FloatType>(op.getType()))
        return;
      vector::CombiningKind kind = op.getKind();
      if (kind == vector::CombiningKind::ADD)
        op.setFastmath(op.getFastmath() | arith::FastMathFlags::reassoc);
      else if (kind == vector::CombiningKind::MAXNUMF ||
               kind == vector::CombiningKind::MINNUMF)
        op.setFastmath(op.getFastmath() | arith::FastMathFlags::nnan);
    });
  }
};

} // namespace
