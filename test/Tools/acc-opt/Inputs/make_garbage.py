"""Writes deterministic bad inputs for acc-opt's bad-input tests.

make_garbage.py KIND SIZE_BYTES OUT
  binary: random bytes
  text:   random printable characters (MLIR punctuation included) in lines
  nested: `func.func @f() -> tensor<tensor<...` nested SIZE_BYTES deep
  regions: nn.block regions nested SIZE_BYTES deep, then valid closing braces
  bytecode: the MLIR bytecode magic followed by random bytes
"""
import random
import sys

kind, size, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = random.Random(20261127)
with open(out, "wb") as f:
    if kind == "binary":
        f.write(rng.randbytes(size))
    elif kind == "text":
        alphabet = (b"abcdefghijklmnopqrstuvwxyz0123456789%@^#!:;,.=<>(){}[]\"'-+*/ \t"
                    b"func.func nn.conv2d tensor<?x4xf32> ")
        table = bytes(alphabet[i % len(alphabet)] for i in range(256))
        data = bytearray(rng.randbytes(size).translate(table))
        for i in range(0, size, 120):
            data[i] = ord("\n")
        f.write(bytes(data))
    elif kind == "nested":
        f.write(b"func.func @f() -> " + b"tensor<" * size)
    elif kind == "regions":
        f.write(b"func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {\n")
        for i in range(size):
            f.write(b'%%v%d = nn.block "b" kind(hybrid) -> tensor<4xf32> {\n' % i)
        f.write(b"nn.yield %x : tensor<4xf32>\n")
        for i in reversed(range(1, size)):
            f.write(b"}\nnn.yield %%v%d : tensor<4xf32>\n" % i)
        f.write(b"}\nreturn %v0 : tensor<4xf32>\n}\n")
    elif kind == "bytecode":
        f.write(b"ML\xefR" + rng.randbytes(size))
    else:
        sys.exit("unknown kind " + kind)
