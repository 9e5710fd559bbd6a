#!/usr/bin/python3
"""acc's benchmark suite: acc against PyTorch, side by side in one run.

    ./scripts/dev.sh bench            # the full suite
    ./scripts/dev.sh bench --quick    # a subset, a few minutes

For every case the suite compiles the nn IR with acc-compile (a shared
library, timed), then, once per thread count (1 and 2, each in its own
process so that the thread pools are set before they start), it

  1. runs acc once and checks the result against PyTorch's (relative error
     max|diff| / max|ref|); a case that does not match gets no time;
  2. times acc and PyTorch interleaved (rounds of medians of repeated calls), PyTorch
     at its best: OPENBLAS_CORETYPE set on AVX-512 machines, thread counts
     set for torch, OpenMP and OpenBLAS, and for convolutions the faster of
     NCHW, channels_last and oneDNN's blocked layout with prepacked weights.

It reports median ms, GFLOP/s, % of the peak that bench/fma_peak.c measures
in the same run, the ratio PyTorch/acc, acc's compile time, and for the
attention cases the peak bytes acc's runtime allocated. Results go to
bench/results/<stamp>.json and .md; with matplotlib, log-log plots of time
against N (attention) and image size (convolution).

ONNX Runtime and IREE: every case is also exported to ONNX (opset 17, the
weights inside) and run by bench/peers.py under the python3 on PATH that has
them (pip install onnxruntime iree-base-compiler iree-base-runtime onnx),
with acc timed again beside them; a missing peer is reported and skipped.
The whole-model cases (hybrid block, ResNet-18, ViT-B/16) are compiled by
acc from the same ONNX file.
Debian's python3 (torch 1.13, numpy) runs this script.
"""
import argparse
import ctypes
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

from timing import median_time

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

    def export_module(self, torch, np):
        """(module, graph inputs): a torch module computing this case from its
        non-constant inputs, the constant ones (weights) held inside, for the
        ONNX file that ONNX Runtime and IREE run. None when there is none
        (PyTorch itself runs only part of the case)."""
        if self.torch_fn is None or self.extra.get("torch_heads_run"):
            return None
        values = self.input_values(np)
        consts = {i: torch.from_numpy(values[i]) for i in self.const_args}
        case, variant = self, self.variants[0]

        class Module(torch.nn.Module):
            def forward(self, *xs):
                it = iter(xs)
                ins = [consts[i] if i in consts else next(it) for i in range(len(case.inputs))]
                return case.torch_fn(torch, ins, variant)()
        return Module().eval(), [v for i, v in enumerate(values) if i not in self.const_args]

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


class OnnxModelCase(Case):
    """A whole model built in PyTorch (deterministic random weights), exported
    to ONNX by the driver: acc compiles that file (acc-compile model.onnx),
    and ONNX Runtime and IREE run the same file."""

    def __init__(self, name, build, flops, output, tol=1e-4):
        super().__init__(name, "model", [], output, "", flops, None, tol=tol,
                         variants=["eager"])
        self.build = build

    def module(self, torch, np):
        """(torch module, its inputs as numpy arrays): the same on every call."""
        torch.manual_seed(0)
        return self.build(torch, np)

    export_module = module


def torchvision_model(name):
    def build(torch, np):
        import torchvision
        net = getattr(torchvision.models, name)(weights=None).eval()
        for m in net.modules():  # non-trivial batch-norm statistics
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
        if hasattr(net, "heads"):  # torchvision zero-initialises ViT's head
            torch.nn.init.normal_(net.heads.head.weight, std=0.02)
            torch.nn.init.normal_(net.heads.head.bias, std=0.02)
        return net, [torch.randn(1, 3, 224, 224).numpy()]
    return build


