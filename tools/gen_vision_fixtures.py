#!/usr/bin/python3
"""Record reference forward/backward/Adam results of warmup's vision models in PyTorch 1.13.

What it does
    Implements, in plain functional PyTorch (float32), exactly the MLP and the
    small ViT that warmup's C engine implements for 28x28 one-channel images
    (Fashion-MNIST), then records for seven small cases the logits, the loss,
    every parameter gradient and a 5-step Adam loss trajectory.

Inputs: images float32 (B, 784) = pixel / 255.0 (uint8 converted to float32, then a
float32 division by 255), row-major 28x28; labels int in [0, 10).
Loss: F.cross_entropy(logits (B, 10), labels), mean over B.

MLP (config depth >= 1 hidden layers, width W, activation relu | gelu | tanh;
gelu is F.gelu(approximate='tanh')):
    h = act(fc0(x)); h = act(fc1(h)); ...; h = act(fc{depth-1}(h)); logits = fc{depth}(h)
    fc0: 784 -> W, fc1..fc{depth-1}: W -> W, fc{depth}: W -> 10 (no activation).
    Flat order: fc0.weight (W,784), fc0.bias (W), ..., fc{depth}.weight (10,W),
    fc{depth}.bias (10).   Count: 784W + W + (depth-1)(W*W + W) + 10W + 10.

ViT (patch 7 -> 4x4 = 16 patches of 49 pixels; width C, heads NH, hs = C/NH,
layers L, pre_ln | post_ln, pooling cls | mean):
    patch (pr, pc), pr, pc in 0..3, is sequence index pr*4 + pc and holds pixel
    (pr*7 + py, pc*7 + px) at position py*7 + px.
    e = patches @ patch.weight^T + patch.bias                  (B, 16, C)
    cls pooling:  x = concat([cls, e]) + pos  (S = 17; cls sits at index 0)
    mean pooling: x = e + pos                 (S = 16; no cls parameter)
    attn(x): qkv = x @ c_attn.weight^T + c_attn.bias (c_attn.weight (3C, C));
             q, k, v = qkv[..., :C], qkv[..., C:2C], qkv[..., 2C:]; head h uses
             columns [h*hs, (h+1)*hs); att = softmax(q k^T / sqrt(hs)) over all S
             keys (NO causal mask); y = att @ v, heads concatenated in order;
             out = y @ c_proj.weight^T + c_proj.bias
    mlp(x) = gelu_tanh(x @ c_fc.weight^T + c_fc.bias) @ c_proj.weight^T + c_proj.bias
             (hidden 4C)
    LayerNorm over C, eps 1e-5 (biased variance), weight and bias.
    Pre-LN:  x = x + attn(ln_1(x)); x = x + mlp(ln_2(x)); after the last block x = ln_f(x)
    Post-LN: x = ln_1(x + attn(x)); x = ln_2(x + mlp(x)); no ln_f
    pooled = x[:, 0] (cls) or x.mean(dim=1) over all S tokens (mean)
    logits = pooled @ head.weight^T + head.bias
    Flat order: patch.weight (C,49), patch.bias (C), cls (C) [cls only], pos (S,C),
      per layer l: h.l.ln_1.weight, h.l.ln_1.bias, h.l.attn.c_attn.weight (3C,C),
      h.l.attn.c_attn.bias (3C), h.l.attn.c_proj.weight (C,C), h.l.attn.c_proj.bias,
      h.l.ln_2.weight, h.l.ln_2.bias, h.l.mlp.c_fc.weight (4C,C), h.l.mlp.c_fc.bias (4C),
      h.l.mlp.c_proj.weight (C,4C), h.l.mlp.c_proj.bias (C),
    then ln_f.weight, ln_f.bias [pre_ln only], head.weight (10,C), head.bias (10).
    Count: 49C + C + [C] + S*C + L*(12C^2 + 13C) + [2C] + 10C + 10.

Weights (deliberately not PyTorch's init): one torch.Generator().manual_seed(100 + case
index); walking the tensors in flat order, each is torch.randn(shape, generator=g)
(float32) scaled as: linear weights 0.05*N, linear biases 0.02*N, LayerNorm weight
1 + 0.1*N, LayerNorm bias 0.1*N, cls and pos 0.05*N.  The flat buffer is stored
explicitly, so a reader never has to redo this.

Batch: B = 3 real Fashion-MNIST training images (indices 0, 1, 2 of
train-images-idx3-ubyte.gz) and their real labels.

Adam: torch.optim.Adam(one nn.Parameter per tensor, lr=1e-3, betas=(0.9, 0.999),
eps=1e-8, weight_decay=0, foreach=False).  5 times on the SAME batch: zero_grad,
forward, record loss, backward, step.  adam_losses[i] is the loss before step i+1,
so adam_losses[0] == loss.

Output: tests/fixtures/vision_torch.jsonl, one JSON object per line:
    name, model ("mlp" | "vit"), seed,
    mlp: depth, width, activation;  vit: dim, heads, layers, post_ln, pooling, patch, seq,
    B, nparams, params [nparams], images [B*784], labels [B], logits [B*10]
    (row-major (B, 10)), loss, grads [nparams] (same order as params),
    adam {lr, beta1, beta2, eps}, adam_losses [5].
    Floats are float32 values written with the shortest decimal that round-trips
    to the same float32; parse as double then cast to float.

Self-checks (printed, not stored): torch.autograd.gradcheck in float64 of the loss
w.r.t. the whole flat buffer for every case (one MLP per activation, every ViT
LN/pooling variant), the float32-vs-float64 gradient agreement, the parameter
counts against the closed formulas above, and patch extraction against a plain loop.

Output bytes are deterministic: single-threaded torch, fixed seeds, fixed images.

Run:  /usr/bin/python3 tools/gen_vision_fixtures.py [--out tests/fixtures/vision_torch.jsonl]
                                                     [--data DIR] [--no-gradcheck]
"""

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import struct  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torchref import block_specs, blocks, fscalar, numel, split_flat, write_fixture  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "tests", "fixtures", "vision_torch.jsonl")
DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"

