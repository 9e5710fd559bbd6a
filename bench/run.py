#!/usr/bin/python3
"""acc's benchmark suite: acc against PyTorch, side by side in one run.

    ./scripts/dev.sh bench            # the full suite
    ./scripts/dev.sh bench --quick    # a subset, a few minutes

For every case the suite compiles the nn IR with acc-compile (a shared
library, timed), then, once per thread count (1 and 2, each in its own
process so that the thread pools are set before they start), it

  1. runs acc once and checks the result against PyTorch's (relative error
     max|diff| / max|ref|); a case that does not match gets no time;
  2. times acc and PyTorch interleaved (median of repeated calls), PyTorch
     at its best: OPENBLAS_CORETYPE set on AVX-512 machines, thread counts
     set for torch, OpenMP and OpenBLAS, and for convolutions the faster of
     NCHW, channels_last and oneDNN's blocked layout with prepacked weights.

It reports median ms, GFLOP/s, % of the peak that bench/fma_peak.c measures
in the same run, the ratio PyTorch/acc, acc's compile time, and for the
attention cases the peak bytes acc's runtime allocated. Results go to
bench/results/<stamp>.json and .md; with matplotlib, log-log plots of time
against N (attention) and image size (convolution).

ONNX Runtime and IREE columns are not built yet: the suite says so.
Debian's python3 (torch 1.13, numpy) runs this script.
"""
import argparse
import ctypes
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
ACC_COMPILE = os.path.join(BUILD, "bin", "acc-compile")


def log(msg):
    print(msg, flush=True)


def ttype(shape):
    return "tensor<%sxf32>" % "x".join(str(d) for d in shape)


# ---------------------------------------------------------------------------
# Cases: nn IR, input shapes, a PyTorch implementation, FLOPs
# ---------------------------------------------------------------------------

class Case:
    def __init__(self, name, group, inputs, output, body, flops, torch_fn,
                 size=None, tol=1e-4, variants=None, extra=None):
        self.name, self.group = name, group
        self.inputs, self.output, self.body = inputs, output, body
        self.flops, self.torch_fn, self.size, self.tol = flops, torch_fn, size, tol
        self.variants = variants or {}
        self.extra = extra or {}

    # Inputs embedded in the model as constants (weights, as in a deployed
    # model): acc packs them at compile time, as PyTorch's prepacked oneDNN
    # variant does outside the timed call.
    const_args = ()

    def input_values(self, np):
        """Deterministic inputs (the driver and the workers agree)."""
        import zlib
        rng = np.random.default_rng(zlib.crc32(self.name.encode()))
        return [rng.standard_normal(s).astype(np.float32) * (0.1 if i else 1.0)
                for i, s in enumerate(self.inputs)]

    def mlir(self):
        import numpy as np
        values = self.input_values(np) if self.const_args else None
        args = ", ".join("%%a%d: %s" % (i, ttype(s)) for i, s in enumerate(self.inputs)
                         if i not in self.const_args)
        lines = ["func.func @%s(%s) -> %s {" % (self.name, args, ttype(self.output))]
        for i in self.const_args:
            blob = values[i].astype("<f4").tobytes().hex().upper()
            lines.append('  %%a%d = arith.constant dense<"0x%s"> : %s' % (i, blob, ttype(self.inputs[i])))
        lines += ["  " + l for l in self.body.strip().splitlines()]
        lines += ["  return %%r : %s" % ttype(self.output), "}"]
        return "\n".join(lines) + "\n"


