//===- Attention.cpp - flash attention on tensors -------------------------===//
//
// Part of the acc project.
//
// nn.attention becomes, for each (batch, head, query block):
//
//   m = -inf, l = 0, acc = 0                       // [bq], [bq], [bq, Dv]
//   for each key block j0 in the visible range:    // mask-dependent bounds
//     s   = scale * Q_blk K_blkᵀ (+ additive mask) // [bq, bk], never N x N
//     s   = select(visible, s, -inf)               // only on edge blocks
//     m'  = max(m, rowmax(s));  p = exp(s - m')
//     a   = exp(m - m');  l = a*l + rowsum(p);  acc = a*acc + p V_blk
//   out = acc / l   (0 for a row that saw no key)
//
// The visible key range of a query block comes from the structural mask:
// causal stops at the block's last query position, a sliding window starts
// `window - 1` keys before its first. Blocks entirely inside the mask skip
// the select. A sliding window and decoding (fewer queries than a block)
// compute their score blocks key-major ([bk, bq], queries in the vector
// lanes): the row max and sum reduce across rows, not lanes, and no Kᵀ is
// made. Decoding with grouped-query heads takes a key/value head's query
// heads as one block. Everything is on tensors (scf.for with iter_args,
// extract_slice / insert_slice), so one-shot bufferization turns the tiles
// into views and the accumulators into small buffers.
//
// Over 800 lines on purpose: it is one op's lowering, whose query-major and
// key-major block bodies, mask ranges and prefetches share the same loop
// state; split, each piece would need that state passed around.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "acc/Dialect/NN/IR/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace acc::nn;
using utils::IteratorType;
using namespace acc::detail;

namespace {

Value dimOf(OpBuilder &b, Location loc, Value t, int64_t i) {
  auto type = cast<RankedTensorType>(t.getType());
  if (!type.isDynamicDim(i))
    return cstIdx(b, loc, type.getDimSize(i));
  return tensor::DimOp::create(b, loc, t, i);
}

/// A rank-reduced 2-D slice [rows, cols] of a 4-D tensor at (b, h, r0, 0).
Value slice2D(OpBuilder &b, Location loc, Value t, Value bi, Value hi, Value r0,
              Value rows, Value cols) {
  SmallVector<OpFoldResult> offsets = {bi, hi, r0, b.getIndexAttr(0)};
  OpFoldResult rowsF = getAsOpFoldResult(rows), colsF = getAsOpFoldResult(cols);
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1), b.getIndexAttr(1),
                                     rowsF, colsF};
  SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
  auto elt = cast<RankedTensorType>(t.getType()).getElementType();
  SmallVector<int64_t> shape = {
      getConstantIntValue(rowsF).value_or(ShapedType::kDynamic),
      getConstantIntValue(colsF).value_or(ShapedType::kDynamic)};
  auto type = RankedTensorType::get(shape, elt);
  return tensor::ExtractSliceOp::create(b, loc, type, t, offsets, sizes,
                                        strides);
}

Value emptyT(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
             Type elt) {
  SmallVector<OpFoldResult> folded;
  for (OpFoldResult s : sizes)
    folded.push_back(isa<Value>(s) ? getAsOpFoldResult(cast<Value>(s)) : s);
  return tensor::EmptyOp::create(b, loc, folded, elt);
}

Value filled(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes, Type elt,
             double v) {
  SmallVector<OpFoldResult> folded;
  for (OpFoldResult s : sizes)
    folded.push_back(isa<Value>(s) ? getAsOpFoldResult(cast<Value>(s)) : s);
  Value e = tensor::EmptyOp::create(b, loc, folded, elt);
  return linalg::FillOp::create(b, loc, cstF(b, loc, elt, v), e).getResult(0);
}

/// Dim `i` of `t`: an attribute when static, a tensor.dim otherwise.
OpFoldResult dimFolded(OpBuilder &b, Location loc, Value t, int64_t i) {
  auto type = cast<RankedTensorType>(t.getType());
  if (!type.isDynamicDim(i))
    return b.getIndexAttr(type.getDimSize(i));
  return tensor::DimOp::create(b, loc, t, i).getResult();
}

/// Whether `t`'s buffer will have the identity layout: a function argument
/// (bufferized with identity layouts), a pad or a linalg op that writes a
/// fresh tensor, through reshapes. A view of it with that layout then
/// aliases it; with a fully dynamic layout type, bufferization gave every
/// other access to the tensor dynamic strides (the prefetches below lost
/// 4% that way), and with the identity type a strided buffer would be
/// copied whole.
bool hasIdentityBuffer(Value t) {
  while (true) {
    if (auto arg = dyn_cast<BlockArgument>(t))
      return isa<FunctionOpInterface>(arg.getOwner()->getParentOp());
    Operation *def = t.getDefiningOp();
    if (isa<tensor::PadOp, tensor::EmptyOp>(def))
      return true;
    if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def)) {
      t = def->getOperand(0);
      continue;
    }
    if (auto l = dyn_cast<linalg::LinalgOp>(def)) {
      t = l.getDpsInitOperand(cast<OpResult>(t).getResultNumber())->get();
      continue;
    }
    return false;
  }
}

