"""Checks the cost model's symbolic figures by substitution.

For each template below, the dynamic version (every `$(expr)` that mentions
a symbol becomes `?`) is analysed once; then for several sizes the static
version (every `$(expr)` evaluated) is analysed, and each op's and each
function's FLOPs, MACs, bytes, unfused bytes and params must equal the
polynomial evaluated at those sizes, exactly (rational arithmetic).

usage: substitute.py ACC_OPT
"""
import json
import re
import subprocess
import sys
from fractions import Fraction

TEMPLATES = {
    # Strided, padded conv + pool + global pool; the symbolic form is exact
    # when each strided input is a multiple of its stride.
    "conv": ({"B": [1, 3], "H": [8, 16, 36], "W": [8, 20]}, """
func.func @f(%x: tensor<$(B)x8x$(H)x$(W)xf32> {nn.dims = ["B", "", "H", "W"]},
             %w: tensor<16x4x3x3xf32>, %b: tensor<16xf32>) {
  %0 = nn.conv2d %x, %w bias(%b) layout(nchw)
         {groups = 2, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>}
       : (tensor<$(B)x8x$(H)x$(W)xf32>, tensor<16x4x3x3xf32>, tensor<16xf32>)
         -> tensor<$(B)x16x$((H-1)//2+1)x$((W-1)//2+1)xf32>
  %1 = nn.relu %0 : tensor<$(B)x16x$((H-1)//2+1)x$((W-1)//2+1)xf32>
  %2 = nn.max_pool2d %1 layout(nchw) {kernel_size = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>}
       : tensor<$(B)x16x$((H-1)//2+1)x$((W-1)//2+1)xf32> -> tensor<$(B)x16x$((H-1)//4+1)x$((W-1)//4+1)xf32>
  %3 = nn.global_avg_pool2d %2 layout(nchw)
       : tensor<$(B)x16x$((H-1)//4+1)x$((W-1)//4+1)xf32> -> tensor<$(B)x16x1x1xf32>
  return
}
"""),
    # A pre-norm transformer layer over N tokens, every mask kind.
    "encoder": ({"N": [256, 300, 1024]}, """
func.func @f(%x: tensor<2x$(N)x64xf32> {nn.dims = ["", "N", ""]},
             %wq: tensor<64x64xf32>, %g: tensor<64xf32>, %w1: tensor<128x64xf32>,
             %w2: tensor<64x128xf32>, %b1: tensor<128xf32>) {
  %n = nn.layer_norm %x weight(%g) bias(%g) : (tensor<2x$(N)x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<2x$(N)x64xf32>
  %q = nn.linear %n, %wq : (tensor<2x$(N)x64xf32>, tensor<64x64xf32>) -> tensor<2x$(N)x64xf32>
  %h = nn.split_heads %q {num_heads = 4} : tensor<2x$(N)x64xf32> -> tensor<2x4x$(N)x16xf32>
  %kv = nn.split_heads %n {num_heads = 2} : tensor<2x$(N)x64xf32> -> tensor<2x2x$(N)x32xf32>
  %k = nn.split_heads %q {num_heads = 2} : tensor<2x$(N)x64xf32> -> tensor<2x2x$(N)x32xf32>
  %hq = nn.split_heads %q {num_heads = 2} : tensor<2x$(N)x64xf32> -> tensor<2x2x$(N)x32xf32>
  %a0 = nn.attention %h, %h, %h : (tensor<2x4x$(N)x16xf32>, tensor<2x4x$(N)x16xf32>, tensor<2x4x$(N)x16xf32>) -> tensor<2x4x$(N)x16xf32>
  %a1 = nn.attention %h, %h, %h mask(causal) : (tensor<2x4x$(N)x16xf32>, tensor<2x4x$(N)x16xf32>, tensor<2x4x$(N)x16xf32>) -> tensor<2x4x$(N)x16xf32>
  %a2 = nn.attention %h, %h, %h mask(sliding_window) {window = 128} : (tensor<2x4x$(N)x16xf32>, tensor<2x4x$(N)x16xf32>, tensor<2x4x$(N)x16xf32>) -> tensor<2x4x$(N)x16xf32>
  %a3 = nn.attention %hq, %k, %kv mask(causal) : (tensor<2x2x$(N)x32xf32>, tensor<2x2x$(N)x32xf32>, tensor<2x2x$(N)x32xf32>) -> tensor<2x2x$(N)x32xf32>
  %m = nn.merge_heads %a1 : tensor<2x4x$(N)x16xf32> -> tensor<2x$(N)x64xf32>
  %r = nn.add %x, %m : (tensor<2x$(N)x64xf32>, tensor<2x$(N)x64xf32>) -> tensor<2x$(N)x64xf32>
  %u = nn.linear %r, %w1 bias(%b1) : (tensor<2x$(N)x64xf32>, tensor<128x64xf32>, tensor<128xf32>) -> tensor<2x$(N)x128xf32>
  %v = nn.gelu %u approximate(tanh) : tensor<2x$(N)x128xf32>
  %o = nn.linear %v, %w2 : (tensor<2x$(N)x128xf32>, tensor<64x128xf32>) -> tensor<2x$(N)x64xf32>
  %s = nn.softmax %o : tensor<2x$(N)x64xf32>
  return
}
"""),
    # Swin-style windows, image <-> tokens, patch embedding, blocks: sizes
    # that are multiples of the window and patch sizes.
    "hybrid": ({"S": [32, 64, 96]}, """
func.func @f(%x: tensor<1x$(S)x$(S)x3xf32> {nn.dims = ["", "S", "S", ""]},
             %cw: tensor<4x4x3x32xf32>, %pw: tensor<4x4x3x32xf32>,
             %t: tensor<1x64x32xf32>, %mw: tensor<32x64xf32>, %proj: tensor<32x64xf32>) {
  %c = nn.block "stem" kind(convolution) -> tensor<1x$(S//4)x$(S//4)x32xf32> {
    %0 = nn.conv2d %x, %cw layout(nhwc) {strides = array<i64: 4, 4>}
         : (tensor<1x$(S)x$(S)x3xf32>, tensor<4x4x3x32xf32>) -> tensor<1x$(S//4)x$(S//4)x32xf32>
    nn.yield %0 : tensor<1x$(S//4)x$(S//4)x32xf32>
  }
  %a = nn.block "windows" kind(attention) -> tensor<$(S*S//1024)x64x32xf32> {
    %w = nn.window_partition %c {window_size = array<i64: 8, 8>}
         : tensor<1x$(S//4)x$(S//4)x32xf32> -> tensor<$(S*S//1024)x64x32xf32>
    %wh = nn.split_heads %w {num_heads = 2} : tensor<$(S*S//1024)x64x32xf32> -> tensor<$(S*S//1024)x2x64x16xf32>
    %wa = nn.attention %wh, %wh, %wh
          : (tensor<$(S*S//1024)x2x64x16xf32>, tensor<$(S*S//1024)x2x64x16xf32>, tensor<$(S*S//1024)x2x64x16xf32>)
            -> tensor<$(S*S//1024)x2x64x16xf32>
    %wm = nn.merge_heads %wa : tensor<$(S*S//1024)x2x64x16xf32> -> tensor<$(S*S//1024)x64x32xf32>
    %big = nn.matmul %wm, %mw : (tensor<$(S*S//1024)x64x32xf32>, tensor<32x64xf32>) -> tensor<$(S*S//1024)x64x64xf32>
    %out = nn.linear %big, %proj : (tensor<$(S*S//1024)x64x64xf32>, tensor<32x64xf32>) -> tensor<$(S*S//1024)x64x32xf32>
    %sq = nn.mul %out, %out : (tensor<$(S*S//1024)x64x32xf32>, tensor<$(S*S//1024)x64x32xf32>) -> tensor<$(S*S//1024)x64x32xf32>
    nn.yield %sq : tensor<$(S*S//1024)x64x32xf32>
  }
  %tok = nn.image_to_tokens %c layout(nhwc) : tensor<1x$(S//4)x$(S//4)x32xf32> -> tensor<1x$(S*S//16)x32xf32>
  %p = nn.patch_embed %x, %pw layout(nhwc) : (tensor<1x$(S)x$(S)x3xf32>, tensor<4x4x3x32xf32>) -> tensor<1x$(S*S//16)x32xf32>
  %sum = nn.add %tok, %p : (tensor<1x$(S*S//16)x32xf32>, tensor<1x$(S*S//16)x32xf32>) -> tensor<1x$(S*S//16)x32xf32>
  %img = nn.tokens_to_image %t layout(nhwc) {height = 8, width = 8} : tensor<1x64x32xf32> -> tensor<1x8x8x32xf32>
  %win = nn.window_partition %img {window_size = array<i64: 4, 4>} : tensor<1x8x8x32xf32> -> tensor<4x16x32xf32>
  %back = nn.window_merge %win {window_size = array<i64: 4, 4>, height = 8, width = 8} : tensor<4x16x32xf32> -> tensor<1x8x8x32xf32>
  return
}
"""),
}

