//===- NNAttrs.td - nn dialect enums and attributes --------*- tablegen -*-===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#ifndef ACC_DIALECT_NN_IR_NNATTRS_TD
#define ACC_DIALECT_NN_IR_NNATTRS_TD

include "acc/Dialect/NN/IR/NNDialect.td"
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

#endif // ACC_DIALECT_NN_IR_NNATTRS_TD
