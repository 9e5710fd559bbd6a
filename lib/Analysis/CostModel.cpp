//===- CostModel.cpp - FLOPs, bytes and scaling of nn programs ------------===//
//
// Part of the acc project.
//
// Every formula is documented in docs/CostModel.md; keep the two in step.
// Over 800 lines on purpose: one formula per nn op, in the order of
// docs/CostModel.md, so that the two can be read side by side.
//
//===----------------------------------------------------------------------===//

#include "acc/Analysis/CostModel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace acc;
using namespace acc::nn;

void CostFigures::add(const CostFigures &o) {
  flops += o.flops;
  macs += o.macs;
  bytes += o.bytes;
  bytesUnfused += o.bytesUnfused;
  params += o.params;
  paramBytes += o.paramBytes;
  hasUnknown |= o.hasUnknown;
}

int64_t CostModel::elementBytes(Type type) {
  if (auto shaped = dyn_cast<ShapedType>(type))
    type = shaped.getElementType();
  unsigned bits = type.isIntOrIndexOrFloat() ? type.getIntOrFloatBitWidth() : 0;
  if (type.isIndex())
    bits = 64;
  return std::max<int64_t>(1, (bits + 7) / 8);
}

namespace {
using Shape = SmallVector<Poly, 4>;

Poly frac(int64_t n, int64_t d) { return Poly(Rational(n, d)); }

Poly product(ArrayRef<Poly> dims) {
  Poly p(1);
  for (const Poly &d : dims)
    p = p * d;
  return p;
}

/// Sum over query positions p in [first, last] of the visible keys
/// min(p + 1, window) (or p + 1 without a window), with p < 0 seeing none.
/// Exact, for static sizes.
Rational visibleStatic(int64_t first, int64_t last,
                       std::optional<int64_t> window) {
  first = std::max<int64_t>(first, 0);
  if (last < first)
    return Rational(0);
  auto triangle = [](__int128 a, __int128 b) -> Rational {
    // sum_{p=a}^{b} (p + 1)
    if (b < a)
      return Rational(0);
    return Rational((b - a + 1) * (a + 1 + b + 1), 2);
  };
  if (!window)
    return triangle(first, last);
  int64_t w = *window;
  // p + 1 < w for p <= w - 2; w keys afterwards.
  int64_t rampEnd = std::min<int64_t>(last, w - 2);
  Rational sum = triangle(first, rampEnd);
  int64_t flatStart = std::max<int64_t>(first, w - 1);
  if (flatStart <= last)
    sum = sum + Rational(__int128(last - flatStart + 1) * w);
  return sum;
}

/// The operands of `op` that hold parameters (weights, biases, statistics).
SmallVector<Value> weightOperands(Operation *op) {
  SmallVector<Value> ws;
  llvm::TypeSwitch<Operation *>(op)
      .Case<Conv2DOp, PatchEmbedOp>([&](auto o) {
        ws = {o.getFilter(), o.getBias()};
      })
      .Case<LinearOp>([&](LinearOp o) {
        ws = {o.getWeight(), o.getBias()};
      })
      .Case<LayerNormOp>([&](LayerNormOp o) {
        ws = {o.getWeight(), o.getBias()};
      })
      .Case<BatchNormOp>([&](BatchNormOp o) {
        ws = {o.getScale(), o.getBias(), o.getMean(), o.getVariance()};
      });
  llvm::erase(ws, Value());
  return ws;
}

/// Derived names of the dims of an operand, from the role it plays in `user`.
SmallVector<std::string> roleNames(OpOperand &use) {
  Operation *user = use.getOwner();
  unsigned idx = use.getOperandNumber();
  auto rank = cast<RankedTensorType>(use.get().getType()).getRank();
  auto image = [](Layout layout) -> SmallVector<std::string> {
    if (layout == Layout::NCHW)
      return {"B", "C", "H", "W"};
    return {"B", "H", "W", "C"};
  };
  SmallVector<std::string> names =
      llvm::TypeSwitch<Operation *, SmallVector<std::string>>(user)
          .Case<Conv2DOp, MaxPool2DOp, AvgPool2DOp, GlobalAvgPool2DOp,
                ImageToTokensOp, PatchEmbedOp>([&](auto op) {
            if (idx == 0)
              return image(op.getLayout());
            return SmallVector<std::string>{};
          })
          .Case<BatchNormOp>([&](BatchNormOp op) {
            if (idx == 0 && rank == 4)
              return image(op.getLayout());
            return SmallVector<std::string>{};
          })
          .Case<WindowPartitionOp>([&](auto) {
            return SmallVector<std::string>{"B", "H", "W", "C"};
          })
          .Case<AttentionOp>([&](AttentionOp) {
            switch (idx) {
            case 0:
              return SmallVector<std::string>{"B", "Hq", "N", "D"};
            case 1:
              return SmallVector<std::string>{"B", "Hkv", "N", "D"};
            case 2:
              return SmallVector<std::string>{"B", "Hkv", "N", "Dv"};
            default:
              return SmallVector<std::string>{};
            }
          })
          .Case<MergeHeadsOp>([&](auto) {
            return SmallVector<std::string>{"B", "Hq", "N", "D"};
          })
          .Default([](Operation *) { return SmallVector<std::string>{}; });
  if (names.size() == static_cast<size_t>(rank))
    return names;
  // Generic: [B, N, C] sequences, [N, C] matrices.
  if (rank == 3)
    return {"B", "N", "C"};
  if (rank == 2)
    return {"N", "C"};
  if (rank == 4)
    return {"B", "C", "H", "W"};
  return {};
}

/// The analysis of one function.
class FunctionAnalyzer {
public:
  FunctionAnalyzer(FunctionOpInterface func, SymbolNames &symbols)
      : func(func), symbols(symbols) {}

