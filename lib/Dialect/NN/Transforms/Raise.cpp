//===- Raise.cpp - decomposed subgraphs back to nn ops
//---------------------===//
//
// Part of the acc project.
//
// Exporters write attention as matmul/softmax/matmul, GELU as its erf
// formula and a linear layer's bias as a separate add. The patterns here put
// the nn ops back, so that the pipelines reach their fused kernels.
//
//===----------------------------------------------------------------------===//

#include "acc/Dialect/NN/IR/NNOps.h"
#include "acc/Dialect/NN/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace acc::nn {
#define GEN_PASS_DEF_NNRAISE
#include "acc/Dialect/NN/Transforms/Passes.h.inc"
} // namespace acc::nn

using namespace mlir;
using namespace acc::nn;

namespace {

/// The value of a splat floating-point constant.
std::optional<double> splatValue(Value v) {
  DenseFPElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)) || !attr.isSplat())
    return std::nullopt;
  return attr.getSplatValue<APFloat>().convertToDouble();
}

bool near(double a, double b) { return std::abs(a - b) <= 1e-6 * std::abs(b); }

bool singleUse(Value v) { return v.hasOneUse(); }

/// Groups rank-4 dims for a rank-`r` view: the 4 - r added leading unit
/// dims join the first of the original ones.
SmallVector<ReassociationIndices> rank4Reassociation(int64_t r) {
  SmallVector<ReassociationIndices> re(1);
  for (int64_t k = 0; k <= 4 - r; ++k)
    re[0].push_back(k);
  for (int64_t k = 5 - r; k < 4; ++k)
    re.push_back({k});
  return re;
}

/// The value `v` viewed with rank 4 by adding leading unit dims.
Value toRank4(PatternRewriter &rewriter, Location loc, Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  int64_t r = type.getRank();
  if (r == 4)
    return v;
  SmallVector<int64_t> shape(4 - r, 1);
  shape.append(type.getShape().begin(), type.getShape().end());
  return tensor::ExpandShapeOp::create(
      rewriter, loc, RankedTensorType::get(shape, type.getElementType()), v,
      rank4Reassociation(r));
}

