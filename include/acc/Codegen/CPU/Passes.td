//===- Passes.td - the CPU backend's passes ----------------*- tablegen -*-===//
//
// Part of the acc project.
//
// The CPU backend: register tiling, vectorization, the thread pool and
// acc's runtime. Every flag starts with `nn-cpu-`.
// Keep the definitions in alphabetical order.
//
//===----------------------------------------------------------------------===//

#ifndef ACC_CODEGEN_CPU_PASSES_TD
#define ACC_CODEGEN_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def NNCPUHoistVectorTransfers : Pass<"nn-cpu-hoist-vector-transfers",
                                  "::mlir::func::FuncOp"> {
  let summary = "Keep loop-carried vector tiles in registers";
  let description = [{
    After bufferization, hoists the `vector.transfer_read` /
    `vector.transfer_write` pairs of an accumulator out of the reduction loops
    that update it (`linalg::hoistRedundantVectorTransfers`), so that a
    register block is loaded once, updated by every reduction step, and
    stored once. Loops marked `acc.unroll` (the tap loops of a depthwise
    convolution or a pooling window, marked by `nn-cpu-tile-and-vectorize`)
    are then unrolled fully, so that LLVM loads each shifted image row once
    for all the taps that read it. It then lowers n-D vector ops to the 1-D forms the LLVM
    conversion understands: a reduction over the outer dimension of a 2-D
    vector (a column reduction: a key-major attention block's row max and
    sum) becomes a tree of element-wise ops over its rows (no lanes
    crossed, log2(rows) deep); other reductions reduce across lanes. It
    marks float sums across the lanes of a
    vector (`vector.reduction <add>`, a softmax block's row sums)
    `fastmath<reassoc>`, so that LLVM sums them in a tree instead of a
    chain of dependent scalar adds; the order is fixed at compile time.
  }];
}

def NNCPUParallelize : Pass<"nn-cpu-parallelize", "::mlir::ModuleOp"> {
  let summary = "Run the outermost scf.forall loops on acc's thread pool";
  let description = [{
    After bufferization, outlines the body of every outermost `scf.forall`
    into a private function `@<func>_par<k>(!llvm.ptr ctx, i64 begin,
    i64 end)` that runs the iterations `[begin, end)` of the loop, linearised
    (the last dimension varies fastest). The values the body uses from above
    are stored into a stack struct `ctx` (constants are rematerialised); the
    loop becomes a call of

    ```c
    void acc_rt_parallel_for(void (*body)(void *ctx, int64_t begin,
                                          int64_t end),
                             void *ctx, int64_t n);
    ```

    from acc's runtime (`runtime/acc_runtime.h`), which splits `[0, n)` into
    one contiguous chunk per thread. Each iteration computes the same values
    on any thread, so results do not depend on the thread count.

    Loops of one iteration, loops whose captured values have no LLVM type,
    and `scf.forall` loops nested in another become sequential `scf.for`
    loops. Memrefs cross into the body as LLVM memref descriptors through
    `builtin.unrealized_conversion_cast`, which the LLVM conversion folds.
  }];
  let options = [
    Option<"minIterations", "min-iterations", "int64_t", /*default=*/"2",
           "Loops with fewer iterations (known statically) stay sequential">
  ];
  let dependentDialects = [
    "::mlir::LLVM::LLVMDialect", "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect", "::mlir::scf::SCFDialect"
  ];
}

def NNCPUPrefetchPanels : Pass<"nn-cpu-prefetch-panels", "::mlir::func::FuncOp"> {
  let summary = "Prefetch the next panel of a large packed weight";
  let description = [{
    After bufferization. A deep layer's packed weight panels (a 3x3x512x512
    filter: 9.4 MB) do not stay in cache between calls, and each panel is
    reused by few tiles (7 register blocks of a 7x7 image): the first tile
    of each panel waits on memory at the rate of its FMAs. Each vector read
    (inside a reduction loop) of a panel `[p, 0, .., 0]` of a constant
    global of at least `min-bytes` also prefetches the same position of
    panel p + 1, one `memref.prefetch` per cache line, so that the next
    panel streams in while this one's tiles compute. The T tiles of a
    panel share the prefetches: tile t issues them only at the steps k of
    its outermost reduction loop with k mod T = t (an `scf.if`), so the
    next panel is fetched once, not T times. Only for panels that at most
    `max-tiles-per-panel` tiles of their `scf.forall` read (a 7x7 image's
    7 register blocks, a 14x14 image's 28; a 28x28 image's 112 spread the
    panel's first fetch thinly already), and only when the module's
    constant globals add up to `min-total-bytes` or more (weights that do
    not stay in the last-level cache between calls); otherwise the
    prefetches would only take load slots.
  }];
  let options = [
    Option<"minBytes", "min-bytes", "int64_t", /*default=*/"1048576",
           "Smallest weight (bytes) whose panels are prefetched">,
    Option<"maxTilesPerPanel", "max-tiles-per-panel", "int64_t",
           /*default=*/"32",
           "Prefetch only panels read by at most this many tiles">,
    Option<"minTotalBytes", "min-total-bytes", "int64_t",
           /*default=*/"33554432",
           "Prefetch only when the module's constants add up to this many "
           "bytes (more than a last-level cache holds)">,
    Option<"locality", "locality", "unsigned", /*default=*/"2",
           "Locality hint of the prefetches (0-3)">
  ];
  let statistics = [
    Statistic<"numPrefetchedReads", "reads-prefetching",
              "Panel reads that prefetch the next panel">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def NNCPUPrepareTiling : Pass<"nn-cpu-prepare-tiling", "::mlir::func::FuncOp"> {
  let summary = "Rewrite pads and depthwise convolutions for register tiling";
  let description = [{
    The rewrites that the CPU's register tiling is planned on, after
    `nn-lower-to-linalg`:

    - a depthwise convolution between NCHW tensors whose rows 16-lane
      vectors do not divide is computed in NHWC by blocks of channels (and
      two bands of rows when the blocks are fewer than 4), with its pad and
      the input's transpose fused in: an `scf.forall` over the blocks,
      marked `nn.channel_blocks`, whose body is tiled like a function's;
    - a padded image becomes a fill of its border and a write of the source
      into the interior, in a `bufferization.alloc_tensor` of its own (a pad
      before a layout transpose moves after it first);
    - a layout transpose read only through broadcast operands folds into
      their indexing maps.
  }];
  let dependentDialects = [
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def NNCPUPromoteTileBuffers : Pass<"nn-cpu-promote-tile-buffers",
                                   "::mlir::func::FuncOp"> {
  let summary = "Turn small per-tile heap buffers into hoisted stack buffers";
  let description = [{
    After bufferization and deallocation, a tile's temporary (an accumulator,
    a score block) is a `memref.alloc` / `memref.dealloc` pair inside the tile
    loops: a `malloc` and a `free` per tile. This pass replaces each such
    pair, when the buffer has a static shape of at most `max-bytes` bytes
    and is freed in the block that allocates it, by one `memref.alloca` at
    the start of the function, or of the body of the enclosing `scf.forall`
    (whose iterations may run concurrently and so need buffers of their
    own). Every iteration of a loop frees its buffer before the next one
    allocates it, so one buffer serves them all. (Allocas are never left in
    an `scf.for` body: its lowering does not release them per iteration.)
    A dynamic size with a constant upper bound (a partial tile's
    `min(8, 197 - i)` rows, found by `ValueBoundsOpInterface`) gets a stack
    buffer of the bound, and the allocation becomes a
    `memref.reinterpret_cast` of it at the dynamic size (row-major, offset
    0). Measurements: docs/CPUCodegen.md.
  }];
  let options = [
    Option<"maxBytes", "max-bytes", "int64_t", /*default=*/"65536",
           "Largest buffer moved to the stack">
  ];
}

def NNCPURuntimeAllocator : Pass<"nn-cpu-runtime-allocator",
                                 "::mlir::ModuleOp"> {
  let summary = "Point heap allocations at acc's caching allocator";
  let description = [{
    In the LLVM dialect, after `finalize-memref-to-llvm` ran with
    `use-generic-functions`, renames its allocation functions
    (`_mlir_memref_to_llvm_alloc`, `_mlir_memref_to_llvm_aligned_alloc`,
    `_mlir_memref_to_llvm_free`) to acc's runtime: `acc_rt_alloc`,
    `acc_rt_aligned_alloc`, `acc_rt_free` (`runtime/acc_runtime.h`). The
    runtime keeps freed large blocks for reuse, so a model called repeatedly
    does not page-fault fresh memory for its intermediates on every call.

    Every allocation is then checked: when it returns NULL, an entry
    (a function returning the `i32` status) returns 3 at once, and a
    parallel loop's body (returning nothing) calls `acc_rt_fail` and stops;
    after each `acc_rt_parallel_for` the entry asks `acc_rt_take_failure`
    and returns 3 if the loop failed. Buffers allocated before the failure
    are not freed.

    With `runtime=false` (single-threaded code, which links no runtime)
    the allocation functions keep their names (`malloc`, `aligned_alloc`,
    `free`, or the generic ones) and only the checks are added: an entry
    whose `malloc` returns NULL returns 3.
  }];
  let options = [
    Option<"runtime", "runtime", "bool", /*default=*/"true",
           "Rename the allocation functions to acc's runtime (off: keep "
           "them, and only check their results)">
  ];
}

def NNCPUSelectTileSizes : Pass<"nn-cpu-select-tile-sizes",
                                "::mlir::func::FuncOp"> {
  let summary = "Choose the CPU's register tiles of every tile-and-fuse root";
  let description = [{
    The CPU strategy, apart from the mechanism that applies it: for every
    root of tile-and-fuse (a top-level linalg op that no consumer's tile
    takes in, in the function's body or a channel-block loop's), writes
    `nn.lowering_config = #nn.lowering_config<tile_sizes = ...,
    interchange = ...>`, which `nn-cpu-tile-and-vectorize` reads:

    - a contraction and its epilogue: `vector-width` elements along the
      innermost parallel dimension (two vectors), `rows` along the next one,
      1 elsewhere; depthwise convolutions with their channel blocks
      outermost;
    - a layout transpose that takes in a contraction's epilogue: the
      epilogue's register block, permuted;
    - an op that reads per-row statistics: one row at a time, the row
      whole;
    - a padded image's fill and copy: whole planes of its two innermost
      dimensions;
    - a reduction: its parallel loops by one vector (`tile_sizes` empty for
      a reduction to one value, split into chunks instead).

    The sizes and limits are in lib/Codegen/CPU/KernelDispatch.cpp.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "f32 lanes of the target's vectors (16 for AVX-512, 8 for AVX2)">,
    Option<"rows", "rows", "int64_t", /*default=*/"8",
           "Rows of the register block of a contraction">
  ];
  let statistics = [
    Statistic<"numConfigured", "roots-configured",
              "Roots given a lowering configuration">
  ];
  let dependentDialects = ["::acc::nn::NNDialect"];
}

def NNCPUTileAndVectorize : Pass<"nn-cpu-tile-and-vectorize",
                                 "::mlir::func::FuncOp"> {
  let summary = "Tile linalg ops for registers, fuse producers, vectorize";
  let description = [{
    The CPU pipeline's tile-and-fuse step, on tensors, after
    `nn-cpu-prepare-tiling` and `nn-cpu-select-tile-sizes`. Each root of
    tile-and-fuse that carries an `nn.lowering_config` is tiled with
    `TilingInterface` by its tile sizes (in its interchange), into
    `scf.forall` loops (the thread pool's grain), and its producers are
    fused into the tile: fills, elementwise and broadcast ops, and the
    contraction that feeds the root directly; a layout transpose of a
    contraction's result takes the contraction and its epilogue into its
    tiles. A root without a configuration is left as it is; one whose
    `tile_sizes` are empty (a reduction to one value) is split into
    chunks. Reductions of the tiled contractions are stepped one at a time
    (an outer-product update of the register block per step, in the
    filter's memory order when the image is NHWC), constant weights are
    packed into panels, and partial tiles run at their static bound on
    operands padded once. The configurations are dropped after tiling.

    Contractions inside loops (attention's block products) get register
    blocks too; other ops there are cut into rows of at most 256 elements,
    or, for a reduction over outer loops of a vector-wide innermost one (a
    key-major attention block's row max and sum), up to 256 rows of one
    vector. The tiled ops with static shapes are then vectorized; ops that
    the vectorizer does not handle stay scalar loops, still correct.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "f32 lanes of the target's vectors (16 for AVX-512, 8 for AVX2)">,
    Option<"rows", "rows", "int64_t", /*default=*/"8",
           "Rows of the register block of a contraction">
  ];
  let statistics = [
    Statistic<"numRootsTiled", "roots-tiled",
              "Roots tiled by their lowering configuration">,
    Statistic<"numRootsUnconfigured", "roots-unconfigured",
              "Roots left untiled: no lowering configuration">,
    Statistic<"numPanelsPacked", "panels-packed",
              "Constant weights packed into panels">,
    Statistic<"numVectorized", "ops-vectorized", "Linalg ops vectorized">,
    Statistic<"numLeftScalar", "ops-left-scalar",
              "Linalg ops the vectorizer did not take (scalar loops)">
  ];
  let dependentDialects = [
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect", "::mlir::vector::VectorDialect"
  ];
}

#endif // ACC_CODEGEN_CPU_PASSES_TD
