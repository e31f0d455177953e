"""warmup.torch.WarmupScheduler: parity with tests/fixtures and with torch's own schedulers run
live, resume through torch.save/torch.load, per-group specs, plateau specs, bad input."""
import io
import json
import math
import os
import pickle
import re
import types
import warnings

import pytest

torch = pytest.importorskip("torch")
import torch.optim.lr_scheduler as lrs  # noqa: E402

import warmup  # noqa: E402
from warmup.torch import WarmupScheduler  # noqa: E402

from conftest import run  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
REL = 1e-12


def fixture(name):
    with open(os.path.join(ROOT, "tests", "fixtures", name)) as f:
        return [json.loads(line) for line in f if line.strip()]


TORCH_ROWS = fixture("schedules_torch.jsonl")


def close(a, b, rel=REL):
    return abs(a - b) <= rel * max(abs(a), abs(b)) or abs(a - b) <= 1e-300


def assert_seq(got, want, what):
    assert len(got) == len(want), what
    for k, (g, w) in enumerate(zip(got, want)):
        assert close(g, w), "%s: step %d: %r, want %r" % (what, k, g, w)


def make_opt(lrs_=(0.1,), momentum=0.9):
    """SGD (momentum: CyclicLR cycles it) with one group per LR; no grads, so step() is cheap."""
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs_]
    return torch.optim.SGD(groups, lr=lrs_[0], momentum=momentum)


# ---- a torch scheduler built live from a torch: spec -----------------------------------------
class _Opt:
    pass


_OPT = _Opt()


def torch_factory(spec):
    """Evaluates a torch: spec as Python with torch's classes; returns build(optimizer), or None
    when the spec uses a form Python cannot evaluate (10%, 2ep)."""
    body = spec[len("torch:"):]

    def cls_fn(name):
        cls = getattr(lrs, name)

        def call(*args, **kw):
            args = [a for a in args if a is not _OPT]
            kw.pop("optimizer", None)

            def build(opt):
                def conv(v):
                    if isinstance(v, list) and v and callable(v[0]):
                        return [x(opt) for x in v]
                    return v
                a = [conv(x) for x in args]
                k = {n: conv(v) for n, v in kw.items()}
                if name == "ChainedScheduler":  # takes no optimizer
                    return cls(*a, **k)
                return cls(opt, *a, **k)
            return build
        return call

    names = {n: cls_fn(n) for n in lrs.__all__}
    mod = types.SimpleNamespace(**names)
    ns = dict(names, optimizer=_OPT, opt=_OPT, optim=types.SimpleNamespace(lr_scheduler=mod),
              lr_scheduler=mod, inf=math.inf)
    ns["torch"] = types.SimpleNamespace(optim=ns["optim"])
    try:
        return eval(body, {"__builtins__": {}}, ns)
    except (SyntaxError, NameError, TypeError):
        return None


def per_group_specs(spec, ngroups):
    """torch's per-group lists (max_lr=[0.1, 0.01]) as one spec per group."""
    out = []
    for i in range(ngroups):
        def pick(m, i=i):
            vals = [v.strip() for v in m.group(2).split(",")]
            return "%s=%s" % (m.group(1), vals[i] if len(vals) == ngroups else m.group(2))
        out.append(re.sub(r"\b(max_lr|base_lr|min_lr|eta_min)=\[([^\]\[]*)\]", pick, spec))
    return out


# PyTorch 1.13 accepts these, libwarmup rejects them on purpose (docs/SPEC.md, "Deliberate
# differences"; the same list as tests/test_schedule.c): a SpecError that says why
REJECTED = [
    ("torch:ConstantLR(factor=0.5, total_iters=0)", "empty phase"),
    ("torch:LinearLR(start_factor=0.5, total_iters=0)", "empty phase"),
    ("torch:PolynomialLR(total_iters=0)", "at least 1 step"),
    ("torch:CosineAnnealingLR(T_max=20, eta_min=0.2)", "above the base LR"),
]


def row_id(row):
    return "%s@%s" % (row["spec"], row["steps"])


