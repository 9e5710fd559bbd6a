"""Dynamic extents that are 0 at run time: every entry returns 0 and writes
nothing it should not. Attention with no keys gives zeros (its rows saw no
key); with no queries, softmax or linear with no rows, softmax over rows of
length 0, the calls do nothing.

    empty_dims.py LIB
"""
import ctypes
import sys

import numpy as np

lib = ctypes.CDLL(sys.argv[1])


def call(fn, arrays, dims):
    f = getattr(lib, fn)
    f.restype = ctypes.c_int
    d = np.array(dims, np.int64)
    return f(*[a.ctypes.data_as(ctypes.c_void_p) for a in arrays],
             d.ctypes.data_as(ctypes.c_void_p))


def empty(*shape):
    return np.zeros(shape, np.float32)


print("attention no queries", call("att", [empty(1, 2, 0, 16)] * 3 + [empty(1, 2, 0, 16)],
                                   [0, 0, 0, 0]))
q = np.ones((1, 2, 3, 16), np.float32)
out = np.full_like(q, 7.0)
status = call("att", [q, empty(1, 2, 0, 16), empty(1, 2, 0, 16), out], [3, 0, 0, 3])
print("attention no keys", status, "zeros" if (out == 0).all() else "FAIL %s" % out.ravel()[:4])
print("softmax no rows", call("sm", [empty(0, 8), empty(0, 8)], [0, 0]))
print("linear no rows", call("lin", [empty(0, 64), np.ones((32, 64), np.float32), empty(0, 32)],
                             [0, 0]))
print("softmax rows of length 0", call("smk", [empty(4, 0), empty(4, 0)], [0, 0]))
