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
