//===- WidenAccumulators.cpp - sums accumulate in a wider type ------------===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#include "acc/Codegen/Common/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"

namespace acc {
#define GEN_PASS_DEF_NNWIDENACCUMULATORS
#include "acc/Codegen/Common/Passes.h.inc"
} // namespace acc

using namespace mlir;

namespace {
/// The wider type a sum of `t` accumulates in: f64 for f32, f32 for 16-bit
/// floats; null for others.
FloatType widerType(Type t) {
  if (t.isF32())
    return Float64Type::get(t.getContext());
  if (t.isF16() || t.isBF16())
    return Float32Type::get(t.getContext());
  return nullptr;
}

/// An elementwise conversion of `v` to `type`'s element type (extf or
/// truncf), into a fresh tensor.
Value convert(OpBuilder &b, Location loc, Value v, FloatType to) {
  auto type = cast<RankedTensorType>(v.getType());
  Value empty =
      tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, v), to);
  bool widen = type.getElementTypeBitWidth() < to.getWidth();
  AffineMap id = b.getMultiDimIdentityMap(type.getRank());
  return linalg::GenericOp::create(
             b, loc, empty.getType(), v, empty, ArrayRef<AffineMap>{id, id},
             SmallVector<utils::IteratorType>(type.getRank(),
                                              utils::IteratorType::parallel),
             [&](OpBuilder &bb, Location l, ValueRange a) {
               Value r =
                   widen ? arith::ExtFOp::create(bb, l, to, a[0]).getResult()
                         : arith::TruncFOp::create(bb, l, to, a[0]).getResult();
               linalg::YieldOp::create(bb, l, r);
             })
      .getResult(0);
}

/// A sum over reduction loops (`acc = acc + f(inputs)`, one input read
/// along the reduction: not a contraction) rewritten to accumulate in the
/// wider type: the init is widened, each term is extended before it is
/// added, and the result is rounded back once.
LogicalResult widen(RewriterBase &rewriter, linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() == 0)
    return failure();
  OpOperand *init = op.getDpsInitOperand(0);
  auto type = cast<RankedTensorType>(init->get().getType());
  FloatType wide = widerType(type.getElementType());
  if (!wide)
    return failure();
  // Exactly one input is read along the reduction (a contraction reads two).
  int readers = 0;
  for (OpOperand *in : op.getDpsInputOperands()) {
    AffineMap m = op.getMatchingIndexingMap(in);
    for (unsigned d : llvm::seq(0u, op.getNumLoops()))
      if (!linalg::isParallelIterator(op.getIteratorTypesArray()[d]) &&
          m.isFunctionOfDim(d)) {
        ++readers;
        break;
      }
  }
  // f32 contractions keep f32 register blocks (vectorized, exact enough
  // over their reduction lengths); 16-bit ones accumulate in f32.
  bool narrow = type.getElementTypeBitWidth() < 32;
  if (readers == 0 || (readers > 1 && !narrow))
    return failure();
  Block *body = op.getBlock();
  BlockArgument acc = op.getMatchingBlockArgument(init);
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  auto add = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
  if (!add || !acc.hasOneUse() || (add.getLhs() != acc && add.getRhs() != acc))
    return failure();
  Value term = add.getLhs() == acc ? add.getRhs() : add.getLhs();

  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  Value wideInit;
  if (auto fill = init->get().getDefiningOp<linalg::FillOp>()) {
    Value v = arith::ExtFOp::create(rewriter, loc, wide, fill.value());
    Value empty = tensor::EmptyOp::create(
        rewriter, loc, tensor::getMixedSizes(rewriter, loc, init->get()), wide);
    wideInit = linalg::FillOp::create(rewriter, loc, v, empty).getResult(0);
  } else {
    wideInit = convert(rewriter, loc, init->get(), wide);
  }
  auto widened = linalg::GenericOp::create(
      rewriter, loc, wideInit.getType(), op.getDpsInputs(), wideInit,
      op.getIndexingMapsArray(), op.getIteratorTypesArray(),
      [&](OpBuilder &b, Location l, ValueRange args) {
        IRMapping map;
        for (auto [old, now] : llvm::zip(body->getArguments(), args))
          map.map(old, now);
        // A product of two inputs (a contraction) is formed from the
        // extended inputs: one rounding per sum, none per product.
        auto mul = term.getDefiningOp<arith::MulFOp>();
        auto isInput = [&](Value v) {
          auto arg = dyn_cast<BlockArgument>(v);
          return arg && arg.getOwner() == body &&
                 arg.getArgNumber() < op.getNumDpsInputs();
        };
        Value t;
        if (mul && mul->hasOneUse() && isInput(mul.getLhs()) &&
            isInput(mul.getRhs())) {
          auto ext = [&](Value v) -> Value {
            Value m = map.lookup(v);
            return m.getType() == wide ? m
                                       : arith::ExtFOp::create(b, l, wide, m);
          };
          Value lhs = ext(mul.getLhs());
          Value rhs = ext(mul.getRhs());
          t = arith::MulFOp::create(b, l, lhs, rhs);
        } else {
          for (Operation &o : body->without_terminator())
            if (&o != add.getOperation())
              b.clone(o, map);
          t = arith::ExtFOp::create(b, l, wide, map.lookup(term));
        }
        // The wide sum may reassociate: LLVM then keeps vector partial
        // sums instead of one chain of dependent scalar adds per row (a
        // layer norm's statistics over 768 were latency-bound, 8 ms of
        // ViT-B/16 on one thread). In the wider type the order costs
        // nothing measurable, and it is fixed at compile time.
        Value sum = arith::AddFOp::create(b, l, args.back(), t,
                                          arith::FastMathFlags::reassoc);
        linalg::YieldOp::create(b, l, sum);
      });
  rewriter.replaceOp(op, convert(rewriter, loc, widened.getResult(0),
                                 cast<FloatType>(type.getElementType())));
  return success();
}

struct NNWidenAccumulatorsPass
    : public acc::impl::NNWidenAccumulatorsBase<NNWidenAccumulatorsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::LinalgOp> candidates;
    for (Operation &op : func.getBody().getOps())
      if (isa<linalg::GenericOp, linalg::ReduceOp>(op))
        candidates.push_back(cast<linalg::LinalgOp>(op));
    for (linalg::LinalgOp op : candidates) {
      auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
      // A named reduce is generalized only when it is a sum to widen.
      if (auto reduce = dyn_cast<linalg::ReduceOp>(op.getOperation())) {
        auto yield = cast<linalg::YieldOp>(reduce.getBody()->getTerminator());
        if (reduce->getNumResults() != 1 ||
            !widerType(getElementTypeOrSelf(reduce->getResult(0))) ||
            !yield.getValues()[0].getDefiningOp<arith::AddFOp>())
          continue;
      }
      if (!generic) {
        rewriter.setInsertionPoint(op);
        FailureOr<linalg::GenericOp> g =
            linalg::generalizeNamedOp(rewriter, op);
        if (failed(g))
          continue;
        generic = *g;
      }
      (void)widen(rewriter, generic);
    }
  }
};
} // namespace
