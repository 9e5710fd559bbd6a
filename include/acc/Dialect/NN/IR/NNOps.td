//===- NNOps.td - nn dialect operations --------------------*- tablegen -*-===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#ifndef ACC_DIALECT_NN_IR_NNOPS_TD
#define ACC_DIALECT_NN_IR_NNOPS_TD

include "acc/Dialect/NN/IR/NNDialect.td"
include "acc/Dialect/NN/IR/NNAttrs.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Type and attribute constraints
//===----------------------------------------------------------------------===//

def NN_Float : AnyTypeOf<[F16, BF16, F32]>;
def NN_Tensor : RankedTensorOf<[F16, BF16, F32]>;
def NN_Tensor4D : 4DTensorOf<[F16, BF16, F32]>;
def NN_Tensor3D : 3DTensorOf<[F16, BF16, F32]>;

def NN_PositiveI64 : ConfinedAttr<I64Attr, [IntPositive]>;
def NN_Pair : ConfinedAttr<DenseI64ArrayAttr, [DenseArrayCount<2>]>;
def NN_Quad : ConfinedAttr<DenseI64ArrayAttr, [DenseArrayCount<4>]>;

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

def NN_Conv2DOp : NN_Op<"conv2d", [Pure]> {
  let summary = "2-D convolution with optional bias, strides, dilations, "
                "padding and groups";
  let description = [{
    A 2-D cross-correlation, as in PyTorch and ONNX. The `layout` names the
    activation layout; the filter layout matches it:

    | layout | input          | filter              | result         |
    |--------|----------------|---------------------|----------------|
    | `nchw` | `[N, C, H, W]` | `[F, C/g, KH, KW]`  | `[N, F, OH, OW]` |
    | `nhwc` | `[N, H, W, C]` | `[KH, KW, C/g, F]`  | `[N, OH, OW, F]` |

    `strides` and `dilations` are `[h, w]` (default `[1, 1]`); `padding` is
    explicit zero padding `[top, left, bottom, right]` (ONNX order, default
    zeros). `groups` splits channels into `g` independent convolutions; both
    `C` and `F` must be multiples of it. `groups == C` is a depthwise
    convolution. The optional `bias` has shape `[F]`. The output size is
    `OH = floor((H + top + bottom - dilation_h * (KH - 1) - 1) / stride_h) + 1`
    and likewise for `OW`.

    Example:

    ```mlir
    %y = nn.conv2d %x, %w bias(%b) layout(nchw)
           {strides = array<i64: 2, 2>, padding = array<i64: 3, 3, 3, 3>}
         : (tensor<1x3x224x224xf32>, tensor<64x3x7x7xf32>, tensor<64xf32>)
           -> tensor<1x64x112x112xf32>
    ```
  }];
  let arguments = (ins NN_Tensor4D:$input, NN_Tensor4D:$filter,
      Optional<1DTensorOf<[F16, BF16, F32]>>:$bias,
      NN_Layout:$layout,
      DefaultValuedAttr<NN_Pair, "{1, 1}">:$strides,
      DefaultValuedAttr<NN_Pair, "{1, 1}">:$dilations,
      DefaultValuedAttr<NN_Quad, "{0, 0, 0, 0}">:$padding,
      DefaultValuedAttr<NN_PositiveI64, "1">:$groups);
  let results = (outs NN_Tensor4D:$output);
  let assemblyFormat = [{
    $input `,` $filter (`bias` `(` $bias^ `)`)? `layout` `(` $layout `)`
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    bool isNCHW() { return getLayout() == Layout::NCHW; }
    /// Number of output channels F.
    int64_t getNumOutputChannels();
    /// Kernel height and width.
    std::pair<int64_t, int64_t> getKernelSize();
  }];
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

def NN_AttentionOp : NN_Op<"attention", [Pure]> {
  let summary = "scaled dot-product attention with grouped-query heads and "
                "structural masks";
  let description = [{
    `softmax(scale * Q Kᵀ + mask) V` over the key dimension, computed per head.

    | operand | shape             |
    |---------|-------------------|
    | `query` | `[B, Hq, Nq, D]`  |
    | `key`   | `[B, Hkv, Nk, D]` |
    | `value` | `[B, Hkv, Nk, Dv]`|
    | result  | `[B, Hq, Nq, Dv]` |

    `Hq` must be a multiple of `Hkv`: query head `h` reads key/value head
    `h / (Hq / Hkv)` (grouped-query attention; `Hkv == 1` is multi-query).
    `scale` defaults to `1/sqrt(D)`.

    The structural `mask` is part of the op so that tilers can skip whole
    blocks. Query `i` sits at position `p(i) = i + Nk - Nq` (queries are
    aligned to the end of the keys, as when decoding with a KV cache); key `j`
    is visible to query `i` when

    * `none`: always;
    * `causal`: `j <= p(i)`;
    * `sliding_window`: `p(i) - window < j <= p(i)`, i.e. the `window` most
      recent keys including the query's own position. `window` is required
      for this kind and forbidden otherwise.

    An optional `additive_mask` (relative position bias, padding mask, ...) is
    added to the scaled scores; it broadcasts to `[B, Hq, Nq, Nk]` (rank 2 to
    4, each dimension equal or 1). A query row that sees no key yields zeros.

    Example:

    ```mlir
    %o = nn.attention %q, %k, %v mask(sliding_window) {window = 256 : i64}
         : (tensor<1x8x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>)
           -> tensor<1x8x?x64xf32>
    ```
  }];
  let arguments = (ins NN_Tensor4D:$query, NN_Tensor4D:$key, NN_Tensor4D:$value,
      Optional<NN_Tensor>:$additive_mask,
      DefaultValuedAttr<NN_MaskKind, "::acc::nn::MaskKind::None">:$mask,
      OptionalAttr<NN_PositiveI64>:$window,
      OptionalAttr<F32Attr>:$scale);
  let results = (outs NN_Tensor4D:$output);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`additive_mask` `(` $additive_mask^ `)`)?
    (`mask` `(` $mask^ `)`)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The scale applied to Q Kᵀ: the attribute or 1/sqrt(D).
    double getScaleOrDefault();
  }];
}

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

