"""Shared paths for the warmup package's tests. Run from the repository root:

    OMP_NUM_THREADS=1 PYTHONPATH=python /usr/bin/python3 -m pytest -q python/tests

The package is imported from this checkout (python/), which finds build/libwarmup.so."""
import os
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PYDIR = os.path.join(ROOT, "python")
BUILD = os.environ.get("WARMUP_BUILD", os.path.join(ROOT, "build"))
CLI = os.path.join(BUILD, "warmup")
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
GOLDEN = os.path.normpath(os.path.join(ROOT, "..", "shared", "golden", "schedules.jsonl"))

if PYDIR not in sys.path:
    sys.path.insert(0, PYDIR)


def run(opt, sched, n, metrics=None):
    """The LR of group 0..G-1 for updates 0..n-1, read from the optimizer before each update
    (sched.step() after each update, with metrics[k] for a plateau)."""
    out = []
    for k in range(n):
        out.append([g["lr"] for g in opt.param_groups])
        if k == n - 1:
            break
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[k])
    return out
