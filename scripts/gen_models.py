#!/usr/bin/python3
"""Generate torchvision models as MLIR in acc's `nn` dialect.

Usage:
  scripts/gen_models.py MODEL [--dynamic-batch] [-o FILE]
  scripts/gen_models.py --list

MODEL is one of: resnet18, vit_b_16. The input is one 3x224x224 NCHW fp32
image (batch 1, or `?` with --dynamic-batch). Every weight is a function
argument (nothing is a constant), so the files stay small; the function is
named after the model (`@resnet18`, `@vit_b_16`). Layers are grouped in
`nn.block` regions named after torchvision's modules ("stem", "layer1.0",
"patch_embed", "encoder_layer_0", ...).

Standard library only; the shapes are tracked here, in Python, so every type
in the output is exact.
"""

import argparse
import sys


# ---------------------------------------------------------------------------
# Values, types and the IR builder
# ---------------------------------------------------------------------------

def tensor_type(shape):
    """`tensor<1x64x56x56xf32>`; a dim of None prints as `?`."""
    dims = "x".join("?" if d is None else str(d) for d in shape)
    return "tensor<%sxf32>" % dims


class Value:
    """An SSA value: its name (without `%`) and its shape."""

    def __init__(self, name, shape):
        self.name = name
        self.shape = tuple(shape)

    @property
    def ref(self):
        return "%" + self.name

    @property
    def type(self):
        return tensor_type(self.shape)


def _types(*values):
    return ", ".join(v.type for v in values)


class Builder:
    """Accumulates the arguments and body of one `func.func`.

    `batch` is the leading dim of every activation: 1, or None for `?`.
    Weights never carry it.
    """

    def __init__(self, batch):
        self.batch = batch
        self.args = []        # Values, in order
        self.lines = []       # body lines, already indented
        self.depth = 1        # indentation level of the next body line
        self._used = set()    # SSA names handed out so far

    # -- names --------------------------------------------------------------

    def _fresh(self, hint):
        base = "".join(c if c.isalnum() or c == "_" else "_" for c in hint)
        name, n = base, 1
        while name in self._used:
            name = "%s_%d" % (base, n)
            n += 1
        self._used.add(name)
        return name

    # -- arguments ------------------------------------------------------------

    def arg(self, name, shape):
        """A new function argument (a weight or an input)."""
        assert name not in self._used, "duplicate argument %s" % name
        v = Value(self._fresh(name), shape)
        self.args.append(v)
        return v

    def activation_arg(self, name, shape):
        """A function argument with the batch dim in front of `shape`."""
        return self.arg(name, (self.batch,) + tuple(shape))

    # -- body ---------------------------------------------------------------

    def comment(self, text):
        self.lines.append("  " * self.depth + "// " + text)

    def emit(self, hint, text, shape):
        """Emits `%hint = text` and returns the new Value of shape `shape`."""
        v = Value(self._fresh(hint), shape)
        self.lines.append("  " * self.depth + "%s = %s" % (v.ref, text))
        return v

    def block(self, name, kind, build):
        """`nn.block "name" kind(kind)` around the ops `build()` emits.

        `build` returns the Value the block yields.
        """
        start = len(self.lines)
        self.depth += 1
        result = build()
        self.lines.append("  " * self.depth + "nn.yield %s : %s"
                          % (result.ref, result.type))
        self.depth -= 1
        v = Value(self._fresh(name), result.shape)
        self.lines.insert(start, "  " * self.depth
                          + '%s = nn.block "%s" kind(%s) -> %s {'
                          % (v.ref, name, kind, v.type))
        self.lines.append("  " * self.depth + "}")
        return v

    def render(self, func_name, results, header):
        out = ["// " + l if l else "//" for l in header]
        out.append("")
        out.append("func.func @%s(" % func_name)
        for i, a in enumerate(self.args):
            sep = "," if i + 1 < len(self.args) else ""
            out.append("    %s: %s%s" % (a.ref, a.type, sep))
        res_types = ", ".join(r.type for r in results)
        if len(results) > 1:
            res_types = "(%s)" % res_types
        out.append("  ) -> %s {" % res_types)
        out.extend(self.lines)
        out.append("  return %s : %s" % (", ".join(r.ref for r in results),
                                         ", ".join(r.type for r in results)))
        out.append("}")
        return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------
# One helper per nn op (shape inference included)
# ---------------------------------------------------------------------------

def _pair(v):
    return "array<i64: %d, %d>" % (v, v)


def _conv_out(size, kernel, stride, pad):
    return (size + 2 * pad - kernel) // stride + 1


