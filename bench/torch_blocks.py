"""torch_blocks.py - what the PyTorch baselines share: the nn.Module transformer block and the
timing loop.

bench/bench_torch_gpt.py (causal, GPT) and bench/bench_torch_vision.py (unmasked, ViT) time
PyTorch on the same block the C engine implements (src/model/block.c): attention with one
fused c_attn projection, a tanh-GELU MLP of width 4C, Pre-LN or Post-LN. Parameters are
registered in warmup's flat-buffer order.
"""

import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Attention(nn.Module):
    def __init__(self, C, NH, ctx=None):
        """ctx: the context length of a causal model; None for unmasked attention."""
        super().__init__()
        self.NH = NH
        self.c_attn = nn.Linear(C, 3 * C)
        self.c_proj = nn.Linear(C, C)
        self.causal = ctx is not None
        if self.causal:
            self.register_buffer("mask", torch.ones(ctx, ctx, dtype=torch.bool).tril(),
                                 persistent=False)

    def forward(self, x):
        B, T, C = x.shape
        hs = C // self.NH
        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(B, T, self.NH, hs).transpose(1, 2)
        k = k.view(B, T, self.NH, hs).transpose(1, 2)
        v = v.view(B, T, self.NH, hs).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))
        if self.causal:
            att = att.masked_fill(~self.mask[:T, :T], float("-inf"))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class FeedForward(nn.Module):
    def __init__(self, C):
        super().__init__()
        self.c_fc = nn.Linear(C, 4 * C)
        self.c_proj = nn.Linear(4 * C, C)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, C, NH, post_ln, ctx=None):
        super().__init__()
        self.post_ln = post_ln
        # registration order == warmup's flat parameter order
        self.ln_1 = nn.LayerNorm(C, eps=1e-5)
        self.attn = Attention(C, NH, ctx)
        self.ln_2 = nn.LayerNorm(C, eps=1e-5)
        self.mlp = FeedForward(C)

    def forward(self, x):
        if self.post_ln:
            x = self.ln_1(x + self.attn(x))
            return self.ln_2(x + self.mlp(x))
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


def time_steps(step, warmup, steps):
    """Run step(i) for i < warmup untimed, then `steps` more timed; (last loss, seconds)."""
    for i in range(warmup):
        step(i)
    t0 = time.perf_counter()
    for i in range(warmup, warmup + steps):
        loss = step(i)
    return loss, time.perf_counter() - t0