struct AttentionLowering : public OpRewritePattern<AttentionOp> {
  int64_t queryBlock, keyBlock;
  bool prefetch;
  AttentionLowering(MLIRContext *ctx, int64_t qb, int64_t kb, bool pf)
      : OpRewritePattern(ctx), queryBlock(qb), keyBlock(kb), prefetch(pf) {}

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    MLIRContext *ctx = b.getContext();
    Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
    auto qt = cast<RankedTensorType>(q.getType());
    auto ot = cast<RankedTensorType>(op.getType());
    Type elt = qt.getElementType();
    // The type the scores, the running max and sum and the output
    // accumulate in: f32 for 16-bit inputs (whose 8 or 11 significant bits
    // would round every block product and every rescale), the element type
    // otherwise. Q is converted once per query block; K and V are read in
    // their own type and extended as they are used.
    Type ct = isa<Float16Type, BFloat16Type>(elt) ? Float32Type::get(ctx) : elt;
    auto toCt = [&](OpBuilder &bb, Location l, Value x) -> Value {
      return x.getType() == ct ? x : arith::ExtFOp::create(bb, l, ct, x);
    };
    double negInf = -std::numeric_limits<double>::infinity();

    // Static sequence lengths that are not multiples of the blocks (ViT's
    // 197 tokens) are padded with zeros up to the next multiple, so that
    // every tile is static and vectorizes: padded queries are computed and
    // dropped, padded keys are masked out on the last key block.
    int64_t nqOrig = qt.getDimSize(2);
    int64_t nkOrig = cast<RankedTensorType>(k.getType()).getDimSize(2);
    auto roundUp = [](int64_t n, int64_t m) { return (n + m - 1) / m * m; };
    // Fewer queries than a block (decoding: one): the block is the queries.
    bool fewQueries = !ShapedType::isDynamic(nqOrig) && nqOrig < queryBlock;
    int64_t qBlock = fewQueries ? nqOrig : queryBlock;
    // Decoding with grouped-query heads: the g query heads that share a
    // key/value head go through its keys together, as one block of g * Nq
    // rows (row r is query r mod Nq of the group's head r / Nq), so that
    // each key and value block is read once per key/value head, not g
    // times. (Static shapes, no additive mask: its rows are per head.)
    int64_t nqHead = nqOrig, packGroup = 1;
    {
      auto kt0 = cast<RankedTensorType>(k.getType());
      if (fewQueries && !op.getAdditiveMask() && qt.hasStaticShape() &&
          !kt0.isDynamicDim(1) && kt0.getDimSize(1) < qt.getDimSize(1))
        packGroup = qt.getDimSize(1) / kt0.getDimSize(1);
    }
    // [B, Hq, Nq, E] <-> [B, Hkv, g * Nq, E], through [B, Hkv, g, Nq, E]:
    // packing moves the g heads of a group into the rows, unpacking moves
    // them back.
    auto regroupHeads = [&](Value t, bool pack) -> Value {
      auto tt = cast<RankedTensorType>(t.getType());
      int64_t heads = pack ? tt.getDimSize(1) / packGroup : tt.getDimSize(1);
      auto expanded = RankedTensorType::get(
          {tt.getDimSize(0), heads, packGroup, nqHead, tt.getDimSize(3)},
          tt.getElementType());
      using R = SmallVector<ReassociationIndices>;
      R split = pack ? R{{0}, {1, 2}, {3}, {4}} : R{{0}, {1}, {2, 3}, {4}};
      R merge = pack ? R{{0}, {1}, {2, 3}, {4}} : R{{0}, {1, 2}, {3}, {4}};
      Value e = tensor::ExpandShapeOp::create(b, loc, expanded, t, split);
      return tensor::CollapseShapeOp::create(b, loc, e, merge);
    };
    if (packGroup > 1) {
      q = regroupHeads(q, /*pack=*/true);
      qt = cast<RankedTensorType>(q.getType());
      nqOrig = qt.getDimSize(2);
      qBlock = nqOrig;
      ot = RankedTensorType::get(
          {ot.getDimSize(0), qt.getDimSize(1), nqOrig, ot.getDimSize(3)},
          ot.getElementType());
    }
    // Static lengths that the blocks divide badly (ViT's 197 tokens would
    // pad to 256: 69% more work) get blocks balanced over as many blocks:
    // ceil(197 / 4) rounded up to 8 rows = 56 queries per block (224 in
    // all); keys in one block of 224 when that fits 4 key blocks (a
    // multiple of 32, two vectors, so the block products keep their
    // register blocks). Only without a structural mask, whose key ranges
    // assume the configured blocks.
    int64_t kBlock = keyBlock;
    // A sliding window visits window + bq - 1 keys per query block, in
    // whole key blocks: halving the blocks (64 -> 32) trims that from 320
    // to 288 keys for a window of 256 (useful work at N = 4096 on one
    // thread: 59 -> 62.7 GFLOP/s). Full attention keeps the larger blocks
    // (84 -> 80 GFLOP/s with 32).
    if (op.getMask() == MaskKind::SlidingWindow && qBlock == queryBlock &&
        queryBlock == keyBlock && keyBlock >= 64 &&
        int64_t(op.getWindow().value_or(0)) <= 8 * keyBlock)
      qBlock = kBlock = keyBlock / 2;
    if (op.getMask() == MaskKind::None) {
      if (!ShapedType::isDynamic(nqOrig) && nqOrig > queryBlock &&
          nqOrig % queryBlock != 0) {
        int64_t blocks = (nqOrig + queryBlock - 1) / queryBlock;
        qBlock = roundUp((nqOrig + blocks - 1) / blocks, 8);
      }
      if (!ShapedType::isDynamic(nkOrig) && nkOrig > keyBlock &&
          nkOrig % keyBlock != 0 && roundUp(nkOrig, 32) <= 4 * keyBlock &&
          roundUp(nkOrig, 32) < roundUp(nkOrig, keyBlock))
        kBlock = roundUp(nkOrig, 32);
      // Key lengths that four key blocks divide take them four at a time:
      // a 64 x 256 score block rescales the running output (and computes
      // its row max and sum) once per 256 keys instead of four times
      // (N = 4096 on one thread: 404 -> 370 ms, 74% -> 79% of peak).
      if (!ShapedType::isDynamic(nkOrig) && nkOrig % (4 * keyBlock) == 0)
        kBlock = 4 * keyBlock;
    }
    // Rows padded with zeros up to a multiple of `blk`; a dynamic length
    // is padded at run time (its padded length stays dynamic, but every
    // block of it is whole and static). Dynamic lengths would otherwise
    // leave a partial last block of dynamic size, and with it dynamic
    // tiles, which stay scalar (N = 1024: 115x slower than static).
    // n rounded up to a multiple of blk, at run time.
    auto roundUpIdx = [&](Value n, int64_t blk) -> Value {
      Value m = cstIdx(b, loc, blk);
      return arith::MulIOp::create(
          b, loc,
          arith::DivUIOp::create(
              b, loc, arith::AddIOp::create(b, loc, n, cstIdx(b, loc, blk - 1)),
              m),
          m);
    };
    auto padRows = [&](Value t, int64_t dim, int64_t blk) -> Value {
      auto type = cast<RankedTensorType>(t.getType());
      SmallVector<int64_t> shape(type.getShape());
      SmallVector<OpFoldResult> low(type.getRank(), b.getIndexAttr(0)),
          high(type.getRank(), b.getIndexAttr(0));
      if (type.isDynamicDim(dim)) {
        Value n = dimOf(b, loc, t, dim);
        high[dim] =
            arith::SubIOp::create(b, loc, roundUpIdx(n, blk), n).getResult();
      } else {
        if (type.getDimSize(dim) % blk == 0)
          return t;
        shape[dim] = roundUp(type.getDimSize(dim), blk);
        high[dim] = b.getIndexAttr(shape[dim] - type.getDimSize(dim));
      }
      return tensor::PadOp::create(
          b, loc, RankedTensorType::get(shape, type.getElementType()), t, low,
          high, cstF(b, loc, type.getElementType(), 0.0));
    };
    bool dynQ = ShapedType::isDynamic(nqOrig),
         dynK = ShapedType::isDynamic(nkOrig);
    int64_t nqPad = dynQ ? nqOrig : roundUp(nqOrig, qBlock);
    int64_t nkPad = dynK ? nkOrig : roundUp(nkOrig, kBlock);
    bool keysPadded = dynK || nkPad != nkOrig;
    Value nkValid = dimOf(b, loc, k, 2);
    q = padRows(q, 2, qBlock);
    k = padRows(k, 2, kBlock);
    v = padRows(v, 2, kBlock);
    Value mask = op.getAdditiveMask();
    if (mask) {
      auto mt = cast<RankedTensorType>(mask.getType());
      int64_t r = mt.getRank();
      if (mt.getDimSize(r - 2) != 1)
        mask = padRows(mask, r - 2, qBlock);
      if (mt.getDimSize(r - 1) != 1)
        mask = padRows(mask, r - 1, kBlock);
    }
    qt = cast<RankedTensorType>(q.getType());

