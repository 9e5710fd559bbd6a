//===- KernelDispatch.h - the CPU backend's choices ------------*- C++ -*-===//
//
// Part of the acc project.
//
// Internal to lib/Codegen/CPU. The CPU strategy: register-block and row
// tile sizes, loop orders and the limits they come from (KernelDispatch.cpp),
// and the CPU-specific rewrites that carry them out: weight packing
// (PackWeights.cpp), depthwise convolutions by channel blocks
// (DepthwiseChannels.cpp), stepped and split reductions
// (StepReductions.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef ACC_LIB_CODEGEN_CPU_KERNELDISPATCH_H
#define ACC_LIB_CODEGEN_CPU_KERNELDISPATCH_H

#include "acc/Codegen/Common/Transforms.h"

#include <map>
#include <tuple>

namespace acc::cpu {
using namespace mlir;

/// The largest iteration space (in elements) that is vectorized as a whole:
/// a 16 x 16 block.
constexpr int64_t kMaxVectorElements = 256;

/// Marks a stepped reduction loop that nn-hoist-vector-transfers unrolls
/// fully (the taps of a depthwise convolution).
constexpr llvm::StringLiteral kUnrollAttr = "acc.unroll";

/// The most register-block elements times taps that the unrolled tap
/// loops of a window-only reduction may update: 3x3 taps over an 8 x 32
/// block (144 FMAs of 16 lanes). All 7x7 taps over 8 x 32 (784) spill.
constexpr int64_t kMaxUnrolledElements = 2304;

/// The most rows that a column reduction (below) vectorizes as a whole: a
/// key-major attention block of 256 keys (decoding a few queries).
constexpr int64_t kMaxColumnRows = 256;

/// The largest padded NHWC image of one block of channels that a depthwise
/// convolution between NCHW tensors makes per block (half of a 1 MiB L2).
constexpr int64_t kChannelBlockImageBytes = 512 * 1024;

/// Fewer blocks of channels than this split their rows too.
constexpr int64_t kMinChannelTasks = 4;

/// The output dimension of `transpose` that reads the input's contiguous
/// (last) dimension.
unsigned transposeSourceDim(linalg::TransposeOp transpose);

/// The side of the square blocks a transpose is cut into, each transposed
/// in registers.
int64_t transposeBlockSide(int64_t width);

/// Register-block tile sizes for `op`, or an empty vector to leave it alone.
SmallVector<int64_t> registerTile(linalg::LinalgOp op, int64_t width,
                                  int64_t rows, bool feedsFromContraction);

/// The most elements of `op`'s iteration space that are vectorized as one
/// vector op: kMaxVectorElements, or kMaxColumnRows rows of at most
/// `width` for a column reduction.
int64_t maxVectorElements(linalg::LinalgOp op, int64_t width);

/// Tile sizes that cut a non-contraction op with a static iteration space
/// larger than a vector block into rows: every parallel loop but the last
/// one becomes 1; the last loop stays whole when the remaining space fits
/// kMaxVectorElements (a row of a 64 x 64 tile), else `width`; reductions
/// stay whole (a row reduction). Empty when the op is small already or its
/// rows would still be too large.
SmallVector<int64_t> rowTile(linalg::LinalgOp op, int64_t width);

/// Tile sizes that cut a static transpose that moves the input's contiguous
/// dimension (a query block turned [D, bq] in attention) into square
/// blocks of min(width, 8): each block is read with whole-row loads and
/// transposed in registers (shuffles), where rows of the result would each
/// gather a strided column element by element (the blocks of a root
/// transpose in `registerTile`, for a transpose inside a loop). Empty
/// otherwise, and for a transpose small enough to be vectorized whole (a
/// register block's 8 x 32 on its way out), which is transposed in
/// registers as it is.
SmallVector<int64_t> squareTransposeTile(linalg::LinalgOp op, int64_t width);

/// Tile sizes for a plain reduction root (a norm's statistics, a global
/// pool): each parallel loop cut into single rows, except the output's
/// innermost loop when it is also the input's contiguous one (channels of
/// an NHWC pool, reduced over the image), cut into `width`-wide column
/// blocks; reductions stay whole. Each thread-pool iteration then reduces
/// its own rows whole, so the reduction runs on every core and its
/// results do not depend on the thread count. Empty when there is a
/// single row to reduce.
SmallVector<int64_t> reductionTile(linalg::LinalgOp op, int64_t width);

/// Tile-loop order for a root whose contraction reads more weight than
/// activation (deep layers: a 3x3x512x512 filter against a 7x7 image): the
/// output-channel (vector) loop goes outermost, so that each block of the
/// weights is read once and stays in cache while all output pixels use it,
/// instead of streaming all the weights once per pixel row. So too for a
/// depthwise convolution in NHWC: a block of 32 channels slides its window
/// over the image with that block's rows and taps in L1 (7x7 over 14 x 32
/// pixels x channels and its filter: 19 KB), where all channels of a
/// window (56 KB for 96 channels) do not fit.
std::optional<SmallVector<int64_t>> weightOuterOrder(linalg::LinalgOp root,
                                                     ArrayRef<int64_t> tiles);

/// The loop order for stepping `op`'s reductions (its parallel loops
/// first): the weight's (the operand indexed by the output's vector
/// dimension) memory order, an HWCF filter's kh, kw, c, when the other
/// operand (the image) also has that last reduction innermost (NHWC).
/// Each step then reads the next contiguous row of both, instead of a
/// filter row 3 x 3 x C apart (ResNet-18, NHWC inside: 35.0 -> 33.1 ms
/// on one thread). An NCHW image keeps the generic's order.
std::optional<SmallVector<int64_t>> reductionOrder(linalg::LinalgOp op);

/// Whether every reduction loop of contraction `op` only slides a window
/// over an image (a depthwise convolution: out[c, oy, ox] += in[c, oy +
/// kh, ox + kw] * w[c, kh, kw]): no reduction over a whole dimension of
/// it (a channel sum, a matmul's k).
bool windowOnlyReductions(linalg::LinalgOp op);

/// Constant weights packed into panels, one per (constant, panel width,
/// order of the panel's rows).
using PanelCache =
    std::map<std::tuple<Operation *, int64_t, SmallVector<int64_t>>, Value>;

/// A tiled contraction reads its constant weight as a slice along the
/// output (vector) dimension: `w[0, .., 0, f0][D0, .., Dn-2, T]` of a
/// `[D0, .., Dn-1]` constant (a conv's HWCF filter, a linear layer's [K, N]
/// weight). Each reduction step then reads T contiguous elements at a
/// stride of Dn-1: for a 3x3x512x512 filter, 4608 rows of 128 bytes 2 KiB
/// apart, a new page every second row, and every tile of the layer walks a
/// different column of panels. The weight is packed at compile time into
/// panels `[Dn-1 / T][D0, .., Dn-2][T]` and the slice becomes the panel
/// `f0 / T`, one contiguous block that the prefetcher streams.
///
/// The panel's rows follow the order in which the reduction steps visit
/// them (`reductionOrder`, else the loops' own order): an NCHW image steps
/// its channels outermost (c, kh, kw), so an HWCF filter's panel is stored
/// `[C][KH][KW][T]` and the generic reads it through the permuted map.
/// Stored as HWCF, each channel step read nine rows 64 KiB apart (a
/// 3x3x512 filter), nine pages per step: the 7x7x512 layer ran at 57% of
/// peak. Weights that are not constants, and slices cut along other
/// dimensions, are left alone.
void packConstantWeights(RewriterBase &rewriter, linalg::LinalgOp op,
                         PanelCache &cache);

/// Tiles `root` by `tiles` (its channel loop) with its producers fused,
/// and makes each tile's padded image a fill of its border and a copy.
LogicalResult tileChannelsWithPad(RewriterBase &rewriter, linalg::LinalgOp root,
                                  ArrayRef<int64_t> tiles,
                                  SmallVectorImpl<scf::ForallOp> &loops);

/// Whether the image (input 0) of convolution `conv` reads, along its
/// dimension `imageDim`, the output's channel `outC`: f, or f + c with the
/// per-group channel loop c of extent 1 (f floordiv 1 * 1 + c, simplified).
bool imageChannelIsOutputChannel(linalg::GenericOp conv, unsigned imageDim,
                                 AffineDimExpr outC);

/// Whether `op` is an elementwise op of 4 loops in `block` whose operands
/// all share its iteration space (identity maps): an epilogue that a tile
/// of the convolution before it can take in.
bool isIdentityEpilogue(Operation *op, Block *block);

/// Whether `conv` (its image `pad`) is a depthwise convolution computed in
/// NHWC for NCHW tensors: the image is the pad along H and W of a layout
/// transpose of an NCHW tensor read by nothing else, and the result goes
/// back through a transpose to NCHW. Then `root` is that transpose, or the
/// elementwise epilogue that reads it, and `tiles` its tiles of one block
/// of channels (32, or 16), whose padded NHWC image fits in L2.
bool nhwcFromNCHW(linalg::GenericOp conv, tensor::PadOp pad,
                  linalg::LinalgOp &root, SmallVectorImpl<int64_t> &tiles);

/// A depthwise NCHW convolution (each output channel reads its own input
/// channel) whose image is a `tensor.pad` of a static NCHW tensor along H
/// and W only: its consumer chain (the elementwise epilogue, or the
/// convolution itself) is tiled one channel at a time, the convolution and
/// the pad fused into the tile. (One computed in NHWC between NCHW tensors,
/// `nhwcFromNCHW`, is tiled the same way by blocks of channels, and rows.) Each
/// channel's padded plane is then made right before its stencil reads it, a
/// small buffer in L1/L2 (114 x 114 floats for a 112x112 image), instead of a
/// padded copy of the whole tensor written and read back through L3 (a
/// 112x112x32 3x3 layer spent a quarter of its time in that copy). Returns the
/// channel loops, whose bodies are then tiled like the function's.
SmallVector<scf::ForallOp> padDepthwisePerChannel(RewriterBase &rewriter,
                                                  func::FuncOp func);

void splitLongReduction(RewriterBase &rewriter, linalg::LinalgOp op);

/// Tiles `op` with `parallelTiles` on its parallel loops (0: untiled) and
/// steps each reduction loop one iteration at a time.
///
/// The tap loops of a window-only contraction (a depthwise convolution's
/// kh and kw) are marked to be unrolled once the accumulator is in
/// registers (nn-hoist-vector-transfers), innermost first while the body
/// stays small: the rows of the register block then load each image row
/// once for all the taps that read it (a 3x3 over 8 rows: 30 loads for 72
/// FMAs, where stepping kh reloads each row three times: 72).
void tileStepReductions(RewriterBase &rewriter, linalg::LinalgOp op,
                        SmallVector<int64_t> parallelTiles);

/// Marks the `scf.forall` loops of depthwise convolutions by channel
/// blocks (nn-cpu-prepare-tiling) whose bodies are tiled like a function's
/// body; dropped by nn-cpu-tile-and-vectorize.
constexpr llvm::StringLiteral kChannelBlocksAttr = "nn.channel_blocks";

/// The CPU's tiling of one root: tile sizes (0: a loop kept whole; empty:
/// no parallel loop to tile, a long reduction is split instead) and the
/// order of the tile loops, if not the op's.
struct RootTiling {
  SmallVector<int64_t> tiles;
  std::optional<SmallVector<int64_t>> order;
};

/// The register block (or row, plane, reduction tile) of `root`, a root of
/// `groups`, for `vectorWidth`-lane vectors and contractions of `rows`
/// rows.
RootTiling selectRootTiling(linalg::LinalgOp root,
                            const codegen::FusionGroups &groups,
                            int64_t vectorWidth, int64_t rows);

/// The blocks whose roots are tiled, in the order they are tiled: the
/// bodies of the channel-block loops, then the function's body.
SmallVector<Block *> tilingBlocks(func::FuncOp func);

} // namespace acc::cpu

#endif // ACC_LIB_CODEGEN_CPU_KERNELDISPATCH_H
