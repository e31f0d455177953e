"""Issue 15's review of the Python package: one test (or a few) per bug found, each failing
before its fix (checked by running this file against the package of main: see the report).

 1 a plateau that never fires changes nothing; per-group plateaus stay torch's
 2 lr_lambda's lr is required (absolute LRs are read against it)
 3 OneCycleLR / CyclicLR warn that the momentum is not cycled
 4 a closed or never-initialised Schedule raises instead of crashing
 5 HF plateau drop-ins take mode='max', threshold_mode='abs'
 6 eta_min is checked against the groups' LRs, not the optimizer's default
 7 a failed load_state_dict leaves the scheduler as it was
 8 HF drop-ins take whole floats; num_training_steps=0 gets an accurate message
 9 numpy ints for total_steps; a library without the symbols is passed over; weights_only
"""
import io
import os
import shutil
import subprocess
import sys
import warnings

import pytest

torch = pytest.importorskip("torch")
import torch.optim.lr_scheduler as lrs  # noqa: E402

import warmup  # noqa: E402
import warmup.hf as hf  # noqa: E402
from warmup.torch import WarmupScheduler  # noqa: E402

from conftest import BUILD, ROOT, run  # noqa: E402

REL = 1e-12


def close(a, b, rel=REL):
    return abs(a - b) <= rel * max(abs(a), abs(b)) or abs(a - b) <= 1e-300


def make_opt(lrs_=(0.1,), default=None, kind="sgd"):
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs_]
    if kind == "adam":  # every group sets its LR: the default is Adam's 1e-3
        return torch.optim.Adam(groups)
    return torch.optim.SGD(groups, lr=lrs_[0] if default is None else default, momentum=0.9)


# ---- 1: plateaus ---------------------------------------------------------------------------
SPEC = "warmup(5) > cosine(20, min=0.01)"


@pytest.mark.parametrize("glrs", [(0.1, 0.05), (0.1, 0.005), (0.1, 0.1, 0.3)])
def test_a_plateau_that_never_fires_changes_nothing(glrs):
    opt = make_opt(glrs)
    plain = run(opt, WarmupScheduler(opt, SPEC), 30)
    opt = make_opt(glrs)
    quiet = run(opt, WarmupScheduler(opt, SPEC + " * plateau(patience=1000)"), 30, [1.0] * 30)
    assert quiet == plain
    # min= is read at the optimizer's lr (0.1) and scales with each group, as without plateau
    assert plain[-1] == pytest.approx([0.01 * b / 0.1 for b in glrs], rel=1e-12)


def test_a_firing_native_plateau_applies_min_lr_per_group_like_torch():
    """The native spec's LR is the plateau-free schedule times the group's plateau factor, and
    that factor moves as torch's ReduceLROnPlateau moves the group's LR (min_lr, eps applied
    to the group's own LR)."""
    glrs, n = (0.1, 0.05, 0.012), 30
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.9, 0.9, 0.9, 0.9] * 3
    kw = dict(patience=1, factor=0.5, min_lr=0.015)
    plat = "plateau(patience=1, factor=0.5, min_lr=0.015)"
    opt = make_opt(glrs)
    plain = run(opt, WarmupScheduler(opt, SPEC), n)
    opt = make_opt(glrs)
    got = run(opt, WarmupScheduler(opt, SPEC + " * " + plat), n, metrics)
    topt = make_opt(glrs)
    live = run(topt, lrs.ReduceLROnPlateau(topt, **kw), n, metrics)
    # min_lr floors each group's own LR; a group below it is left alone
    assert live[-1][0] == 0.015 and live[-1][1] == 0.015 and live[-1][2] == 0.012
    for k in range(n):
        for g, b in enumerate(glrs):
            assert close(got[k][g], plain[k][g] * (live[k][g] / b)), (k, g)


def test_native_plateau_groups_resume_exactly():
    glrs, n, spec = (0.1, 0.05), 30, SPEC + " * plateau(patience=0, factor=0.5, min_lr=0.02)"
    metrics = [1.0 + 0.01 * k for k in range(n)]
    opt = make_opt(glrs)
    ref = run(opt, WarmupScheduler(opt, spec), n, metrics)
    for k in (3, 12):
        opt = make_opt(glrs)
        s = WarmupScheduler(opt, spec)
        got = run(opt, s, k, metrics)
        opt.step()
        s.step(metrics[k - 1])
        buf = io.BytesIO()
        torch.save({"opt": opt.state_dict(), "sched": s.state_dict()}, buf)
        st = torch.load(io.BytesIO(buf.getvalue()))
        opt2 = make_opt(glrs)
        s2 = WarmupScheduler(opt2, spec)
        opt2.load_state_dict(st["opt"])
        s2.load_state_dict(st["sched"])
        got += run(opt2, s2, n - k, metrics[k:])
        assert got == ref, k


