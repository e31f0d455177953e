#!/usr/bin/python3
"""Record multi-step optimizer trajectories from real PyTorch 1.13 optimizers.

What it does
    Each case is one flat float32 vector `flat` of `nparams` values, cut into
    contiguous *views* ([offset, length]).  Every view becomes its own
    torch.nn.Parameter (a 1-D float32 tensor), views are assigned to parameter
    groups, and each group is a PyTorch param group with its own options.  The
    optimizer (torch.optim.SGD / Adam / AdamW / RAdam, default foreach=None, i.e.
    the single-tensor implementation) is then driven like a training loop:

        for t in range(steps):
            lrs[t] = [group["lr"] for group in optimizer.param_groups]
            for each view: param.grad = grads[t][offset:offset+length]
            if clip: norms[t] = float(clip_grad_norm_(params_in_view_order, clip))
            optimizer.step()
            params[t] = concatenation of all views       # AFTER the update
            if schedule: scheduler.step()

    `grads` are the gradients *before* clipping (what is fed to clip_grad_norm_).
    Initial values and gradients come from closed forms (sin/cos in double,
    rounded to float32), no random generator:
        init[i]    = 0.5*sin(0.7*i + 0.3 + 0.1*seed)
        grads[t][i] = scale*sin(1.3*i + 0.77*t + 0.19*seed)*(1 + 0.5*cos(0.11*i*t))
    with optional overrides ("special" in the case table): exact zeros, tiny
    magnitudes (1e-9, 1e-12), large ones (50, 300), or a view whose gradient is
    all zeros (its .grad is a zero tensor, not None, so the optimizer still
    steps it: AdamW still decays it, Adam moves it by 0).

Output: tests/fixtures/optim_torch.jsonl, one JSON object per line:
    name, optimizer ("sgd"|"adam"|"adamw"|"radam"), nparams,
    views [[offset, length], ...], view_group [g, ...],
    groups [{lr, weight_decay, betas, eps, amsgrad, momentum, dampening,
             nesterov}, ...]   (every key always present; PyTorch defaults for
             keys the optimizer does not have; lr is the base lr),
    schedule (null or "torch:..." spec), clip (null or max_norm), steps,
    init [nparams], grads [steps][nparams], lrs [steps][ngroups],
    norms ([steps] or null), params [steps][nparams].
    Floats are the float32 values converted to Python float, written with
    repr precision (lrs are PyTorch's Python-double LRs).

Notes for a C reimplementation (PyTorch 1.13 CPU, observed on this build)
    Every Python scalar that meets a float32 tensor is rounded to float32 first
    (lr, alpha, beta, eps, 1-beta, -step_size, ...); the scalar itself is
    computed in double.  add_(x, alpha=a) is fmaf(x, a, self); addcmul_(a, b,
    value=v) is fmaf(v*a, b, self); addcdiv_(a, b, value=v) is
    self + (v*a)/b (no FMA); tensor / python_scalar is a true division;
    python_scalar / tensor is reciprocal(tensor) * scalar.  The single-tensor
    step functions are in torch/optim/{sgd,adam,adamw,radam}.py.
    clip_grad_norm_ computes one float32 2-norm per tensor, then the 2-norm of
    those norms, then coef = max_norm * (1/(total + 1e-6f)), clamped to <= 1,
    and always multiplies every gradient by it.

Rerun (deterministic: the same bytes every run):
    /usr/bin/python3 tools/gen_optim_fixtures.py [--out tests/fixtures/optim_torch.jsonl]
    /usr/bin/python3 is the interpreter with PyTorch 1.13.  Every case is run
    twice and both runs must agree bit for bit.
"""

import argparse
import collections
import json
import math
import os
import re
import sys
import warnings

import torch

# SequentialLR restarts the next scheduler with step(0), which warns once.
warnings.filterwarnings("ignore", message=re.escape("The epoch parameter in `scheduler.step()`"))

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "tests", "fixtures", "optim_torch.jsonl")

