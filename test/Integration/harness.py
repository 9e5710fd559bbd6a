"""Compiles nn functions with acc-compile, runs them, and compares every
output with an independent reference computed by PyTorch in float64.

Each case is an nn function with static shapes, the shapes of its inputs and
a reference function (torch, float64). All cases of a group are compiled into
one object, linked with acc's runtime into a shared library and called
through the C ABI of compiled models:
int NAME(const float *in0, ..., float *out0, ...), which must return 0.

Inputs are seeded by the case name, so every run sees the same data; --dump
writes each output (.npy) for comparisons across runs (thread counts).

usage: harness.py --acc-compile PATH --runtime LIB --group NAME --workdir DIR
                  [--dump DIR]
"""
import argparse
import ctypes
import os
import subprocess
import sys
import zlib

import numpy as np
import torch

F = torch.nn.functional


def ttype(shape):
    return "tensor<%sxf32>" % "x".join(str(d) for d in shape)


class Case:
    def __init__(self, name, inputs, outputs, body, ref, tol=1e-5, init=None,
                 consts=()):
        """inputs/outputs: lists of shapes; body: MLIR lines using %a0.. and
        defining %r0..; ref: function of float64 torch tensors returning a
        tensor or a tuple of them. consts: indices of inputs embedded in the
        function as constants (weights of a deployed model) instead of
        passed as arguments; the reference still gets them."""
        self.name, self.inputs, self.outputs = name, inputs, outputs
        self.body, self.ref, self.tol, self.init = body, ref, tol, init
        self.consts = set(consts)

    def values(self):
        """The inputs' values, the same on every call (seeded by the name)."""
        rng = np.random.default_rng(zlib.crc32(self.name.encode()))
        ins = []
        for i, shape in enumerate(self.inputs):
            if self.init and i in self.init:
                ins.append(self.init[i](rng, shape).astype(np.float32))
            else:
                ins.append(rng.standard_normal(shape).astype(np.float32))
        return ins

    def mlir(self):
        args = ", ".join("%%a%d: %s" % (i, ttype(s)) for i, s in enumerate(self.inputs)
                         if i not in self.consts)
        res = ", ".join(ttype(s) for s in self.outputs)
        rets = ", ".join("%%r%d" % i for i in range(len(self.outputs)))
        lines = ["func.func @%s(%s) -> (%s) {" % (self.name, args, res)]
        for i, v in enumerate(self.values()):
            if i in self.consts:
                # MLIR's hex form of a dense constant: the raw little-endian
                # bytes.
                lines.append('  %%a%d = arith.constant dense<"0x%s"> : %s' % (
                    i, v.astype("<f4").tobytes().hex().upper(), ttype(v.shape)))
        lines += ["  " + l for l in self.body.strip().splitlines()]
        lines.append("  return %s : %s" % (rets, res))
        lines.append("}")
        return "\n".join(lines)


def rel_error(got, want):
    scale = max(float(np.abs(want).max()), 1e-30)
    return float(np.abs(got - want).max()) / scale


def run(cases, acc_compile, runtime, workdir, group, dump=None, flags=()):
    os.makedirs(workdir, exist_ok=True)
    src = os.path.join(workdir, group + ".mlir")
    obj = os.path.join(workdir, group + ".o")
    lib = os.path.join(workdir, "lib" + group + ".so")
    with open(src, "w") as f:
        f.write("\n\n".join(c.mlir() for c in cases) + "\n")
    subprocess.run([acc_compile, src, "-o", obj] + list(flags), check=True, timeout=600)
    subprocess.run(["cc", "-shared", obj, runtime, "-o", lib, "-lm", "-lpthread"],
                   check=True, timeout=600)
    dll = ctypes.CDLL(lib)
    failures = 0
    for case in cases:
        ins = case.values()
        args = [a for i, a in enumerate(ins) if i not in case.consts]
        outs = [np.full(s, np.nan, np.float32) for s in case.outputs]
        fn = getattr(dll, case.name)
        fn.restype = ctypes.c_int
        before = [a.copy() for a in args]
        status = fn(*[a.ctypes.data_as(ctypes.c_void_p) for a in args + outs])
        if status != 0:
            raise SystemExit("%s returned %d" % (case.name, status))
        # The ABI: inputs are only read.
        for i, (a, b) in enumerate(zip(args, before)):
            if a.tobytes() != b.tobytes():
                raise SystemExit("%s wrote into its input #%d" % (case.name, i))
        if dump:
            os.makedirs(dump, exist_ok=True)
            for i, o in enumerate(outs):
                np.save(os.path.join(dump, "%s.%d.npy" % (case.name, i)), o)
        want = case.ref(*[torch.tensor(a, dtype=torch.float64) for a in ins])
        if not isinstance(want, tuple):
            want = (want,)
        errs = []
        for got, w in zip(outs, want):
            w = w.detach().numpy()
            if got.shape != w.shape:
                raise SystemExit("%s: shape %s vs reference %s" % (case.name, got.shape, w.shape))
            errs.append(rel_error(got, w) if np.isfinite(got).all() else float("inf"))
        err = max(errs)
        ok = err <= case.tol
        failures += not ok
        print("%s %s rel_err=%.2e tol=%.0e" % ("PASS" if ok else "FAIL", case.name, err, case.tol))
    print("%s: %d of %d cases passed" % (group, len(cases) - failures, len(cases)))
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--acc-compile", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--runtime", required=True, help="libacc_runtime.a")
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--dump", help="directory for the outputs (.npy)")
    parser.add_argument("--acc-flag", action="append", default=[],
                        help="an extra acc-compile flag (repeatable), e.g. "
                             "--acc-flag=--cpu=haswell")
    args = parser.parse_args()
    torch.manual_seed(0)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import cases
    return run(cases.GROUPS[args.group](), args.acc_compile, args.runtime,
               args.workdir, args.group, args.dump, args.acc_flag)


if __name__ == "__main__":
    sys.exit(main())
