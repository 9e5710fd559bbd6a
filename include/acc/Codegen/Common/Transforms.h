//===- Transforms.h - what every target's codegen shares -------*- C++ -*-===//
//
// Part of the acc project.
//
// The target-independent mechanism of acc's code generation: what kind of
// linalg op this is, the tile-and-fuse core, padded images as fills and
// copies, partial tiles run at their static bounds, guards folded by
// evaluation, and the math approximations. A target's strategy (the CPU's
// lib/Codegen/CPU/KernelDispatch.cpp) chooses tile sizes and plans; these
// functions apply them, with no target's choices inside.
//
//===----------------------------------------------------------------------===//

#ifndef ACC_CODEGEN_COMMON_TRANSFORMS_H
#define ACC_CODEGEN_COMMON_TRANSFORMS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <optional>

namespace acc::codegen {

//===----------------------------------------------------------------------===//
// Op classification (LinalgUtils.cpp)
//===----------------------------------------------------------------------===//

bool isAllParallel(mlir::linalg::LinalgOp op);

/// A reduction of rows that every input spans except along the reduced
/// loops (a layer norm's sum of (x - mean)^2: x over (r, c), the mean over
/// (r) only): per-row statistics, not a contraction, whose inputs each
/// span loops that another lacks (a matmul's A lacks j, B lacks i).
bool isRowStatistic(mlir::linalg::LinalgOp op);

/// A contraction-like op: reductions and at least two inputs (conv, matmul,
/// linear, the attention products), not a row statistic.
bool isContraction(mlir::linalg::LinalgOp op);

/// The loop of `op`'s vector dimension: the innermost dimension of its
/// (first) result, when that is a plain loop. A contraction's operand
/// indexed by it is the weight (read as vectors), the other the image
/// (read as broadcast scalars).
std::optional<unsigned> outputVectorDim(mlir::linalg::LinalgOp op);

/// An elementwise op with one result that does not read its destination
/// and writes it in order (identity map): it may compute into any tensor
/// of its result's type, such as the interior of a padded image.
bool writesOnlyItsResult(mlir::linalg::GenericOp op);

/// Constant upper bounds of the loop ranges of `op` (each loop read through
/// some operand dimension), e.g. 8 for a partial tile min(8, N - i).
std::optional<llvm::SmallVector<int64_t>>
loopUpperBounds(mlir::linalg::LinalgOp op);

/// A reduction over outer loops only, its innermost loop parallel and the
/// innermost dimension of its input and result (column sums: the row max
/// and sum of a key-major attention score block, [keys, queries] reduced
/// over the keys). Its vector form reduces one vector per row with plain
/// element-wise ops (no lanes crossed), so up to kMaxColumnRows rows of
/// one vector are vectorized whole.
bool isColumnReduction(mlir::linalg::LinalgOp op);

/// Static size in bytes of a tensor value (0 if dynamic).
int64_t staticBytes(mlir::Value v);

//===----------------------------------------------------------------------===//
// Fusion groups (FusionGroups.cpp)
//===----------------------------------------------------------------------===//

/// The structure of one block's tile-and-fuse: its roots, each tiled once
/// with the tile sizes of its lowering configuration, and the producers
/// that join their tiles.
struct FusionGroups {
  /// Top-level linalg ops on tensors that no consumer's tile takes in,
  /// consumers first.
  llvm::SmallVector<mlir::linalg::LinalgOp> roots;
  llvm::SmallPtrSet<mlir::Operation *, 16> rootSet;
  /// Producers that a consumer's tile may take in (fills, elementwise and
  /// broadcast ops, a contraction read element for element by its epilogue,
  /// row statistics).
  llvm::SmallPtrSet<mlir::Operation *, 16> fused;
  /// A fused contraction's one reader: the root whose tile alone takes it.
  llvm::DenseMap<mlir::Operation *, mlir::Operation *> epilogueOf;
  /// Layout transposes that take in a contraction's epilogue, both ways.
  llvm::DenseMap<mlir::Operation *, mlir::Operation *> transposeOfEpilogue,
      epilogueOfTranspose;
  /// Roots tiled one row at a time with their row statistics computed
  /// inside the tile: 1 for each loop the statistics vary along, 0 (kept
  /// whole) for the row.
  llvm::DenseMap<mlir::Operation *, llvm::SmallVector<int64_t>> rowRootTiles;

