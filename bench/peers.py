"""The peers' side of acc's benchmark suite: ONNX Runtime and IREE.

bench/run.py (Debian's python3, with torch) exports every case to ONNX and
calls this script with the interpreter that has the peers installed (from
PyPI: `pip install onnxruntime iree-base-compiler iree-base-runtime onnx`),
never the build's or the tests' python. Two modes:

    peers.py --probe
        prints a JSON object: for each peer, its version or why it is missing.
    peers.py --compile --manifest M --result R
        compiles each case's ONNX file with IREE (iree-import-onnx, then
        iree-compile for llvm-cpu with the host CPU and its documented
        performance flags), timing the compile.
    peers.py --run --threads T --manifest M --result R
        for each case, in this one process: acc's shared library (ctypes),
        ONNX Runtime's CPU provider (all graph optimisations, T intra-op
        threads) and IREE's local-task driver (T workers), each checked
        against PyTorch's output before it is timed, then timed interleaved.

The manifest lists per case: name, onnx, inputs (.npy files in the model's
input order), reference (.npy), tol, acc library and entry name.
"""
import argparse
import ctypes
import json
import os
import subprocess
import sys
import time

from timing import median_time

IREE_FLAGS = [
    ["--iree-hal-target-backends=llvm-cpu", "--iree-llvmcpu-target-cpu=host",
     "--iree-opt-level=O3", "--iree-opt-data-tiling",
     "--iree-llvmcpu-enable-ukernels=all"],
    # Fallback when a case does not compile with data tiling and ukernels.
    ["--iree-hal-target-backends=llvm-cpu", "--iree-llvmcpu-target-cpu=host",
     "--iree-opt-level=O3"],
]


def log(msg):
    print(msg, flush=True)


def probe():
    out = {}
    try:
        import onnxruntime
        out["onnxruntime"] = {"version": onnxruntime.__version__}
    except ImportError as e:
        out["onnxruntime"] = {"missing": "pip install onnxruntime (%s)" % e}
    try:
        import iree.compiler
        import iree.runtime  # noqa: F401
        import onnx  # noqa: F401  (iree-import-onnx needs it)
        text = subprocess.run([iree_tool("iree-compile"), "--version"], capture_output=True,
                              text=True).stdout
        version = text.split("IREE compiler version")[-1].split("@")[0].strip()
        out["iree"] = {"version": version}
    except (ImportError, OSError) as e:
        out["iree"] = {"missing": "pip install iree-base-compiler iree-base-runtime onnx (%s)" % e}
    print(json.dumps(out))


def iree_tool(name):
    """The tool beside this interpreter (pip installs it there)."""
    cand = os.path.join(os.path.dirname(sys.executable), name)
    return cand if os.path.exists(cand) else name


def compile_iree(manifest, result):
    rows = {}
    for case in manifest["cases"]:
        if not case.get("onnx"):
            continue
        base = os.path.splitext(case["onnx"])[0]
        mlir, vmfb = base + ".iree.mlir", base + ".vmfb"
        t0 = time.perf_counter()
        r = subprocess.run([iree_tool("iree-import-onnx"), case["onnx"], "-o", mlir],
                           capture_output=True, text=True)
        row = {}
        if r.returncode != 0:
            row["status"] = "import failed: " + r.stderr.strip()[-200:]
        else:
            for flags in IREE_FLAGS:
                r = subprocess.run([iree_tool("iree-compile"), mlir, "-o", vmfb] + flags,
                                   capture_output=True, text=True)
                if r.returncode == 0:
                    row = {"vmfb": vmfb, "flags": " ".join(flags[1:]),
                           "compile_s": time.perf_counter() - t0}
                    break
                row["status"] = "compile failed: " + r.stderr.strip()[-200:]
        log("[iree compile] %-22s %s" % (case["name"], "%.2f s" % row["compile_s"]
                                         if "compile_s" in row else row["status"][:100]))
        rows[case["name"]] = row
    json.dump(rows, open(result, "w"), indent=1)


def rel_err(np, got, want):
    return float(np.abs(got - want).max() / max(np.abs(want).max(), 1e-30))


