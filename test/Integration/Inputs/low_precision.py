"""f16 and bf16 models through the whole CPU pipeline, against float64
PyTorch: a linear + GELU + softmax chain, a 3x3 convolution with bias and
ReLU (NCHW), a causal attention and a sliding-window one (key-major
score blocks).

    low_precision.py ACC_COMPILE WORKDIR

Buffers hold raw 16-bit values (docs/ABI.md: f16 and bf16 are uint16_t).
The tolerances are a few units of the format's precision: 4e-3 for f16
(10 mantissa bits), 3e-2 for bf16 (7 bits). Attention's are tighter:
it accumulates its scores, running max and sum and output in f32, and
its error is that of the inputs' and the output's rounding (2.4e-4 f16,
1.4e-3 bf16; accumulated in the element type it was 1.5e-3 and 6.9e-3,
which these tolerances reject).
"""
import ctypes
import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F

TEMPLATE = """
func.func @mlp(%x: tensor<8x32xT>, %w: tensor<16x32xT>, %b: tensor<16xT>) -> tensor<8x16xT> {
  %y = nn.linear %x, %w bias(%b) : (tensor<8x32xT>, tensor<16x32xT>, tensor<16xT>) -> tensor<8x16xT>
  %g = nn.gelu %y : tensor<8x16xT>
  %s = nn.softmax %g : tensor<8x16xT>
  return %s : tensor<8x16xT>
}
func.func @conv(%x: tensor<1x8x10x10xT>, %w: tensor<16x8x3x3xT>, %b: tensor<16xT>) -> tensor<1x16x10x10xT> {
  %y = nn.conv2d %x, %w bias(%b) layout(nchw) {padding = array<i64: 1, 1, 1, 1>} : (tensor<1x8x10x10xT>, tensor<16x8x3x3xT>, tensor<16xT>) -> tensor<1x16x10x10xT>
  %r = nn.relu %y : tensor<1x16x10x10xT>
  return %r : tensor<1x16x10x10xT>
}
func.func @attn(%q: tensor<1x2x70x16xT>, %k: tensor<1x2x70x16xT>, %v: tensor<1x2x70x16xT>) -> tensor<1x2x70x16xT> {
  %o = nn.attention %q, %k, %v mask(causal) : (tensor<1x2x70x16xT>, tensor<1x2x70x16xT>, tensor<1x2x70x16xT>) -> tensor<1x2x70x16xT>
  return %o : tensor<1x2x70x16xT>
}
func.func @window(%q: tensor<1x2x96x16xT>, %k: tensor<1x2x96x16xT>, %v: tensor<1x2x96x16xT>) -> tensor<1x2x96x16xT> {
  %o = nn.attention %q, %k, %v mask(sliding_window) {window = 40} : (tensor<1x2x96x16xT>, tensor<1x2x96x16xT>, tensor<1x2x96x16xT>) -> tensor<1x2x96x16xT>
  return %o : tensor<1x2x96x16xT>
}
"""


def causal(q, k, v, window=None):
    s = q @ k.transpose(-1, -2) / 4.0
    n = q.shape[2]
    hidden = torch.triu(torch.ones(n, n, dtype=torch.bool), 1)
    if window:
        hidden |= torch.tril(torch.ones(n, n, dtype=torch.bool), -window)
    s = s.masked_fill(hidden, float("-inf"))
    return torch.softmax(s, -1) @ v


def main():
    acc_compile, work = sys.argv[1:3]
    os.makedirs(work, exist_ok=True)
    ok = True
    for name, dtype, tol, attn_tol in (("f16", torch.float16, 4e-3, 6e-4),
                                       ("bf16", torch.bfloat16, 3e-2, 3.5e-3)):
        src = os.path.join(work, "lp_%s.mlir" % name)
        lib = os.path.join(work, "liblp_%s.so" % name)
        open(src, "w").write(TEMPLATE.replace("xT>", "x%s>" % name))
        subprocess.run([acc_compile, src, "--shared", "-o", lib], check=True)
        dll = ctypes.CDLL(lib)
        g = torch.Generator().manual_seed(0)
        rnd = lambda *s, scale=1.0: (torch.randn(*s, generator=g) * scale).to(dtype)
        cases = [
            ("mlp", [rnd(8, 32), rnd(16, 32, scale=0.2), rnd(16, scale=0.1)], (8, 16),
             lambda x, w, b: torch.softmax(F.gelu(F.linear(x, w, b)), -1)),
            ("conv", [rnd(1, 8, 10, 10), rnd(16, 8, 3, 3, scale=0.2), rnd(16, scale=0.1)],
             (1, 16, 10, 10), lambda x, w, b: F.relu(F.conv2d(x, w, b, padding=1))),
            ("attn", [rnd(1, 2, 70, 16), rnd(1, 2, 70, 16), rnd(1, 2, 70, 16)], (1, 2, 70, 16),
             causal),
            ("window", [rnd(1, 2, 96, 16), rnd(1, 2, 96, 16), rnd(1, 2, 96, 16)], (1, 2, 96, 16),
             lambda q, k, v: causal(q, k, v, window=40)),
        ]
        for fn, ins, shape, ref in cases:
            raw = [np.ascontiguousarray(t.view(torch.int16).numpy()) for t in ins]
            out = np.zeros(shape, np.int16)
            f = getattr(dll, fn)
            f.restype = ctypes.c_int
            status = f(*[a.ctypes.data_as(ctypes.c_void_p) for a in raw + [out]])
            got = torch.from_numpy(out).view(dtype).double()
            want = ref(*[t.double() for t in ins])
            err = float((got - want).abs().max() / want.abs().max())
            good = status == 0 and err < (attn_tol if fn in ("attn", "window") else tol)
            ok &= good
            print("%s %s status %d rel_err %.2e %s" % (name, fn, status, err,
                                                      "OK" if good else "FAIL"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