def conv2d(b, hint, x, w, bias=None, stride=1, pad=0):
    n, c, h, wd = x.shape
    f, cin, kh, kw = w.shape
    assert cin == c, "%s: %d input channels, filter wants %d" % (hint, c, cin)
    shape = (n, f, _conv_out(h, kh, stride, pad), _conv_out(wd, kw, stride, pad))
    attrs = []
    if stride != 1:
        attrs.append("strides = " + _pair(stride))
    if pad:
        attrs.append("padding = array<i64: %d, %d, %d, %d>" % ((pad,) * 4))
    attr_text = " {%s}" % ", ".join(attrs) if attrs else ""
    operands = [x, w] + ([bias] if bias is not None else [])
    bias_text = " bias(%s)" % bias.ref if bias is not None else ""
    return b.emit(hint, "nn.conv2d %s, %s%s layout(nchw)%s : (%s) -> %s"
                  % (x.ref, w.ref, bias_text, attr_text, _types(*operands),
                     tensor_type(shape)), shape)


def batch_norm(b, hint, x, prefix):
    """Inference batch norm; scale/bias/mean/var become `%<prefix>_*` args."""
    c = x.shape[1]
    params = [b.arg("%s_%s" % (prefix, p), (c,))
              for p in ("scale", "bias", "mean", "var")]
    return b.emit(hint, "nn.batch_norm %s layout(nchw) : (%s) -> %s"
                  % (", ".join(v.ref for v in [x] + params),
                     _types(x, *params), x.type), x.shape)


def relu(b, hint, x):
    return b.emit(hint, "nn.relu %s : %s" % (x.ref, x.type), x.shape)


def gelu(b, hint, x):
    """Exact (erf) gelu, the default of nn.gelu and of torch."""
    return b.emit(hint, "nn.gelu %s : %s" % (x.ref, x.type), x.shape)


def add(b, hint, x, y):
    assert x.shape == y.shape, "%s: %s + %s" % (hint, x.shape, y.shape)
    return b.emit(hint, "nn.add %s, %s : (%s) -> %s"
                  % (x.ref, y.ref, _types(x, y), x.type), x.shape)


def max_pool2d(b, hint, x, kernel, stride, pad):
    n, c, h, w = x.shape
    shape = (n, c, _conv_out(h, kernel, stride, pad),
             _conv_out(w, kernel, stride, pad))
    return b.emit(hint, "nn.max_pool2d %s layout(nchw) {kernel_size = %s, "
                  "strides = %s, padding = array<i64: %d, %d, %d, %d>} : %s -> %s"
                  % (x.ref, _pair(kernel), _pair(stride), pad, pad, pad, pad,
                     x.type, tensor_type(shape)), shape)


def global_avg_pool2d(b, hint, x):
    shape = x.shape[:2] + (1, 1)
    return b.emit(hint, "nn.global_avg_pool2d %s layout(nchw) : %s -> %s"
                  % (x.ref, x.type, tensor_type(shape)), shape)


def image_to_tokens(b, hint, x):
    n, c, h, w = x.shape
    shape = (n, h * w, c)
    return b.emit(hint, "nn.image_to_tokens %s layout(nchw) : %s -> %s"
                  % (x.ref, x.type, tensor_type(shape)), shape)


def linear(b, hint, x, prefix, out_features, bias=True):
    """`x Wᵀ + b`; W (`%<prefix>_w`) and b (`%<prefix>_b`) become args."""
    w = b.arg(prefix + "_w", (out_features, x.shape[-1]))
    operands = [x, w]
    bias_text = ""
    if bias:
        bv = b.arg(prefix + "_b", (out_features,))
        operands.append(bv)
        bias_text = " bias(%s)" % bv.ref
    shape = x.shape[:-1] + (out_features,)
    return b.emit(hint, "nn.linear %s, %s%s : (%s) -> %s"
                  % (x.ref, w.ref, bias_text, _types(*operands),
                     tensor_type(shape)), shape)


def layer_norm(b, hint, x, prefix, eps):
    """LayerNorm over the last dim; `%<prefix>_w`, `%<prefix>_b` are args."""
    c = x.shape[-1]
    g = b.arg(prefix + "_w", (c,))
    beta = b.arg(prefix + "_b", (c,))
    return b.emit(hint, "nn.layer_norm %s weight(%s) bias(%s) {epsilon = %s : f32}"
                  " : (%s) -> %s"
                  % (x.ref, g.ref, beta.ref, "%.1e" % eps, _types(x, g, beta),
                     x.type), x.shape)


