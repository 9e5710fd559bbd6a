"""math.exp on f32 (acc's polynomial, ExpApproximation.cpp) against float64
numpy: the largest error in ulp over a dense sweep of [-90, 90] and random
inputs, for the vectorized and the scalar (dynamic-length) code; results
below 2^-126 flushed to 0, past FLT_MAX +inf; the special values."""
import ctypes
import sys

import numpy as np

lib = ctypes.CDLL(sys.argv[1])
N = 4096


def vec(x):
    out = np.full_like(x, np.nan)
    f = lib.exp_vec
    f.restype = ctypes.c_int
    assert f(x.ctypes.data_as(ctypes.c_void_p),
             out.ctypes.data_as(ctypes.c_void_p)) == 0
    return out


def scalar(x):
    out = np.full_like(x, np.nan)
    f = lib.exp_dyn
    f.restype = ctypes.c_int
    dims = np.array([x.size, x.size], np.int64)
    assert f(x.ctypes.data_as(ctypes.c_void_p),
             out.ctypes.data_as(ctypes.c_void_p),
             dims.ctypes.data_as(ctypes.c_void_p)) == 0
    return out


rng = np.random.default_rng(0)
xs = np.concatenate([np.linspace(-90, 90, N * 200),
                     rng.standard_normal(N * 20) * 4]).astype(np.float32)
ref = np.exp(xs.astype(np.float64))
big = ref > np.finfo(np.float32).max
tiny = ref < 2.0 ** -126
normal = (ref >= 2.0 ** -125) & ~big
specials = np.array([-np.inf, np.inf, np.nan, 0.0, -0.0, 1.0, -1.0, 1e-30,
                     88.72, -87.4, -1000.0, 1000.0], np.float32)
for name, fn in (("vector", vec), ("scalar", scalar)):
    ys = np.concatenate([fn(c.copy()) for c in xs.reshape(-1, N)])
    ulp = (np.abs(ys[normal] - ref[normal]) /
           np.spacing(ref[normal].astype(np.float32)).astype(np.float64))
    print("%s max ulp %.2f %s" % (name, ulp.max(),
                                  "OK" if ulp.max() <= 2.5 else "FAIL"))
    print("%s below 2^-126 zero %s, past FLT_MAX inf %s" % (
        name, bool((ys[tiny] == 0).all()),
        bool((ys[big] == np.inf).all())))
    sp = np.zeros(N, np.float32)
    sp[:specials.size] = specials
    got = fn(sp)[:specials.size]
    print(name, " ".join("%g:%g" % (v, g) for v, g in zip(specials, got)))