def test_torch_plateau_two_groups_still_torchs():
    glrs, metrics = (0.1, 0.01), [1.0, 1.0, 1.0, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]
    kw = dict(patience=1, factor=0.5, min_lr=0.004)
    opt = make_opt(glrs)
    got = run(opt, WarmupScheduler(opt, "torch:ReduceLROnPlateau(patience=1, factor=0.5, "
                                        "min_lr=0.004)"), 10, metrics)
    topt = make_opt(glrs)
    assert got == run(topt, lrs.ReduceLROnPlateau(topt, **kw), 10, metrics)


# ---- 2: lr_lambda --------------------------------------------------------------------------
def test_lr_lambda_needs_lr_and_matches_torch():
    spec = "torch:CosineAnnealingLR(T_max=10, eta_min=0.001)"
    with pytest.raises(TypeError, match="lr"):
        warmup.lr_lambda(spec)
    opt = make_opt((0.1,))
    got = run(opt, lrs.LambdaLR(opt, warmup.lr_lambda(spec, 0.1)), 11)
    topt = make_opt((0.1,))
    live = run(topt, lrs.CosineAnnealingLR(topt, T_max=10, eta_min=0.001), 11)
    assert got[-1][0] == pytest.approx(1e-3, rel=1e-12)
    for a, b in zip(got, live):
        assert close(a[0], b[0]), (a, b)
    # groups with other LRs: one lambda per group gives torch's per-group numbers
    opt = make_opt((0.1, 0.05))
    got = run(opt, lrs.LambdaLR(opt, [warmup.lr_lambda(spec, g["lr"])
                                      for g in opt.param_groups]), 11)
    topt = make_opt((0.1, 0.05))
    live = run(topt, lrs.CosineAnnealingLR(topt, T_max=10, eta_min=0.001), 11)
    for a, b in zip(got, live):
        assert close(a[0], b[0]) and close(a[1], b[1]), (a, b)


def test_weights_only_claim():
    """The lambda's state is plain values; torch 1.13's weights_only loader still refuses it
    (it cannot read a float), which is what schedule.py and the README now say."""
    opt = make_opt((0.1,))
    st = lrs.LambdaLR(opt, warmup.lr_lambda("warmup(5) > cosine", 0.1, 50)).state_dict()
    lam = st["lr_lambdas"][0]
    assert all(v is None or type(v) in (str, int, float) for v in lam.values()), lam
    buf = io.BytesIO()
    torch.save(st, buf)
    if int(torch.__version__.split(".")[0]) < 2:
        with pytest.raises(Exception, match="[Ww]eights only"):
            torch.load(io.BytesIO(buf.getvalue()), weights_only=True)


# ---- 3: momentum ---------------------------------------------------------------------------
@pytest.mark.parametrize("spec", [
    "torch:OneCycleLR(max_lr=0.1, total_steps=20)",
    "torch:lr_scheduler.CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=3)",
    "torch:OneCycleLR(max_lr=0.1, total_steps=20, cycle_momentum=True)"])
def test_cycling_schedules_warn_that_momentum_is_not_cycled(spec):
    opt = make_opt((0.1,))
    with pytest.warns(UserWarning, match="momentum.*not cycled.*cycle_momentum=False") as rec:
        s = WarmupScheduler(opt, spec)
    assert len([w for w in rec if "momentum" in str(w.message)]) == 1
    run(opt, s, 10)
    assert opt.param_groups[0]["momentum"] == 0.9  # what the warning says


@pytest.mark.parametrize("spec", [
    "torch:OneCycleLR(max_lr=0.1, total_steps=20, cycle_momentum=False)",
    "torch:CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=3, cycle_momentum=False)",
    "torch:StepLR(step_size=3)", "onecycle(20)"])
def test_no_momentum_warning_otherwise(spec):
    opt = make_opt((0.1,))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        WarmupScheduler(opt, spec)


