"""WarmupScheduler.step() against torch's own scheduler's step() for the same spec, side by side.

    OMP_NUM_THREADS=1 PYTHONPATH=python /usr/bin/python3 bench/bench_python_step.py [STEPS] [ROUNDS]

For each case, times scheduler.step() alone (the optimizer's step is not timed: it is the same for
both) over STEPS steps, ROUNDS rounds alternating torch / ours, and prints the median µs per step
of each and their ratio (ours / torch; < 1 is faster). One parameter group, SGD. Results:
docs/BENCHMARKS.md, "Python: WarmupScheduler.step()".
"""
import statistics
import sys
import time
import warnings

import torch
import torch.optim.lr_scheduler as lrs

from warmup.torch import WarmupScheduler

STEPS = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 7

CASES = [
    ("LinearLR warmup then cosine (SequentialLR)",
     lambda o: lrs.SequentialLR(o, [lrs.LinearLR(o, start_factor=0.01, total_iters=1000),
                                    lrs.CosineAnnealingLR(o, T_max=STEPS)], milestones=[1000]),
     "torch:SequentialLR([LinearLR(start_factor=0.01, total_iters=1000), "
     "CosineAnnealingLR(T_max=%d)], milestones=[1000])" % STEPS),
    ("LinearLR",
     lambda o: lrs.LinearLR(o, start_factor=0.01, total_iters=1000),
     "torch:LinearLR(start_factor=0.01, total_iters=1000)"),
    ("native warmup(1000) > cosine (no torch equivalent: vs the SequentialLR above)",
     lambda o: lrs.SequentialLR(o, [lrs.LinearLR(o, start_factor=0.01, total_iters=1000),
                                    lrs.CosineAnnealingLR(o, T_max=STEPS)], milestones=[1000]),
     "warmup(1000) > cosine"),
    ("ReduceLROnPlateau, step(metric) (a flat metric: reductions every 11 steps)",
     lambda o: lrs.ReduceLROnPlateau(o, factor=0.999),
     "torch:ReduceLROnPlateau(factor=0.999)"),
]


def opt():
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)


def time_steps(make):
    o = opt()
    s = make(o)
    o.step()  # so that neither warns about the order
    step = s.step
    t = time.perf_counter()
    if isinstance(s, lrs.ReduceLROnPlateau) or getattr(s, "_plateau", False):
        for _ in range(STEPS):
            step(1.0)
    else:
        for _ in range(STEPS):
            step()
    return (time.perf_counter() - t) / STEPS * 1e6


def main():
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    print("torch %s, %d steps x %d rounds, median us per scheduler.step()" % (
        torch.__version__, STEPS, ROUNDS))
    print("%-78s %9s %9s %7s" % ("case", "torch_us", "ours_us", "ratio"))
    for name, build, spec in CASES:
        ours = lambda o, spec=spec: WarmupScheduler(o, spec, total_steps=STEPS + 1)  # noqa: E731
        t_torch, t_ours = [], []
        for _ in range(ROUNDS):
            t_torch.append(time_steps(build))
            t_ours.append(time_steps(ours))
        a, b = statistics.median(t_torch), statistics.median(t_ours)
        print("%-78s %9.2f %9.2f %7.2f" % (name, a, b, b / a))


if __name__ == "__main__":
    main()
