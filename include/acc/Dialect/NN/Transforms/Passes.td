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

#endif // ACC_DIALECT_NN_TRANSFORMS_PASSES_TD