# Defaults written for keys an optimizer does not have.
GROUP_DEFAULTS = {
    "lr": None,
    "weight_decay": 0.0,
    "betas": [0.9, 0.999],
    "eps": 1e-8,
    "amsgrad": False,
    "momentum": 0.0,
    "dampening": 0.0,
    "nesterov": False,
}
OPT_KEYS = {
    "sgd": ("lr", "momentum", "dampening", "weight_decay", "nesterov"),
    "adam": ("lr", "betas", "eps", "weight_decay", "amsgrad"),
    "adamw": ("lr", "betas", "eps", "weight_decay", "amsgrad"),
    "radam": ("lr", "betas", "eps", "weight_decay"),
}
OPT_CLASS = {
    "sgd": torch.optim.SGD,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "radam": torch.optim.RAdam,
}
# Constructor defaults that differ from GROUP_DEFAULTS.
OPT_CTOR_DEFAULTS = {"adamw": {"weight_decay": 1e-2}}

# View layouts: lists of view lengths (their sum is nparams).
LAYOUTS = {
    "one": [24],                        # a single parameter
    "small": [8, 5, 7, 4],              # 24
    "tiny": [3, 9, 1, 11],              # 24
    "wide": [17, 1, 8, 2],              # 28
    "mixed": [16, 1, 7, 3, 5],          # 32: 16-wide vector bodies and scalar tails
    "model": [12, 4, 8, 4, 1, 3],       # 32: weight, bias, weight, bias, gain, bias
}


def f32(x):
    """Round a Python float to float32 and back."""
    return float(torch.tensor(x, dtype=torch.float32))


def _sign(i, t):
    return 1.0 if math.sin(0.9 * i + 0.5 * t + 0.2) >= 0.0 else -1.0


def make_init(n, seed):
    return [f32(0.5 * math.sin(0.7 * i + 0.3 + 0.1 * seed)) for i in range(n)]


