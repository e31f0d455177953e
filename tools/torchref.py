"""torchref.py - the functional PyTorch reference pieces that the fixture generators share.

Every model in warmup keeps its parameters in one flat float buffer, in PyTorch state_dict
order; these helpers view that buffer by name and run the transformer block the C engine
implements (src/model/block.c), so tools/gen_gpt_fixtures.py and tools/gen_vision_fixtures.py
state the same block once. Attention is causal for the GPT and unmasked for the ViT.
"""

import math
import os

import numpy as np
import torch
import torch.nn.functional as F


def numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def split_flat(flat, specs):
    """Dict name -> view of the flat buffer (gradients flow back to flat)."""
    out, off = {}, 0
    for name, shape, _ in specs:
        n = numel(shape)
        out[name] = flat[off:off + n].view(shape)
        off += n
    assert off == flat.numel()
    return out


def block_specs(C, L, post_ln):
    """[(name, shape, kind)] of L blocks and, for Pre-LN, ln_f, in flat-buffer order."""
    specs = []
    for l in range(L):
        p = "h.%d." % l
        specs += [
            (p + "ln_1.weight", (C,), "lnw"),
            (p + "ln_1.bias", (C,), "lnb"),
            (p + "attn.c_attn.weight", (3 * C, C), "w"),
            (p + "attn.c_attn.bias", (3 * C,), "b"),
            (p + "attn.c_proj.weight", (C, C), "w"),
            (p + "attn.c_proj.bias", (C,), "b"),
            (p + "ln_2.weight", (C,), "lnw"),
            (p + "ln_2.bias", (C,), "lnb"),
            (p + "mlp.c_fc.weight", (4 * C, C), "w"),
            (p + "mlp.c_fc.bias", (4 * C,), "b"),
            (p + "mlp.c_proj.weight", (C, 4 * C), "w"),
            (p + "mlp.c_proj.bias", (C,), "b"),
        ]
    if not post_ln:
        specs += [("ln_f.weight", (C,), "lnw"), ("ln_f.bias", (C,), "lnb")]
    return specs


def ln(x, P, name):
    C = x.shape[-1]
    return F.layer_norm(x, (C,), P[name + ".weight"], P[name + ".bias"], 1e-5)


def attention(x, P, p, NH, causal):
    """Multi-head self-attention of x (B, T, C) with the weights under prefix p."""
    B, T, C = x.shape
    hs = C // NH
    qkv = F.linear(x, P[p + "attn.c_attn.weight"], P[p + "attn.c_attn.bias"])
    q, k, v = qkv.split(C, dim=2)
    q = q.view(B, T, NH, hs).transpose(1, 2)  # (B, NH, T, hs)
    k = k.view(B, T, NH, hs).transpose(1, 2)
    v = v.view(B, T, NH, hs).transpose(1, 2)
    att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))
    if causal:
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        att = att.masked_fill(~mask, float("-inf"))
    att = F.softmax(att, dim=-1)
    y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
    return F.linear(y, P[p + "attn.c_proj.weight"], P[p + "attn.c_proj.bias"])


def mlp_block(x, P, p):
    h = F.gelu(F.linear(x, P[p + "mlp.c_fc.weight"], P[p + "mlp.c_fc.bias"]), approximate="tanh")
    return F.linear(h, P[p + "mlp.c_proj.weight"], P[p + "mlp.c_proj.bias"])


def blocks(x, P, L, NH, post_ln, causal):
    """L transformer blocks h.0 .. h.{L-1}, then ln_f for Pre-LN (Post-LN has none)."""
    for l in range(L):
        p = "h.%d." % l
        if post_ln:
            x = ln(x + attention(x, P, p, NH, causal), P, p + "ln_1")
            x = ln(x + mlp_block(x, P, p), P, p + "ln_2")
        else:
            x = x + attention(ln(x, P, p + "ln_1"), P, p, NH, causal)
            x = x + mlp_block(ln(x, P, p + "ln_2"), P, p)
    return x if post_ln else ln(x, P, "ln_f")


def fscalar(x):
    return str(np.float32(x))


def write_fixture(path, lines):
    """Write the JSONL lines to path (creating its folder) and say what was written."""
    out = os.path.normpath(path)
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out, "w", newline="\n") as fh:
        fh.writelines(lines)
    print("wrote %s (%d cases, %d bytes)" % (out, len(lines), os.path.getsize(out)))