/// matmul(softmax(scale * matmul(Q, Kt) [+ mask]), V) -> nn.attention.
struct RaiseAttention : public OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  /// Peels a `mul` or `div` by a scalar constant off `v`, folding it into
  /// `scale`; returns `v` itself when it is not such an op.
  static Value peelScale(Value v, double &scale) {
    Operation *def = v.getDefiningOp();
    if (!def || !isa<MulOp, DivOp>(def))
      return v;
    Type type = def->getResult(0).getType();
    Value a = def->getOperand(0), b = def->getOperand(1);
    if (a.getType() == type)
      if (auto c = splatValue(b); c && *c != 0) {
        scale *= isa<DivOp>(def) ? 1.0 / *c : *c;
        return a;
      }
    if (isa<MulOp>(def) && b.getType() == type)
      if (auto c = splatValue(a)) {
        scale *= *c;
        return b;
      }
    return v;
  }

  /// Whether the constant `mask` (broadcast to [.., nq, nk]) is the causal
  /// mask: 0 where key j <= i + nk - nq, -inf or below -1e9 elsewhere.
  static bool isCausalMask(Value mask, int64_t nq, int64_t nk) {
    DenseFPElementsAttr attr;
    if (!matchPattern(mask, m_Constant(&attr)))
      return false;
    auto shape = attr.getType().getShape();
    if (shape.size() < 2 || shape[shape.size() - 2] != nq || shape.back() != nk)
      return false;
    for (int64_t d : shape.drop_back(2))
      if (d != 1)
        return false;
    int64_t k = 0;
    for (APFloat x : attr.getValues<APFloat>()) {
      int64_t i = k / nk, j = k % nk;
      double v = x.convertToDouble();
      bool visible = j <= i + nk - nq;
      if (visible ? v != 0.0 : !(v <= -1e9))
        return false;
      ++k;
    }
    return true;
  }

  LogicalResult matchAndRewrite(MatmulOp root,
                                PatternRewriter &rewriter) const override {
    auto softmax = root.getLhs().getDefiningOp<SoftmaxOp>();
    if (!softmax || !singleUse(softmax.getResult()))
      return rewriter.notifyMatchFailure(root, "lhs is not a softmax");
    auto sType = cast<RankedTensorType>(softmax.getType());
    int64_t r = sType.getRank();
    if (r < 2 || r > 4 ||
        (softmax.getAxis() != -1 && softmax.getAxis() != r - 1))
      return rewriter.notifyMatchFailure(root, "softmax over another axis");
    Value s = softmax.getInput();
    Value mask;
    if (auto add = s.getDefiningOp<AddOp>()) {
      if (!singleUse(add.getResult()))
        return failure();
      // The scores are the operand with the scores' shape.
      Value a = add.getLhs(), b = add.getRhs();
      if (a.getType() != sType)
        std::swap(a, b);
      if (a.getType() != sType)
        return failure();
      s = a;
      mask = b;
    }
    double scale = 1.0;
    Value scores = s;
    if (Operation *def = s.getDefiningOp();
        def && isa<MulOp, DivOp>(def) && singleUse(s))
      scores = peelScale(s, scale);
    auto qk = scores.getDefiningOp<MatmulOp>();
    if (!qk || !singleUse(qk.getResult()))
      return rewriter.notifyMatchFailure(root, "scores are not a matmul");
    Value q = peelScale(qk.getLhs(), scale);
    Value kt = qk.getRhs(), v = root.getRhs();
    auto qType = cast<RankedTensorType>(q.getType());
    auto ktType = cast<RankedTensorType>(kt.getType());
    auto vType = cast<RankedTensorType>(v.getType());
    if (qType.getRank() != r || ktType.getRank() != r || vType.getRank() != r)
      return rewriter.notifyMatchFailure(root, "operand ranks differ");
    if (qType.getShape().drop_back(2) != ktType.getShape().drop_back(2) ||
        qType.getShape().drop_back(2) != vType.getShape().drop_back(2))
      return rewriter.notifyMatchFailure(root, "batch dims differ");
    if (!qType.hasStaticShape() || !ktType.hasStaticShape() ||
        !vType.hasStaticShape())
      return rewriter.notifyMatchFailure(root, "dynamic shapes");
    int64_t nq = qType.getDimSize(r - 2), nk = ktType.getDimSize(r - 1);
    if (vType.getDimSize(r - 2) != nk)
      return failure();
    if (mask) {
      auto mType = cast<RankedTensorType>(mask.getType());
      if (mType.getRank() > r ||
          mType.getElementType() != sType.getElementType())
        return failure();
    }

    Location loc = root.getLoc();
    // K = Kt with its last two dims swapped, composed with Kt's transpose.
    SmallVector<int64_t> swap;
    for (int64_t k = 0; k < r; ++k)
      swap.push_back(k);
    std::swap(swap[r - 1], swap[r - 2]);
    Value kSrc = kt;
    SmallVector<int64_t> perm = swap;
    if (auto t = kt.getDefiningOp<linalg::TransposeOp>();
        t && t.hasPureTensorSemantics()) {
      kSrc = t.getInput();
      for (int64_t k = 0; k < r; ++k)
        perm[k] = t.getPermutation()[swap[k]];
    }
    auto srcShape = cast<RankedTensorType>(kSrc.getType()).getShape();
    SmallVector<int64_t> kShape;
    for (int64_t p : perm)
      kShape.push_back(srcShape[p]);
    Value init =
        tensor::EmptyOp::create(rewriter, loc, kShape, ktType.getElementType());
    Value k = linalg::TransposeOp::create(rewriter, loc, kSrc, init, perm)
                  .getResult()[0];

    MaskKind kind = MaskKind::None;
    Value additive;
    if (mask) {
      if (isCausalMask(mask, nq, nk)) {
        kind = MaskKind::Causal;
      } else {
        additive = mask;
        if (cast<RankedTensorType>(mask.getType()).getRank() < 2) {
          auto mt = cast<RankedTensorType>(mask.getType());
          SmallVector<int64_t> shape(2 - mt.getRank(), 1);
          shape.append(mt.getShape().begin(), mt.getShape().end());
          SmallVector<ReassociationIndices> re;
          if (mt.getRank() == 1)
            re = {{0, 1}};
          additive = tensor::ExpandShapeOp::create(
              rewriter, loc, RankedTensorType::get(shape, mt.getElementType()),
              mask, re);
        }
      }
    }
    Value q4 = toRank4(rewriter, loc, q), k4 = toRank4(rewriter, loc, k),
          v4 = toRank4(rewriter, loc, v);
    auto q4Type = cast<RankedTensorType>(q4.getType());
    SmallVector<int64_t> outShape(q4Type.getShape().drop_back());
    outShape.push_back(vType.getShape().back());
    auto outType = RankedTensorType::get(outShape, vType.getElementType());
    auto att = AttentionOp::create(rewriter, loc, outType, q4, k4, v4, additive,
                                   kind, IntegerAttr(),
                                   rewriter.getF32FloatAttr(float(scale)));
    Value result = att.getResult();
    if (r < 4)
      result = tensor::CollapseShapeOp::create(rewriter, loc, root.getType(),
                                               result, rank4Reassociation(r));
    rewriter.replaceOp(root, result);
    return success();
  }
};

