#!/usr/bin/python3
"""Record reference forward/backward/AdamW results of the warmup GPT in PyTorch 1.13.

What it does
    Implements, in plain functional PyTorch (float32), exactly the byte-level GPT
    that warmup's C engine implements, then records for a few small cases the
    logits, the loss, every parameter gradient and a 10-step AdamW trajectory.

The model (config: vocab V, context T = max positions, layers L, heads NH,
width C, head size hs = C/NH; dropout 0; token embedding tied with the output):
    x[b,t]  = wte[tok[b,t]] + wpe[t]
    attn(x) = causal multi-head self-attention:
              qkv = x @ c_attn.weight^T + c_attn.bias      (c_attn.weight is (3C, C))
              q, k, v = qkv[..., 0:C], qkv[..., C:2C], qkv[..., 2C:3C]
              head h uses columns [h*hs, (h+1)*hs) of q, k and v
              att = softmax((q @ k^T) * (1/sqrt(hs)), future masked with -inf)
              y   = att @ v, heads concatenated back in order
              out = y @ c_proj.weight^T + c_proj.bias
    mlp(x)  = gelu_tanh(x @ c_fc.weight^T + c_fc.bias) @ c_proj.weight^T + c_proj.bias
              (hidden width 4C, F.gelu(approximate='tanh'))
    LayerNorm: F.layer_norm over C, eps 1e-5, weight and bias.
    Pre-LN  (GPT-2):     x = x + attn(ln_1(x)); x = x + mlp(ln_2(x)); then x = ln_f(x)
    Post-LN (original):  x = ln_1(x + attn(x)); x = ln_2(x + mlp(x)); no ln_f at all
    logits = x @ wte^T;  loss = F.cross_entropy(logits.view(-1, V), targets.view(-1))
             (mean over all B*T positions)

Flat parameter order (each tensor row-major), see param_specs():
    wte (V,C), wpe (T,C), then per layer l:
      h.l.ln_1.weight (C), h.l.ln_1.bias (C), h.l.attn.c_attn.weight (3C,C),
      h.l.attn.c_attn.bias (3C), h.l.attn.c_proj.weight (C,C), h.l.attn.c_proj.bias (C),
      h.l.ln_2.weight (C), h.l.ln_2.bias (C), h.l.mlp.c_fc.weight (4C,C),
      h.l.mlp.c_fc.bias (4C), h.l.mlp.c_proj.weight (C,4C), h.l.mlp.c_proj.bias (C)
    then, Pre-LN only, ln_f.weight (C), ln_f.bias (C).
    Count: V*C + T*C + L*(12*C*C + 13*C) + (2*C if Pre-LN else 0).

Weights (deliberately NOT PyTorch's or GPT-2's init, so every parameter and every
gradient is non-trivial): one torch.Generator().manual_seed(1234 + case_index);
walking the tensors in flat order, each is drawn with torch.randn(shape,
generator=g) (float32) and scaled:
    wte, wpe, every linear weight:  0.02 * N(0,1)
    every linear bias:              0.02 * N(0,1)
    LayerNorm weight:           1 + 0.1  * N(0,1)
    LayerNorm bias:                 0.1  * N(0,1)
Then from the same generator: seq = torch.randint(0, V, (B, T+1), generator=g);
tokens = seq[:, :T], targets = seq[:, 1:].  (T here is the sequence length run.)
The flat buffer is also stored explicitly, so a reader never needs to redo this.

AdamW: torch.optim.AdamW(one nn.Parameter per tensor, lr=1e-3, betas=(0.9, 0.999),
eps=1e-8, weight_decay=0.01, default single-tensor implementation), every tensor
decayed.  10 times on the SAME batch: zero_grad, forward, record loss, backward,
step.  adamw_losses[i] is the loss before the (i+1)-th step; adamw_params_after
is the flat buffer after all 10 steps (only for the tiny cases, else null).

Output: tests/fixtures/gpt_torch.jsonl, one JSON object per line:
    name, post_ln, vocab, ctx, layers, heads, dim, B, T, seed, nparams,
    params [nparams], tokens [B*T], targets [B*T], logits [B*T*V] (row-major
    (B, T, V)), loss, grads [nparams] (same order as params), adamw
    {lr, beta1, beta2, eps, weight_decay}, adamw_losses [10],
    adamw_params_after ([nparams] or null).
    Floats are float32 values written with the shortest decimal that round-trips
    to the same float32 (numpy's float32 repr); parse as double then cast to float.

The script also verifies itself (printed, not stored): the parameter count of the
reference config (V=256, T=64, C=128, L=4 -> 834,304), torch.autograd.gradcheck in
float64 of the loss w.r.t. the whole flat buffer for the tiny Pre-LN and Post-LN
models, and, for information, the loss of an untrained reference-size model with
GPT-2 init on random tokens (about ln(256) = 5.545).

Output bytes are deterministic: single-threaded torch, fixed seeds.

Run:  /usr/bin/python3 tools/gen_gpt_fixtures.py [--out tests/fixtures/gpt_torch.jsonl]
"""

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torchref import block_specs, blocks, fscalar, numel, split_flat, write_fixture  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "tests", "fixtures", "gpt_torch.jsonl")

