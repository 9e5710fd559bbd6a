//===- WinogradConv.cpp - Winograd F(m x m, 3 x 3) convolution ------------===//
//
// Part of the acc project.
//
// A 3x3 stride-1 convolution with a constant filter computes each m x m
// block of its output from an (m + 2) x (m + 2) block of its input with
// fewer multiplications (Lavin and Gray, "Fast Algorithms for Convolutional
// Neural Networks", 2016): with a = m + 2,
//
//   U[a x a][c][f] = G g[c][f] Gᵀ          filter, folded at compile time
//   V[a x a][t][c] = Bᵀ d[t][c] B          input tile t, per channel
//   M[a x a][t][f] = sum_c V[.][t][c] U[.][c][f]   a² independent GEMMs
//   y[t][f]        = Aᵀ M[.][t][f] A (+ bias)      m x m outputs of tile t
//
// F(4x4, 3x3) (a = 6) does 36 / 16 = 2.25 multiplies per output and
// channel pair where the direct convolution does 9: 4x fewer; F(2x2, 3x3)
// (a = 4) 2.25x fewer. The GEMMs are one linalg.generic with the a² batch
// as its outermost loop, which nn-cpu-tile-and-vectorize register-tiles
// like any contraction (U is stored in panels of P output channels,
// `[a²][F / P][C][P]`, so each GEMM block reads contiguous rows). The input
// and output transforms are scf.forall loop nests of 16-lane vector ops
// on tensors (channels in the lanes): the matrices B, A have entries
// 0, ±1, ±2, ±4, ±5, ±8, so the transforms are adds and a few FMAs. The
// input transform reads the image in place (the padding and the part of
// the last tiles past the image are zeros, not a padded copy); the output
// transform adds the bias and the residual add and ReLU that follow the
// convolution. An output that is no multiple of m is computed rounded up
// to whole tiles and its valid part kept.
//
//===----------------------------------------------------------------------===//

#include "acc/Codegen/Common/Passes.h"
#include "acc/Dialect/NN/IR/NNOps.h"
#include "acc/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"

#include <vector>

#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "nn-winograd-conv"

namespace acc {
#define GEN_PASS_DEF_NNWINOGRADCONV
#include "acc/Codegen/Common/Passes.h.inc"
} // namespace acc

using namespace mlir;
using namespace acc::nn;
using namespace acc::detail;

