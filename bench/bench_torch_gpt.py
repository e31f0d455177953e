#!/usr/bin/python3
"""Training throughput of the reference GPT in PyTorch 1.13 (CPU), for comparison
with warmup's C engine.

Model: the same byte-level GPT as warmup (see tools/gen_gpt_fixtures.py for the
exact definition): vocab 256, context 64, width 128, 4 layers, 4 heads, tied
token embedding / output layer, GELU (tanh), LayerNorm eps 1e-5, no dropout;
Pre-LN (GPT-2, with a final ln_f) by default, or --post-ln (no ln_f).
834,304 parameters Pre-LN.  GPT-2 init: weights N(0, 0.02), residual projections
(attn.c_proj, mlp.c_proj) N(0, 0.02/sqrt(2*layers)), biases 0, LayerNorm 1/0.

Sizes: the reference GPT by default; --layers --heads --dim --seq --batch --vocab
change them as bench_gpt's options of the same names do (bench/compare_gpt.sh passes the
same arguments to both).

Training: batch 8 x 64 tokens drawn from a fixed-seed stream of random bytes
(consecutive windows), AdamW(lr=3e-4, weight_decay=0.01, other defaults,
single-tensor implementation), torch.set_num_threads(2), OPENBLAS_NUM_THREADS=1.
5 warm-up steps, then --steps (default 30) timed steps; a step is forward +
backward + optimizer.step() + zero_grad().  time.perf_counter around the timed
steps.  Peak RSS is ru_maxrss of the whole process (KiB on Linux) / 1024.

Output (last three lines are the machine-readable ones):
    torch 1.13.0
    torch gpt params 834304
    torch gpt layout pre_ln
    torch gpt final_loss 5.4321
    torch gpt tokens_per_s 8123.4
    torch gpt ms_per_step 63.0
    torch gpt peak_rss_mb 311.2

--check FILE (written by bench_gpt --check FILE with the same size options): load the C
engine's initial parameters and batch, run the same AdamW steps, and compare the losses with
the engine's (relative 1e-4); exit 1 if they differ.  Nothing is timed.

Run:  /usr/bin/python3 bench/bench_torch_gpt.py [--pre-ln|--post-ln] [--steps N]
          [--layers L] [--heads H] [--dim C] [--seq T] [--batch B] [--vocab V]
"""

import os

os.environ["OPENBLAS_NUM_THREADS"] = "1"

import argparse  # noqa: E402
import math  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_blocks import Block, time_steps  # noqa: E402

VOCAB, CONTEXT, WIDTH, LAYERS, HEADS, BATCH = 256, 64, 128, 4, 4, 8
WARMUP = 5