    Value B = dimOf(b, loc, q, 0), Hq = dimOf(b, loc, q, 1),
          Nq = dimOf(b, loc, q, 2), D = dimOf(b, loc, q, 3),
          Hkv = dimOf(b, loc, k, 1), Nk = dimOf(b, loc, k, 2),
          Dv = dimOf(b, loc, v, 3);
    Value group = arith::DivUIOp::create(b, loc, Hq, Hkv);
    MaskKind kind = op.getMask();
    // A sliding window computes its scores key-major, [bk, bq] = K_blk
    // (scale Q_blk)ᵀ, queries in the vector lanes: the row max and sum of
    // the online softmax become element-wise maxima and sums across key
    // rows (no horizontal reductions, which its small blocks pay per 32
    // keys), and the keys are read in their own layout (broadcast
    // scalars), so no Kᵀ of the whole sequence is made. So do fewer
    // queries than a block (decoding), for which that transpose of every
    // key would be most of the work: one query over 4096 keys, 8 heads, one
    // thread, 0.70 -> 0.37-0.40 ms; 16 queries 1.54 -> 0.69.
    bool keyMajor = kind == MaskKind::SlidingWindow || fewQueries;
    // Kᵀ for the whole sequence, [B, Hkv, D, Nk], computed once (a
    // vectorized, parallel transpose): each key block's [D, bk] is a slice
    // of it, whose reduction steps read contiguous rows of keys. Transposed
    // per block, every query block transposed every key block again, with
    // scalar gathers (6% of a 1024-long attention).
    Value kt;
    if (!keyMajor) {
      auto kType = cast<RankedTensorType>(k.getType());
      SmallVector<OpFoldResult> sizes = {
          dimFolded(b, loc, k, 0), dimFolded(b, loc, k, 1),
          dimFolded(b, loc, k, 3), dimFolded(b, loc, k, 2)};
      // Rows of a static length that is a multiple of 1 KiB are padded by
      // one cache line: a key block reads D rows of Kᵀ, and rows a multiple
      // of 4 KiB apart all fall into one L1 set (64 rows in 12 ways). N =
      // 4096 on one thread: sliding window 14.75 -> 13.6 ms.
      int64_t nk = kType.getDimSize(2);
      if (!kType.hasStaticShape() || (nk * 4) % 1024 != 0) {
        Value init = emptyT(b, loc, sizes, kType.getElementType());
        kt = linalg::TransposeOp::create(b, loc, k, init,
                                         ArrayRef<int64_t>{0, 1, 3, 2})
                 .getResult()[0];
      } else {
        // (An alloc_tensor: an extract_slice of a tensor.empty folds into a
        // smaller empty, which bufferization then copied into this one.)
        Value buf = bufferization::AllocTensorOp::create(
            b, loc,
            RankedTensorType::get({kType.getDimSize(0), kType.getDimSize(1),
                                   kType.getDimSize(3), nk + 16},
                                  kType.getElementType()),
            ValueRange{});
        SmallVector<OpFoldResult> zeros(4, b.getIndexAttr(0)),
            ones(4, b.getIndexAttr(1));
        Value rows =
            tensor::ExtractSliceOp::create(b, loc, buf, zeros, sizes, ones);
        Value t = linalg::TransposeOp::create(b, loc, k, rows,
                                              ArrayRef<int64_t>{0, 1, 3, 2})
                      .getResult()[0];
        kt = tensor::InsertSliceOp::create(b, loc, t, buf, zeros, sizes, ones);
      }
    }
    // p(i) = i + off, from the unpadded lengths.
    Value offset =
        arith::SubIOp::create(b, loc, nkValid, dimOf(b, loc, op.getQuery(), 2));
    Value c0 = cstIdx(b, loc, 0), c1 = cstIdx(b, loc, 1);
    Value bqStep = cstIdx(b, loc, qBlock), bkStep = cstIdx(b, loc, kBlock);
    int64_t window = op.getWindow().value_or(0);
    double scale = op.getScaleOrDefault();

