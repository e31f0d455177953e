#!/usr/bin/python3
"""Generate the torch:/hf: schedule fixtures from real PyTorch 1.13 schedulers.

What it does
    Every fixture case is a *spec string* ("torch:Class(args)" or "hf:name(kwargs)"),
    a base LR and a step count.  The spec is parsed with Python's `ast` module (no
    eval), the matching scheduler is built on a dummy SGD optimizer (one parameter,
    momentum=0.9, lr=BASE_LR) and driven exactly like a training loop:

        for k in range(steps):
            lr_values[k] = optimizer.param_groups[0]["lr"]   # LR of the k-th update
            optimizer.step()
            scheduler.step()            # scheduler.step(metrics[k]) for ReduceLROnPlateau

    The scheduler.step() that follows the *last* recorded update cannot change any
    recorded value; if it raises (OneCycleLR run to total_steps + 1 does) the error
    is ignored.  An error anywhere earlier aborts the generator.

    torch: specs use torch.optim.lr_scheduler directly.  Nested schedulers
    (SequentialLR, ChainedScheduler) are written without the optimizer inside a
    list; the children are constructed in list order on the same optimizer, then
    the parent, as a PyTorch user would.

    hf: specs are Hugging Face `get_scheduler` names.  transformers is not
    installed, so each lr_lambda is re-implemented below as a LambdaLR lambda that
    follows src/transformers/optimization.py (current main) operation by operation.
    Arguments are those of the schedule function get_scheduler dispatches to
    (so hf:inverse_sqrt accepts `timescale`, which get_scheduler itself would not
    forward).

Output (JSON Lines, one case per line, floats written with full repr precision):
    tests/fixtures/schedules_torch.jsonl
    tests/fixtures/schedules_hf.jsonl
    {"spec": SPEC, "lr": BASE_LR, "steps": N, "lr_values": [...]}
    optional keys:
      "at": [k...]            long runs: lr_values holds only these step indices
      "metrics": [...]        ReduceLROnPlateau: metric fed after update k
      "group_lrs": [lr0, lr1] two param groups with these base LRs;
      "lr_values_groups": [[group 0...], [group 1...]]  (lr_values == group 0)

Self-checks (the script exits non-zero when one fails):
    * every torch: and hf: line of the reference file shared/golden/schedules.jsonl
      is regenerated and must match within 1e-15 relative (max difference printed);
    * every spec in SKIPPED below must really be rejected by / crash in PyTorch.
    It also prints, for each torch case, the max relative difference between
    PyTorch's (mostly recursive) sequence and a straightforward closed form, and
    lists the worst ones.

Rerun (deterministic: the same bytes every run):
    /usr/bin/python3 tools/gen_schedule_fixtures.py [--out-dir tests/fixtures]
                     [--golden PATH]
    /usr/bin/python3 is the interpreter with PyTorch 1.13.
"""

import argparse
import ast
import bisect
import collections
import functools
import inspect
import json
import math
import os
import sys
import warnings

import torch
from torch.optim import lr_scheduler as tls

# Stepping a child with step(0) inside SequentialLR, and stepping schedulers in a
# loop, produce deprecation / ordering warnings that are irrelevant here.
warnings.simplefilter("ignore")

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN_CANDIDATES = [
    os.path.join(REPO, "shared", "golden", "schedules.jsonl"),
    os.path.join(os.path.dirname(REPO), "shared", "golden", "schedules.jsonl"),
    "/work/shared/golden/schedules.jsonl",
]

GOLDEN_TOL = 1e-15
LONG_STEP_STRIDE = 97
LONG_HEAD = 51     # steps 0..50
LONG_TAIL = 50     # last 50 steps
BOUNDARY_PAD = 2   # each phase boundary +-2

# ---------------------------------------------------------------------------
# Spec parsing: "torch:Class(args)" / "hf:name(kwargs)" -> Call tree
# ---------------------------------------------------------------------------

Call = collections.namedtuple("Call", "name args kwargs")


class SpecError(ValueError):
    pass


def _value(node):
    """Convert an AST node of an argument into a Python value or a nested Call."""
    if isinstance(node, ast.Call):
        return _call(node)
    if isinstance(node, ast.List):
        return [_value(e) for e in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_value(e) for e in node.elts)
    try:
        return ast.literal_eval(node)
    except ValueError as e:
        raise SpecError("unsupported argument %r" % ast.dump(node)) from e


def _call(node):
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
        raise SpecError("expected Name(args)")
    args = [_value(a) for a in node.args]
    kwargs = {}
    for kw in node.keywords:
        if kw.arg is None:
            raise SpecError("**kwargs not supported")
        kwargs[kw.arg] = _value(kw.value)
    return Call(node.func.id, args, kwargs)


def parse_spec(spec):
    """Return (family, Call) for 'torch:...' or 'hf:...'."""
    family, sep, body = spec.partition(":")
    if not sep or family not in ("torch", "hf"):
        raise SpecError("spec must start with torch: or hf: (%s)" % spec)
    tree = ast.parse(body.strip(), mode="eval")
    return family, _call(tree.body)


# ---------------------------------------------------------------------------
# torch: schedulers
# ---------------------------------------------------------------------------

TORCH_CLASSES = {
    name: getattr(tls, name)
    for name in ("StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR",
                 "PolynomialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts",
                 "CyclicLR", "OneCycleLR", "SequentialLR", "ChainedScheduler",
                 "ReduceLROnPlateau")
}


def build_torch(call, optimizer):
    if call.name not in TORCH_CLASSES:
        raise SpecError("unknown torch scheduler %s" % call.name)
    cls = TORCH_CLASSES[call.name]
    args, kwargs = list(call.args), dict(call.kwargs)
    if call.name in ("SequentialLR", "ChainedScheduler"):
        children = args.pop(0) if args else kwargs.pop("schedulers")
        # Children first, in list order, on the same optimizer.
        built = [build_torch(c, optimizer) for c in children]
        if call.name == "ChainedScheduler":
            return cls(built, *args, **kwargs)
        return cls(optimizer, built, *args, **kwargs)
    return cls(optimizer, *args, **kwargs)


def bound_args(call):
    """The scheduler's arguments with PyTorch's defaults filled in."""
    cls = TORCH_CLASSES[call.name]
    sig = inspect.signature(cls.__init__)
    if call.name == "ChainedScheduler":
        b = sig.bind(None, *call.args, **call.kwargs)
    else:
        b = sig.bind(None, None, *call.args, **call.kwargs)
    b.apply_defaults()
    return dict(b.arguments)


# ---------------------------------------------------------------------------
# hf: lr lambdas, re-implemented after transformers/optimization.py
# ---------------------------------------------------------------------------
# Each function below mirrors the float conversions and the order of operations of
# the corresponding transformers lambda, since the fixtures must match bit for bit.


def _hf_constant(step):
    return 1


def _hf_constant_with_warmup(step, *, num_warmup_steps):
    if step < num_warmup_steps:
        return float(step) / float(max(1.0, num_warmup_steps))
    return 1.0


def _hf_linear(step, *, num_warmup_steps, num_training_steps):
    if step < num_warmup_steps:
        return float(step) / float(max(1, num_warmup_steps))
    return max(0.0, float(num_training_steps - step) /
               float(max(1, num_training_steps - num_warmup_steps)))


def _hf_cosine(step, *, num_warmup_steps, num_training_steps, num_cycles, min_lr_rate=0.0):
    # transformers defines the cosine lambda twice; the later definition (with
    # min_lr_rate, returning max(0, factor)) is the one get_cosine_schedule_with_warmup
    # picks up at call time, for hf:cosine as well as hf:cosine_with_min_lr.
    if step < num_warmup_steps:
        return float(step) / float(max(1, num_warmup_steps))
    progress = float(step - num_warmup_steps) / float(max(1, num_training_steps - num_warmup_steps))
    factor = 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))
    factor = factor * (1 - min_lr_rate) + min_lr_rate
    return max(0, factor)


def _hf_cosine_hard_restarts(step, *, num_warmup_steps, num_training_steps, num_cycles):
    if step < num_warmup_steps:
        return float(step) / float(max(1, num_warmup_steps))
    progress = float(step - num_warmup_steps) / float(max(1, num_training_steps - num_warmup_steps))
    if progress >= 1.0:
        return 0.0
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * ((float(num_cycles) * progress) % 1.0))))


def _hf_polynomial(step, *, num_warmup_steps, num_training_steps, lr_end, power, lr_init):
    if step < num_warmup_steps:
        return float(step) / float(max(1, num_warmup_steps))
    if step > num_training_steps:
        return lr_end / lr_init
    lr_range = lr_init - lr_end
    decay_steps = num_training_steps - num_warmup_steps
    pct_remaining = 1 - (step - num_warmup_steps) / decay_steps
    decay = lr_range * pct_remaining ** power + lr_end
    return decay / lr_init


