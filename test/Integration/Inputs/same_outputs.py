"""Compares two directories of outputs written by harness.py --dump: every
file must exist in both and be bitwise identical.
usage: same_outputs.py DIR_A DIR_B"""
import os
import sys

import numpy as np

a, b = sys.argv[1], sys.argv[2]
names = sorted(os.listdir(a))
if not names or names != sorted(os.listdir(b)):
    sys.exit("FAIL: %s and %s hold different outputs" % (a, b))
differ = 0
for n in names:
    x, y = np.load(os.path.join(a, n)), np.load(os.path.join(b, n))
    if x.shape != y.shape or x.tobytes() != y.tobytes():
        differ += 1
        print("FAIL: %s differs (max |diff| %g)" % (n, float(np.abs(x - y).max())))
print("%d of %d outputs identical" % (len(names) - differ, len(names)))
sys.exit(1 if differ else 0)
