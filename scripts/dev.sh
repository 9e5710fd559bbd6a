#!/usr/bin/env bash
# acc's one entry point for set-up, build, demo and tests.
#
#   scripts/dev.sh demo    install what is missing, build, run acc's main job
#                          on the shipped example (examples/hybrid.mlir): the
#                          cost report, the canonicalized IR, a native object;
#                          then the same model from ONNX to a shared library
#   scripts/dev.sh test    install what is missing, build, run the whole suite
#   scripts/dev.sh bench [--quick]
#                          install what is missing (plus the baseline's fast
#                          BLAS and matplotlib), build, run bench/run.py:
#                          acc against PyTorch side by side (bench/README.md)
#   scripts/dev.sh setup   only install the system packages
#   scripts/dev.sh build   install and build, nothing else
#
# Idempotent: packages already present are not reinstalled, and the build is
# incremental (build/ is configured once and reused), so a second run is fast.
# Works as root on a fresh Debian 12 machine; elsewhere it uses sudo for apt.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${ACC_BUILD_DIR:-$ROOT/build}"
LLVM_BIN=/usr/lib/llvm-22/bin

# Everything the build and the tests need, from Debian's own repositories.
# (The peers of the benchmark suite come from PyPI and are never needed here.)
PACKAGES=(
  build-essential cmake ninja-build
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools
  libfmt-dev
  # acc-import-onnx: ONNX's C++ protobuf classes.
  libonnx-dev libprotobuf-dev
  python3
  # References for the integration tests: PyTorch in float64, on Debian's
  # own python3 (not a PATH python3 from elsewhere).
  python3-numpy python3-torch
  # The ONNX acceptance tests export torchvision's resnet18 and vit_b_16.
  python3-torchvision
)

# The benchmark suite also needs PyTorch at its best: Debian's torch links
# libblas.so.3, which is the slow reference BLAS unless OpenBLAS provides it;
# torchvision for the whole-model cases; matplotlib for the plots.
BENCH_PACKAGES=(libopenblas0-pthread python3-matplotlib)

log() { printf '\033[1m[acc]\033[0m %s\n' "$*" >&2; }

setup() {
  local missing=()
  for p in "${PACKAGES[@]}" "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  log "installing: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build() {
  setup
  if [ ! -f "$BUILD/build.ninja" ]; then
    log "configuring $BUILD"
    cmake -G Ninja -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
      -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir
  fi
  log "building"
  cmake --build "$BUILD"
}

demo() {
  build
  log "acc-compile examples/hybrid.mlir --cost-report (what the model costs, before compiling)"
  "$BUILD/bin/acc-compile" "$ROOT/examples/hybrid.mlir" --cost-report
  log "acc-compile examples/hybrid-scaling.mlir --cost-report (the same model for any image side S)"
  "$BUILD/bin/acc-compile" "$ROOT/examples/hybrid-scaling.mlir" --cost-report
  log "acc-opt examples/hybrid.mlir -canonicalize (verify, fold batch norms into convolutions)"
  "$BUILD/bin/acc-opt" "$ROOT/examples/hybrid.mlir" -canonicalize
  log "acc-compile examples/hybrid.mlir -o $BUILD/hybrid.o (native code for this CPU)"
  "$BUILD/bin/acc-compile" "$ROOT/examples/hybrid.mlir" -o "$BUILD/hybrid.o"
  log "wrote $BUILD/hybrid.o; its entry: int hybrid(const float *in0, ..., float *out0)"
  local onnx="$ROOT/test/Import/Inputs/hybrid.onnx"
  log "acc-import-onnx test/Import/Inputs/hybrid.onnx (the same model exported by PyTorch; weights elided here)"
  "$BUILD/bin/acc-import-onnx" "$onnx" | grep -v "arith.constant"
  log "acc-compile test/Import/Inputs/hybrid.onnx --shared (a library with the runtime inside, and its header)"
  "$BUILD/bin/acc-compile" "$onnx" --shared -o "$BUILD/libhybrid_onnx.so" \
    --header "$BUILD/hybrid_onnx.h"
  log "wrote $BUILD/libhybrid_onnx.so and $BUILD/hybrid_onnx.h"
}

run_tests() {
  build
  # The lit target builds the generated docs too (test/Docs/stale.test).
  cmake --build "$BUILD" --target mlir-doc
  log "running the lit suite"
  "$LLVM_BIN/lit" -sv "$BUILD/test"
}

# The peers the suite compares with, from PyPI, into the first python3 on
# PATH that is not Debian's (the build and the tests never use them). Best
# effort: without them the suite reports the columns as skipped.
PEER_PIP_PACKAGES=(onnxruntime iree-base-compiler iree-base-runtime onnx)

install_peers() {
  local py
  py="$(command -v python3 || true)"
  if [ -z "$py" ] || [ "$(readlink -f "$py")" = "$(readlink -f /usr/bin/python3)" ]; then
    log "no python3 besides Debian's on PATH: ONNX Runtime and IREE will be skipped"
    return 0
  fi
  if "$py" -c "import onnxruntime, iree.compiler, iree.runtime, onnx" 2>/dev/null; then
    return 0
  fi
  log "installing the peers with $py -m pip: ${PEER_PIP_PACKAGES[*]}"
  "$py" -m pip install -q "${PEER_PIP_PACKAGES[@]}" ||
    log "pip failed: ONNX Runtime and IREE columns will be skipped"
}

bench() {
  setup "${BENCH_PACKAGES[@]}"
  install_peers
  build
  log "running the benchmark suite (bench/run.py $*)"
  /usr/bin/python3 "$ROOT/bench/run.py" "$@"
}

case "${1:-}" in
  setup) setup ;;
  bench) shift; bench "$@" ;;
  build) build ;;
  demo) demo ;;
  test) run_tests ;;
  *)
    echo "usage: $0 {demo|test|bench [--quick]|build|setup}" >&2
    exit 2
    ;;
esac
