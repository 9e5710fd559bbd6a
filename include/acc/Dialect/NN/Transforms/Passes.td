//===- Passes.td - nn graph passes -------------------------*- tablegen -*-===//
//
// Part of the acc project.
//
// Keep the passes in alphabetical order; every flag starts with `nn-`.
//
//===----------------------------------------------------------------------===//

#ifndef ACC_DIALECT_NN_TRANSFORMS_PASSES_TD
#define ACC_DIALECT_NN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def NNCostReport : Pass<"nn-cost-report", "::mlir::ModuleOp"> {
  let summary = "Print FLOPs, bytes, parameters and scaling of every nn op, "
                "block and function";
  let description = [{
    Runs the cost model (acc/Analysis/CostModel.h) and prints its report: one
    row per op and block with FLOPs, MACs, bytes moved (op by op and
    unfused), parameters and the scaling class in each dynamic symbol; per
    function the totals, the largest intermediate, arithmetic intensity, a
    roofline estimate, the convolution/attention crossover and the receptive
    field after each convolution or pooling. With dynamic dims every figure is
    an exact polynomial in named symbols (`nn.dims` argument attribute, or
    names derived from how the argument is used).

    The IR is not changed. `format=json` prints the stable schema documented
    in docs/CostModel.md; `output=FILE` writes the report to a file instead
    of standard output (useful with JSON, since acc-opt prints the IR after
    it).

    ```
    acc-opt model.mlir --nn-cost-report -o /dev/null
    acc-opt model.mlir --nn-cost-report="format=json output=cost.json" -o /dev/null
    ```
  }];
  let options = [
    Option<"format", "format", "std::string", /*default=*/"\"text\"",
           "Report format: text (an aligned table) or json">,
    Option<"output", "output", "std::string", /*default=*/"\"-\"",
           "Where to write the report ('-' for standard output)">,
    Option<"peakGflops", "peak-gflops", "double", /*default=*/"330.0",
           "Peak compute for the roofline estimate, in GFLOP/s (default: "
           "fp32 AVX-512 FMA on 2 cores of the reference machine)">,
    Option<"bandwidthGBs", "bandwidth-gbs", "double", /*default=*/"26.0",
           "Memory bandwidth for the roofline estimate, in GB/s (default: "
           "STREAM triad on 2 cores of the reference machine)">
  ];
}

def NNInlineBlocks : Pass<"nn-inline-blocks"> {
  let summary = "Inline every nn.block, leaving its ops in place";
  let description = [{
    Blocks group ops for reporting and for block-level passes; they carry no
    semantics of their own. This pass replaces each `nn.block` by the ops of
    its body and its results by the values its `nn.yield` gives, innermost
    blocks first. Lowering pipelines run it before tiling.

    ```mlir
    %y = nn.block "act" kind(convolution) -> tensor<4xf32> {
      %r = nn.relu %x : tensor<4xf32>
      nn.yield %r : tensor<4xf32>
    }
    // becomes
    %y = nn.relu %x : tensor<4xf32>
    ```
  }];
  let dependentDialects = ["::acc::nn::NNDialect"];
}

def NNRaise : Pass<"nn-raise"> {
  let summary = "Raise decomposed subgraphs to nn ops: attention, GELU, "
                "linear with bias, layer norm";
  let description = [{
    Exporters (PyTorch to ONNX in particular) write the composite ops of a
    model as their pieces. This pass finds the pieces and puts the nn op back,
    so that the CPU and GPU pipelines see what they have fused kernels for:

    * `matmul(softmax(scale * matmul(Q, Kt) [+ mask]), V)` becomes
      `nn.attention` (the scale may sit on `Q` or on the scores, as a `mul` or
      a `div` by a scalar constant; `Kt` becomes `K` by one transpose, folded
      into the transpose that produced `Kt`). Rank-3 operands (heads folded
      into the batch) are viewed as `[1, B*H, N, D]`. A constant mask that is
      0 on and below the diagonal and -inf (or below -1e9) above is
      `mask(causal)`; any other mask is the op's `additive_mask`.
    * `0.5 * x * (1 + erf(x / sqrt(2)))` (in the association orders that
      exporters produce) becomes `nn.gelu`.
    * `add(linear(x, W), b)` with `b` a vector of the output width (or of
      shape `[1, ..., 1, N]`) becomes `linear(x, W) bias(b)`.
    * `(x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps)` over the last
      dimension (PyTorch's export of LayerNorm before opset 17: the means
      as sums scaled by 1/n) becomes `nn.layer_norm`, and a following
      `mul` by a constant scale and `add` of a constant shift of the
      normalised shape become its `weight` and `bias`.

    Every intermediate that is replaced must have no other users; otherwise
    the subgraph is left as it is.

    ```mlir
    %s = nn.matmul %q, %kt : (tensor<12x197x64xf32>, tensor<12x64x197xf32>)
                             -> tensor<12x197x197xf32>
    %p = nn.softmax %s : tensor<12x197x197xf32>
    %o = nn.matmul %p, %v : (tensor<12x197x197xf32>, tensor<12x197x64xf32>)
                            -> tensor<12x197x64xf32>
    // becomes (with %k the transpose of %kt)
    %o4 = nn.attention %q4, %k4, %v4 {scale = 1.0 : f32} : ...
    ```
  }];
  let dependentDialects = ["::acc::nn::NNDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif // ACC_DIALECT_NN_TRANSFORMS_PASSES_TD
