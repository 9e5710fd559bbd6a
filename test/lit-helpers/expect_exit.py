#!/usr/bin/env python3
"""Runs a command and checks that it exits normally with a given status.

Usage: expect_exit.py STATUS [--stdin FILE] -- CMD ARGS...

A test of bad input must see a clean, non-zero exit with a diagnostic: a
crash (signal, abort, assertion) fails the check whatever its status would
have been. The command's stderr and stdout are passed through, so FileCheck
can read the diagnostic.
"""
import subprocess
import sys


def main():
    args = sys.argv[1:]
    want = int(args.pop(0))
    stdin = None
    if args and args[0] == "--stdin":
        args.pop(0)
        stdin = open(args.pop(0), "rb")
    if args and args[0] == "--":
        args.pop(0)
    try:
        proc = subprocess.run(args, stdin=stdin, capture_output=True, timeout=300)
    except subprocess.TimeoutExpired:
        sys.stderr.write("expect_exit: command timed out (hang?)\n")
        return 3
    sys.stdout.buffer.write(proc.stdout)
    sys.stderr.buffer.write(proc.stderr)
    if proc.returncode < 0:
        sys.stderr.write("expect_exit: killed by signal %d\n" % -proc.returncode)
        return 2
    if proc.returncode != want:
        sys.stderr.write("expect_exit: exit status %d, expected %d\n"
                         % (proc.returncode, want))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