  FunctionCost run();

private:
  FunctionOpInterface func;
  SymbolNames &symbols;
  FunctionCost result;
  DenseMap<Value, Shape> shapes;
  DenseMap<Value, ReceptiveField> fields;
  unsigned freshCounter = 0;

  Poly symbol(StringRef name) { return Poly::symbol(symbols.get(name)); }
  void nameArguments();
  const Shape &shapeOf(Value v);
  void setResult(Value v, Shape inferred);
  Poly elements(Value v) { return product(shapeOf(v)); }
  Poly bytesOf(Value v) {
    return elements(v) * Poly(CostModel::elementBytes(v.getType()));
  }
  Poly dim(Value v, unsigned i) { return shapeOf(v)[i]; }

  void analyzeOp(Operation *op, unsigned depth);
  void inferShapes(Operation *op);
  void propagateReceptiveField(Operation *op, OpCost &entry);
  bool modelOp(Operation *op, CostFigures &c);
  bool modelUpstreamOp(Operation *op, CostFigures &c);
  void addParams(CostFigures &c, ArrayRef<Value> weights);
  Crossover crossover(bool flops);
};

void FunctionAnalyzer::nameArguments() {
  for (BlockArgument arg : func.getArguments()) {
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (!type)
      continue;
    auto attrNames =
        func.getArgAttrOfType<ArrayAttr>(arg.getArgNumber(), "nn.dims");
    SmallVector<std::string> derived;
    for (OpOperand &use : arg.getUses())
      if (isa<NNDialect>(use.getOwner()->getDialect())) {
        derived = roleNames(use);
        if (!derived.empty())
          break;
      }
    Shape shape;
    for (int64_t i = 0, e = type.getRank(); i < e; ++i) {
      if (!type.isDynamicDim(i)) {
        shape.push_back(Poly(type.getDimSize(i)));
        continue;
      }
      std::string name, origin;
      if (attrNames && i < static_cast<int64_t>(attrNames.size()))
        if (auto s = dyn_cast<StringAttr>(attrNames[i]))
          if (!s.getValue().empty())
            name = s.getValue().str(), origin = "named by nn.dims";
      if (name.empty() && i < static_cast<int64_t>(derived.size()))
        name = derived[i], origin = "derived";
      if (name.empty())
        name =
            "d" + std::to_string(arg.getArgNumber()) + "_" + std::to_string(i),
        origin = "derived";
      unsigned id = symbols.get(name);
      bool seen = llvm::any_of(result.symbolOrigins,
                               [&](auto &p) { return p.first == id; });
      if (!seen)
        result.symbolOrigins.push_back(
            {id, "%arg" + std::to_string(arg.getArgNumber()) + " dim " +
                     std::to_string(i) + " (" + origin + ")"});
      shape.push_back(Poly::symbol(id));
    }
    shapes[arg] = shape;
    // Arguments used as images start with a 1x1 receptive field.
    bool usedAsImage = llvm::any_of(arg.getUses(), [](OpOperand &use) {
      return use.getOperandNumber() == 0 &&
             isa<Conv2DOp, PatchEmbedOp, MaxPool2DOp, AvgPool2DOp,
                 GlobalAvgPool2DOp, ImageToTokensOp, WindowPartitionOp>(
                 use.getOwner());
    });
    if (usedAsImage)
      fields[arg] = ReceptiveField();
  }
}

const Shape &FunctionAnalyzer::shapeOf(Value v) {
  auto it = shapes.find(v);
  if (it != shapes.end())
    return it->second;
  // A value whose producer is not modelled: static dims from the type and a
  // fresh symbol per dynamic dim.
  Shape s;
  auto type = cast<RankedTensorType>(v.getType());
  for (int64_t i = 0, e = type.getRank(); i < e; ++i) {
    if (!type.isDynamicDim(i)) {
      s.push_back(Poly(type.getDimSize(i)));
      continue;
    }
    std::string name = "u" + std::to_string(freshCounter++);
    result.symbolOrigins.push_back(
        {symbols.get(name), "a dim of an unmodelled value"});
    s.push_back(symbol(name));
  }
  return shapes[v] = s;
}

void FunctionAnalyzer::setResult(Value v, Shape inferred) {
  auto type = cast<RankedTensorType>(v.getType());
  Shape s;
  for (int64_t i = 0, e = type.getRank(); i < e; ++i) {
    if (!type.isDynamicDim(i))
      s.push_back(Poly(type.getDimSize(i)));
    else if (i < static_cast<int64_t>(inferred.size()))
      s.push_back(inferred[i]);
    else
      s.push_back(Poly());
  }
  shapes[v] = s;
}

/// Output size of a window op along one dim, symbolic:
/// floor((in + pads - span) / stride) + 1, written as
/// in/stride + floor((pads - span) / stride) + 1, which is exact whenever the
/// input size is a multiple of the stride (always for stride 1, and for the
/// usual image sizes). Static sizes come from the types and are always exact.
Poly windowOut(const Poly &in, int64_t kernel, int64_t stride, int64_t dilation,
               int64_t padLo, int64_t padHi) {
  int64_t span = dilation * (kernel - 1) + 1;
  int64_t rest = padLo + padHi - span;
  int64_t floorDiv =
      rest >= 0 ? rest / stride : -((-rest + stride - 1) / stride);
  return in * frac(1, stride) + Poly(floorDiv + 1);
}

void FunctionAnalyzer::inferShapes(Operation *op) {
  if (op->getNumResults() == 0 || !isa<NNDialect>(op->getDialect()))
    return;
  auto result = op->getResult(0);
  if (!isa<RankedTensorType>(result.getType()))
    return;
  auto imageDims = [&](Value v, Layout layout) {
    const Shape &s = shapeOf(v);
    if (layout == Layout::NCHW)
      return std::make_tuple(s[0], s[1], s[2], s[3]);
    return std::make_tuple(s[0], s[3], s[1], s[2]);
  };
  auto makeImage = [](Layout layout, Poly n, Poly c, Poly h, Poly w) {
    if (layout == Layout::NCHW)
      return Shape{n, c, h, w};
    return Shape{n, h, w, c};
  };
  Shape inferred =
      llvm::TypeSwitch<Operation *, Shape>(op)
          .Case<Conv2DOp>([&](Conv2DOp conv) {
            auto [n, c, h, w] = imageDims(conv.getInput(), conv.getLayout());
            auto [kh, kw] = conv.getKernelSize();
            Poly f = conv.isNCHW() ? dim(conv.getFilter(), 0)
                                   : dim(conv.getFilter(), 3);
            ArrayRef<int64_t> s = conv.getStrides(), d = conv.getDilations(),
                              p = conv.getPadding();
            if (ShapedType::isDynamic(kh) || ShapedType::isDynamic(kw))
              return Shape{};
            return makeImage(conv.getLayout(), n, f,
                             windowOut(h, kh, s[0], d[0], p[0], p[2]),
                             windowOut(w, kw, s[1], d[1], p[1], p[3]));
          })
          .Case<MaxPool2DOp, AvgPool2DOp>([&](auto pool) {
            auto [n, c, h, w] = imageDims(pool.getInput(), pool.getLayout());
            ArrayRef<int64_t> k = pool.getKernelSize(), s = pool.getStrides(),
                              p = pool.getPadding();
            return makeImage(pool.getLayout(), n, c,
                             windowOut(h, k[0], s[0], 1, p[0], p[2]),
                             windowOut(w, k[1], s[1], 1, p[1], p[3]));
          })
          .Case<GlobalAvgPool2DOp>([&](GlobalAvgPool2DOp pool) {
            auto [n, c, h, w] = imageDims(pool.getInput(), pool.getLayout());
            return makeImage(pool.getLayout(), n, c, Poly(1), Poly(1));
          })
          .Case<AttentionOp>([&](AttentionOp att) {
            const Shape &q = shapeOf(att.getQuery());
            return Shape{q[0], q[1], q[2], dim(att.getValue(), 3)};
          })
          .Case<LinearOp>([&](LinearOp lin) {
            Shape s = shapeOf(lin.getInput());
            s.back() = dim(lin.getWeight(), 0);
            return s;
          })
          .Case<MatmulOp>([&](MatmulOp mm) {
            const Shape &a = shapeOf(mm.getLhs()), &b = shapeOf(mm.getRhs());
            size_t batch = std::max(a.size(), b.size()) - 2;
            Shape s;
            for (size_t i = 0; i < batch; ++i) {
              // Align the batch dims from the right; a missing one is 1.
              size_t fromEnd = batch - i;
              Poly da =
                  a.size() - 2 >= fromEnd ? a[a.size() - 2 - fromEnd] : Poly(1);
              Poly db =
                  b.size() - 2 >= fromEnd ? b[b.size() - 2 - fromEnd] : Poly(1);
              s.push_back(da == Poly(1) ? db : da);
            }
            s.push_back(a[a.size() - 2]);
            s.push_back(b.back());
            return s;
          })
          .Case<AddOp, SubOp, MulOp, DivOp>([&](Operation *bin) {
            const Shape &a = shapeOf(bin->getOperand(0)),
                        &b = shapeOf(bin->getOperand(1));
            size_t rank = std::max(a.size(), b.size());
            Shape s;
            for (size_t i = 0; i < rank; ++i) {
              Poly da = i + a.size() >= rank ? a[i + a.size() - rank] : Poly(1);
              Poly db = i + b.size() >= rank ? b[i + b.size() - rank] : Poly(1);
              s.push_back(da == Poly(1) ? db : da);
            }
            return s;
          })
          .Case<ImageToTokensOp>([&](ImageToTokensOp op) {
            auto [n, c, h, w] = imageDims(op.getInput(), op.getLayout());
            return Shape{n, h * w, c};
          })
          .Case<TokensToImageOp>([&](TokensToImageOp op) {
            const Shape &t = shapeOf(op.getInput());
            return makeImage(op.getLayout(), t[0], t[2],
                             Poly(int64_t(op.getHeight())),
                             Poly(int64_t(op.getWidth())));
          })
          .Case<PatchEmbedOp>([&](PatchEmbedOp op) {
            bool nchw = op.getLayout() == Layout::NCHW;
            auto [n, c, h, w] = imageDims(op.getInput(), op.getLayout());
            auto fs =
                cast<RankedTensorType>(op.getFilter().getType()).getShape();
            int64_t ph = nchw ? fs[2] : fs[0], pw = nchw ? fs[3] : fs[1];
            Poly e = nchw ? dim(op.getFilter(), 0) : dim(op.getFilter(), 3);
            return Shape{n, h * frac(1, ph) * w * frac(1, pw), e};
          })
          .Case<WindowPartitionOp>([&](WindowPartitionOp op) {
            const Shape &s = shapeOf(op.getInput());
            ArrayRef<int64_t> ws = op.getWindowSize();
            return Shape{s[0] * s[1] * frac(1, ws[0]) * s[2] * frac(1, ws[1]),
                         Poly(ws[0] * ws[1]), s[3]};
          })
          .Case<WindowMergeOp>([&](WindowMergeOp op) {
            const Shape &s = shapeOf(op.getInput());
            ArrayRef<int64_t> ws = op.getWindowSize();
            int64_t windows =
                (op.getHeight() / ws[0]) * (op.getWidth() / ws[1]);
            return Shape{s[0] * frac(1, windows), Poly(int64_t(op.getHeight())),
                         Poly(int64_t(op.getWidth())), s[2]};
          })
          .Case<SplitHeadsOp>([&](SplitHeadsOp op) {
            const Shape &s = shapeOf(op.getInput());
            int64_t h = op.getNumHeads();
            return Shape{s[0], Poly(h), s[1], s[2] * frac(1, h)};
          })
          .Case<MergeHeadsOp>([&](MergeHeadsOp op) {
            const Shape &s = shapeOf(op.getInput());
            return Shape{s[0], s[2], s[1] * s[3]};
          })
          .Case<BlockOp>([&](BlockOp) { return Shape{}; })
          .Default([&](Operation *op) {
            // Shape-preserving ops: norms, softmax, activations.
            return shapeOf(op->getOperand(0));
          });
  if (auto block = dyn_cast<BlockOp>(op)) {
    for (auto [res, yielded] :
         llvm::zip(block.getResults(), block.getYield().getValues()))
      if (isa<RankedTensorType>(res.getType()))
        shapes[res] = shapeOf(yielded);
    return;
  }
  setResult(result, inferred);
}

void FunctionAnalyzer::addParams(CostFigures &c, ArrayRef<Value> weights) {
  // A value passed twice (e.g. one tensor as scale and bias) counts once.
  llvm::SetVector<Value> distinct(weights.begin(), weights.end());
  for (Value w : distinct) {
    if (!w)
      continue;
    c.params += elements(w);
    c.paramBytes += bytesOf(w);
  }
}

/// Fills `c` for a modelled op; returns false for an op the model does not
/// know.
bool FunctionAnalyzer::modelOp(Operation *op, CostFigures &c) {
  // Bytes: each distinct operand read once, each result written once.
  llvm::SetVector<Value> operands(op->operand_begin(), op->operand_end());
  for (Value v : operands)
    if (isa<RankedTensorType>(v.getType()))
      c.bytes += bytesOf(v);
  for (Value v : op->getResults())
    if (isa<RankedTensorType>(v.getType()))
      c.bytes += bytesOf(v);
  c.bytesUnfused = c.bytes;
  Value out = op->getNumResults() ? op->getResult(0) : Value();

  return llvm::TypeSwitch<Operation *, bool>(op)
      .Case<Conv2DOp, PatchEmbedOp>([&](auto conv) {
        bool nchw = conv.getLayout() == Layout::NCHW;
        Value filter = conv.getFilter();
        // Output pixels x output channels x (C/g x KH x KW).
        Poly perOutput = nchw
                             ? dim(filter, 1) * dim(filter, 2) * dim(filter, 3)
                             : dim(filter, 0) * dim(filter, 1) * dim(filter, 2);
        Poly outs = elements(out);
        c.macs = outs * perOutput;
        c.flops = c.macs * Poly(2);
        if (conv.getBias())
          c.flops += outs;
        addParams(c, weightOperands(op));
        return true;
      })
      .Case<LinearOp>([&](LinearOp lin) {
        Poly outs = elements(out);
        c.macs = outs * shapeOf(lin.getInput()).back();
        c.flops = c.macs * Poly(2);
        if (lin.getBias())
          c.flops += outs;
        addParams(c, weightOperands(op));
        return true;
      })
      .Case<MatmulOp>([&](MatmulOp mm) {
        c.macs = elements(out) * shapeOf(mm.getLhs()).back();
        c.flops = c.macs * Poly(2);
        return true;
      })
      .Case<AttentionOp>([&](AttentionOp att) {
        const Shape &q = shapeOf(att.getQuery()), &k = shapeOf(att.getKey()),
                    &v = shapeOf(att.getValue());
        Poly b = q[0], hq = q[1], nq = q[2], d = q[3], nk = k[2], dv = v[3];
        std::optional<int64_t> window;
        if (att.getMask() == MaskKind::SlidingWindow)
          window = *att.getWindow();
        Poly visible; // (query, key) pairs per head
        auto nqc = nq.getConstant(), nkc = nk.getConstant();
        if (att.getMask() == MaskKind::None) {
          visible = nq * nk;
        } else if (nqc && nkc && nqc->isInteger() && nkc->isInteger()) {
          int64_t nqv = int64_t(nqc->num), nkv = int64_t(nkc->num);
          visible = Poly(visibleStatic(nkv - nqv, nkv - 1, window));
        } else if (!window) {
          // sum_{i<Nq} (i + Nk - Nq + 1) = Nq*Nk - Nq^2/2 + Nq/2 (Nq <= Nk).
          visible = nq * nk - nq * nq * frac(1, 2) + nq * frac(1, 2);
        } else if (nq == nk) {
          // Self-attention with N >= W: N*W - W*(W-1)/2.
          int64_t w = *window;
          visible = nq * Poly(w) - Poly(Rational(__int128(w) * (w - 1), 2));
        } else {
          // Every query has a full window (Nk - Nq >= W - 1).
          visible = nq * Poly(*window);
        }
        Poly pairs = b * hq * visible;
        c.macs = pairs * (d + dv);
        // Per visible score: scale, (mask add), max, subtract, exp, sum.
        int64_t perScore = 5 + (att.getAdditiveMask() ? 1 : 0);
        c.flops = c.macs * Poly(2) + pairs * Poly(perScore) +
                  b * hq * nq * dv; // final normalisation
        // Unfused: scores written and read, probabilities written and read,
        // the full Nq x Nk matrix whatever the mask.
        int64_t elt = CostModel::elementBytes(att.getQuery().getType());
        c.bytesUnfused = c.bytes + b * hq * nq * nk * Poly(4 * elt);
        return true;
      })
      .Case<LayerNormOp>([&](LayerNormOp ln) {
        // Mean, subtract, square, variance, normalise; then affine.
        int64_t perElement =
            5 + (ln.getWeight() ? 1 : 0) + (ln.getBias() ? 1 : 0);
        c.flops = elements(out) * Poly(perElement);
        addParams(c, weightOperands(op));
        return true;
      })
      .Case<BatchNormOp>([&](BatchNormOp bn) {
        // Statistics fold into one scale and one shift per channel.
        c.flops = elements(out) * Poly(2);
        addParams(c, weightOperands(op));
        return true;
      })
      .Case<SoftmaxOp>([&](auto) {
        // max, subtract, exp, sum, divide.
        c.flops = elements(out) * Poly(5);
        return true;
      })
      .Case<ReluOp>([&](auto) {
        c.flops = elements(out);
        return true;
      })
      .Case<ClampOp>([&](ClampOp op) {
        c.flops = elements(out) * Poly(int64_t(op.getMin().has_value()) +
                                       int64_t(op.getMax().has_value()));
        return true;
      })
      .Case<SigmoidOp, HardSigmoidOp>([&](auto) {
        c.flops = elements(out) * Poly(4);
        return true;
      })
      .Case<SiluOp, HardSwishOp>([&](auto) {
        c.flops = elements(out) * Poly(5);
        return true;
      })
      .Case<GeluOp>([&](GeluOp g) {
        int64_t per = g.getApproximate() == GeluApproximation::Tanh ? 9 : 5;
        c.flops = elements(out) * Poly(per);
        return true;
      })
      .Case<AddOp, SubOp, MulOp, DivOp>([&](auto) {
        c.flops = elements(out);
        return true;
      })
      .Case<MaxPool2DOp>([&](MaxPool2DOp pool) {
        ArrayRef<int64_t> k = pool.getKernelSize();
        c.flops = elements(out) * Poly(k[0] * k[1]);
        return true;
      })
      .Case<AvgPool2DOp>([&](AvgPool2DOp pool) {
        ArrayRef<int64_t> k = pool.getKernelSize();
        c.flops = elements(out) * Poly(k[0] * k[1] + 1);
        return true;
      })
      .Case<GlobalAvgPool2DOp>([&](GlobalAvgPool2DOp pool) {
        c.flops = elements(pool.getInput()) + elements(out);
        return true;
      })
      .Case<ImageToTokensOp, TokensToImageOp, WindowPartitionOp, WindowMergeOp,
            SplitHeadsOp, MergeHeadsOp>([&](auto) {
        return true; // data movement only
      })
      .Default([&](Operation *) { return false; });
}

/// The upstream tensor and linalg ops that imported models hold beside nn
/// ops: data movement (no FLOPs) and elementwise math. Reshapes and slices
/// are views and move nothing; copies read their inputs and write their
/// results (a destination-passing op's `outs` is not read).
bool FunctionAnalyzer::modelUpstreamOp(Operation *op, CostFigures &c) {
  auto copyBytes = [&](ValueRange ins) {
    for (Value v : ins)
      c.bytes += bytesOf(v);
    for (Value v : op->getResults())
      c.bytes += bytesOf(v);
    c.bytesUnfused = c.bytes;
  };
  if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp,
          tensor::ExtractSliceOp>(op))
    return true;
  if (isa<tensor::ConcatOp, tensor::PadOp>(op)) {
    copyBytes(op->getOperands().take_front(
        isa<tensor::PadOp>(op) ? 1 : op->getNumOperands()));
    return true;
  }
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp || !linalgOp.hasPureTensorSemantics())
    return false;
  ValueRange ins = linalgOp.getDpsInputs();
  Value out = op->getResult(0);
  if (isa<linalg::TransposeOp, linalg::BroadcastOp, linalg::CopyOp>(op)) {
    copyBytes(ins);
    return true;
  }
  if (isa<linalg::FillOp>(op)) {
    copyBytes({});
    return true;
  }
  if (isa<linalg::ReduceOp>(op)) {
    copyBytes(ins);
    c.flops = elements(ins[0]);
    return true;
  }
  // An all-parallel generic (the importer's select of a masked_fill): one
  // FLOP per element.
  if (isa<linalg::GenericOp>(op) &&
      linalgOp.getNumLoops() == linalgOp.getNumParallelLoops()) {
    copyBytes(ins);
    c.flops = elements(out);
    return true;
  }
  if (isa<linalg::ExpOp, linalg::ErfOp, linalg::TanhOp, linalg::SqrtOp,
          linalg::RsqrtOp, linalg::NegFOp, linalg::AbsOp, linalg::ReciprocalOp,
          linalg::LogOp, linalg::PowFOp, linalg::SquareOp>(op)) {
    copyBytes(ins);
    c.flops = elements(out);
    return true;
  }
  return false;
}

