//===- NNToLinalg.cpp - the nn-lower-to-linalg pass -----------------------===//
//
// Part of the acc project.
//
// Every nn op becomes upstream ops on tensors. Structured computations are
// linalg.generic ops (tiling, fusion and vectorization work on them);
// reshapes are tensor.expand_shape / collapse_shape and linalg.transpose;
// attention becomes a flash-attention loop nest with an online softmax.
// The patterns live in one file per op family (LoweringUtils.h lists
// them); this file checks what cannot be lowered and runs them.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "acc/Conversion/NNToLinalg/Passes.h"
#include "acc/Dialect/NN/IR/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace acc {
#define GEN_PASS_DEF_NNLOWERTOLINALG
#include "acc/Conversion/NNToLinalg/Passes.h.inc"
} // namespace acc

using namespace mlir;
using namespace acc::nn;

namespace {

/// Tensors with a static extent of 0 (no elements) are refused: the tilers
/// and the attention blocks are sized from the extents and would divide by
/// it. (A dynamic extent that is 0 at run time runs empty loops.) So are
/// tensors of more bytes than a 64-bit process addresses (x86-64: 2^47 of
/// user space), on which index arithmetic (padding to blocks, byte
/// offsets) would overflow.
LogicalResult checkExtents(Operation *op) {
  auto tooLarge = [](RankedTensorType t) {
    if (!t.getElementType().isIntOrFloat())
      return false;
    uint64_t bytes =
        std::max<uint64_t>(1, t.getElementType().getIntOrFloatBitWidth() / 8);
    for (int64_t d : t.getShape())
      if (!ShapedType::isDynamic(d) &&
          (__builtin_mul_overflow(bytes, uint64_t(d), &bytes) ||
           bytes > (uint64_t(1) << 47)))
        return true;
    return false;
  };
  for (auto [what, types] :
       {std::pair<StringRef, TypeRange>{"operand", op->getOperandTypes()},
        std::pair<StringRef, TypeRange>{"result", op->getResultTypes()}})
    for (auto [i, type] : llvm::enumerate(types)) {
      auto t = dyn_cast<RankedTensorType>(type);
      if (!t)
        continue;
      if (tooLarge(t))
        return op->emitError()
               << "cannot lower " << op->getName() << ": " << type
               << " holds more bytes than a process can "
                  "address (2^47)";
      if (llvm::is_contained(t.getShape(), 0))
        return op->emitError() << "cannot lower " << op->getName()
                               << " yet: " << what << " #" << i << " (" << type
                               << ") has no elements (a dimension of size 0)";
    }
  return success();
}

struct NNLowerToLinalgPass
    : public acc::impl::NNLowerToLinalgBase<NNLowerToLinalgPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    if (queryBlock <= 0 || keyBlock <= 0) {
      getOperation()->emitError()
          << "nn-lower-to-linalg: query-block and key-block must be positive";
      return signalPassFailure();
    }
    // Ops that cannot be lowered get a located error up front.
    bool bad = false;
    getOperation()->walk([&](Operation *op) {
      if (isa<BlockOp>(op)) {
        op->emitError() << "nn.block must be inlined before lowering (run "
                           "nn-inline-blocks first)";
        bad = true;
      }
      if (auto pool = dyn_cast<MaxPool2DOp>(op))
        if (pool.getCeilMode() &&
            !cast<RankedTensorType>(pool.getInput().getType())
                 .hasStaticShape()) {
          op->emitError() << "cannot lower nn.max_pool2d yet: ceil_mode with "
                             "dynamic sizes";
          bad = true;
        }
      if (auto pool = dyn_cast<AvgPool2DOp>(op))
        if (pool.getCeilMode() &&
            !cast<RankedTensorType>(pool.getInput().getType())
                 .hasStaticShape()) {
          op->emitError() << "cannot lower nn.avg_pool2d yet: ceil_mode with "
                             "dynamic sizes";
          bad = true;
        }
      if (isa<NNDialect>(op->getDialect()) && failed(checkExtents(op))) {
        bad = true;
        return;
      }
      if (auto conv = dyn_cast<Conv2DOp>(op)) {
        auto ft = cast<RankedTensorType>(conv.getFilter().getType());
        if (!ft.hasStaticShape()) {
          op->emitError() << "cannot lower nn.conv2d yet: the filter shape "
                             "must be static";
          bad = true;
        }
      }
    });
    if (bad)
      return signalPassFailure();

    RewritePatternSet patterns(ctx);
    acc::detail::populateElementwiseLoweringPatterns(patterns);
    acc::detail::populateContractionLoweringPatterns(patterns);
    acc::detail::populateConvolutionLoweringPatterns(patterns, nchwConvAsNHWC);
    acc::detail::populatePoolingLoweringPatterns(patterns, nchwConvAsNHWC);
    acc::detail::populateNormalizationLoweringPatterns(patterns);
    acc::detail::populateReshapeLoweringPatterns(patterns);
    acc::detail::populateAttentionLowering(patterns, queryBlock, keyBlock,
                                           attentionPrefetch);

    ConversionTarget target(*ctx);
    target.addIllegalDialect<NNDialect>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, scf::SCFDialect,
                           tensor::TensorDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    target.addIllegalDialect<NNDialect>();
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