def conv_case(name, c, h, f, k, stride, pad, groups=1):
    oh = (h + 2 * pad - k) // stride + 1
    x, w, b, y = (1, c, h, h), (f, c // groups, k, k), (f,), (1, f, oh, oh)
    attrs = "strides = array<i64: %d, %d>, padding = array<i64: %d, %d, %d, %d>" % (
        stride, stride, pad, pad, pad, pad)
    if groups > 1:
        attrs += ", groups = %d" % groups
    body = """%%c = nn.conv2d %%a0, %%a1 bias(%%a2) layout(nchw) {%s} : (%s, %s, %s) -> %s
%%r = nn.relu %%c : %s""" % (attrs, ttype(x), ttype(w), ttype(b), ttype(y), ttype(y))
    flops = 2 * f * oh * oh * (c // groups) * k * k

    def torch_fn(torch, ins, variant):
        F = torch.nn.functional
        xt, wt, bt = ins
        if variant == "nchw":
            return lambda: F.relu(F.conv2d(xt, wt, bt, stride, pad, 1, groups))
        if variant == "channels_last":
            xc = xt.contiguous(memory_format=torch.channels_last)
            wc = wt.contiguous(memory_format=torch.channels_last)
            return lambda: F.relu(F.conv2d(xc, wc, bt, stride, pad, 1, groups))
        if variant == "mkldnn":
            conv = torch.nn.Conv2d(c, f, k, stride, pad, groups=groups)
            conv.weight.data.copy_(wt)
            conv.bias.data.copy_(bt)
            conv = torch.utils.mkldnn.to_mkldnn(conv.eval())
            xm = xt.to_mkldnn()
            return lambda: F.relu(conv(xm)).to_dense()
        raise ValueError(variant)

    case = Case(name, "conv", [x, w, b], y, body, flops, torch_fn, size=h,
                variants=["nchw", "channels_last", "mkldnn"],
                extra={"shape": "%dx%dx%d -> %d, %dx%d/%d%s" % (
                    h, h, c, f, k, k, stride, ", depthwise" if groups > 1 else "")})
    case.const_args = (1, 2)
    return case


def attention_case(name, n, mask, window=256, heads=8, d=64):
    q = (1, heads, n, d)
    attrs = ""
    if mask == "causal":
        attrs = " mask(causal)"
    elif mask == "sliding_window":
        attrs = " mask(sliding_window) {window = %d}" % window
    body = "%%r = nn.attention %%a0, %%a1, %%a2%s : (%s, %s, %s) -> %s" % (
        attrs, ttype(q), ttype(q), ttype(q), ttype(q))
    if mask == "none":
        pairs = n * n
    elif mask == "causal":
        pairs = n * (n + 1) // 2
    else:
        w = min(window, n)
        pairs = n * w - w * (w - 1) // 2
    flops = heads * pairs * d * 4

    def torch_fn(torch, ins, variant):
        qt, kt, vt = ins
        scale = 1.0 / math.sqrt(d)
        idx = torch.arange(n)
        allowed = None
        if mask == "causal":
            allowed = idx[None, :] <= idx[:, None]
        elif mask == "sliding_window":
            allowed = (idx[None, :] <= idx[:, None]) & (idx[None, :] > idx[:, None] - window)
        bias = None
        if allowed is not None:
            bias = torch.zeros(n, n).masked_fill(~allowed, float("-inf"))

        def one(qh, kh, vh):
            s = qh @ kh.transpose(-1, -2) * scale
            if bias is not None:
                s = s + bias
            return torch.softmax(s, dim=-1) @ vh
        if n >= 8192:
            # The N x N scores of 8 heads would need 8 GiB per tensor: one
            # head is run, timed and checked; its time counts 8 times.
            return lambda: one(qt[:, :1], kt[:, :1], vt[:, :1])
        return lambda: one(qt, kt, vt)

    extra = {"mask": mask, "n": n}
    if n >= 8192:
        extra["torch_heads_run"] = 1
    return Case(name, "attention", [q, q, q], q, body, flops, torch_fn, size=n,
                tol=2e-4, variants=["eager"], extra=extra)


def self_attention_layer(name, n, e=512, heads=8):
    d = e // heads
    x, w = (1, n, e), (e, e)
    hq = (1, heads, n, d)
    body = """%%q = nn.linear %%a0, %%a1 bias(%%a2) : (%s, %s, tensor<%dxf32>) -> %s
%%k = nn.linear %%a0, %%a3 bias(%%a4) : (%s, %s, tensor<%dxf32>) -> %s
%%v = nn.linear %%a0, %%a5 bias(%%a6) : (%s, %s, tensor<%dxf32>) -> %s
%%qh = nn.split_heads %%q {num_heads = %d} : %s -> %s
%%kh = nn.split_heads %%k {num_heads = %d} : %s -> %s
%%vh = nn.split_heads %%v {num_heads = %d} : %s -> %s
%%att = nn.attention %%qh, %%kh, %%vh : (%s, %s, %s) -> %s
%%m = nn.merge_heads %%att : %s -> %s
%%r = nn.linear %%m, %%a7 bias(%%a8) : (%s, %s, tensor<%dxf32>) -> %s""" % (
        ttype(x), ttype(w), e, ttype(x), ttype(x), ttype(w), e, ttype(x),
        ttype(x), ttype(w), e, ttype(x),
        heads, ttype(x), ttype(hq), heads, ttype(x), ttype(hq), heads, ttype(x), ttype(hq),
        ttype(hq), ttype(hq), ttype(hq), ttype(hq), ttype(hq), ttype(x),
        ttype(x), ttype(w), e, ttype(x))
    flops = 4 * 2 * n * e * e + 4 * heads * n * n * d

    def torch_fn(torch, ins, variant):
        F = torch.nn.functional
        xt, wq, bq, wk, bk, wv, bv, wo, bo = ins

        def run():
            split = lambda t: t.reshape(1, n, heads, d).transpose(1, 2)
            q, k, v = split(F.linear(xt, wq, bq)), split(F.linear(xt, wk, bk)), split(F.linear(xt, wv, bv))
            a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d), dim=-1) @ v
            return F.linear(a.transpose(1, 2).reshape(1, n, e), wo, bo)
        return run

    case = Case(name, "attention_layer", [x, w, (e,), w, (e,), w, (e,), w, (e,)], x,
                body, flops, torch_fn, size=n, tol=2e-4, variants=["eager"],
                extra={"n": n})
    case.const_args = tuple(range(1, 9))
    return case