ADAMW = dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01)
ADAMW_STEPS = 10

# name, post_ln, vocab, ctx, layers, heads, dim, B, T(run), keep adamw_params_after
CASES = [
    ("pre_ln_tiny", False, 32, 8, 2, 2, 16, 2, 8, True),
    ("post_ln_tiny", True, 32, 8, 2, 2, 16, 2, 8, True),
    ("pre_ln_short_seq", False, 64, 16, 3, 3, 24, 3, 12, False),
    ("post_ln_short_seq", True, 64, 16, 3, 3, 24, 3, 12, False),
]


def param_specs(V, T, C, L, post_ln):
    """[(name, shape, kind)] in flat-buffer order; kind in emb|w|b|lnw|lnb."""
    specs = [("wte", (V, C), "emb"), ("wpe", (T, C), "emb")]
    specs += block_specs(C, L, post_ln)
    return specs


def count_params(V, T, C, L, post_ln):
    return V * C + T * C + L * (12 * C * C + 13 * C) + (0 if post_ln else 2 * C)












def forward(P, tokens, L, NH, post_ln):
    """P: dict name -> tensor. tokens (B, T) int64. Returns logits (B, T, V)."""
    B, T = tokens.shape
    x = P["wte"][tokens] + P["wpe"][:T].unsqueeze(0)
    return blocks(x, P, L, NH, post_ln, causal=True) @ P["wte"].t()


def loss_fn(logits, targets):
    V = logits.shape[-1]
    return F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))


def make_case_data(V, T, C, L, post_ln, B, Trun, seed):
    """Deterministic fixture weights + batch (see module docstring)."""
    g = torch.Generator().manual_seed(seed)
    parts = []
    for _, shape, kind in param_specs(V, T, C, L, post_ln):
        r = torch.randn(shape, generator=g, dtype=torch.float32)
        if kind in ("emb", "w", "b"):
            t = 0.02 * r
        elif kind == "lnw":
            t = 1.0 + 0.1 * r
        else:  # lnb
            t = 0.1 * r
        parts.append(t.reshape(-1))
    flat = torch.cat(parts)
    seq = torch.randint(0, V, (B, Trun + 1), generator=g)
    return flat, seq[:, :Trun].contiguous(), seq[:, 1:].contiguous()


def gpt2_init_flat(V, T, C, L, post_ln, seed):
    """GPT-2 style init: N(0, 0.02), c_proj weights N(0, 0.02/sqrt(2L)),
    biases 0, LayerNorm weight 1 / bias 0."""
    g = torch.Generator().manual_seed(seed)
    parts = []
    for name, shape, kind in param_specs(V, T, C, L, post_ln):
        if kind in ("emb", "w"):
            std = 0.02 / math.sqrt(2 * L) if name.endswith("c_proj.weight") else 0.02
            t = std * torch.randn(shape, generator=g)
        elif kind == "lnw":
            t = torch.ones(shape)
        else:
            t = torch.zeros(shape)
        parts.append(t.reshape(-1))
    return torch.cat(parts)


def fmt(values):
    """Shortest float32 round-trip decimal strings, as a JSON array body."""
    arr = np.asarray(values, dtype=np.float32).reshape(-1)
    out = []
    for v in arr:
        s = repr(v.item()) if not np.isfinite(v) else str(v)
        # str(np.float32) is the shortest string that round-trips to this float32
        assert np.float32(float(s)) == v or np.isnan(v)
        out.append(s)
    return "[" + ",".join(out) + "]"