IMG, PATCH, GRID = 28, 7, 4
NPATCH, PDIM = GRID * GRID, PATCH * PATCH
B = 3
ADAM = dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8)
ADAM_STEPS = 5

CASES = [
    dict(name="mlp_relu", model="mlp", depth=2, width=16, activation="relu"),
    dict(name="mlp_gelu", model="mlp", depth=1, width=12, activation="gelu"),
    dict(name="mlp_tanh", model="mlp", depth=3, width=8, activation="tanh"),
    dict(name="vit_pre_ln_cls", model="vit", dim=16, heads=2, layers=2, post_ln=False,
         pooling="cls"),
    dict(name="vit_pre_ln_mean", model="vit", dim=16, heads=4, layers=1, post_ln=False,
         pooling="mean"),
    dict(name="vit_post_ln_cls", model="vit", dim=12, heads=2, layers=2, post_ln=True,
         pooling="cls"),
    dict(name="vit_post_ln_mean", model="vit", dim=8, heads=2, layers=1, post_ln=True,
         pooling="mean"),
]


# ----------------------------------------------------------------------------- data

def read_idx(path):
    """Parse a gzip'd IDX file (big-endian header) into a numpy uint8 array."""
    with gzip.open(path, "rb") as fh:
        raw = fh.read()
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError("%s: not an unsigned-byte IDX file" % path)
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    return data.reshape(dims)


def load_batch(data_dir):
    imgs = read_idx(os.path.join(data_dir, "train-images-idx3-ubyte.gz"))
    labs = read_idx(os.path.join(data_dir, "train-labels-idx1-ubyte.gz"))
    assert imgs.shape[1:] == (IMG, IMG) and labs.shape[0] == imgs.shape[0]
    x = torch.from_numpy(imgs[:B].reshape(B, IMG * IMG).copy()).float() / 255.0
    y = torch.from_numpy(labs[:B].astype(np.int64).copy())
    return x, y


# ----------------------------------------------------------------------------- specs

def seq_len(cfg):
    return NPATCH + (1 if cfg["pooling"] == "cls" else 0)


def param_specs(cfg):
    """[(name, shape, kind)] in flat-buffer order; kind in w|b|lnw|lnb|emb."""
    if cfg["model"] == "mlp":
        D, W = cfg["depth"], cfg["width"]
        specs = []
        for i in range(D + 1):
            fin = IMG * IMG if i == 0 else W
            fout = 10 if i == D else W
            specs += [("fc%d.weight" % i, (fout, fin), "w"), ("fc%d.bias" % i, (fout,), "b")]
        return specs
    C, L = cfg["dim"], cfg["layers"]
    specs = [("patch.weight", (C, PDIM), "w"), ("patch.bias", (C,), "b")]
    if cfg["pooling"] == "cls":
        specs.append(("cls", (C,), "emb"))
    specs.append(("pos", (seq_len(cfg), C), "emb"))
    specs += block_specs(C, L, cfg["post_ln"])
    specs += [("head.weight", (10, C), "w"), ("head.bias", (10,), "b")]
    return specs


