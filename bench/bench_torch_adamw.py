#!/usr/bin/python3
"""Wall-clock cost of one PyTorch 1.13 AdamW `optimizer.step()` on the reference GPT.

Reference numbers for warmup's own optimizer benchmark.  The parameters are float32
tensors with the shapes of the reference GPT (vocab 256, context 64, width 128,
4 layers, token embedding tied with the output layer): 834,304 values in 52
tensors.  Gradients are random (fixed seed) and stay the same for every step.

For torch.set_num_threads(1) and then 2, and for the default single-tensor
implementation (foreach=None) and foreach=True, a fresh AdamW (lr=1e-3, default
betas/eps/weight_decay=0.01, every tensor decayed) takes 3 warm-up steps, then
5 repeats of 50 timed steps (time.perf_counter around the 50 optimizer.step()
calls only); the median repeat is reported in milliseconds per step.

Run:  /usr/bin/python3 bench/bench_torch_adamw.py      (about 10-30 s)
"""

import statistics
import time

import torch

VOCAB, CONTEXT, WIDTH, LAYERS = 256, 64, 128, 4
EXPECTED = 834_304
WARMUP, REPEATS, STEPS = 3, 5, 50


def gpt_shapes():
    shapes = [(VOCAB, WIDTH), (CONTEXT, WIDTH)]  # token (tied with output), position
    for _ in range(LAYERS):
        shapes += [
            (WIDTH,), (WIDTH,),                    # ln1 weight, bias
            (WIDTH, 3 * WIDTH), (3 * WIDTH,),      # qkv
            (WIDTH, WIDTH), (WIDTH,),              # attention projection
            (WIDTH,), (WIDTH,),                    # ln2 weight, bias
            (WIDTH, 4 * WIDTH), (4 * WIDTH,),      # fc
            (4 * WIDTH, WIDTH), (WIDTH,),          # mlp projection
        ]
    shapes += [(WIDTH,), (WIDTH,)]                 # final ln weight, bias
    return shapes


def make_params(shapes):
    gen = torch.Generator().manual_seed(1234)
    params = []
    for shape in shapes:
        p = torch.nn.Parameter(0.02 * torch.randn(shape, generator=gen))
        p.grad = torch.randn(shape, generator=gen)
        params.append(p)
    return params


def bench(shapes, foreach):
    params = make_params(shapes)
    opt = torch.optim.AdamW(params, lr=1e-3, foreach=foreach)
    for _ in range(WARMUP):
        opt.step()
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        for _ in range(STEPS):
            opt.step()
        times.append((time.perf_counter() - t0) / STEPS)
    return statistics.median(times) * 1e3


def main():
    shapes = gpt_shapes()
    count = sum(torch.Size(s).numel() for s in shapes)
    print("torch %s, %d parameter tensors, %d float32 parameters" % (torch.__version__, len(shapes), count))
    assert count == EXPECTED, count
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for impl, foreach in (("single", None), ("foreach", True)):
            ms = bench(shapes, foreach)
            print("torch adamw threads=%d impl=%s %.2f ms/step" % (threads, impl, ms))


if __name__ == "__main__":
    main()