# ---- parity ----------------------------------------------------------------------------------
@pytest.mark.parametrize("row", TORCH_ROWS, ids=row_id)
def test_torch_fixture_parity(row):
    """Every torch: sequence of the fixture: our LRs in param_groups, and torch's own live."""
    spec, lr, n = row["spec"], row["lr"], row["steps"]
    metrics = row.get("metrics")
    for prefix, why in REJECTED:
        if spec.startswith(prefix):
            with pytest.raises(warmup.SpecError, match=why):
                WarmupScheduler(make_opt((lr,)), spec)
            return
    if "group_lrs" in row:
        glrs = row["group_lrs"]
        want = row["lr_values_groups"]
        specs = per_group_specs(spec, len(glrs))
        opt = make_opt(glrs)
        sched = WarmupScheduler(opt, specs if specs[0] != spec else spec)
        got = run(opt, sched, n, metrics)
        for g in range(len(glrs)):
            assert_seq([r[g] for r in got], want[g], "%s group %d" % (spec, g))
    elif "at" in row:
        # a long run: each sampled step k through a scheduler resumed at k (last_epoch=k-1)
        for k, w in zip(row["at"], row["lr_values"]):
            opt = make_opt((lr,))
            opt.param_groups[0]["initial_lr"] = lr
            WarmupScheduler(opt, spec, last_epoch=k - 1)
            # closed form against torch's recursion: 1e-12, n * 1e-16 past 10,000 steps
            assert close(opt.param_groups[0]["lr"], w, max(REL, n * 1e-16)), (spec, k)
        return
    else:
        want = row["lr_values"]
        opt = make_opt((lr,))
        got = [r[0] for r in run(opt, WarmupScheduler(opt, spec), n, metrics)]
        assert_seq(got, want, spec)
    # torch's own scheduler, live
    build = torch_factory(spec)
    if build is None:
        return
    opt = make_opt(row.get("group_lrs", (lr,)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ts = build(opt)
        live = run(opt, ts, n, metrics)
    ours = want if "group_lrs" in row else [want]
    for g in range(len(ours)):
        assert_seq([r[g] for r in live], ours[g], "torch live %s group %d" % (spec, g))


def test_parity_covers_the_fixture():
    """The live comparison is not silently skipped: most torch: specs evaluate in Python."""
    live = sum(torch_factory(r["spec"]) is not None for r in TORCH_ROWS)
    assert live >= 0.9 * len(TORCH_ROWS), live
    kinds = {re.match(r"torch:(\w+)", r["spec"]).group(1) for r in TORCH_ROWS}
    for k in ("LinearLR", "ConstantLR", "StepLR", "MultiStepLR", "ExponentialLR",
              "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "PolynomialLR", "OneCycleLR",
              "CyclicLR", "SequentialLR", "ReduceLROnPlateau"):
        assert k in kinds


def test_native_spec_equals_schedule():
    opt = make_opt((0.5,))
    sched = WarmupScheduler(opt, "warmup(10) > cosine", total_steps=50)
    s = warmup.Schedule("warmup(10) > cosine", 0.5, total_steps=50)
    got = [r[0] for r in run(opt, sched, 50)]
    assert got == [s.lr(k) for k in range(50)]
    assert sched.get_last_lr() == [got[-1]]
    assert sched.last_epoch == 49


# ---- resume ----------------------------------------------------------------------------------
RESUME_SPECS = [
    # (spec, total_steps, k inside warmup, at the boundary, inside decay)
    ("warmup(10) > cosine", 40, (3, 10, 25)),
    ("torch:LinearLR(start_factor=0.1, total_iters=10)", None, (3, 10, 25)),
    ("torch:SequentialLR([LinearLR(start_factor=0.1, total_iters=5), "
     "CosineAnnealingLR(T_max=15)], milestones=[5])", None, (3, 5, 12)),
    ("torch:SequentialLR([LinearLR(start_factor=0.01, total_iters=8), "
     "ExponentialLR(gamma=0.9)], milestones=[8])", None, (2, 8, 20)),
    ("torch:ChainedScheduler([LinearLR(start_factor=0.1, total_iters=5), "
     "ExponentialLR(gamma=0.9)])", None, (3, 5, 12)),
    ("hf:cosine(num_warmup_steps=8, num_training_steps=40)", None, (4, 8, 30)),
]


def save_load(opt, sched, optimizer_first=False):
    buf = io.BytesIO()
    torch.save({"opt": opt.state_dict(), "sched": sched.state_dict()}, buf)
    buf.seek(0)
    return torch.load(buf)


@pytest.mark.parametrize("spec,total,ks", RESUME_SPECS, ids=[s[0] for s in RESUME_SPECS])
@pytest.mark.parametrize("order", ["scheduler_then_load", "optimizer_loaded_first"])
def test_resume_exact(spec, total, ks, order):
    n = 40
    glrs = (0.1, 0.02)
    opt = make_opt(glrs)
    ref = run(opt, WarmupScheduler(opt, spec, total_steps=total), n)
    for k in ks:
        opt = make_opt(glrs)
        sched = WarmupScheduler(opt, spec, total_steps=total)
        got = run(opt, sched, k)
        opt.step()
        sched.step()
        state = save_load(opt, sched)
        opt2 = make_opt(glrs)
        if order == "scheduler_then_load":
            s2 = WarmupScheduler(opt2, "constant", total_steps=None)  # spec comes from the state
            opt2.load_state_dict(state["opt"])
            s2.load_state_dict(state["sched"])
        else:
            opt2.load_state_dict(state["opt"])
            s2 = WarmupScheduler(opt2, spec, total_steps=total)
            s2.load_state_dict(state["sched"])
        assert s2.last_epoch == k and s2.specs == spec
        got += run(opt2, s2, n - k)
        assert got == ref, (spec, k, order)


def torch_seq(opt):
    return lrs.SequentialLR(opt, [lrs.LinearLR(opt, start_factor=0.1, total_iters=5),
                                  lrs.CosineAnnealingLR(opt, T_max=15)], milestones=[5])


def torch_chain(opt):
    return lrs.ChainedScheduler([lrs.LinearLR(opt, start_factor=0.1, total_iters=5),
                                 lrs.ExponentialLR(opt, gamma=0.9)])


@pytest.mark.parametrize("name,build,spec", [
    ("SequentialLR", torch_seq, "torch:SequentialLR([LinearLR(start_factor=0.1, total_iters=5), "
                                "CosineAnnealingLR(T_max=15)], milestones=[5])"),
    ("ChainedScheduler", torch_chain, "torch:ChainedScheduler([LinearLR(start_factor=0.1, "
                                      "total_iters=5), ExponentialLR(gamma=0.9)])"),
])
def test_torch_own_resume_documented(name, build, spec):
    """What torch 1.13's own chained schedulers do after the same round trip (docs/PYTHON.md).

    Loading the optimizer state before building the scheduler (a common order: the scheduler is
    built after the model and optimizer are restored) leaves torch's SequentialLR and
    ChainedScheduler at a wrong LR for the rest of the run: their constructors step the
    children, which rewrites param_groups' lr, and load_state_dict does not restore it. With
    the scheduler built first and the optimizer loaded after, torch is right. WarmupScheduler is
    right in both orders (test_resume_exact)."""
    n, k = 20, 8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt = make_opt((0.1,))
        ref = [r[0] for r in run(opt, build(opt), n)]

        def resumed(optimizer_first):
            opt = make_opt((0.1,))
            s = build(opt)
            got = [r[0] for r in run(opt, s, k)]
            opt.step()
            s.step()
            state = save_load(opt, s)
            opt2 = make_opt((0.1,))
            if optimizer_first:
                opt2.load_state_dict(state["opt"])
                s2 = build(opt2)
            else:
                s2 = build(opt2)
                opt2.load_state_dict(state["opt"])
            s2.load_state_dict(state["sched"])
            return got + [r[0] for r in run(opt2, s2, n - k)]

        assert resumed(False) == ref  # torch right in this order
        wrong = resumed(True)
    bad = [j for j in range(n) if not close(wrong[j], ref[j])]
    assert bad and bad[0] == k  # wrong from the first resumed update on
    if name == "ChainedScheduler":
        # the LinearLR factor is applied a second time: a tenth of the LR forever
        assert bad == list(range(k, n))
        assert all(close(wrong[j], ref[j] * 0.1) for j in bad)
    # ours, in the order torch gets wrong
    opt = make_opt((0.1,))
    ours_ref = [r[0] for r in run(opt, WarmupScheduler(opt, spec), n)]
    assert all(close(a, b) for a, b in zip(ours_ref, ref))
    opt = make_opt((0.1,))
    s = WarmupScheduler(opt, spec)
    got = [r[0] for r in run(opt, s, k)]
    opt.step()
    s.step()
    state = save_load(opt, s)
    opt2 = make_opt((0.1,))
    opt2.load_state_dict(state["opt"])
    s2 = WarmupScheduler(opt2, spec)
    s2.load_state_dict(state["sched"])
    assert got + [r[0] for r in run(opt2, s2, n - k)] == ours_ref


def test_resume_with_last_epoch():
    """torch's other resume form: initial_lr in the groups and last_epoch=k."""
    spec = "warmup(10) > linear"
    opt = make_opt((0.3,))
    ref = run(opt, WarmupScheduler(opt, spec, total_steps=30), 30)
    opt = make_opt((0.3,))
    opt.param_groups[0]["initial_lr"] = 0.3
    s = WarmupScheduler(opt, spec, total_steps=30, last_epoch=11)
    assert s.last_epoch == 12
    assert run(opt, s, 18) == ref[12:]


def test_state_dict_is_plain_data():
    opt = make_opt((0.1, 0.2))
    s = WarmupScheduler(opt, ["warmup(3) > cosine", "torch:ReduceLROnPlateau(patience=0)"],
                        total_steps=20)
    st = s.state_dict()

    def plain(v):
        if isinstance(v, dict):
            return all(isinstance(k, str) and plain(x) for k, x in v.items())
        if isinstance(v, (list, tuple)):
            return all(plain(x) for x in v)
        return v is None or isinstance(v, (str, int, float, bool, bytes))
    assert plain(st), st
    pickle.loads(pickle.dumps(st))


# ---- per-group lists -------------------------------------------------------------------------
def test_per_group_specs():
    opt = make_opt((0.1, 0.01, 0.5))
    specs = ["warmup(4) > cosine", "torch:StepLR(step_size=3, gamma=0.5)", "warmup(4) > cosine"]
    s = WarmupScheduler(opt, specs, total_steps=20)
    got = run(opt, s, 20)
    a = warmup.Schedule(specs[0], 0.1, total_steps=20)
    b = warmup.Schedule(specs[1], 0.01)
    for k in range(20):
        assert got[k][0] == a.lr_at(k, 0.1)
        assert got[k][1] == b.lr_at(k, 0.01) and close(got[k][1], 0.01 * 0.5 ** (k // 3))
        assert got[k][2] == a.lr_at(k, 0.5)
    assert s.schedules[0] is s.schedules[2]  # the same spec is one schedule
    assert len(s.get_last_lr()) == 3


def test_one_spec_scales_each_group():
    opt = make_opt((0.1, 0.05))
    ts_opt = make_opt((0.1, 0.05))
    got = run(opt, WarmupScheduler(opt, "torch:CosineAnnealingLR(T_max=10, eta_min=0.001)"), 25)
    live = run(ts_opt, lrs.CosineAnnealingLR(ts_opt, T_max=10, eta_min=0.001), 25)
    for k in range(25):
        assert close(got[k][0], live[k][0]) and close(got[k][1], live[k][1]), k


# ---- plateau ---------------------------------------------------------------------------------
PLATEAU = [r for r in TORCH_ROWS if r.get("metrics")]


@pytest.mark.parametrize("row", PLATEAU, ids=row_id)
def test_plateau_against_torch_live(row):
    m = re.match(r"torch:ReduceLROnPlateau\((.*)\)$", row["spec"])
    kw = eval("dict(%s)" % m.group(1), {"__builtins__": {}, "dict": dict})
    opt = make_opt((row["lr"], row["lr"] / 4))
    mine = run(opt, WarmupScheduler(opt, row["spec"]), row["steps"], row["metrics"])
    opt = make_opt((row["lr"], row["lr"] / 4))
    live = run(opt, lrs.ReduceLROnPlateau(opt, **kw), row["steps"], row["metrics"])
    for k in range(row["steps"]):
        assert close(mine[k][0], live[k][0]) and close(mine[k][1], live[k][1]), k


def test_plateau_resume_keeps_its_state():
    row = PLATEAU[0]
    n, met = row["steps"], row["metrics"]
    opt = make_opt((0.1,))
    ref = run(opt, WarmupScheduler(opt, row["spec"]), n, met)
    for k in (5, 17, 30):
        opt = make_opt((0.1,))
        s = WarmupScheduler(opt, row["spec"])
        got = run(opt, s, k, met)
        opt.step()
        s.step(met[k - 1])
        state = save_load(opt, s)
        opt2 = make_opt((0.1,))
        s2 = WarmupScheduler(opt2, row["spec"])
        opt2.load_state_dict(state["opt"])
        s2.load_state_dict(state["sched"])
        got += run(opt2, s2, n - k, met[k:])
        assert got == ref, k


def test_plateau_metric_rules():
    opt = make_opt((0.1,))
    s = WarmupScheduler(opt, "torch:ReduceLROnPlateau(patience=0)")
    opt.step()
    with pytest.raises(TypeError, match="metric"):
        s.step()
    s.step(torch.tensor(1.0))  # a one-element tensor is a metric, as in torch
    s.step(2.0)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.01)
    with pytest.raises(TypeError, match="number"):
        s.step("loss")
    opt = make_opt((0.1,))
    s = WarmupScheduler(opt, "warmup(5) > constant")
    opt.step()
    with pytest.raises(ValueError, match="no ReduceLROnPlateau"):
        s.step(0.5)


# ---- torch's conventions ---------------------------------------------------------------------
def test_step_before_optimizer_warns_like_torch():
    opt = make_opt((0.1,))
    s = WarmupScheduler(opt, "warmup(5) > constant")
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        s.step()
    opt = make_opt((0.1,))
    s = WarmupScheduler(opt, "warmup(5) > constant")
    opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.step()


def test_initial_lr_like_torch():
    opt = make_opt((0.1,))
    WarmupScheduler(opt, "warmup(5) > constant")
    assert opt.param_groups[0]["initial_lr"] == 0.1
    assert opt.param_groups[0]["lr"] == warmup.Schedule("warmup(5) > constant", 0.1).lr(0)
    opt = make_opt((0.1,))
    with pytest.raises(KeyError, match="initial_lr"):
        WarmupScheduler(opt, "warmup(5) > constant", last_epoch=3)


def test_epoch_argument_closed_form():
    opt = make_opt((0.1,))
    s = WarmupScheduler(opt, "warmup(10) > constant")
    opt.step()
    with pytest.warns(UserWarning, match="epoch parameter"):
        s.step(epoch=4)
    assert opt.param_groups[0]["lr"] == warmup.Schedule("warmup(10) > constant", 0.1).lr(4)
    assert s.last_epoch == 4


def test_onecycle_past_its_end_raises_like_torch():
    opt = make_opt((0.1,))
    s = WarmupScheduler(opt, "torch:OneCycleLR(max_lr=0.1, total_steps=5)")
    for _ in range(5):
        opt.step()
        s.step()
    opt.step()
    with pytest.raises(ValueError, match="tried to step 7 times"):
        s.step()


# ---- bad input -------------------------------------------------------------------------------
def test_bad_spec_is_spec_error_and_leaves_optimizer_alone():
    opt = make_opt((0.1,))
    with pytest.raises(warmup.SpecError) as e:
        WarmupScheduler(opt, "torch:LinearLR(start_factor=0.1, total_iters=")
    assert e.value.line == 1 and e.value.column > 0
    assert "initial_lr" not in opt.param_groups[0] and opt.param_groups[0]["lr"] == 0.1
    with pytest.raises(ValueError):  # SpecError is a ValueError
        WarmupScheduler(opt, "warmup(5%) > cosine")  # 5% needs total_steps


@pytest.mark.parametrize("args,exc,match", [
    (("not an optimizer", "constant"), TypeError, "Optimizer"),
    ((None, "warmup(5) > constant"), TypeError, "Optimizer"),
    (("OPT", 3), TypeError, "str"),
    (("OPT2", ["constant", 5]), TypeError, "spec 1"),
    (("OPT", ["constant", "constant"]), ValueError, "2 specs for 1 parameter groups"),
    (("OPT", []), ValueError, "0 specs for 1"),
])
def test_bad_arguments(args, exc, match):
    opt, opt2 = make_opt((0.1,)), make_opt((0.1, 0.2))
    args = tuple(opt if a == "OPT" else opt2 if a == "OPT2" else a for a in args)
    with pytest.raises(exc, match=match):
        WarmupScheduler(*args)


def test_bad_numbers():
    opt = make_opt((0.1,))
    with pytest.raises(ValueError, match="last_epoch"):
        WarmupScheduler(opt, "constant", last_epoch=-5)
    with pytest.raises(TypeError, match="last_epoch"):
        WarmupScheduler(opt, "constant", last_epoch=1.5)
    with pytest.raises(ValueError, match="total_steps"):
        WarmupScheduler(opt, "constant", total_steps=-10)
    with pytest.raises(TypeError, match="total_steps"):
        WarmupScheduler(opt, "constant", total_steps="100")
    s = WarmupScheduler(opt, "constant")
    opt.step()
    with pytest.raises(ValueError, match="negative"):
        s.step(epoch=-3)
    with pytest.raises(ValueError, match="not a WarmupScheduler state"):
        s.load_state_dict(lrs.StepLR(make_opt(), 3).state_dict())
    st = s.state_dict()
    opt2 = make_opt((0.1, 0.2))
    s2 = WarmupScheduler(opt2, "constant")
    with pytest.raises(ValueError, match="1 groups, the optimizer 2"):
        s2.load_state_dict(st)


# ---- the example and the README's Python block -----------------------------------------------
def _run_py(args, **kw):
    import subprocess
    import sys
    env = dict(os.environ, OMP_NUM_THREADS="1",
               PYTHONPATH=os.path.join(ROOT, "python") + os.pathsep +
               os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable] + args, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, env=env, timeout=120, cwd=ROOT, **kw)


def test_example_prints_two_finite_losses():
    p = _run_py([os.path.join("examples", "torch_warmup.py")])
    out = p.stdout.decode()
    assert p.returncode == 0, out
    losses = [float(m) for m in re.findall(r"final test loss .*:\s+(\S+)$", out, re.M)]
    assert len(losses) == 2 and all(math.isfinite(x) and x > 0 for x in losses), out


def test_readme_python_block_runs():
    """The README's Python section: its one ```python block runs as shown."""
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    section = text.split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
    code = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(code) == 1
    import contextlib
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):  # in this process: torch is imported already
        exec(compile(code[0], "README.md", "exec"), {"__name__": "__readme__"})
    out = buf.getvalue()
    m = re.search(r"^loss (\S+), lr (\S+)$", out, re.M)
    assert m and math.isfinite(float(m.group(1))), out


def test_deepcopy_continues_identically():
    """copy.deepcopy (a scheduler with its optimizer, plateau state included) works and the copy
    continues as the original."""
    import copy
    opt = make_opt((0.1, 0.05))
    s = WarmupScheduler(opt, ["warmup(4) > cosine", "torch:ReduceLROnPlateau(patience=0)"],
                        total_steps=30)
    with pytest.raises(TypeError):  # the plateau group needs the metric
        run(opt, s, 3)
    for m in (1.0, 1.0, 2.0):
        opt.step()
        s.step(m)
    c = copy.deepcopy(s)
    assert c.optimizer is not opt
    a = run(opt, s, 10, [3.0] * 10)
    b = run(c.optimizer, c, 10, [3.0] * 10)
    assert a == b


def test_bad_group_lr_and_huge_steps():
    opt = make_opt((0.1,))
    opt.param_groups[0]["initial_lr"] = "x"
    with pytest.raises(TypeError, match=r"param_groups\[0\]\['initial_lr'\] must be a number"):
        WarmupScheduler(opt, "warmup(5) > constant", last_epoch=3)
    opt = make_opt((0.1,))
    s = WarmupScheduler(opt, "warmup(5) > constant")
    opt.step()
    with pytest.raises(ValueError, match="past the last step"), \
            pytest.warns(UserWarning, match="epoch parameter"):
        s.step(epoch=2 ** 70)
    with pytest.raises(ValueError, match="2\\*\\*63"):
        WarmupScheduler(opt, "warmup(5) > constant", total_steps=2 ** 64)
