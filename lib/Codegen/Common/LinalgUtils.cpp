//===- LinalgUtils.cpp - what kind of linalg op this is -------------------===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#include "acc/Codegen/Common/Transforms.h"

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

namespace acc::codegen {

bool isAllParallel(linalg::LinalgOp op) {
  return op.getNumLoops() == op.getNumParallelLoops();
}

/// A reduction of rows that every input spans except along the reduced
/// loops (a layer norm's sum of (x - mean)^2: x over (r, c), the mean over
/// (r) only): per-row statistics, not a contraction, whose inputs each
/// span loops that another lacks (a matmul's A lacks j, B lacks i).
bool isRowStatistic(linalg::LinalgOp op) {
  if (op.getNumReductionLoops() == 0 || op.getNumParallelLoops() == 0)
    return false;
  SmallVector<utils::IteratorType> its = op.getIteratorTypesArray();
  bool whole = false;
  for (OpOperand *in : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(in);
    if (!map.isProjectedPermutation())
      return false;
    whole |= map.getNumResults() == op.getNumLoops();
    for (auto [d, it] : llvm::enumerate(its))
      if (it == utils::IteratorType::parallel && !map.isFunctionOfDim(d))
        return false;
  }
  return whole;
}

/// A contraction-like op: reductions and at least two inputs (conv, matmul,
/// linear, the attention products), not a row statistic.
bool isContraction(linalg::LinalgOp op) {
  return op.getNumReductionLoops() > 0 && op.getNumDpsInputs() >= 2 &&
         !isRowStatistic(op);
}

/// The loop of `op`'s vector dimension: the innermost dimension of its
/// (first) result, when that is a plain loop. A contraction's operand
/// indexed by it is the weight (read as vectors), the other the image
/// (read as broadcast scalars).
std::optional<unsigned> outputVectorDim(linalg::LinalgOp op) {
  AffineMap out = op.getIndexingMapMatchingResult(op->getResult(0));
  if (out.getNumResults() == 0)
    return std::nullopt;
  if (auto d = dyn_cast<AffineDimExpr>(out.getResults().back()))
    return d.getPosition();
  return std::nullopt;
}

/// An elementwise op with one result that does not read its destination
/// and writes it in order (identity map): it may compute into any tensor
/// of its result's type, such as the interior of a padded image.
bool writesOnlyItsResult(linalg::GenericOp op) {
  return op->getNumResults() == 1 && isAllParallel(op) &&
         !op.payloadUsesValueFromOperand(op.getDpsInitOperand(0)) &&
         op.getIndexingMapMatchingResult(op->getResult(0)).isIdentity();
}

/// Constant upper bounds of the loop ranges of `op` (each loop read through
/// some operand dimension), e.g. 8 for a partial tile min(8, N - i).
std::optional<SmallVector<int64_t>> loopUpperBounds(linalg::LinalgOp op) {
  SmallVector<int64_t> bounds(op.getNumLoops(), ShapedType::kDynamic);
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<ShapedType>(operand.get().getType());
    if (!type)
      continue;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    for (auto [i, e] : llvm::enumerate(map.getResults())) {
      auto d = dyn_cast<AffineDimExpr>(e);
      if (!d)
        continue;
      int64_t bound = type.getDimSize(i);
      if (ShapedType::isDynamic(bound)) {
        FailureOr<int64_t> ub = ValueBoundsConstraintSet::computeConstantBound(
            presburger::BoundType::UB,
            ValueBoundsConstraintSet::Variable(operand.get(), i), nullptr,
            /*closedUB=*/true);
        if (failed(ub))
          continue;
        bound = *ub;
      }
      int64_t &b = bounds[d.getPosition()];
      b = ShapedType::isDynamic(b) ? bound : std::min(b, bound);
    }
  }
  if (llvm::any_of(
          bounds, [](int64_t b) { return b <= 0 || ShapedType::isDynamic(b); }))
    return std::nullopt;
  return bounds;
}

/// A reduction over outer loops only, its innermost loop parallel and the
/// innermost dimension of its input and result (column sums: the row max
/// and sum of a key-major attention score block, [keys, queries] reduced
/// over the keys). Its vector form reduces one vector per row with plain
/// element-wise ops (no lanes crossed), so up to kMaxColumnRows rows of
/// one vector are vectorized whole.
bool isColumnReduction(linalg::LinalgOp op) {
  if (op.getNumDpsInputs() != 1 || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() == 0 || isContraction(op))
    return false;
  SmallVector<utils::IteratorType> its = op.getIteratorTypesArray();
  unsigned last = its.size() - 1;
  if (its[last] != utils::IteratorType::parallel)
    return false;
  AffineExpr lastDim = getAffineDimExpr(last, op.getContext());
  AffineMap in = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  return in.getNumResults() && out.getNumResults() &&
         in.getResults().back() == lastDim &&
         out.getResults().back() == lastDim;
}

/// Static size in bytes of a tensor value (0 if dynamic).
int64_t staticBytes(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  if (!t || !t.hasStaticShape())
    return 0;
  return t.getNumElements() * ((t.getElementTypeBitWidth() + 7) / 8);
}

} // namespace acc::codegen
