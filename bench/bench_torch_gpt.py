#!/usr/bin/python3
"""Training throughput of the reference GPT in PyTorch 1.13 (CPU), for comparison
with warmup's C engine.

Model: the same byte-level GPT as warmup (see tools/gen_gpt_fixtures.py for the
exact definition): vocab 256, context 64, width 128, 4 layers, 4 heads, tied
token embedding / output layer, GELU (tanh), LayerNorm eps 1e-5, no dropout;
Pre-LN (GPT-2, with a final ln_f) by default, or --post-ln (no ln_f).
834,304 parameters Pre-LN.  GPT-2 init: weights N(0, 0.02), residual projections
(attn.c_proj, mlp.c_proj) N(0, 0.02/sqrt(2*layers)), biases 0, LayerNorm 1/0.

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

Run:  /usr/bin/python3 bench/bench_torch_gpt.py [--pre-ln|--post-ln] [--steps N]
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--pre-ln", dest="post_ln", action="store_false", help="GPT-2 Pre-LN (default)")
    g.add_argument("--post-ln", dest="post_ln", action="store_true", help="original Post-LN")
    ap.set_defaults(post_ln=False)
    ap.add_argument("--steps", type=int, default=30, help="timed steps (default 30)")
    args = ap.parse_args()
    if args.steps < 1:
        ap.error("--steps must be >= 1")

    torch.set_num_threads(2)
    torch.manual_seed(1337)
    model = GPT(VOCAB, CONTEXT, WIDTH, LAYERS, HEADS, args.post_ln)
    nparams = sum(p.numel() for p in model.parameters())
    print("torch", torch.__version__)
    print("torch gpt params", nparams)
    print("torch gpt layout", "post_ln" if args.post_ln else "pre_ln")

    total = WARMUP + args.steps
    gen = torch.Generator().manual_seed(2024)
    stream = torch.randint(0, VOCAB, (total * BATCH * CONTEXT + 1,), generator=gen)

    def batch(i):
        off = i * BATCH * CONTEXT
        x = stream[off:off + BATCH * CONTEXT].view(BATCH, CONTEXT)
        y = stream[off + 1:off + 1 + BATCH * CONTEXT].view(BATCH, CONTEXT)
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
    print("torch gpt tokens_per_s %.1f" % (BATCH * CONTEXT * args.steps / dt))
    print("torch gpt ms_per_step %.1f" % (1000.0 * dt / args.steps))
    print("torch gpt peak_rss_mb %.1f" % rss_mb)


if __name__ == "__main__":
    main()
