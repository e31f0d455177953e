#!/usr/bin/python3
"""Record GI-Adam and no-bias-correction trajectories on top of PyTorch 1.13's Adam math.

What it does
    The same cases, inputs and loop as tools/gen_optim_fixtures.py (it imports that script:
    closed-form init and gradients, views as torch Parameters, param groups, schedulers,
    clip_grad_norm_), for Adam, AdamW and RAdam with two options PyTorch 1.13 lacks:

    v_init "grad" (GI-Adam, Kalra & Barkeshli 2024, arXiv 2406.09405)
        Before the first update, the second moment is the first gradient squared,
        v_0 = g_1 * g_1, where g_1 is what the update uses: the gradient after clipping and,
        for Adam and RAdam, after their L2 term (grad.add(param, alpha=weight_decay), as in
        PyTorch's step). m_0 stays 0; the bias corrections stay unless turned off.
    bias_correction false
        1 - beta1**step and 1 - beta2**step are replaced by 1 (RAdam: in
        exp_avg / bias_correction1 and sqrt(bias_correction2); rho_t keeps the true
        1 - beta2**step).

    Two references, which must agree bit for bit wherever both apply:
    1. torch.optim.{Adam, AdamW, RAdam} themselves, their state filled before the first
       step() (state['step'] = tensor(0.), exp_avg zeros, exp_avg_sq = g_1 * g_1,
       max_exp_avg_sq zeros): GI-Adam with bias correction on is PyTorch's own step.
    2. step_reference(): the non-capturable branch of torch/optim/{adam,adamw,radam}.py's
       _single_tensor_* functions, copied operation for operation with the two options.
       Every case is also run through it with both options off and compared bitwise with
       torch.optim, which shows that the copy is PyTorch's math.
    The trajectory written comes from reference 1 where it applies (v_init grad with bias
    correction on) and from reference 2 otherwise.

Output: tests/fixtures/optim_gi_torch.jsonl, in the format of optim_torch.jsonl (see
    tools/gen_optim_fixtures.py), every group record gaining "v_init" ("zero"|"grad") and
    "bias_correction" (true|false). tests/test_optim.c reads both files with the same code and
    the same bounds (bitwise without clipping, 1e-6 + 1e-5 relative with it).

Rerun (deterministic: the same bytes every run):
    /usr/bin/python3 tools/gen_optim_gi_fixtures.py [--out tests/fixtures/optim_gi_torch.jsonl]
"""

import argparse
import collections
import json
import math
import os
import sys

import warnings

import torch

# step_reference() bypasses optimizer.step(), so the schedulers warn that they step first; the
# LRs they give are the same (main() compares them with torch.optim's run).
warnings.filterwarnings("ignore", message="Detected call of `lr_scheduler.step\\(\\)` before")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_optim_fixtures as base  # noqa: E402  (the shared inputs and case machinery)

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "tests", "fixtures", "optim_gi_torch.jsonl")

C, g = base.C, base.g
GI = collections.namedtuple("GI", "case v_init bias_correction")


def X(name, optimizer, groups, v_init="grad", bias_correction=True, **kw):
    return GI(C(name, optimizer, groups, **kw), v_init, bias_correction)


