"""Validates a JSON cost report against the documented schema
(docs/CostModel.md) and prints a one-line summary per function.

A figure is a JSON integer when it is a number and a string polynomial when
it is symbolic ("overflow" when it does not fit); unknown ops have null
figures and "unknown": true.
"""
import json
import re
import sys

POLY = re.compile(r"^-?[0-9A-Za-z_*^/ +-]+$")
SCALING = re.compile(r"^(constant|linear|quadratic|cubic|degree [0-9]+)$")


def figure(v, where):
    if isinstance(v, bool):
        raise SystemExit("%s: a figure must not be a bool" % where)
    if isinstance(v, int):
        return "int"
    if isinstance(v, str) and (v == "overflow" or POLY.match(v)):
        return "poly"
    raise SystemExit("%s: bad figure %r" % (where, v))


def scaling(v, where):
    if not isinstance(v, dict):
        raise SystemExit("%s: scaling must be an object" % where)
    for sym, cls in v.items():
        if not SCALING.match(cls):
            raise SystemExit("%s: bad scaling class %r for %s" % (where, cls, sym))


def main():
    report = json.load(sys.stdin)
    assert set(report) == {"functions", "peak_gflops", "bandwidth_gbs"}, report.keys()
    for f in report["functions"]:
        for key in ["name", "flops", "macs", "bytes", "bytes_unfused", "params",
                    "param_bytes", "scaling", "symbols", "ops", "blocks",
                    "largest_intermediate", "arithmetic_intensity", "roofline",
                    "crossover", "has_unknown"]:
            assert key in f, "function lacks %s" % key
        kinds = {k: figure(f[k], f["name"] + "." + k)
                 for k in ["flops", "macs", "bytes", "bytes_unfused", "params"]}
        scaling(f["scaling"], f["name"])
        for i, op in enumerate(f["ops"]):
            where = "%s.ops[%d]" % (f["name"], i)
            for key in ["op", "loc", "flops", "macs", "bytes", "scaling"]:
                assert key in op, "%s lacks %s" % (where, key)
            if op.get("unknown"):
                assert op["flops"] is None and op["scaling"] is None, where
            else:
                for key in ["flops", "macs", "bytes"]:
                    figure(op[key], where + "." + key)
                scaling(op["scaling"], where)
        for i, b in enumerate(f["blocks"]):
            where = "%s.blocks[%d]" % (f["name"], i)
            for key in ["name", "kind", "flops", "macs", "bytes", "params", "scaling"]:
                assert key in b, "%s lacks %s" % (where, key)
            assert b["kind"] in ("convolution", "attention", "hybrid"), where
        for which in ["flops", "bytes"]:
            c = f["crossover"][which]
            assert c["kind"] in ("none", "static", "at", "always", "never",
                                 "below", "ambiguous"), c
        print("%s: %d ops, %d blocks, figures %s, scaling %s" % (
            f["name"], len(f["ops"]), len(f["blocks"]),
            ",".join("%s=%s" % kv for kv in sorted(kinds.items())),
            json.dumps(f["scaling"], sort_keys=True)))
    print("schema ok")


if __name__ == "__main__":
    main()
