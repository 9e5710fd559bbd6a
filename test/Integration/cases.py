"""The integration cases: nn functions and their float64 PyTorch references.

Shapes deliberately include sizes that are not multiples of vector widths or
tile sizes, N = 1, Nq != Nk, grouped-query heads, every mask kind, strides,
dilations, asymmetric padding, groups, odd channel counts, 1x1 and 7x7
kernels.
"""
import math

import torch

from harness import Case, ttype

F = torch.nn.functional


def positive(rng, shape):
    return rng.uniform(0.5, 1.5, shape)


def arr(v):
    return "array<i64: %s>" % ", ".join(str(x) for x in v)


# ---------------------------------------------------------------------------
# Convolution

def conv_out(n, k, s, d, lo, hi):
    return (n + lo + hi - d * (k - 1) - 1) // s + 1


def conv_case(name, layout, n, c, h, w, f, kh, kw, stride=(1, 1), dil=(1, 1),
              pad=(0, 0, 0, 0), groups=1, bias=True, tol=1e-5, const=False,
              relu=False):
    oh = conv_out(h, kh, stride[0], dil[0], pad[0], pad[2])
    ow = conv_out(w, kw, stride[1], dil[1], pad[1], pad[3])
    nchw = layout == "nchw"
    xs = (n, c, h, w) if nchw else (n, h, w, c)
    ws = (f, c // groups, kh, kw) if nchw else (kh, kw, c // groups, f)
    os_ = (n, f, oh, ow) if nchw else (n, oh, ow, f)
    inputs = [xs, ws] + ([(f,)] if bias else [])
    attrs = "{strides = %s, dilations = %s, padding = %s, groups = %d}" % (
        arr(stride), arr(dil), arr(pad), groups)
    body = "%%%s = nn.conv2d %%a0, %%a1%s layout(%s) %s : (%s) -> %s" % (
        "c" if relu else "r0", " bias(%a2)" if bias else "", layout, attrs,
        ", ".join(ttype(s) for s in inputs), ttype(os_))
    if relu:
        body += "\n%%r0 = nn.relu %%c : %s" % ttype(os_)

    def ref(x, wt, b=None):
        if not nchw:
            x = x.permute(0, 3, 1, 2)
            wt = wt.permute(3, 2, 0, 1)
        x = F.pad(x, (pad[1], pad[3], pad[0], pad[2]))
        y = F.conv2d(x, wt, b, stride=stride, dilation=dil, groups=groups)
        if relu:
            y = F.relu(y)
        return y if nchw else y.permute(0, 2, 3, 1)
    return Case(name, inputs, [os_], body, ref, tol,
                consts=(1, 2) if const else ())


def winograd_epilogue_case(name, layout, add, relu, both=False, hw=(8, 12)):
    """A Winograd convolution (constant filter and bias) followed by a
    residual add and/or a ReLU, which its output transform computes, then a
    sigmoid; with `both`, the sigmoid of the convolution's own result is
    returned too (the convolution has two users: nothing is fused)."""
    nchw = layout == "nchw"
    xs = (1, 16) + hw if nchw else (1,) + hw + (16,)
    ws = (16, 16, 3, 3) if nchw else (3, 3, 16, 16)
    t = ttype(xs)
    lines = ["%%c = nn.conv2d %%a0, %%a1 bias(%%a2) layout(%s) {padding = %s} : "
             "(%s, %s, %s) -> %s" % (layout, arr((1, 1, 1, 1)), t, ttype(ws),
                                      ttype((16,)), t)]
    last = "%c"
    if add:
        lines.append("%%s = nn.add %%a3, %s : (%s, %s) -> %s" % (last, t, t, t))
        last = "%s"
    if relu:
        lines.append("%%y = nn.relu %s : %s" % (last, t))
        last = "%y"
    lines.append("%%r0 = nn.sigmoid %s : %s" % (last, t))
    if both:
        lines.append("%%r1 = nn.sigmoid %%c : %s" % t)

    def ref(x, wt, b, res=None):
        if not nchw:
            x, wt = x.permute(0, 3, 1, 2), wt.permute(3, 2, 0, 1)
            res = res.permute(0, 3, 1, 2) if res is not None else None
        c_ = F.conv2d(x, wt, b, padding=1)
        y = res + c_ if add else c_
        y = F.relu(y) if relu else y
        outs = [torch.sigmoid(y)] + ([torch.sigmoid(c_)] if both else [])
        outs = [o if nchw else o.permute(0, 2, 3, 1) for o in outs]
        return tuple(outs) if both else outs[0]
    inputs = [xs, ws, (16,)] + ([xs] if add else [])
    return Case(name, inputs, [xs] * (2 if both else 1), "\n".join(lines), ref,
                1e-4, consts=(1, 2))


def conv_cases():
    cs = []
    for layout in ("nchw", "nhwc"):
        cs += [
            conv_case("conv3x3_%s" % layout, layout, 1, 3, 9, 9, 8, 3, 3, pad=(1, 1, 1, 1)),
            conv_case("conv7x7_s2_%s" % layout, layout, 1, 3, 23, 21, 5, 7, 7,
                      stride=(2, 2), pad=(3, 3, 3, 3)),
            conv_case("conv_dilated_asym_%s" % layout, layout, 2, 4, 11, 10, 6, 3, 3,
                      dil=(2, 1), pad=(2, 1, 1, 2), bias=False),
            conv_case("conv_grouped_%s" % layout, layout, 1, 6, 8, 7, 9, 3, 3,
                      groups=3, pad=(1, 1, 1, 1)),
            conv_case("conv_depthwise_%s" % layout, layout, 1, 5, 10, 10, 5, 3, 3,
                      groups=5, stride=(2, 1), pad=(1, 1, 1, 1)),
            conv_case("conv1x1_s2_%s" % layout, layout, 1, 17, 7, 7, 33, 1, 1,
                      stride=(2, 2)),
            conv_case("conv_n1_%s" % layout, layout, 1, 1, 1, 1, 3, 1, 1),
            # Constant filters (a deployed model's weights) are packed at
            # compile time into one panel per output-channel tile: 3 panels
            # of 32, 5 of 16 (80 is no multiple of 32), depthwise 3 of 16.
            conv_case("conv3x3_const_%s" % layout, layout, 1, 20, 9, 9, 96, 3, 3,
                      pad=(1, 1, 1, 1), const=True),
            conv_case("conv1x1_s2_const_%s" % layout, layout, 1, 17, 7, 7, 80, 1, 1,
                      stride=(2, 2), const=True),
            conv_case("conv_depthwise_const_%s" % layout, layout, 1, 48, 10, 10, 48, 3, 3,
                      groups=48, pad=(1, 1, 1, 1), const=True),
            # Rows a multiple of 16 wide: NCHW depthwise computes in place
            # (no transposes), the rows as vector lanes.
            conv_case("conv_depthwise_rows_%s" % layout, layout, 2, 3, 9, 32, 3, 3, 3,
                      groups=3, stride=(2, 1), pad=(1, 1, 1, 1), const=True),
            conv_case("conv_depthwise_rows_dilated_%s" % layout, layout, 1, 5, 6, 64, 5, 3, 3,
                      groups=5, dil=(2, 2), pad=(2, 2, 2, 2), bias=False),
            # Narrower NCHW rows compute in NHWC one block of channels at a
            # time (32 or 16), each block's padded NHWC image made right
            # before its stencil; with fewer than 4 blocks the rows go in
            # two bands, each padding its own rows (the top band only at
            # the top): 2 blocks of 16 x 2 bands with a batch of 2; 7x7
            # over 2 blocks of 32 with a ReLU (ConvNeXt's layer); stride 2
            # with asymmetric padding (no padding above, a row below).
            conv_case("conv_depthwise_bands_%s" % layout, layout, 2, 32, 16, 10, 32, 3, 3,
                      groups=32, pad=(1, 1, 1, 1), const=True),
            conv_case("conv_depthwise_7x7_bands_%s" % layout, layout, 1, 64, 48, 12, 64, 7, 7,
                      groups=64, pad=(3, 3, 3, 3), const=True, relu=True),
            conv_case("conv_depthwise_s2_bands_%s" % layout, layout, 1, 32, 33, 10, 32, 3, 3,
                      groups=32, stride=(2, 2), pad=(0, 1, 1, 0), const=True),
            # Winograd (3x3, stride 1, constant filter, channels in whole
            # 16-lane vectors): F(4x4, 3x3) where it saves the most
            # multiplies, F(2x2, 3x3) for a 6 x 6 output (a tie with 8 x 8
            # in 4 x 4 tiles); a batch of 2 and a bias, no padding with 48
            # output channels (panels of 16), asymmetric padding.
            conv_case("winograd_f4_%s" % layout, layout, 2, 16, 8, 12, 32, 3, 3,
                      pad=(1, 1, 1, 1), const=True, tol=3e-5),
            conv_case("winograd_f4_valid_%s" % layout, layout, 1, 32, 10, 10, 48, 3, 3,
                      bias=False, const=True, tol=3e-5),
            conv_case("winograd_f2_asym_%s" % layout, layout, 1, 16, 6, 6, 16, 3, 3,
                      pad=(0, 1, 2, 1), const=True, tol=3e-5),
            # The epilogue a Winograd output transform takes in: a residual
            # add, a ReLU, both (a ResNet block's end); and a convolution
            # whose result is also used elsewhere (not fused).
            winograd_epilogue_case("winograd_add_relu_%s" % layout, layout, True, True),
            winograd_epilogue_case("winograd_relu_%s" % layout, layout, False, True),
            winograd_epilogue_case("winograd_add_%s" % layout, layout, True, False),
            winograd_epilogue_case("winograd_shared_%s" % layout, layout, True, True,
                                   both=True),
            # Outputs that are no multiple of the tile: computed rounded up
            # to whole tiles (7 x 10 in 4 x 4 tiles: 8 x 12), the valid part
            # kept; 13 x 13 (YOLO-like) with a residual add and ReLU, whose
            # residual is read clamped in the dropped outputs.
            conv_case("winograd_partial_%s" % layout, layout, 1, 16, 7, 10, 32, 3, 3,
                      pad=(1, 1, 1, 1), const=True, tol=3e-5),
            winograd_epilogue_case("winograd_partial_add_relu_%s" % layout, layout,
                                   True, True, hw=(13, 13)),
        ]
    return cs


# ---------------------------------------------------------------------------
# Pooling

def pool_cases():
    cs = []
    for layout in ("nchw", "nhwc"):
        nchw = layout == "nchw"

        def shape(n, c, h, w, nchw=nchw):
            return (n, c, h, w) if nchw else (n, h, w, c)

        def wrap(fn, nchw=nchw):
            # The references are written for NCHW; NHWC goes through them.
            if nchw:
                return fn
            return lambda x: fn(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        xs, os_ = shape(2, 3, 11, 9), shape(2, 3, 6, 5)

        def pool(op, attrs, name, ref, out=os_):
            cs.append(Case(name, [xs], [out],
                           "%%r0 = nn.%s %%a0 layout(%s) {%s} : %s -> %s" % (
                               op, layout, attrs, ttype(xs), ttype(out)),
                           wrap(ref)))
        # max 3x3/2 pad 1: (11+2-3)/2+1 = 6, (9+2-3)/2+1 = 5
        pool("max_pool2d", "kernel_size = %s, strides = %s, padding = %s" % (
            arr((3, 3)), arr((2, 2)), arr((1, 1, 1, 1))), "maxpool_%s" % layout,
            lambda x: F.max_pool2d(x, 3, 2, padding=1))
        # ceil mode: 11 with k 2 s 2 -> 6 windows; 9 -> 5
        pool("max_pool2d", "kernel_size = %s, strides = %s, ceil_mode = true" % (
            arr((2, 2)), arr((2, 2))), "maxpool_ceil_%s" % layout,
            lambda x: F.max_pool2d(x, 2, 2, ceil_mode=True))
        for include in (True, False):
            pool("avg_pool2d", "kernel_size = %s, strides = %s, padding = %s, "
                 "count_include_pad = %s" % (arr((3, 3)), arr((2, 2)), arr((1, 1, 1, 1)),
                                             "true" if include else "false"),
                 "avgpool_%s_%s" % ("incl" if include else "excl", layout),
                 lambda x, inc=include: F.avg_pool2d(x, 3, 2, padding=1,
                                                     count_include_pad=inc))
        pool("avg_pool2d", "kernel_size = %s, strides = %s, ceil_mode = true" % (
            arr((2, 2)), arr((2, 2))), "avgpool_ceil_%s" % layout,
            lambda x: F.avg_pool2d(x, 2, 2, ceil_mode=True))
        cs.append(Case(
            "global_avgpool_%s" % layout, [xs], [shape(2, 3, 1, 1)],
            "%%r0 = nn.global_avg_pool2d %%a0 layout(%s) : %s -> %s" % (
                layout, ttype(xs), ttype(shape(2, 3, 1, 1))),
            wrap(lambda x: F.adaptive_avg_pool2d(x, 1))))
    # A long sum: 2^22 positive terms per channel. Accumulated in f32 it
    # loses about 1e-4 of relative accuracy (and stops growing at 2^24);
    # nn-widen-accumulators sums in f64. One channel: a reduction to a
    # single value, split into 16 partial sums that run on the thread pool,
    # then merged.
    for name, xs in (("global_avgpool_long", (1, 2, 2048, 2048)),
                     ("global_avgpool_one_channel", (1, 1, 512, 640))):
        os_ = (1, xs[1], 1, 1)
        cs.append(Case(
            name, [xs], [os_],
            "%%r0 = nn.global_avg_pool2d %%a0 layout(nchw) : %s -> %s" % (
                ttype(xs), ttype(os_)),
            lambda x: F.adaptive_avg_pool2d(x, 1), tol=1e-6,
            init={0: positive}))
    return cs


# ---------------------------------------------------------------------------
# Elementwise

def elementwise_cases():
    s = (3, 17)
    t = ttype(s)
    unary = {
        "relu": ("nn.relu %a0", F.relu),
        "gelu": ("nn.gelu %a0", F.gelu),
        "gelu_tanh": ("nn.gelu %a0 approximate(tanh)", lambda x: F.gelu(x, approximate="tanh")),
        "silu": ("nn.silu %a0", F.silu),
        "sigmoid": ("nn.sigmoid %a0", torch.sigmoid),
        "hardswish": ("nn.hardswish %a0", F.hardswish),
        "hardsigmoid": ("nn.hardsigmoid %a0", F.hardsigmoid),
        "hardsigmoid_onnx": ("nn.hardsigmoid %a0 {alpha = 2.000000e-01 : f32}",
                             lambda x: torch.clamp(0.2 * x + 0.5, 0, 1)),
        "clamp": ("nn.clamp %a0 {min = -0.5 : f32, max = 1.0 : f32}",
                  lambda x: torch.clamp(x, -0.5, 1.0)),
        "clamp_min": ("nn.clamp %a0 {min = -0.25 : f32}",
                      lambda x: torch.clamp(x, min=-0.25)),
    }
    cs = [Case(n, [s], [s], "%%r0 = %s : %s" % (op, t), ref)
          for n, (op, ref) in unary.items()]
    binary = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div}
    for n, ref in binary.items():
        init = {1: lambda rng, shape: rng.uniform(0.5, 2.0, shape)} if n == "div" else None
        cs.append(Case("%s_broadcast" % n, [(2, 1, 5), (3, 1)], [(2, 3, 5)],
                       "%%r0 = nn.%s %%a0, %%a1 : (%s, %s) -> %s" % (
                           n, ttype((2, 1, 5)), ttype((3, 1)), ttype((2, 3, 5))),
                       ref, init=init))
    return cs


# ---------------------------------------------------------------------------
# Norms and softmax

def norm_cases():
    cs = []
    x = (2, 5, 19)
    cs.append(Case("layer_norm_affine", [x, (19,), (19,)], [x],
                   "%%r0 = nn.layer_norm %%a0 weight(%%a1) bias(%%a2) {epsilon = 1.0e-06 : f32} "
                   ": (%s, %s, %s) -> %s" % (ttype(x), ttype((19,)), ttype((19,)), ttype(x)),
                   lambda a, g, b: F.layer_norm(a, (19,), g, b, 1e-6)))
    cs.append(Case("layer_norm_plain", [x], [x],
                   "%%r0 = nn.layer_norm %%a0 : (%s) -> %s" % (ttype(x), ttype(x)),
                   lambda a: F.layer_norm(a, (19,), eps=1e-5)))
    cs.append(Case("layer_norm_two_axes", [x, (5, 19)], [x],
                   "%%r0 = nn.layer_norm %%a0 weight(%%a1) {axis = 1} : (%s, %s) -> %s" % (
                       ttype(x), ttype((5, 19)), ttype(x)),
                   lambda a, g: F.layer_norm(a, (5, 19), g, eps=1e-5)))
    for layout in ("nchw", "nhwc"):
        xs = (2, 3, 4, 5) if layout == "nchw" else (2, 4, 5, 3)
        p = ttype((3,))
        cs.append(Case(
            "batch_norm_%s" % layout, [xs, (3,), (3,), (3,), (3,)], [xs],
            "%%r0 = nn.batch_norm %%a0, %%a1, %%a2, %%a3, %%a4 layout(%s) {epsilon = 1.0e-03 : f32} "
            ": (%s, %s, %s, %s, %s) -> %s" % (layout, ttype(xs), p, p, p, p, ttype(xs)),
            (lambda nchw: lambda a, g, b, m, v: (
                F.batch_norm(a, m, v, g, b, False, 0.0, 1e-3) if nchw else
                F.batch_norm(a.permute(0, 3, 1, 2), m, v, g, b, False, 0.0, 1e-3).permute(0, 2, 3, 1)))(
                layout == "nchw"),
            init={4: positive}))
    cs.append(Case("softmax_last", [x], [x],
                   "%%r0 = nn.softmax %%a0 : %s" % ttype(x), lambda a: torch.softmax(a, -1)))
    cs.append(Case("softmax_axis1", [x], [x],
                   "%%r0 = nn.softmax %%a0 {axis = 1} : %s" % ttype(x),
                   lambda a: torch.softmax(a, 1)))
    return cs


# ---------------------------------------------------------------------------
# Contractions

def contraction_cases():
    return [
        Case("linear_bias", [(2, 7, 13), (9, 13), (9,)], [(2, 7, 9)],
             "%%r0 = nn.linear %%a0, %%a1 bias(%%a2) : (%s, %s, %s) -> %s" % (
                 ttype((2, 7, 13)), ttype((9, 13)), ttype((9,)), ttype((2, 7, 9))),
             F.linear),
        # A constant weight: transposed and packed into panels of 32 output
        # features at compile time.
        Case("linear_const", [(2, 7, 13), (96, 13), (96,)], [(2, 7, 96)],
             "%%r0 = nn.linear %%a0, %%a1 bias(%%a2) : (%s, %s, %s) -> %s" % (
                 ttype((2, 7, 13)), ttype((96, 13)), ttype((96,)), ttype((2, 7, 96))),
             F.linear, consts=(1, 2)),
        # 37 rows (a prime): 8-row tiles with a partial last one, run on the
        # input padded once.
        Case("linear_partial_rows", [(37, 24), (64, 24), (64,)], [(37, 64)],
             "%%r0 = nn.linear %%a0, %%a1 bias(%%a2) : (%s, %s, %s) -> %s" % (
                 ttype((37, 24)), ttype((64, 24)), ttype((64,)), ttype((37, 64))),
             F.linear, consts=(1, 2)),
        Case("linear_nobias_rank2", [(1, 33), (17, 33)], [(1, 17)],
             "%%r0 = nn.linear %%a0, %%a1 : (%s, %s) -> %s" % (
                 ttype((1, 33)), ttype((17, 33)), ttype((1, 17))),
             F.linear),
        Case("matmul_broadcast", [(3, 5, 7), (7, 4)], [(3, 5, 4)],
             "%%r0 = nn.matmul %%a0, %%a1 : (%s, %s) -> %s" % (
                 ttype((3, 5, 7)), ttype((7, 4)), ttype((3, 5, 4))),
             torch.matmul),
        Case("matmul_batch1", [(2, 1, 5, 6), (3, 6, 2)], [(2, 3, 5, 2)],
             "%%r0 = nn.matmul %%a0, %%a1 : (%s, %s) -> %s" % (
                 ttype((2, 1, 5, 6)), ttype((3, 6, 2)), ttype((2, 3, 5, 2))),
             torch.matmul),
    ]


# ---------------------------------------------------------------------------
# Reshapes

def reshape_cases():
    return [
        Case("image_to_tokens_nchw", [(2, 3, 4, 5)], [(2, 20, 3)],
             "%%r0 = nn.image_to_tokens %%a0 layout(nchw) : %s -> %s" % (
                 ttype((2, 3, 4, 5)), ttype((2, 20, 3))),
             lambda x: x.flatten(2).transpose(1, 2)),
        Case("image_to_tokens_nhwc", [(2, 4, 5, 3)], [(2, 20, 3)],
             "%%r0 = nn.image_to_tokens %%a0 layout(nhwc) : %s -> %s" % (
                 ttype((2, 4, 5, 3)), ttype((2, 20, 3))),
             lambda x: x.reshape(2, 20, 3)),
        Case("tokens_to_image_nchw", [(2, 20, 3)], [(2, 3, 4, 5)],
             "%%r0 = nn.tokens_to_image %%a0 layout(nchw) {height = 4, width = 5} : %s -> %s" % (
                 ttype((2, 20, 3)), ttype((2, 3, 4, 5))),
             lambda t: t.transpose(1, 2).reshape(2, 3, 4, 5)),
        Case("split_merge_heads", [(2, 7, 12)], [(2, 3, 7, 4), (2, 7, 12)],
             "%%r0 = nn.split_heads %%a0 {num_heads = 3} : %s -> %s\n"
             "%%r1 = nn.merge_heads %%r0 : %s -> %s" % (
                 ttype((2, 7, 12)), ttype((2, 3, 7, 4)), ttype((2, 3, 7, 4)), ttype((2, 7, 12))),
             lambda x: (x.view(2, 7, 3, 4).transpose(1, 2), x)),
        Case("window_partition_merge", [(2, 6, 4, 3)], [(12, 4, 3), (2, 6, 4, 3)],
             "%%r0 = nn.window_partition %%a0 {window_size = %s} : %s -> %s\n"
             "%%r1 = nn.window_merge %%r0 {window_size = %s, height = 6, width = 4} : %s -> %s" % (
                 arr((2, 2)), ttype((2, 6, 4, 3)), ttype((12, 4, 3)), arr((2, 2)),
                 ttype((12, 4, 3)), ttype((2, 6, 4, 3))),
             lambda x: (x.view(2, 3, 2, 2, 2, 3).permute(0, 1, 3, 2, 4, 5).reshape(12, 4, 3), x)),
        Case("patch_embed", [(1, 3, 8, 12), (5, 3, 4, 4), (5,)], [(1, 6, 5)],
             "%%r0 = nn.patch_embed %%a0, %%a1 bias(%%a2) layout(nchw) : (%s, %s, %s) -> %s" % (
                 ttype((1, 3, 8, 12)), ttype((5, 3, 4, 4)), ttype((5,)), ttype((1, 6, 5))),
             lambda x, w, b: F.conv2d(x, w, b, stride=4).flatten(2).transpose(1, 2)),
    ]


# ---------------------------------------------------------------------------
# Attention

def attention_ref(q, k, v, kind="none", window=None, scale=None, add=None):
    hq, hkv = q.shape[1], k.shape[1]
    k = k.repeat_interleave(hq // hkv, 1)
    v = v.repeat_interleave(hq // hkv, 1)
    nq, nk, d = q.shape[2], k.shape[2], q.shape[3]
    s = q @ k.transpose(-1, -2) * (scale if scale else 1.0 / math.sqrt(d))
    if add is not None:
        s = s + add
    i = torch.arange(nq)[:, None] + (nk - nq)
    j = torch.arange(nk)[None, :]
    vis = torch.ones(nq, nk, dtype=torch.bool)
    if kind != "none":
        vis = j <= i
    if kind == "sliding_window":
        vis = vis & (j > i - window)
    s = s.masked_fill(~vis, float("-inf"))
    p = torch.nan_to_num(torch.softmax(s, -1), nan=0.0)
    return p @ v


def attention_case(name, b, hq, hkv, nq, nk, d, dv, kind="none", window=None,
                   scale=None, mask_shape=None, tol=2e-5):
    qs, ks, vs, os_ = (b, hq, nq, d), (b, hkv, nk, d), (b, hkv, nk, dv), (b, hq, nq, dv)
    inputs = [qs, ks, vs] + ([mask_shape] if mask_shape else [])
    attrs = []
    if window:
        attrs.append("window = %d" % window)
    if scale:
        attrs.append("scale = %r : f32" % scale)
    body = "%%r0 = nn.attention %%a0, %%a1, %%a2%s%s%s : (%s) -> %s" % (
        " additive_mask(%a3)" if mask_shape else "",
        " mask(%s)" % kind if kind != "none" else "",
        " {%s}" % ", ".join(attrs) if attrs else "",
        ", ".join(ttype(s) for s in inputs), ttype(os_))

    def ref(q, k, v, m=None):
        return attention_ref(q, k, v, kind, window, scale, m)
    return Case(name, inputs, [os_], body, ref, tol)


def attention_cases():
    return [
        attention_case("attn_full", 2, 4, 4, 70, 70, 16, 16),
        attention_case("attn_causal", 1, 2, 2, 131, 131, 8, 8),
        attention_case("attn_window", 1, 2, 2, 150, 150, 8, 8, "sliding_window", 37),
        attention_case("attn_window_wide", 1, 1, 1, 20, 20, 4, 4, "sliding_window", 64),
        attention_case("attn_gqa_cross", 1, 6, 2, 9, 77, 12, 5),
        attention_case("attn_causal_nq_lt_nk", 1, 2, 1, 5, 9, 8, 8, "causal"),
        attention_case("attn_causal_nq_gt_nk", 1, 1, 1, 9, 5, 8, 8, "causal"),
        attention_case("attn_window_cross", 2, 2, 2, 66, 130, 8, 8, "sliding_window", 10),
        attention_case("attn_n1", 1, 3, 1, 1, 1, 8, 8),
        attention_case("attn_decode_step", 1, 4, 4, 1, 90, 16, 16, "causal"),
        attention_case("attn_scale", 1, 2, 2, 10, 12, 8, 8, scale=0.5),
        attention_case("attn_mask2d", 1, 2, 2, 10, 12, 8, 8, mask_shape=(10, 12)),
        attention_case("attn_mask4d_bcast", 2, 2, 2, 10, 12, 8, 8, "causal", mask_shape=(2, 1, 1, 12)),
        # Sizes that are multiples of the 64 x 64 blocks take the static-tile
        # path (register-tiled, vectorized block products; for a window, the
        # first key block is aligned down and the edge mask trims it).
        attention_case("attn_static_full", 1, 2, 1, 128, 192, 16, 8),
        attention_case("attn_static_causal", 1, 2, 2, 192, 192, 16, 16, "causal"),
        attention_case("attn_static_window", 1, 4, 2, 256, 256, 16, 16, "sliding_window", 37),
        attention_case("attn_static_window_d64", 1, 2, 2, 320, 320, 64, 64, "sliding_window", 100),
        # Sliding windows compute key-major score blocks ([keys, queries]):
        # an additive mask is read transposed (a random, asymmetric one,
        # and one broadcast over queries), and Dv != D.
        attention_case("attn_window_mask", 1, 2, 2, 70, 70, 8, 8, "sliding_window", 20,
                       mask_shape=(70, 70)),
        attention_case("attn_window_mask_bcast", 2, 2, 2, 96, 96, 16, 16, "sliding_window", 33,
                       mask_shape=(2, 1, 1, 96)),
        attention_case("attn_window_gqa_dv", 1, 4, 2, 96, 96, 16, 8, "sliding_window", 40),
        # Decoding with grouped heads: the query heads of a key/value head go
        # through its keys as one block (row r: query r mod Nq of head
        # r / Nq), causal, windowed and plain, Dv != D.
        attention_case("attn_gqa_decode_causal", 2, 8, 2, 3, 200, 16, 16, "causal"),
        attention_case("attn_gqa_decode_window", 1, 6, 2, 7, 130, 8, 12, "sliding_window", 50),
        attention_case("attn_gqa_decode_one", 1, 4, 1, 1, 300, 16, 16),
        attention_case("attn_static_mask", 1, 2, 2, 128, 128, 8, 8, "causal", mask_shape=(128, 128)),
        # Causal over 576 positions: query blocks past 256 take the keys
        # before them 256 at a time, then 64-blocks up to the diagonal; with
        # an additive mask sliced to both block widths too.
        attention_case("attn_static_causal_wide", 1, 2, 2, 576, 576, 16, 16, "causal"),
        attention_case("attn_static_causal_wide_mask", 1, 1, 1, 576, 576, 16, 16, "causal",
                       mask_shape=(576, 576)),
        # A mask per head (Swin's relative bias): its slice follows the head.
        attention_case("attn_head_mask", 1, 3, 3, 24, 24, 8, 8, mask_shape=(3, 24, 24)),
        # Lengths the 64-blocks divide badly get balanced blocks: 197
        # queries in 4 blocks of 56 (ViT), 150 keys in one block of 160;
        # with an additive mask over the padded rows and keys too.
        attention_case("attn_balanced_blocks", 1, 2, 1, 197, 150, 16, 16, scale=0.3),
        attention_case("attn_balanced_mask", 1, 2, 2, 197, 197, 8, 8,
                       mask_shape=(197, 197)),
        # Key lengths that four 64-key blocks divide are taken 256 keys at
        # a time (full attention only), with and without an additive mask.
        attention_case("attn_wide_key_blocks", 1, 2, 2, 128, 512, 16, 16),
        attention_case("attn_wide_key_blocks_mask", 1, 1, 1, 70, 256, 8, 8,
                       mask_shape=(70, 256)),
    ]


# ---------------------------------------------------------------------------
# Blocks

def bn_ref(x, g, b, m, v, eps=1e-5):
    return F.batch_norm(x, m, v, g, b, False, 0.0, eps)


def resnet_block(name="resnet_basic_block", c=8, h=9, consts=()):
    x = (1, c, h, h)
    w = (c, c, 3, 3)
    p = (c,)
    t, tw, tp = ttype(x), ttype(w), ttype(p)
    body = """
%c1 = nn.conv2d %a0, %a1 layout(nchw) {padding = array<i64: 1, 1, 1, 1>} : ({t}, {tw}) -> {t}
%n1 = nn.batch_norm %c1, %a2, %a3, %a4, %a5 layout(nchw) : ({t}, {tp}, {tp}, {tp}, {tp}) -> {t}
%y1 = nn.relu %n1 : {t}
%c2 = nn.conv2d %y1, %a6 layout(nchw) {padding = array<i64: 1, 1, 1, 1>} : ({t}, {tw}) -> {t}
%n2 = nn.batch_norm %c2, %a7, %a8, %a9, %a10 layout(nchw) : ({t}, {tp}, {tp}, {tp}, {tp}) -> {t}
%s = nn.add %n2, %a0 : ({t}, {t}) -> {t}
%r0 = nn.relu %s : {t}
""".replace("{t}", t).replace("{tw}", tw).replace("{tp}", tp)

    def ref(x, w1, g1, b1, m1, v1, w2, g2, b2, m2, v2):
        y = F.relu(bn_ref(F.conv2d(x, w1, padding=1), g1, b1, m1, v1))
        y = bn_ref(F.conv2d(y, w2, padding=1), g2, b2, m2, v2)
        return F.relu(y + x)
    return Case(name, [x, w, p, p, p, p, w, p, p, p, p], [x], body, ref,
                tol=1e-5 if not consts else 3e-5, init={5: positive, 10: positive},
                consts=consts)


def encoder_layer():
    b, n, e, heads, hidden = 2, 37, 32, 4, 64
    x, ww, wb, w1, b1, w2 = (b, n, e), (e, e), (e,), (hidden, e), (hidden,), (e, hidden)
    hs = (b, heads, n, e // heads)
    t = ttype(x)
    body = """
%x1 = nn.layer_norm %a0 weight(%a1) bias(%a2) : ({t}, {tb}, {tb}) -> {t}
%q = nn.linear %x1, %a3 bias(%a4) : ({t}, {tw}, {tb}) -> {t}
%k = nn.linear %x1, %a5 bias(%a6) : ({t}, {tw}, {tb}) -> {t}
%v = nn.linear %x1, %a7 bias(%a8) : ({t}, {tw}, {tb}) -> {t}
%qh = nn.split_heads %q {num_heads = 4} : {t} -> {th}
%kh = nn.split_heads %k {num_heads = 4} : {t} -> {th}
%vh = nn.split_heads %v {num_heads = 4} : {t} -> {th}
%o = nn.attention %qh, %kh, %vh : ({th}, {th}, {th}) -> {th}
%m = nn.merge_heads %o : {th} -> {t}
%p = nn.linear %m, %a9 bias(%a10) : ({t}, {tw}, {tb}) -> {t}
%r1 = nn.add %a0, %p : ({t}, {t}) -> {t}
%x2 = nn.layer_norm %r1 weight(%a11) bias(%a12) : ({t}, {tb}, {tb}) -> {t}
%h = nn.linear %x2, %a13 bias(%a14) : ({t}, {tw1}, {tb1}) -> {th1}
%g = nn.gelu %h : {th1}
%f = nn.linear %g, %a15 bias(%a16) : ({th1}, {tw2}, {tb}) -> {t}
%r0 = nn.add %r1, %f : ({t}, {t}) -> {t}
""".replace("{t}", t).replace("{tw}", ttype(ww)).replace("{tb}", ttype(wb)) \
       .replace("{th}", ttype(hs)).replace("{tw1}", ttype(w1)).replace("{tb1}", ttype(b1)) \
       .replace("{th1}", ttype((b, n, hidden))).replace("{tw2}", ttype(w2))

    def ref(x, g1, be1, wq, bq, wk, bk, wv, bv, wo, bo, g2, be2, w1_, b1_, w2_, b2_):
        h = F.layer_norm(x, (e,), g1, be1)
        def heads_of(t):
            return t.view(b, n, heads, e // heads).transpose(1, 2)
        a = attention_ref(heads_of(F.linear(h, wq, bq)), heads_of(F.linear(h, wk, bk)),
                          heads_of(F.linear(h, wv, bv)))
        r1 = x + F.linear(a.transpose(1, 2).reshape(b, n, e), wo, bo)
        h2 = F.layer_norm(r1, (e,), g2, be2)
        return r1 + F.linear(F.gelu(F.linear(h2, w1_, b1_)), w2_, b2_)
    inputs = [x, wb, wb, ww, wb, ww, wb, ww, wb, ww, wb, wb, wb, w1, b1, w2, wb]
    return Case("transformer_encoder_layer", inputs, [x], body, ref, tol=2e-5)


def conv_attention_hybrid():
    # conv stem (3x3/2 + relu, 3x3/2 + relu), tokens, single-head attention
    # with a residual, back to an image, global pool.
    x, w1, w2 = (1, 3, 16, 16), (8, 3, 3, 3), (16, 8, 3, 3)
    body = """
%c1 = nn.conv2d %a0, %a1 layout(nchw) {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x3x16x16xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x8x8xf32>
%y1 = nn.relu %c1 : tensor<1x8x8x8xf32>
%c2 = nn.conv2d %y1, %a2 layout(nchw) {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x8x8x8xf32>, tensor<16x8x3x3xf32>) -> tensor<1x16x4x4xf32>
%y2 = nn.relu %c2 : tensor<1x16x4x4xf32>
%t = nn.image_to_tokens %y2 layout(nchw) : tensor<1x16x4x4xf32> -> tensor<1x16x16xf32>
%h = nn.split_heads %t {num_heads = 2} : tensor<1x16x16xf32> -> tensor<1x2x16x8xf32>
%o = nn.attention %h, %h, %h mask(causal) : (tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>) -> tensor<1x2x16x8xf32>
%m = nn.merge_heads %o : tensor<1x2x16x8xf32> -> tensor<1x16x16xf32>
%s = nn.add %t, %m : (tensor<1x16x16xf32>, tensor<1x16x16xf32>) -> tensor<1x16x16xf32>
%img = nn.tokens_to_image %s layout(nchw) {height = 4, width = 4} : tensor<1x16x16xf32> -> tensor<1x16x4x4xf32>
%r0 = nn.global_avg_pool2d %img layout(nchw) : tensor<1x16x4x4xf32> -> tensor<1x16x1x1xf32>
"""

    def ref(x, w1, w2):
        y = F.relu(F.conv2d(F.relu(F.conv2d(x, w1, stride=2, padding=1)), w2, stride=2, padding=1))
        t = y.flatten(2).transpose(1, 2)
        h = t.view(1, 16, 2, 8).transpose(1, 2)
        o = attention_ref(h, h, h, "causal").transpose(1, 2).reshape(1, 16, 16)
        img = (t + o).transpose(1, 2).reshape(1, 16, 4, 4)
        return F.adaptive_avg_pool2d(img, 1)
    return Case("conv_stem_attention_hybrid", [x, w1, w2], [(1, 16, 1, 1)], body, ref, tol=2e-5)


def resnet_stage():
    # A ResNet's stem and first stages, NCHW as ONNX brings them: 7x7/2 conv
    # + ReLU, 3x3/2 max pool, a basic block whose residual is the pool's
    # output, a downsampling block (3x3/2 and a 1x1/2 shortcut), global
    # average pool. Each block's output is both the next convolution's
    # padded image and the next residual (computed into the image's
    # interior and read back from it), and the pools run in NHWC between
    # transposes that cancel against the convolutions'.
    c, d = 8, 12
    shapes = [(1, 3, 32, 32), (c, 3, 7, 7), (c, c, 3, 3), (c, c, 3, 3),
              (d, c, 3, 3), (d, d, 3, 3), (d, c, 1, 1), (d,), (d,)]
    t = {"x": ttype((1, 3, 32, 32)), "s": ttype((1, c, 16, 16)),
         "p": ttype((1, c, 8, 8)), "q": ttype((1, d, 4, 4)),
         "r": ttype((1, d, 1, 1)), "b": ttype((d,))}
    for i in range(1, 7):
        t["w%d" % i] = ttype(shapes[i])
    body = """
%c0 = nn.conv2d %a0, %a1 layout(nchw) {strides = array<i64: 2, 2>, padding = array<i64: 3, 3, 3, 3>} : ({x}, {w1}) -> {s}
%y0 = nn.relu %c0 : {s}
%p0 = nn.max_pool2d %y0 layout(nchw) {kernel_size = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : {s} -> {p}
%c1 = nn.conv2d %p0, %a2 layout(nchw) {padding = array<i64: 1, 1, 1, 1>} : ({p}, {w2}) -> {p}
%y1 = nn.relu %c1 : {p}
%c2 = nn.conv2d %y1, %a3 layout(nchw) {padding = array<i64: 1, 1, 1, 1>} : ({p}, {w3}) -> {p}
%s1 = nn.add %c2, %p0 : ({p}, {p}) -> {p}
%y2 = nn.relu %s1 : {p}
%c3 = nn.conv2d %y2, %a4 bias(%a7) layout(nchw) {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : ({p}, {w4}, {b}) -> {q}
%y3 = nn.relu %c3 : {q}
%c4 = nn.conv2d %y3, %a5 layout(nchw) {padding = array<i64: 1, 1, 1, 1>} : ({q}, {w5}) -> {q}
%sc = nn.conv2d %y2, %a6 bias(%a8) layout(nchw) {strides = array<i64: 2, 2>} : ({p}, {w6}, {b}) -> {q}
%s2 = nn.add %c4, %sc : ({q}, {q}) -> {q}
%y4 = nn.relu %s2 : {q}
%r0 = nn.global_avg_pool2d %y4 layout(nchw) : {q} -> {r}
"""
    for k, v in t.items():
        body = body.replace("{%s}" % k, v)

    def ref(x, w1, w2, w3, w4, w5, w6, b4, b6):
        p0 = F.max_pool2d(F.relu(F.conv2d(x, w1, stride=2, padding=3)), 3, 2, padding=1)
        y2 = F.relu(F.conv2d(F.relu(F.conv2d(p0, w2, padding=1)), w3, padding=1) + p0)
        y3 = F.relu(F.conv2d(y2, w4, b4, stride=2, padding=1))
        y4 = F.relu(F.conv2d(y3, w5, padding=1) + F.conv2d(y2, w6, b6, stride=2))
        return F.adaptive_avg_pool2d(y4, 1)
    return Case("resnet_stage", shapes, [(1, d, 1, 1)], body, ref, tol=1e-5)


def swin_window_block():
    # NHWC 8x8x16 image, 4x4 windows, 2 heads, residual.
    body = """
%w = nn.window_partition %a0 {window_size = array<i64: 4, 4>} : tensor<1x8x8x16xf32> -> tensor<4x16x16xf32>
%q = nn.linear %w, %a1 : (tensor<4x16x16xf32>, tensor<16x16xf32>) -> tensor<4x16x16xf32>
%k = nn.linear %w, %a2 : (tensor<4x16x16xf32>, tensor<16x16xf32>) -> tensor<4x16x16xf32>
%v = nn.linear %w, %a3 : (tensor<4x16x16xf32>, tensor<16x16xf32>) -> tensor<4x16x16xf32>
%qh = nn.split_heads %q {num_heads = 2} : tensor<4x16x16xf32> -> tensor<4x2x16x8xf32>
%kh = nn.split_heads %k {num_heads = 2} : tensor<4x16x16xf32> -> tensor<4x2x16x8xf32>
%vh = nn.split_heads %v {num_heads = 2} : tensor<4x16x16xf32> -> tensor<4x2x16x8xf32>
%o = nn.attention %qh, %kh, %vh additive_mask(%a4) : (tensor<4x2x16x8xf32>, tensor<4x2x16x8xf32>, tensor<4x2x16x8xf32>, tensor<2x16x16xf32>) -> tensor<4x2x16x8xf32>
%m = nn.merge_heads %o : tensor<4x2x16x8xf32> -> tensor<4x16x16xf32>
%back = nn.window_merge %m {window_size = array<i64: 4, 4>, height = 8, width = 8} : tensor<4x16x16xf32> -> tensor<1x8x8x16xf32>
%r0 = nn.add %a0, %back : (tensor<1x8x8x16xf32>, tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32>
"""

    def ref(x, wq, wk, wv, bias):
        w = x.view(1, 2, 4, 2, 4, 16).permute(0, 1, 3, 2, 4, 5).reshape(4, 16, 16)
        def heads_of(t):
            return t.view(4, 16, 2, 8).transpose(1, 2)
        o = attention_ref(heads_of(F.linear(w, wq)), heads_of(F.linear(w, wk)),
                          heads_of(F.linear(w, wv)), add=bias)
        m = o.transpose(1, 2).reshape(4, 16, 16)
        back = m.view(1, 2, 2, 4, 4, 16).permute(0, 1, 3, 2, 4, 5).reshape(1, 8, 8, 16)
        return x + back
    return Case("swin_window_attention_block",
                [(1, 8, 8, 16), (16, 16), (16, 16), (16, 16), (2, 16, 16)],
                [(1, 8, 8, 16)], body, ref, tol=2e-5)


def block_cases():
    # With its weights and statistics embedded (a deployed model) and 16
    # channels over 8 x 8, both convolutions are Winograd F(4x4, 3x3).
    return [resnet_block(), resnet_block("resnet_basic_block_winograd", 16, 8,
                                         consts=tuple(range(1, 11))),
            resnet_stage(), encoder_layer(), conv_attention_hybrid(),
            swin_window_block()]


GROUPS = {
    "conv": conv_cases,
    "pool": pool_cases,
    "elementwise": elementwise_cases,
    "norms": norm_cases,
    "contractions": contraction_cases,
    "reshapes": reshape_cases,
    "attention": attention_cases,
    "blocks": block_cases,
}


# ---------------------------------------------------------------------------
# Dynamic dims inside a function: the entry has static shapes (the CPU ABI
# takes static shapes so far), tensor.cast erases the sizes, and every op in
# between is lowered with dynamic dims (sizes read at run time).

def dyn(shape, dynamic):
    return "tensor<%sxf32>" % "x".join("?" if i in dynamic else str(d)
                                       for i, d in enumerate(shape))


def dynamic_cases():
    cs = []
    # Attention over a dynamic sequence length (and batch), causal and window.
    for kind, extra in (("none", ""), ("causal", " mask(causal)"),
                        ("sliding_window", " mask(sliding_window) {window = 9}")):
        s = (2, 2, 75, 8)
        body = ("%%q = tensor.cast %%a0 : %s to %s\n" % (ttype(s), dyn(s, {0, 2})) +
                "%%k = tensor.cast %%a1 : %s to %s\n" % (ttype(s), dyn(s, {0, 2})) +
                "%%v = tensor.cast %%a2 : %s to %s\n" % (ttype(s), dyn(s, {0, 2})) +
                "%%o = nn.attention %%q, %%k, %%v%s : (%s, %s, %s) -> %s\n" % (
                    extra, dyn(s, {0, 2}), dyn(s, {0, 2}), dyn(s, {0, 2}), dyn(s, {0, 2})) +
                "%%r0 = tensor.cast %%o : %s to %s" % (dyn(s, {0, 2}), ttype(s)))
        cs.append(Case("dyn_attention_%s" % kind, [s, s, s], [s], body,
                       (lambda kd: lambda q, k, v: attention_ref(q, k, v, kd, 9))(kind),
                       tol=2e-5))
    # Fewer queries than keys, both lengths dynamic (the key range of a
    # query block ends past the last query's position: rounded up to a key
    # block, the rest masked), with an additive mask of dynamic lengths.
    for kind, extra in (("causal", " mask(causal)"),
                        ("sliding_window", " mask(sliding_window) {window = 40}")):
        qs, ks, ms = (1, 2, 21, 16), (1, 2, 130, 16), (1, 1, 21, 130)
        dq, dk, dm = dyn(qs, {2}), dyn(ks, {2}), dyn(ms, {2, 3})
        body = ("%%q = tensor.cast %%a0 : %s to %s\n" % (ttype(qs), dq) +
                "%%k = tensor.cast %%a1 : %s to %s\n" % (ttype(ks), dk) +
                "%%v = tensor.cast %%a2 : %s to %s\n" % (ttype(ks), dk) +
                "%%m = tensor.cast %%a3 : %s to %s\n" % (ttype(ms), dm) +
                "%%o = nn.attention %%q, %%k, %%v additive_mask(%%m)%s : (%s, %s, %s, %s) -> %s\n" % (
                    extra, dq, dk, dk, dm, dq) +
                "%%r0 = tensor.cast %%o : %s to %s" % (dq, ttype(qs)))
        cs.append(Case("dyn_attention_%s_nq_lt_nk" % kind, [qs, ks, ks, ms], [qs], body,
                       (lambda kd: lambda q, k, v, m: attention_ref(q, k, v, kd, 40, add=m))(kind),
                       tol=2e-5))
    # conv + relu with dynamic batch and spatial sizes, strided and padded.
    xs, ws, os_ = (2, 3, 13, 11), (6, 3, 3, 3), (2, 6, 7, 6)
    body = ("%%x = tensor.cast %%a0 : %s to %s\n" % (ttype(xs), dyn(xs, {0, 2, 3})) +
            "%%c = nn.conv2d %%x, %%a1 layout(nchw) {strides = array<i64: 2, 2>, "
            "padding = array<i64: 1, 1, 1, 1>} : (%s, %s) -> %s\n" % (
                dyn(xs, {0, 2, 3}), ttype(ws), dyn(os_, {0, 2, 3})) +
            "%%y = nn.relu %%c : %s\n" % dyn(os_, {0, 2, 3}) +
            "%%r0 = tensor.cast %%y : %s to %s" % (dyn(os_, {0, 2, 3}), ttype(os_)))
    cs.append(Case("dyn_conv_relu", [xs, ws], [os_], body,
                   lambda x, w: F.relu(F.conv2d(x, w, stride=2, padding=1))))
    # max pool with dynamic sizes.
    ps = (1, 3, 9, 9)
    body = ("%%x = tensor.cast %%a0 : %s to %s\n" % (ttype(ps), dyn(ps, {2, 3})) +
            "%%p = nn.max_pool2d %%x layout(nchw) {kernel_size = array<i64: 3, 3>, "
            "strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : %s -> %s\n" % (
                dyn(ps, {2, 3}), dyn((1, 3, 5, 5), {2, 3})) +
            "%%r0 = tensor.cast %%p : %s to %s" % (dyn((1, 3, 5, 5), {2, 3}), ttype((1, 3, 5, 5))))
    cs.append(Case("dyn_maxpool", [ps], [(1, 3, 5, 5)], body,
                   lambda x: F.max_pool2d(x, 3, 2, padding=1)))
    # A token pipeline with a dynamic length: layer_norm, linear, gelu,
    # residual add, softmax.
    ts, wts = (1, 37, 16), (16, 16)
    d = dyn(ts, {1})
    body = ("%%t = tensor.cast %%a0 : %s to %s\n" % (ttype(ts), d) +
            "%%n = nn.layer_norm %%t weight(%%a2) bias(%%a3) : (%s, tensor<16xf32>, tensor<16xf32>) -> %s\n" % (d, d) +
            "%%l = nn.linear %%n, %%a1 : (%s, %s) -> %s\n" % (d, ttype(wts), d) +
            "%%g = nn.gelu %%l : %s\n" % d +
            "%%s = nn.add %%t, %%g : (%s, %s) -> %s\n" % (d, d, d) +
            "%%m = nn.softmax %%s : %s\n" % d +
            "%%r0 = tensor.cast %%m : %s to %s" % (d, ttype(ts)))
    cs.append(Case("dyn_token_pipeline", [ts, wts, (16,), (16,)], [ts], body,
                   lambda t, w, g, b: torch.softmax(
                       t + F.gelu(F.linear(F.layer_norm(t, (16,), g, b), w)), -1)))
    # image_to_tokens / split_heads with dynamic sizes.
    im = (2, 4, 3, 5)
    body = ("%%x = tensor.cast %%a0 : %s to %s\n" % (ttype(im), dyn(im, {0, 2, 3})) +
            "%%t = nn.image_to_tokens %%x layout(nchw) : %s -> %s\n" % (
                dyn(im, {0, 2, 3}), dyn((2, 15, 4), {0, 1})) +
            "%%h = nn.split_heads %%t {num_heads = 2} : %s -> %s\n" % (
                dyn((2, 15, 4), {0, 1}), dyn((2, 2, 15, 2), {0, 2})) +
            "%%r0 = tensor.cast %%h : %s to %s" % (dyn((2, 2, 15, 2), {0, 2}), ttype((2, 2, 15, 2))))
    cs.append(Case("dyn_tokens_heads", [im], [(2, 2, 15, 2)], body,
                   lambda x: x.flatten(2).transpose(1, 2).reshape(2, 15, 2, 2).transpose(1, 2)))
    return cs


GROUPS["dynamic"] = dynamic_cases