def run(args, manifest, result):
    import numpy as np
    threads = args.threads
    have_ort = have_iree = False
    try:
        import onnxruntime as ort
        have_ort = True
    except ImportError:
        pass
    try:
        import iree.runtime as rt
        rt.flags.parse_flags("--task_topology_max_group_count=%d" % threads)
        config = rt.Config("local-task")
        have_iree = True
    except ImportError:
        pass
    iree_compiled = json.load(open(manifest["iree_compiled"])) if manifest.get("iree_compiled") else {}
    rows = []
    for case in manifest["cases"]:
        if not case.get("onnx"):
            continue
        res = {"name": case["name"], "threads": threads}
        ins = [np.load(p) for p in case["inputs"]]
        want = np.load(case["reference"])
        tol = case["tol"]
        timed = {}

        lib = ctypes.CDLL(case["library"])
        fn = getattr(lib, case["entry"])
        fn.restype = ctypes.c_int
        out = np.full(want.shape, np.nan, np.float32)
        ptrs = [a.ctypes.data_as(ctypes.c_void_p) for a in ins + [out]]
        if fn(*ptrs) == 0 and rel_err(np, out, want) <= tol:
            timed["acc"] = lambda: fn(*ptrs)

        if have_ort:
            try:
                so = ort.SessionOptions()
                so.intra_op_num_threads = threads
                so.inter_op_num_threads = 1
                so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                sess = ort.InferenceSession(case["onnx"], so, providers=["CPUExecutionProvider"])
                feed = {i.name: a for i, a in zip(sess.get_inputs(), ins)}
                got = sess.run(None, feed)[0].reshape(want.shape)
                err = rel_err(np, got, want)
                res["ort_rel_err"] = err
                if err <= tol:
                    timed["ort"] = lambda: sess.run(None, feed)
                else:
                    res["ort_status"] = "MISMATCH (rel_err %.2e): no time" % err
            except Exception as e:  # noqa: BLE001 - report and go on
                res["ort_status"] = "failed: %s" % str(e)[:160]
        else:
            res["ort_status"] = "not installed"

        comp = iree_compiled.get(case["name"], {})
        if have_iree and "vmfb" in comp:
            try:
                ctx = rt.SystemContext(config=config)
                ctx.add_vm_module(rt.VmModule.mmap(config.vm_instance, comp["vmfb"]))
                module = ctx.modules.module
                # The exported graph's one public function (named after the
                # ONNX graph).
                fnames = [n for n in module.vm_module.function_names
                          if not n.startswith("__") and "$" not in n]
                entry = module[fnames[0]]
                got = np.asarray(entry(*ins).to_host()).reshape(want.shape)
                err = rel_err(np, got, want)
                res["iree_rel_err"] = err
                res["iree_compile_s"] = comp["compile_s"]
                res["iree_flags"] = comp["flags"]
                if err <= tol:
                    timed["iree"] = lambda: entry(*ins).to_host()
                else:
                    res["iree_status"] = "MISMATCH (rel_err %.2e): no time" % err
            except Exception as e:  # noqa: BLE001
                res["iree_status"] = "failed: %s" % str(e)[:160]
        elif not have_iree:
            res["iree_status"] = "not installed"
        else:
            res["iree_status"] = comp.get("status", "not compiled")

        # Interleaved: each round times every runner once. Each runner's
        # worker threads may spin for a while after its last call (ONNX
        # Runtime's intra-op pool, IREE's, acc's); a pause before timing the
        # next one lets them go idle, so that no runner is timed beside
        # another's spinning threads.
        times = {k: [] for k in timed}
        for _ in range(3):
            for k, f in timed.items():
                time.sleep(0.05)
                times[k].append(median_time(f, budget=0.3))
        for k, ts in times.items():
            res[k + "_ms"] = sorted(ts)[len(ts) // 2] * 1e3
        line = "  [%d thr] %-22s" % (threads, case["name"])
        for k in ("acc", "ort", "iree"):
            line += " %s %s" % (k, "%.3f ms" % res[k + "_ms"] if k + "_ms" in res
                                else res.get(k + "_status", "-"))
        log(line)
        rows.append(res)
    json.dump(rows, open(result, "w"), indent=1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--probe", action="store_true")
    p.add_argument("--compile", action="store_true")
    p.add_argument("--run", action="store_true")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--manifest")
    p.add_argument("--result")
    args = p.parse_args()
    if args.probe:
        return probe()
    manifest = json.load(open(args.manifest))
    if args.compile:
        return compile_iree(manifest, args.result)
    return run(args, manifest, args.result)


if __name__ == "__main__":
    main()