def _hf_inverse_sqrt(step, *, num_warmup_steps, timescale):
    if step < num_warmup_steps:
        return float(step) / float(max(1, num_warmup_steps))
    shift = timescale - num_warmup_steps
    return 1.0 / math.sqrt((step + shift) / timescale)


def _hf_cosine_warmup_min_lr(step, *, num_warmup_steps, num_training_steps, num_cycles,
                             min_lr_rate, warmup_lr_rate):
    step = float(step)
    num_warmup_steps = float(num_warmup_steps)
    num_training_steps = float(num_training_steps)
    if step < num_warmup_steps:
        if warmup_lr_rate is None:
            return (step + 1.0) / max(1.0, num_warmup_steps)
        warmup_lr_rate = float(warmup_lr_rate)
        return warmup_lr_rate + (1.0 - warmup_lr_rate) * step / max(1, num_warmup_steps - 1)
    progress = (step - num_warmup_steps + 1.0) / max(1.0, num_training_steps - num_warmup_steps)
    factor = 0.5 * (1.0 + math.cos(math.pi * num_cycles * 2.0 * progress))
    factor = factor * (1 - min_lr_rate) + min_lr_rate
    return max(0, factor)


def _hf_wsd(step, *, num_warmup_steps, num_stable_steps, num_decay_steps, warmup_type,
            decay_type, min_lr_ratio, num_cycles):
    if step < num_warmup_steps:
        progress = float(step) / float(max(1, num_warmup_steps))
        if warmup_type == "linear":
            factor = progress
        elif warmup_type == "cosine":
            factor = 0.5 * (1.0 - math.cos(math.pi * progress))
        else:  # "1-sqrt"
            factor = 1.0 - math.sqrt(1.0 - progress)
        factor = factor * (1.0 - min_lr_ratio) + min_lr_ratio
        return max(0.0, factor)
    if step < num_warmup_steps + num_stable_steps:
        return 1.0
    if step < num_warmup_steps + num_stable_steps + num_decay_steps:
        progress = float(step - num_warmup_steps - num_stable_steps) / float(max(1, num_decay_steps))
        if decay_type == "linear":
            factor = 1.0 - progress
        elif decay_type == "cosine":
            factor = 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))
        else:  # "1-sqrt"
            factor = 1.0 - math.sqrt(progress)
        factor = factor * (1.0 - min_lr_ratio) + min_lr_ratio
        return max(0.0, factor)
    return min_lr_ratio


def _need(kw, *names):
    for n in names:
        if kw.get(n) is None:
            raise SpecError("hf scheduler requires %s" % n)


def _only(kw, allowed):
    extra = set(kw) - set(allowed)
    if extra:
        raise SpecError("unexpected hf arguments: %s" % sorted(extra))


def _min_lr_rate(kw, optimizer):
    min_lr, min_lr_rate = kw.get("min_lr"), kw.get("min_lr_rate")
    if min_lr is not None and min_lr_rate is not None:
        raise ValueError("Only one of min_lr or min_lr_rate should be set")
    if min_lr is not None:
        return min_lr / optimizer.defaults["lr"]
    if min_lr_rate is None:
        raise ValueError("One of min_lr or min_lr_rate should be set")
    return min_lr_rate


def build_hf(call, optimizer):
    """A LambdaLR reproducing transformers.get_scheduler(name, optimizer, ...)."""
    if call.args:
        raise SpecError("hf schedulers take keyword arguments only")
    kw = dict(call.kwargs)
    name = call.name
    nw, nt = kw.get("num_warmup_steps"), kw.get("num_training_steps")
    if name == "constant":
        # get_scheduler ignores the step counts for "constant".
        _only(kw, ("num_warmup_steps", "num_training_steps"))
        fn = _hf_constant
    elif name == "constant_with_warmup":
        _only(kw, ("num_warmup_steps", "num_training_steps"))
        _need(kw, "num_warmup_steps")
        fn = functools.partial(_hf_constant_with_warmup, num_warmup_steps=nw)
    elif name == "inverse_sqrt":
        _only(kw, ("num_warmup_steps", "num_training_steps", "timescale"))
        _need(kw, "num_warmup_steps")
        timescale = kw.get("timescale")
        if timescale is None:
            timescale = nw or 10_000
        fn = functools.partial(_hf_inverse_sqrt, num_warmup_steps=nw, timescale=timescale)
    elif name == "warmup_stable_decay":
        _only(kw, ("num_warmup_steps", "num_training_steps", "num_decay_steps", "num_stable_steps",
                   "warmup_type", "decay_type", "min_lr_ratio", "num_cycles"))
        _need(kw, "num_warmup_steps", "num_decay_steps")
        ns, nd = kw.get("num_stable_steps"), kw["num_decay_steps"]
        if nt is None and ns is None:
            raise ValueError("Either num_training_steps or num_stable_steps must be specified.")
        wt, dt = kw.get("warmup_type", "linear"), kw.get("decay_type", "cosine")
        if wt not in ("linear", "cosine", "1-sqrt") or dt not in ("linear", "cosine", "1-sqrt"):
            raise ValueError("unknown warmup/decay type")
        if ns is None:
            ns = nt - nw - nd
        fn = functools.partial(_hf_wsd, num_warmup_steps=nw, num_stable_steps=ns, num_decay_steps=nd,
                               warmup_type=wt, decay_type=dt,
                               min_lr_ratio=kw.get("min_lr_ratio", 0), num_cycles=kw.get("num_cycles", 0.5))
    else:
        _need(kw, "num_warmup_steps", "num_training_steps")
        if name == "linear":
            _only(kw, ("num_warmup_steps", "num_training_steps"))
            fn = functools.partial(_hf_linear, num_warmup_steps=nw, num_training_steps=nt)
        elif name == "cosine":
            _only(kw, ("num_warmup_steps", "num_training_steps", "num_cycles"))
            fn = functools.partial(_hf_cosine, num_warmup_steps=nw, num_training_steps=nt,
                                   num_cycles=kw.get("num_cycles", 0.5))
        elif name == "cosine_with_restarts":
            _only(kw, ("num_warmup_steps", "num_training_steps", "num_cycles"))
            fn = functools.partial(_hf_cosine_hard_restarts, num_warmup_steps=nw, num_training_steps=nt,
                                   num_cycles=kw.get("num_cycles", 1))
        elif name == "polynomial":
            _only(kw, ("num_warmup_steps", "num_training_steps", "lr_end", "power"))
            lr_init = optimizer.defaults["lr"]
            lr_end = kw.get("lr_end", 1e-7)
            if not (lr_init > lr_end):
                raise ValueError("lr_end (%r) must be smaller than initial lr (%r)" % (lr_end, lr_init))
            fn = functools.partial(_hf_polynomial, num_warmup_steps=nw, num_training_steps=nt,
                                   lr_end=lr_end, power=kw.get("power", 1.0), lr_init=lr_init)
        elif name == "cosine_with_min_lr":
            _only(kw, ("num_warmup_steps", "num_training_steps", "num_cycles", "min_lr", "min_lr_rate"))
            fn = functools.partial(_hf_cosine, num_warmup_steps=nw, num_training_steps=nt,
                                   num_cycles=kw.get("num_cycles", 0.5),
                                   min_lr_rate=_min_lr_rate(kw, optimizer))
        elif name == "cosine_warmup_with_min_lr":
            _only(kw, ("num_warmup_steps", "num_training_steps", "num_cycles", "min_lr", "min_lr_rate",
                       "warmup_lr_rate"))
            fn = functools.partial(_hf_cosine_warmup_min_lr, num_warmup_steps=nw, num_training_steps=nt,
                                   num_cycles=kw.get("num_cycles", 0.5),
                                   min_lr_rate=_min_lr_rate(kw, optimizer),
                                   warmup_lr_rate=kw.get("warmup_lr_rate"))
        else:
            raise SpecError("unknown hf scheduler %s" % name)
    return tls.LambdaLR(optimizer, fn)


# ---------------------------------------------------------------------------
# Running a case
# ---------------------------------------------------------------------------


def make_optimizer(lr, group_lrs):
    if group_lrs is None:
        p = torch.nn.Parameter(torch.zeros(1))
        p.grad = torch.ones(1)
        return torch.optim.SGD([p], lr=lr, momentum=0.9)
    groups = []
    for glr in group_lrs:
        p = torch.nn.Parameter(torch.zeros(1))
        p.grad = torch.ones(1)
        groups.append({"params": [p], "lr": glr})
    return torch.optim.SGD(groups, lr=lr, momentum=0.9)


