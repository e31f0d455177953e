#!/usr/bin/python3
"""Record reference Hessian-vector products and top Hessian eigenvalues of the warmup GPT.

What it does
    For the two tiny cases of tools/gen_gpt_fixtures.py (pre_ln_tiny, post_ln_tiny: the same
    weights, tokens and targets, built by its make_case_data), computes with torch autograd in
    float64 (double backward: H v = d/dw (g(w) . v)), from the float32 weights:
      - H v for two random unit vectors (float32, drawn from torch.Generator().manual_seed(
        4321 + case index) with torch.randn, then divided by their norm in float32);
      - lambda_max, the largest eigenvalue of H, by Lanczos with full reorthogonalisation
        (LANCZOS_STEPS steps; its Ritz residual is printed and must be below 1e-6 relative);
      - lambda_precond, the largest eigenvalue of P H with P = diag(1/(sqrt(v_hat) + eps)),
        the Adam preconditioner after one step on this batch: v_hat = g*g (float64 gradient),
        eps = 1e-8; computed as the largest eigenvalue of the symmetric S H S, S = sqrt(P),
        which has the same eigenvalues. The scale S is stored as float32 and the eigenvalue is
        that of the stored (rounded) S.
    The C side (tests/test_sharpness.c) rebuilds the model from the stored weights and checks
    its finite-difference products and its power iteration against these to 1e-3 relative.

Output: tests/fixtures/sharpness_torch.jsonl, one JSON object per line:
    name, post_ln, vocab, ctx, layers, heads, dim, B, T, nparams, params [nparams],
    tokens [B*T], targets [B*T], loss, vectors [[nparams], [nparams]] (float32),
    hvp [[nparams], [nparams]] (float64, 17 digits), lambda_max, scale [nparams] (float32),
    lambda_precond.
    float32 values are written with the shortest decimal that round-trips (as gen_gpt_fixtures).

Output bytes are deterministic: single-threaded torch, fixed seeds.

Run:  /usr/bin/python3 tools/gen_sharpness_fixtures.py [--out tests/fixtures/sharpness_torch.jsonl]
"""

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402

import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_gpt_fixtures import CASES, count_params, fmt, forward, loss_fn, make_case_data, param_specs  # noqa: E402
from torchref import fscalar, split_flat, write_fixture  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "tests", "fixtures", "sharpness_torch.jsonl")
LANCZOS_STEPS = 200
ADAM_EPS = 1e-8


def f64(values):
    return "[" + ",".join(repr(float(x)) for x in values) + "]"


def lanczos_top(matvec, n, k, gen):
    """Largest eigenvalue of a symmetric operator, and the relative residual of its Ritz pair."""
    Q = torch.zeros(k + 1, n, dtype=torch.float64)
    q = torch.randn(n, generator=gen, dtype=torch.float64)
    Q[0] = q / q.norm()
    alpha, beta = [], []
    for j in range(k):
        w = matvec(Q[j])
        a = torch.dot(w, Q[j]).item()
        w = w - a * Q[j] - (beta[-1] * Q[j - 1] if j > 0 else 0)
        for _ in range(2):  # full reorthogonalisation, twice
            w = w - Q[: j + 1].t() @ (Q[: j + 1] @ w)
        alpha.append(a)
        b = w.norm().item()
        beta.append(b)
        if b < 1e-12:
            break
        Q[j + 1] = w / b
    m = len(alpha)
    T = torch.diag(torch.tensor(alpha, dtype=torch.float64))
    for i in range(m - 1):
        T[i, i + 1] = T[i + 1, i] = beta[i]
    evals, evecs = torch.linalg.eigh(T)
    lam = evals[-1].item()
    x = Q[:m].t() @ evecs[:, -1]
    res = (matvec(x) - lam * x).norm().item() / abs(lam)
    return lam, res


def run_case(idx):
    name, post_ln, V, T, L, NH, C, B, Trun, _ = CASES[idx]
    specs = param_specs(V, T, C, L, post_ln)
    n = count_params(V, T, C, L, post_ln)
    flat, tokens, targets = make_case_data(V, T, C, L, post_ln, B, Trun, 1234 + idx)
    w64 = flat.double().requires_grad_(True)
    loss = loss_fn(forward(split_flat(w64, specs), tokens, L, NH, post_ln), targets)
    (g,) = torch.autograd.grad(loss, w64, create_graph=True)

    def hvp(v):
        (hv,) = torch.autograd.grad(g, w64, grad_outputs=v, retain_graph=True)
        return hv.detach()

    gen = torch.Generator().manual_seed(4321 + idx)
    vecs, hvs = [], []
    for _ in range(2):
        v = torch.randn(n, generator=gen, dtype=torch.float32)
        v = v / v.norm()
        vecs.append(v)
        hvs.append(hvp(v.double()))
    lam, res = lanczos_top(hvp, n, LANCZOS_STEPS, gen)
    gd = g.detach()
    scale = (1.0 / (gd.abs() + ADAM_EPS)).sqrt().float()  # sqrt(1/(sqrt(g^2) + eps))
    s64 = scale.double()
    lamp, resp = lanczos_top(lambda x: s64 * hvp(s64 * x), n, LANCZOS_STEPS, gen)
    print("  %-14s nparams %5d  loss %.6f  lambda_max %.6f (residual %.1e)  "
          "lambda_precond %.6g (residual %.1e)" % (name, n, loss.item(), lam, res, lamp, resp))
    ok = res < 1e-6 and resp < 1e-6
    parts = [
        '"name":%s' % json.dumps(name),
        '"post_ln":%s' % ("true" if post_ln else "false"),
        '"vocab":%d' % V, '"ctx":%d' % T, '"layers":%d' % L, '"heads":%d' % NH,
        '"dim":%d' % C, '"B":%d' % B, '"T":%d' % Trun, '"nparams":%d' % n,
        '"params":' + fmt(flat.numpy()),
        '"tokens":' + json.dumps(tokens.reshape(-1).tolist(), separators=(",", ":")),
        '"targets":' + json.dumps(targets.reshape(-1).tolist(), separators=(",", ":")),
        '"loss":' + fscalar(loss.item()),
        '"vectors":[' + ",".join(fmt(v.numpy()) for v in vecs) + "]",
        '"hvp":[' + ",".join(f64(h.tolist()) for h in hvs) + "]",
        '"lambda_max":' + repr(lam),
        '"scale":' + fmt(scale.numpy()),
        '"lambda_precond":' + repr(lamp),
    ]
    return "{" + ",".join(parts) + "}\n", ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    torch.set_num_threads(1)
    print("torch", torch.__version__)
    lines, ok = [], True
    for i in (0, 1):
        line, good = run_case(i)
        lines.append(line)
        ok = ok and good
    write_fixture(args.out, lines)
    if not ok:
        print("SELF-CHECK FAILED (a Lanczos residual above 1e-6)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