CASES = [
    # ------------------------------------------------ GI-Adam, bias correction on
    X("gi_adam_default", "adam", [g(lr=1e-3)], steps=8),
    X("gi_adam_wd_0.1", "adam", [g(lr=1e-2, weight_decay=0.1)], layout="small", steps=8),
    X("gi_adam_amsgrad", "adam", [g(lr=1e-2, amsgrad=True)], layout="small", steps=8,
      special=("large",)),
    X("gi_adam_special", "adam", [g(lr=1e-2)], steps=8, special=("zeros", "tiny", "large")),
    X("gi_adam_groups_seq", "adam",
      [g(lr=1e-2, weight_decay=0.1), g(lr=2e-3, betas=(0.9, 0.95))],
      layout="model", view_group=base.MODEL_SPLIT, schedule="seq", steps=8),
    X("gi_adamw_default", "adamw", [g(lr=1e-3)], steps=8),
    X("gi_adamw_wd_0.1_high_lr", "adamw", [g(lr=3e-2, weight_decay=0.1)], layout="small", steps=8),
    X("gi_adamw_amsgrad_special", "adamw", [g(lr=1e-2, amsgrad=True, weight_decay=0.1)],
      layout="small", steps=8, special=("zeros", "tiny", "large")),
    X("gi_adamw_split_clip_seq", "adamw",
      [g(lr=3e-3, weight_decay=0.1, betas=(0.9, 0.95)), g(lr=3e-3, weight_decay=0.0, betas=(0.9, 0.95))],
      layout="model", view_group=base.MODEL_SPLIT, schedule="seq", clip=1.0, steps=8,
      special=("large",)),
    X("gi_adamw_zero_view", "adamw", [g(lr=1e-2, weight_decay=0.1)], layout="small", steps=8,
      special=("zero_view",)),
    X("gi_radam_default", "radam", [g(lr=1e-3)], layout="small", steps=12),
    X("gi_radam_wd_0.01", "radam", [g(lr=1e-2, weight_decay=0.01)], layout="small", steps=12),
    X("gi_radam_groups_cosine", "radam",
      [g(lr=2e-2), g(lr=5e-3, weight_decay=0.01, betas=(0.8, 0.99))],
      layout="tiny", view_group=[0, 1, 1, 0], schedule="cosine", steps=12),
    # ------------------------------------------------ bias correction off
    X("nobc_adam_default", "adam", [g(lr=1e-3)], v_init="zero", bias_correction=False, steps=8),
    X("nobc_adam_wd_amsgrad", "adam", [g(lr=1e-2, amsgrad=True, weight_decay=0.1)], v_init="zero",
      bias_correction=False, layout="tiny", steps=8, special=("large",)),
    X("nobc_adamw_default", "adamw", [g(lr=1e-2)], v_init="zero", bias_correction=False, steps=8,
      special=("zeros", "tiny", "large")),
    X("nobc_adamw_groups_cosine", "adamw",
      [g(lr=2e-2, weight_decay=0.1), g(lr=5e-3, weight_decay=0.0)], v_init="zero",
      bias_correction=False, layout="mixed", view_group=base.MIXED_SPLIT2, schedule="cosine",
      steps=8),
    X("nobc_radam_default", "radam", [g(lr=1e-2)], v_init="zero", bias_correction=False,
      layout="small", steps=12),
    X("nobc_radam_clip", "radam", [g(lr=1e-2, weight_decay=0.01)], v_init="zero",
      bias_correction=False, layout="small", clip=1.0, steps=12, special=("large",)),
    # ------------------------------------------------ both
    X("gi_nobc_adam", "adam", [g(lr=1e-2, weight_decay=0.1)], bias_correction=False,
      layout="small", steps=8),
    X("gi_nobc_adamw", "adamw", [g(lr=1e-2, weight_decay=0.1)], bias_correction=False, steps=8,
      special=("zeros", "tiny", "large")),
    X("gi_nobc_adamw_amsgrad_linear", "adamw", [g(lr=2e-2, amsgrad=True)], bias_correction=False,
      layout="tiny", schedule="linear", steps=8),
    X("gi_nobc_radam_groups", "radam",
      [g(lr=1e-2, weight_decay=0.01), g(lr=3e-3, betas=(0.9, 0.9), eps=1e-6)],
      bias_correction=False, layout="small", view_group=base.SMALL_SPLIT2, steps=12),
]


def step_reference(kind, group, params, states, bias_correction):
    """One step of torch/optim/{adam,adamw,radam}.py's _single_tensor_* (PyTorch 1.13,
    capturable=False, maximize=False, real tensors), operation for operation, with the bias
    corrections optionally replaced by 1."""
    beta1, beta2 = group["betas"]
    lr, wd, eps = group["lr"], group["weight_decay"], group["eps"]
    amsgrad = group.get("amsgrad", False)
    with torch.no_grad():
        for param in params:
            if param.grad is None:
                continue
            grad, st = param.grad, states[param]
            exp_avg, exp_avg_sq, step_t = st["exp_avg"], st["exp_avg_sq"], st["step"]
            step_t += 1
            step = step_t.item()
            bias_correction1 = 1 - beta1 ** step
            bias_correction2 = 1 - beta2 ** step
            true_bc2 = bias_correction2
            if not bias_correction:
                bias_correction1 = bias_correction2 = 1.0
            if kind == "adamw":
                param.mul_(1 - lr * wd)
            elif wd != 0:
                grad = grad.add(param, alpha=wd)
            exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            if kind == "radam":
                bias_corrected_exp_avg = exp_avg / bias_correction1
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2 ** step) / true_bc2
                if rho_t > 5.:
                    rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf /
                                     ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                    adaptive_lr = math.sqrt(bias_correction2) / exp_avg_sq.sqrt().add_(eps)
                    param.add_(bias_corrected_exp_avg * lr * adaptive_lr * rect, alpha=-1.0)
                else:
                    param.add_(bias_corrected_exp_avg * lr, alpha=-1.0)
                continue
            step_size = lr / bias_correction1
            bias_correction2_sqrt = math.sqrt(bias_correction2)
            if amsgrad:
                torch.maximum(st["max_exp_avg_sq"], exp_avg_sq, out=st["max_exp_avg_sq"])
                denom = (st["max_exp_avg_sq"].sqrt() / bias_correction2_sqrt).add_(eps)
            else:
                denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
            param.addcdiv_(exp_avg, denom, value=-step_size)


def fresh_state(kind, param, amsgrad):
    st = {"step": torch.tensor(0.), "exp_avg": torch.zeros_like(param),
          "exp_avg_sq": torch.zeros_like(param)}
    if kind != "radam" and amsgrad:
        st["max_exp_avg_sq"] = torch.zeros_like(param)
    return st


