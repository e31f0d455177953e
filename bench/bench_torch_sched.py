#!/usr/bin/python3
"""Wall-clock cost of one PyTorch 1.13 `scheduler.step()` call, per schedule family.

Reference numbers for warmup's own schedule benchmark.  For each family a fresh
one-parameter SGD optimizer and scheduler are built, 20,000 `scheduler.step()`
calls are timed with time.perf_counter, this is repeated 5 times, and the median
is reported in nanoseconds per call (loop overhead included, optimizer.step() not
included).  Every schedule is sized so that the 20,000 steps stay inside its
active range (OneCycleLR would raise past total_steps).

Run:  /usr/bin/python3 bench/bench_torch_sched.py      (about 10-20 s)
"""

import functools
import math
import statistics
import time
import warnings

import torch
from torch.optim import lr_scheduler as tls

warnings.simplefilter("ignore")  # stepping without optimizer.step() warns once

STEPS = 20_000
REPEATS = 5


def _hf_cosine_warmup(step, *, num_warmup_steps, num_training_steps, num_cycles=0.5):
    # Same arithmetic as transformers' cosine-with-warmup lr_lambda.
    if step < num_warmup_steps:
        return float(step) / float(max(1, num_warmup_steps))
    progress = float(step - num_warmup_steps) / float(max(1, num_training_steps - num_warmup_steps))
    factor = 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))
    return max(0, factor)


def _optimizer():
    p = torch.nn.Parameter(torch.zeros(1))
    return torch.optim.SGD([p], lr=1e-3, momentum=0.9)


def linear(opt):
    return tls.LinearLR(opt, start_factor=0.01, total_iters=STEPS)


def cosine(opt):
    return tls.CosineAnnealingLR(opt, T_max=STEPS, eta_min=1e-5)


def onecycle(opt):
    return tls.OneCycleLR(opt, max_lr=1e-3, total_steps=STEPS + 1)


def hf_cosine_warmup(opt):
    fn = functools.partial(_hf_cosine_warmup, num_warmup_steps=STEPS // 10, num_training_steps=STEPS)
    return tls.LambdaLR(opt, fn)


def sequential3(opt):
    warm = tls.LinearLR(opt, start_factor=0.01, total_iters=2_000)
    hold = tls.ConstantLR(opt, factor=1.0, total_iters=4_000)
    decay = tls.CosineAnnealingLR(opt, T_max=STEPS - 6_000)
    return tls.SequentialLR(opt, [warm, hold, decay], milestones=[2_000, 6_000])


FAMILIES = [("linear", linear), ("cosine", cosine), ("onecycle", onecycle),
            ("hf_cosine_warmup", hf_cosine_warmup), ("sequential3", sequential3)]


def time_family(make):
    runs = []
    for _ in range(REPEATS):
        sched = make(_optimizer())
        step = sched.step
        t0 = time.perf_counter()
        for _ in range(STEPS):
            step()
        runs.append((time.perf_counter() - t0) / STEPS * 1e9)
    return statistics.median(runs)


def main():
    print("torch %s, %d threads" % (torch.__version__, torch.get_num_threads()))
    for name, make in FAMILIES:
        print("torch %s %.0f ns/step" % (name, time_family(make)))


if __name__ == "__main__":
    main()