def count_params(cfg):
    """Closed-form parameter count (checked against param_specs)."""
    if cfg["model"] == "mlp":
        D, W = cfg["depth"], cfg["width"]
        return 784 * W + W + (D - 1) * (W * W + W) + 10 * W + 10
    C, L = cfg["dim"], cfg["layers"]
    cls = cfg["pooling"] == "cls"
    return (49 * C + C + (C if cls else 0) + seq_len(cfg) * C + L * (12 * C * C + 13 * C)
            + (0 if cfg["post_ln"] else 2 * C) + 10 * C + 10)






def make_params(cfg, seed):
    g = torch.Generator().manual_seed(seed)
    parts = []
    for _, shape, kind in param_specs(cfg):
        r = torch.randn(shape, generator=g, dtype=torch.float32)
        if kind in ("w", "emb"):
            t = 0.05 * r
        elif kind == "b":
            t = 0.02 * r
        elif kind == "lnw":
            t = 1.0 + 0.1 * r
        else:  # lnb
            t = 0.1 * r
        parts.append(t.reshape(-1))
    return torch.cat(parts)


# ----------------------------------------------------------------------------- models

def act_fn(name, x):
    if name == "relu":
        return F.relu(x)
    if name == "gelu":
        return F.gelu(x, approximate="tanh")
    if name == "tanh":
        return torch.tanh(x)
    raise ValueError(name)


def mlp_forward(P, x, cfg):
    D = cfg["depth"]
    h = x
    for i in range(D):
        h = act_fn(cfg["activation"], F.linear(h, P["fc%d.weight" % i], P["fc%d.bias" % i]))
    return F.linear(h, P["fc%d.weight" % D], P["fc%d.bias" % D])


def extract_patches(x):
    """(B, 784) -> (B, 16, 49): patch pr*4+pc, element py*7+px."""
    Bn = x.shape[0]
    t = x.reshape(Bn, GRID, PATCH, GRID, PATCH)           # b, pr, py, pc, px
    return t.permute(0, 1, 3, 2, 4).reshape(Bn, NPATCH, PDIM)








def vit_forward(P, x, cfg):
    Bn = x.shape[0]
    C = cfg["dim"]
    e = F.linear(extract_patches(x), P["patch.weight"], P["patch.bias"])  # (B, 16, C)
    if cfg["pooling"] == "cls":
        e = torch.cat([P["cls"].view(1, 1, C).expand(Bn, 1, C), e], dim=1)
    h = blocks(e + P["pos"].unsqueeze(0), P, cfg["layers"], cfg["heads"], cfg["post_ln"],
               causal=False)
    pooled = h[:, 0] if cfg["pooling"] == "cls" else h.mean(dim=1)
    return F.linear(pooled, P["head.weight"], P["head.bias"])


def forward(P, x, cfg):
    return mlp_forward(P, x, cfg) if cfg["model"] == "mlp" else vit_forward(P, x, cfg)


# ----------------------------------------------------------------------------- output

def fmt(values):
    """Shortest float32 round-trip decimal strings, as a JSON array."""
    arr = np.asarray(values, dtype=np.float32).reshape(-1)
    out = []
    for v in arr:
        assert np.isfinite(v)
        s = str(v)  # numpy prints the shortest string that round-trips to this float32
        if s.endswith(".0"):
            s = s[:-2]
        assert np.float32(float(s)) == v
        out.append(s)
    return "[" + ",".join(out) + "]"




