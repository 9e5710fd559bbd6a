//===- Passes.td - nn to linalg lowering passes ------------*- tablegen -*-===//
//
// Part of the acc project.
//
// The target-neutral lowering of nn ops to linalg, tensor, arith, math and
// scf on tensors. Every flag starts with `nn-`.
// Keep the definitions in alphabetical order.
//
//===----------------------------------------------------------------------===//

#ifndef ACC_CONVERSION_NNTOLINALG_PASSES_TD
#define ACC_CONVERSION_NNTOLINALG_PASSES_TD

include "mlir/Pass/PassBase.td"

def NNLowerToLinalg : Pass<"nn-lower-to-linalg"> {
  let summary = "Lower nn ops to linalg, tensor, arith, math and scf on tensors";
  let description = [{
    Rewrites every nn op into upstream ops on tensors, ready for tiling,
    bufferization and vectorization:

    - convolutions, contractions, norms, softmax, pooling and activations
      become `linalg.generic` ops (one per op, or a few for the reductions of
      the norms and softmax), padding becomes `tensor.pad`; an NCHW
      convolution or pooling is computed in NHWC between
      `linalg.transpose` ops (option `nchw-conv-as-nhwc`); convolutions
      that `nn-winograd-conv` took run before this pass;
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

    The options are the target's choices: the CPU pipeline sets them from
    the target's facts (lib/Target).

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
           "around an NHWC op, whose channels vectorize)">
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

#endif // ACC_CONVERSION_NNTOLINALG_PASSES_TD
