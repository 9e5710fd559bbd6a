"""Acceptance: torchvision models exported to ONNX, compiled by acc, checked
against PyTorch.

    torchvision_check.py ACC_COMPILE WORKDIR MODEL...

For each MODEL (a torchvision.models constructor: resnet18, vit_b_16) with
random weights: export at 1x3x224x224, opset 17 (Debian's python3-torch);
compile the .onnx with `acc-compile --shared`; run it through ctypes on a
random image; compare with the PyTorch model in float64: relative error
(max |diff| / max |ref|) below 1e-4. Prints the error, the compile time and
acc-compile's peak memory; fails when the error is too large or the compile
needs 8 GiB or more.
"""

import ctypes
import os
import resource
import subprocess
import sys
import time

import numpy as np
import torch
import torchvision


def check(acc_compile, workdir, name):
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(weights=None).eval()
    if hasattr(model, "heads"):
        # torchvision zero-initialises the ViT head: the logits would be 0.
        torch.nn.init.normal_(model.heads.head.weight, std=0.02)
        torch.nn.init.normal_(model.heads.head.bias, std=0.02)
    image = torch.randn(1, 3, 224, 224)
    onnx_path = os.path.join(workdir, name + ".onnx")
    torch.onnx.export(model, image, onnx_path, opset_version=17,
                      input_names=["input"], output_names=["logits"])
    lib = os.path.join(workdir, "lib%s.so" % name)
    start = time.time()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run([acc_compile, onnx_path, "--shared", "-o", lib,
                    "--name", name], check=True)
    seconds = time.time() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    os.remove(onnx_path)

    fn = getattr(ctypes.CDLL(lib), name)
    fn.restype = ctypes.c_int
    x = np.ascontiguousarray(image.numpy())
    out = np.full((1, 1000), np.nan, dtype=np.float32)
    status = fn(x.ctypes.data_as(ctypes.c_void_p),
                out.ctypes.data_as(ctypes.c_void_p))
    with torch.no_grad():
        ref = model.double()(image.double()).numpy()
    err = np.abs(out - ref).max() / np.abs(ref).max()
    ok = status == 0 and bool(err < 1e-4) and peak_kib < 8 << 20
    print("%s status %d rel_err %.2e compile %.1f s peak %.0f MiB %s" %
          (name, status, err, seconds, max(peak_kib, before) / 1024,
           "OK" if ok else "FAIL"))
    return ok


def main():
    acc_compile, workdir = sys.argv[1:3]
    os.makedirs(workdir, exist_ok=True)
    torch.set_num_threads(2)
    results = [check(acc_compile, workdir, name) for name in sys.argv[3:]]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