TRAILING_STEP_RAISED = []


def run_spec(spec, lr, steps, group_lrs=None, metrics=None):
    """Run the training loop; return one list of N LRs per param group."""
    family, call = parse_spec(spec)
    opt = make_optimizer(lr, group_lrs)
    sched = build_torch(call, opt) if family == "torch" else build_hf(call, opt)
    plateau = isinstance(sched, tls.ReduceLROnPlateau)
    if plateau and (metrics is None or len(metrics) != steps):
        raise SpecError("ReduceLROnPlateau needs one metric per step")
    out = [[] for _ in opt.param_groups]
    for k in range(steps):
        for g, group in enumerate(opt.param_groups):
            out[g].append(float(group["lr"]))
        opt.step()
        try:
            if plateau:
                sched.step(metrics[k])
            else:
                sched.step()
        except Exception:
            # The step after the last recorded update cannot change what was
            # recorded (OneCycleLR raises here when steps == total_steps + 1).
            if k != steps - 1:
                raise
            TRAILING_STEP_RAISED.append(spec)
    return out


# ---------------------------------------------------------------------------
# Straightforward closed forms, used only to report where PyTorch's recursive
# updates drift from the textbook formula.
# ---------------------------------------------------------------------------


def _per_group(v, gi):
    return v[gi] if isinstance(v, (list, tuple)) else v


def _cawr_pos(t, T_0, T_mult):
    T_i, cur = T_0, t
    while cur >= T_i:
        cur -= T_i
        T_i *= T_mult
    return cur, T_i