def run_case(idx, cfg, x, y):
    seed = 100 + idx
    specs = param_specs(cfg)
    n = count_params(cfg)
    flat = make_params(cfg, seed)
    assert flat.numel() == n == sum(numel(s) for _, s, _ in specs)

    # forward + backward with one nn.Parameter per tensor (like a real model)
    views = split_flat(flat, specs)
    params = [torch.nn.Parameter(views[nm].clone()) for nm, _, _ in specs]
    P = {nm: p for (nm, _, _), p in zip(specs, params)}
    logits = forward(P, x, cfg)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    grads = torch.cat([p.grad.reshape(-1) for p in params])
    assert grads.abs().max().item() > 0

    # Adam trajectory on the same batch
    aparams = [torch.nn.Parameter(views[nm].clone()) for nm, _, _ in specs]
    AP = {nm: p for (nm, _, _), p in zip(specs, aparams)}
    opt = torch.optim.Adam(aparams, lr=ADAM["lr"], betas=(ADAM["beta1"], ADAM["beta2"]),
                           eps=ADAM["eps"], weight_decay=0.0, foreach=False)
    losses = []
    for _ in range(ADAM_STEPS):
        opt.zero_grad()
        l_ = F.cross_entropy(forward(AP, x, cfg), y)
        losses.append(l_.item())
        l_.backward()
        opt.step()
    assert abs(losses[0] - loss.item()) < 1e-6

    parts = ['"name":%s' % json.dumps(cfg["name"]), '"model":"%s"' % cfg["model"],
             '"seed":%d' % seed]
    if cfg["model"] == "mlp":
        parts += ['"depth":%d' % cfg["depth"], '"width":%d' % cfg["width"],
                  '"activation":"%s"' % cfg["activation"]]
    else:
        parts += ['"dim":%d' % cfg["dim"], '"heads":%d' % cfg["heads"],
                  '"layers":%d' % cfg["layers"],
                  '"post_ln":%s' % ("true" if cfg["post_ln"] else "false"),
                  '"pooling":"%s"' % cfg["pooling"], '"patch":%d' % PATCH,
                  '"seq":%d' % seq_len(cfg)]
    parts += [
        '"B":%d' % B, '"nparams":%d' % n,
        '"params":' + fmt(flat.numpy()),
        '"images":' + fmt(x.numpy()),
        '"labels":' + json.dumps(y.tolist(), separators=(",", ":")),
        '"logits":' + fmt(logits.detach().numpy()),
        '"loss":' + fscalar(loss.item()),
        '"grads":' + fmt(grads.numpy()),
        '"adam":' + json.dumps(ADAM, separators=(",", ":")),
        '"adam_losses":' + fmt(losses),
    ]
    print("  %-17s nparams %6d  loss %.6f  |grad|max %.3e  adam loss %.6f -> %.6f"
          % (cfg["name"], n, loss.item(), grads.abs().max().item(), losses[0], losses[-1]))
    return "{" + ",".join(parts) + "}\n"


def gradcheck_case(idx, cfg, x, y):
    specs = param_specs(cfg)
    flat = make_params(cfg, 100 + idx)
    x64 = x.double()
    flat64 = flat.double().requires_grad_(True)

    def f(fl, xx):
        return F.cross_entropy(forward(split_flat(fl, specs), xx, cfg), y)

    ok = torch.autograd.gradcheck(lambda fl: f(fl, x64), (flat64,), eps=1e-6, atol=1e-7,
                                  rtol=1e-4)
    g64 = torch.autograd.grad(f(flat64, x64), flat64)[0]
    f32 = flat.clone().requires_grad_(True)
    g32 = torch.autograd.grad(f(f32, x), f32)[0]
    err = ((g32.double() - g64).abs().max() / g64.abs().max()).item()
    ok = ok and err < 1e-4
    print("  gradcheck float64 %-17s (%5d params): %s; float32 grad max rel err vs float64 %.2e"
          % (cfg["name"], flat.numel(), "PASS" if ok else "FAIL", err))
    return ok


def check_patches():
    x = torch.arange(2 * 784, dtype=torch.float32).view(2, 784)
    p = extract_patches(x)
    for b in range(2):
        for pr in range(GRID):
            for pc in range(GRID):
                for py in range(PATCH):
                    for px in range(PATCH):
                        want = x[b, (pr * PATCH + py) * IMG + pc * PATCH + px]
                        if p[b, pr * GRID + pc, py * PATCH + px] != want:
                            return False
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--data", default=DEFAULT_DATA, help="folder with the Fashion-MNIST .gz files")
    ap.add_argument("--no-gradcheck", action="store_true", help="skip the float64 gradchecks")
    args = ap.parse_args()
    torch.set_num_threads(1)
    print("torch", torch.__version__)

    ok = check_patches()
    print("patch extraction vs plain loop: %s" % ("PASS" if ok else "FAIL"))
    for cfg in CASES:
        good = count_params(cfg) == sum(numel(s) for _, s, _ in param_specs(cfg))
        ok = ok and good
    print("parameter count formulas: %s" % ("PASS" if ok else "FAIL"))

    x, y = load_batch(args.data)
    print("batch: train images 0..%d, labels %s" % (B - 1, y.tolist()))

    if not args.no_gradcheck:
        for i, cfg in enumerate(CASES):
            ok = gradcheck_case(i, cfg, x, y) and ok

    lines = [run_case(i, c, x, y) for i, c in enumerate(CASES)]
    write_fixture(args.out, lines)
    if not ok:
        print("SELF-CHECK FAILED", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