def patch_embed(b, hint, x, w, bias):
    n, c, h, wd = x.shape
    e, cin, ph, pw = w.shape
    assert cin == c and h % ph == 0 and wd % pw == 0
    shape = (n, (h // ph) * (wd // pw), e)
    return b.emit(hint, "nn.patch_embed %s, %s bias(%s) layout(nchw) : (%s) -> %s"
                  % (x.ref, w.ref, bias.ref, _types(x, w, bias),
                     tensor_type(shape)), shape)


def split_heads(b, hint, x, heads):
    n, s, c = x.shape
    assert c % heads == 0
    shape = (n, heads, s, c // heads)
    return b.emit(hint, "nn.split_heads %s {num_heads = %d} : %s -> %s"
                  % (x.ref, heads, x.type, tensor_type(shape)), shape)


def merge_heads(b, hint, x):
    n, h, s, d = x.shape
    shape = (n, s, h * d)
    return b.emit(hint, "nn.merge_heads %s : %s -> %s"
                  % (x.ref, x.type, tensor_type(shape)), shape)


def attention(b, hint, q, k, v):
    shape = q.shape[:3] + (v.shape[3],)
    return b.emit(hint, "nn.attention %s, %s, %s : (%s) -> %s"
                  % (q.ref, k.ref, v.ref, _types(q, k, v), tensor_type(shape)),
                  shape)


# ---------------------------------------------------------------------------
# resnet18
# ---------------------------------------------------------------------------

def _conv_bn(b, prefix, x, out_ch, kernel, stride, pad, conv_name, bn_name):
    """`conv{kernel}x{kernel}` (no bias) then batch norm, torchvision names."""
    w = b.arg("%s%s_w" % (prefix, conv_name), (out_ch, x.shape[1], kernel, kernel))
    y = conv2d(b, prefix + conv_name, x, w, stride=stride, pad=pad)
    return batch_norm(b, prefix + bn_name, y, prefix + bn_name)


def resnet_stem(b, x):
    """conv 7x7/2 pad 3 -> BN -> ReLU -> maxpool 3x3/2 pad 1."""
    y = _conv_bn(b, "", x, 64, 7, 2, 3, "conv1", "bn1")
    y = relu(b, "relu", y)
    return max_pool2d(b, "maxpool", y, kernel=3, stride=2, pad=1)


def basic_block(b, name, x, out_ch, stride):
    """torchvision BasicBlock: conv3x3(s) BN ReLU conv3x3 BN (+ id) ReLU."""
    p = name.replace(".", "_") + "_"
    y = _conv_bn(b, p, x, out_ch, 3, stride, 1, "conv1", "bn1")
    y = relu(b, p + "relu1", y)
    y = _conv_bn(b, p, y, out_ch, 3, 1, 1, "conv2", "bn2")
    identity = x
    if stride != 1 or x.shape[1] != out_ch:
        identity = _conv_bn(b, p, x, out_ch, 1, stride, 0,
                            "downsample_conv", "downsample_bn")
    y = add(b, p + "add", y, identity)
    return relu(b, p + "relu2", y)


def resnet18(batch):
    b = Builder(batch)
    image = b.activation_arg("image", (3, 224, 224))
    x = b.block("stem", "convolution", lambda: resnet_stem(b, image))
    for layer, (channels, first_stride) in enumerate(
            [(64, 1), (128, 2), (256, 2), (512, 2)], start=1):
        for i in range(2):
            name = "layer%d.%d" % (layer, i)
            stride = first_stride if i == 0 else 1
            x = b.block(name, "convolution",
                        lambda x=x, name=name, stride=stride:
                        basic_block(b, name, x, channels, stride))
    b.comment("head: global average pool, flatten (as image_to_tokens: "
              "[N,512,1,1] -> [N,1,512]), fc")
    x = global_avg_pool2d(b, "avgpool", x)
    x = image_to_tokens(b, "flatten", x)
    logits = linear(b, "fc", x, "fc", 1000)
    header = [
        "resnet18 (torchvision), generated by scripts/gen_models.py.",
        "Input %s NCHW; returns the logits as %s." % (image.type, logits.type),
        "All weights are function arguments; batch norms are in inference form.",
    ]
    return b.render("resnet18", [logits], header)


# ---------------------------------------------------------------------------
# vit_b_16
# ---------------------------------------------------------------------------

VIT_HIDDEN = 768
VIT_HEADS = 12
VIT_MLP = 3072
VIT_LAYERS = 12
VIT_PATCH = 16
VIT_EPS = 1e-6


def encoder_layer(b, name, x):
    """Pre-norm transformer layer:
    x = x + out_proj(attn(LN1(x))); x = x + W2(gelu(W1(LN2(x))))."""
    p = name + "_"
    y = layer_norm(b, p + "ln_1", x, p + "ln_1", VIT_EPS)
    q = linear(b, p + "q", y, p + "q", VIT_HIDDEN)
    k = linear(b, p + "k", y, p + "k", VIT_HIDDEN)
    v = linear(b, p + "v", y, p + "v", VIT_HIDDEN)
    qh = split_heads(b, p + "qh", q, VIT_HEADS)
    kh = split_heads(b, p + "kh", k, VIT_HEADS)
    vh = split_heads(b, p + "vh", v, VIT_HEADS)
    o = attention(b, p + "attn", qh, kh, vh)
    o = merge_heads(b, p + "merged", o)
    o = linear(b, p + "out_proj", o, p + "out_proj", VIT_HIDDEN)
    x = add(b, p + "res1", x, o)
    y = layer_norm(b, p + "ln_2", x, p + "ln_2", VIT_EPS)
    y = linear(b, p + "mlp_fc1", y, p + "mlp_fc1", VIT_MLP)
    y = gelu(b, p + "mlp_gelu", y)
    y = linear(b, p + "mlp_fc2", y, p + "mlp_fc2", VIT_HIDDEN)
    return add(b, p + "res2", x, y)


def vit_b_16(batch):
    b = Builder(batch)
    image = b.activation_arg("image", (3, 224, 224))
    conv_w = b.arg("conv_proj_w", (VIT_HIDDEN, 3, VIT_PATCH, VIT_PATCH))
    conv_b = b.arg("conv_proj_b", (VIT_HIDDEN,))
    seq_len = (224 // VIT_PATCH) ** 2 + 1
    # Class token + position embedding, pre-summed, standing in for the
    # 197-token sequence (see the TODO below).
    cls_pos = b.activation_arg("cls_pos", (seq_len, VIT_HIDDEN))

    patches = b.block("patch_embed", "convolution",
                      lambda: patch_embed(b, "conv_proj", image, conv_w, conv_b))
    b.comment("TODO(concat): the patch tokens are not concatenated with the "
              "class token; the dialect has no concat op yet")
    b.comment("so the encoder runs on %cls_pos alone and the patch embedding "
              "is returned as a second result.")
    x = cls_pos
    for i in range(VIT_LAYERS):
        name = "encoder_layer_%d" % i
        x = b.block(name, "attention",
                    lambda x=x, name=name: encoder_layer(b, name, x))
    x = layer_norm(b, "encoder_ln", x, "encoder_ln", VIT_EPS)
    b.comment("classifier head on the class token: the dialect has no slice "
              "op, so token 0 is picked by a matmul with the one-hot "
              "%cls_select (197 x 768 MACs, 0.001% of the model)")
    select = b.activation_arg("cls_select", (1, seq_len))
    shape = x.shape[:1] + (1, VIT_HIDDEN)
    cls = b.emit("cls_token", "nn.matmul %s, %s : (%s) -> %s"
                 % (select.ref, x.ref, _types(select, x), tensor_type(shape)),
                 shape)
    logits = linear(b, "head", cls, "head", 1000)
    header = [
        "vit_b_16 (torchvision), generated by scripts/gen_models.py.",
        "Input %s NCHW. All weights are function arguments." % image.type,
        "%cls_pos is the class token plus the position embedding, pre-summed",
        "(%s); the encoder runs on it because the dialect has" % cls_pos.type,
        "no concat op yet. Returns the patch embedding %s and" % patches.type,
        "the logits %s of the class token, selected by the one-hot" % logits.type,
        "%cls_select.",
    ]
    return b.render("vit_b_16", [patches, logits], header)


# ---------------------------------------------------------------------------

MODELS = {
    "resnet18": resnet18,
    "vit_b_16": vit_b_16,
}


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Print a torchvision model as MLIR in the nn dialect.")
    parser.add_argument("model", nargs="?", choices=sorted(MODELS),
                        help="the model to generate")
    parser.add_argument("--dynamic-batch", action="store_true",
                        help="make the batch dim of every activation `?`")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write here instead of stdout")
    parser.add_argument("--list", action="store_true",
                        help="list the models and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(sorted(MODELS)))
        return 0
    if args.model is None:
        parser.error("a model is required (one of %s)" % ", ".join(sorted(MODELS)))
    text = MODELS[args.model](None if args.dynamic_batch else 1)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