class ModelCase(Case):
    """A whole model written by scripts/gen_models.py (weights as arguments)
    against the same torchvision model with the same random weights."""

    def __init__(self, name, model, flops):
        super().__init__(name, "model", [], (1, 1, 1000), "", flops, None, tol=1e-4,
                         variants=["eager"])
        self.model = model

    def mlir(self):
        text = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen_models.py"),
                               self.model], capture_output=True, text=True, check=True).stdout
        return text.replace("func.func @%s(" % self.model, "func.func @%s(" % self.name, 1)

    def setup(self, torch, np, mlir_text):
        """Inputs in the function's argument order and the torch module."""
        import re
        import torchvision
        torch.manual_seed(0)
        net = getattr(torchvision.models, self.model)(weights=None).eval()
        for m in net.modules():  # non-trivial batch-norm statistics
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
        sd = net.state_dict()
        sig = mlir_text[mlir_text.index("func.func"):mlir_text.index("{")]
        names = re.findall(r"%([A-Za-z0-9_]+):", sig)
        image = torch.randn(1, 3, 224, 224)
        ins = []
        for n in names:
            if n == "image":
                ins.append(image.numpy())
                continue
            key = resnet_key(n)
            if key not in sd:
                raise KeyError("no torchvision weight for argument %%%s (%s)" % (n, key))
            ins.append(sd[key].detach().numpy().astype(np.float32).copy())
        return ins, (lambda: net(image).reshape(1, 1, 1000))


