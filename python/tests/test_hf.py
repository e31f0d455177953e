"""warmup.hf: HF's signatures and names giving HF's numbers (tests/fixtures/schedules_hf.jsonl)."""
import io
import json
import os
import re

import pytest

torch = pytest.importorskip("torch")

import warmup  # noqa: E402
from warmup import hf  # noqa: E402
from warmup.torch import WarmupScheduler  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
with open(os.path.join(ROOT, "tests", "fixtures", "schedules_hf.jsonl")) as f:
    HF_ROWS = [json.loads(line) for line in f if line.strip()]

# the get_scheduler name -> HF's function
FUNCS = {
    "linear": hf.get_linear_schedule_with_warmup,
    "cosine": hf.get_cosine_schedule_with_warmup,
    "cosine_with_restarts": hf.get_cosine_with_hard_restarts_schedule_with_warmup,
    "polynomial": hf.get_polynomial_decay_schedule_with_warmup,
    "constant": hf.get_constant_schedule,
    "constant_with_warmup": hf.get_constant_schedule_with_warmup,
    "inverse_sqrt": hf.get_inverse_sqrt_schedule,
    "cosine_with_min_lr": hf.get_cosine_with_min_lr_schedule_with_warmup,
    "cosine_warmup_with_min_lr": hf.get_cosine_with_min_lr_schedule_with_warmup_lr_rate,
    "warmup_stable_decay": hf.get_wsd_schedule,
}


def parse(spec):
    m = re.match(r"hf:(\w+)\((.*)\)$", spec)
    return m.group(1), eval("dict(%s)" % m.group(2), {"__builtins__": {}, "dict": dict})


def make_opt(lr, groups=1):
    ps = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr / (i + 1)}
          for i in range(groups)]
    return torch.optim.AdamW(ps, lr=lr)


def lrs_of(opt, sched, n):
    out = []
    for k in range(n):
        out.append([g["lr"] for g in opt.param_groups])
        if k < n - 1:
            opt.step()
            sched.step()
    return out


def close(a, b):
    return abs(a - b) <= 1e-12 * max(abs(a), abs(b)) or a == b


def get_scheduler_args(name, kw):
    kw = dict(kw)
    w = kw.pop("num_warmup_steps", None)
    t = kw.pop("num_training_steps", None)
    return dict(num_warmup_steps=w, num_training_steps=t, scheduler_specific_kwargs=kw)


# every row through its function; through get_scheduler too, except timescale (HF's
# get_scheduler does not pass it on) and the long sampled runs
CASES = [(r, "function") for r in HF_ROWS] + [
    (r, "get_scheduler") for r in HF_ROWS if "timescale" not in r["spec"] and "at" not in r]


@pytest.mark.parametrize("row,how", CASES,
                         ids=["%s@%d-%s" % (r["spec"], r["steps"], h) for r, h in CASES])
def test_hf_fixture(row, how):
    name, kw = parse(row["spec"])
    lr, n = row["lr"], row["steps"]
    build = (lambda o, **extra: FUNCS[name](o, **kw, **extra)) if how == "function" else \
        (lambda o, **extra: hf.get_scheduler(name, o, **get_scheduler_args(name, kw)))
    if "at" in row:  # a long run: sampled steps, each through a resumed scheduler
        for k, w in zip(row["at"], row["lr_values"]):
            opt = make_opt(lr)
            opt.param_groups[0]["initial_lr"] = lr
            build(opt, last_epoch=k - 1)
            assert close(opt.param_groups[0]["lr"], w), (k, opt.param_groups[0]["lr"], w)
        return
    opt = make_opt(lr, groups=2)
    got = lrs_of(opt, build(opt), n)
    for k, w in enumerate(row["lr_values"]):
        assert got[k][0] == w or close(got[k][0], w), (k, got[k][0], w)
        # HF's LambdaLR scales each group's own initial LR by the same factor
        if name != "polynomial":
            assert close(got[k][1], w / 2) or (w == 0 and got[k][1] == 0), k


def test_timescale_through_get_scheduler_is_dropped_like_hf():
    opt = make_opt(0.001)
    a = hf.get_scheduler("inverse_sqrt", opt, num_warmup_steps=5,
                         scheduler_specific_kwargs={"timescale": 20})
    assert a.specs == "hf:inverse_sqrt(num_warmup_steps=5)"


