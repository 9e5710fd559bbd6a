"""Exports the ONNX test models of acc's importer with PyTorch.

    /usr/bin/python3 test/Import/gen_models.py [OUTDIR]

Small models (random weights, committed under test/Import/Inputs, about
1 MB in all) with, beside each `NAME.onnx`, `NAME.npz` holding the inputs
(`in0`, `in1`, ...) and PyTorch's outputs computed in float64 (`out0`, ...).
Run with Debian's python3-torch (1.13). Rerunning rewrites the files; the
tests read only what is committed.

The larger acceptance models (torchvision's resnet18 and vit_b_16) are
exported on demand by torchvision_check.py, not stored.
"""

import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "examples"))
import hybrid_torch  # noqa: E402


class CNN(nn.Module):
    """Convolutions of every kind the importer maps, with pooling and a head:
    Conv (+ folded BatchNormalization), strided/grouped/depthwise/1x1,
    a residual Add, ReLU6 (Clip), a standalone BatchNormalization, MaxPool,
    AveragePool, HardSwish, HardSigmoid, Sigmoid, GlobalAveragePool, Flatten,
    Gemm."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False),
                                  nn.BatchNorm2d(16), nn.ReLU())
        self.pool = nn.MaxPool2d(3, 2, 1)
        self.c1 = nn.Conv2d(16, 16, 3, 1, 1)
        self.c2 = nn.Conv2d(16, 16, 3, 1, 1, groups=4)
        self.down = nn.Conv2d(16, 24, 1, 2)
        self.dw = nn.Conv2d(24, 24, 5, 1, 2, groups=24)
        self.bn = nn.BatchNorm2d(24)
        self.avg = nn.AvgPool2d(2, 2, count_include_pad=False)
        self.se = nn.Conv2d(24, 24, 1)
        self.fc = nn.Linear(24, 10)

    def forward(self, x):
        x = self.pool(self.stem(x))
        x = F.relu(x + self.c2(F.relu(self.c1(x))))
        x = F.relu6(self.down(x) * 3.0)  # Clip(0, 6)
        x = self.bn(self.dw(x) + x)      # BatchNormalization after an Add
        x = F.hardswish(self.avg(x))
        x = x * F.hardsigmoid(self.se(x)) + torch.sigmoid(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class Transformer(nn.Module):
    """A pre-norm encoder layer (nn.MultiheadAttention, LayerNormalization,
    erf-GELU MLP) and a causal attention written out by hand with an
    explicit -inf mask: the importer must raise both to nn.attention."""

    def __init__(self, d=64, heads=4, n=40):
        super().__init__()
        self.ln1, self.ln2, self.ln3 = (nn.LayerNorm(d) for _ in range(3))
        self.mha = nn.MultiheadAttention(d, heads, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(),
                                 nn.Linear(4 * d, d))
        self.qkv = nn.Linear(d, 3 * d)
        self.heads = heads
        self.register_buffer(
            "mask", torch.triu(torch.full((n, n), float("-inf")), 1))

    def forward(self, x):
        h = self.ln1(x)
        x = x + self.mha(h, h, h, need_weights=False)[0]
        x = x + self.mlp(self.ln2(x))
        b, n, d = x.shape
        q, k, v = self.qkv(self.ln3(x)).split(d, dim=-1)
        q, k, v = (t.reshape(b, n, self.heads, d // self.heads).transpose(1, 2)
                   for t in (q, k, v))
        s = q @ k.transpose(-2, -1) * (d // self.heads) ** -0.5 + self.mask
        y = torch.softmax(s, dim=-1) @ v
        return x + y.transpose(1, 2).reshape(b, n, d)


class Ops(nn.Module):
    """Data movement and elementwise math without an nn op of their own:
    Concat, Slice (with steps), Gather, Pad, Expand, Transpose, Reshape,
    Squeeze/Unsqueeze, Sub, Div, Pow, Sqrt, ReduceMean (as PyTorch writes a
    layer norm before opset 17, raised back to nn.layer_norm, and over a
    middle axis), Erf, Exp, Tanh, Where with a constant mask,
    Softmax over a middle axis, and a second input."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(8) * 0.1 + 1.0)

    def forward(self, x, y):
        a = torch.cat([x, y * 2.0], dim=1)                  # [1, 6, 8, 8]
        a = a[:, :, 1:7:2, :]                               # [1, 6, 3, 8]
        a = F.pad(a, (1, 2, 0, 1), value=0.5)               # [1, 6, 4, 11]
        g = a[:, 2]                                          # [1, 4, 11]
        t = a.permute(0, 2, 1, 3).reshape(1, 4, 66)
        mu = t.mean(-1, keepdim=True)
        var = (t - mu).pow(2).mean(-1, keepdim=True)
        t = (t - mu) / torch.sqrt(var + 1e-5)
        e = torch.erf(t[..., :11]) + torch.exp(-g.abs()) + torch.tanh(g)
        e = e + t.mean(1, keepdim=True)[..., 11:22]     # ReduceMean, axis 1
        # masked_fill with a constant mask: Where on an activation.
        keep = (torch.arange(11) % 3 != 0).reshape(1, 1, 1, 11)
        s = torch.softmax(a.masked_fill(~keep, -1e4), dim=1)
        z = s.mean(dim=(2, 3)).unsqueeze(-1).expand(1, 6, 8)
        out = torch.cat([e.reshape(1, 44), z.reshape(1, 48)], dim=1)
        return out * self.w.repeat(23)[:92], a.squeeze(0)


