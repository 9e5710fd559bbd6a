//===- StaticEvaluation.cpp - fold guards by evaluating them --------------===//
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

/// The value of the index or i1 `v` when the ivs of its loops take the
/// values of `env`: constants, affine.apply / min / max and integer
/// compares and logic; nothing else.
static std::optional<int64_t>
evaluate(Value v, const DenseMap<Value, int64_t> &env, int depth = 0) {
  if (auto it = env.find(v); it != env.end())
    return it->second;
  if (std::optional<int64_t> c = getConstantIntValue(v))
    return c;
  Operation *op = v.getDefiningOp();
  if (!op || depth > 32)
    return std::nullopt;
  SmallVector<int64_t> args;
  for (Value operand : op->getOperands()) {
    std::optional<int64_t> a = evaluate(operand, env, depth + 1);
    if (!a)
      return std::nullopt;
    args.push_back(*a);
  }
  auto applyMap = [&](AffineMap map) -> std::optional<SmallVector<int64_t>> {
    SmallVector<Attribute> in;
    for (int64_t a : args)
      in.push_back(IntegerAttr::get(IndexType::get(op->getContext()), a));
    SmallVector<Attribute> out;
    if (failed(map.constantFold(in, out)))
      return std::nullopt;
    SmallVector<int64_t> r;
    for (Attribute a : out)
      r.push_back(cast<IntegerAttr>(a).getInt());
    return r;
  };
  std::optional<SmallVector<int64_t>> r;
  if (auto a = dyn_cast<affine::AffineApplyOp>(op))
    r = applyMap(a.getAffineMap());
  else if (auto a = dyn_cast<affine::AffineMinOp>(op))
    r = applyMap(a.getAffineMap());
  else if (auto a = dyn_cast<affine::AffineMaxOp>(op))
    r = applyMap(a.getAffineMap());
  if (r && !r->empty()) {
    if (isa<affine::AffineMinOp>(op))
      return *llvm::min_element(*r);
    if (isa<affine::AffineMaxOp>(op))
      return *llvm::max_element(*r);
    return r->front();
  }
  if (auto cmp = dyn_cast<arith::CmpIOp>(op))
    return arith::applyCmpPredicate(cmp.getPredicate(),
                                    APInt(64, args[0], /*isSigned=*/true),
                                    APInt(64, args[1], /*isSigned=*/true))
               ? 1
               : 0;
  if (isa<arith::OrIOp>(op))
    return args[0] | args[1];
  if (isa<arith::AndIOp>(op))
    return args[0] & args[1];
  return std::nullopt;
}

/// Whether the condition of `guard` (inside `loop`, of static bounds) is
/// false in every iteration of the loop: evaluated for every combination
/// of the induction variables that it depends on (at most 256; a row
/// band's guard depends on the band's only, not on the batch or channels).
bool guardNeverTaken(scf::ForallOp loop, scf::IfOp guard) {
  std::optional<SmallVector<int64_t>> lbs =
      getConstantIntValues(loop.getMixedLowerBound());
  std::optional<SmallVector<int64_t>> ubs =
      getConstantIntValues(loop.getMixedUpperBound());
  std::optional<SmallVector<int64_t>> steps =
      getConstantIntValues(loop.getMixedStep());
  if (!lbs || !ubs || !steps)
    return false;
  // The loop's induction variables that the condition reads.
  llvm::SmallDenseSet<Value> used;
  SmallVector<Value> work = {guard.getCondition()};
  llvm::SmallPtrSet<Operation *, 16> seen;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      if (arg.getOwner() == loop.getBody())
        used.insert(arg);
    } else if (Operation *def = v.getDefiningOp();
               def && loop->isProperAncestor(def) && seen.insert(def).second) {
      llvm::append_range(work, def->getOperands());
    }
  }
  SmallVector<unsigned> dims;
  int64_t count = 1;
  for (auto [d, arg] : llvm::enumerate(loop.getInductionVars())) {
    if (!used.contains(arg))
      continue;
    int64_t lb = (*lbs)[d], ub = (*ubs)[d], step = (*steps)[d];
    count *= step > 0 && ub > lb ? llvm::divideCeil(ub - lb, step) : 0;
    dims.push_back(d);
  }
  if (count == 0 || count > 256)
    return false;
  DenseMap<Value, int64_t> env;
  SmallVector<int64_t> iv(*lbs);
  for (int64_t n = 0; n < count; ++n) {
    for (unsigned d : dims)
      env[loop.getInductionVars()[d]] = iv[d];
    std::optional<int64_t> taken = evaluate(guard.getCondition(), env);
    if (!taken || *taken != 0)
      return false;
    // Next combination, the innermost loop fastest.
    for (int64_t k = dims.size() - 1; k >= 0; --k) {
      unsigned d = dims[k];
      iv[d] += (*steps)[d];
      if (iv[d] < (*ubs)[d])
        break;
      iv[d] = (*lbs)[d];
    }
  }
  return true;
}

} // namespace acc::codegen