def make_grads(n, steps, seed, scale, special, views):
    zero_view = None
    if "zero_view" in special:
        zero_view = views[len(views) // 2]
    out = []
    for t in range(steps):
        row = []
        for i in range(n):
            x = scale * math.sin(1.3 * i + 0.77 * t + 0.19 * seed) * (1.0 + 0.5 * math.cos(0.11 * i * t))
            if "zeros" in special and (i % 7 == 3 or (t % 4 == 2 and i % 5 == 1)):
                x = 0.0
            if "tiny" in special:
                if i % 11 == 5:
                    x = 1e-9 * _sign(i, t)
                elif i % 13 == 6:
                    x = 1e-12 * _sign(i, t)
            if "large" in special:
                if i % 9 == 4 and t % 3 == 0:
                    x = 50.0 * _sign(i, t)
                if i == n // 3 and t % 5 == 1:
                    x = 300.0 * _sign(i, t)
            if zero_view is not None and zero_view[0] <= i < zero_view[0] + zero_view[1]:
                x = 0.0
            row.append(f32(x))
        out.append(row)
    return out


def schedule_spec(kind, steps):
    if kind is None:
        return None
    if kind == "linear":
        return "torch:LinearLR(start_factor=0.1, total_iters=4)"
    if kind == "cosine":
        return "torch:CosineAnnealingLR(T_max=%d)" % steps
    if kind == "seq":
        return ("torch:SequentialLR([LinearLR(start_factor=0.1, total_iters=3), "
                "CosineAnnealingLR(T_max=%d)], milestones=[3])" % (steps - 3))
    raise ValueError(kind)


def build_scheduler(kind, opt, steps):
    S = torch.optim.lr_scheduler
    if kind is None:
        return None
    if kind == "linear":
        return S.LinearLR(opt, start_factor=0.1, total_iters=4)
    if kind == "cosine":
        return S.CosineAnnealingLR(opt, T_max=steps)
    if kind == "seq":
        first = S.LinearLR(opt, start_factor=0.1, total_iters=3)
        second = S.CosineAnnealingLR(opt, T_max=steps - 3)
        return S.SequentialLR(opt, [first, second], milestones=[3])
    raise ValueError(kind)


Case = collections.namedtuple(
    "Case", "name optimizer layout view_group groups schedule clip steps scale special")


def C(name, optimizer, groups, *, layout="mixed", view_group=None, schedule=None,
      clip=None, steps=10, scale=1.0, special=()):
    lengths = LAYOUTS[layout]
    if view_group is None:
        view_group = [0] * len(lengths)
    assert len(view_group) == len(lengths)
    assert sorted(set(view_group)) == list(range(len(groups))), name
    return Case(name, optimizer, layout, list(view_group), groups, schedule, clip,
                steps, scale, tuple(special))


def g(**kw):
    return kw


# The "model" layout with the usual no-decay split: biases and gains in group 1.
MODEL_SPLIT = [0, 1, 0, 1, 1, 1]
MIXED_SPLIT2 = [0, 1, 0, 0, 1]
MIXED_SPLIT3 = [0, 1, 2, 0, 2]
WIDE_SPLIT2 = [0, 1, 0, 1]
WIDE_SPLIT3 = [0, 1, 2, 1]
SMALL_SPLIT2 = [0, 1, 0, 1]

CASES = [
    # ---------------------------------------------------------------- SGD
    C("sgd_plain", "sgd", [g(lr=0.1)], layout="small", steps=8),
    C("sgd_wd", "sgd", [g(lr=0.1, weight_decay=1e-2)], layout="small", steps=8),
    C("sgd_momentum", "sgd", [g(lr=0.05, momentum=0.9)], steps=8),
    C("sgd_momentum_dampening", "sgd", [g(lr=0.05, momentum=0.9, dampening=0.1)], layout="tiny", steps=8),
    C("sgd_momentum_wd", "sgd", [g(lr=0.05, momentum=0.9, weight_decay=1e-2)], layout="small", steps=8),
    C("sgd_nesterov", "sgd", [g(lr=0.05, momentum=0.9, nesterov=True)], steps=8),
    C("sgd_momentum_special", "sgd", [g(lr=0.01, momentum=0.9)], steps=8,
      special=("zeros", "tiny", "large")),
    C("sgd_groups_momentum", "sgd",
      [g(lr=0.1, momentum=0.9, weight_decay=1e-2), g(lr=0.02, momentum=0.0)],
      layout="model", view_group=MODEL_SPLIT, steps=8),
    C("sgd_nesterov_groups", "sgd",
      [g(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-2), g(lr=0.2, momentum=0.5, nesterov=True)],
      layout="small", view_group=SMALL_SPLIT2, steps=8),
    C("sgd_groups3_cosine", "sgd",
      [g(lr=0.1, momentum=0.9), g(lr=0.03, momentum=0.9, dampening=0.1, weight_decay=1e-2),
       g(lr=0.01)],
      layout="mixed", view_group=MIXED_SPLIT3, schedule="cosine", steps=8),
    C("sgd_linear_sched", "sgd", [g(lr=0.1, momentum=0.9)], layout="small", schedule="linear", steps=8),
    C("sgd_momentum_clip", "sgd", [g(lr=0.05, momentum=0.9)], layout="small", clip=1.0, steps=8,
      special=("large",)),
    C("sgd_nesterov_clip_half", "sgd", [g(lr=0.05, momentum=0.9, nesterov=True)], layout="tiny",
      clip=0.5, steps=8),
    # ---------------------------------------------------------------- Adam
    C("adam_default", "adam", [g(lr=1e-3)], steps=8),
    C("adam_betas_0.9_0.95", "adam", [g(lr=3e-3, betas=(0.9, 0.95))], layout="small", steps=8),
    C("adam_eps_1e-6", "adam", [g(lr=1e-2, eps=1e-6)], layout="tiny", steps=8, special=("tiny",)),
    C("adam_wd_0.1", "adam", [g(lr=1e-2, weight_decay=0.1)], layout="small", steps=8),
    C("adam_amsgrad", "adam", [g(lr=1e-2, amsgrad=True)], layout="small", steps=8, special=("large",)),
    C("adam_amsgrad_wd", "adam", [g(lr=1e-2, amsgrad=True, weight_decay=0.1)], layout="tiny", steps=8),
    C("adam_special", "adam", [g(lr=1e-2)], steps=8, special=("zeros", "tiny", "large")),
    C("adam_groups", "adam",
      [g(lr=1e-2, weight_decay=0.1, betas=(0.9, 0.95)), g(lr=3e-3, betas=(0.8, 0.999))],
      layout="wide", view_group=WIDE_SPLIT2, steps=8),
    C("adam_groups3_amsgrad", "adam",
      [g(lr=1e-2, amsgrad=True), g(lr=5e-3, weight_decay=0.1, betas=(0.9, 0.95)),
       g(lr=2e-2, eps=1e-6, amsgrad=True)],
      layout="mixed", view_group=MIXED_SPLIT3, steps=8, special=("zeros",)),
    C("adam_groups_seq_sched", "adam",
      [g(lr=1e-2, weight_decay=0.1), g(lr=2e-3, betas=(0.9, 0.95))],
      layout="model", view_group=MODEL_SPLIT, schedule="seq", steps=8),
    C("adam_cosine", "adam", [g(lr=2e-2)], layout="small", schedule="cosine", steps=8),
    C("adam_clip_half", "adam", [g(lr=1e-2)], layout="small", clip=0.5, steps=8, special=("large",)),
    # ---------------------------------------------------------------- AdamW
    C("adamw_default", "adamw", [g(lr=1e-3)], steps=8),
    C("adamw_wd_0.1", "adamw", [g(lr=1e-2, weight_decay=0.1)], layout="small", steps=8),
    C("adamw_amsgrad", "adamw", [g(lr=1e-2, amsgrad=True)], layout="small", steps=8, special=("large",)),
    C("adamw_betas_0.8_0.99", "adamw", [g(lr=1e-2, betas=(0.8, 0.99))], layout="tiny", steps=8),
    C("adamw_lr_high_wd_0", "adamw", [g(lr=0.1, weight_decay=0.0)], layout="one", steps=8),
    C("adamw_special", "adamw", [g(lr=1e-2, weight_decay=0.1)], steps=8,
      special=("zeros", "tiny", "large")),
    C("adamw_zero_view", "adamw", [g(lr=1e-2, weight_decay=0.1)], layout="small", steps=8,
      special=("zero_view",)),
    C("adamw_nodecay_split", "adamw",
      [g(lr=1e-2, weight_decay=0.1), g(lr=1e-2, weight_decay=0.0)],
      layout="model", view_group=MODEL_SPLIT, steps=8),
    C("adamw_nodecay_split_clip_seq", "adamw",
      [g(lr=3e-3, weight_decay=0.1, betas=(0.9, 0.95)), g(lr=3e-3, weight_decay=0.0, betas=(0.9, 0.95))],
      layout="model", view_group=MODEL_SPLIT, schedule="seq", clip=1.0, steps=8, special=("large",)),
    C("adamw_groups3", "adamw",
      [g(lr=1e-2, weight_decay=0.1), g(lr=3e-3, weight_decay=0.0, betas=(0.9, 0.95)),
       g(lr=2e-2, weight_decay=0.01, betas=(0.8, 0.99), eps=1e-6)],
      layout="wide", view_group=WIDE_SPLIT3, steps=8),
    C("adamw_linear_sched", "adamw", [g(lr=2e-2, weight_decay=0.1)], layout="small",
      schedule="linear", steps=8),
    C("adamw_groups_cosine", "adamw",
      [g(lr=2e-2, weight_decay=0.1), g(lr=5e-3, weight_decay=0.0)],
      layout="mixed", view_group=MIXED_SPLIT2, schedule="cosine", steps=8),
    C("adamw_cosine_clip", "adamw", [g(lr=1e-2, weight_decay=0.1)], layout="tiny", schedule="cosine",
      clip=1.0, steps=8),
    C("adamw_clip_below", "adamw", [g(lr=1e-2)], layout="small", clip=1.0, steps=8, scale=0.02),
    C("adamw_amsgrad_special_clip", "adamw", [g(lr=1e-2, amsgrad=True, weight_decay=0.1)],
      layout="small", clip=0.5, steps=8, special=("zeros", "tiny", "large")),
    # ---------------------------------------------------------------- RAdam
    C("radam_default", "radam", [g(lr=1e-3)], layout="small", steps=12),
    C("radam_wd_0.01", "radam", [g(lr=1e-2, weight_decay=0.01)], layout="small", steps=12),
    C("radam_beta2_0.9", "radam", [g(lr=1e-2, betas=(0.9, 0.9))], layout="tiny", steps=12),
    C("radam_special", "radam", [g(lr=1e-2)], layout="small", steps=12, special=("zeros", "tiny", "large")),
    C("radam_groups", "radam",
      [g(lr=1e-2, weight_decay=0.01), g(lr=3e-3, betas=(0.9, 0.9), eps=1e-6)],
      layout="small", view_group=SMALL_SPLIT2, steps=12),
    C("radam_groups_cosine", "radam",
      [g(lr=2e-2), g(lr=5e-3, weight_decay=0.01, betas=(0.8, 0.99))],
      layout="tiny", view_group=[0, 1, 1, 0], schedule="cosine", steps=12),
    C("radam_linear_sched", "radam", [g(lr=1e-2, betas=(0.9, 0.9))], layout="tiny", schedule="linear",
      steps=12),
    C("radam_clip", "radam", [g(lr=1e-2)], layout="small", clip=1.0, steps=12, special=("large",)),
]


def group_record(optimizer, opts):
    rec = dict(GROUP_DEFAULTS)
    rec.update(OPT_CTOR_DEFAULTS.get(optimizer, {}))
    for k, v in opts.items():
        assert k in OPT_KEYS[optimizer], (optimizer, k)
        rec[k] = v
    rec["lr"] = float(rec["lr"])
    rec["weight_decay"] = float(rec["weight_decay"])
    rec["betas"] = [float(b) for b in rec["betas"]]
    rec["eps"] = float(rec["eps"])
    rec["momentum"] = float(rec["momentum"])
    rec["dampening"] = float(rec["dampening"])
    return {k: rec[k] for k in GROUP_DEFAULTS}


def run_case(case, seed):
    lengths = LAYOUTS[case.layout]
    n = sum(lengths)
    views, off = [], 0
    for ln in lengths:
        views.append([off, ln])
        off += ln
    init = make_init(n, seed)
    grads = make_grads(n, case.steps, seed, case.scale, case.special, views)

    flat = torch.tensor(init, dtype=torch.float32)
    params = [torch.nn.Parameter(flat[o:o + ln].clone()) for o, ln in views]
    groups = [group_record(case.optimizer, opts) for opts in case.groups]
    torch_groups = []
    for gi, opts in enumerate(case.groups):
        d = {"params": [p for p, vg in zip(params, case.view_group) if vg == gi]}
        d.update({k: (tuple(v) if k == "betas" else v) for k, v in opts.items()})
        torch_groups.append(d)
    opt = OPT_CLASS[case.optimizer](torch_groups)
    for pg, rec in zip(opt.param_groups, groups):  # what PyTorch really uses
        for k in OPT_KEYS[case.optimizer]:
            want = tuple(rec[k]) if k == "betas" else rec[k]
            assert pg[k] == want, (case.name, k, pg[k], want)
        assert pg.get("foreach") is None and not pg.get("maximize", False)
    sched = build_scheduler(case.schedule, opt, case.steps)

    lrs, norms, traj = [], [], []
    for t in range(case.steps):
        lrs.append([float(pg["lr"]) for pg in opt.param_groups])
        gt = torch.tensor(grads[t], dtype=torch.float32)
        for p, (o, ln) in zip(params, views):
            p.grad = gt[o:o + ln].clone()
        if case.clip is not None:
            total = torch.nn.utils.clip_grad_norm_(params, max_norm=case.clip)
            norms.append(float(total))
        opt.step()
        with torch.no_grad():
            traj.append(torch.cat([p.detach() for p in params]).tolist())
        if sched is not None:
            sched.step()

    return collections.OrderedDict([
        ("name", case.name),
        ("optimizer", case.optimizer),
        ("nparams", n),
        ("views", views),
        ("view_group", case.view_group),
        ("groups", groups),
        ("schedule", schedule_spec(case.schedule, case.steps)),
        ("clip", None if case.clip is None else float(case.clip)),
        ("steps", case.steps),
        ("init", init),
        ("grads", grads),
        ("lrs", lrs),
        ("norms", norms if case.clip is not None else None),
        ("params", traj),
    ])


def check_case(case, rec):
    """Sanity checks on what a case exercises."""
    n = rec["nparams"]
    assert 24 <= n <= 96 and 8 <= rec["steps"] <= 20, case.name
    ends = [o + ln for o, ln in rec["views"]]
    assert [o for o, _ in rec["views"]] == [0] + ends[:-1] and ends[-1] == n
    for row in rec["params"]:
        assert len(row) == n and all(math.isfinite(x) for x in row), case.name
    if case.clip is not None:
        assert all(math.isfinite(x) for x in rec["norms"])
        active = sum(x > case.clip for x in rec["norms"])
        if case.name.endswith("_below"):
            assert active == 0, case.name      # clip_grad_norm_ must not scale
        else:
            assert active >= len(rec["norms"]) // 2, (case.name, rec["norms"])
    if case.optimizer == "radam":
        # both RAdam branches (rho_t <= 5 and rho_t > 5) must show up
        for gr in rec["groups"]:
            b2 = gr["betas"][1]
            rho_inf = 2.0 / (1.0 - b2) - 1.0
            rhos = [rho_inf - 2.0 * s * b2 ** s / (1.0 - b2 ** s) for s in range(1, rec["steps"] + 1)]
            assert min(rhos) <= 5.0 < max(rhos), (case.name, rhos)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(0)  # unused by the closed forms; pinned anyway

    names = [c.name for c in CASES]
    assert len(set(names)) == len(names)
    lines = []
    for seed, case in enumerate(CASES):
        rec = run_case(case, seed)
        again = run_case(case, seed)
        if json.dumps(rec) != json.dumps(again):
            sys.exit("error: case %s is not reproducible" % case.name)
        check_case(case, rec)
        lines.append(json.dumps(rec, separators=(", ", ": ")))

    out = os.path.normpath(args.out)
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out, "w", encoding="ascii", newline="\n") as fh:
        fh.write("\n".join(lines) + "\n")

    per_opt = collections.Counter(c.optimizer for c in CASES)
    n_groups = sum(1 for c in CASES if len(c.groups) > 1)
    n_sched = sum(1 for c in CASES if c.schedule)
    n_clip = sum(1 for c in CASES if c.clip is not None)
    print("wrote %s: %d cases, %d bytes" % (out, len(CASES), os.path.getsize(out)))
    print("  per optimizer: " + ", ".join("%s %d" % (k, per_opt[k]) for k in OPT_KEYS))
    print("  multi-group %d, scheduled %d, clipped %d" % (n_groups, n_sched, n_clip))
    print("  torch %s" % torch.__version__)


if __name__ == "__main__":
    main()