# ---- 4: closed Schedules -------------------------------------------------------------------
def test_closed_or_uninitialised_schedule_raises_not_crashes():
    code = r"""
import pickle, warmup, torch
from warmup.torch import WarmupScheduler
s = warmup.Schedule("cosine", 1.0, total_steps=10)
s.__del__()
u = warmup.Schedule.__new__(warmup.Schedule)
for name, obj in (("closed", s), ("new", u)):
    for call in (lambda: obj.lr(0), lambda: obj(0), lambda: obj.lr_at(0, 1.0),
                 lambda: obj.lrs(3), lambda: obj.state(), lambda: obj.observe(1.0),
                 lambda: obj.load_state(b""), lambda: pickle.dumps(obj)):
        try:
            call()
            print(name, "no error")
        except ValueError as e:
            print(name, "ValueError", e)
print(repr(u))
try:
    u.spec
except AttributeError as e:
    print("AttributeError", e)
# a scheduler whose Schedule is closed by hand keeps its own hold on the C schedule
p = torch.nn.Parameter(torch.zeros(1))
opt = torch.optim.SGD([p], lr=0.1)
sched = WarmupScheduler(opt, "warmup(5) > cosine", total_steps=20)
sched.schedules[0].__del__()
import gc; gc.collect()
for _ in range(6):
    opt.step(); sched.step()
print("lr", opt.param_groups[0]["lr"])
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120, env=dict(os.environ))
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
    lines = r.stdout.splitlines()
    closed = [x for x in lines if x.startswith("closed ")]
    new = [x for x in lines if x.startswith("new ")]
    assert len(closed) == 8 and all("ValueError" in x and "closed" in x for x in closed), lines
    assert len(new) == 8 and all("ValueError" in x and "never initialised" in x
                                 for x in new), lines
    assert "never initialised" in r.stdout.split("AttributeError")[1]
    want = warmup.Schedule("warmup(5) > cosine", 0.1, total_steps=20).lr(6)
    assert lines[-1] == "lr %r" % want


# ---- 5: HF plateau strings -----------------------------------------------------------------
@pytest.mark.parametrize("via", ["function", "get_scheduler"])
def test_hf_plateau_takes_string_arguments(via):
    kw = dict(mode="max", threshold_mode="abs", threshold=0.05, patience=1, factor=0.5)
    metrics = [0.5, 0.6, 0.62, 0.64, 0.7, 0.71, 0.72, 0.8, 0.8, 0.8, 0.8, 0.9]
    opt = make_opt((0.1, 0.02))
    if via == "function":
        s = hf.get_reduce_on_plateau_schedule(opt, **kw)
    else:
        s = hf.get_scheduler("reduce_lr_on_plateau", opt, scheduler_specific_kwargs=kw)
    got = run(opt, s, len(metrics), metrics)
    topt = make_opt((0.1, 0.02))
    live = run(topt, lrs.ReduceLROnPlateau(topt, **kw), len(metrics), metrics)
    assert got == live
    assert got[-1][0] < 0.1  # it did reduce


def test_hf_string_arguments_cannot_break_the_spec():
    opt = make_opt((0.1,))
    with pytest.raises(warmup.SpecError, match="mode"):
        hf.get_reduce_on_plateau_schedule(opt, mode="max') * plateau(mode='min")
    with pytest.raises(warmup.SpecError, match="mode"):
        hf.get_reduce_on_plateau_schedule(opt, mode="it's \\ odd")
    with pytest.raises(TypeError, match="unexpected keyword"):
        hf.get_reduce_on_plateau_schedule(opt, **{"mode='max'), x(": 1})


# ---- 6: eta_min against the groups' LRs ----------------------------------------------------
@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_eta_min_is_checked_against_the_groups(kind):
    spec = "torch:CosineAnnealingLR(T_max=10, eta_min=0.01)"
    opt = make_opt((0.1, 0.05), default=0.005, kind=kind)
    got = run(opt, WarmupScheduler(opt, spec), 25)
    topt = make_opt((0.1, 0.05), default=0.005, kind=kind)
    live = run(topt, lrs.CosineAnnealingLR(topt, T_max=10, eta_min=0.01), 25)
    for a, b in zip(got, live):
        assert close(a[0], b[0]) and close(a[1], b[1]), (a, b)
    # above every group's LR it is still refused (docs/SPEC.md, "Deliberate differences")
    with pytest.raises(warmup.SpecError, match="eta_min"):
        WarmupScheduler(make_opt((0.1, 0.05), default=0.005, kind=kind),
                        "torch:CosineAnnealingLR(T_max=10, eta_min=0.2)")


# ---- 7: a failed load_state_dict -----------------------------------------------------------
@pytest.mark.parametrize("change", [
    {"spec": "warmup(5) > cosin"},
    {"spec": "torch:ReduceLROnPlateau()", "plateau_state": [b"xx"]},
    {"total_steps": 3},  # warmup(5) longer than the run
    {"spec": ["warmup(2) > cosine", "warmup(5) > cosine(to=2)"]}])
def test_failed_load_state_dict_changes_nothing(change):
    opt = make_opt((0.1, 0.05))
    s = WarmupScheduler(opt, "warmup(5) > cosine", total_steps=20)
    run(opt, s, 4)
    before, lrs_before = s.state_dict(), [g["lr"] for g in opt.param_groups]
    opt2 = make_opt((0.1, 0.05))
    ref = WarmupScheduler(opt2, "warmup(5) > cosine", total_steps=20)
    run(opt2, ref, 4)
    with pytest.raises((ValueError, TypeError)):
        s.load_state_dict(dict(before, **change))
    assert s.state_dict() == before
    assert [g["lr"] for g in opt.param_groups] == lrs_before
    assert run(opt, s, 10) == run(opt2, ref, 10)


# ---- 8: HF's numbers of steps --------------------------------------------------------------
def test_hf_takes_whole_floats():
    np = pytest.importorskip("numpy")
    opt = make_opt((0.1,))
    ref = run(opt, hf.get_scheduler("linear", opt, 5, 20), 20)
    for w, n in ((5.0, 20), (5.0, 20.0), (np.float64(5), np.float32(20))):
        opt = make_opt((0.1,))
        assert run(opt, hf.get_scheduler("linear", opt, w, n), 20) == ref
    opt = make_opt((0.1,))
    with pytest.raises(ValueError, match=r"num_warmup_steps=5\.5 is not a whole number"):
        hf.get_linear_schedule_with_warmup(opt, 5.5, 20)
    with pytest.raises(ValueError, match=r"num_decay_steps=2\.25 is not a whole"):
        hf.get_wsd_schedule(opt, 2, 2.25, 10)


@pytest.mark.parametrize("name", ["linear", "cosine", "cosine_with_restarts", "polynomial"])
def test_hf_zero_training_steps_says_what_hf_does(name):
    opt = make_opt((0.1,))
    with pytest.raises(ValueError) as e:
        hf.get_scheduler(name, opt, 0, 0)
    msg = str(e.value)
    assert "num_training_steps=0" in msg and "HF accepts it" in msg, msg
    assert "is needed" not in msg


# ---- 9: numpy ints, a foreign library, ... --------------------------------------------------
def test_numpy_integers_are_step_counts():
    np = pytest.importorskip("numpy")
    opt = make_opt((0.1,))
    a = run(opt, WarmupScheduler(opt, "warmup(10%) > cosine", total_steps=np.int64(100),
                                 steps_per_epoch=np.int32(10)), 30)
    opt = make_opt((0.1,))
    assert a == run(opt, WarmupScheduler(opt, "warmup(10%) > cosine", total_steps=100), 30)
    opt = make_opt((0.1,))
    opt.param_groups[0]["initial_lr"] = 0.1
    WarmupScheduler(opt, "warmup(10%) > cosine", total_steps=100, last_epoch=np.int64(4))
    with pytest.raises(TypeError, match="total_steps must be an int"):
        WarmupScheduler(make_opt((0.1,)), "cosine", total_steps=100.0)


def _isolated_package(tmp_path):
    pkg = tmp_path / "site" / "warmup"
    shutil.copytree(os.path.join(ROOT, "python", "warmup"), pkg,
                    ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    return pkg.parent


def test_a_library_without_the_symbols_is_passed_over(tmp_path):
    code = "import warmup; print(warmup.library_path); print(warmup.plot('cosine', 1.0, 5)[:5])"
    # from the checkout: WARMUP_LIB names libm, which loads but is not libwarmup: build/ next
    r = subprocess.run([sys.executable, "-c", code],
                       env=dict(os.environ, WARMUP_LIB="libm.so.6",
                                PYTHONPATH=os.path.join(ROOT, "python")),
                       cwd="/", capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert os.path.samefile(r.stdout.split()[0], os.path.join(ROOT, "build", "libwarmup.so"))
    # away from the checkout, with nothing else to find: an ImportError naming what was tried
    r = subprocess.run([sys.executable, "-c", code],
                       env=dict(os.environ, WARMUP_LIB="libm.so.6", LD_LIBRARY_PATH="",
                                PYTHONPATH=str(_isolated_package(tmp_path))),
                       cwd=str(tmp_path), capture_output=True, text=True, timeout=60)
    if r.returncode == 0:
        pytest.skip("libwarmup is installed on the system library path")
    assert "ImportError" in r.stderr and "AttributeError" not in r.stderr, r.stderr
    assert "libm.so.6 (loads, but lacks wu_sched_parse" in r.stderr
    assert "make" in r.stderr
    assert os.path.isdir(BUILD)
