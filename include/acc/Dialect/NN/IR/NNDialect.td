//===- NNDialect.td - nn dialect definition ----------------*- tablegen -*-===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#ifndef ACC_DIALECT_NN_IR_NNDIALECT_TD
#define ACC_DIALECT_NN_IR_NNDIALECT_TD

include "mlir/IR/OpBase.td"

def NN_Dialect : Dialect {
  let name = "nn";
  let cppNamespace = "::acc::nn";
  let summary = "Convolution, attention and hybrid blocks on tensors";
  let description = [{
    The `nn` dialect is acc's entry level. It expresses the two workhorses of
    modern models, convolution and attention, and the few operators that glue
    them together into hybrid models (normalisations, activations, elementwise
    arithmetic, pooling and the reshapes between images and token sequences).

    Ops work on ranked tensors with value semantics. Batch, sequence length and
    spatial sizes may be dynamic (`?`); everything static is verified. `f32` is
    the primary element type; `f16` and `bf16` are accepted wherever the math
    allows, and all operands and results of an op share one element type.

    The dialect is not named `acc`: MLIR's OpenACC dialect owns that name.
  }];
  let hasConstantMaterializer = 1;
  let usePropertiesForAttributes = 1;
  let useDefaultAttributePrinterParser = 1;
}

class NN_Op<string mnemonic, list<Trait> traits = []>
    : Op<NN_Dialect, mnemonic, traits>;

#endif // ACC_DIALECT_NN_IR_NNDIALECT_TD
