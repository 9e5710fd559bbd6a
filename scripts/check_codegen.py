#!/usr/bin/python3
"""Checks that acc's generated code is unchanged: the assembly that
`acc-compile -emit=asm` writes for every model acc is tested and measured
on, against a saved list of hashes.

    scripts/check_codegen.py            # compare with scripts/codegen-hashes.txt
    scripts/check_codegen.py --record   # (re)write that list

The models: every integration case (test/Integration/cases.py), each in a
module of its own, the IR files of the
integration tests and of examples/, the ONNX test models
(test/Import/Inputs/*.onnx), ResNet-18 and ViT-B/16 from
scripts/gen_models.py (also with a dynamic batch), and every case of the
benchmark suite (bench/run.py), the whole-model ones exported to ONNX by
PyTorch as the suite does. Each is compiled for two fixed CPUs, so that the
hashes do not depend on the machine: skylake-avx512 (16-lane vectors) and
haswell (AVX2, 8 lanes), plus single-threaded code (--parallel=false) and
direct convolutions (--winograd=false) for the AVX-512 CPU.

A refactoring that must not change behaviour records the list before it and
checks after it; the list is then re-recorded by the change that alters code
generation on purpose. Debian's python3 (torch, numpy) runs this script.
"""
import argparse
import concurrent.futures
import hashlib
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HASHES = os.path.join(ROOT, "scripts", "codegen-hashes.txt")

CONFIGS = {
    "avx512": ["--cpu=skylake-avx512"],
    "avx2": ["--cpu=haswell", "--features=+avx2,+fma"],
    "avx512-serial": ["--cpu=skylake-avx512", "--parallel=false"],
    "avx512-direct": ["--cpu=skylake-avx512", "--winograd=false"],
}


# Models that need flags of their own.
EXTRA_FLAGS = {
    "test/Import/Inputs/dynamic.onnx": ["--input-shape", "in0:2x3x17x19"],
}


def integration_models(work):
    sys.path.insert(0, os.path.join(ROOT, "test", "Integration"))
    import torch
    torch.manual_seed(0)
    import cases
    groups = dict(cases.GROUPS)
    groups["dynamic"] = cases.dynamic_cases
    # One module per case: with several functions in a module, upstream
    # one-shot bufferization names and orders the constants' globals in an
    # order that differs from run to run (the same binary gives different
    # assembly), so a group's module has no stable hash.
    out = []
    for name, make in sorted(groups.items()):
        for case in make():
            path = os.path.join(work, "integration_%s_%s.mlir" % (name, case.name))
            with open(path, "w") as f:
                f.write(case.mlir() + "\n")
            out.append(("integration/%s/%s" % (name, case.name), path))
    return out


def file_models():
    out = []
    for folder in ("test/Integration/Inputs", "examples"):
        for f in sorted(os.listdir(os.path.join(ROOT, folder))):
            if f.endswith(".mlir"):
                out.append((folder + "/" + f, os.path.join(ROOT, folder, f)))
    folder = "test/Import/Inputs"
    for f in sorted(os.listdir(os.path.join(ROOT, folder))):
        if f.endswith(".onnx"):
            out.append((folder + "/" + f, os.path.join(ROOT, folder, f)))
    return out


def generated_models(work):
    out = []
    for model, extra in (("resnet18", []), ("vit_b_16", []),
                         ("resnet18", ["--dynamic-batch"])):
        name = model + ("_dynamic" if extra else "")
        path = os.path.join(work, name + ".mlir")
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen_models.py"),
                        model, "-o", path] + extra, check=True)
        out.append(("gen_models/" + name, path))
    return out


def bench_models(work):
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    import numpy as np
    import torch
    import run as bench
    out = []
    for case in bench.cases(quick=False):
        if isinstance(case, bench.OnnxModelCase):
            module, inputs = case.module(torch, np)
            info = bench.export_onnx(torch, np, work, case.name, module, inputs)
            out.append(("bench/" + case.name, info["onnx"]))
        else:
            path = os.path.join(work, "bench_%s.mlir" % case.name)
            with open(path, "w") as f:
                f.write(case.mlir())
            out.append(("bench/" + case.name, path))
    return out


def compile_one(acc_compile, key, path, config, flags, work):
    flags = flags + EXTRA_FLAGS.get(key, [])
    out = os.path.join(work, "%s.%s.s" % (key.replace("/", "_"), config))
    r = subprocess.run([acc_compile, path, "-emit=asm", "-o", out] + flags,
                       capture_output=True, text=True)
    if r.returncode != 0:
        # The error, without this checkout's path: a refused model is
        # refused with the same message.
        msg = r.stderr.strip().replace(ROOT + "/", "")[:400]
        return "%s %s" % (key, config), "FAILED: " + msg.replace("\n", " | ")
    with open(out, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    os.remove(out)
    return "%s %s" % (key, config), digest


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--record", action="store_true",
                   help="write the hashes instead of comparing with them")
    p.add_argument("--acc-compile", default=os.path.join(ROOT, "build", "bin", "acc-compile"))
    p.add_argument("--hashes", default=HASHES)
    p.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    args = p.parse_args()

    with tempfile.TemporaryDirectory(prefix="acc-codegen-") as work:
        models = (integration_models(work) + file_models() +
                  generated_models(work) + bench_models(work))
        jobs = []
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            for key, path in models:
                for config, flags in CONFIGS.items():
                    jobs.append(pool.submit(compile_one, args.acc_compile, key, path,
                                            config, flags, work))
            got = dict(j.result() for j in jobs)

    if args.record:
        with open(args.hashes, "w") as f:
            f.write("# sha256 of acc-compile -emit=asm per model and CPU "
                    "(scripts/check_codegen.py --record)\n")
            for k in sorted(got):
                f.write("%s %s\n" % (k, got[k]))
        failed = [k for k, v in got.items() if v.startswith("FAILED")]
        print("recorded %d hashes in %s (%d compiles failed, recorded as such)"
              % (len(got), os.path.relpath(args.hashes, ROOT), len(failed)))
        return 0

    want = {}
    with open(args.hashes) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            model, config, digest = line.rstrip("\n").split(" ", 2)
            want[model + " " + config] = digest
    changed = sorted(k for k in want if got.get(k) != want[k])
    missing = sorted(k for k in want if k not in got)
    new = sorted(k for k in got if k not in want)
    for k in changed:
        print("CHANGED %s%s" % (k, "" if k in got else " (not compiled)"))
        if got.get(k, "").startswith("FAILED"):
            print("  " + got[k])
    for k in new:
        print("NEW %s (no saved hash)" % k)
    same = len(want) - len(changed)
    print("asm identical for %d of %d saved hashes; %d new" % (same, len(want), len(new)))
    return 1 if changed or new or missing else 0


if __name__ == "__main__":
    sys.exit(main())