/// 0.5 * x * (1 + erf(x / sqrt(2))) -> nn.gelu.
struct RaiseGelu : public OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;

  /// The factors of a product of single-use muls of one type.
  static void factors(Value v, Type type, bool root,
                      SmallVectorImpl<Value> &out) {
    auto mul = v.getDefiningOp<MulOp>();
    if (mul && (root || singleUse(v)) && mul.getType() == type) {
      factors(mul.getLhs(), type, false, out);
      factors(mul.getRhs(), type, false, out);
      return;
    }
    out.push_back(v);
  }

  /// `1 + erf(x / sqrt(2))`: returns x.
  static Value matchErfTerm(Value v) {
    auto add = v.getDefiningOp<AddOp>();
    if (!add || !singleUse(v))
      return Value();
    Value e = add.getLhs(), one = add.getRhs();
    if (!splatValue(one))
      std::swap(e, one);
    auto c = splatValue(one);
    if (!c || *c != 1.0)
      return Value();
    auto erf = e.getDefiningOp<linalg::ErfOp>();
    if (!erf || !singleUse(e) || !erf.hasPureTensorSemantics())
      return Value();
    Value z = erf.getInputs()[0];
    if (!singleUse(z))
      return Value();
    if (auto div = z.getDefiningOp<DivOp>()) {
      auto d = splatValue(div.getRhs());
      if (d && near(*d, std::sqrt(2.0)))
        return div.getLhs();
    }
    if (auto mul = z.getDefiningOp<MulOp>()) {
      Value x = mul.getLhs(), k = mul.getRhs();
      if (!splatValue(k))
        std::swap(x, k);
      auto d = splatValue(k);
      if (d && near(*d, std::sqrt(0.5)))
        return x;
    }
    return Value();
  }

  LogicalResult matchAndRewrite(MulOp root,
                                PatternRewriter &rewriter) const override {
    SmallVector<Value> fs;
    factors(root.getResult(), root.getType(), true, fs);
    if (fs.size() != 3)
      return failure();
    Value half, term, x;
    for (Value f : fs) {
      if (auto c = splatValue(f); c && *c == 0.5 && !half)
        half = f;
      else if (!term && matchErfTerm(f))
        term = f;
      else
        x = f;
    }
    if (!half || !term || !x || matchErfTerm(term) != x ||
        x.getType() != root.getType())
      return failure();
    rewriter.replaceOpWithNewOp<GeluOp>(root, root.getType(), x,
                                        GeluApproximation::None);
    return success();
  }
};