class Hybrid(nn.Module):
    """examples/hybrid.mlir's model (examples/hybrid_torch.py) with its
    weights as parameters: a conv stem, then one transformer layer over the
    feature map's tokens, pooled."""

    def __init__(self):
        super().__init__()
        ins = hybrid_torch.inputs(np)
        self.ws = nn.ParameterList(
            [nn.Parameter(torch.from_numpy(w)) for w in ins[1:]])
        self.example = torch.from_numpy(ins[0])

    def forward(self, image):
        return hybrid_torch.forward(torch, [image] + list(self.ws))


class ConvBN(nn.Module):
    """Conv then BatchNormalization as separate ONNX nodes (exported without
    PyTorch's constant folding): the importer folds them into one conv."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class CumSum(nn.Module):
    """An operator acc does not map (CumSum), for the error test."""

    def forward(self, x):
        return torch.cumsum(x, dim=1)


def export(model, inputs, name, outdir, dynamic=None, fold=True):
    torch.manual_seed(0)
    model.eval()
    path = os.path.join(outdir, name + ".onnx")
    names = ["in%d" % i for i in range(len(inputs))]
    with torch.no_grad():
        outs = model(*inputs)
    outs = outs if isinstance(outs, tuple) else (outs,)
    torch.onnx.export(model, tuple(inputs), path, opset_version=17,
                      input_names=names,
                      output_names=["out%d" % i for i in range(len(outs))],
                      dynamic_axes=dynamic, do_constant_folding=fold,
                      training=torch.onnx.TrainingMode.EVAL if fold
                      else torch.onnx.TrainingMode.PRESERVE)
    with torch.no_grad():
        ref = model.double()(*[t.double() for t in inputs])
    ref = ref if isinstance(ref, tuple) else (ref,)
    arrays = {n: t.numpy().astype(np.float32) for n, t in zip(names, inputs)}
    arrays.update({"out%d" % i: r.numpy() for i, r in enumerate(ref)})
    np.savez(os.path.join(outdir, name + ".npz"), **arrays)
    print("wrote", path, os.path.getsize(path), "bytes")


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "Inputs")
    os.makedirs(outdir, exist_ok=True)
    torch.manual_seed(0)
    cnn = CNN()
    with torch.no_grad():   # non-trivial running statistics
        for bn in (cnn.stem[1], cnn.bn):
            bn.running_mean.uniform_(-0.2, 0.2)
            bn.running_var.uniform_(0.5, 2.0)
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.2, 0.2)
    export(cnn, [torch.randn(1, 3, 64, 64)], "cnn", outdir)
    torch.manual_seed(1)
    export(Transformer(), [torch.randn(1, 40, 64)], "transformer", outdir)
    torch.manual_seed(2)
    export(Ops(), [torch.randn(1, 4, 8, 8), torch.randn(1, 2, 8, 8)], "ops",
           outdir)
    hybrid = Hybrid()
    export(hybrid, [hybrid.example], "hybrid", outdir)
    torch.manual_seed(3)
    export(CumSum(), [torch.randn(2, 5)], "cumsum", outdir)
    torch.manual_seed(5)
    convbn = ConvBN()
    with torch.no_grad():
        convbn.bn.running_mean.uniform_(-0.5, 0.5)
        convbn.bn.running_var.uniform_(0.5, 2.0)
        convbn.bn.weight.uniform_(0.5, 1.5)
        convbn.bn.bias.uniform_(-0.5, 0.5)
    export(convbn, [torch.randn(1, 3, 12, 12)], "conv_bn", outdir, fold=False)
    torch.manual_seed(4)
    export(nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU()),
           [torch.randn(1, 3, 10, 10)], "dynamic", outdir,
           dynamic={"in0": {0: "batch", 2: "h", 3: "w"},
                    "out0": {0: "batch", 2: "oh", 3: "ow"}})


if __name__ == "__main__":
    main()
