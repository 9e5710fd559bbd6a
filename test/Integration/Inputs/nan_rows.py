"""A NaN in a softmax row makes that row NaN and leaves the others finite
(as in PyTorch), although the row max is a maxnum reduced with `nnan`: the
NaN reaches the row through its exp. Likewise a NaN in one query's
row of Q (attention) and in one key (every query sees it). A NaN in a max
pool's input makes exactly the windows that hold it NaN; in a Winograd
convolution's, the whole output tiles whose input windows hold it."""
import ctypes
import sys

import numpy as np

lib = ctypes.CDLL(sys.argv[1])


def call(fn, *arrays):
    f = getattr(lib, fn)
    f.restype = ctypes.c_int
    return f(*[a.ctypes.data_as(ctypes.c_void_p) for a in arrays])


def report(name, out, nan_rows):
    rows = out.reshape(-1, out.shape[-1])
    got = [i for i in range(rows.shape[0]) if np.isnan(rows[i]).any()]
    whole = all(np.isnan(rows[i]).all() for i in got)
    print("%s NaN rows %s whole %s others finite %s" % (
        name, got, whole, all(np.isfinite(rows[i]).all()
                              for i in range(rows.shape[0]) if i not in got)))
    print("%s %s" % (name, "OK" if got == nan_rows and whole else "FAIL"))


rng = np.random.default_rng(0)
x = rng.standard_normal((4, 37)).astype(np.float32)
x[2, 30] = np.nan
out = np.zeros_like(x)
print("softmax status", call("softmax_rows", x, out))
report("softmax", out, [2])

q = rng.standard_normal((1, 1, 64, 16)).astype(np.float32)
k = rng.standard_normal((1, 1, 256, 16)).astype(np.float32)
v = rng.standard_normal((1, 1, 256, 16)).astype(np.float32)
q[0, 0, 5, 3] = np.nan
out = np.zeros_like(q)
print("attention status", call("attention_rows", q, k, v, out))
report("attention query", out, [5])
q[0, 0, 5, 3] = 0.5
k[0, 0, 100, 7] = np.nan
print("attention status", call("attention_rows", q, k, v, out))
report("attention key", out, list(range(64)))

x = rng.standard_normal((4, 203)).astype(np.float32)
x[1, 150] = np.nan
out = np.zeros_like(x)
f = lib.softmax_dynamic_rows
f.restype = ctypes.c_int
dims = np.array([203, 203], np.int64)
print("dynamic softmax status", f(x.ctypes.data_as(ctypes.c_void_p),
                                  out.ctypes.data_as(ctypes.c_void_p),
                                  dims.ctypes.data_as(ctypes.c_void_p)))
report("dynamic softmax", out, [1])

x = rng.standard_normal((1, 9, 9, 32)).astype(np.float32)
x[0, 3, 3, 7] = np.nan
out = np.zeros((1, 5, 5, 32), np.float32)
print("max pool status", call("max_pool_nan", x, out))
padded = np.full((1, 11, 11, 32), -np.inf, np.float32)
padded[:, 1:10, 1:10] = x
want = np.stack([np.stack([padded[0, 2 * oy:2 * oy + 3, 2 * ox:2 * ox + 3].reshape(9, 32).max(0)
                           for ox in range(5)]) for oy in range(5)])[None]
got = sorted(map(tuple, np.argwhere(np.isnan(out))))
print("max pool NaN at", got)
print("max pool", "OK" if got == sorted(map(tuple, np.argwhere(np.isnan(want))))
      and np.array_equal(out[~np.isnan(out)], want[~np.isnan(want)]) else "FAIL")

# Winograd F(4x4, 3x3): a NaN at input pixel (y, x) (padded: y + 1, x + 1)
# is in the 6 x 6 window of output tile (ty, tx) when 4 ty <= y + 1 <=
# 4 ty + 5; every output of those tiles is NaN, every other output is the
# convolution's (float64 reference, filter 0.125 everywhere).
x = rng.standard_normal((1, 8, 8, 16)).astype(np.float32)
x[0, 2, 5, 3] = np.nan
out = np.zeros((1, 8, 8, 16), np.float32)
print("winograd status", call("winograd_nan", x, out))
tiles = lambda p: [t for t in range(2) if 4 * t <= p + 1 <= 4 * t + 5]
want_nan = sorted((y, xx) for ty in tiles(2) for tx in tiles(5)
                  for y in range(4 * ty, 4 * ty + 4) for xx in range(4 * tx, 4 * tx + 4))
got_nan = sorted(set((int(y), int(xx)) for _, y, xx, _ in np.argwhere(np.isnan(out))))
whole = all(np.isnan(out[0, y, xx]).all() for y, xx in got_nan)
padded = np.zeros((10, 10, 16))
padded[1:9, 1:9] = x[0]
ref = np.stack([np.stack([0.125 * padded[y:y + 3, xx:xx + 3].sum() * np.ones(16)
                          for xx in range(8)]) for y in range(8)])
finite = ~np.isnan(out[0])
err = np.abs(out[0][finite] - ref[finite]).max() / np.abs(ref[np.isfinite(ref)]).max()
print("winograd NaN pixels", got_nan == want_nan, len(got_nan), "whole", whole,
      "others match", err < 3e-5)
print("winograd", "OK" if got_nan == want_nan and whole and err < 3e-5 else "FAIL")

# ReLU: NaN stays NaN, -inf becomes 0, +inf stays, everything else max(x, 0).
x = rng.standard_normal((4, 37)).astype(np.float32)
x[0, 3], x[1, 36], x[2, 16], x[3, 0] = np.nan, np.nan, -np.inf, np.inf
out = np.zeros_like(x)
print("relu status", call("relu_nan", x, out))
want = np.where(np.isnan(x), np.nan, np.maximum(x, 0))
same_nan = np.array_equal(np.isnan(out), np.isnan(want))
print("relu NaN at", sorted(map(tuple, np.argwhere(np.isnan(out)).tolist())),
      "others", np.array_equal(out[~np.isnan(out)], want[~np.isnan(want)]))
print("relu", "OK" if same_nan and np.array_equal(out[~np.isnan(out)], want[~np.isnan(want)]) else "FAIL")