/// The value whose mean over its last dimension `v` is, with the dimension
/// kept: expand_shape(mul(reduce_sum(x, [last]), 1/n)). Null otherwise.
Value matchLastDimMean(Value v) {
  auto expand = v.getDefiningOp<tensor::ExpandShapeOp>();
  if (!expand)
    return Value();
  auto mul = expand.getSrc().getDefiningOp<MulOp>();
  if (!mul)
    return Value();
  auto reduce = mul.getLhs().getDefiningOp<linalg::ReduceOp>();
  auto scale = splatValue(mul.getRhs());
  if (!reduce || !scale || reduce.getNumDpsInputs() != 1)
    return Value();
  Value x = reduce.getInputs()[0];
  auto xType = cast<RankedTensorType>(x.getType());
  int64_t r = xType.getRank();
  if (r < 1 || reduce.getDimensions() != ArrayRef<int64_t>{r - 1} ||
      xType.isDynamicDim(r - 1))
    return Value();
  Block &body = reduce.getCombiner().front();
  if (body.getOperations().size() != 2 || !isa<arith::AddFOp>(body.front()))
    return Value();
  auto init = reduce.getInits()[0].getDefiningOp<linalg::FillOp>();
  FloatAttr zero;
  if (!init || !matchPattern(init.getInputs()[0], m_Constant(&zero)) ||
      !zero.getValue().isZero() || !near(*scale, 1.0 / xType.getDimSize(r - 1)))
    return Value();
  // The expanded shape is x's with the last dimension 1.
  auto eType = cast<RankedTensorType>(expand.getType());
  if (eType.getRank() != r || eType.getDimSize(r - 1) != 1)
    return Value();
  return x;
}

/// (x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps) over the last
/// dimension -> nn.layer_norm (PyTorch's export of LayerNorm before opset
/// 17, translated).
struct RaiseLayerNorm : public OpRewritePattern<DivOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DivOp div,
                                PatternRewriter &rewriter) const override {
    auto sub = div.getLhs().getDefiningOp<SubOp>();
    auto sqrt = div.getRhs().getDefiningOp<linalg::SqrtOp>();
    if (!sub || !sqrt || !sqrt.hasPureTensorSemantics() ||
        !singleUse(div.getRhs()) || sub.getType() != div.getType())
      return failure();
    Value x = sub.getLhs();
    if (x.getType() != div.getType() || matchLastDimMean(sub.getRhs()) != x)
      return failure();
    auto add = sqrt.getInputs()[0].getDefiningOp<AddOp>();
    if (!add)
      return failure();
    Value var = add.getLhs(), epsV = add.getRhs();
    if (!splatValue(epsV))
      std::swap(var, epsV);
    auto eps = splatValue(epsV);
    if (!eps || *eps < 0)
      return failure();
    auto sq = matchLastDimMean(var).getDefiningOp<MulOp>();
    if (!sq || sq.getLhs() != sub.getResult() || sq.getRhs() != sub.getResult())
      return failure();
    int64_t r = cast<RankedTensorType>(x.getType()).getRank();
    rewriter.replaceOpWithNewOp<LayerNormOp>(
        div, div.getType(), x, Value(), Value(),
        rewriter.getI64IntegerAttr(r - 1),
        rewriter.getF32FloatAttr(float(*eps)));
    return success();
  }
};