FIELDS = ["flops", "macs", "bytes", "bytes_unfused", "params"]
EXPR = re.compile(r"\$\(([^()]*(?:\([^()]*\)[^()]*)*)\)")


def instantiate(text, sizes):
    def repl(m):
        expr = m.group(1)
        if sizes is None:
            if re.search(r"[A-Za-z]", expr):
                return "?"
            return str(eval(expr))
        return str(eval(expr, {}, dict(sizes)))
    return EXPR.sub(repl, text)


def analyse(acc_opt, text):
    proc = subprocess.run([acc_opt, "-", "--nn-cost-report=format=json",
                           "-o", "/dev/null"], input=text.encode(),
                          capture_output=True)
    if proc.returncode != 0:
        sys.stderr.write(text + proc.stderr.decode())
        raise SystemExit("acc-opt failed")
    return json.loads(proc.stdout)["functions"][0]


def evaluate(figure, values):
    if isinstance(figure, int):
        return Fraction(figure)
    expr = figure.replace("^", "**")
    env = {name: Fraction(v) for name, v in values.items()}
    return Fraction(eval(expr, {"__builtins__": {}}, env))


def main():
    acc_opt = sys.argv[1]
    checked = 0
    for name, (grid, text) in TEMPLATES.items():
        dyn = analyse(acc_opt, instantiate(text, None))
        symbols = set(dyn["symbols"])
        keys = list(grid)
        combos = [{}]
        for k in keys:
            combos = [dict(c, **{k: v}) for c in combos for v in grid[k]]
        for sizes in combos:
            static = analyse(acc_opt, instantiate(text, sizes))
            values = dict(sizes)
            assert len(dyn["ops"]) == len(static["ops"]), name
            pairs = [("function", dyn, static)] + [
                (d["op"] + "@" + d["loc"], d, s)
                for d, s in zip(dyn["ops"], static["ops"])]
            pairs += [("block " + d["name"], d, s)
                      for d, s in zip(dyn["blocks"], static["blocks"])]
            for what, d, s in pairs:
                for field in FIELDS:
                    if field not in d:
                        continue
                    got = evaluate(d[field], values)
                    want = Fraction(s[field])
                    if got != want:
                        print("MISMATCH %s %s %s at %s: polynomial %s = %s, static %s"
                              % (name, what, field, sizes, d[field], got, want))
                        return 1
                    checked += 1
        print("%s: %d sizes, symbols %s" % (name, len(combos), sorted(symbols)))
    print("substitution checks passed: %d figures" % checked)
    return 0


if __name__ == "__main__":
    sys.exit(main())
