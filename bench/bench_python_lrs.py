"""Time warmup.Schedule.lrs(1_000_000): a million-step preview in one call (wu_sched_fill).
The goal (issue 15) is under 50 ms. Prints the best of 7 runs per spec, in ms.

    OMP_NUM_THREADS=1 PYTHONPATH=python /usr/bin/python3 bench/bench_python_lrs.py"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import warmup  # noqa: E402

N = 1_000_000
SPECS = [
    "warmup(5%) > cosine(to=0.1)",
    "hf:cosine(num_warmup_steps=10000, num_training_steps=1000000)",
    "hf:linear(num_warmup_steps=10000, num_training_steps=1000000)",
    "torch:SequentialLR([LinearLR(start_factor=0.1, total_iters=10000), "
    "CosineAnnealingLR(T_max=990000)], milestones=[10000])",
]


def main():
    print("warmup.Schedule.lrs(%d) (numpy: %s), best of 7" % (
        N, "yes" if warmup.schedule._np is not None else "no: a list"))
    for spec in SPECS:
        s = warmup.Schedule(spec, 3e-4, total_steps=N)
        best = float("inf")
        for _ in range(7):
            t = time.perf_counter()
            s.lrs(N)
            best = min(best, time.perf_counter() - t)
        print("  %8.2f ms  %s" % (best * 1e3, spec))
    s = warmup.Schedule(SPECS[0], 3e-4, total_steps=N)
    t = time.perf_counter()
    for k in range(100_000):
        s.lr(k)
    print("  %8.2f us  one Schedule.lr(step) call (for comparison)"
          % ((time.perf_counter() - t) / 100_000 * 1e6))


if __name__ == "__main__":
    main()