class HybridCase(Case):
    """examples/hybrid.mlir (conv stem, then one transformer layer over the
    feature map) against the same model written in PyTorch."""

    def __init__(self):
        # conv1 2*32*32*32*27, conv2 2*64*16*16*288, 4 projections, attention,
        # MLP (per token 2*(4*64*64 + 2*64*256)), attention 4*256*256*64
        flops = (2 * 32 * 32 * 32 * 27 + 2 * 64 * 16 * 16 * 288
                 + 256 * 2 * (4 * 64 * 64 + 2 * 64 * 256) + 4 * 256 * 256 * 64)
        super().__init__("hybrid_block", "model", [], (1, 64, 1, 1), "", flops, None,
                         tol=1e-4, variants=["eager"])

    def mlir(self):
        text = open(os.path.join(ROOT, "examples", "hybrid.mlir")).read()
        return text.replace("func.func @hybrid(", "func.func @hybrid_block(", 1)

    def setup(self, torch, np, mlir_text):
        sys.path.insert(0, os.path.join(ROOT, "examples"))
        import hybrid_torch
        ins = hybrid_torch.inputs(np)
        args = [torch.from_numpy(a) for a in ins]
        return ins, lambda: hybrid_torch.forward(torch, args)


def resnet_key(arg):
    """%layer2_0_downsample_bn_mean -> layer2.0.downsample.1.running_mean."""
    for suffix, field in (("_w", "weight"), ("_b", "bias"), ("_scale", "weight"),
                          ("_bias", "bias"), ("_mean", "running_mean"), ("_var", "running_var")):
        if arg.endswith(suffix):
            module = arg[: -len(suffix)].replace("_", ".")
            module = module.replace("downsample.conv", "downsample.0").replace(
                "downsample.bn", "downsample.1")
            return module + "." + field
    return arg


def cases(quick):
    out = [
        conv_case("conv_stem_7x7s2", 3, 224, 64, 7, 2, 3),
        conv_case("conv3x3_56_64", 64, 56, 64, 3, 1, 1),
        conv_case("conv3x3_28_128", 128, 28, 128, 3, 1, 1),
        conv_case("conv3x3_14_256", 256, 14, 256, 3, 1, 1),
        conv_case("conv3x3_7_512", 512, 7, 512, 3, 1, 1),
        conv_case("conv1x1_56_64_256", 64, 56, 256, 1, 1, 0),
        conv_case("conv1x1_28_512_128", 512, 28, 128, 1, 1, 0),
        conv_case("dw7x7_56_96", 96, 56, 96, 7, 1, 3, groups=96),
        conv_case("dw3x3_112_32", 32, 112, 32, 3, 1, 1, groups=32),
    ]
    sizes = [256, 1024] if quick else [256, 1024, 4096, 16384]
    for mask in ["none", "causal", "sliding_window"]:
        for n in sizes:
            out.append(attention_case("attn_%s_%d" % (mask, n), n, mask))
    for n in ([1024] if quick else [1024, 4096]):
        out.append(self_attention_layer("mha_layer_%d" % n, n))
    out.append(HybridCase())
    out.append(ModelCase("resnet18", "resnet18", 2 * 1814073344))
    if quick:
        keep = {"conv_stem_7x7s2", "conv3x3_56_64", "conv1x1_56_64_256", "dw7x7_56_96"}
        out = [c for c in out if c.group != "conv" or c.name in keep]
    return out


# ---------------------------------------------------------------------------
# Worker: one process per thread count
# ---------------------------------------------------------------------------