def gi_fill(kind, opt, states):
    """v_0 = g_1 * g_1: the gradient the first update uses (Adam's, RAdam's L2 added)."""
    with torch.no_grad():
        for pg in opt.param_groups:
            for p in pg["params"]:
                grad = p.grad
                if kind != "adamw" and pg["weight_decay"] != 0:
                    grad = grad.add(p, alpha=pg["weight_decay"])
                states[p]["exp_avg_sq"].copy_(grad * grad)


def run(gi, seed, engine, v_init, bias_correction):
    """engine 'torch': torch.optim's own step(); 'ref': step_reference()."""
    case = gi.case
    kind = case.optimizer
    lengths = base.LAYOUTS[case.layout]
    n = sum(lengths)
    views, off = [], 0
    for ln in lengths:
        views.append([off, ln])
        off += ln
    init = base.make_init(n, seed)
    grads = base.make_grads(n, case.steps, seed, case.scale, case.special, views)
    flat = torch.tensor(init, dtype=torch.float32)
    params = [torch.nn.Parameter(flat[o:o + ln].clone()) for o, ln in views]
    torch_groups = []
    for k, opts in enumerate(case.groups):
        d = {"params": [p for p, vg in zip(params, case.view_group) if vg == k]}
        d.update({key: (tuple(v) if key == "betas" else v) for key, v in opts.items()})
        torch_groups.append(d)
    opt = base.OPT_CLASS[kind](torch_groups)
    sched = base.build_scheduler(case.schedule, opt, case.steps)
    states = opt.state if engine == "torch" else {}
    for pg in opt.param_groups:
        for p in pg["params"]:
            if engine == "ref" or v_init == "grad":
                states[p] = fresh_state(kind, p, pg.get("amsgrad", False))

    lrs, norms, traj = [], [], []
    for t in range(case.steps):
        lrs.append([float(pg["lr"]) for pg in opt.param_groups])
        gt = torch.tensor(grads[t], dtype=torch.float32)
        for p, (o, ln) in zip(params, views):
            p.grad = gt[o:o + ln].clone()
        if case.clip is not None:
            norms.append(float(torch.nn.utils.clip_grad_norm_(params, max_norm=case.clip)))
        if t == 0 and v_init == "grad":
            gi_fill(kind, opt, states)
        if engine == "torch":
            opt.step()
        else:
            for pg in opt.param_groups:
                step_reference(kind, pg, pg["params"], states, bias_correction)
        with torch.no_grad():
            traj.append(torch.cat([p.detach() for p in params]).tolist())
        if sched is not None:
            sched.step()
    groups = [base.group_record(kind, opts) for opts in case.groups]
    for gr in groups:
        gr["v_init"] = v_init
        gr["bias_correction"] = bias_correction
    return collections.OrderedDict([
        ("name", case.name), ("optimizer", kind), ("nparams", n), ("views", views),
        ("view_group", case.view_group), ("groups", groups),
        ("schedule", base.schedule_spec(case.schedule, case.steps)),
        ("clip", None if case.clip is None else float(case.clip)), ("steps", case.steps),
        ("init", init), ("grads", grads), ("lrs", lrs),
        ("norms", norms if case.clip is not None else None), ("params", traj),
    ])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    names = [x.case.name for x in CASES]
    assert len(set(names)) == len(names)
    lines = []
    for k, gi in enumerate(CASES):
        seed = 100 + k
        # the copy of PyTorch's math is PyTorch's math: both options off, bit for bit
        plain_t = run(gi, seed, "torch", "zero", True)
        plain_r = run(gi, seed, "ref", "zero", True)
        if plain_t["params"] != plain_r["params"] or plain_t["lrs"] != plain_r["lrs"]:
            sys.exit("error: %s: step_reference differs from torch.optim" % gi.case.name)
        rec = run(gi, seed, "ref", gi.v_init, gi.bias_correction)
        if gi.v_init == "grad" and gi.bias_correction:
            via_torch = run(gi, seed, "torch", gi.v_init, True)
            if via_torch["params"] != rec["params"]:
                sys.exit("error: %s: GI-Adam through torch.optim differs from step_reference"
                         % gi.case.name)
        if json.dumps(rec) != json.dumps(run(gi, seed, "ref", gi.v_init, gi.bias_correction)):
            sys.exit("error: case %s is not reproducible" % gi.case.name)
        if rec["params"] == plain_t["params"]:
            sys.exit("error: %s: the option changes nothing" % gi.case.name)
        base.check_case(gi.case, rec)
        lines.append(json.dumps(rec, separators=(", ", ": ")))
    out = os.path.normpath(args.out)
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out, "w", encoding="ascii", newline="\n") as fh:
        fh.write("\n".join(lines) + "\n")
    per = collections.Counter((x.case.optimizer, x.v_init, x.bias_correction) for x in CASES)
    print("wrote %s: %d cases, %d bytes" % (out, len(CASES), os.path.getsize(out)))
    print("  " + ", ".join("%s/%s/bc=%s %d" % (k[0], k[1], k[2], v) for k, v in sorted(per.items())))
    print("  torch %s" % torch.__version__)


if __name__ == "__main__":
    main()
