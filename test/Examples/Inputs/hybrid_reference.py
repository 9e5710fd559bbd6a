"""Runs examples/hybrid.mlir through a C program (examples/c/run_model.c,
linked with the compiled model) and compares its output with the same model
written independently in PyTorch (examples/hybrid_torch.py, in float64).

usage: hybrid_reference.py RUN_MODEL WORKDIR
"""
import os
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "examples"))
import hybrid_torch  # noqa: E402

runner, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
ins = hybrid_torch.inputs(np)
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
want = hybrid_torch.forward(
    torch, [torch.tensor(a, dtype=torch.float64) for a in ins]).numpy()
err = float(np.abs(got - want).max() / np.abs(want).max())
ok = bool(np.isfinite(got).all()) and err < 1e-4
print("%s hybrid rel_err=%.2e tol=1e-04" % ("PASS" if ok else "FAIL", err))
sys.exit(0 if ok else 1)