def hybrid_model(torch, np):
    """examples/hybrid_torch.py with its weights as parameters (as in
    test/Import/gen_models.py)."""
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    import hybrid_torch
    ins = hybrid_torch.inputs(np)

    class Hybrid(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.ws = torch.nn.ParameterList([torch.nn.Parameter(torch.from_numpy(w))
                                              for w in ins[1:]])

        def forward(self, image):
            return hybrid_torch.forward(torch, [image] + list(self.ws))
    return Hybrid().eval(), [ins[0]]


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
    # conv1 2*32*32*32*27, conv2 2*64*16*16*288, 4 projections, attention,
    # MLP (per token 2*(4*64*64 + 2*64*256)), attention 4*256*256*64
    hybrid_flops = (2 * 32 * 32 * 32 * 27 + 2 * 64 * 16 * 16 * 288
                    + 256 * 2 * (4 * 64 * 64 + 2 * 64 * 256) + 4 * 256 * 256 * 64)
    out.append(OnnxModelCase("hybrid_block", hybrid_model, hybrid_flops, (1, 64, 1, 1)))
    out.append(OnnxModelCase("resnet18", torchvision_model("resnet18"), 2 * 1814073344,
                             (1, 1000)))
    if not quick:
        out.append(OnnxModelCase("vit_b_16", torchvision_model("vit_b_16"), 2 * 17563828224,
                                 (1, 1000)))
    if quick:
        keep = {"conv_stem_7x7s2", "conv3x3_56_64", "conv1x1_56_64_256", "dw7x7_56_96"}
        out = [c for c in out if c.group != "conv" or c.name in keep]
    return out


# ---------------------------------------------------------------------------
# Worker: one process per thread count
# ---------------------------------------------------------------------------


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
        if isinstance(case, OnnxModelCase):
            net, ins = case.module(torch, np)
            model_ins = [torch.from_numpy(a) for a in ins]
            model_fn = lambda: net(*model_ins)  # noqa: E731
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
                    best = (t, variant, ref, f)
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
        # acc and PyTorch's best variant are timed interleaved: three rounds
        # of each (one when a PyTorch call takes half a second or more), the
        # median of the rounds' medians, so that a slow spell of the shared
        # machine hits both sides of the ratio alike.
        rounds = 3 if best[0] < 0.5 else 1
        budget = 0.3 if rounds > 1 else 0.6
        acc_times, torch_times = [], [best[0]]
        for r in range(rounds):
            time.sleep(0.05)  # let PyTorch's OpenMP threads stop spinning
            acc_times.append(median_time(lambda: fn(*ptrs), budget=budget))
            if r + 1 < rounds:
                time.sleep(0.05)  # and acc's
                with torch.no_grad():
                    torch_times.append(median_time(best[3], budget=budget))
        t_acc = sorted(acc_times)[len(acc_times) // 2]
        best = (sorted(torch_times)[len(torch_times) // 2],) + best[1:]
        res["acc_peak_bytes"] = lib.acc_rt_peak_bytes() - base
        if case.extra.get("mask") == "sliding_window":
            # Repeated calls find small inputs in the last-level cache
            # (N = 1024: 8 MiB) and large ones not (N = 4096: 32 MiB); the
            # same calls with the caches evicted before each one (a pass
            # over 96 MiB, not timed) compare sizes on equal terms.
            junk = np.ones(24 << 20, np.float32)
            cold = []
            for _ in range(7):
                junk += 1.0
                t = time.perf_counter()
                fn(*ptrs)
                cold.append(time.perf_counter() - t)
            res["acc_cold_ms"] = sorted(cold)[len(cold) // 2] * 1e3
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

def cpu_model():
    """The CPU's model name (the machines of a pool differ: Xeons, Zen 5 EPYCs)
    and its core count, for the report's header."""
    info = {}
    try:
        for line in open("/proc/cpuinfo"):
            key, _, value = line.partition(":")
            info.setdefault(key.strip(), value.strip())
    except OSError:
        return platform.processor() or platform.machine()
    return "%s (family %s, model %s), %d CPUs" % (
        info.get("model name", "?"), info.get("cpu family", "?"), info.get("model", "?"),
        os.cpu_count() or 0)


def has_avx512():
    try:
        return "avx512f" in open("/proc/cpuinfo").read()
    except OSError:
        return False


PEERS = os.path.join(ROOT, "bench", "peers.py")


def find_peers(explicit):
    """The interpreter that has ONNX Runtime and IREE (a PyPI install, never
    Debian's python3 that builds and tests acc) and what it has."""
    cands = [explicit] if explicit else []
    for d in os.environ.get("PATH", "").split(os.pathsep):
        cand = os.path.join(d, "python3")
        if os.path.exists(cand) and os.path.realpath(cand) != os.path.realpath(sys.executable):
            cands.append(cand)
    best = (None, {"onnxruntime": {"missing": "no python3 with it on PATH "
                                              "(pip install onnxruntime)"},
                   "iree": {"missing": "no python3 with it on PATH (pip install "
                                       "iree-base-compiler iree-base-runtime onnx)"}})
    for cand in cands:
        r = subprocess.run([cand, PEERS, "--probe"], capture_output=True, text=True)
        if r.returncode != 0:
            continue
        found = json.loads(r.stdout)
        if sum("version" in v for v in found.values()) > sum("version" in v for v in best[1].values()):
            best = (cand, found)
    return best


def export_onnx(torch, np, work, name, module, inputs):
    """Writes NAME.onnx (opset 17), its inputs and PyTorch's output (.npy)."""
    path = os.path.join(work, name + ".onnx")
    tins = tuple(torch.from_numpy(a) for a in inputs)
    torch.onnx.export(module, tins, path, opset_version=17,
                      input_names=["in%d" % i for i in range(len(inputs))],
                      output_names=["out0"])
    with torch.no_grad():
        ref = module(*tins)
    files = []
    for i, a in enumerate(inputs):
        files.append(os.path.join(work, "%s.in%d.npy" % (name, i)))
        np.save(files[-1], np.ascontiguousarray(a, dtype=np.float32))
    ref_path = os.path.join(work, name + ".ref.npy")
    np.save(ref_path, ref.numpy())
    return {"onnx": path, "inputs": files, "reference": ref_path}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="a subset (a few minutes)")
    p.add_argument("--threads", default="1,2", help="thread counts, e.g. 1,2")
    p.add_argument("--only", default="", help="substring filter on case names")
    p.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    p.add_argument("--peer-python", default="",
                   help="the python3 that has onnxruntime and iree (default: "
                        "the first python3 on PATH other than this one that has them)")
    p.add_argument("--keep-work", action="store_true",
                   help="keep the work directory (compiled libraries, ONNX exports, "
                        "inputs: 2.7 GB for a full run); removed after a successful run otherwise")
    p.add_argument("--no-peers", action="store_true",
                   help="skip ONNX Runtime and IREE (the test suite's smoke run)")
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
    # The best of three probes: a peak is what the cores can do, and one
    # probe that falls in a slow spell of the shared machine (one read 297
    # GFLOP/s on two threads where the others read 531-543) would inflate
    # every "% of peak" of the run.
    peak = {}
    for _ in range(3):
        for line in subprocess.run([probe, str(max(threads))], capture_output=True,
                                   text=True, check=True).stdout.split("\n"):
            if line.strip():
                t, g = line.split()
                peak[int(t)] = max(peak.get(int(t), 0.0), float(g))
    log("peak fp32 FMA: " + ", ".join("%d thread(s) %.0f GFLOP/s" % kv for kv in sorted(peak.items())))

    selected = [c for c in cases(args.quick) if args.only in c.name]
    if args.no_peers:
        peer_python, peers = None, {p: {"missing": "--no-peers"} for p in ("onnxruntime", "iree")}
    else:
        peer_python, peers = find_peers(args.peer_python)
    for peer, info in sorted(peers.items()):
        log("peer %-11s %s" % (peer, info.get("version") or "skipped: " + info["missing"]))
    want_onnx = any("version" in info for info in peers.values())
    import numpy as np
    if want_onnx or any(isinstance(c, OnnxModelCase) for c in selected):
        import warnings
        import torch
        warnings.simplefilter("ignore")
    manifest = {"quick": args.quick, "cases": []}
    for i, case in enumerate(selected):
        lib = os.path.join(work, "lib%s.so" % case.name)
        entry = {"name": case.name, "library": lib, "entry": case.name, "tol": case.tol}
        if want_onnx or isinstance(case, OnnxModelCase):
            exported = case.export_module(torch, np)
            if exported:
                entry.update(export_onnx(torch, np, work, case.name, *exported))
        if isinstance(case, OnnxModelCase):
            src = entry["onnx"]
        else:
            src = os.path.join(work, case.name + ".mlir")
            open(src, "w").write(case.mlir())
        t0 = time.perf_counter()
        r = subprocess.run([ACC_COMPILE, src, "--shared", "-o", lib, "--name", case.name],
                           capture_output=True, text=True)
        compile_s = time.perf_counter() - t0
        entry.update(compile_s=compile_s, source=src)
        if r.returncode != 0:
            entry["compile_error"] = r.stderr[-2000:]
            entry.pop("onnx", None)  # nothing for the peers to compare with
        manifest["cases"].append(entry)
        log("[compile %2d/%d] %-22s %6.2f s%s" % (i + 1, len(selected), case.name, compile_s,
                                                  "  FAILED" if r.returncode else ""))
    mpath = os.path.join(work, "manifest.json")
    if "version" in peers.get("iree", {}):
        ipath = os.path.join(work, "iree-compiled.json")
        json.dump(manifest, open(mpath, "w"))
        subprocess.run([peer_python, PEERS, "--compile", "--manifest", mpath, "--result", ipath],
                       check=True)
        manifest["iree_compiled"] = ipath
    json.dump(manifest, open(mpath, "w"))

    # One process per thread count; the same interleaving in each.
    rows, peer_rows = [], {}
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
        if want_onnx:
            ppath = os.path.join(work, "peers-%d.json" % t)
            log("running the peers with %d thread(s)" % t)
            r = subprocess.run([peer_python, PEERS, "--run", "--threads", str(t),
                                "--manifest", mpath, "--result", ppath], env=env)
            if r.returncode == 0:
                for pr in json.load(open(ppath)):
                    peer_rows[(pr["name"], t)] = pr
            else:
                log("the peers' run failed (exit %d): no peer columns" % r.returncode)

    by_name = {c.name: c for c in selected}
    compile_s = {e["name"]: e["compile_s"] for e in manifest["cases"]}
    for r in rows:
        c = by_name[r["name"]]
        r["group"], r["flops"], r["size"] = c.group, c.flops, c.size
        r.update(c.extra)
        r["compile_s"] = compile_s[r["name"]]
        if r.get("status") == "ok":
            r["acc_pct_peak"] = 100 * r["acc_gflops"] / peak[r["threads"]]
        # The peers: their times and acc's, measured side by side in their
        # process; ratios from those.
        pr = peer_rows.get((r["name"], r["threads"]))
        if pr:
            r["peers"] = pr
            for peer in ("ort", "iree"):
                if peer + "_ms" in pr and "acc_ms" in pr:
                    r[peer + "_ms"] = pr[peer + "_ms"]
                    r[peer + "_ratio"] = pr[peer + "_ms"] / pr["acc_ms"]
    report = {"stamp": stamp, "quick": args.quick, "machine": cpu_model(),
              "peak_gflops": peak, "results": rows, "peers": peers}
    jpath = os.path.join(args.out, stamp + ".json")
    json.dump(report, open(jpath, "w"), indent=1)
    md = markdown(report)
    mdpath = os.path.join(args.out, stamp + ".md")
    open(mdpath, "w").write(md)
    log("\n" + md)
    plots(report, args.out, stamp)
    log("wrote %s and %s" % (jpath, mdpath))
    # (A failed run keeps it, for a look at what failed.)
    if args.keep_work:
        log("work dir kept: %s" % work)
    else:
        shutil.rmtree(work, ignore_errors=True)
        log("removed the work dir %s" % work)


def markdown(report):
    def peer_line(peer):
        info = report["peers"].get(peer, {})
        return info.get("version") or "skipped (%s)" % info.get("missing", "not probed")
    lines = ["# acc bench %s%s" % (report["stamp"], " (quick)" if report["quick"] else ""), "",
             "Machine: %s" % report.get("machine", "unknown"), "",
             "Peak fp32 FMA measured in this run: " + ", ".join(
                 "%s thread(s) %.0f GFLOP/s" % (t, g) for t, g in sorted(report["peak_gflops"].items())),
             "", "Peers: ONNX Runtime %s; IREE %s. Their ratios (peer time / acc time) come "
             "from acc timed again beside them in their process." % (
                 peer_line("onnxruntime"), peer_line("iree")), "",
             "| case | threads | acc ms | acc GFLOP/s | % peak | PyTorch ms (best variant) "
             "| PyTorch/acc | ORT ms | ORT/acc | IREE ms | IREE/acc | compile s (IREE) | acc peak MiB |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]

    def peer_cells(r, peer):
        if peer + "_ms" in r:
            return "%.3f | %.2f" % (r[peer + "_ms"], r[peer + "_ratio"])
        status = r.get("peers", {}).get(peer + "_status")
        return "%s | " % (status[:40] if status else "")
    for r in report["results"]:
        iree_c = r.get("peers", {}).get("iree_compile_s")
        compile_cell = "%.1f%s" % (r.get("compile_s", 0), " (%.1f)" % iree_c if iree_c else "")
        if r.get("status") != "ok":
            lines.append("| %s | %d | %s | | | | | | | | | %s | |" % (
                r["name"], r["threads"], r.get("status"), compile_cell))
            continue
        mem = "%.1f" % (r["acc_peak_bytes"] / 2 ** 20) if "acc_peak_bytes" in r else ""
        lines.append("| %s | %d | %.3f | %.1f | %.0f | %.3f (%s) | %.2f | %s | %s | %s | %s |" % (
            r["name"], r["threads"], r["acc_ms"], r["acc_gflops"], r["acc_pct_peak"],
            r["torch_ms"], r["torch_variant"], r["ratio"], peer_cells(r, "ort"),
            peer_cells(r, "iree"), compile_cell, mem))
    # Sliding-window scaling: time(2N) / time(N) for consecutive sizes.
    win = [r for r in report["results"] if r.get("mask") == "sliding_window" and r.get("status") == "ok"]
    if win:
        lines += ["", "Sliding-window scaling (time ratio when N grows 4x; linear would be 4.0; "
                  "in brackets the ratio of the (query, key) pairs the window holds, "
                  "N w - w (w - 1) / 2: above 4 while the first w queries see fewer keys):", ""]
        for t in sorted({r["threads"] for r in win}):
            rs = sorted((r for r in win if r["threads"] == t), key=lambda r: r["n"])
            steps = ["N %d -> %d: %.2fx (pairs %.2fx)" % (
                a["n"], b["n"], b["acc_ms"] / a["acc_ms"], b["flops"] / a["flops"])
                for a, b in zip(rs, rs[1:])]
            lines.append("- %d thread(s): %s" % (t, "; ".join(steps)))
            if all("acc_cold_ms" in r for r in rs):
                cold = ["N %d -> %d: %.2fx" % (a["n"], b["n"], b["acc_cold_ms"] / a["acc_cold_ms"])
                        for a, b in zip(rs, rs[1:])]
                lines.append("  - caches evicted before each call (%s ms): %s" % (
                    " / ".join("%.3f" % r["acc_cold_ms"] for r in rs), "; ".join(cold)))
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
