//===- Passes.td - passes every target shares --------------*- tablegen -*-===//
//
// Part of the acc project.
//
// Code generation passes that every target shares (the CPU backend today,
// the GPU backend next). Every flag starts with `nn-`.
// Keep the definitions in alphabetical order.
//
//===----------------------------------------------------------------------===//

#ifndef ACC_CODEGEN_COMMON_PASSES_TD
#define ACC_CODEGEN_COMMON_PASSES_TD

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

def NNWinogradConv : Pass<"nn-winograd-conv"> {
  let summary = "Compute 3x3 stride-1 convolutions by Winograd's algorithm";
  let description = [{
    Rewrites `nn.conv2d` ops that are 3x3, stride 1, undilated, ungrouped,
    f32, with static shapes, a constant filter and channels in multiples of
    16 into Winograd F(4x4,3x3) or F(2x2,3x3): the filter is transformed at
    compile time (in double, rounded once) into GEMM panels, the input and
    output transforms are `scf.forall` nests of vector ops (the output
    transform also computes the bias and a residual add and ReLU that
    follow), and the GEMMs of the transformed tiles are one
    `linalg.generic`. A convolution whose transformed filter would take more
    than `max-filter-bytes` (or 64 KiB per output tile), or whose
    transformed tiles would take more than 256 MiB, stays direct. The
    target picks the threshold (the CPU pipeline's
    `winograd-max-filter-bytes`); other convolutions are left to
    `nn-lower-to-linalg`. Rationale and measurements: docs/CPUCodegen.md.
  }];
  let options = [
    Option<"maxFilterBytes", "max-filter-bytes", "int64_t",
           /*default=*/"4194304",
           "Largest transformed filter (bytes) computed by Winograd "
           "(0: never)">
  ];
  let statistics = [
    Statistic<"numWinograd", "convolutions-winograd",
              "Convolutions computed by Winograd">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect"
  ];
}

#endif // ACC_CODEGEN_COMMON_PASSES_TD
