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

def NNCPUTileAndVectorize : Pass<"nn-cpu-tile-and-vectorize",
                                 "::mlir::func::FuncOp"> {
  let summary = "Tile linalg ops for registers, fuse producers, vectorize";
  let description = [{
    The CPU pipeline's tile-and-fuse step, on tensors, after
    `nn-lower-to-linalg`. Each root (a linalg op whose result no other linalg
    op reads: the end of a producer chain such as conv -> bias -> relu) is
    tiled with `TilingInterface` into a register block: `vector-width`
    elements along its innermost parallel dimension, `rows` along the next
    one of a contraction, 1 elsewhere, and reduction dimensions stepped one
    at a time (an outer-product update). Its producers are fused into the
    tile: fills, elementwise and broadcast ops, and the contraction that
    feeds the root directly. The tiled ops with static shapes are then
    vectorized (`vector.contract`, `vector.transfer_*`); ops that the
    vectorizer does not handle stay scalar loops, still correct.

    Ops inside loops (the attention tiles, which have dynamic sizes) are left
    to the later passes.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "f32 lanes of the target's vectors (16 for AVX-512, 8 for AVX2)">,
    Option<"rows", "rows", "int64_t", /*default=*/"8",
           "Rows of the register block of a contraction">
  ];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect", "::mlir::vector::VectorDialect"
  ];
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

def NNCheckStaticABI : Pass<"nn-check-static-abi", "::mlir::ModuleOp"> {
  let summary = "Require static shapes at the boundary of public functions";
  let description = [{
    The CPU pipeline compiles public functions to the bare-pointer ABI
    `void NAME(const float *in0, ..., float *out0, ...)`, which carries no
    dimensions. Until the dims-taking entry exists, a public function whose
    arguments or results have dynamic dimensions gets a located error naming
    the argument, instead of an obscure failure in the LLVM conversion.
    Dynamic dimensions inside a function are fine.
  }];
}

def NNHoistVectorTransfers : Pass<"nn-hoist-vector-transfers",
                                  "::mlir::func::FuncOp"> {
  let summary = "Keep loop-carried vector tiles in registers";
  let description = [{
    After bufferization, hoists the `vector.transfer_read` /
    `vector.transfer_write` pairs of an accumulator out of the reduction loops
    that update it (`linalg::hoistRedundantVectorTransfers`), so that a
    register block is loaded once, updated by every reduction step, and
    stored once.
  }];
}

def NNLowerToLinalg : Pass<"nn-lower-to-linalg"> {
  let summary = "Lower nn ops to linalg, tensor, arith, math and scf on tensors";
  let description = [{
    Rewrites every nn op into upstream ops on tensors, ready for tiling,
    bufferization and vectorization:

    - convolutions, contractions, norms, softmax, pooling and activations
      become `linalg.generic` ops (one per op, or a few for the reductions of
      the norms and softmax), padding becomes `tensor.pad`;
    - image/token/window/head reshapes become `tensor.expand_shape`,
      `tensor.collapse_shape` and `linalg.transpose`;
    - `nn.attention` becomes a flash-attention loop nest: `scf.for` over
      query blocks and key/value blocks with an online softmax (running max,
      running sum, rescaled accumulator). No `Nq x Nk` tensor exists at any
      point. The key/value loop of each query block runs only over the blocks
      that its structural mask leaves visible (causal: up to the diagonal;
      sliding window: the window), so a windowed attention does work linear
      in N; the mask is computed only inside blocks that cross its edge.

    `nn.block` must have been inlined (`nn-inline-blocks`). Ops or shapes
    that cannot be lowered yet get an error naming the op and the reason.
  }];
  let options = [
    Option<"queryBlock", "query-block", "int64_t", /*default=*/"64",
           "Query rows per attention tile">,
    Option<"keyBlock", "key-block", "int64_t", /*default=*/"64",
           "Keys per attention tile">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

#endif // ACC_CONVERSION_PASSES_TD