/// add(mul(layer_norm(x), g), b) -> layer_norm(x) weight(g) bias(b), for a
/// layer norm without parameters and g, b of the normalised shape (or that
/// shape with leading 1s); mul alone gives the weight.
struct RaiseLayerNormAffine : public OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;

  static Value asNormShape(PatternRewriter &rewriter, Value p,
                           RankedTensorType norm) {
    auto type = cast<RankedTensorType>(p.getType());
    if (type.getElementType() != norm.getElementType() ||
        !type.hasStaticShape() ||
        type.getNumElements() != norm.getNumElements() ||
        type.getShape().back() != norm.getShape().back())
      return Value();
    if (type == norm)
      return p;
    DenseElementsAttr attr;
    if (!matchPattern(p, m_Constant(&attr)))
      return Value();
    return arith::ConstantOp::create(rewriter, p.getLoc(), attr.reshape(norm));
  }

  LogicalResult matchAndRewrite(MulOp mul,
                                PatternRewriter &rewriter) const override {
    Value lnV = mul.getLhs(), g = mul.getRhs();
    if (!lnV.getDefiningOp<LayerNormOp>())
      std::swap(lnV, g);
    auto ln = lnV.getDefiningOp<LayerNormOp>();
    if (!ln || ln.getWeight() || ln.getBias() || !singleUse(lnV) ||
        mul.getType() != ln.getType())
      return failure();
    auto xType = cast<RankedTensorType>(ln.getType());
    int64_t axis = ln.getNormalizedAxis();
    if (axis != xType.getRank() - 1 || xType.isDynamicDim(axis))
      return failure();
    auto normType =
        RankedTensorType::get({xType.getDimSize(axis)}, xType.getElementType());
    Value weight = asNormShape(rewriter, g, normType);
    if (!weight)
      return failure();
    Value bias;
    Operation *replaced = mul;
    if (mul->hasOneUse())
      if (auto add = dyn_cast<AddOp>(*mul->getUsers().begin());
          add && add.getType() == mul.getType()) {
        Value b = add.getLhs() == mul.getResult() ? add.getRhs() : add.getLhs();
        if (Value bn = asNormShape(rewriter, b, normType)) {
          bias = bn;
          replaced = add;
        }
      }
    rewriter.setInsertionPoint(replaced);
    auto newLn = LayerNormOp::create(rewriter, ln.getLoc(), ln.getType(),
                                     ln.getInput(), weight, bias,
                                     ln.getAxisAttr(), ln.getEpsilonAttr());
    rewriter.replaceOp(replaced, newLn.getResult());
    return success();
  }
};

/// add(linear(x, W), b) -> linear(x, W) bias(b).
struct RaiseLinearBias : public OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp add,
                                PatternRewriter &rewriter) const override {
    for (int side = 0; side < 2; ++side) {
      Value l = add->getOperand(side), bias = add->getOperand(1 - side);
      auto linear = l.getDefiningOp<LinearOp>();
      if (!linear || linear.getBias() || !singleUse(l) ||
          linear.getType() != add.getType())
        continue;
      auto bType = cast<RankedTensorType>(bias.getType());
      int64_t n = linear.getType().getShape().back();
      if (!bType.hasStaticShape() || bType.getNumElements() != n ||
          bType.getShape().back() != n)
        continue;
      if (bType.getRank() > 1) {
        ReassociationIndices all;
        for (int64_t k = 0; k < bType.getRank(); ++k)
          all.push_back(k);
        DenseElementsAttr attr;
        if (matchPattern(bias, m_Constant(&attr)))
          bias = arith::ConstantOp::create(
              rewriter, bias.getLoc(),
              attr.reshape(RankedTensorType::get({n}, bType.getElementType())));
        else
          bias = tensor::CollapseShapeOp::create(
              rewriter, add.getLoc(),
              RankedTensorType::get({n}, bType.getElementType()), bias,
              SmallVector<ReassociationIndices>{all});
      }
      rewriter.replaceOpWithNewOp<LinearOp>(
          add, add.getType(), linear.getInput(), linear.getWeight(), bias);
      return success();
    }
    return failure();
  }
};

struct NNRaisePass : public acc::nn::impl::NNRaiseBase<NNRaisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RaiseAttention, RaiseGelu, RaiseLinearBias, RaiseLayerNorm,
                 RaiseLayerNormAffine>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
