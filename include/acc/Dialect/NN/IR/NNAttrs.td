//===- NNAttrs.td - nn dialect enums and attributes --------*- tablegen -*-===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#ifndef ACC_DIALECT_NN_IR_NNATTRS_TD
#define ACC_DIALECT_NN_IR_NNATTRS_TD

include "acc/Dialect/NN/IR/NNDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/IR/EnumAttr.td"

// The enums are integer-backed and appear as bare keywords in the custom
// assembly of the ops that use them (`layout(nhwc)`, `mask(causal)`).

def NN_Layout : I32EnumAttr<"Layout", "activation layout of an image tensor", [
    I32EnumAttrCase<"NCHW", 0, "nchw">,
    I32EnumAttrCase<"NHWC", 1, "nhwc">
  ]> {
  let cppNamespace = "::acc::nn";
}

def NN_MaskKind : I32EnumAttr<"MaskKind", "structural attention mask", [
    I32EnumAttrCase<"None", 0, "none">,
    I32EnumAttrCase<"Causal", 1, "causal">,
    I32EnumAttrCase<"SlidingWindow", 2, "sliding_window">
  ]> {
  let cppNamespace = "::acc::nn";
}

def NN_GeluApproximation : I32EnumAttr<"GeluApproximation",
    "approximation used by gelu", [
    I32EnumAttrCase<"None", 0, "none">,
    I32EnumAttrCase<"Tanh", 1, "tanh">
  ]> {
  let cppNamespace = "::acc::nn";
}

def NN_BlockKind : I32EnumAttr<"BlockKind", "kind of an nn.block", [
    I32EnumAttrCase<"Convolution", 0, "convolution">,
    I32EnumAttrCase<"Attention", 1, "attention">,
    I32EnumAttrCase<"Hybrid", 2, "hybrid">
  ]> {
  let cppNamespace = "::acc::nn";
}

// How a target tiles one op: written by the target's strategy pass
// (nn-cpu-select-tile-sizes), read by its tiling pass, dropped after tiling.

def NN_LoweringConfigAttr : AttrDef<NN_Dialect, "LoweringConfig"> {
  let mnemonic = "lowering_config";
  let summary = "A target's tile sizes and loop order for one op";
  let description = [{
    Set on a root of tile-and-fuse (a linalg op that no consumer's tile
    takes in) as the discardable attribute `nn.lowering_config` by a
    target's strategy pass, and read by that target's tiling pass: the
    strategy chooses, the shared mechanism applies (docs/Architecture.md).

    - `tile_sizes`: one size per loop of the op, 0 for a loop left whole;
      empty for an op with no parallel loop to tile (a reduction to one
      value, which the CPU splits into chunks instead).
    - `interchange` (optional): the order of the tile loops, outermost
      first, as loop indices of the op.

    ```mlir
    %0 = linalg.generic {..., nn.lowering_config = #nn.lowering_config<
           tile_sizes = array<i64: 1, 1, 8, 32, 0, 0, 0>>} ...
    ```
  }];
  let parameters = (ins
    "::mlir::DenseI64ArrayAttr":$tile_sizes,
    OptionalParameter<"::mlir::DenseI64ArrayAttr">:$interchange
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let extraClassDeclaration = [{
    /// The discardable attribute name it is stored under.
    static constexpr ::llvm::StringLiteral getAttrName() {
      return ::llvm::StringLiteral("nn.lowering_config");
    }
  }];
}

#endif // ACC_DIALECT_NN_IR_NNATTRS_TD
