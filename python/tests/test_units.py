"""Issue 17 in the Python package: durations in tokens and samples (Schedule's
tokens_per_step / samples_per_step, the ctypes mirror of wu_sched_opts), Schedule.replan,
suggest(accumulation=...), each against the CLI where it has the same thing."""
import json
import os
import pickle
import subprocess

import pytest

from conftest import CLI

import warmup
from warmup import _lib

needs_cli = pytest.mark.skipif(not os.path.exists(CLI), reason="build/warmup is not built")


def cli(*args):
    r = subprocess.run([CLI, *args], capture_output=True, timeout=120,
                       env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert r.returncode == 0, r.stderr.decode()
    return r.stdout.decode()


def test_the_mirror_has_the_new_fields():
    # wu_sched_opts grew by two int64s, wu_suggest_in by one: the ctypes structures must match
    # the C layout, or the library reads past what Python passes
    # (and by one more in issue 18, auto_warmup_steps: test_auto_warmup.py)
    assert [f[0] for f in _lib.WuSchedOpts._fields_][:5] == [
        "lr", "total_steps", "steps_per_epoch", "tokens_per_step", "samples_per_step"]
    assert ctypes_size(_lib.WuSchedOpts) == 48
    assert _lib.WuSuggestIn._fields_[-1][0] == "accumulation"


def ctypes_size(t):
    import ctypes
    return ctypes.sizeof(t)


def test_tokens_and_samples():
    s = warmup.Schedule("warmup(375M tok) > cosine(to=0.1)", lr=6e-4, total_steps=600000,
                        tokens_per_step=524288)
    assert s.warmup_steps == 715 and s.tokens_per_step == 524288
    s = warmup.Schedule("warmup(2M samples) > cosine", lr=1.0, total_steps=100000,
                        samples_per_step=256)
    assert s.warmup_steps == 7812 and s.samples_per_step == 256
    assert "samples_per_step=256" in repr(s)
    t = pickle.loads(pickle.dumps(s))
    assert list(t.lrs(9000)) == list(s.lrs(9000)) and t.samples_per_step == 256
    with pytest.raises(warmup.SpecError, match=r"\(tokens_per_step\)"):
        warmup.Schedule("warmup(1M tok) > cosine", lr=1.0, total_steps=100)


@needs_cli
def test_tokens_match_the_cli():
    s = warmup.Schedule("warmup(20k tok) > linear", lr=1.0, total_steps=50, tokens_per_step=1000)
    out = cli("schedule", "warmup(20k tok) > linear", "--steps", "50", "--tokens-per-step",
              "1000", "--format", "csv").split()[1:]
    assert [float(line.split(",")[1]) for line in out] == list(s.lrs(50))


def test_replan_is_continuous_and_reaches_the_new_end():
    s = warmup.Schedule("warmup(10%) > cosine(to=0.1)", lr=1e-3, total_steps=1000)
    r = s.replan(400, 1600)
    assert r.lr(400) == s.lr(400) and list(r.lrs(400)) == list(s.lrs(400))
    assert r.lr(1600) == pytest.approx(1e-4, rel=1e-12) and r.lr(1599) > 1e-4
    assert r.total_steps == 1600 and r.replans == ((400, 1600),)
    r2 = r.replan(1000, 1200)
    assert r2.lr(1000) == r.lr(1000) and r2.lr(1200) == pytest.approx(1e-4, rel=1e-12)
    assert repr(r2).endswith(".replan(400, 1600).replan(1000, 1200)")
    assert "total_steps=1000" in repr(r2)
    t = pickle.loads(pickle.dumps(r2))
    assert list(t.lrs(1300)) == list(r2.lrs(1300)) and t.replans == r2.replans
    assert s.lr(900) != r.lr(900)  # the original is unchanged, the copy differs
    h = warmup.Schedule("hf:cosine(num_warmup_steps=10)", lr=1.0, total_steps=100)
    hr = h.replan(50, 200)
    assert hr.lr(50) == h.lr(50) and abs(hr.lr(200)) < 1e-15 < hr.lr(199)
    with pytest.raises(ValueError, match="torch:"):
        warmup.Schedule("torch:CosineAnnealingLR(T_max=100)", lr=1.0, total_steps=100).replan(50, 200)
    with pytest.raises(ValueError, match="greater than"):
        s.replan(500, 500)


def test_suggest_accumulation():
    a = warmup.suggest(1000, optimizer="sgd", batch=16, accumulation=4, base_batch=8,
                       base_warmup=40, base_lr=0.1)
    b = warmup.suggest(1000, optimizer="sgd", batch=64, base_batch=8, base_warmup=40,
                       base_lr=0.1)
    assert a.warmup_steps == b.warmup_steps == 320 and a.lr == b.lr == pytest.approx(0.8)
    assert "16x4/8" in a.lr_rule and "would be 5 steps" in a.why
    with pytest.raises(ValueError):
        warmup.suggest(1000, accumulation=0)


@needs_cli
def test_suggest_accumulation_matches_the_cli():
    s = warmup.suggest(epochs=2, dataset_size=1000, batch=10, accumulation=5, optimizer="sgd")
    j = json.loads(cli("suggest", "--epochs", "2", "--dataset-size", "1000", "--batch", "10",
                       "--accumulation", "5", "--optimizer", "sgd", "--format", "json"))
    assert (s.total_steps, s.steps_per_epoch, s.spec) == (j["total_steps"], j["steps_per_epoch"],
                                                          j["spec"])
    assert j["accumulation"] == 5 and s.steps_per_epoch == 20


def test_torch_scheduler_takes_tokens_per_step():
    torch = pytest.importorskip("torch")
    from warmup.torch import WarmupScheduler
    p = torch.nn.Parameter(torch.zeros(2))
    opt = torch.optim.SGD([p], lr=0.1)
    sch = WarmupScheduler(opt, "warmup(8k tok) > cosine", total_steps=100, tokens_per_step=1000)
    lrs = []
    for _ in range(10):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sch.step()
    assert lrs[:9] == pytest.approx([0.1 * k / 8 for k in range(8)] + [0.1])
    sd = sch.state_dict()
    assert sd["tokens_per_step"] == 1000 and sd["samples_per_step"] is None
    opt2 = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1)
    sch2 = WarmupScheduler(opt2, "constant", total_steps=100)
    sch2.load_state_dict(sd)
    assert sch2.get_last_lr() == sch.get_last_lr()
    with pytest.raises(warmup.SpecError, match="tokens_per_step"):
        WarmupScheduler(torch.optim.SGD([p], lr=0.1), "warmup(8k tok)", total_steps=100)
    # a state_dict of before issue 17 (no such keys) still loads
    del sd["tokens_per_step"], sd["samples_per_step"]
    sd["spec"] = "warmup(8) > cosine"
    sch2.load_state_dict(sd)
