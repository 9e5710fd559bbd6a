"""Runs examples/hybrid.mlir through a C program (examples/c/run_model.c,
linked with the compiled model) and compares its output with the same model
written independently in PyTorch (float64).

usage: hybrid_reference.py RUN_MODEL WORKDIR
"""
import os
import subprocess
import sys

import numpy as np
import torch

F = torch.nn.functional
runner, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
rng = np.random.default_rng(7)
shapes = [(1, 3, 64, 64), (64, 64), (64, 64), (64, 64), (64, 64),
          (256, 64), (256,), (64, 256), (64,), (64,), (64,)]
ins = [rng.standard_normal(s).astype(np.float32) * (0.2 if i else 1.0)
       for i, s in enumerate(shapes)]
ins[9] = (1.0 + 0.1 * rng.standard_normal(64)).astype(np.float32)  # ln gamma
paths = []
for i, a in enumerate(ins):
    p = os.path.join(work, "in%d.bin" % i)
    a.tofile(p)
    paths.append(p)
out_path = os.path.join(work, "out0.bin")
if os.path.exists(out_path):
    os.remove(out_path)
r = subprocess.run([runner] + paths + [out_path], capture_output=True, text=True)
print(r.stdout.strip())
if r.returncode != 0:
    sys.exit("FAIL: runner exited with %d: %s" % (r.returncode, r.stderr))
got = np.fromfile(out_path, dtype=np.float32).reshape(1, 64, 1, 1)

t = [torch.tensor(a, dtype=torch.float64) for a in ins]
image, wq, wk, wv, wo, w1, b1, w2, b2, g, b = t


def full(shape, v):
    return torch.full(shape, v, dtype=torch.float64)


def conv_bn_relu(x, cin, cout, w, s, bb, m, v):
    y = F.conv2d(x, full((cout, cin, 3, 3), w), stride=2, padding=1)
    y = F.batch_norm(y, full((cout,), m), full((cout,), v), full((cout,), s),
                     full((cout,), bb), training=False, eps=1e-5)
    return F.relu(y)


def ln(z):
    return F.layer_norm(z, (64,), g, b, eps=1e-5)


def heads(z):
    return z.reshape(1, 256, 4, 16).transpose(1, 2)


x = conv_bn_relu(image, 3, 32, 0.05, 1.5, 0.1, 0.2, 4.0)
x = conv_bn_relu(x, 32, 64, 0.02, 0.5, 0.0, 0.1, 1.0)
tokens = x.flatten(2).transpose(1, 2)                      # [1, 256, 64]
h = ln(tokens)
q, k, v = heads(h @ wq.T), heads(h @ wk.T), heads(h @ wv.T)
att = torch.softmax(q @ k.transpose(-1, -2) / 4.0, dim=-1) @ v
merged = att.transpose(1, 2).reshape(1, 256, 64)
res1 = tokens + merged @ wo.T
y = ln(res1)
o = F.gelu(y @ w1.T + b1) @ w2.T + b2
res2 = res1 + o
img = res2.transpose(1, 2).reshape(1, 64, 16, 16)
want = img.mean(dim=(2, 3), keepdim=True).numpy()
err = float(np.abs(got - want).max() / np.abs(want).max())
ok = bool(np.isfinite(got).all()) and err < 1e-4
print("%s hybrid rel_err=%.2e tol=1e-04" % ("PASS" if ok else "FAIL", err))
sys.exit(0 if ok else 1)