  /// Whether the tile of `root` takes in `producer` (a fill always; a fused
  /// producer that is no root of its own; a contraction only into its
  /// epilogue's tile, never a later layer's that reaches it through
  /// elementwise ops).
  bool joins(mlir::Operation *producer, mlir::Operation *root) const;
};

/// The roots and fusion groups of the top-level ops of `block` (the
/// function's body, or the body of a loop that tiled it already).
FusionGroups analyzeFusionGroups(mlir::Block &block);

//===----------------------------------------------------------------------===//
// Tile and fuse (TileAndFuseUtils.cpp)
//===----------------------------------------------------------------------===//

/// Whole operands padded once, by (operand, padded shape).
using PaddedCache =
    llvm::DenseMap<std::pair<mlir::Value, mlir::RankedTensorType>, mlir::Value>;

/// A tile's `tensor.pad` of a slice of a whole tensor `x` defined outside
/// the tile loop (`pad(x[i, 0][min(8, 197 - i), 768])` to 8 rows) becomes a
/// static slice `xp[i, 0][8, 768]` of `x` padded with zeros once, before
/// the loop, far enough (`197 + 8 - 1` rows) for every tile. Per tile the
/// pad was a copy of the tile's whole row panel for every column block
/// (ViT-B/16: 7% of its time in memmove).
void hoistTilePad(mlir::RewriterBase &rewriter, mlir::tensor::PadOp pad,
                  PaddedCache &cache);

/// `op` (a tile with dynamic sizes bounded by constants) rewritten to run on
/// operands padded with zeros to those bounds; its uses get the valid slice
/// of the result. Returns the padded op, or null when a bound is unknown.
/// With a `cache`, pads of slices of whole tensors are hoisted (each
/// operand padded once, for tiles that read its rows many times);
/// without, each tile pads its own slice (a masked vector read).
mlir::linalg::LinalgOp padToStaticBounds(mlir::RewriterBase &rewriter,
                                         mlir::linalg::LinalgOp op,
                                         PaddedCache *cache);

/// Whether `op` is computed on padded operands (zeros in, the results
/// past the bound dropped): an all-parallel op with some operand read
/// through a broadcast or permutation, which masks cannot follow (ops with
/// identity maps only are vectorized with masks instead), and whose body
/// cannot trap on a zero (integer division).
bool padsSafely(mlir::linalg::LinalgOp op);

/// In a tile, a convolution's window loops have one iteration: `oy + ky`
/// with ky in [0, 1) is `oy`, and a strided window `2 * ox` reads every
/// other element (a strided slice of the operand, read with the plain map
/// `ox`). Rewriting the input maps so makes the tile a plain contraction
/// (projected permutations), which vectorizes like a matmul register block.
void foldTileWindows(mlir::RewriterBase &rewriter, mlir::linalg::GenericOp op);

/// `op` tiled and fused with `options`; its uses take the tiled results.
mlir::FailureOr<mlir::scf::SCFTileAndFuseResult>
tileAndFuse(mlir::RewriterBase &rewriter, mlir::linalg::LinalgOp op,
            const mlir::scf::SCFTileAndFuseOptions &options);

//===----------------------------------------------------------------------===//
// Pad decomposition (PadDecomposition.cpp)
//===----------------------------------------------------------------------===//

/// `image` (a fresh tensor of static shape) with `value` in every element
/// outside the box at `low` of `sizes`, which the caller writes: one fill
/// per padded side of each dimension (for dimension d: the box's extent in
/// the dimensions before d, the band in d, everything after), instead of a
/// fill of the whole image that the box's contents then overwrite (a
/// 58x58x64 image: 57 KB of border instead of 861 KB). A box with dynamic
/// offsets or sizes gets the whole fill.
mlir::Value fillBorder(mlir::RewriterBase &rewriter, mlir::Location loc,
                       mlir::Value image, mlir::Value value,
                       llvm::ArrayRef<mlir::OpFoldResult> low,
                       llvm::ArrayRef<mlir::OpFoldResult> sizes);

/// `pad(transpose(x))` read only as a contraction's broadcast operand (an
/// NCHW image padded for an NHWC convolution) is `transpose(pad(x))` with
/// the padding permuted: the image is padded in its own layout (a copy of
/// whole rows) and the convolution then reads it through its indexing map
/// (`foldTransposedBroadcastOperands`), instead of a transpose into the
/// padded NHWC image.
mlir::LogicalResult padBeforeTranspose(mlir::RewriterBase &rewriter,
                                       mlir::tensor::PadOp pad);

/// A contraction's broadcast operand (the one not indexed by the output's
/// vector dimension: a convolution's image, a matmul's left side) that is a
/// layout transpose read by nothing else is read in its original layout,
/// the transpose folded into the operand's indexing map. Per reduction
/// step the register block broadcasts `rows` scalars of it, which need no
/// particular layout (an NCHW image's 8 pixels of a channel are even
/// contiguous), so the transpose's whole pass over the operand is saved.
/// (Not for the vector operand: its rows would become gathers.)
void foldTransposedBroadcastOperands(mlir::RewriterBase &rewriter,
                                     mlir::linalg::GenericOp op);

/// A whole-tensor `tensor.pad` (a convolution's padded image, attention's
/// padded blocks) as a fill of the padded shape and a write of the source
/// into its interior. Bufferized as it comes, a pad is a memset and a copy
/// on one thread (for a 112x112x32 depthwise convolution, longer than the
/// convolution on two threads); as linalg ops both become roots of their
/// own, tiled, vectorized and run on the thread pool.
///
/// The padded image is a `bufferization.alloc_tensor`, not a
/// `tensor.empty`: CSE would merge the equal fills of equal-sized images
/// (every padded activation of a ResNet stage) into one, which
/// bufferization then copies whole for every layer.
///
/// The write into the interior is, in order of preference:
/// - the source's producer itself, when it is elementwise and does not
///   read its destination (the ReLU that ends a residual block): it
///   computes straight into the interior, and its other readers (the next
///   residual add) read it there;
/// - a layout transpose read only by the pad (an NCHW image going into an
///   NHWC convolution), which then writes into the interior;
/// - a `linalg.copy`.
mlir::LogicalResult padAsFillAndCopy(mlir::RewriterBase &rewriter,
                                     mlir::tensor::PadOp pad);

/// After a tiled root computed its value `v` straight into the interior of
/// a padded image (`padAsFillAndCopy`: `image' = insert_slice v into
/// image`), tiles that read `v` after that point read `image'` instead.
/// Both hold the same values, but bufferization sees a read of `v` after
/// the insertion as a read after a write to its buffer (the insertion
/// writes `v` onto itself), and would then compute `v` into a copy that is
/// copied into the image: two serial copies of the activation per layer
/// (ResNet's residual adds read a block's output after the next block's
/// padded image is made). Only the tiles' slices are redirected: a slice
/// of the whole interior would fold straight back to `v`.
void readInteriorsFromImages(mlir::RewriterBase &rewriter,
                             mlir::func::FuncOp func);

//===----------------------------------------------------------------------===//
// Static evaluation (StaticEvaluation.cpp)
//===----------------------------------------------------------------------===//

/// Whether the condition of `guard` (inside `loop`, of static bounds) is
/// false in every iteration of the loop: evaluated for every combination
/// of the induction variables that it depends on (at most 256; a row
/// band's guard depends on the band's only, not on the batch or channels).
bool guardNeverTaken(mlir::scf::ForallOp loop, mlir::scf::IfOp guard);

//===----------------------------------------------------------------------===//
// Math approximations (ExpApproximation.cpp)
//===----------------------------------------------------------------------===//

/// math.exp on f32 scalars and vectors as a short polynomial: 13 ops where
/// MLIR's approximation takes ~21.
void populateExpF32Approximation(mlir::RewritePatternSet &patterns,
                                 mlir::PatternBenefit benefit);

} // namespace acc::codegen

#endif // ACC_CODEGEN_COMMON_TRANSFORMS_H