    SmallVector<OpFoldResult> outSizes = {B, Hq, Nq, Dv};
    SmallVector<OpFoldResult> outSizesFolded;
    for (int64_t i = 0; i < 4; ++i)
      outSizesFolded.push_back(ot.isDynamicDim(i)
                                   ? outSizes[i]
                                   : OpFoldResult(b.getIndexAttr(
                                         i == 2 ? nqPad : ot.getDimSize(i))));
    Value out0 = tensor::EmptyOp::create(b, loc, outSizesFolded, elt);

    AffineExpr i = getAffineDimExpr(0, ctx), j = getAffineDimExpr(1, ctx),
               d = getAffineDimExpr(2, ctx);
    auto map = [&](unsigned n, ArrayRef<AffineExpr> e) {
      return AffineMap::get(n, 0, e, ctx);
    };

    // (batch, head, query block) tiles are independent: one scf.forall,
    // which the CPU pipeline runs on the thread pool.
    auto folded = [&](Value v, int64_t dim, ShapedType t) -> OpFoldResult {
      return t.isDynamicDim(dim)
                 ? OpFoldResult(v)
                 : OpFoldResult(b.getIndexAttr(t.getDimSize(dim)));
    };
    SmallVector<OpFoldResult> lbs(3, b.getIndexAttr(0));
    SmallVector<OpFoldResult> ubs = {folded(B, 0, qt), folded(Hq, 1, qt),
                                     folded(Nq, 2, qt)};
    SmallVector<OpFoldResult> steps = {b.getIndexAttr(1), b.getIndexAttr(1),
                                       b.getIndexAttr(qBlock)};
    auto tiles = scf::ForallOp::create(b, loc, lbs, ubs, steps,
                                       ValueRange{out0}, std::nullopt);
    b.setInsertionPointToStart(tiles.getBody());
    Value bi = tiles.getInductionVar(0), hi = tiles.getInductionVar(1);
    Value hk = arith::DivUIOp::create(b, loc, hi, group);
    Value i0 = tiles.getInductionVar(2);
    Value outAcc = tiles.getRegionIterArgs()[0];
    // Every length is a multiple of its block now (padded above): the
    // tiles are static, so that the block products are register-tiled and
    // vectorized like any other contraction.
    // Masked self-attention: the key range ends at a query block's end, a
    // multiple of the key block; a window's first block is aligned down to
    // a key-block boundary (the keys before the window are masked). When
    // the lengths differ or are not known (decoding, dynamic lengths), the
    // range's end is rounded up to a key block (the keys past the diagonal
    // are masked on that edge block).
    bool roundKeyEnd = kind != MaskKind::None &&
                       (packGroup > 1 || !(!dynQ && !dynK && nqOrig == nkOrig &&
                                           qBlock % kBlock == 0));
    Value bq = bqStep;
    Value qTile = slice2D(b, loc, q, bi, hi, i0, bq, D);
    // The scale goes on the query block, once (bq x D products), instead of
    // on every score block (bq x bk products and a pass over the block per
    // key block): softmax(scale Q Kᵀ) = softmax((scale Q) Kᵀ).
    if (scale != 1.0 || ct != elt)
      qTile = generic(b, loc, {qTile}, emptyT(b, loc, {bq, D}, ct),
                      {map(2, {i, j}), map(2, {i, j})}, {kPar, kPar},
                      [&](OpBuilder &bb, Location l, ValueRange a) {
                        Value x = toCt(bb, l, a[0]);
                        if (scale != 1.0)
                          x = arith::MulFOp::create(bb, l, x,
                                                    cstF(bb, l, ct, scale));
                        yieldV(bb, l, x);
                      });
    // Key-major: the query block transposed, [D, bq] (once per query
    // block), so that each reduction step of the score block reads a row of
    // queries as vectors.
    if (keyMajor)
      qTile = linalg::TransposeOp::create(b, loc, qTile,
                                          emptyT(b, loc, {D, bq}, ct),
                                          ArrayRef<int64_t>{1, 0})
                  .getResult()[0];

