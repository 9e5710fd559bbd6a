//===- Passes.td - acc conversion passes -------------------*- tablegen -*-===//
//
// Part of the acc project.
//
// Keep the passes in alphabetical order; every flag starts with `nn-`.
//
//===----------------------------------------------------------------------===//

#ifndef ACC_CONVERSION_PASSES_TD
#define ACC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

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
    0): ViT-B/16's linear layers allocated one such tile per register block
    (1 thread: 176 -> 161 ms).
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

def NNCPUReturnStatus : Pass<"nn-cpu-return-status", "::mlir::ModuleOp"> {
  let summary = "Give public functions the C ABI's int status result";
  let description = [{
    After bufferization has turned results into output buffers
    (`buffer-results-to-out-params`), every public function without results
    gets an `i32` result, 0 on every return: the compiled entry is
    `int NAME(const float *in0, ..., float *out0, ...)`, 0 meaning success
    (see docs/ABI.md). Functions that still have results are left alone.
    It also drops the ABI bookkeeping attributes of the earlier passes
    (`nn.abi_inputs`, `nn.abi_dims`).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def NNWidenAccumulators : Pass<"nn-widen-accumulators",
                              "::mlir::func::FuncOp"> {
  let summary = "Sums over long reductions accumulate in a wider type";
  let description = [{
    A sum of a reduction (`acc + f(x)` over reduction loops, one input read
    along them: a global pool, a norm's statistics, ReduceMean/ReduceSum;
    not a contraction) at the top level of a function accumulates in f64
    for f32 data and in f32 for f16/bf16 data: its init is widened, each
    term is extended before the add, and the sum is rounded back once. An
    f32 accumulator stops growing at 2^24 (a mean of 10^8 ones gave 0.168)
    and loses about n * 2^-24 of relative accuracy over n terms; these
    sums may reassociate (`fastmath<reassoc>` on the wide add): LLVM keeps
    vector partial sums instead of one chain of dependent adds per row, and
    in the wider type the order costs no accuracy that matters.
    Contractions over f16/bf16 (convolutions, linear layers) accumulate in
    f32 too, their products formed from the extended inputs; f32
    contractions keep f32 register blocks. Ops inside loops (attention's
    tiles) are left alone. It runs before elementwise fusion, so that the
    rounding back fuses into the consumers (bias, activation).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def NNCPUTileAndVectorize : Pass<"nn-cpu-tile-and-vectorize",
                                 "::mlir::func::FuncOp"> {
  let summary = "Tile linalg ops for registers, fuse producers, vectorize";
  let description = [{
    The CPU pipeline's tile-and-fuse step, on tensors, after
    `nn-lower-to-linalg`. Each root (a linalg op whose result no other linalg
    op reads: the end of a producer chain such as conv -> bias -> relu) is
    tiled with `TilingInterface` into a register block: `vector-width`
    elements along its innermost parallel dimension (two vectors for a
    contraction), `rows` along the next one of a contraction, 1 elsewhere,
    and reduction dimensions stepped one at a time (an outer-product
    update, in the filter's memory order when the image is NHWC). Its
    producers are fused into the tile: fills, elementwise and broadcast
    ops, and the contraction that feeds the root directly; a layout
    transpose of a contraction's result takes the contraction and its
    epilogue into its tiles. Plain reductions are tiled one row per
    iteration. The tile loops are `scf.forall` (the thread pool's grain).

    Before tiling: padded images become a fill of their border and a write
    of the source into the interior (by the source's elementwise producer
    itself when it can), in a `bufferization.alloc_tensor` of their own;
    a layout transpose read only as a contraction's image operand folds
    into that operand's indexing map; constant weights are packed into
    panels. Partial tiles run at their static bound on operands padded
    once. Contractions inside loops (attention's block products) get
    register blocks too; other ops there are cut into rows of at most 256
    elements, or, for a reduction over outer loops of a vector-wide
    innermost one (a key-major attention block's row max and sum), up to
    256 rows of one vector. The tiled ops with static shapes are then
    vectorized; ops that the vectorizer does not handle stay scalar
    loops, still correct.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "f32 lanes of the target's vectors (16 for AVX-512, 8 for AVX2)">,
    Option<"rows", "rows", "int64_t", /*default=*/"8",
           "Rows of the register block of a contraction">
  ];
  let dependentDialects = [
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect", "::mlir::vector::VectorDialect"
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
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def NNCopyToLinalg : Pass<"nn-copy-to-linalg"> {
  let summary = "Rewrite memref.copy as linalg.copy so that copies become loops";
  let description = [{
    A `memref.copy` between non-contiguous views lowers to a call of
    `memrefCopy` from MLIR's C runner utilities. Compiled models must not
    depend on MLIR at run time, so the CPU pipeline turns every copy into a
    `linalg.copy`, which becomes plain loops (and vector code) instead.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def NNCheckEntryABI : Pass<"nn-check-entry-abi", "::mlir::ModuleOp"> {
  let summary = "Check the boundary of public functions against the C ABI";
  let description = [{
    Every argument and result of a public function must be a ranked tensor
    of an element type the C ABI maps (f32, f64, f16, bf16, i8, i32, i64);
    anything else gets a located error naming it, instead of an obscure
    failure in the LLVM conversion. Static functions compile to
    `int NAME(const float *in0, ..., float *out0, ...)`; functions with
    dynamic dimensions get the dims-taking entry (`nn-cpu-dynamic-entry`).

    It marks the tensor arguments of public functions
    `bufferization.writable = false`: the entry's inputs are only read (the
    ABI's contract), so bufferization copies rather than reusing an input's
    buffer for a result. It records the number of inputs as `nn.abi_inputs`
    (after bufferization the results are trailing arguments) and drops the
    model's names for inputs and outputs (`nn.name`, set by the ONNX
    importer): the ABI is positional.
  }];
}

def NNCPUDynamicEntry : Pass<"nn-cpu-dynamic-entry", "::mlir::ModuleOp"> {
  let summary = "Give public functions with dynamic dims the dims-taking "
                "entry";
  let description = [{
    After bufferization (results as out-params), a public function whose
    buffers have dynamic dimensions cannot use the bare-pointer ABI. It
    becomes a private implementation, and a new public entry takes one
    pointer per buffer plus the values of the dynamic dimensions:

    ```c
    int NAME(const float *in0, ..., float *out0, ..., const int64_t *dims);
    ```

    `dims` lists every `?` of the signature in order: inputs, then outputs,
    each tensor's dimensions outer to inner. The entry builds row-major
    memref descriptors and calls the implementation (which the inliner
    then folds in). Each result is copied into its output buffer only when
    the dims agree. Status: 0 on success, 1 when an output's dims differ
    from what the model computes for the given inputs (outputs untouched),
    2 for a negative dim. The entry carries `nn.abi_dims`, the number of
    dims it reads.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::cf::ControlFlowDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def NNFuseElementwise : Pass<"nn-fuse-elementwise", "::mlir::func::FuncOp"> {
  let summary = "Fuse elementwise linalg ops into elementwise consumers only";
  let description = [{
    Upstream's elementwise fusion with one restriction: a producer is fused
    only into a consumer whose loops are all parallel. Fusing an activation
    into a contraction that reads it (GELU into the next linear layer) would
    recompute it once per reduction step, K times per element; instead the
    activation stays a separate op, or fuses forward into the epilogue of
    the contraction that produces its input. Reshapes are propagated by
    expansion as upstream does.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"
  ];
}

def NNHoistVectorTransfers : Pass<"nn-hoist-vector-transfers",
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

def NNSinkTransposes : Pass<"nn-sink-transposes"> {
  let summary = "Move layout transposes below elementwise ops; cancel pairs";
  let description = [{
    On linalg ops on tensors, after `nn-lower-to-linalg`. An NCHW
    convolution computes in NHWC between `linalg.transpose` ops; the
    elementwise ops between two convolutions (activations, batch norm,
    residual adds) then run in NCHW, and every layer pays two transposes.
    This pass moves a transpose below an all-parallel `linalg.generic` whose
    full-rank inputs are all transposed by the same permutation (broadcast
    operands, such as per-channel parameters, get permuted maps), and
    removes a transpose of a transpose that composes to the identity. A
    chain conv -> relu -> conv then stays in NHWC.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"
  ];
}

def NNLowerToLinalg : Pass<"nn-lower-to-linalg"> {
  let summary = "Lower nn ops to linalg, tensor, arith, math and scf on tensors";
  let description = [{
    Rewrites every nn op into upstream ops on tensors, ready for tiling,
    bufferization and vectorization:

    - convolutions, contractions, norms, softmax, pooling and activations
      become `linalg.generic` ops (one per op, or a few for the reductions of
      the norms and softmax), padding becomes `tensor.pad`; an NCHW
      convolution or pooling is computed in NHWC between
      `linalg.transpose` ops (option `nchw-conv-as-nhwc`); a 3x3 stride-1
      f32 convolution with a constant filter and channels in multiples of
      16 is computed by Winograd F(4x4,3x3) or F(2x2,3x3) (option
      `winograd-max-filter-bytes`): the filter transformed at compile
      time, input and output transforms as `scf.forall` nests of vector
      ops (the output transform also computes a residual add and ReLU
      that follow), the GEMMs of the transformed tiles one
      `linalg.generic`;
    - image/token/window/head reshapes become `tensor.expand_shape`,
      `tensor.collapse_shape` and `linalg.transpose`;
    - `nn.attention` becomes a flash-attention loop nest: `scf.for` over
      query blocks and key/value blocks with an online softmax (running max,
      running sum, rescaled accumulator). No `Nq x Nk` tensor exists at any
      point. The key/value loop of each query block runs only over the blocks
      that its structural mask leaves visible (causal: up to the diagonal;
      sliding window: the window), so a windowed attention does work linear
      in N; the mask is computed only inside blocks that cross its edge.
      f16 and bf16 attention computes its scores, running max and sum and
      output accumulator in f32 (the output is truncated once). A sliding
      window's key blocks each prefetch a share of the rows that the next
      query block will read first (its queries, its newest keys and
      values: `memref.prefetch` through `bufferization.to_buffer` views of
      the operands; option `attention-prefetch`).

    `nn.block` must have been inlined (`nn-inline-blocks`). Ops or shapes
    that cannot be lowered yet get an error naming the op and the reason.
  }];
  let options = [
    Option<"queryBlock", "query-block", "int64_t", /*default=*/"64",
           "Query rows per attention tile">,
    Option<"keyBlock", "key-block", "int64_t", /*default=*/"64",
           "Keys per attention tile">,
    Option<"attentionPrefetch", "attention-prefetch", "bool",
           /*default=*/"true",
           "Sliding-window attention: each key block prefetches a share of "
           "the next query block's query, key and value rows">,
    Option<"nchwConvAsNHWC", "nchw-conv-as-nhwc", "bool", /*default=*/"true",
           "Compute NCHW convolutions and pooling in NHWC (transposes "
           "around an NHWC op, whose channels vectorize)">,
    Option<"winogradMaxFilterBytes", "winograd-max-filter-bytes", "int64_t",
           /*default=*/"4194304",
           "Compute 3x3 stride-1 convolutions with constant f32 filters by "
           "Winograd F(4x4,3x3) or F(2x2,3x3) when the transformed filter "
           "takes at most this many bytes, or 64 KiB per output tile "
           "(0: never)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect"
  ];
}

#endif // ACC_CONVERSION_PASSES_TD
