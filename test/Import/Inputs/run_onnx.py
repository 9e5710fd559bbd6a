"""Compiles an ONNX model with acc-compile and checks it against PyTorch.

    run_onnx.py ACC_COMPILE MODEL.onnx REF.npz WORKDIR [acc-compile args...]

REF.npz holds the inputs `in0, in1, ...` and PyTorch's outputs `out0, ...`
(computed in float64 when the model was exported, see gen_models.py). The
model is compiled to a shared library (`--shared`, entry `--name model`),
called through ctypes, and every output must match to a relative error
(max |diff| / max |ref|) below 1e-4. Also checks the entry's status and that
the inputs are left unchanged. Prints one line per output; exit 1 on any
mismatch.
"""

import ctypes
import os
import subprocess
import sys

import numpy as np


def main():
    acc_compile, model, ref_path, workdir = sys.argv[1:5]
    extra = sys.argv[5:]
    os.makedirs(workdir, exist_ok=True)
    stem = os.path.splitext(os.path.basename(model))[0]
    lib = os.path.join(workdir, "lib%s.so" % stem)
    subprocess.run([acc_compile, model, "--shared", "-o", lib,
                    "--name", "model"] + extra, check=True)
    ref = np.load(ref_path)
    ins = [np.ascontiguousarray(ref["in%d" % i], dtype=np.float32)
           for i in range(sum(k.startswith("in") for k in ref.files))]
    wants = [ref["out%d" % i]
             for i in range(sum(k.startswith("out") for k in ref.files))]
    outs = [np.full(w.shape, np.nan, dtype=np.float32) for w in wants]
    saved = [a.copy() for a in ins]
    fn = ctypes.CDLL(lib).model
    fn.restype = ctypes.c_int
    status = fn(*[a.ctypes.data_as(ctypes.c_void_p) for a in ins + outs])
    ok = status == 0
    if status != 0:
        print("%s: status %d" % (stem, status))
    for i, (a, b) in enumerate(zip(ins, saved)):
        if not np.array_equal(a, b):
            print("%s: input %d was modified" % (stem, i))
            ok = False
    for i, (got, want) in enumerate(zip(outs, wants)):
        scale = np.abs(want).max()
        err = np.abs(got - want).max() / scale if scale > 0 else np.inf
        good = bool(np.isfinite(err) and err < 1e-4)
        print("%s out%d %s rel_err %.2e %s" % (stem, i, list(want.shape), err,
                                             "OK" if good else "MISMATCH"))
        ok &= good
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