class GPT(nn.Module):
    def __init__(self, V, T, C, L, NH, post_ln):
        super().__init__()
        self.wte = nn.Parameter(torch.empty(V, C))
        self.wpe = nn.Parameter(torch.empty(T, C))
        self.h = nn.ModuleList([Block(C, NH, post_ln, ctx=T) for _ in range(L)])
        self.ln_f = None if post_ln else nn.LayerNorm(C, eps=1e-5)
        self.reset_gpt2(L)

    def reset_gpt2(self, L):
        for name, p in self.named_parameters():
            if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name == "ln_f.weight":
                nn.init.ones_(p)
            elif name.endswith(".bias"):
                nn.init.zeros_(p)
            elif name.endswith("c_proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * L))
            else:
                nn.init.normal_(p, 0.0, 0.02)

    def forward(self, idx, targets):
        B, T = idx.shape
        x = self.wte[idx] + self.wpe[:T]
        for block in self.h:
            x = block(x)
        if self.ln_f is not None:
            x = self.ln_f(x)
        logits = x @ self.wte.t()
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def check(model, path, B, T):
    """Reproduce bench_gpt --check's losses from its parameters and batch; 0 if they match."""
    import numpy as np
    n = sum(p.numel() for p in model.parameters())
    raw = np.fromfile(path, dtype=np.uint8)
    steps = (raw.size - 4 * (n + 2 * B * T)) // 4
    if steps < 1 or raw.size != 4 * (n + 2 * B * T + steps):
        print("torch gpt check: %s: %d bytes, not the parameters (%d) and batch of this model "
              "(same size options as bench_gpt?)" % (path, raw.size, n), file=sys.stderr)
        return 2
    params = torch.from_numpy(raw[:4 * n].view(np.float32).copy())
    ints = torch.from_numpy(raw[4 * n:4 * (n + 2 * B * T)].view(np.int32).astype(np.int64))
    want = raw[4 * (n + 2 * B * T):].view(np.float32)
    torch.nn.utils.vector_to_parameters(params, model.parameters())
    x, y = ints[:B * T].view(B, T), ints[B * T:].view(B, T)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.01)
    worst = 0.0
    for i, w in enumerate(want):
        loss = model(x, y)
        loss.backward()
        opt.step()
        opt.zero_grad()
        rel = abs(loss.item() - float(w)) / abs(float(w))
        worst = max(worst, rel)
        print("torch gpt check step %d loss %.6f engine %.6f rel %.1e" % (i, loss.item(), w, rel))
    ok = worst < 1e-4
    print("torch gpt check", "same model (worst relative difference %.1e)" % worst if ok
          else "DIFFERENT (worst relative difference %.1e)" % worst)
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--pre-ln", dest="post_ln", action="store_false", help="GPT-2 Pre-LN (default)")
    g.add_argument("--post-ln", dest="post_ln", action="store_true", help="original Post-LN")
    ap.set_defaults(post_ln=False)
    ap.add_argument("--steps", type=int, default=30, help="timed steps (default 30)")
    for name, default in (("layers", LAYERS), ("heads", HEADS), ("dim", WIDTH), ("seq", CONTEXT),
                          ("batch", BATCH), ("vocab", VOCAB)):
        ap.add_argument("--" + name, type=int, default=default, help="default %d" % default)
    ap.add_argument("--check", metavar="FILE", help="compare with bench_gpt --check FILE")
    args = ap.parse_args()
    for name in ("steps", "layers", "heads", "dim", "seq", "batch", "vocab"):
        if getattr(args, name) < 1:
            ap.error("--%s must be >= 1" % name)
    if args.dim % args.heads:
        ap.error("--dim must be divisible by --heads")
    V, T, C, L, NH, B = args.vocab, args.seq, args.dim, args.layers, args.heads, args.batch

    torch.set_num_threads(2)
    torch.manual_seed(1337)
    model = GPT(V, T, C, L, NH, args.post_ln)
    nparams = sum(p.numel() for p in model.parameters())
    print("torch", torch.__version__)
    print("torch gpt params", nparams)
    print("torch gpt layout", "post_ln" if args.post_ln else "pre_ln",
          "L%d H%d C%d T%d V%d batch %d" % (L, NH, C, T, V, B))

    if args.check:
        sys.exit(check(model, args.check, B, T))

    total = WARMUP + args.steps
    gen = torch.Generator().manual_seed(2024)
    stream = torch.randint(0, V, (total * B * T + 1,), generator=gen)

    def batch(i):
        off = i * B * T
        x = stream[off:off + B * T].view(B, T)
        y = stream[off + 1:off + 1 + B * T].view(B, T)
        return x, y

    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.01)

    def step(i):
        x, y = batch(i)
        loss = model(x, y)
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss

    loss, dt = time_steps(step, WARMUP, args.steps)

    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print("torch gpt final_loss %.4f" % loss.item())
    print("torch gpt tokens_per_s %.1f" % (B * T * args.steps / dt))
    print("torch gpt ms_per_step %.1f" % (1000.0 * dt / args.steps))
    print("torch gpt peak_rss_mb %.1f" % rss_mb)


if __name__ == "__main__":
    main()