def test_polynomial_uses_the_default_lr_as_lr_init():
    """HF's polynomial decays from optimizer.defaults['lr'] (lr_init) for every group."""
    opt = make_opt(0.01, groups=2)
    s = hf.get_polynomial_decay_schedule_with_warmup(opt, 2, 10, lr_end=1e-4, power=2.0)
    got = lrs_of(opt, s, 10)
    lr_init, lr_end = 0.01, 1e-4

    def factor(k):  # HF's lr_lambda
        if k < 2:
            return k / 2
        if k > 10:
            return lr_end / lr_init
        decay = (lr_init - lr_end) * (1 - (k - 2) / 8) ** 2.0 + lr_end
        return decay / lr_init
    for k in range(10):
        assert close(got[k][0], 0.01 * factor(k)) or got[k][0] == 0.01 * factor(k)
        assert close(got[k][1], 0.005 * factor(k)) or got[k][1] == 0.005 * factor(k)


def test_required_arguments_like_hf():
    opt = make_opt(0.001)
    with pytest.raises(ValueError, match="linear requires `num_warmup_steps`"):
        hf.get_scheduler("linear", opt)
    with pytest.raises(ValueError, match="cosine requires `num_training_steps`"):
        hf.get_scheduler("cosine", opt, num_warmup_steps=10)
    with pytest.raises(ValueError, match="not a valid SchedulerType"):
        hf.get_scheduler("cosine_annealing", opt, 10, 100)
    with pytest.raises(TypeError):
        hf.get_linear_schedule_with_warmup(opt, 10)  # num_training_steps missing, as in HF
    assert isinstance(hf.get_scheduler("constant", opt), WarmupScheduler)
    assert hf.get_scheduler("constant_with_warmup", opt, num_warmup_steps=3).specs == \
        "hf:constant_with_warmup(num_warmup_steps=3)"

    class SchedulerType:  # transformers' enum members have .value
        value = "linear"
    s = hf.get_scheduler(SchedulerType(), opt, num_warmup_steps=2, num_training_steps=10)
    assert s.specs == "hf:linear(num_warmup_steps=2, num_training_steps=10)"


def test_bad_values_are_clear_errors():
    opt = make_opt(0.001)
    with pytest.raises(warmup.SpecError):  # HF raises for lr_end >= lr too
        hf.get_polynomial_decay_schedule_with_warmup(opt, 2, 10, lr_end=0.01)
    with pytest.raises(ValueError):
        hf.get_linear_schedule_with_warmup(opt, 20, 10)  # warmup longer than the run
    with pytest.raises(TypeError, match="num_training_steps must be a number"):
        hf.get_linear_schedule_with_warmup(opt, 2, "10")
    with pytest.raises(ValueError, match="decay_type"):
        hf.get_wsd_schedule(opt, 2, 3, 10, decay_type="cosine') > x(")
    with pytest.raises(ValueError):
        hf.get_linear_schedule_with_warmup(opt, -1, 10)


def test_plateau_through_hf():
    opt = make_opt(0.1)
    s = hf.get_scheduler("reduce_lr_on_plateau", opt,
                         scheduler_specific_kwargs={"patience": 0, "factor": 0.5})
    ref_opt = make_opt(0.1)
    ref = torch.optim.lr_scheduler.ReduceLROnPlateau(ref_opt, patience=0, factor=0.5)
    for m in [1.0, 0.9, 0.9, 0.95, 0.8, 0.8, 0.8]:
        opt.step()
        s.step(m)
        ref_opt.step()
        ref.step(m)
        assert opt.param_groups[0]["lr"] == pytest.approx(ref_opt.param_groups[0]["lr"],
                                                          rel=1e-12)


def test_hf_resume_exact():
    """HF's LambdaLR needs the lambda rebuilt on resume; ours restores from state_dict."""
    def make():
        opt = make_opt(0.001, groups=2)
        return opt, hf.get_cosine_schedule_with_warmup(opt, 8, 40)
    opt, s = make()
    ref = lrs_of(opt, s, 40)
    for k in (4, 8, 30):
        opt, s = make()
        got = lrs_of(opt, s, k)
        opt.step()
        s.step()
        buf = io.BytesIO()
        torch.save({"o": opt.state_dict(), "s": s.state_dict()}, buf)
        buf.seek(0)
        st = torch.load(buf)
        opt2, s2 = make()
        opt2.load_state_dict(st["o"])
        s2.load_state_dict(st["s"])
        assert got + lrs_of(opt2, s2, 40 - k) == ref