void FunctionAnalyzer::propagateReceptiveField(Operation *op, OpCost &entry) {
  if (op->getNumResults() == 0)
    return;
  // The widest field among the operands.
  std::optional<ReceptiveField> in;
  for (Value v : op->getOperands()) {
    auto it = fields.find(v);
    if (it == fields.end())
      continue;
    const ReceptiveField &f = it->second;
    if (!in || f.global ||
        (!in->global && f.height * f.width > in->height * in->width))
      in = f;
  }
  if (!in)
    return;
  ReceptiveField out = *in;
  auto window = [&](int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t dh,
                    int64_t dw) {
    if (out.global)
      return;
    out.height += (dh * (kh - 1)) * out.strideH;
    out.width += (dw * (kw - 1)) * out.strideW;
    out.strideH *= sh;
    out.strideW *= sw;
  };
  bool isWindowOp = true;
  llvm::TypeSwitch<Operation *>(op)
      .Case<Conv2DOp>([&](Conv2DOp conv) {
        auto [kh, kw] = conv.getKernelSize();
        if (ShapedType::isDynamic(kh) || ShapedType::isDynamic(kw))
          out.global = true;
        else
          window(kh, kw, conv.getStrides()[0], conv.getStrides()[1],
                 conv.getDilations()[0], conv.getDilations()[1]);
      })
      .Case<PatchEmbedOp>([&](PatchEmbedOp pe) {
        auto fs = cast<RankedTensorType>(pe.getFilter().getType()).getShape();
        bool nchw = pe.getLayout() == Layout::NCHW;
        int64_t ph = nchw ? fs[2] : fs[0], pw = nchw ? fs[3] : fs[1];
        window(ph, pw, ph, pw, 1, 1);
      })
      .Case<MaxPool2DOp, AvgPool2DOp>([&](auto pool) {
        ArrayRef<int64_t> k = pool.getKernelSize(), s = pool.getStrides();
        window(k[0], k[1], s[0], s[1], 1, 1);
      })
      .Case<GlobalAvgPool2DOp, AttentionOp>([&](auto) { out.global = true; })
      .Case<MatmulOp>([&](auto) {
        // Mixing tokens (e.g. attention written out by hand).
        out.global = true;
        isWindowOp = false;
      })
      .Default([&](Operation *) { isWindowOp = false; });
  if (isWindowOp)
    entry.receptiveField = out;
  for (Value r : op->getResults())
    fields[r] = out;
}

