"""Writes small malformed or unsupported ONNX models for errors.test (and
one valid model, `named.onnx`), with a minimal protobuf encoder (no onnx
package needed).

    make_bad_onnx.py OUTDIR

Each model has one graph input `x` (float [1, 4]) and one output `y`.
"""
import os
import struct
import sys

FLOAT, INT64, STRING = 1, 7, 8


def varint(n):
    out = b""
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def field(num, value):
    """A varint (int) or length-delimited (bytes/str) field."""
    if isinstance(value, int):
        return varint(num << 3) + varint(value)
    if isinstance(value, str):
        value = value.encode()
    return varint((num << 3) | 2) + varint(len(value)) + value


def tensor(name, dims, dtype, raw=None, floats=None, external=False):
    t = b"".join(field(1, d) for d in dims) + field(2, dtype) + field(8, name)
    if raw is not None:
        t += field(9, raw)
    for f in floats or []:
        t += varint((4 << 3) | 5) + struct.pack("<f", f)
    if external:
        t += field(13, field(1, "location") + field(2, "weights.bin"))
        t += field(14, 1)
    return t


def value_info(name, elem=FLOAT, dims=(1, 4)):
    shape = b"".join(field(1, field(1, d)) for d in dims)
    return field(1, name) + field(2, field(1, field(1, elem) + field(2, shape)))


def node(op, inputs, outputs, name=None, domain=None):
    n = b"".join(field(1, i) for i in inputs) + b"".join(field(2, o) for o in outputs)
    n += field(3, name or op) + field(4, op)
    if domain:
        n += field(7, domain)
    return n


def model(nodes, inits=(), inputs=None, outputs=("y",), opset=17):
    g = b"".join(field(1, n) for n in nodes) + field(2, "g")
    g += b"".join(field(5, t) for t in inits)
    g += b"".join(field(11, i) for i in (inputs or [value_info("x")]))
    g += b"".join(field(12, value_info(o)) for o in outputs)
    return field(1, 8) + field(8, field(1, "") + field(2, opset)) + field(7, g)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    four = struct.pack("<4f", 1, 2, 3, 4)
    models = {
        # 8 bytes of data for 4 floats.
        "bad_raw": model([node("Add", ["x", "w"], ["y"])],
                         [tensor("w", [4], FLOAT, raw=four[:8])]),
        # 3 typed floats for 4.
        "bad_count": model([node("Add", ["x", "w"], ["y"])],
                           [tensor("w", [4], FLOAT, floats=[1, 2, 3])]),
        "string_init": model([node("Add", ["x", "w"], ["y"])],
                             [tensor("w", [4], STRING, raw=b"abcd")]),
        "external": model([node("Add", ["x", "w"], ["y"])],
                          [tensor("w", [4], FLOAT, external=True)]),
        "missing_output": model([node("Relu", ["x"], ["z"])]),
        "undefined_input": model([node("Relu", ["nothere"], ["y"])]),
        "custom_domain": model([node("FusedThing", ["x"], ["y"], domain="com.microsoft")]),
        "old_opset": model([node("Relu", ["x"], ["y"])], opset=5),
        "runtime_compare": model([node("Greater", ["x", "x"], ["y"])]),
        "produced_twice": model([node("Relu", ["x"], ["y"], name="a"),
                                 node("Relu", ["x"], ["y"], name="b")]),
        "int_input": model([node("Relu", ["x"], ["y"])],
                           inputs=[value_info("x", INT64)]),
        "shape_clash": model([node("Add", ["x", "w"], ["y"])],
                             [tensor("w", [3], FLOAT, raw=four[:12])]),
        # Valid: y = relu(x + w), for the names in the C header.
        "named": model([node("Add", ["x", "w"], ["s"]), node("Relu", ["s"], ["y"])],
                       [tensor("w", [4], FLOAT, raw=four)]),
    }
    for name, data in models.items():
        with open(os.path.join(out, name + ".onnx"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
