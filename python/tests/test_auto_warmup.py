"""warmup(auto) from Python (issue 18): Schedule's auto_warmup_steps keyword mirrors
wu_sched_opts.auto_warmup_steps; the ctypes struct must keep the C layout."""
import ctypes
import pickle
import subprocess

import pytest

import conftest
import warmup
from warmup import _lib


def test_struct_layout_matches_c():
    # the members in include/warmup.h's order: a double and five int64s, 48 bytes
    assert [f[0] for f in _lib.WuSchedOpts._fields_][-1] == "auto_warmup_steps"
    assert ctypes.sizeof(_lib.WuSchedOpts) == 48
    assert _lib.WuSchedOpts.auto_warmup_steps.offset == 40


def test_auto_equals_explicit_length():
    a = warmup.Schedule("warmup(auto) > cosine", lr=1e-3, total_steps=200, auto_warmup_steps=17)
    b = warmup.Schedule("warmup(17) > cosine", lr=1e-3, total_steps=200)
    assert list(a.lrs(200)) == list(b.lrs(200))
    assert a.warmup_steps == 17
    assert a.auto_warmup_steps == 17


def test_auto_with_shape_and_from():
    a = warmup.Schedule("warmup(auto, exp, from=0.1) > constant", lr=2.0, total_steps=50,
                        auto_warmup_steps=9)
    b = warmup.Schedule("warmup(9, exp, from=0.1) > constant", lr=2.0, total_steps=50)
    assert list(a.lrs(50)) == list(b.lrs(50))


def test_auto_zero_is_no_warmup():
    a = warmup.Schedule("warmup(auto) > cosine", lr=1.0, total_steps=10, auto_warmup_steps=0)
    assert a.lr(0) == 1.0
    assert a.warmup_steps == 0


def test_auto_not_chosen_raises():
    with pytest.raises(warmup.SpecError, match="warmup tune"):
        warmup.Schedule("warmup(auto) > cosine", lr=1.0, total_steps=10)


def test_auto_bad_values():
    with pytest.raises(ValueError, match="auto_warmup_steps must be >= 0"):
        warmup.Schedule("warmup(auto) > cosine", lr=1.0, total_steps=10, auto_warmup_steps=-3)
    with pytest.raises(TypeError):
        warmup.Schedule("warmup(auto) > cosine", lr=1.0, total_steps=10, auto_warmup_steps=2.5)
    with pytest.raises(warmup.SpecError, match="more than the run"):
        warmup.Schedule("warmup(auto) > cosine", lr=1.0, total_steps=10, auto_warmup_steps=11)


def test_auto_pickles_and_reprs():
    a = warmup.Schedule("warmup(auto) > cosine", lr=1.0, total_steps=40, auto_warmup_steps=5)
    b = pickle.loads(pickle.dumps(a))
    assert list(b.lrs(40)) == list(a.lrs(40))
    assert "auto_warmup_steps=5" in repr(a)


def test_auto_matches_cli():
    out = subprocess.run([conftest.CLI, "schedule", "warmup(auto) > cosine", "--steps", "30",
                          "--lr", "0.5", "--auto-warmup", "10%", "--format", "csv"],
                         capture_output=True, text=True, check=True).stdout
    cli = [float(line.split(",")[1]) for line in out.strip().splitlines()[1:]]
    py = warmup.Schedule("warmup(auto) > cosine", lr=0.5, total_steps=30, auto_warmup_steps=3)
    assert list(py.lrs(30)) == pytest.approx(cli, rel=1e-15)
