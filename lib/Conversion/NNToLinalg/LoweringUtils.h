//===- LoweringUtils.h - helpers of the nn lowerings ------------*- C++ -*-===//
//
// Part of the acc project.
//
// Internal to lib/Conversion/NNToLinalg: the builders the op families'
// lowerings share, and each family's populate function.
//
//===----------------------------------------------------------------------===//

#ifndef ACC_LIB_CONVERSION_NNTOLINALG_LOWERINGUTILS_H
#define ACC_LIB_CONVERSION_NNTOLINALG_LOWERINGUTILS_H

#include "acc/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace acc::detail {
using namespace mlir;

Value toValue(OpBuilder &b, Location loc, OpFoldResult ofr);

OpFoldResult mulOfr(OpBuilder &b, Location loc, OpFoldResult x, OpFoldResult y);

OpFoldResult divOfr(OpBuilder &b, Location loc, OpFoldResult x, int64_t d);

/// floor((in + padLo + padHi - span) / stride) + 1 for in + pads >= span.
OpFoldResult windowOut(OpBuilder &b, Location loc, OpFoldResult in,
                       int64_t kernel, int64_t stride, int64_t dilation,
                       int64_t padLo, int64_t padHi, bool ceilMode = false);

Value fill(OpBuilder &b, Location loc, Value tensor, Value v);

/// Result sizes of `op`: static dims from its type, dynamic ones from
/// `computed` (which must have an entry for each dim).
SmallVector<OpFoldResult> resultSizes(OpBuilder &b, Value result,
                                      ArrayRef<OpFoldResult> computed);

/// A projected identity from the last `rank` dims of an `n`-dim space, with
/// size-1 dims of `type` that broadcast against `target` mapped to 0.
AffineMap broadcastMap(MLIRContext *ctx, RankedTensorType type,
                       RankedTensorType target);

/// linalg.transpose of `v` by `perm` (result dim i = input dim perm[i]).
Value transpose(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> perm);

Value expand(OpBuilder &b, Location loc, Value v,
             ArrayRef<ReassociationIndices> reassoc,
             ArrayRef<OpFoldResult> outSizes);

Value collapse(OpBuilder &b, Location loc, Value v,
               ArrayRef<ReassociationIndices> reassoc);

/// A pad of the last two (image) dims for NCHW or the middle two for NHWC.
Value padImage(OpBuilder &b, Location loc, Value input, bool nchw,
               ArrayRef<int64_t> pad, Value padValue);

/// An output initialised with the bias broadcast along `biasDim`, or zeros.
Value initWithBias(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                   Type elt, Value bias, unsigned biasDim);

/// The base of the lowerings of image ops that compute an NCHW op in NHWC
/// between transposes when `nchwAsNHWC` (convolution, pooling): the NHWC op
/// they make is lowered next by the same pattern.
template <typename OpTy>
struct NHWCLowering : public mlir::OpRewritePattern<OpTy> {
  NHWCLowering(mlir::MLIRContext *ctx, bool nchwAsNHWC)
      : mlir::OpRewritePattern<OpTy>(ctx), nchwAsNHWC(nchwAsNHWC) {
    this->setHasBoundedRewriteRecursion();
  }
  bool nchwAsNHWC;
};

//===----------------------------------------------------------------------===//
// The op families' patterns, one file each
//===----------------------------------------------------------------------===//

/// Activations and broadcasting arithmetic (Elementwise.cpp).
void populateElementwiseLoweringPatterns(mlir::RewritePatternSet &patterns);
/// nn.linear and nn.matmul (Contraction.cpp).
void populateContractionLoweringPatterns(mlir::RewritePatternSet &patterns);
/// nn.conv2d and nn.patch_embed (Convolution.cpp); NCHW computed in NHWC
/// between transposes when `nchwAsNHWC`.
void populateConvolutionLoweringPatterns(mlir::RewritePatternSet &patterns,
                                         bool nchwAsNHWC);
/// Max, average and global average pooling (Pooling.cpp).
void populatePoolingLoweringPatterns(mlir::RewritePatternSet &patterns,
                                     bool nchwAsNHWC);
/// Layer norm, batch norm and softmax (Normalization.cpp).
void populateNormalizationLoweringPatterns(mlir::RewritePatternSet &patterns);
/// Image/token/window/head reshapes (Reshapes.cpp).
void populateReshapeLoweringPatterns(mlir::RewritePatternSet &patterns);
/// nn.attention as a flash-attention loop nest (Attention.cpp).
void populateAttentionLowering(mlir::RewritePatternSet &patterns,
                               int64_t queryBlock, int64_t keyBlock,
                               bool prefetch);

} // namespace acc::detail

#endif // ACC_LIB_CONVERSION_NNTOLINALG_LOWERINGUTILS_H