def median_time(fn, min_reps=5, budget=0.6):
    t = time.perf_counter()
    fn()
    if time.perf_counter() - t > 1.0:  # slow calls: 3 timed runs
        min_reps = 3
    times = []
    start = time.perf_counter()
    while len(times) < min_reps or (time.perf_counter() - start < budget and len(times) < 200):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    times.sort()
    return times[len(times) // 2]


def worker(args):
    import numpy as np
    import torch
    torch.set_num_threads(args.threads)
    manifest = json.load(open(args.manifest))
    results = []
    all_cases = {c.name: c for c in cases(manifest["quick"])}
    for entry in manifest["cases"]:
        case = all_cases[entry["name"]]
        res = {"name": case.name, "threads": args.threads}
        if entry.get("compile_error"):
            res["status"] = "compile failed"
            results.append(res)
            continue
        lib = ctypes.CDLL(entry["library"])
        fn = getattr(lib, case.name)
        fn.restype = ctypes.c_int
        model_fn = None
        if isinstance(case, (ModelCase, HybridCase)):
            try:
                ins, model_fn = case.setup(torch, np, open(entry["source"]).read())
            except Exception as e:
                res["status"] = "no reference: %s" % str(e)[:120]
                results.append(res)
                continue
        else:
            ins = case.input_values(np)
        out = np.full(case.output, np.nan, np.float32)
        acc_ins = [a for i, a in enumerate(ins) if i not in case.const_args]
        ptrs = [a.ctypes.data_as(ctypes.c_void_p) for a in acc_ins + [out]]
        tins = [torch.from_numpy(a) for a in ins]
        with torch.no_grad():
            best = None
            for variant in case.variants:
                try:
                    f = model_fn or case.torch_fn(torch, tins, variant)
                    ref = f()
                    t = median_time(f)
                except Exception as e:  # a variant PyTorch does not support
                    res.setdefault("torch_skipped", []).append("%s: %s" % (variant, str(e)[:80]))
                    continue
                if best is None or t < best[0]:
                    best = (t, variant, ref)
        if best is None:
            res["status"] = "no PyTorch variant ran"
            results.append(res)
            continue
        status = fn(*ptrs)
        want = best[2].numpy()
        got = out
        torch_ms_scale = 1.0
        if "torch_heads_run" in case.extra:  # PyTorch ran the first head(s)
            k = case.extra["torch_heads_run"]
            got = out[:, :k]
            torch_ms_scale = case.inputs[0][1] / k
            res["torch_variant_note"] = "%d of %d heads run, time scaled" % (k, case.inputs[0][1])
        err = float(np.abs(got - want).max() / max(np.abs(want).max(), 1e-30))
        res["rel_err"] = err
        if status != 0 or not np.isfinite(out).all() or err > case.tol:
            res["status"] = "MISMATCH (rel_err %.2e, status %d): no time reported" % (err, status)
            log("  [%d] %-22s %s" % (args.threads, case.name, res["status"]))
            results.append(res)
            continue
        # The library carries its own copy of the runtime: its counters.
        lib.acc_rt_peak_bytes.restype = ctypes.c_size_t
        lib.acc_rt_live_bytes.restype = ctypes.c_size_t
        lib.acc_rt_reset_peak_bytes()
        base = lib.acc_rt_live_bytes()
        time.sleep(0.05)  # let PyTorch's OpenMP threads stop spinning
        t_acc = median_time(lambda: fn(*ptrs))
        res["acc_peak_bytes"] = lib.acc_rt_peak_bytes() - base
        t_torch = best[0] * torch_ms_scale
        res.update(status="ok", acc_ms=t_acc * 1e3, torch_ms=t_torch * 1e3,
                   torch_variant=best[1] + (" x%d heads" % torch_ms_scale if torch_ms_scale != 1 else ""),
                   ratio=t_torch / t_acc,
                   acc_gflops=case.flops / t_acc / 1e9,
                   torch_gflops=case.flops / t_torch / 1e9)
        results.append(res)
        log("  [%d thread%s] %-22s acc %9.3f ms %7.1f GF/s | torch %9.3f ms (%s) | torch/acc %5.2f" % (
            args.threads, "s" if args.threads > 1 else "", case.name, res["acc_ms"],
            res["acc_gflops"], res["torch_ms"], best[1], res["ratio"]))
    json.dump(results, open(args.result, "w"), indent=1)


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------

def has_avx512():
    try:
        return "avx512f" in open("/proc/cpuinfo").read()
    except OSError:
        return False


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="a subset (a few minutes)")
    p.add_argument("--threads", default="1,2", help="thread counts, e.g. 1,2")
    p.add_argument("--only", default="", help="substring filter on case names")
    p.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--manifest", help=argparse.SUPPRESS)
    p.add_argument("--result", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        args.threads = int(args.threads)
        return worker(args)

    if not os.path.exists(ACC_COMPILE):
        sys.exit("bench: %s is missing; build first (./scripts/dev.sh build)" % ACC_COMPILE)
    threads = [int(t) for t in args.threads.split(",")]
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="acc-bench-")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    log("acc bench (%s), work dir %s" % ("quick" if args.quick else "full", work))

    # Peak FMA throughput, measured now.
    probe = os.path.join(work, "fma_peak")
    subprocess.run(["cc", "-O2", "-march=native", os.path.join(ROOT, "bench", "fma_peak.c"),
                    "-lpthread", "-o", probe], check=True)
    peak = {}
    for line in subprocess.run([probe, str(max(threads))], capture_output=True, text=True,
                               check=True).stdout.split("\n"):
        if line.strip():
            t, g = line.split()
            peak[int(t)] = float(g)
    log("peak fp32 FMA: " + ", ".join("%d thread(s) %.0f GFLOP/s" % kv for kv in sorted(peak.items())))

    selected = [c for c in cases(args.quick) if args.only in c.name]
    manifest = {"quick": args.quick, "cases": []}
    for i, case in enumerate(selected):
        src = os.path.join(work, case.name + ".mlir")
        lib = os.path.join(work, "lib%s.so" % case.name)
        open(src, "w").write(case.mlir())
        t0 = time.perf_counter()
        r = subprocess.run([ACC_COMPILE, src, "--shared", "-o", lib, "--name", case.name],
                           capture_output=True, text=True)
        compile_s = time.perf_counter() - t0
        entry = {"name": case.name, "library": lib, "compile_s": compile_s, "source": src}
        if r.returncode != 0:
            entry["compile_error"] = r.stderr[-2000:]
        manifest["cases"].append(entry)
        log("[compile %2d/%d] %-22s %6.2f s%s" % (i + 1, len(selected), case.name, compile_s,
                                                  "  FAILED" if r.returncode else ""))
    mpath = os.path.join(work, "manifest.json")
    json.dump(manifest, open(mpath, "w"))

    # One process per thread count; the same interleaving in each.
    rows = []
    for t in threads:
        env = dict(os.environ)
        env.update(ACC_NUM_THREADS=str(t), OMP_NUM_THREADS=str(t),
                   OPENBLAS_NUM_THREADS=str(t), MKL_NUM_THREADS=str(t))
        if has_avx512():
            env.setdefault("OPENBLAS_CORETYPE", "SkylakeX")
        rpath = os.path.join(work, "result-%d.json" % t)
        log("running with %d thread(s)" % t)
        subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", "--threads", str(t),
                        "--manifest", mpath, "--result", rpath], env=env, check=True)
        rows += json.load(open(rpath))

    by_name = {c.name: c for c in selected}
    compile_s = {e["name"]: e["compile_s"] for e in manifest["cases"]}
    for r in rows:
        c = by_name[r["name"]]
        r["group"], r["flops"], r["size"] = c.group, c.flops, c.size
        r.update(c.extra)
        r["compile_s"] = compile_s[r["name"]]
        if r.get("status") == "ok":
            r["acc_pct_peak"] = 100 * r["acc_gflops"] / peak[r["threads"]]
    report = {"stamp": stamp, "quick": args.quick, "machine": platform.processor() or platform.machine(),
              "peak_gflops": peak, "results": rows,
              "peers": {"onnxruntime": "not built yet", "iree": "not built yet"}}
    jpath = os.path.join(args.out, stamp + ".json")
    json.dump(report, open(jpath, "w"), indent=1)
    md = markdown(report)
    mdpath = os.path.join(args.out, stamp + ".md")
    open(mdpath, "w").write(md)
    log("\n" + md)
    plots(report, args.out, stamp)
    log("wrote %s and %s" % (jpath, mdpath))