    // Visible key range of this query block.
    // (Packed heads: the block's rows hold positions offset .. offset +
    // Nq - 1, each g times.)
    Value firstPos = arith::AddIOp::create(b, loc, i0, offset);
    Value lastPos = arith::AddIOp::create(
        b, loc, firstPos,
        arith::SubIOp::create(b, loc,
                              packGroup > 1 ? cstIdx(b, loc, nqHead) : bq, c1));
    Value kStart = c0, kEnd = Nk;
    if (kind != MaskKind::None) {
      // Keys up to the last query's position (clamped to [0, Nk]).
      Value end = arith::AddIOp::create(b, loc, lastPos, c1);
      end = arith::MaxSIOp::create(b, loc, end, c0);
      if (roundKeyEnd)
        end = roundUpIdx(end, kBlock);
      kEnd = arith::MinSIOp::create(b, loc, end, Nk);
    }

    if (kind == MaskKind::SlidingWindow) {
      Value start =
          arith::SubIOp::create(b, loc, firstPos, cstIdx(b, loc, window - 1));
      start = arith::MaxSIOp::create(b, loc, start, c0);
      kStart = arith::MinSIOp::create(b, loc, start, kEnd);
      kStart = arith::MulIOp::create(
          b, loc, arith::DivUIOp::create(b, loc, kStart, bkStep), bkStep);
    }