def run_case(idx, case):
    name, post_ln, V, T, L, NH, C, B, Trun, keep_after = case
    seed = 1234 + idx
    specs = param_specs(V, T, C, L, post_ln)
    n = count_params(V, T, C, L, post_ln)
    flat, tokens, targets = make_case_data(V, T, C, L, post_ln, B, Trun, seed)
    assert flat.numel() == n and flat.dtype == torch.float32

    # forward + backward with one nn.Parameter per tensor (like a real model)
    views = split_flat(flat.clone(), specs)
    params = [torch.nn.Parameter(views[nm].clone()) for nm, _, _ in specs]
    P = {nm: p for (nm, _, _), p in zip(specs, params)}
    logits = forward(P, tokens, L, NH, post_ln)
    loss = loss_fn(logits, targets)
    loss.backward()
    grads = torch.cat([p.grad.reshape(-1) for p in params])

    # cross-check: the same loss through the flat-buffer views
    flat_req = flat.clone().requires_grad_(True)
    loss2 = loss_fn(forward(split_flat(flat_req, specs), tokens, L, NH, post_ln), targets)
    loss2.backward()
    gdiff = (flat_req.grad - grads).abs().max().item()
    assert abs(loss2.item() - loss.item()) < 1e-6 and gdiff < 1e-6, (loss2, loss, gdiff)

    # AdamW trajectory on the same batch
    aparams = [torch.nn.Parameter(views[nm].clone()) for nm, _, _ in specs]
    AP = {nm: p for (nm, _, _), p in zip(specs, aparams)}
    opt = torch.optim.AdamW(aparams, lr=ADAMW["lr"], betas=(ADAMW["beta1"], ADAMW["beta2"]),
                            eps=ADAMW["eps"], weight_decay=ADAMW["weight_decay"])
    losses = []
    for _ in range(ADAMW_STEPS):
        opt.zero_grad()
        l_ = loss_fn(forward(AP, tokens, L, NH, post_ln), targets)
        losses.append(l_.item())
        l_.backward()
        opt.step()
    after = torch.cat([p.detach().reshape(-1) for p in aparams])
    assert abs(losses[0] - loss.item()) < 1e-6

    parts = [
        '"name":%s' % json.dumps(name),
        '"post_ln":%s' % ("true" if post_ln else "false"),
        '"vocab":%d' % V, '"ctx":%d' % T, '"layers":%d' % L, '"heads":%d' % NH,
        '"dim":%d' % C, '"B":%d' % B, '"T":%d' % Trun, '"seed":%d' % seed,
        '"nparams":%d' % n,
        '"params":' + fmt(flat.numpy()),
        '"tokens":' + json.dumps(tokens.reshape(-1).tolist(), separators=(",", ":")),
        '"targets":' + json.dumps(targets.reshape(-1).tolist(), separators=(",", ":")),
        '"logits":' + fmt(logits.detach().numpy()),
        '"loss":' + fscalar(loss.item()),
        '"grads":' + fmt(grads.numpy()),
        '"adamw":' + json.dumps(ADAMW, separators=(",", ":")),
        '"adamw_losses":' + fmt(losses),
        '"adamw_params_after":' + (fmt(after.numpy()) if keep_after else "null"),
    ]
    print("  %-18s nparams %6d  loss %.6f  |grad|max %.3e  adamw loss %.6f -> %.6f"
          % (name, n, loss.item(), grads.abs().max().item(), losses[0], losses[-1]))
    return "{" + ",".join(parts) + "}\n"


def gradcheck_case(idx):
    name, post_ln, V, T, L, NH, C, B, Trun, _ = CASES[idx]
    specs = param_specs(V, T, C, L, post_ln)
    flat, tokens, targets = make_case_data(V, T, C, L, post_ln, B, Trun, 1234 + idx)
    flat64 = flat.double().requires_grad_(True)

    def f(fl):
        return loss_fn(forward(split_flat(fl, specs), tokens, L, NH, post_ln), targets)

    ok = torch.autograd.gradcheck(f, (flat64,), eps=1e-6, atol=1e-7, rtol=1e-4)
    # also: float32 gradient agrees with the float64 one
    g64 = torch.autograd.grad(f(flat64), flat64)[0]
    f32 = flat.clone().requires_grad_(True)
    g32 = torch.autograd.grad(f(f32), f32)[0]
    err = ((g32.double() - g64).abs().max() / g64.abs().max()).item()
    print("  gradcheck float64 %-14s (%d params): %s; float32 grad max rel err vs float64 %.2e"
          % (name, flat.numel(), "PASS" if ok else "FAIL", err))
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    torch.set_num_threads(1)
    print("torch", torch.__version__)

    n_ref = count_params(256, 64, 128, 4, False)
    n_ref_specs = sum(numel(s) for _, s, _ in param_specs(256, 64, 128, 4, False))
    ok = n_ref == n_ref_specs == 834_304
    print("param count reference config (V=256 T=64 C=128 L=4 Pre-LN): %d %s"
          % (n_ref, "PASS" if ok else "FAIL"))
    print("  (Post-LN: %d)" % count_params(256, 64, 128, 4, True))

    for i in (0, 1):
        ok = gradcheck_case(i) and ok

    # untrained reference-size model, GPT-2 init, random tokens (information only)
    g = torch.Generator().manual_seed(42)
    for post_ln in (False, True):
        specs = param_specs(256, 64, 128, 4, post_ln)
        flat = gpt2_init_flat(256, 64, 128, 4, post_ln, 7)
        seq = torch.randint(0, 256, (8, 65), generator=g)
        with torch.no_grad():
            lo = loss_fn(forward(split_flat(flat, specs), seq[:, :64], 4, 4, post_ln), seq[:, 1:])
        print("untrained reference model (%s, GPT-2 init) loss on random bytes: %.4f "
              "(ln 256 = %.4f)" % ("Post-LN" if post_ln else "Pre-LN", lo.item(), math.log(256)))

    lines = [run_case(i, c) for i, c in enumerate(CASES)]
    write_fixture(args.out, lines)
    if not ok:
        print("SELF-CHECK FAILED", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