def NN_LinearOp : NN_Op<"linear", [Pure]> {
  let summary = "fully connected layer: x Wᵀ + b";
  let description = [{
    `input` has shape `[..., K]`, `weight` `[N, K]` (PyTorch's `nn.Linear`
    layout) and the optional `bias` `[N]`; the result is `[..., N]`.

    ```mlir
    %y = nn.linear %x, %w bias(%b)
         : (tensor<1x197x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>)
           -> tensor<1x197x3072xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, 2DTensorOf<[F16, BF16, F32]>:$weight,
      Optional<1DTensorOf<[F16, BF16, F32]>>:$bias);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = [{
    $input `,` $weight (`bias` `(` $bias^ `)`)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_MatmulOp : NN_Op<"matmul", [Pure]> {
  let summary = "batched matrix product with broadcast batch dimensions";
  let description = [{
    `lhs` `[..., M, K]` times `rhs` `[..., K, N]` gives `[..., M, N]`. Both
    operands have rank 2 or more; their batch dimensions broadcast as in NumPy
    (`torch.matmul` for operands of rank >= 2).

    ```mlir
    %c = nn.matmul %a, %b : (tensor<8x?x64xf32>, tensor<8x64x?xf32>)
                          -> tensor<8x?x?xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$lhs, NN_Tensor:$rhs);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Normalisation and softmax
//===----------------------------------------------------------------------===//

def NN_LayerNormOp : NN_Op<"layer_norm", [Pure, AttrSizedOperandSegments]> {
  let summary = "layer normalisation over the trailing dimensions";
  let description = [{
    Normalises over dimensions `[axis, rank)` (default: the last one):
    `(x - mean) / sqrt(var + epsilon) * weight + bias`, with the biased
    variance. The optional `weight` and `bias` have the shape of the
    normalised dimensions (`weight` is required when `bias` is present).

    ```mlir
    %y = nn.layer_norm %x weight(%g) bias(%b) {epsilon = 1.0e-06 : f32}
         : (tensor<1x?x768xf32>, tensor<768xf32>, tensor<768xf32>)
           -> tensor<1x?x768xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, Optional<NN_Tensor>:$weight,
      Optional<NN_Tensor>:$bias,
      DefaultValuedAttr<I64Attr, "-1">:$axis,
      DefaultValuedAttr<F32Attr, "1.0e-5f">:$epsilon);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = [{
    $input (`weight` `(` $weight^ `)`)? (`bias` `(` $bias^ `)`)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The first normalised dimension, in [0, rank).
    int64_t getNormalizedAxis();
  }];
}

def NN_BatchNormOp : NN_Op<"batch_norm", [Pure]> {
  let summary = "batch normalisation in inference form";
  let description = [{
    `(x - mean) / sqrt(variance + epsilon) * scale + bias` per channel, using
    the running statistics. The channel dimension is 1 for `layout(nchw)`
    (channels first) and the last one for `layout(nhwc)` (channels last); the
    input has rank 2 or more. `scale`, `bias`, `mean` and `variance` are `[C]`.
    When it follows a `conv2d` and all parameters are constants, the
    canonicalizer folds it into the convolution's filter and bias.

    ```mlir
    %y = nn.batch_norm %x, %s, %b, %m, %v layout(nchw) {epsilon = 1.0e-05 : f32}
         : (tensor<?x64x56x56xf32>, tensor<64xf32>, tensor<64xf32>,
            tensor<64xf32>, tensor<64xf32>) -> tensor<?x64x56x56xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, 1DTensorOf<[F16, BF16, F32]>:$scale,
      1DTensorOf<[F16, BF16, F32]>:$bias, 1DTensorOf<[F16, BF16, F32]>:$mean,
      1DTensorOf<[F16, BF16, F32]>:$variance, NN_Layout:$layout,
      DefaultValuedAttr<F32Attr, "1.0e-5f">:$epsilon);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = [{
    $input `,` $scale `,` $bias `,` $mean `,` $variance
    `layout` `(` $layout `)` attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getChannelAxis() {
      return getLayout() == Layout::NCHW
                 ? 1
                 : getInput().getType().getRank() - 1;
    }
  }];
}

def NN_SoftmaxOp : NN_Op<"softmax", [Pure, SameOperandsAndResultType]> {
  let summary = "softmax along one axis";
  let description = [{
    `exp(x - max) / sum(exp(x - max))` along `axis` (default `-1`, the last).

    ```mlir
    %p = nn.softmax %s {axis = -1 : i64} : tensor<1x8x?x?xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

class NN_UnaryOp<string mnemonic, string formula, list<Trait> traits = []>
    : NN_Op<mnemonic, !listconcat([Pure, SameOperandsAndResultType,
                                   Elementwise], traits)> {
  let summary = mnemonic # " activation: " # formula;
  let description = [{
    Applies `}] # formula # [{` to every element.

    ```mlir
    %y = nn.}] # mnemonic # [{ %x : tensor<1x?x768xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def NN_ReluOp : NN_UnaryOp<"relu", "max(x, 0)"> { let hasFolder = 1; }
def NN_SiluOp : NN_UnaryOp<"silu", "x * sigmoid(x)">;
def NN_SigmoidOp : NN_UnaryOp<"sigmoid", "1 / (1 + exp(-x))">;
def NN_HardSwishOp : NN_UnaryOp<"hardswish", "x * min(max(x + 3, 0), 6) / 6">;

def NN_HardSigmoidOp : NN_Op<"hardsigmoid", [Pure, SameOperandsAndResultType,
                                             Elementwise]> {
  let summary = "hardsigmoid activation: max(0, min(1, alpha * x + beta))";
  let description = [{
    Applies `max(0, min(1, alpha * x + beta))` to every element. The defaults
    `alpha = 1/6`, `beta = 1/2` are PyTorch's; ONNX's `HardSigmoid` defaults
    to `alpha = 0.2`.

    ```mlir
    %y = nn.hardsigmoid %x {alpha = 2.000000e-01 : f32} : tensor<4xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input,
      DefaultValuedAttr<F32Attr, "1.0f / 6.0f">:$alpha,
      DefaultValuedAttr<F32Attr, "0.5f">:$beta);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def NN_ClampOp : NN_Op<"clamp", [Pure, SameOperandsAndResultType,
                                   Elementwise]> {
  let summary = "clamp to [min, max] (ReLU6 is min = 0, max = 6)";
  let description = [{
    `min(max(x, min), max)` for every element, with either bound optional
    (ONNX's `Clip`, PyTorch's `clamp` and `hardtanh`; MobileNet's ReLU6 is
    `{min = 0, max = 6}`). A NaN input stays NaN. `min` must not exceed
    `max`.

    ```mlir
    %y = nn.clamp %x {max = 6.000000e+00 : f32, min = 0.000000e+00 : f32}
         : tensor<1x32x112x112xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, OptionalAttr<F32Attr>:$min,
      OptionalAttr<F32Attr>:$max);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def NN_GeluOp : NN_Op<"gelu", [Pure, SameOperandsAndResultType, Elementwise]> {
  let summary = "gelu activation, exact or tanh-approximated";
  let description = [{
    `approximate(none)` (the default) is `x * (1 + erf(x / sqrt(2))) / 2`;
    `approximate(tanh)` is
    `x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3))) / 2`.

    ```mlir
    %y = nn.gelu %x approximate(tanh) : tensor<1x?x3072xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input,
      DefaultValuedAttr<NN_GeluApproximation,
                        "::acc::nn::GeluApproximation::None">:$approximate);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = [{
    $input (`approximate` `(` $approximate^ `)`)? attr-dict `:` type($input)
  }];
}

//===----------------------------------------------------------------------===//
// Elementwise binary arithmetic
//===----------------------------------------------------------------------===//

class NN_BinaryOp<string mnemonic, string symbol>
    : NN_Op<mnemonic, [Pure]> {
  let summary = "elementwise " # mnemonic # " with NumPy broadcasting";
  let description = [{
    `lhs }] # symbol # [{ rhs` elementwise. Shapes broadcast as in NumPy:
    trailing dimensions are aligned and each pair must be equal or contain a 1.

    ```mlir
    %y = nn.}] # mnemonic # [{ %x, %b : (tensor<1x?x768xf32>, tensor<768xf32>)
                                -> tensor<1x?x768xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$lhs, NN_Tensor:$rhs);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def NN_AddOp : NN_BinaryOp<"add", "+">;
def NN_SubOp : NN_BinaryOp<"sub", "-">;
def NN_MulOp : NN_BinaryOp<"mul", "*">;
def NN_DivOp : NN_BinaryOp<"div", "/">;

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

class NN_Pool2DOp<string mnemonic, string what, dag extraArgs = (ins)>
    : NN_Op<mnemonic, [Pure]> {
  let summary = what # " pooling over 2-D windows";
  let arguments = !con((ins NN_Tensor4D:$input, NN_Layout:$layout,
      NN_Pair:$kernel_size,
      DefaultValuedAttr<NN_Pair, "{1, 1}">:$strides,
      DefaultValuedAttr<NN_Quad, "{0, 0, 0, 0}">:$padding,
      DefaultValuedAttr<BoolAttr, "false">:$ceil_mode), extraArgs);
  let results = (outs NN_Tensor4D:$output);
  let assemblyFormat = [{
    $input `layout` `(` $layout `)` attr-dict `:` type($input) `->` type($output)
  }];
  let hasVerifier = 1;
}

def NN_MaxPool2DOp : NN_Pool2DOp<"max_pool2d", "max"> {
  let description = [{
    The maximum over `kernel_size` windows moved by `strides`; `padding` is
    `[top, left, bottom, right]` and padded positions never win. With
    `ceil_mode` the output size rounds up (a window must still start inside
    the input or its left padding). Layouts as for `nn.conv2d`.

    ```mlir
    %y = nn.max_pool2d %x layout(nchw)
           {kernel_size = array<i64: 3, 3>, strides = array<i64: 2, 2>,
            padding = array<i64: 1, 1, 1, 1>}
         : tensor<1x64x112x112xf32> -> tensor<1x64x56x56xf32>
    ```
  }];
}

def NN_AvgPool2DOp : NN_Pool2DOp<"avg_pool2d", "average",
    (ins DefaultValuedAttr<BoolAttr, "false">:$count_include_pad)> {
  let description = [{
    The mean over `kernel_size` windows moved by `strides`. With
    `count_include_pad` the divisor is the full window (PyTorch's default);
    without it (ONNX's default), only the positions inside the input count.

    ```mlir
    %y = nn.avg_pool2d %x layout(nhwc)
           {kernel_size = array<i64: 2, 2>, strides = array<i64: 2, 2>}
         : tensor<1x56x56x64xf32> -> tensor<1x28x28x64xf32>
    ```
  }];
}

def NN_GlobalAvgPool2DOp : NN_Op<"global_avg_pool2d", [Pure]> {
  let summary = "mean over the spatial dimensions, keeping them as size 1";
  let description = [{
    `[N, C, H, W] -> [N, C, 1, 1]` for `layout(nchw)` and
    `[N, H, W, C] -> [N, 1, 1, C]` for `layout(nhwc)` (ONNX's
    `GlobalAveragePool`).

    ```mlir
    %y = nn.global_avg_pool2d %x layout(nchw)
         : tensor<?x512x7x7xf32> -> tensor<?x512x1x1xf32>
    ```
  }];
  let arguments = (ins NN_Tensor4D:$input, NN_Layout:$layout);
  let results = (outs NN_Tensor4D:$output);
  let assemblyFormat = [{
    $input `layout` `(` $layout `)` attr-dict `:` type($input) `->` type($output)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Reshapes between images, tokens, windows and heads
//===----------------------------------------------------------------------===//

def NN_ImageToTokensOp : NN_Op<"image_to_tokens", [Pure]> {
  let summary = "flatten an image into a token sequence [B, H*W, C]";
  let description = [{
    `[B, C, H, W]` (`nchw`) or `[B, H, W, C]` (`nhwc`) becomes `[B, H*W, C]`;
    token `t` is pixel `(t / W, t % W)` (row-major). For `nchw` this is
    `x.flatten(2).transpose(1, 2)` in PyTorch.

    ```mlir
    %t = nn.image_to_tokens %x layout(nchw)
         : tensor<1x768x14x14xf32> -> tensor<1x196x768xf32>
    ```
  }];
  let arguments = (ins NN_Tensor4D:$input, NN_Layout:$layout);
  let results = (outs NN_Tensor3D:$output);
  let assemblyFormat = [{
    $input `layout` `(` $layout `)` attr-dict `:` type($input) `->` type($output)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def NN_TokensToImageOp : NN_Op<"tokens_to_image", [Pure]> {
  let summary = "fold a token sequence [B, H*W, C] back into an image";
  let description = [{
    The inverse of `nn.image_to_tokens`: `[B, H*W, C]` becomes `[B, C, H, W]`
    (`nchw`) or `[B, H, W, C]` (`nhwc`). `height` and `width` are static
    attributes; the token count must be their product.

    ```mlir
    %x = nn.tokens_to_image %t layout(nhwc) {height = 14 : i64, width = 14 : i64}
         : tensor<?x196x768xf32> -> tensor<?x14x14x768xf32>
    ```
  }];
  let arguments = (ins NN_Tensor3D:$input, NN_Layout:$layout,
      NN_PositiveI64:$height, NN_PositiveI64:$width);
  let results = (outs NN_Tensor4D:$output);
  let assemblyFormat = [{
    $input `layout` `(` $layout `)` attr-dict `:` type($input) `->` type($output)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def NN_PatchEmbedOp : NN_Op<"patch_embed", [Pure]> {
  let summary = "non-overlapping patch embedding (ViT): image to tokens";
  let description = [{
    Cuts the image into `patch_size` patches and projects each to `E`
    channels: exactly `nn.conv2d` with kernel and stride equal to the patch
    size, followed by `nn.image_to_tokens`. The filter is in the layout's
    convolution filter layout (`[E, C, PH, PW]` for `nchw`,
    `[PH, PW, C, E]` for `nhwc`); `bias` is `[E]`. Static `H` and `W` must be
    multiples of the patch size. The result is `[B, (H/PH)*(W/PW), E]`.

    ```mlir
    %t = nn.patch_embed %x, %w bias(%b) layout(nchw)
         : (tensor<1x3x224x224xf32>, tensor<768x3x16x16xf32>, tensor<768xf32>)
           -> tensor<1x196x768xf32>
    ```
  }];
  let arguments = (ins NN_Tensor4D:$input, NN_Tensor4D:$filter,
      Optional<1DTensorOf<[F16, BF16, F32]>>:$bias, NN_Layout:$layout);
  let results = (outs NN_Tensor3D:$output);
  let assemblyFormat = [{
    $input `,` $filter (`bias` `(` $bias^ `)`)? `layout` `(` $layout `)`
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_WindowPartitionOp : NN_Op<"window_partition", [Pure]> {
  let summary = "split an NHWC image into non-overlapping windows (Swin)";
  let description = [{
    `[B, H, W, C]` becomes `[B * (H/wh) * (W/ww), wh * ww, C]`: window
    `(b, i, j)` is row `b * (H/wh) * (W/ww) + i * (W/ww) + j` and its tokens
    are in row-major order. Static `H` and `W` must be multiples of
    `window_size = [wh, ww]`.

    ```mlir
    %w = nn.window_partition %x {window_size = array<i64: 7, 7>}
         : tensor<1x56x56x96xf32> -> tensor<64x49x96xf32>
    ```
  }];
  let arguments = (ins NN_Tensor4D:$input, NN_Pair:$window_size);
  let results = (outs NN_Tensor3D:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def NN_WindowMergeOp : NN_Op<"window_merge", [Pure]> {
  let summary = "merge Swin windows back into an NHWC image";
  let description = [{
    The inverse of `nn.window_partition`: `[B * (H/wh) * (W/ww), wh * ww, C]`
    becomes `[B, H, W, C]`, with `height = H` and `width = W` given as
    attributes.

    ```mlir
    %x = nn.window_merge %w {window_size = array<i64: 7, 7>,
                             height = 56 : i64, width = 56 : i64}
         : tensor<64x49x96xf32> -> tensor<1x56x56x96xf32>
    ```
  }];
  let arguments = (ins NN_Tensor3D:$input, NN_Pair:$window_size,
      NN_PositiveI64:$height, NN_PositiveI64:$width);
  let results = (outs NN_Tensor4D:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def NN_SplitHeadsOp : NN_Op<"split_heads", [Pure]> {
  let summary = "[B, N, H*D] to [B, H, N, D]";
  let description = [{
    Splits the channel dimension into `num_heads` heads and moves the head
    dimension before the sequence: `x.view(B, N, H, D).transpose(1, 2)`.

    ```mlir
    %h = nn.split_heads %x {num_heads = 12 : i64}
         : tensor<1x?x768xf32> -> tensor<1x12x?x64xf32>
    ```
  }];
  let arguments = (ins NN_Tensor3D:$input, NN_PositiveI64:$num_heads);
  let results = (outs NN_Tensor4D:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def NN_MergeHeadsOp : NN_Op<"merge_heads", [Pure]> {
  let summary = "[B, H, N, D] to [B, N, H*D]";
  let description = [{
    The inverse of `nn.split_heads`: `x.transpose(1, 2).reshape(B, N, H*D)`.

    ```mlir
    %x = nn.merge_heads %h : tensor<1x12x?x64xf32> -> tensor<1x?x768xf32>
    ```
  }];
  let arguments = (ins NN_Tensor4D:$input);
  let results = (outs NN_Tensor3D:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Blocks
//===----------------------------------------------------------------------===//

def NN_BlockOp : NN_Op<"block", [
    RecursiveMemoryEffects, SingleBlockImplicitTerminator<"YieldOp">]> {
  let summary = "a named convolution, attention or hybrid block";
  let description = [{
    Groups a region of ops into one named unit of the model, so that passes
    and the cost model can work and report per block. The region has no
    arguments: it uses values defined above it, and `nn.yield` gives the
    block's results. `kind` says what the block is; it does not change the
    meaning of the ops inside. `nn-inline-blocks` removes every block and
    leaves its ops in place.

    ```mlir
    %y = nn.block "stem" kind(convolution) -> tensor<1x64x56x56xf32> {
      %c = nn.conv2d %x, %w layout(nchw) {...} : ...
      %r = nn.relu %c : tensor<1x64x56x56xf32>
      nn.yield %r : tensor<1x64x56x56xf32>
    }
    ```
  }];
  let arguments = (ins StrAttr:$name, NN_BlockKind:$kind);
  let results = (outs Variadic<AnyType>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $name `kind` `(` $kind `)` (`->` type($results)^)? attr-dict-with-keyword
    $body
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    YieldOp getYield();
  }];
}

def NN_YieldOp : NN_Op<"yield", [Pure, Terminator, ReturnLike,
                                 HasParent<"BlockOp">]> {
  let summary = "terminates an nn.block and gives its results";
  let description = [{
    ```mlir
    nn.yield %r : tensor<1x64x56x56xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyType>:$values);
  let builders = [OpBuilder<(ins), [{ /* nothing to yield */ }]>];
  let assemblyFormat = "attr-dict ($values^ `:` type($values))?";
}

#endif // ACC_DIALECT_NN_IR_NNOPS_TD
