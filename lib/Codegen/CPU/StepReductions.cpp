//===- StepReductions.cpp - reductions stepped and split ------------------===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#include "KernelDispatch.h"

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

using namespace mlir;
using namespace acc::codegen;

namespace acc::cpu {

/// A plain reduction to a single value (every parallel extent 1: a whole
/// tensor summed, a global pool of one channel) of at least 2^16 elements
/// is split along its outermost reduction loop into kReductionChunks
/// partial reductions, an `scf.forall` that the thread pool runs, and a
/// merge of the partial results. The chunks are fixed, not the thread
/// count, so the result does not depend on how many threads run them.
constexpr int64_t kReductionChunks = 16;

void splitLongReduction(RewriterBase &rewriter, linalg::LinalgOp op) {
  if (isContraction(op) || op.getNumReductionLoops() == 0 ||
      op->getNumResults() != 1 || op.hasDynamicShape() ||
      !op.hasPureTensorSemantics())
    return;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t reduced = 1;
  std::optional<unsigned> outer;
  for (auto [d, it] : llvm::enumerate(op.getIteratorTypesArray())) {
    if (it == utils::IteratorType::parallel) {
      if (ranges[d] != 1)
        return;
      continue;
    }
    reduced *= ranges[d];
    if (!outer)
      outer = d;
  }
  if (!outer || reduced < (int64_t(1) << 16) ||
      ranges[*outer] % kReductionChunks != 0)
    return;
  SmallVector<int64_t> tiles(ranges.size(), 0);
  tiles[*outer] = ranges[*outer] / kReductionChunks;
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(getAsIndexOpFoldResult(op->getContext(), tiles));
  tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  tiling.setReductionTilingStrategy(
      ReductionTilingStrategy::PartialReductionOuterParallel);
  tiling.setReductionDims({*outer});
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> r = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), tiling);
  if (succeeded(r))
    rewriter.replaceOp(op, r->replacements);
}

/// Tiles `op` with `parallelTiles` on its parallel loops (0: untiled) and
/// steps each reduction loop one iteration at a time.
///
/// The tap loops of a window-only contraction (a depthwise convolution's
/// kh and kw) are marked to be unrolled once the accumulator is in
/// registers (nn-hoist-vector-transfers), innermost first while the body
/// stays small: the rows of the register block then load each image row
/// once for all the taps that read it (a 3x3 over 8 rows: 30 loads for 72
/// FMAs, where stepping kh reloads each row three times: 72).
void tileStepReductions(RewriterBase &rewriter, linalg::LinalgOp op,
                        SmallVector<int64_t> parallelTiles) {
  for (auto [d, it] : llvm::enumerate(op.getIteratorTypesArray()))
    if (it == utils::IteratorType::reduction)
      parallelTiles[d] = 1;
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(getAsIndexOpFoldResult(op->getContext(), parallelTiles));
  if (std::optional<SmallVector<int64_t>> order = reductionOrder(op))
    tiling.setInterchange(*order);
  rewriter.setInsertionPoint(op);
  bool window = windowOnlyReductions(op);
  // The elements of the register block that each step updates.
  int64_t block = 1;
  for (auto [size, it] :
       llvm::zip_equal(op.getStaticLoopRanges(), op.getIteratorTypesArray()))
    if (it == utils::IteratorType::parallel)
      block *= ShapedType::isDynamic(size) ? kMaxUnrolledElements : size;
  FailureOr<scf::SCFTilingResult> r = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), tiling);
  if (failed(r))
    return;
  rewriter.replaceOp(op, r->replacements);
  if (!window)
    return;
  // Innermost first, while the unrolled body stays small (3x3 taps over
  // an 8 x 16 block: both loops; 7x7 over 8 x 32: kw only, as 49 taps
  // would spill).
  for (LoopLikeOpInterface loop : llvm::reverse(r->loops)) {
    std::optional<APInt> trips = loop.getStaticTripCount();
    if (!trips)
      return;
    block *= trips->getSExtValue();
    if (block > kMaxUnrolledElements)
      return;
    loop->setAttr(kUnrollAttr, rewriter.getUnitAttr());
  }
}

} // namespace acc::cpu