    Value m0 = filled(b, loc, {bq}, ct, negInf);
    Value l0 = filled(b, loc, {bq}, ct, 0.0);
    Value acc0 = filled(b, loc, {bq, Dv}, ct, 0.0);
    // A sliding window's query block reads its own rows of Q and the
    // newest key block of K and V from memory (the older keys are the
    // previous blocks', in cache): a burst of misses at the start and at
    // the end of the block, which the hardware prefetchers did not hide
    // (measured below). Each key block prefetches a share of the next
    // query block's rows instead (its queries i0 + bq + r, its newest keys
    // and values firstPos + bq + r), so that they arrive spread over this
    // block's work. Removing all of the window's memory traffic (every tile
    // reading one cached block) made N = 4096 10% faster, N = 1024 (in L3)
    // 8%; these prefetches make N = 4096 5-7% faster on one thread and 3-5%
    // on two (N = 1024 1.4% on one thread):
    // four rows per key block in L1; two rows per block (the last third of
    // the rows unfetched) and eight (in bursts) were 3% slower, prefetches
    // into L2 3%; prefetching the output rows for writing made no
    // difference.
    // (Static lengths with a next query block: not decoding.)
    bool prefetchRows = prefetch && kind == MaskKind::SlidingWindow &&
                        keyMajor && packGroup == 1 && !dynQ && !dynK &&
                        nqPad > qBlock;
    auto prefetchNextBlock = [&](Value j0, Value from, int64_t blk) {
      // Key blocks per query block: window + bq - 1 keys, and one more for
      // the alignment of the first.
      int64_t blocks = (window + qBlock - 2) / blk + 2;
      int64_t perBlock = (qBlock + blocks - 1) / blocks;
      Value step = arith::DivUIOp::create(
          b, loc, arith::SubIOp::create(b, loc, j0, from), cstIdx(b, loc, blk));
      // Row r of the next block: its query i0 + bq + r, its key and value
      // firstPos + bq + r.
      Value nextQuery = arith::AddIOp::create(b, loc, i0, bqStep);
      Value nextKey = arith::AddIOp::create(b, loc, firstPos, bqStep);
      SmallVector<Value> rows;
      for (int64_t c = 0; c < perBlock; ++c)
        rows.push_back(arith::RemUIOp::create(
            b, loc,
            arith::AddIOp::create(
                b, loc,
                arith::MulIOp::create(b, loc, step, cstIdx(b, loc, perBlock)),
                cstIdx(b, loc, c)),
            bqStep));
      for (Value t : {q, k, v}) {
        if (!hasIdentityBuffer(t))
          continue;
        auto tt = cast<RankedTensorType>(t.getType());
        Value buf = bufferization::ToBufferOp::create(
            b, loc, MemRefType::get(tt.getShape(), tt.getElementType()), t,
            /*readOnly=*/true);
        Value head = t == q ? hi : hk;
        Value first = t == q ? nextQuery : nextKey;
        int64_t lineElems =
            std::max<int64_t>(1, 512 / tt.getElementTypeBitWidth());
        for (Value r : rows) {
          Value row = arith::AddIOp::create(b, loc, first, r);
          // (Unsigned: a row before 0 clamps to the last one as well.)
          row = arith::MinUIOp::create(b, loc, row,
                                       cstIdx(b, loc, tt.getDimSize(2) - 1));
          for (int64_t e = 0; e < tt.getDimSize(3); e += lineElems)
            memref::PrefetchOp::create(
                b, loc, buf, ValueRange{bi, head, row, cstIdx(b, loc, e)},
                /*isWrite=*/false, /*localityHint=*/3, /*isDataCache=*/true);
        }
      }
    };
    // One loop over the key blocks of `blk` keys in [from, to), carrying
    // (m, l, acc) from `init`.
    auto keyLoop = [&](Value from, Value to, int64_t blk,
                       ValueRange init) -> scf::ForOp {
      Value step = cstIdx(b, loc, blk);
      auto kLoop = scf::ForOp::create(b, loc, from, to, step, init);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(kLoop.getBody());
      Value j0 = kLoop.getInductionVar();
      Value m = kLoop.getRegionIterArgs()[0], l = kLoop.getRegionIterArgs()[1],
            acc = kLoop.getRegionIterArgs()[2];
      Value bk = step;
      if (prefetchRows)
        prefetchNextBlock(j0, from, blk);
      Value vTile = slice2D(b, loc, v, bi, hk, j0, bk, Dv);

      // s = Q Kᵀ over (i, j, d), with the key block as [D, bk] (a slice of
      // the transposed keys): each reduction step reads a contiguous row of
      // keys (a vector load) instead of a strided column. Key-major, the
      // block is [bk, D], a slice of K read as broadcast scalars.
      Value kT;
      if (keyMajor) {
        kT = slice2D(b, loc, k, bi, hk, j0, bk, D);
      } else {
        SmallVector<OpFoldResult> offsets = {bi, hk, b.getIndexAttr(0), j0};
        OpFoldResult dF = getAsOpFoldResult(D), bkF = getAsOpFoldResult(bk);
        SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1), b.getIndexAttr(1),
                                           dF, bkF};
        SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
        auto type = RankedTensorType::get(
            {getConstantIntValue(dF).value_or(ShapedType::kDynamic),
             getConstantIntValue(bkF).value_or(ShapedType::kDynamic)},
            elt);
        kT = tensor::ExtractSliceOp::create(b, loc, type, kt, offsets, sizes,
                                            strides);
      }
      // out[i, j] += x[i, d] * y[d, j] (with `xT`: x[d, i] * y[d, j]), the
      // operands extended to the compute type as they are read.
      auto blockProduct = [&](Value x, Value y, Value init, bool xT = false) {
        return generic(
            b, loc, {x, y}, init,
            {map(3, {xT ? d : i, xT ? i : d}), map(3, {d, j}), map(3, {i, j})},
            {kPar, kPar, kRed}, [&](OpBuilder &bb, Location l, ValueRange a) {
              Value p = arith::MulFOp::create(bb, l, toCt(bb, l, a[0]),
                                              toCt(bb, l, a[1]));
              yieldV(bb, l, arith::AddFOp::create(bb, l, a[2], p));
            });
      };
      // The score block: [bq, bk] = Q_blk Kᵀ_blk, or key-major [bk, bq] =
      // K_blk Qᵀ_blk. In the generics over it below, loop `qi` runs over
      // the queries and `kj` over the keys.
      Value s =
          keyMajor ? blockProduct(kT, qTile, filled(b, loc, {bk, bq}, ct, 0.0))
                   : blockProduct(qTile, kT, filled(b, loc, {bq, bk}, ct, 0.0));
      unsigned qi = keyMajor ? 1 : 0, kj = keyMajor ? 0 : 1;
      AffineExpr qE = getAffineDimExpr(qi, ctx), kE = getAffineDimExpr(kj, ctx);
      SmallVector<OpFoldResult> sSizes =
          keyMajor ? SmallVector<OpFoldResult>{bk, bq}
                   : SmallVector<OpFoldResult>{bq, bk};
      // Iterators of a reduction of the scores over the keys.
      SmallVector<utils::IteratorType> overKeys =
          keyMajor ? SmallVector<utils::IteratorType>{kRed, kPar}
                   : SmallVector<utils::IteratorType>{kPar, kRed};

      // Additive mask, and (on edge blocks) the structural mask.
      SmallVector<Value> ins = {s};
      SmallVector<AffineMap> maps = {map(2, {i, j})};
      if (mask) {
        auto mt = cast<RankedTensorType>(mask.getType());
        int64_t r = mt.getRank();
        SmallVector<OpFoldResult> offs, sizes, strides;
        SmallVector<AffineExpr> me;
        SmallVector<int64_t> shape;
        Value full[4] = {bi, hi, i0, j0};
        OpFoldResult extent[4] = {b.getIndexAttr(1), b.getIndexAttr(1),
                                  getAsOpFoldResult(bq), getAsOpFoldResult(bk)};
        for (int64_t md = 0; md < r; ++md) {
          int64_t fd = md + 4 - r;
          bool one = mt.getDimSize(md) == 1;
          offs.push_back(one ? OpFoldResult(b.getIndexAttr(0))
                             : OpFoldResult(full[fd]));
          sizes.push_back(one ? OpFoldResult(b.getIndexAttr(1)) : extent[fd]);
          strides.push_back(b.getIndexAttr(1));
          if (fd >= 2) {
            shape.push_back(one ? 1
                                : getConstantIntValue(extent[fd])
                                      .value_or(ShapedType::kDynamic));
            me.push_back(one ? getAffineConstantExpr(0, ctx)
                             : (fd == 2 ? qE : kE));
          }
        }
        auto sliceType = RankedTensorType::get(shape, mt.getElementType());
        Value mTile = tensor::ExtractSliceOp::create(b, loc, sliceType, mask,
                                                     offs, sizes, strides);
        ins.push_back(mTile);
        maps.push_back(map(2, me));
      }
      maps.push_back(map(2, {i, j}));
      bool hasMask = mask != nullptr;
      auto scaled = [&](bool structural) {
        return generic(
            b, loc, ins, emptyT(b, loc, sSizes, ct), maps, {kPar, kPar},
            [&](OpBuilder &bb, Location l, ValueRange a) {
              Value x = a[0];
              if (hasMask)
                x = arith::AddFOp::create(bb, l, x, toCt(bb, l, a[1]));
              if (structural) {
                Value ii = linalg::IndexOp::create(bb, l, qi);
                Value jj = linalg::IndexOp::create(bb, l, kj);
                Value pos =
                    packGroup > 1
                        ? arith::AddIOp::create(
                              bb, l, offset,
                              arith::RemUIOp::create(
                                  bb, l, arith::AddIOp::create(bb, l, i0, ii),
                                  cstIdx(bb, l, nqHead)))
                        : arith::AddIOp::create(bb, l, firstPos, ii);
                Value key = arith::AddIOp::create(bb, l, j0, jj);
                Value vis =
                    kind == MaskKind::None
                        ? arith::CmpIOp::create(
                              bb, l, arith::CmpIPredicate::slt, key, nkValid)
                        : arith::CmpIOp::create(
                              bb, l, arith::CmpIPredicate::sle, key, pos);
                if (keysPadded && kind != MaskKind::None)
                  vis = arith::AndIOp::create(
                      bb, l, vis,
                      arith::CmpIOp::create(bb, l, arith::CmpIPredicate::slt,
                                            key, nkValid));
                if (kind == MaskKind::SlidingWindow) {
                  Value lo =
                      arith::SubIOp::create(bb, l, pos, cstIdx(bb, l, window));
                  Value inWin = arith::CmpIOp::create(
                      bb, l, arith::CmpIPredicate::sgt, key, lo);
                  vis = arith::AndIOp::create(bb, l, vis, inWin);
                }
                x = arith::SelectOp::create(bb, l, vis, x,
                                            cstF(bb, l, ct, negInf));
              }
              yieldV(bb, l, x);
            });
      };
      Value s2;
      if (kind == MaskKind::None && !keysPadded) {
        s2 = hasMask ? scaled(false) : s;
      } else {
        // The block needs the mask when its last key lies after the first
        // query's position (causal edge), or, for a window, when its first
        // key is older than the last query's window, or when it holds
        // padded keys.
        Value lastKey = arith::AddIOp::create(
            b, loc, j0, arith::SubIOp::create(b, loc, bk, c1));
        Value edge =
            kind == MaskKind::None
                ? arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge,
                                        lastKey, nkValid)
                : arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt,
                                        lastKey, firstPos);
        if (keysPadded && kind != MaskKind::None)
          edge = arith::OrIOp::create(
              b, loc, edge,
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, lastKey,
                                    nkValid));
        if (kind == MaskKind::SlidingWindow) {
          Value oldest =
              arith::SubIOp::create(b, loc, lastPos, cstIdx(b, loc, window));
          Value old = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle,
                                            j0, oldest);
          edge = arith::OrIOp::create(b, loc, edge, old);
        }
        auto ifOp = scf::IfOp::create(
            b, loc, edge,
            [&](OpBuilder &tb, Location l) {
              OpBuilder::InsertionGuard g(b);
              b.setInsertionPoint(tb.getInsertionBlock(),
                                  tb.getInsertionPoint());
              scf::YieldOp::create(b, l, scaled(true));
            },
            [&](OpBuilder &eb, Location l) {
              OpBuilder::InsertionGuard g(b);
              b.setInsertionPoint(eb.getInsertionBlock(),
                                  eb.getInsertionPoint());
              scf::YieldOp::create(b, l, hasMask ? scaled(false) : s);
            });
        s2 = ifOp.getResult(0);
      }

      // m' = max(m, rowmax(s)), in a block-local buffer; m's own buffer
      // takes m' at the end of the block, after its last read (alpha).
      // Reduced into m itself, the read of the old m after it made
      // bufferization allocate a new m per key block (a runtime allocation
      // and free per 32 x 32 block of a sliding window).
      auto maxOf = [](OpBuilder &bb, Location l, ValueRange a) {
        yieldV(bb, l, arith::MaxNumFOp::create(bb, l, a[0], a[1]));
      };
      Value rowMax = generic(b, loc, {s2}, filled(b, loc, {bq}, ct, negInf),
                             {map(2, {i, j}), map(2, {qE})}, overKeys, maxOf);
      Value mMax =
          generic(b, loc, {m, rowMax}, emptyT(b, loc, {bq}, ct),
                  {map(1, {i}), map(1, {i}), map(1, {i})}, {kPar}, maxOf);
      // A row that has seen only -inf keeps a safe max of 0 so that
      // exp(-inf - 0) = 0 instead of NaN.
      auto safe = [&](OpBuilder &bb, Location l, Value x) -> Value {
        Value isInf = arith::CmpFOp::create(bb, l, arith::CmpFPredicate::OEQ, x,
                                            cstF(bb, l, ct, negInf));
        return arith::SelectOp::create(bb, l, isInf, cstF(bb, l, ct, 0.0), x);
      };
      Value p =
          generic(b, loc, {s2, mMax}, emptyT(b, loc, sSizes, ct),
                  {map(2, {i, j}), map(2, {qE}), map(2, {i, j})}, {kPar, kPar},
                  [&](OpBuilder &bb, Location l, ValueRange a) {
                    Value x =
                        arith::SubFOp::create(bb, l, a[0], safe(bb, l, a[1]));
                    yieldV(bb, l, math::ExpOp::create(bb, l, x));
                  });
      Value alpha = generic(b, loc, {m, mMax}, emptyT(b, loc, {bq}, ct),
                            {map(1, {i}), map(1, {i}), map(1, {i})}, {kPar},
                            [&](OpBuilder &bb, Location l, ValueRange a) {
                              Value x = arith::SubFOp::create(
                                  bb, l, a[0], safe(bb, l, a[1]));
                              yieldV(bb, l, math::ExpOp::create(bb, l, x));
                            });
      // l' = alpha * l + rowsum(p), updating l in place (its buffer is
      // reused from one key block to the next).
      Value lScaled =
          generic(b, loc, {alpha}, l, {map(1, {i}), map(1, {i})}, {kPar},
                  [](OpBuilder &bb, Location l, ValueRange a) {
                    yieldV(bb, l, arith::MulFOp::create(bb, l, a[1], a[0]));
                  });
      Value lNew =
          generic(b, loc, {p}, lScaled, {map(2, {i, j}), map(2, {qE})},
                  overKeys, [](OpBuilder &bb, Location l, ValueRange a) {
                    yieldV(bb, l, arith::AddFOp::create(bb, l, a[0], a[1]));
                  });
      // acc' = alpha * acc + p V, in place as well.
      Value accScaled =
          generic(b, loc, {alpha}, acc, {map(2, {i}), map(2, {i, j})},
                  {kPar, kPar}, [](OpBuilder &bb, Location l, ValueRange a) {
                    yieldV(bb, l, arith::MulFOp::create(bb, l, a[1], a[0]));
                  });
      // (i, dv, j): acc[i, dv] += p[i, j] * v[j, dv]
      Value accNew = blockProduct(p, vTile, accScaled, keyMajor);
      // (max(m', m) = m': a write of m' that reads the old m, which
      // canonicalization does not fold away as it would a plain copy.)
      Value mNew =
          generic(b, loc, {mMax}, m, {map(1, {i}), map(1, {i})}, {kPar}, maxOf);
      scf::YieldOp::create(b, loc, ValueRange{mNew, lNew, accNew});
      return kLoop;
    };
    SmallVector<Value> state = {m0, l0, acc0};
    Value kMid = kStart;
    // Causal: the keys before the query block's first position are visible
    // to all its queries; those in whole blocks of 4 key blocks go first,
    // 256 at a time (the row max, sum and rescale once per 256 keys, as
    // for full attention), the rest up to the diagonal in key blocks.
    // N = 1024 on one thread: 6.5 -> 5.9 ms.
    int64_t wide = 4 * kBlock;
    if (kind == MaskKind::Causal) {
      Value wideStep = cstIdx(b, loc, wide);
      Value wideEnd = arith::MulIOp::create(
          b, loc, arith::DivUIOp::create(b, loc, firstPos, wideStep), wideStep);
      wideEnd = arith::MinSIOp::create(
          b, loc, arith::MaxSIOp::create(b, loc, wideEnd, kStart), kEnd);
      state = llvm::to_vector<3>(
          llvm::map_range(keyLoop(kStart, wideEnd, wide, state).getResults(),
                          [](OpResult r) -> Value { return r; }));
      kMid = wideEnd;
    }
    scf::ForOp kLoop = keyLoop(kMid, kEnd, kBlock, state);
    b.setInsertionPointAfter(kLoop);
    Value lFinal = kLoop.getResult(1), accFinal = kLoop.getResult(2);
    Value oTile =
        generic(b, loc, {accFinal, lFinal}, emptyT(b, loc, {bq, Dv}, elt),
                {map(2, {i, j}), map(2, {i}), map(2, {i, j})}, {kPar, kPar},
                [&](OpBuilder &bb, Location l, ValueRange a) {
                  Value zero = cstF(bb, l, ct, 0.0);
                  Value isZero = arith::CmpFOp::create(
                      bb, l, arith::CmpFPredicate::OEQ, a[1], zero);
                  Value dv = arith::DivFOp::create(bb, l, a[0], a[1]);
                  Value o = arith::SelectOp::create(bb, l, isZero, zero, dv);
                  if (ct != elt)
                    o = arith::TruncFOp::create(bb, l, elt, o);
                  yieldV(bb, l, o);
                });
    SmallVector<OpFoldResult> offs = {bi, hi, i0, b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1), b.getIndexAttr(1),
                                       getAsOpFoldResult(bq),
                                       getAsOpFoldResult(Dv)};
    SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
    b.setInsertionPointToStart(tiles.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(b, loc, oTile, outAcc, offs, sizes,
                                          strides);
    b.setInsertionPointAfter(tiles);
    Value result = tiles.getResult(0);
    if (dynQ || nqPad != nqOrig) {
      SmallVector<OpFoldResult> offs(4, b.getIndexAttr(0)), sizes;
      for (int64_t i = 0; i < 4; ++i)
        sizes.push_back(i == 2 ? dimFolded(b, loc, op.getQuery(), 2)
                               : outSizesFolded[i]);
      result = tensor::ExtractSliceOp::create(
          b, loc, ot, result, offs, sizes,
          SmallVector<OpFoldResult>(4, b.getIndexAttr(1)));
    }
    if (packGroup > 1)
      result = regroupHeads(result, /*pack=*/false);
    replaceCast(rewriter, op, result);
    return success();
  }
};
} // namespace

namespace acc::detail {
void populateAttentionLowering(RewritePatternSet &patterns, int64_t queryBlock,
                               int64_t keyBlock, bool prefetch) {
  patterns.add<AttentionLowering>(patterns.getContext(), queryBlock, keyBlock,
                                  prefetch);
}
} // namespace acc::detail
