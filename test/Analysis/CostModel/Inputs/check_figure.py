"""Checks one figure of a cost report against a published value.

usage: check_figure.py REPORT.json FUNCTION FIELD EXPECTED REL_TOL [SYM=VALUE...]

Prints the figure and its relative error; fails when the error exceeds
REL_TOL. A symbolic figure is evaluated at the given symbol values.
"""
import json
import sys
from fractions import Fraction


def main():
    path, func, field, expected, tol = sys.argv[1:6]
    values = dict((k, Fraction(int(v))) for k, v in
                  (a.split("=") for a in sys.argv[6:]))
    with open(path) as f:
        report = json.load(f)
    fn = [f for f in report["functions"] if f["name"] == func]
    if not fn:
        sys.exit("no function %s in %s" % (func, path))
    figure = fn[0][field]
    if isinstance(figure, str):
        figure = eval(figure.replace("^", "**"), {"__builtins__": {}}, values)
    got, want = float(figure), float(expected)
    rel = abs(got - want) / want
    print("%s %s = %d, published %s, relative error %.4f%%"
          % (func, field, got, expected, rel * 100))
    if rel > float(tol):
        print("FAIL: more than %s%% off" % (float(tol) * 100))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