def closed_form(call, base, gi=0):
    """Return f(t) -> LR for one param group whose base LR is `base`, or None."""
    a = bound_args(call)
    n = call.name
    if n == "StepLR":
        return lambda t: base * a["gamma"] ** (t // a["step_size"])
    if n == "MultiStepLR":
        ms = sorted(a["milestones"])
        return lambda t: base * a["gamma"] ** bisect.bisect_right(ms, t)
    if n == "ConstantLR":
        return lambda t: base * (a["factor"] if t < a["total_iters"] else 1.0)
    if n == "LinearLR":
        sf, ef, T = a["start_factor"], a["end_factor"], a["total_iters"]
        if T == 0:
            return lambda t: base * ef
        return lambda t: base * (sf + (ef - sf) * min(t, T) / T)
    if n == "ExponentialLR":
        return lambda t: base * a["gamma"] ** t
    if n == "PolynomialLR":
        T, p = a["total_iters"], a["power"]
        if T == 0:
            return None  # the textbook formula divides by zero; PyTorch keeps the base LR
        return lambda t: base * (1.0 - min(t, T) / T) ** p
    if n == "CosineAnnealingLR":
        T, lo = a["T_max"], a["eta_min"]
        return lambda t: lo + (base - lo) * (1.0 + math.cos(math.pi * t / T)) / 2.0
    if n == "CosineAnnealingWarmRestarts":
        lo = a["eta_min"]

        def f(t):
            cur, T_i = _cawr_pos(t, a["T_0"], a["T_mult"])
            return lo + (base - lo) * (1.0 + math.cos(math.pi * cur / T_i)) / 2.0
        return f
    if n == "CyclicLR":
        lo, hi = _per_group(a["base_lr"], gi), _per_group(a["max_lr"], gi)
        up = a["step_size_up"]
        down = a["step_size_down"] if a["step_size_down"] is not None else up
        mode, gamma = a["mode"], a["gamma"]

        def f(t):
            cycle, pos = divmod(t, up + down)
            frac = pos / up if pos <= up else (up + down - pos) / down
            if mode == "triangular":
                amp = 1.0
            elif mode == "triangular2":
                amp = 0.5 ** cycle
            else:
                amp = gamma ** t
            return lo + (hi - lo) * frac * amp
        return f
    if n == "OneCycleLR":
        T = a["total_steps"] or a["epochs"] * a["steps_per_epoch"]
        peak = _per_group(a["max_lr"], gi)
        start = peak / a["div_factor"]
        end = start / a["final_div_factor"]
        pct = a["pct_start"]
        if a["anneal_strategy"] == "cos":
            def ann(x, y, p):
                return y + (x - y) * (1.0 + math.cos(math.pi * p)) / 2.0
        else:
            def ann(x, y, p):
                return x + (y - x) * p
        if a["three_phase"]:
            pts = [(0.0, start), (pct * T - 1, peak), (2 * pct * T - 2, start), (T - 1, end)]
        else:
            pts = [(0.0, start), (pct * T - 1, peak), (T - 1, end)]

        def f(t):
            for i in range(1, len(pts)):
                if t <= pts[i][0] or i == len(pts) - 1:
                    (s0, l0), (s1, l1) = pts[i - 1], pts[i]
                    return ann(l0, l1, (t - s0) / (s1 - s0))
        return f
    if n == "SequentialLR":
        kids = [closed_form(c, base, gi) for c in a["schedulers"]]
        if any(k is None for k in kids):
            return None
        ms = list(a["milestones"])

        def f(t):
            i = bisect.bisect_right(ms, t)
            return kids[i](t - (ms[i - 1] if i else 0))
        return f
    if n == "ChainedScheduler":
        kids = [closed_form(c, 1.0, gi) for c in a["schedulers"]]
        if any(k is None for k in kids):
            return None

        def f(t):
            v = base
            for k in kids:
                v *= k(t)
            return v
        return f
    return None


def plateau_closed(call, bases, metrics):
    """A plain re-simulation of ReduceLROnPlateau's rule, one list per group."""
    a = bound_args(call)
    mins = a["min_lr"] if isinstance(a["min_lr"], (list, tuple)) else [a["min_lr"]] * len(bases)
    lrs = list(bases)
    best = math.inf if a["mode"] == "min" else -math.inf
    bad = cool = 0
    out = [[] for _ in bases]
    for m in metrics:
        for g, v in enumerate(lrs):
            out[g].append(v)
        thr = a["threshold"]
        if a["mode"] == "min":
            better = m < (best * (1 - thr) if a["threshold_mode"] == "rel" else best - thr)
        else:
            better = m > (best * (1 + thr) if a["threshold_mode"] == "rel" else best + thr)
        if better:
            best, bad = m, 0
        else:
            bad += 1
        if cool > 0:
            cool -= 1
            bad = 0
        if bad > a["patience"]:
            for g, v in enumerate(lrs):
                nv = max(v * a["factor"], mins[g])
                if v - nv > a["eps"]:
                    lrs[g] = nv
            cool, bad = a["cooldown"], 0
    return out


def rel_diff(x, y):
    d = abs(x - y)
    if d == 0.0:
        return 0.0
    return d / max(abs(x), abs(y))


def closed_form_gap(case, values):
    """Max relative difference PyTorch vs closed form, with its step; None if n/a."""
    family, call = parse_spec(case["spec"])
    if family != "torch":
        return None
    bases = case.get("group_lrs") or [case["lr"]]
    if call.name == "ReduceLROnPlateau":
        ref = plateau_closed(call, bases, case["metrics"])
    else:
        fs = [closed_form(call, b, g) for g, b in enumerate(bases)]
        if any(f is None for f in fs):
            return None
        ref = [[f(t) for t in range(case["steps"])] for f in fs]
    worst = (0.0, 0, 0.0, 0.0)
    for g in range(len(bases)):
        for t, (x, y) in enumerate(zip(values[g], ref[g])):
            r = rel_diff(x, y)
            if r > worst[0]:
                worst = (r, t, x, y)
    return worst


# ---------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------


PLATEAU_SHORT = [-0.1, -0.1, -0.1, 0, 0, 0, 0, 0, -0.00002, 0, 0, 0, 0, -0.05, -0.05,
                 0, 0, 0, 0, 0, 0, 0, 0, +0.02, 0, -0.03, 0, 0, 0, 0]
# Long flats (14 steps without a significant gain) so that the default patience=10 fires.
PLATEAU_LONG = [-0.1, -0.1] + [0] * 6 + [-0.00001] + [0] * 7 + [-0.04, 0.01] + [0] * 12


def plateau_metrics(n, mode="min", pattern=PLATEAU_SHORT):
    """A deterministic loss curve with plateaus, tiny gains and a relapse."""
    v, out = 1.0, []
    for i in range(n):
        out.append(round(v, 10) if mode == "min" else round(2.0 - v, 10))
        v += pattern[i % len(pattern)]
    return out


def C(spec, lr, steps, **extra):
    d = {"spec": spec, "lr": lr, "steps": steps}
    d.update(extra)
    return d


def L(spec, lr, boundaries=(), steps=100_000):
    """A long run stored sampled; `boundaries` are the known phase boundaries."""
    return C(spec, lr, steps, sample=True, boundaries=list(boundaries))


T = "torch:"
SEQ_WC = T + "SequentialLR([LinearLR(start_factor=0.1, total_iters=10), CosineAnnealingLR(T_max=40)], milestones=[10])"

TORCH_CASES = [
    # --- StepLR
    C(T + "StepLR(step_size=7, gamma=0.5)", 0.1, 30),
    C(T + "StepLR(step_size=1, gamma=0.9)", 0.1, 20),
    C(T + "StepLR(step_size=3)", 0.1, 20),
    C(T + "StepLR(step_size=10, gamma=0.3)", 0.05, 45),
    C(T + "StepLR(step_size=5, gamma=2.0)", 0.01, 20),
    C(T + "StepLR(step_size=4, gamma=0.5)", 0.1, 1),
    C(T + "StepLR(step_size=100, gamma=0.1)", 1.0, 250),
    C(T + "StepLR(step_size=2, gamma=0.7)", 3e-4, 25),
    C(T + "StepLR(step_size=1, gamma=0.5)", 0.1, 1),
    # --- MultiStepLR
    C(T + "MultiStepLR(milestones=[5, 10, 15], gamma=0.1)", 0.1, 25),
    C(T + "MultiStepLR(milestones=[3, 3, 8], gamma=0.5)", 0.1, 15),
    C(T + "MultiStepLR(milestones=[8, 3], gamma=0.5)", 0.1, 15),
    C(T + "MultiStepLR(milestones=[0, 4], gamma=0.5)", 0.1, 10),
    C(T + "MultiStepLR(milestones=[2, 4, 4, 4, 9], gamma=0.9)", 0.1, 12),
    C(T + "MultiStepLR(milestones=[30, 60, 90], gamma=0.2)", 0.4, 120),
    C(T + "MultiStepLR(milestones=[1], gamma=0.5)", 0.1, 3),
    C(T + "MultiStepLR(milestones=[50])", 0.1, 1),
    C(T + "MultiStepLR(milestones=[6, 2, 4, 2], gamma=0.3)", 0.02, 10),
    # --- ConstantLR
    C(T + "ConstantLR()", 0.1, 10),
    C(T + "ConstantLR(factor=0.5, total_iters=4)", 0.1, 10),
    C(T + "ConstantLR(factor=0.1, total_iters=1)", 0.1, 5),
    C(T + "ConstantLR(factor=1.0, total_iters=3)", 0.1, 6),
    C(T + "ConstantLR(factor=0.25, total_iters=20)", 0.003, 30),
    C(T + "ConstantLR(factor=0.3, total_iters=10)", 0.1, 1),
    C(T + "ConstantLR(factor=0.5, total_iters=0)", 0.1, 5),
    # --- LinearLR
    C(T + "LinearLR(start_factor=0.1, total_iters=10)", 0.1, 30),
    C(T + "LinearLR()", 0.1, 10),
    C(T + "LinearLR(start_factor=0.5, end_factor=1.0, total_iters=4)", 0.1, 10),
    C(T + "LinearLR(start_factor=1.0, end_factor=0.1, total_iters=20)", 0.1, 30),
    C(T + "LinearLR(start_factor=1.0, end_factor=0.0, total_iters=10)", 0.1, 15),
    C(T + "LinearLR(start_factor=0.001, end_factor=1.0, total_iters=100)", 0.001, 120),
    C(T + "LinearLR(start_factor=0.25, end_factor=0.75, total_iters=8)", 0.1, 12),
    C(T + "LinearLR(start_factor=0.5, total_iters=1)", 0.1, 4),
    C(T + "LinearLR(start_factor=0.8, end_factor=0.2, total_iters=3)", 0.1, 6),
    C(T + "LinearLR(start_factor=0.1, total_iters=10)", 0.1, 1),
    C(T + "LinearLR(start_factor=0.3, end_factor=0.3, total_iters=5)", 0.1, 8),
    C(T + "LinearLR(start_factor=0.5, total_iters=0)", 0.1, 4),
    # --- ExponentialLR
    C(T + "ExponentialLR(gamma=0.9)", 0.1, 30),
    C(T + "ExponentialLR(gamma=0.5)", 1.0, 20),
    C(T + "ExponentialLR(gamma=0.99)", 0.01, 300),
    C(T + "ExponentialLR(gamma=1.0)", 0.1, 5),
    C(T + "ExponentialLR(gamma=1.05)", 0.01, 20),
    C(T + "ExponentialLR(gamma=0.0)", 0.1, 4),
    C(T + "ExponentialLR(gamma=0.95)", 0.1, 1),
    # --- PolynomialLR
    C(T + "PolynomialLR()", 0.1, 8),
    C(T + "PolynomialLR(total_iters=10, power=0.5)", 0.1, 15),
    C(T + "PolynomialLR(total_iters=10, power=1.0)", 0.1, 15),
    C(T + "PolynomialLR(total_iters=10, power=2.0)", 0.1, 15),
    C(T + "PolynomialLR(total_iters=10, power=3.0)", 0.1, 15),
    C(T + "PolynomialLR(total_iters=1, power=2.0)", 0.1, 4),
    C(T + "PolynomialLR(total_iters=40, power=0.9)", 0.05, 50),
    C(T + "PolynomialLR(total_iters=7, power=1.5)", 0.01, 12),
    C(T + "PolynomialLR(total_iters=100, power=2)", 0.1, 110),
    C(T + "PolynomialLR(total_iters=0)", 0.1, 5),
    # --- CosineAnnealingLR
    C(T + "CosineAnnealingLR(T_max=15, eta_min=0.01)", 0.1, 40),
    C(T + "CosineAnnealingLR(T_max=10)", 0.1, 30),
    C(T + "CosineAnnealingLR(T_max=10, eta_min=0.001)", 0.1, 30),
    C(T + "CosineAnnealingLR(T_max=1)", 0.1, 6),
    C(T + "CosineAnnealingLR(T_max=1, eta_min=0.05)", 0.1, 6),
    C(T + "CosineAnnealingLR(T_max=2)", 0.1, 8),
    C(T + "CosineAnnealingLR(T_max=7, eta_min=0.02)", 0.1, 21),
    C(T + "CosineAnnealingLR(T_max=50)", 0.001, 150),
    C(T + "CosineAnnealingLR(T_max=100, eta_min=1e-05)", 0.001, 300),
    C(T + "CosineAnnealingLR(T_max=3)", 0.1, 1),
    C(T + "CosineAnnealingLR(T_max=4, eta_min=0.1)", 0.1, 10),
    C(T + "CosineAnnealingLR(T_max=20, eta_min=0.2)", 0.1, 60),
    # --- CosineAnnealingWarmRestarts
    C(T + "CosineAnnealingWarmRestarts(T_0=5, T_mult=2, eta_min=0.001)", 0.1, 45),
    C(T + "CosineAnnealingWarmRestarts(T_0=10)", 0.1, 35),
    C(T + "CosineAnnealingWarmRestarts(T_0=10, T_mult=1, eta_min=0.01)", 0.1, 35),
    C(T + "CosineAnnealingWarmRestarts(T_0=3, T_mult=3)", 0.1, 40),
    C(T + "CosineAnnealingWarmRestarts(T_0=4, T_mult=2)", 0.1, 60),
    C(T + "CosineAnnealingWarmRestarts(T_0=1)", 0.1, 5),
    C(T + "CosineAnnealingWarmRestarts(T_0=1, T_mult=2)", 0.1, 20),
    C(T + "CosineAnnealingWarmRestarts(T_0=2, T_mult=3, eta_min=0.005)", 0.1, 30),
    C(T + "CosineAnnealingWarmRestarts(T_0=7, eta_min=0.05)", 0.1, 25),
    C(T + "CosineAnnealingWarmRestarts(T_0=6, T_mult=2)", 0.1, 1),
    # --- CyclicLR
    C(T + "CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=5)", 0.1, 30),
    C(T + "CyclicLR(base_lr=0.001, max_lr=0.006, step_size_up=4, mode='triangular2')", 0.001, 40),
    C(T + "CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=5, mode='exp_range', gamma=0.95)", 0.1, 40),
    C(T + "CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=7)", 0.1, 35),
    C(T + "CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=6, step_size_down=2, mode='triangular2')", 0.1, 40),
    C(T + "CyclicLR(base_lr=0.0, max_lr=1.0, step_size_up=1)", 0.1, 8),
    C(T + "CyclicLR(base_lr=0.01, max_lr=0.05, step_size_up=4, step_size_down=4, mode='exp_range', gamma=0.99)",
      0.1, 50),
    C(T + "CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=10, cycle_momentum=False)", 0.1, 45),
    C(T + "CyclicLR(base_lr=0.001, max_lr=0.01, step_size_up=5, base_momentum=0.85, max_momentum=0.95)",
      0.001, 20),
    C(T + "CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=7, step_size_down=1, mode='exp_range', gamma=0.9)",
      0.1, 30),
    C(T + "CyclicLR(base_lr=0.1, max_lr=0.01, step_size_up=5)", 0.1, 20),
    C(T + "CyclicLR(base_lr=0.01, max_lr=0.1)", 0.1, 1),
    C(T + "CyclicLR(base_lr=0.002, max_lr=0.02, step_size_up=3, step_size_down=5, mode='triangular2')", 0.1, 50),
    # --- OneCycleLR
    C(T + "OneCycleLR(max_lr=0.1, total_steps=40)", 0.1, 40),
    C(T + "OneCycleLR(max_lr=0.1, total_steps=40)", 0.1, 41),
    C(T + "OneCycleLR(max_lr=0.1, total_steps=100, anneal_strategy='linear')", 0.1, 100),
    C(T + "OneCycleLR(max_lr=0.1, total_steps=100, three_phase=True)", 0.1, 101),
    C(T + "OneCycleLR(max_lr=0.1, total_steps=100, three_phase=True, anneal_strategy='linear')", 0.1, 100),
    C(T + "OneCycleLR(max_lr=0.05, total_steps=50, pct_start=0.5)", 0.05, 51),
    C(T + "OneCycleLR(max_lr=0.05, total_steps=50, pct_start=0.1)", 0.05, 50),
    C(T + "OneCycleLR(max_lr=0.01, total_steps=30, pct_start=0.25, div_factor=10.0, final_div_factor=100.0)",
      0.01, 31),
    C(T + "OneCycleLR(max_lr=1.0, total_steps=20, pct_start=0.4, div_factor=5.0, final_div_factor=1000.0, "
      "three_phase=True)", 1.0, 20),
    C(T + "OneCycleLR(max_lr=0.1, epochs=4, steps_per_epoch=10)", 0.1, 40),
    C(T + "OneCycleLR(max_lr=0.1, total_steps=10, pct_start=0.0)", 0.1, 11),
    C(T + "OneCycleLR(max_lr=0.1, total_steps=10, pct_start=1.0)", 0.1, 10),
    C(T + "OneCycleLR(max_lr=0.1, total_steps=1)", 0.1, 2),
    C(T + "OneCycleLR(max_lr=0.1, total_steps=2)", 0.1, 3),
    C(T + "OneCycleLR(max_lr=0.1, total_steps=25, three_phase=True)", 0.1, 26),
    C(T + "OneCycleLR(max_lr=0.1, total_steps=37, pct_start=0.35, anneal_strategy='linear')", 0.1, 38),
    C(T + "OneCycleLR(max_lr=0.1, total_steps=20, cycle_momentum=False)", 0.1, 20),
    C(T + "OneCycleLR(max_lr=0.1, total_steps=30, pct_start=0.5, three_phase=True)", 0.1, 31),
    C(T + "OneCycleLR(max_lr=0.1, total_steps=20)", 0.1, 1),
    # --- SequentialLR
    C(SEQ_WC, 0.1, 50),
    C(SEQ_WC, 0.1, 1),
    C(T + "SequentialLR([ConstantLR(factor=0.1, total_iters=2), ExponentialLR(gamma=0.9)], milestones=[2])",
      1.0, 15),
    C(T + "SequentialLR([LinearLR(start_factor=0.01, total_iters=5), StepLR(step_size=4, gamma=0.5)], "
      "milestones=[5])", 0.1, 25),
    C(T + "SequentialLR([LinearLR(start_factor=0.1, total_iters=5), CosineAnnealingWarmRestarts(T_0=5, T_mult=2)], "
      "milestones=[5])", 0.1, 45),
    C(T + "SequentialLR([LinearLR(start_factor=0.1, total_iters=10), ConstantLR(factor=1.0, total_iters=1), "
      "CosineAnnealingLR(T_max=20)], milestones=[10, 20])", 0.1, 45),
    C(T + "SequentialLR([ConstantLR(factor=0.5, total_iters=3), LinearLR(start_factor=1.0, end_factor=0.1, "
      "total_iters=10), ExponentialLR(gamma=0.8)], milestones=[3, 13])", 0.1, 25),
    C(T + "SequentialLR([LinearLR(start_factor=0.1, total_iters=10), CosineAnnealingLR(T_max=40)], milestones=[5])",
      0.1, 50),
    C(T + "SequentialLR([LinearLR(start_factor=0.1, total_iters=4), CosineAnnealingLR(T_max=10)], milestones=[8])",
      0.1, 25),
    C(T + "SequentialLR([ExponentialLR(gamma=0.9), ConstantLR(factor=0.5, total_iters=3)], milestones=[1])",
      0.1, 10),
    C(T + "SequentialLR([LinearLR(start_factor=0.5, total_iters=2), PolynomialLR(total_iters=10, power=2.0)], "
      "milestones=[2])", 0.1, 15),
    C(T + "SequentialLR([StepLR(step_size=2, gamma=0.5), MultiStepLR(milestones=[3, 6], gamma=0.1)], "
      "milestones=[6])", 0.1, 15),
    C(T + "SequentialLR([LinearLR(start_factor=0.1, total_iters=3), CosineAnnealingLR(T_max=10, eta_min=0.01)], "
      "milestones=[3])", 0.1, 20),
    C(T + "SequentialLR([ConstantLR(factor=0.1, total_iters=5), ConstantLR(factor=0.5, total_iters=5), "
      "ExponentialLR(gamma=0.9)], milestones=[5, 10])", 0.1, 20),
    C(T + "SequentialLR([LinearLR(start_factor=0.1, total_iters=1), CosineAnnealingLR(T_max=5)], milestones=[1])",
      0.1, 8),
    C(T + "SequentialLR([CosineAnnealingLR(T_max=10), CosineAnnealingLR(T_max=10)], milestones=[10])", 0.1, 25),
    C(T + "SequentialLR([LinearLR(start_factor=0.25, total_iters=8), ConstantLR(factor=1.0, total_iters=1), "
      "LinearLR(start_factor=1.0, end_factor=0.0, total_iters=12)], milestones=[8, 18])", 0.003, 35),
    C(T + "SequentialLR([LinearLR(start_factor=0.1, total_iters=6), CosineAnnealingLR(T_max=6, eta_min=0.001)], "
      "milestones=[6])", 0.1, 30),
    # --- ChainedScheduler
    C(T + "ChainedScheduler([ConstantLR(factor=0.5, total_iters=4), ExponentialLR(gamma=0.9)])", 0.1, 12),
    C(T + "ChainedScheduler([ConstantLR(factor=0.1, total_iters=2), ExponentialLR(gamma=0.9)])", 1.0, 8),
    C(T + "ChainedScheduler([LinearLR(start_factor=0.1, total_iters=5), StepLR(step_size=3, gamma=0.5)])",
      0.1, 15),
    C(T + "ChainedScheduler([LinearLR(start_factor=0.2, total_iters=4), CosineAnnealingLR(T_max=20)])", 0.1, 20),
    C(T + "ChainedScheduler([ExponentialLR(gamma=0.95), MultiStepLR(milestones=[3, 7], gamma=0.5)])", 0.1, 12),
    C(T + "ChainedScheduler([PolynomialLR(total_iters=10, power=2.0), ConstantLR(factor=0.5, total_iters=3)])",
      0.1, 14),
    C(T + "ChainedScheduler([LinearLR(start_factor=0.5, total_iters=4), ExponentialLR(gamma=0.9), "
      "StepLR(step_size=5, gamma=0.1)])", 0.1, 15),
    C(T + "ChainedScheduler([ConstantLR(factor=0.5, total_iters=5), LinearLR(start_factor=1.0, end_factor=0.5, "
      "total_iters=10)])", 0.1, 15),
    C(T + "ChainedScheduler([LinearLR(start_factor=0.1, total_iters=5), PolynomialLR(total_iters=20, power=1.0)])",
      0.1, 25),
    C(T + "ChainedScheduler([MultiStepLR(milestones=[2, 2, 5], gamma=0.5), CosineAnnealingLR(T_max=10)])",
      0.1, 10),
    C(T + "ChainedScheduler([ConstantLR(factor=0.5, total_iters=1), ExponentialLR(gamma=0.8)])", 0.1, 1),
    C(T + "ChainedScheduler([StepLR(step_size=1, gamma=0.9), StepLR(step_size=2, gamma=0.9)])", 0.1, 10),
    C(T + "ChainedScheduler([LinearLR(start_factor=0.1, total_iters=8), CosineAnnealingLR(T_max=30), "
      "MultiStepLR(milestones=[10, 20], gamma=0.5)])", 0.01, 30),
    # --- ReduceLROnPlateau
    C(T + "ReduceLROnPlateau(patience=2)", 0.1, 40, metrics=plateau_metrics(40)),
    C(T + "ReduceLROnPlateau(mode='max', patience=2)", 0.1, 40, metrics=plateau_metrics(40, "max")),
    C(T + "ReduceLROnPlateau(threshold_mode='abs', threshold=0.05, patience=2)", 0.1, 40,
      metrics=plateau_metrics(40)),
    C(T + "ReduceLROnPlateau(factor=0.5, patience=1, cooldown=2)", 0.1, 40, metrics=plateau_metrics(40)),
    C(T + "ReduceLROnPlateau(factor=0.5, patience=0, min_lr=0.01)", 0.1, 40, metrics=plateau_metrics(40)),
    C(T + "ReduceLROnPlateau(factor=0.5, patience=0)", 0.1, 30, metrics=plateau_metrics(30)),
    C(T + "ReduceLROnPlateau(mode='max', threshold_mode='abs', threshold=0.1, patience=1, cooldown=1, factor=0.2)",
      0.1, 40, metrics=plateau_metrics(40, "max")),
    C(T + "ReduceLROnPlateau(factor=0.9, patience=0, eps=0.01)", 0.1, 30, metrics=plateau_metrics(30)),
    C(T + "ReduceLROnPlateau()", 0.1, 60, metrics=plateau_metrics(60)),
    C(T + "ReduceLROnPlateau()", 0.1, 90, metrics=plateau_metrics(90, pattern=PLATEAU_LONG)),
    C(T + "ReduceLROnPlateau(mode='max', cooldown=5, factor=0.5)", 0.1, 90,
      metrics=plateau_metrics(90, "max", PLATEAU_LONG)),
    C(T + "ReduceLROnPlateau(factor=0.9, patience=0, eps=0.005)", 0.1, 30, metrics=plateau_metrics(30)),
    C(T + "ReduceLROnPlateau(threshold_mode='abs', threshold=0.01, patience=4, min_lr=0.004)", 0.1, 90,
      metrics=plateau_metrics(90, pattern=PLATEAU_LONG)),
    C(T + "ReduceLROnPlateau(threshold=0.0, patience=3)", 0.1, 60, metrics=plateau_metrics(60)),
    C(T + "ReduceLROnPlateau(threshold=0.1, patience=1, factor=0.3)", 0.1, 40, metrics=plateau_metrics(40)),
    C(T + "ReduceLROnPlateau(mode='max', threshold=0.05, patience=2, cooldown=3, min_lr=0.002, factor=0.25)",
      0.1, 60, metrics=plateau_metrics(60, "max")),
    C(T + "ReduceLROnPlateau(patience=0)", 0.1, 1, metrics=plateau_metrics(1)),
    # --- two param groups of different base LR
    C(T + "CosineAnnealingLR(T_max=10, eta_min=0.001)", 0.1, 25, group_lrs=[0.1, 0.01]),
    C(T + "OneCycleLR(max_lr=[0.1, 0.01], total_steps=30)", 0.1, 30, group_lrs=[0.1, 0.01]),
    C(T + "OneCycleLR(max_lr=[0.2, 0.05], total_steps=24, three_phase=True, anneal_strategy='linear')",
      0.1, 25, group_lrs=[0.1, 0.01]),
    C(T + "CyclicLR(base_lr=[0.01, 0.001], max_lr=[0.1, 0.005], step_size_up=4)", 0.1, 20,
      group_lrs=[0.1, 0.01]),
    C(T + "CyclicLR(base_lr=[0.01, 0.001], max_lr=[0.1, 0.005], step_size_up=3, step_size_down=5, "
      "mode='exp_range', gamma=0.97)", 0.1, 30, group_lrs=[0.1, 0.01]),
    C(T + "SequentialLR([LinearLR(start_factor=0.1, total_iters=5), CosineAnnealingLR(T_max=15)], milestones=[5])",
      0.1, 25, group_lrs=[0.1, 0.05]),
    C(T + "SequentialLR([LinearLR(start_factor=0.1, total_iters=5), CosineAnnealingLR(T_max=15, eta_min=0.002)], "
      "milestones=[5])", 0.1, 25, group_lrs=[0.1, 0.001]),
    C(T + "StepLR(step_size=3, gamma=0.5)", 0.1, 10, group_lrs=[0.1, 0.02]),
    C(T + "LinearLR(start_factor=0.2, total_iters=5)", 0.1, 10, group_lrs=[0.1, 0.3]),
    C(T + "CosineAnnealingWarmRestarts(T_0=4, T_mult=2, eta_min=0.005)", 0.1, 20, group_lrs=[0.1, 0.01]),
    C(T + "ChainedScheduler([LinearLR(start_factor=0.5, total_iters=4), ExponentialLR(gamma=0.9)])", 0.1, 12,
      group_lrs=[0.1, 0.04]),
    C(T + "PolynomialLR(total_iters=8, power=2.0)", 0.1, 10, group_lrs=[0.1, 0.07]),
    # --- long runs, stored sampled
    L(T + "ExponentialLR(gamma=0.9999)", 0.1),
    L(T + "CosineAnnealingLR(T_max=100000)", 0.001),
    L(T + "SequentialLR([LinearLR(start_factor=0.001, total_iters=2000), CosineAnnealingLR(T_max=98000)], "
      "milestones=[2000])", 0.001, [2000]),
    L(T + "CosineAnnealingWarmRestarts(T_0=1000, T_mult=2)", 0.01, [1000, 3000, 7000, 15000, 31000, 63000]),
    L(T + "OneCycleLR(max_lr=0.001, total_steps=100000)", 0.001, [29999, 30000]),
    L(T + "LinearLR(start_factor=0.01, total_iters=100000)", 0.001),
    L(T + "PolynomialLR(total_iters=100000, power=1.0)", 0.001),
    L(T + "ChainedScheduler([LinearLR(start_factor=0.01, total_iters=1000), ExponentialLR(gamma=0.99999)])",
      0.001, [1000]),
]

H = "hf:"
HF_CASES = [
    # --- goldens
    C(H + "linear(num_warmup_steps=10, num_training_steps=40)", 0.001, 40),
    C(H + "cosine(num_warmup_steps=8, num_training_steps=40)", 0.001, 40),
    C(H + "constant_with_warmup(num_warmup_steps=5)", 0.001, 30),
    C(H + "warmup_stable_decay(num_warmup_steps=10, num_decay_steps=20, num_training_steps=60)", 0.0005, 60),
    C(H + "polynomial(num_warmup_steps=5, num_training_steps=40, lr_end=1e-5, power=2.0)", 0.001, 40),
    C(H + "inverse_sqrt(num_warmup_steps=10)", 0.001, 40),
    # --- constant / constant_with_warmup
    C(H + "constant()", 0.001, 10),
    C(H + "constant()", 0.001, 1),
    C(H + "constant_with_warmup(num_warmup_steps=0)", 0.001, 10),
    C(H + "constant_with_warmup(num_warmup_steps=1)", 0.001, 5),
    C(H + "constant_with_warmup(num_warmup_steps=10)", 0.003, 10),
    C(H + "constant_with_warmup(num_warmup_steps=3)", 0.001, 1),
    # --- linear
    C(H + "linear(num_warmup_steps=0, num_training_steps=10)", 0.001, 10),
    C(H + "linear(num_warmup_steps=1, num_training_steps=10)", 0.001, 10),
    C(H + "linear(num_warmup_steps=5, num_training_steps=6)", 0.001, 10),
    C(H + "linear(num_warmup_steps=5, num_training_steps=5)", 0.001, 8),
    C(H + "linear(num_warmup_steps=10, num_training_steps=20)", 0.0003, 30),
    C(H + "linear(num_warmup_steps=0, num_training_steps=1)", 0.001, 3),
    C(H + "linear(num_warmup_steps=3, num_training_steps=30)", 0.001, 1),
    # --- cosine
    C(H + "cosine(num_warmup_steps=0, num_training_steps=20)", 0.001, 20),
    C(H + "cosine(num_warmup_steps=0, num_training_steps=20)", 0.001, 45),
    C(H + "cosine(num_warmup_steps=5, num_training_steps=25, num_cycles=1.0)", 0.001, 30),
    C(H + "cosine(num_warmup_steps=5, num_training_steps=25, num_cycles=0.25)", 0.001, 30),
    C(H + "cosine(num_warmup_steps=4, num_training_steps=36, num_cycles=2.0)", 0.001, 40),
    C(H + "cosine(num_warmup_steps=1, num_training_steps=10)", 0.001, 12),
    C(H + "cosine(num_warmup_steps=5, num_training_steps=6)", 0.001, 10),
    C(H + "cosine(num_warmup_steps=5, num_training_steps=5)", 0.001, 9),
    C(H + "cosine(num_warmup_steps=3, num_training_steps=17, num_cycles=0.75)", 0.002, 20),
    # --- cosine_with_restarts
    C(H + "cosine_with_restarts(num_warmup_steps=5, num_training_steps=45)", 0.001, 50),
    C(H + "cosine_with_restarts(num_warmup_steps=5, num_training_steps=45, num_cycles=2)", 0.001, 50),
    C(H + "cosine_with_restarts(num_warmup_steps=0, num_training_steps=30, num_cycles=3)", 0.001, 35),
    C(H + "cosine_with_restarts(num_warmup_steps=1, num_training_steps=10, num_cycles=4)", 0.001, 12),
    C(H + "cosine_with_restarts(num_warmup_steps=2, num_training_steps=25, num_cycles=3)", 0.001, 28),
    # --- polynomial
    C(H + "polynomial(num_warmup_steps=5, num_training_steps=25)", 0.001, 30),
    C(H + "polynomial(num_warmup_steps=5, num_training_steps=25, lr_end=1e-4, power=0.5)", 0.001, 30),
    C(H + "polynomial(num_warmup_steps=5, num_training_steps=25, lr_end=1e-4, power=3.0)", 0.001, 30),
    C(H + "polynomial(num_warmup_steps=0, num_training_steps=10, lr_end=0.0)", 0.001, 12),
    C(H + "polynomial(num_warmup_steps=4, num_training_steps=5, lr_end=1e-6, power=2.0)", 0.001, 8),
    C(H + "polynomial(num_warmup_steps=1, num_training_steps=20, lr_end=2e-4, power=1.5)", 0.002, 25),
    # --- inverse_sqrt
    C(H + "inverse_sqrt(num_warmup_steps=0)", 0.001, 20),
    C(H + "inverse_sqrt(num_warmup_steps=1)", 0.001, 10),
    C(H + "inverse_sqrt(num_warmup_steps=5, timescale=20)", 0.001, 30),
    C(H + "inverse_sqrt(num_warmup_steps=100)", 0.001, 300),
    C(H + "inverse_sqrt(num_warmup_steps=0, timescale=3)", 0.001, 10),
    # --- cosine_with_min_lr
    C(H + "cosine_with_min_lr(num_warmup_steps=5, num_training_steps=30, min_lr_rate=0.1)", 0.001, 35),
    C(H + "cosine_with_min_lr(num_warmup_steps=5, num_training_steps=30, min_lr=1e-4)", 0.001, 35),
    C(H + "cosine_with_min_lr(num_warmup_steps=0, num_training_steps=20, num_cycles=1.0, min_lr_rate=0.05)",
      0.001, 25),
    C(H + "cosine_with_min_lr(num_warmup_steps=1, num_training_steps=2, min_lr_rate=0.1)", 0.001, 4),
    # --- cosine_warmup_with_min_lr
    C(H + "cosine_warmup_with_min_lr(num_warmup_steps=5, num_training_steps=30, min_lr_rate=0.1)", 0.001, 35),
    C(H + "cosine_warmup_with_min_lr(num_warmup_steps=5, num_training_steps=30, min_lr_rate=0.1, "
      "warmup_lr_rate=0.01)", 0.001, 35),
    C(H + "cosine_warmup_with_min_lr(num_warmup_steps=1, num_training_steps=10, min_lr_rate=0.0)", 0.001, 12),
    C(H + "cosine_warmup_with_min_lr(num_warmup_steps=0, num_training_steps=15, min_lr=1e-5)", 0.001, 18),
    C(H + "cosine_warmup_with_min_lr(num_warmup_steps=4, num_training_steps=24, num_cycles=1.0, "
      "min_lr_rate=0.2, warmup_lr_rate=0.0)", 0.001, 26),
    C(H + "cosine_warmup_with_min_lr(num_warmup_steps=1, num_training_steps=8, min_lr_rate=0.1, "
      "warmup_lr_rate=0.5)", 0.001, 10),
    # --- warmup_stable_decay
    C(H + "warmup_stable_decay(num_warmup_steps=5, num_decay_steps=10, num_training_steps=30, decay_type='linear')",
      0.001, 35),
    C(H + "warmup_stable_decay(num_warmup_steps=5, num_decay_steps=10, num_training_steps=30, decay_type='1-sqrt')",
      0.001, 35),
    C(H + "warmup_stable_decay(num_warmup_steps=8, num_decay_steps=10, num_training_steps=30, "
      "warmup_type='cosine')", 0.001, 32),
    C(H + "warmup_stable_decay(num_warmup_steps=8, num_decay_steps=10, num_training_steps=30, "
      "warmup_type='1-sqrt', decay_type='linear')", 0.001, 32),
    C(H + "warmup_stable_decay(num_warmup_steps=5, num_decay_steps=10, num_training_steps=30, min_lr_ratio=0.1)",
      0.001, 35),
    C(H + "warmup_stable_decay(num_warmup_steps=4, num_decay_steps=6, num_stable_steps=10)", 0.001, 25),
    C(H + "warmup_stable_decay(num_warmup_steps=4, num_decay_steps=6, num_training_steps=40, num_stable_steps=5)",
      0.001, 20),
    C(H + "warmup_stable_decay(num_warmup_steps=0, num_decay_steps=10, num_training_steps=20, num_cycles=1.0, "
      "min_lr_ratio=0.05)", 0.001, 25),
    C(H + "warmup_stable_decay(num_warmup_steps=3, num_decay_steps=0, num_training_steps=10)", 0.001, 12),
    C(H + "warmup_stable_decay(num_warmup_steps=6, num_decay_steps=6, num_training_steps=12, "
      "warmup_type='cosine', decay_type='1-sqrt', min_lr_ratio=0.1)", 0.001, 15),
    # --- long runs, stored sampled
    L(H + "cosine(num_warmup_steps=2000, num_training_steps=100000)", 0.001, [2000]),
    L(H + "inverse_sqrt(num_warmup_steps=4000)", 0.001, [4000]),
    L(H + "linear(num_warmup_steps=1000, num_training_steps=100000)", 0.001, [1000]),
    L(H + "warmup_stable_decay(num_warmup_steps=2000, num_decay_steps=20000, num_training_steps=100000)",
      0.001, [2000, 80000]),
    L(H + "cosine_with_min_lr(num_warmup_steps=2000, num_training_steps=100000, min_lr_rate=0.1)", 0.001, [2000]),
]

# Specs PyTorch (or the transformers logic) rejects or crashes on, so they are
# not fixtures.  Each entry is checked to really raise: (spec, lr, steps, error).
#   torch:StepLR(step_size=0)                         ZeroDivisionError (t % 0)
#   torch:ConstantLR(factor=0.0, total_iters=3)       ZeroDivisionError (1/factor at total_iters)
#   torch:ConstantLR(factor=1.5)                      ValueError (factor must be in [0, 1])
#   torch:LinearLR(start_factor=0.0, total_iters=5)   ZeroDivisionError (recursive ratio at step 1)
#   torch:LinearLR(start_factor=1.5)                  ValueError
#   torch:CosineAnnealingLR(T_max=0)                  ZeroDivisionError
#   torch:CosineAnnealingWarmRestarts(T_0=0)          ValueError
#   torch:CosineAnnealingWarmRestarts(T_0=5, T_mult=0)    ValueError
#   torch:CosineAnnealingWarmRestarts(T_0=5, T_mult=1.5)  ValueError (T_mult must be int)
#   torch:CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=0)  ZeroDivisionError
#   torch:CyclicLR(..., mode='sine')                  ValueError
#   torch:OneCycleLR(max_lr=0.1, total_steps=40), 42 steps    ValueError (stepped past total_steps)
#   torch:OneCycleLR(max_lr=0.1, total_steps=10, pct_start=0.1)   ZeroDivisionError (empty phase)
#   torch:OneCycleLR(max_lr=0.1, total_steps=10, pct_start=1.0), 11 steps  ZeroDivisionError
#   torch:OneCycleLR(max_lr=0.1, total_steps=10, pct_start=0)     ValueError (pct_start must be float)
#   torch:OneCycleLR(max_lr=0.1, total_steps=20, three_phase=True, pct_start=0.05)  ZeroDivisionError
#   torch:SequentialLR([...2 children...], milestones=[])  ValueError
#   torch:ReduceLROnPlateau(factor=1.0)               ValueError
#   torch:ReduceLROnPlateau(mode='avg')               ValueError
#   hf:polynomial(..., lr_end=0.01) with lr 0.001     ValueError (lr_end must be < lr)
#   hf:polynomial(num_warmup_steps=5, num_training_steps=5)  ZeroDivisionError at step 5
#   hf:cosine_with_min_lr(...) with neither/both of min_lr, min_lr_rate  ValueError
#   hf:warmup_stable_decay(..., decay_type='exp')     ValueError
SKIPPED = [
    (T + "StepLR(step_size=0)", 0.1, 5, ZeroDivisionError),
    (T + "ConstantLR(factor=0.0, total_iters=3)", 0.1, 6, ZeroDivisionError),
    (T + "ConstantLR(factor=1.5)", 0.1, 5, ValueError),
    (T + "LinearLR(start_factor=0.0, total_iters=5)", 0.1, 6, ZeroDivisionError),
    (T + "LinearLR(start_factor=1.5)", 0.1, 5, ValueError),
    (T + "CosineAnnealingLR(T_max=0)", 0.1, 5, ZeroDivisionError),
    (T + "CosineAnnealingWarmRestarts(T_0=0)", 0.1, 5, ValueError),
    (T + "CosineAnnealingWarmRestarts(T_0=5, T_mult=0)", 0.1, 5, ValueError),
    (T + "CosineAnnealingWarmRestarts(T_0=5, T_mult=1.5)", 0.1, 5, ValueError),
    (T + "CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=0)", 0.1, 5, ZeroDivisionError),
    (T + "CyclicLR(base_lr=0.01, max_lr=0.1, mode='sine')", 0.1, 5, ValueError),
    (T + "OneCycleLR(max_lr=0.1, total_steps=40)", 0.1, 42, ValueError),
    (T + "OneCycleLR(max_lr=0.1, total_steps=10, pct_start=0.1)", 0.1, 5, ZeroDivisionError),
    (T + "OneCycleLR(max_lr=0.1, total_steps=10, pct_start=1.0)", 0.1, 11, ZeroDivisionError),
    (T + "OneCycleLR(max_lr=0.1, total_steps=10, pct_start=0)", 0.1, 5, ValueError),
    (T + "OneCycleLR(max_lr=0.1, total_steps=20, three_phase=True, pct_start=0.05)", 0.1, 5, ZeroDivisionError),
    (T + "SequentialLR([LinearLR(start_factor=0.1, total_iters=5), ExponentialLR(gamma=0.9)], milestones=[])",
     0.1, 5, ValueError),
    (T + "ReduceLROnPlateau(factor=1.0)", 0.1, 5, ValueError),
    (T + "ReduceLROnPlateau(mode='avg')", 0.1, 5, ValueError),
    (H + "polynomial(num_warmup_steps=5, num_training_steps=20, lr_end=0.01)", 0.001, 5, ValueError),
    (H + "polynomial(num_warmup_steps=5, num_training_steps=5)", 0.001, 8, ZeroDivisionError),
    (H + "cosine_with_min_lr(num_warmup_steps=5, num_training_steps=20)", 0.001, 5, ValueError),
    (H + "cosine_with_min_lr(num_warmup_steps=5, num_training_steps=20, min_lr=1e-5, min_lr_rate=0.1)",
     0.001, 5, ValueError),
    (H + "warmup_stable_decay(num_warmup_steps=5, num_decay_steps=5, num_training_steps=20, decay_type='exp')",
     0.001, 5, ValueError),
]


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------


def sample_indices(n, boundaries):
    at = set(range(min(LONG_HEAD, n)))
    at.update(range(max(0, n - LONG_TAIL), n))
    at.update(range(0, n, LONG_STEP_STRIDE))
    for b in boundaries:
        at.update(k for k in range(b - BOUNDARY_PAD, b + BOUNDARY_PAD + 1) if 0 <= k < n)
    return sorted(at)


def _check_finite(values, spec):
    for row in values:
        for v in row:
            if not math.isfinite(v):
                raise SystemExit("non-finite LR in %s" % spec)


def make_line(case, values):
    out = {"spec": case["spec"], "lr": case["lr"], "steps": case["steps"]}
    if "group_lrs" in case:
        out["group_lrs"] = case["group_lrs"]
    if "metrics" in case:
        out["metrics"] = case["metrics"]
    if case.get("sample"):
        at = sample_indices(case["steps"], case["boundaries"])
        out["at"] = at
        values = [[row[k] for k in at] for row in values]
    out["lr_values"] = values[0]
    if "group_lrs" in case:
        out["lr_values_groups"] = values
    return json.dumps(out, allow_nan=False) + "\n"


def find_golden(path):
    if path:
        return path
    for p in GOLDEN_CANDIDATES:
        if os.path.exists(p):
            return p
    return None


def golden_check(path):
    """Regenerate every golden line; return the worst relative difference."""
    worst, count, inexact = 0.0, 0, 0
    with open(path) as fh:
        for line in fh:
            if not line.strip():
                continue
            g = json.loads(line)
            got = run_spec(g["spec"], g["lr"], g["steps"], g.get("group_lrs"), g.get("metrics"))[0]
            if len(got) != len(g["lr_values"]):
                print("golden MISMATCH in length: %s" % g["spec"])
                return math.inf
            d = max((rel_diff(x, y) for x, y in zip(got, g["lr_values"])), default=0.0)
            inexact += any(x != y for x, y in zip(got, g["lr_values"]))
            worst = max(worst, d)
            count += 1
            print("  golden %-100s max rel diff %.3g" % (g["spec"], d))
    print("golden self-check: %d specs, %d not bit-identical, max rel diff %.3g (tolerance %g)"
          % (count, inexact, worst, GOLDEN_TOL))
    return worst


def skipped_check():
    ok = True
    for spec, lr, steps, exc in SKIPPED:
        try:
            run_spec(spec, lr, steps)
        except exc:
            continue
        except Exception as e:  # raised, but not what the comment claims
            print("skipped spec %s raised %s, expected %s" % (spec, type(e).__name__, exc.__name__))
            ok = False
            continue
        print("skipped spec %s did NOT raise" % spec)
        ok = False
    print("skipped specs verified to raise: %d%s" % (len(SKIPPED), "" if ok else " (FAILURES)"))
    return ok


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", default=os.path.join(REPO, "tests", "fixtures"))
    ap.add_argument("--golden", default=None, help="reference schedules.jsonl (default: shared/golden)")
    ap.add_argument("--worst", type=int, default=12, help="how many closed-form gaps to list")
    args = ap.parse_args(argv)

    print("torch %s" % torch.__version__)
    failed = False

    golden = find_golden(args.golden)
    if golden is None:
        print("golden file not found; self-check skipped")
    elif golden_check(golden) > GOLDEN_TOL:
        failed = True
    if not skipped_check():
        failed = True

    os.makedirs(args.out_dir, exist_ok=True)
    del TRAILING_STEP_RAISED[:]
    gaps = []
    for fname, cases in (("schedules_torch.jsonl", TORCH_CASES), ("schedules_hf.jsonl", HF_CASES)):
        seen = set()
        lines = []
        for case in cases:
            key = (case["spec"], case["lr"], case["steps"], tuple(case.get("group_lrs") or ()))
            if key in seen:
                raise SystemExit("duplicate case %r" % (key,))
            seen.add(key)
            values = run_spec(case["spec"], case["lr"], case["steps"], case.get("group_lrs"),
                              case.get("metrics"))
            _check_finite(values, case["spec"])
            lines.append(make_line(case, values))
            gap = closed_form_gap(case, values)
            if gap is not None:
                gaps.append((gap, case))
        path = os.path.join(args.out_dir, fname)
        with open(path, "w", newline="\n") as fh:
            fh.writelines(lines)
        print("wrote %s: %d cases, %d bytes" % (os.path.relpath(path), len(lines), os.path.getsize(path)))

    print("cases whose (unrecorded) trailing scheduler.step() raised: %s"
          % (TRAILING_STEP_RAISED or "none"))
    over = [g for g in gaps if g[0][0] > 1e-15]
    print("closed form vs PyTorch: %d torch cases compared, %d differ by more than 1e-15 relative"
          % (len(gaps), len(over)))
    for (r, t, x, y), case in sorted(over, key=lambda g: -g[0][0])[:args.worst]:
        print("  %.3g at step %d (torch %r, closed %r) lr=%r steps=%d %s"
              % (r, t, x, y, case["lr"], case["steps"], case["spec"]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
