#!/usr/bin/python3
"""Training throughput (images/s) of warmup's vision models in PyTorch 1.13 (CPU),
for comparison with warmup's C engine.

Models (exact definitions and warmup's flat parameter order in
tools/gen_vision_fixtures.py; note nn.Module.parameters() here does NOT follow that
order for the ViT: cls and pos come first because they are direct parameters;
the MLP's names are fc.0.weight ... instead of fc0.weight ...):
    MLP: 784 -> 256 -> relu -> 256 -> relu -> 10   (depth 2, width 256), batch 128
         269,322 parameters.
    ViT: 28x28 in 7x7 patches (16 patches of 49 pixels), width 64, 4 heads,
         4 layers, Pre-LN (final ln_f), cls token (sequence 17), learned
         position embedding, non-causal attention, GELU (tanh) MLP of 4C,
         LayerNorm eps 1e-5, head Linear(64 -> 10), batch 64.  205,066 parameters.
Init: PyTorch defaults for nn.Linear / nn.LayerNorm; cls and pos N(0, 0.02).

Training: Adam(lr=1e-3, other defaults, foreach=False), torch.set_num_threads(2),
OPENBLAS_NUM_THREADS=1 (set before importing torch).  Inputs are uniform random
"images" in [0, 1) with random labels in [0, 10) from a fixed seed (a new batch
each step, all generated up front; no dataset needed).  5 warm-up steps, then
--steps (default 30) timed steps; a step is forward + backward + optimizer.step()
+ zero_grad().  time.perf_counter around the timed steps.

Output (per model):
    torch mlp params 269322
    torch mlp final_loss 2.2981
    torch mlp ms_per_step 5.40
    torch mlp images_per_s 12345.6

--layers --heads --dim --batch change the ViT (and its batch) as bench_vision's options of
the same names do.  Peak RSS (ru_maxrss of the process, so with both models the larger one's)
follows each model's lines as "torch <model> peak_rss_mb".

Run:  /usr/bin/python3 bench/bench_torch_vision.py [--model mlp|vit|both] [--steps N]
          [--layers L] [--heads H] [--dim C] [--batch B]
"""

import os

os.environ["OPENBLAS_NUM_THREADS"] = "1"

import argparse  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_blocks import Block, time_steps  # noqa: E402

WARMUP = 5
IMG, PATCH, GRID = 28, 7, 4
NPATCH, PDIM = GRID * GRID, PATCH * PATCH


class MLP(nn.Module):
    def __init__(self, depth, width, activation):
        super().__init__()
        self.activation = activation
        dims = [IMG * IMG] + [width] * depth + [10]
        self.fc = nn.ModuleList([nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:])])

    def forward(self, x):
        for layer in self.fc[:-1]:
            x = layer(x)
            if self.activation == "relu":
                x = F.relu(x)
            elif self.activation == "gelu":
                x = F.gelu(x, approximate="tanh")
            else:
                x = torch.tanh(x)
        return self.fc[-1](x)


class ViT(nn.Module):
    def __init__(self, C, NH, L, post_ln, pooling):
        super().__init__()
        self.pooling = pooling
        S = NPATCH + (1 if pooling == "cls" else 0)
        self.patch = nn.Linear(PDIM, C)
        self.cls = nn.Parameter(0.02 * torch.randn(C)) if pooling == "cls" else None
        self.pos = nn.Parameter(0.02 * torch.randn(S, C))
        self.h = nn.ModuleList([Block(C, NH, post_ln) for _ in range(L)])
        self.ln_f = None if post_ln else nn.LayerNorm(C, eps=1e-5)
        self.head = nn.Linear(C, 10)

    def forward(self, x):
        B = x.shape[0]
        p = x.reshape(B, GRID, PATCH, GRID, PATCH).permute(0, 1, 3, 2, 4).reshape(B, NPATCH, PDIM)
        e = self.patch(p)
        if self.cls is not None:
            e = torch.cat([self.cls.view(1, 1, -1).expand(B, 1, -1), e], dim=1)
        h = e + self.pos
        for block in self.h:
            h = block(h)
        if self.ln_f is not None:
            h = self.ln_f(h)
        pooled = h[:, 0] if self.pooling == "cls" else h.mean(dim=1)
        return self.head(pooled)


def bench(name, model, batch, steps):
    nparams = sum(p.numel() for p in model.parameters())
    total = WARMUP + steps
    gen = torch.Generator().manual_seed(2024)
    xs = torch.rand(total, batch, IMG * IMG, generator=gen)
    ys = torch.randint(0, 10, (total, batch), generator=gen)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, foreach=False)

    def step(i):
        loss = F.cross_entropy(model(xs[i]), ys[i])
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss

    loss, dt = time_steps(step, WARMUP, steps)
    print("torch %s params %d" % (name, nparams))
    print("torch %s final_loss %.4f" % (name, loss.item()))
    print("torch %s ms_per_step %.2f" % (name, 1000.0 * dt / steps))
    print("torch %s images_per_s %.1f" % (name, batch * steps / dt))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print("torch %s peak_rss_mb %.1f" % (name, rss_mb), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", choices=("mlp", "vit", "both"), default="both")
    ap.add_argument("--steps", type=int, default=30, help="timed steps (default 30)")
    ap.add_argument("--layers", type=int, default=4, help="ViT blocks (default 4)")
    ap.add_argument("--heads", type=int, default=4, help="ViT heads (default 4)")
    ap.add_argument("--dim", type=int, default=64, help="ViT width (default 64)")
    ap.add_argument("--batch", type=int, default=64, help="ViT batch (default 64)")
    args = ap.parse_args()
    for name in ("steps", "layers", "heads", "dim", "batch"):
        if getattr(args, name) < 1:
            ap.error("--%s must be >= 1" % name)
    if args.dim % args.heads:
        ap.error("--dim must be divisible by --heads")

    torch.set_num_threads(2)
    print("torch", torch.__version__)
    if args.model in ("mlp", "both"):
        torch.manual_seed(1337)
        bench("mlp", MLP(2, 256, "relu"), 128, args.steps)
    if args.model in ("vit", "both"):
        torch.manual_seed(1337)
        print("torch vit config L%d H%d C%d patch %d batch %d" % (args.layers, args.heads,
                                                                   args.dim, PATCH, args.batch))
        bench("vit", ViT(args.dim, args.heads, args.layers, False, "cls"), args.batch, args.steps)


if __name__ == "__main__":
    main()