void FunctionAnalyzer::analyzeOp(Operation *op, unsigned depth) {
  if (auto block = dyn_cast<BlockOp>(op)) {
    size_t firstOp = result.ops.size();
    for (Operation &inner : block.getBody().front().without_terminator())
      analyzeOp(&inner, depth + 1);
    inferShapes(op);
    for (auto [res, yielded] :
         llvm::zip(block.getResults(), block.getYield().getValues())) {
      auto it = fields.find(yielded);
      if (it != fields.end())
        fields[res] = it->second;
    }
    BlockCost bc{block, {}, depth};
    llvm::SetVector<Value> weights;
    for (size_t i = firstOp; i < result.ops.size(); ++i) {
      CostFigures c = result.ops[i].cost;
      c.params = Poly();
      c.paramBytes = Poly();
      bc.cost.add(c);
    }
    // Parameters shared by several ops of the block count once.
    result.blocks.push_back(bc);
    auto &stored = result.blocks.back();
    block.walk([&](Operation *inner) {
      for (Value w : weightOperands(inner))
        if (weights.insert(w)) {
          stored.cost.params += elements(w);
          stored.cost.paramBytes += bytesOf(w);
        }
    });
    return;
  }
  // Ops that cost nothing by construction.
  if (isa<arith::ConstantOp, tensor::EmptyOp, func::ReturnOp, YieldOp>(op))
    return;

  OpCost entry{op, {}, true, std::nullopt, depth};
  inferShapes(op);
  bool tensorOnly =
      llvm::all_of(op->getOperandTypes(),
                   [](Type t) { return isa<RankedTensorType>(t); }) &&
      llvm::all_of(op->getResultTypes(),
                   [](Type t) { return isa<RankedTensorType>(t); });
  // Upstream ops may take scalars (a fill's value); they check their own
  // tensor semantics.
  bool modelled = isa<NNDialect>(op->getDialect())
                      ? tensorOnly && modelOp(op, entry.cost)
                      : modelUpstreamOp(op, entry.cost);
  if (!modelled) {
    entry.known = false;
    entry.cost = CostFigures();
    entry.cost.hasUnknown = true;
    op->emitWarning() << "unknown cost: '" << op->getName()
                      << "' is not modelled by the nn cost model; its FLOPs "
                         "and bytes are not counted";
    // Results of unknown ops get fresh symbols for their dynamic dims.
    for (Value r : op->getResults())
      if (isa<RankedTensorType>(r.getType()))
        (void)shapeOf(r);
  }
  const CostFigures &c = entry.cost;
  if (c.flops.hasOverflow() || c.macs.hasOverflow() || c.bytes.hasOverflow() ||
      c.bytesUnfused.hasOverflow() || c.params.hasOverflow())
    op->emitWarning() << "cost figures exceed 128-bit integers; they are "
                         "reported as 'overflow'";
  propagateReceptiveField(op, entry);
  // Largest intermediate: compared at a reference size of 1024 per symbol.
  for (Value r : op->getResults()) {
    if (!isa<RankedTensorType>(r.getType()))
      continue;
    Poly bytes = bytesOf(r);
    SmallVector<int64_t> ref(symbols.size(), 1024);
    if (!result.largestIntermediateOp ||
        bytes.evaluate(ref).toDouble() >
            result.largestIntermediate.evaluate(ref).toDouble()) {
      result.largestIntermediate = bytes;
      result.largestIntermediateOp = op;
    }
  }
  result.ops.push_back(std::move(entry));
}

