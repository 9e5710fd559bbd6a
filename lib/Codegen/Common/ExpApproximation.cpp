//===- ExpApproximation.cpp - a short f32 exp for the CPU -----------------===//
//
// Part of the acc project.
//
// math.exp on f32 (scalars and vectors) as 13 arithmetic ops, where MLIR's
// polynomial approximation takes about 21 (counted in the generated
// x86 code). Softmax, attention and sigmoid run it per element: the
// exponentials were 7.6% of a sliding-window attention's time (N = 1024,
// one thread, measured by dropping them).
//
//   x' = clamp(x, -126 ln 2, 128 ln 2)          (NaN stays NaN)
//   t  = fma(x', log2 e, M)                     M = 1.5 * 2^23 + 126
//   n  = t - M                                  round(x' log2 e), exact
//   r  = x' - n ln 2                            two fmas (Cody-Waite)
//   e  = P(r) ~ 2 e^r                           degree 5, r in [-ln2/2, ln2/2]
//   exp(x) = e * bits(t << 23)                  bits: 2^(n - 1)
//
// Adding M rounds x' log2 e to an integer and leaves n + 126 in the low
// bits of t; shifted into the exponent field they make 2^(n - 1) (the
// integer part of M shifts out). The polynomial carries the factor 2, so
// that n = 128 (x up to 128 ln 2: results up to FLT_MAX) needs no exponent
// 255 and the product overflows to inf by itself. n = -126 makes the scale
// 0: results below 2^-125.5 (x < -87.0) are flushed to 0, as MLIR's
// approximation flushes below 2^-126; exp(-inf) is 0 and exp(+inf) inf.
// P is a relative-error fit of e^r on [-ln2/2, ln2/2] (9.2e-8); measured
// against float64 over [-86.9, 88.7] the result is within 2 ulp.
//
//===----------------------------------------------------------------------===//

#include "acc/Codegen/Common/Transforms.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cmath>

using namespace mlir;

namespace {

struct ExpF32Approximation : public OpRewritePattern<math::ExpOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(math::ExpOp op,
                                PatternRewriter &rewriter) const override {
    Type type = op.getType();
    if (!getElementTypeOrSelf(type).isF32())
      return rewriter.notifyMatchFailure(op, "not f32");
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    Type i32 = b.getI32Type();
    Type intType = i32;
    if (auto vt = dyn_cast<VectorType>(type))
      intType = vt.clone(i32);
    auto splat = [&](Type t, TypedAttr a) -> Value {
      if (auto vt = dyn_cast<VectorType>(t))
        return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(vt, a));
      return arith::ConstantOp::create(b, loc, a);
    };
    auto f = [&](double v) {
      return splat(type, b.getF32FloatAttr(static_cast<float>(v)));
    };
    auto fma = [&](Value x, Value y, Value z) -> Value {
      return math::FmaOp::create(b, loc, x, y, z);
    };
    // select(a < b, b, a) and select(a > b, b, a): a NaN `a` compares false
    // and is kept (one vmaxps / vminps with the bound first).
    auto atLeast = [&](Value x, double lo) -> Value {
      Value c = f(lo);
      Value lt = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, c);
      return arith::SelectOp::create(b, loc, lt, c, x);
    };
    auto atMost = [&](Value x, double hi) -> Value {
      Value c = f(hi);
      Value gt = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, c);
      return arith::SelectOp::create(b, loc, gt, c, x);
    };

    const double ln2 = std::log(2.0);
    Value x = atMost(atLeast(op.getOperand(), -126.0 * ln2), 128.0 * ln2);
    Value magic = f(1.5 * 8388608.0 + 126.0);
    Value t = fma(x, f(1.0 / ln2), magic);
    Value n = arith::SubFOp::create(b, loc, t, magic);
    // ln 2 = 0.693359375 - 2.12194440e-4 (the first exact in 9 bits, so
    // n * 0.693359375 is exact for |n| <= 128).
    Value r = fma(n, f(-0.693359375), x);
    r = fma(n, f(2.12194440e-4), r);
    // 2 e^r.
    const double c[] = {2.0,
                        2 * 0.9999997019767761,
                        2 * 0.4999914765357971,
                        2 * 0.1666763871908188,
                        2 * 0.04189816489815712,
                        2 * 0.008290275931358337};
    Value p = f(c[5]);
    for (int i = 4; i >= 0; --i)
      p = fma(p, r, f(c[i]));
    Value bits = arith::BitcastOp::create(b, loc, intType, t);
    bits = arith::ShLIOp::create(b, loc, bits,
                                 splat(intType, b.getI32IntegerAttr(23)));
    Value scale = arith::BitcastOp::create(b, loc, type, bits);
    rewriter.replaceOpWithNewOp<arith::MulFOp>(op, p, scale);
    return success();
  }
};

} // namespace

namespace acc::codegen {
void populateExpF32Approximation(RewritePatternSet &patterns,
                                 PatternBenefit benefit) {
  patterns.add<ExpF32Approximation>(patterns.getContext(), benefit);
}
} // namespace acc::codegen
