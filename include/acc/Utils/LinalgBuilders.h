//===- LinalgBuilders.h - building linalg ops on tensors --------*- C++ -*-===//
//
// Part of the acc project.
//
// Small builders that the nn lowering (lib/Conversion/NNToLinalg) and the
// shared code generation (lib/Codegen/Common) both use.
//
//===----------------------------------------------------------------------===//

#ifndef ACC_UTILS_LINALGBUILDERS_H
#define ACC_UTILS_LINALGBUILDERS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace acc::detail {

constexpr mlir::utils::IteratorType kPar = mlir::utils::IteratorType::parallel;
constexpr mlir::utils::IteratorType kRed = mlir::utils::IteratorType::reduction;

/// linalg.yield of one value.
inline void yieldV(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v) {
  mlir::linalg::YieldOp::create(b, loc, mlir::ValueRange{v});
}

/// Body of a contraction generic: out += in0 * in1.
inline void mulAddBody(mlir::OpBuilder &b, mlir::Location loc,
                       mlir::ValueRange a) {
  mlir::Value m = mlir::arith::MulFOp::create(b, loc, a[0], a[1]);
  yieldV(b, loc, mlir::arith::AddFOp::create(b, loc, a[2], m));
}

/// A float constant of type `t`.
inline mlir::Value cstF(mlir::OpBuilder &b, mlir::Location loc, mlir::Type t,
                        double v) {
  return mlir::arith::ConstantOp::create(b, loc, t, b.getFloatAttr(t, v));
}

/// An index constant.
inline mlir::Value cstIdx(mlir::OpBuilder &b, mlir::Location loc, int64_t v) {
  return mlir::arith::ConstantIndexOp::create(b, loc, v);
}

/// Replaces `op` by `v`, casting when lowering found more static sizes than
/// the op's result type states (e.g. through a tensor.cast of a static
/// value).
inline void replaceCast(mlir::RewriterBase &rewriter, mlir::Operation *op,
                        mlir::Value v) {
  mlir::Type want = op->getResult(0).getType();
  if (v.getType() != want)
    v = mlir::tensor::CastOp::create(rewriter, op->getLoc(), want, v);
  rewriter.replaceOp(op, v);
}

/// A linalg.generic with one result.
inline mlir::Value
generic(mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange inputs,
        mlir::Value init, llvm::ArrayRef<mlir::AffineMap> maps,
        llvm::ArrayRef<mlir::utils::IteratorType> iterators,
        llvm::function_ref<void(mlir::OpBuilder &, mlir::Location,
                                mlir::ValueRange)>
            body) {
  return mlir::linalg::GenericOp::create(
             b, loc, mlir::TypeRange{init.getType()}, inputs,
             mlir::ValueRange{init}, maps, iterators, body)
      .getResult(0);
}

/// `v` transposed by `perm` (result dim i = input dim perm[i]); a constant
/// is transposed now, at compile time.
mlir::Value transposed(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                       llvm::ArrayRef<int64_t> perm);

/// An empty tensor of `sizes` (static or dynamic) and element type `elt`.
mlir::Value emptyTensor(mlir::OpBuilder &b, mlir::Location loc,
                        llvm::ArrayRef<mlir::OpFoldResult> sizes,
                        mlir::Type elt);

/// The sizes of the ranked tensor `v` (constants where static).
llvm::SmallVector<mlir::OpFoldResult>
sizesOf(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v);

} // namespace acc::detail

#endif // ACC_UTILS_LINALGBUILDERS_H