namespace {

using Matrix = std::vector<std::vector<double>>;

/// The transform matrices of F(m x m, 3 x 3), interpolation points 0, ±1,
/// ±2 (F(4, 3)) and 0, ±1 (F(2, 3)), infinity last.
struct Transforms {
  int64_t m, alpha;
  Matrix bt, g, at;
};

const Transforms &transformsFor(int64_t m) {
  static const Transforms f2{
      2,
      4,
      {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}},
      {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}},
      {{1, 1, 1, 0}, {0, 1, -1, -1}}};
  static const Transforms f4{4,
                             6,
                             {{4, 0, -5, 0, 1, 0},
                              {0, -4, -4, 1, 1, 0},
                              {0, 4, -4, -1, 1, 0},
                              {0, -2, -1, 2, 1, 0},
                              {0, 2, -1, -2, 1, 0},
                              {0, 4, 0, -5, 0, 1}},
                             {{1.0 / 4, 0, 0},
                              {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                              {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                              {1.0 / 24, 1.0 / 12, 1.0 / 6},
                              {1.0 / 24, -1.0 / 12, 1.0 / 6},
                              {0, 0, 1}},
                             {{1, 1, 1, 1, 1, 0},
                              {0, 1, -1, 2, -2, 0},
                              {0, 1, 1, 4, 4, 0},
                              {0, 1, -1, 8, -8, 1}}};
  return m == 4 ? f4 : f2;
}

/// The lanes of every transform vector: 16 channels (one AVX-512 vector,
/// two AVX2 ones).
constexpr int64_t kLanes = 16;

/// Transformed-filter bytes per output tile above which the filter's reads
/// from memory are not amortised (see the tile choice).
constexpr int64_t kFilterBytesPerTile = 64 << 10;

/// The most bytes the transformed tiles V and M of one convolution may take
/// together: they are (m + 2)² / m² times the input's and output's sizes
/// (2.25x for F(4x4)), computed whole between the three parts, so a large
/// image (1024 x 1024 x 512: 9.7 GB) stays direct instead.
constexpr int64_t kMaxTransformedBytes = int64_t(256) << 20;

/// A vector of type `vt` with `c` in every lane.
Value splat(OpBuilder &b, Location loc, VectorType vt, double c) {
  return arith::ConstantOp::create(
      b, loc, vt,
      DenseElementsAttr::get(
          vt, ArrayRef<Attribute>{b.getFloatAttr(vt.getElementType(), c)}));
}

/// out[r] = sum_k mat[r][k] * in[k] on vectors: zero coefficients skipped,
/// ±1 as adds and subtracts, the others as FMAs with a splat constant.
SmallVector<Value> combine(OpBuilder &b, Location loc, const Matrix &mat,
                           ArrayRef<Value> in) {
  auto vt = cast<VectorType>(in[0].getType());
  SmallVector<Value> out;
  for (const std::vector<double> &row : mat) {
    // Start from a +1 term when there is one: no negation or multiply.
    int64_t start = -1;
    for (auto [k, c] : llvm::enumerate(row))
      if (c == 1.0) {
        start = k;
        break;
      }
    Value acc = start >= 0 ? in[start] : Value();
    for (auto [k, c] : llvm::enumerate(row)) {
      if (c == 0.0 || int64_t(k) == start)
        continue;
      if (!acc) {
        acc = c == -1.0
                  ? arith::NegFOp::create(b, loc, in[k]).getResult()
                  : arith::MulFOp::create(b, loc, splat(b, loc, vt, c), in[k])
                        .getResult();
      } else if (c == 1.0) {
        acc = arith::AddFOp::create(b, loc, acc, in[k]);
      } else if (c == -1.0) {
        acc = arith::SubFOp::create(b, loc, acc, in[k]);
      } else {
        acc = vector::FMAOp::create(b, loc, splat(b, loc, vt, c), in[k], acc);
      }
    }
    out.push_back(acc);
  }
  return out;
}

/// mat x[.][.] matᵀ for an a x a (or a x ... ) grid of vectors `x`
/// (x[i][j]): the 1-D transform down every column, then along every row.
SmallVector<SmallVector<Value>> transform2D(OpBuilder &b, Location loc,
                                            const Matrix &mat,
                                            ArrayRef<SmallVector<Value>> x) {
  int64_t rows = mat.size(), cols = x[0].size();
  SmallVector<SmallVector<Value>> t(rows, SmallVector<Value>(cols));
  for (int64_t j = 0; j < cols; ++j) {
    SmallVector<Value> col;
    for (const SmallVector<Value> &r : x)
      col.push_back(r[j]);
    SmallVector<Value> c = combine(b, loc, mat, col);
    for (int64_t i = 0; i < rows; ++i)
      t[i][j] = c[i];
  }
  SmallVector<SmallVector<Value>> out;
  for (int64_t i = 0; i < rows; ++i)
    out.push_back(combine(b, loc, mat, t[i]));
  return out;
}

Value mulAdd(OpBuilder &b, Location loc, Value x, int64_t k, Value y) {
  Value p = arith::MulIOp::create(b, loc, x, cstIdx(b, loc, k));
  return y ? arith::AddIOp::create(b, loc, p, y).getResult() : p;
}

struct WinogradConv2DLowering : public OpRewritePattern<Conv2DOp> {
  int64_t maxFilterBytes;
  WinogradConv2DLowering(MLIRContext *ctx, int64_t maxFilterBytes)
      : OpRewritePattern(ctx), maxFilterBytes(maxFilterBytes) {}

  LogicalResult matchAndRewrite(Conv2DOp op,
                                PatternRewriter &rewriter) const override {
    bool nchw = op.isNCHW();
    auto it = cast<RankedTensorType>(op.getInput().getType());
    auto ft = cast<RankedTensorType>(op.getFilter().getType());
    auto ot = cast<RankedTensorType>(op.getType());
    auto [kh, kw] = op.getKernelSize();
    if (op.getGroups() != 1 || kh != 3 || kw != 3 ||
        llvm::any_of(op.getStrides(), [](int64_t s) { return s != 1; }) ||
        llvm::any_of(op.getDilations(), [](int64_t d) { return d != 1; }) ||
        !it.hasStaticShape() || !ft.hasStaticShape() || !ot.hasStaticShape() ||
        !it.getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "not a static f32 3x3/1 conv");
    DenseElementsAttr filter;
    if (!matchPattern(op.getFilter(), m_Constant(&filter)))
      return rewriter.notifyMatchFailure(op, "filter is not a constant");
    int64_t n = it.getDimSize(0), c = it.getDimSize(nchw ? 1 : 3);
    int64_t f = ot.getDimSize(nchw ? 1 : 3);
    int64_t oh = ot.getDimSize(nchw ? 2 : 1), ow = ot.getDimSize(nchw ? 3 : 2);
    if (c % kLanes != 0 || f % kLanes != 0)
      return rewriter.notifyMatchFailure(op, "channels not whole vectors");
    // The tile that saves the most multiplies whose transformed filter
    // fits: F(m x m, 3 x 3) does 9 m² / (m + 2)² of the direct
    // convolution's multiplies per output, over an output rounded up to
    // whole tiles (14 x 14 in 4 x 4 tiles computes 16 x 16); a tie goes to
    // the smaller tile (smaller filter, smaller rounding error). Below a
    // 1.5x saving the convolution stays direct. The transformed filter
    // fits when it is at most `maxFilterBytes`, or when there are enough
    // tiles to amortise reading it from memory (kFilterBytesPerTile each:
    // 56x56x256 in 196 4 x 4 tiles takes its 9.4 MB F(4x4) filter, 1.6x
    // faster than F(2x2); ResNet's 14x14x256 layers, 16 tiles, do not: in
    // the model, where the weights outgrow the last-level cache, F(4x4)
    // there was 5% slower).
    int64_t m = 0;
    double best = 1.5;
    for (int64_t cand : {2, 4}) {
      int64_t a = cand + 2;
      int64_t tilesOf =
          n * llvm::divideCeil(oh, cand) * llvm::divideCeil(ow, cand);
      double computed = double(llvm::divideCeil(oh, cand) * cand) *
                        double(llvm::divideCeil(ow, cand) * cand);
      double saving = 9.0 * cand * cand / double(a * a) * (oh * ow) / computed;
      int64_t bytes = a * a * c * f * 4;
      bool fits =
          (bytes <= maxFilterBytes || bytes <= tilesOf * kFilterBytesPerTile) &&
          a * a * tilesOf * (c + f) * 4 <= kMaxTransformedBytes;
      if (fits && saving > best) {
        m = cand;
        best = saving;
      }
    }
    if (m == 0)
      return rewriter.notifyMatchFailure(op, "no Winograd tile pays");

    // The epilogue that follows (a residual add of a tensor of the same
    // shape, a ReLU, or both: a ResNet block's end) is computed in the
    // output transform, so the output is written once.
    Operation *last = op;
    Value residual;
    bool relu = false;
    auto soleUser = [](Operation *o) -> Operation * {
      return o->hasOneUse() ? *o->getUsers().begin() : nullptr;
    };
    Operation *user = soleUser(op);
    if (auto add = dyn_cast_or_null<AddOp>(user);
        add && add.getLhs().getType() == ot && add.getRhs().getType() == ot &&
        add.getLhs() != add.getRhs()) {
      residual = add.getLhs() == op.getResult() ? add.getRhs() : add.getLhs();
      last = add;
      user = soleUser(add);
    }
    if (auto r = dyn_cast_or_null<ReluOp>(user); r && r.getType() == ot) {
      relu = true;
      last = r;
    }
    // Everything the epilogue reads is defined before its last op.
    rewriter.setInsertionPoint(last);

    Location loc = op.getLoc();
    const Transforms &tf = transformsFor(m);
    int64_t a = tf.alpha, a2 = a * a;
    int64_t th = llvm::divideCeil(oh, m), tw = llvm::divideCeil(ow, m),
            tiles = n * th * tw;
    // Partial tiles: the output is computed rounded up to whole tiles
    // (ohP x owP) and its valid part kept.
    int64_t ohP = th * m, owP = tw * m;
    bool partial = ohP != oh || owP != ow;
    int64_t p = f % 32 == 0 ? 32 : kLanes; // panel width of U
    Type f32 = rewriter.getF32Type();
    auto vt = VectorType::get({kLanes}, f32);

    // U = G g Gᵀ in panels [a²][F / P][C][P], in double, rounded once.
    std::vector<float> w(filter.getValues<float>().begin(),
                         filter.getValues<float>().end());
    std::vector<float> u(a2 * f * c);
    for (int64_t fi = 0; fi < f; ++fi)
      for (int64_t ci = 0; ci < c; ++ci) {
        double g[3][3], gg[6][3];
        for (int64_t y = 0; y < 3; ++y)
          for (int64_t x = 0; x < 3; ++x)
            g[y][x] = nchw ? w[((fi * c + ci) * 3 + y) * 3 + x]
                           : w[((y * 3 + x) * c + ci) * f + fi];
        for (int64_t i = 0; i < a; ++i)
          for (int64_t x = 0; x < 3; ++x)
            gg[i][x] = tf.g[i][0] * g[0][x] + tf.g[i][1] * g[1][x] +
                       tf.g[i][2] * g[2][x];
        for (int64_t i = 0; i < a; ++i)
          for (int64_t j = 0; j < a; ++j) {
            double v = gg[i][0] * tf.g[j][0] + gg[i][1] * tf.g[j][1] +
                       gg[i][2] * tf.g[j][2];
            u[(((i * a + j) * (f / p) + fi / p) * c + ci) * p + fi % p] =
                static_cast<float>(v);
          }
      }
    auto uType = RankedTensorType::get({a2, f / p, c, p}, f32);
    Value uCst = arith::ConstantOp::create(
        rewriter, loc, uType,
        DenseElementsAttr::get(uType, ArrayRef<float>(u)));

    // The input in NHWC, read in place: the padding is not materialised
    // (a padded copy of the image per layer); reads outside the image are
    // clamped to it and replaced by zeros.
    Value x = op.getInput();
    if (nchw)
      x = transposed(rewriter, loc, x, {0, 2, 3, 1});
    int64_t h = it.getDimSize(nchw ? 2 : 1), wd = it.getDimSize(nchw ? 3 : 2);
    ArrayRef<int64_t> pad = op.getPadding();
    bool padded =
        partial || llvm::any_of(pad, [](int64_t v) { return v != 0; });
    // Position base + off - lo of an extent: (clamped index, inside).
    auto position = [&](OpBuilder &b, Location l, Value base, int64_t off,
                        int64_t lo, int64_t extent) -> std::pair<Value, Value> {
      Value pos = arith::AddIOp::create(b, l, base, cstIdx(b, l, off - lo));
      if (!padded)
        return {pos, Value()};
      Value inside = arith::AndIOp::create(
          b, l,
          arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, pos,
                                cstIdx(b, l, 0)),
          arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, pos,
                                cstIdx(b, l, extent)));
      Value clamped = arith::MaxSIOp::create(
          b, l, arith::MinSIOp::create(b, l, pos, cstIdx(b, l, extent - 1)),
          cstIdx(b, l, 0));
      return {clamped, inside};
    };
    Value padF = cstF(rewriter, loc, f32, 0.0);
    Value zeroV = splat(rewriter, loc, vt, 0.0);
    auto read = [&](OpBuilder &b, Location l, Value src, ValueRange ix) {
      return vector::TransferReadOp::create(b, l, vt, src, ix, padF,
                                            ArrayRef<bool>{true})
          .getResult();
    };
    auto write = [&](OpBuilder &b, Location l, Value v, Value dst,
                     ValueRange ix) {
      return vector::TransferWriteOp::create(b, l, v, dst, ix,
                                             ArrayRef<bool>{true})
          .getResult();
    };
    auto I = [&](int64_t v) -> OpFoldResult {
      return rewriter.getIndexAttr(v);
    };
    // The transforms: one scf.forall over (image, tile row, channel
    // vector) that fills a fresh `shape` tensor; `body` builds one
    // iteration's slice (given the shared tensor, the image, the tile row,
    // the first channel and the row's first tile) and says where it goes.
    struct Slice {
      Value value;
      SmallVector<OpFoldResult> offsets, sizes;
    };
    auto tileRowLoop =
        [&](ArrayRef<int64_t> shape, int64_t channels,
            function_ref<Slice(Value, Value, Value, Value, Value)> body) {
          Value init = tensor::EmptyOp::create(rewriter, loc, shape, f32);
          auto loop = scf::ForallOp::create(
              rewriter, loc, ArrayRef<OpFoldResult>{I(0), I(0), I(0)},
              ArrayRef<OpFoldResult>{I(n), I(th), I(channels)},
              ArrayRef<OpFoldResult>{I(1), I(1), I(kLanes)}, ValueRange{init},
              std::nullopt);
          OpBuilder::InsertionGuard guard(rewriter);
          rewriter.setInsertionPointToStart(loop.getBody());
          Value ni = loop.getInductionVar(0), ti = loop.getInductionVar(1),
                c0 = loop.getInductionVar(2);
          Value t0 = mulAdd(rewriter, loc, mulAdd(rewriter, loc, ni, th, ti),
                            tw, nullptr);
          Value shared = loop.getRegionIterArgs()[0];
          Slice slice = body(shared, ni, ti, c0, t0);
          rewriter.setInsertionPointToStart(loop.getTerminator().getBody());
          tensor::ParallelInsertSliceOp::create(
              rewriter, loc, slice.value, shared, slice.offsets, slice.sizes,
              SmallVector<OpFoldResult>(slice.offsets.size(), I(1)));
          return loop.getResult(0);
        };

    // V[a²][T][C].
    Value vT = tileRowLoop(
        {a2, tiles, c}, c,
        [&](Value shared, Value ni, Value ti, Value c0, Value t0) -> Slice {
          SmallVector<OpFoldResult> offs{I(0), t0, c0},
              sizes{I(a2), I(tw), I(kLanes)};
          Value slice = tensor::ExtractSliceOp::create(
              rewriter, loc, shared, offs, sizes,
              SmallVector<OpFoldResult>(3, I(1)));
          Value y0 = mulAdd(rewriter, loc, ti, m, nullptr);
          SmallVector<std::pair<Value, Value>> rows;
          for (int64_t i = 0; i < a; ++i)
            rows.push_back(position(rewriter, loc, y0, i, pad[0], h));
          auto tileLoop = scf::ForOp::create(
              rewriter, loc, cstIdx(rewriter, loc, 0),
              cstIdx(rewriter, loc, tw), cstIdx(rewriter, loc, 1),
              ValueRange{slice},
              [&](OpBuilder &b, Location l, Value tj, ValueRange args) {
                Value x0 = mulAdd(b, l, tj, m, nullptr);
                SmallVector<std::pair<Value, Value>> cols;
                for (int64_t j = 0; j < a; ++j)
                  cols.push_back(position(b, l, x0, j, pad[1], wd));
                SmallVector<SmallVector<Value>> d(a);
                for (int64_t i = 0; i < a; ++i)
                  for (int64_t j = 0; j < a; ++j) {
                    Value v =
                        read(b, l, x, {ni, rows[i].first, cols[j].first, c0});
                    if (padded)
                      v = arith::SelectOp::create(
                          b, l,
                          arith::AndIOp::create(b, l, rows[i].second,
                                                cols[j].second),
                          v, zeroV);
                    d[i].push_back(v);
                  }
                SmallVector<SmallVector<Value>> v = transform2D(b, l, tf.bt, d);
                Value acc = args[0];
                Value zero = cstIdx(b, l, 0);
                for (int64_t i = 0; i < a; ++i)
                  for (int64_t j = 0; j < a; ++j)
                    acc = write(b, l, v[i][j], acc,
                                {cstIdx(b, l, i * a + j), tj, zero});
                scf::YieldOp::create(b, l, acc);
              });
          return {tileLoop.getResult(0), offs, sizes};
        });

    // M[a²][F / P][T][P] = V[a²][T][C] x U[a²][F / P][C][P].
    MLIRContext *ctx = rewriter.getContext();
    AffineExpr db = getAffineDimExpr(0, ctx), dfo = getAffineDimExpr(1, ctx),
               dt = getAffineDimExpr(2, ctx), dfi = getAffineDimExpr(3, ctx),
               dc = getAffineDimExpr(4, ctx);
    Value mInit = tensor::EmptyOp::create(
        rewriter, loc, ArrayRef<int64_t>{a2, f / p, tiles, p}, f32);
    mInit = linalg::FillOp::create(rewriter, loc, padF, mInit).getResult(0);
    Value mT = generic(rewriter, loc, {vT, uCst}, mInit,
                       {AffineMap::get(5, 0, {db, dt, dc}, ctx),
                        AffineMap::get(5, 0, {db, dfo, dc, dfi}, ctx),
                        AffineMap::get(5, 0, {db, dfo, dt, dfi}, ctx)},
                       {kPar, kPar, kPar, kPar, kRed}, mulAddBody);

    Value residualNHWC = residual;
    if (residual && nchw)
      residualNHWC = transposed(rewriter, loc, residual, {0, 2, 3, 1});
    // y = Aᵀ M A + bias (+ residual, ReLU), NHWC.
    Value result = tileRowLoop(
        {n, ohP, owP, f}, f,
        [&](Value shared, Value ni, Value ti, Value f0, Value t0) -> Slice {
          Value fo = arith::DivUIOp::create(rewriter, loc, f0,
                                            cstIdx(rewriter, loc, p));
          Value fi = arith::RemUIOp::create(rewriter, loc, f0,
                                            cstIdx(rewriter, loc, p));
          Value bias =
              op.getBias() ? read(rewriter, loc, op.getBias(), {f0}) : Value();
          Value y0 = mulAdd(rewriter, loc, ti, m, nullptr);
          SmallVector<OpFoldResult> offs{ni, y0, I(0), f0},
              sizes{I(1), I(m), I(owP), I(kLanes)};
          Value slice = tensor::ExtractSliceOp::create(
              rewriter, loc, shared, offs, sizes,
              SmallVector<OpFoldResult>(4, I(1)));
          auto tileLoop = scf::ForOp::create(
              rewriter, loc, cstIdx(rewriter, loc, 0),
              cstIdx(rewriter, loc, tw), cstIdx(rewriter, loc, 1),
              ValueRange{slice},
              [&](OpBuilder &b, Location l, Value tj, ValueRange args) {
                Value t = arith::AddIOp::create(b, l, t0, tj);
                SmallVector<SmallVector<Value>> mv(a);
                for (int64_t i = 0; i < a; ++i)
                  for (int64_t j = 0; j < a; ++j)
                    mv[i].push_back(
                        read(b, l, mT, {cstIdx(b, l, i * a + j), fo, t, fi}));
                SmallVector<SmallVector<Value>> y =
                    transform2D(b, l, tf.at, mv);
                Value x0 = mulAdd(b, l, tj, m, nullptr);
                Value acc = args[0], zero = cstIdx(b, l, 0);
                for (int64_t i = 0; i < m; ++i)
                  for (int64_t j = 0; j < m; ++j) {
                    Value v = y[i][j];
                    if (bias)
                      v = arith::AddFOp::create(b, l, v, bias);
                    Value xj = arith::AddIOp::create(b, l, x0, cstIdx(b, l, j));
                    if (residualNHWC) {
                      // (Outputs past the valid ones read a clamped residual;
                      // they are dropped.)
                      Value yi =
                          arith::AddIOp::create(b, l, y0, cstIdx(b, l, i));
                      Value ry = partial ? arith::MinSIOp::create(
                                               b, l, yi, cstIdx(b, l, oh - 1))
                                               .getResult()
                                         : yi;
                      Value rx = partial ? arith::MinSIOp::create(
                                               b, l, xj, cstIdx(b, l, ow - 1))
                                               .getResult()
                                         : xj;
                      v = arith::AddFOp::create(
                          b, l, v, read(b, l, residualNHWC, {ni, ry, rx, f0}));
                    }
                    if (relu)
                      v = arith::MaximumFOp::create(b, l, v, zeroV,
                                                    arith::FastMathFlags::nsz);
                    acc =
                        write(b, l, v, acc, {zero, cstIdx(b, l, i), xj, zero});
                  }
                scf::YieldOp::create(b, l, acc);
              });
          return {tileLoop.getResult(0), offs, sizes};
        });
    if (partial)
      result = tensor::ExtractSliceOp::create(
          rewriter, loc, result, ArrayRef<OpFoldResult>{I(0), I(0), I(0), I(0)},
          ArrayRef<OpFoldResult>{I(n), I(oh), I(ow), I(f)},
          ArrayRef<OpFoldResult>{I(1), I(1), I(1), I(1)});
    if (nchw)
      result = transposed(rewriter, loc, result, {0, 3, 1, 2});
    rewriter.replaceOp(last, result);
    // The ops the epilogue took in, last to first.
    if (relu && residual)
      rewriter.eraseOp(last->getOperand(0).getDefiningOp());
    if (last != op)
      rewriter.eraseOp(op);
    return success();
  }
};

} // namespace

namespace {
/// Runs the Winograd rewrite on every convolution, in program order, before
/// nn-lower-to-linalg lowers the rest: a convolution's epilogue (the bias,
/// a residual add, a ReLU) is still nn ops when its convolution is visited,
/// so the output transform can take it in.
struct NNWinogradConvPass
    : public acc::impl::NNWinogradConvBase<NNWinogradConvPass> {
  using Base::Base;

  void runOnOperation() override {
    if (maxFilterBytes <= 0)
      return;
    MLIRContext *ctx = &getContext();
    SmallVector<Conv2DOp> convs;
    getOperation()->walk([&](Conv2DOp conv) { convs.push_back(conv); });
    WinogradConv2DLowering pattern(ctx, maxFilterBytes);
    PatternRewriter rewriter(ctx);
    for (Conv2DOp conv : convs) {
      rewriter.setInsertionPoint(conv);
      Location loc = conv.getLoc();
      if (succeeded(pattern.matchAndRewrite(conv, rewriter))) {
        ++numWinograd;
        LLVM_DEBUG(llvm::dbgs()
                   << "Winograd: the convolution at " << loc << "\n");
      }
    }
  }
};
} // namespace