def markdown(report):
    lines = ["# acc bench %s%s" % (report["stamp"], " (quick)" if report["quick"] else ""), "",
             "Peak fp32 FMA measured in this run: " + ", ".join(
                 "%s thread(s) %.0f GFLOP/s" % (t, g) for t, g in sorted(report["peak_gflops"].items())),
             "", "ONNX Runtime and IREE columns: not built yet.", "",
             "| case | threads | acc ms | acc GFLOP/s | % peak | PyTorch ms (best variant) | PyTorch/acc | compile s | acc peak MiB |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in report["results"]:
        if r.get("status") != "ok":
            lines.append("| %s | %d | %s | | | | | %.1f | |" % (r["name"], r["threads"], r.get("status"),
                                                           r.get("compile_s", 0)))
            continue
        mem = "%.1f" % (r["acc_peak_bytes"] / 2 ** 20) if "acc_peak_bytes" in r else ""
        lines.append("| %s | %d | %.3f | %.1f | %.0f | %.3f (%s) | %.2f | %.1f | %s |" % (
            r["name"], r["threads"], r["acc_ms"], r["acc_gflops"], r["acc_pct_peak"],
            r["torch_ms"], r["torch_variant"], r["ratio"], r["compile_s"], mem))
    # Sliding-window scaling: time(2N) / time(N) for consecutive sizes.
    win = [r for r in report["results"] if r.get("mask") == "sliding_window" and r.get("status") == "ok"]
    if win:
        lines += ["", "Sliding-window scaling (time ratio when N grows 4x; linear would be 4.0):", ""]
        for t in sorted({r["threads"] for r in win}):
            rs = sorted((r for r in win if r["threads"] == t), key=lambda r: r["n"])
            steps = ["N %d -> %d: %.2fx" % (a["n"], b["n"], b["acc_ms"] / a["acc_ms"])
                     for a, b in zip(rs, rs[1:])]
            lines.append("- %d thread(s): %s" % (t, "; ".join(steps)))
    return "\n".join(lines) + "\n"


def plots(report, out, stamp):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib is not installed: no plots (Debian: python3-matplotlib)")
        return
    ok = [r for r in report["results"] if r.get("status") == "ok"]
    att = [r for r in ok if r["group"] == "attention"]
    if att:
        fig, ax = plt.subplots(figsize=(7, 5))
        for mask in ["none", "causal", "sliding_window"]:
            for t in sorted({r["threads"] for r in att}):
                rs = sorted((r for r in att if r["mask"] == mask and r["threads"] == t), key=lambda r: r["n"])
                if rs:
                    ax.plot([r["n"] for r in rs], [r["acc_ms"] for r in rs], "o-",
                            label="acc %s, %d thr" % (mask, t))
                    ax.plot([r["n"] for r in rs], [r["torch_ms"] for r in rs], "x--",
                            label="PyTorch %s, %d thr" % (mask, t))
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("sequence length N")
        ax.set_ylabel("ms")
        ax.set_title("attention, 8 heads, d=64 (log-log: slope 1 linear, 2 quadratic)")
        ax.legend(fontsize=6)
        fig.savefig(os.path.join(out, stamp + "-attention.png"), dpi=120)
    conv = [r for r in ok if r["group"] == "conv"]
    if conv:
        fig, ax = plt.subplots(figsize=(7, 5))
        for t in sorted({r["threads"] for r in conv}):
            rs = sorted((r for r in conv if r["threads"] == t), key=lambda r: r["size"])
            ax.plot([r["size"] for r in rs], [r["acc_ms"] for r in rs], "o", label="acc, %d thr" % t)
            ax.plot([r["size"] for r in rs], [r["torch_ms"] for r in rs], "x", label="PyTorch, %d thr" % t)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("image size (H = W)")
        ax.set_ylabel("ms")
        ax.set_title("convolutions (ResNet/ConvNeXt/MobileNet layers)")
        ax.legend(fontsize=7)
        fig.savefig(os.path.join(out, stamp + "-conv.png"), dpi=120)


if __name__ == "__main__":
    main()
