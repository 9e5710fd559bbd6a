"""Calls the dims-taking entries of Inputs/dynamic_entry.mlir at several
sizes and compares them with float64 PyTorch; checks the statuses for
output dims that do not match the inputs (1, outputs untouched) and for
negative dims (2).

    dynamic_entry.py LIB
"""
import ctypes
import sys

import numpy as np
import torch
import torch.nn.functional as F

lib = ctypes.CDLL(sys.argv[1])
ok = True


def call(fn, arrays, dims):
    d = np.array(dims, dtype=np.int64)
    args = [a.ctypes.data_as(ctypes.c_void_p) for a in arrays]
    args.append(d.ctypes.data_as(ctypes.c_void_p))
    f = getattr(lib, fn)
    f.restype = ctypes.c_int
    return f(*args)


def check(name, got, want, status):
    global ok
    err = np.abs(got - want).max() / np.abs(want).max()
    good = status == 0 and err < 1e-5
    ok &= good
    print("%s status %d rel_err %.2e %s" % (name, status, err, "OK" if good else "FAIL"))


rng = np.random.default_rng(0)
w = rng.standard_normal((64, 32)).astype(np.float32) * 0.2
b = rng.standard_normal(64).astype(np.float32) * 0.1
for bs, n in ((2, 37), (1, 5), (3, 64)):
    x = rng.standard_normal((bs, n, 32)).astype(np.float32)
    out = np.full((bs, n, 64), np.nan, np.float32)
    status = call("mlp", [x, w, b, out], [bs, n, bs, n])
    ref = F.gelu(F.linear(torch.from_numpy(x).double(), torch.from_numpy(w).double(),
                          torch.from_numpy(b).double())).numpy()
    check("mlp %dx%d" % (bs, n), out, ref, status)

for nq, nk in ((37, 37), (1, 90), (70, 130)):
    q = rng.standard_normal((1, 2, nq, 16)).astype(np.float32)
    k = rng.standard_normal((1, 2, nk, 16)).astype(np.float32)
    v = rng.standard_normal((1, 2, nk, 16)).astype(np.float32)
    out = np.full((1, 2, nq, 16), np.nan, np.float32)
    status = call("attn", [q, k, v, out], [nq, nk, nk, nq])
    qd, kd, vd = (torch.from_numpy(t).double() for t in (q, k, v))
    s = qd @ kd.transpose(-1, -2) / 4.0
    i = torch.arange(nq)[:, None] + (nk - nq)
    s = s.masked_fill(torch.arange(nk)[None, :] > i, float("-inf"))
    check("attn %dx%d" % (nq, nk), out, (torch.softmax(s, -1) @ vd).numpy(), status)

# An output buffer whose dims do not match the inputs: status 1, untouched.
x = rng.standard_normal((2, 10, 32)).astype(np.float32)
out = np.full((2, 11, 64), np.nan, np.float32)
status = call("mlp", [x, w, b, out], [2, 10, 2, 11])
good = status == 1 and np.isnan(out).all()
ok &= good
print("mismatched output dims: status %d %s" % (status, "OK" if good else "FAIL"))
# A negative dim: status 2.
status = call("mlp", [x, w, b, out], [2, -10, 2, 10])
good = status == 2
ok &= good
print("negative dim: status %d %s" % (status, "OK" if good else "FAIL"))
sys.exit(0 if ok else 1)