/// The value of `p` (univariate in `sym`) at `x`.
Rational evalAt(const Poly &p, unsigned sym, int64_t x, size_t numSyms) {
  SmallVector<int64_t> values(numSyms, 0);
  values[sym] = x;
  return p.evaluate(values);
}

Crossover FunctionAnalyzer::crossover(bool flops) {
  Crossover out;
  Poly conv, att;
  bool hasConv = false, hasAtt = false;
  for (const BlockCost &b : result.blocks) {
    // Outermost blocks of each kind only.
    bool nestedInSame = false;
    for (Operation *p = b.op->getParentOp(); p; p = p->getParentOp())
      if (auto pb = dyn_cast<BlockOp>(p))
        if (pb.getKind() == b.op.getKind())
          nestedInSame = true;
    if (nestedInSame)
      continue;
    const Poly &v = flops ? b.cost.flops : b.cost.bytes;
    if (b.op.getKind() == BlockKind::Convolution) {
      conv += v;
      hasConv = true;
    } else if (b.op.getKind() == BlockKind::Attention) {
      att += v;
      hasAtt = true;
    }
  }
  const char *what = flops ? "FLOPs" : "bytes";
  if (!hasConv || !hasAtt)
    return out;
  Poly diff = att - conv;
  SmallVector<unsigned> syms = diff.symbols();
  if (diff.hasOverflow()) {
    out.kind = Crossover::Kind::Ambiguous;
    out.text = "not computed: the figures overflowed";
    return out;
  }
  if (syms.empty()) {
    out.kind = Crossover::Kind::Static;
    Rational d = *diff.getConstant();
    out.text = std::string("attention ") + what +
               (d.sign() > 0   ? " exceed"
                : d.sign() < 0 ? " stay below"
                               : " equal") +
               " convolution " + what + " at these sizes (no dynamic dims)";
    return out;
  }
  if (syms.size() > 1) {
    out.kind = Crossover::Kind::Ambiguous;
    std::string names;
    for (unsigned s : syms)
      names += (names.empty() ? "" : ", ") + symbols.name(s).str();
    out.text = "not computed: the difference depends on several symbols (" +
               names + "); name them alike with nn.dims to get one";
    return out;
  }
  unsigned s = syms.front();
  out.symbol = symbols.name(s).str();
  size_t n = symbols.size();
  unsigned degree = diff.degreeIn(s);
  // Leading coefficient: diff(x)/x^degree for a large x has its sign.
  // Find it exactly from finite differences: the degree-th difference is
  // degree! * lead.
  Rational lead(0);
  {
    Rational acc(0);
    __int128 binom = 1;
    for (unsigned k = 0; k <= degree; ++k) {
      Rational term = evalAt(diff, s, k, n) * Rational(binom);
      acc = ((degree - k) % 2 == 0) ? acc + term : acc - term;
      binom = binom * (degree - k) / (k + 1);
    }
    lead = acc;
  }
  bool growsAbove = lead.sign() > 0;
  // Largest integer x >= 1 where the sign differs from the asymptotic one:
  // scan down from a power of two where the sign is already asymptotic.
  auto asymptotic = [&](int64_t x) {
    int sgn = evalAt(diff, s, x, n).sign();
    return growsAbove ? sgn > 0 : sgn <= 0;
  };
  int64_t hi = 1;
  while (hi < (int64_t(1) << 40) &&
         !(asymptotic(hi) && asymptotic(hi * 2) && asymptotic(hi * 4)))
    hi *= 2;
  // Exact boundary: the smallest x such that every y in [x, hi] is
  // asymptotic, found by bisection under the assumption of one final sign
  // change (true for the polynomials of degree <= 3 seen here; checked).
  int64_t lo = 0; // lo is not asymptotic (or 0)
  if (asymptotic(1)) {
    lo = 0;
    hi = 1;
  } else {
    lo = 1;
    while (hi - lo > 1) {
      int64_t mid = lo + (hi - lo) / 2;
      if (asymptotic(mid))
        hi = mid;
      else
        lo = mid;
    }
  }
  out.value = hi;
  std::string sym = out.symbol;
  if (growsAbove) {
    if (lo == 0) {
      out.kind = Crossover::Kind::Always;
      out.text = std::string("attention ") + what + " exceed convolution " +
                 what + " at every " + sym + " >= 1";
    } else {
      out.kind = Crossover::Kind::At;
      out.text = std::string("attention ") + what + " overtake convolution " +
                 what + " at " + sym + " = " + std::to_string(hi);
    }
  } else {
    if (lo == 0) {
      out.kind = Crossover::Kind::Never;
      out.text = std::string("attention ") + what +
                 " never overtake convolution " + what + " (" + sym + " >= 1)";
    } else {
      out.kind = Crossover::Kind::Below;
      out.text = std::string("attention ") + what + " exceed convolution " +
                 what + " only below " + sym + " = " + std::to_string(hi);
    }
  }
  return out;
}

FunctionCost FunctionAnalyzer::run() {
  result.name = SymbolTable::getSymbolName(func).str();
  result.func = func;
  nameArguments();
  for (Operation &op : func.getFunctionBody().getOps())
    analyzeOp(&op, 0);
  // Function totals: op figures summed; parameters counted once each.
  llvm::SetVector<Value> weights;
  for (const OpCost &oc : result.ops) {
    CostFigures c = oc.cost;
    c.params = Poly();
    c.paramBytes = Poly();
    result.total.add(c);
  }
  func.walk([&](Operation *op) {
    for (Value w : weightOperands(op))
      if (weights.insert(w)) {
        result.total.params += elements(w);
        result.total.paramBytes += bytesOf(w);
      }
  });
  result.flopsCrossover = crossover(true);
  result.bytesCrossover = crossover(false);
  return std::move(result);
}
} // namespace

CostModel::CostModel(Operation *op, AnalysisManager &) : CostModel(op) {}

CostModel::CostModel(Operation *op) {
  op->walk([&](FunctionOpInterface func) {
    if (func.isExternal())
      return;
    FunctionAnalyzer analyzer(func, symbols);
    functions.push_back(analyzer.run());
  });
}
