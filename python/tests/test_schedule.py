"""warmup.Schedule, SpecError and lr_lambda against the C library's reference sequences.

Every test here failed before the package existed (there was no python/warmup); the library-
missing test was checked by pointing it at a copy of the package with its loader's checkout
fallback intact (it then found build/ and the test failed)."""
import copy
import gc
import io
import json
import math
import os
import pickle
import shutil
import subprocess
import sys

import pytest

from conftest import BUILD, FIXTURES, GOLDEN, ROOT

import warmup
from warmup import schedule as schedule_mod

TOL = 1e-12

# PyTorch accepts these; libwarmup refuses them on purpose (docs/SPEC.md, "Deliberate
# differences"), as tests/test_schedule.c's REJECTED table says
REJECTED = [
    ("torch:ConstantLR(factor=0.5, total_iters=0)", "empty phase"),
    ("torch:LinearLR(start_factor=0.5, total_iters=0)", "empty phase"),
    ("torch:PolynomialLR(total_iters=0)", "at least 1 step"),
    ("torch:CosineAnnealingLR(T_max=20, eta_min=0.2)", "above the base LR"),
    ("torch:OneCycleLR(max_lr=[", "per-group lists"),
    ("torch:CyclicLR(base_lr=[", "per-group lists"),
]


def rel(a, b):
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b))


def load_cases():
    files = [os.path.join(FIXTURES, "schedules_torch.jsonl"),
             os.path.join(FIXTURES, "schedules_hf.jsonl"),
             os.path.join(FIXTURES, "golden_schedules.jsonl")]
    if os.path.exists(GOLDEN):
        files.append(GOLDEN)
    cases = []
    for path in files:
        with open(path) as f:
            for i, line in enumerate(f, 1):
                if line.strip():
                    cases.append(pytest.param(json.loads(line),
                                              id="%s:%d" % (os.path.basename(path), i)))
    return cases


CASES = load_cases()


def test_fixture_files_are_all_there():
    # 176 torch + 69 hf + 12 golden lines at the time of writing; fewer means a file went
    # missing
    assert len(CASES) >= 257


@pytest.mark.parametrize("case", CASES)
def test_reference_sequence(case):
    spec, lr, steps, want = case["spec"], case["lr"], int(case["steps"]), case["lr_values"]
    for prefix, why in REJECTED:
        if spec.startswith(prefix):
            with pytest.raises(warmup.SpecError) as e:
                warmup.Schedule(spec, lr, total_steps=steps)
            assert why in str(e.value)
            return
    tol = steps * 1e-16 if steps > 10000 else TOL
    s = warmup.Schedule(spec, lr, total_steps=steps)
    worst = 0.0
    if "metrics" in case:
        for k, w in enumerate(want):
            worst = max(worst, rel(s.lr(k), w))
            s.observe(case["metrics"][k])
    else:
        steps_at = case.get("at") or range(len(want))
        got = [s.lr(int(k)) for k in steps_at]
        worst = max(rel(g, w) for g, w in zip(got, want)) if want else 0.0
        if "at" not in case:
            # the whole preview in one call agrees with the step-by-step values exactly
            assert list(s.lrs(len(want))) == got
        for base, gvals in zip(case.get("group_lrs") or [], case.get("lr_values_groups") or []):
            for k, w in enumerate(gvals):
                worst = max(worst, rel(s.lr_at(k, base), w))
    assert worst <= tol, "%s: largest relative difference %g" % (spec, worst)


# ---- lrs -----------------------------------------------------------------------------------
SPECS = ["warmup(5%) > cosine(to=0.1)", "hf:linear(num_warmup_steps=10, num_training_steps=40)",
         "torch:SequentialLR([LinearLR(start_factor=0.1, total_iters=10), "
         "CosineAnnealingLR(T_max=40)], milestones=[10])",
         "torch:OneCycleLR(max_lr=0.1, total_steps=100)"]


@pytest.mark.parametrize("spec", SPECS)
def test_lrs_equals_lr(spec):
    s = warmup.Schedule(spec, 0.1, total_steps=100)
    a = s.lrs(150)
    assert [float(v) for v in a] == [s.lr(k) for k in range(150)]
    b = s.lrs(20, start=37)
    assert [float(v) for v in b] == [s(k) for k in range(37, 57)]
    assert len(s.lrs(0)) == 0


def test_lrs_numpy_or_list(monkeypatch):
    s = warmup.Schedule("warmup(10) > cosine", 1e-3, total_steps=100)
    np = pytest.importorskip("numpy")
    a = s.lrs(100)
    assert isinstance(a, np.ndarray) and a.dtype == np.float64 and a.shape == (100,)
    monkeypatch.setattr(schedule_mod, "_np", None)
    b = s.lrs(100)
    assert isinstance(b, list) and all(isinstance(v, float) for v in b)
    assert b == a.tolist()
    assert s.lrs(0) == []


def test_lrs_million_is_one_call():
    # the speed itself is measured by bench/bench_python_lrs.py; here only that it works
    s = warmup.Schedule("warmup(5%) > cosine(to=0.1)", 3e-4, total_steps=1_000_000)
    a = s.lrs(1_000_000)
    assert len(a) == 1_000_000 and float(a[-1]) == s.lr(999_999)


# ---- properties and repr ---------------------------------------------------------------------
def test_properties_and_repr():
    s = warmup.Schedule("warmup(10%) > cosine", 3e-4, total_steps=1000, steps_per_epoch=100)
    assert s.spec == "warmup(10%) > cosine"
    assert s.base_lr == 3e-4 and isinstance(s.base_lr, float)
    assert s.total_steps == 1000 and s.steps_per_epoch == 100
    assert s.warmup_steps == 100 and isinstance(s.warmup_steps, int)
    assert s.horizon == 2 ** 63 - 1
    assert repr(s) == ("warmup.Schedule('warmup(10%) > cosine', lr=0.0003, total_steps=1000, "
                       "steps_per_epoch=100)")
    assert repr(warmup.Schedule("cosine(100)", 1)) == "warmup.Schedule('cosine(100)', lr=1.0)"
    one = warmup.Schedule("torch:OneCycleLR(max_lr=0.1, total_steps=100)", 0.1)
    assert one.horizon == 101
    assert one.lr(10_000) == one.lr(100)  # held past the horizon
    # numpy integers are steps too
    np = pytest.importorskip("numpy")
    assert s.lr(np.int64(50)) == s.lr(50)
    assert s.lr_at(50, 1.0) == pytest.approx(s.lr(50) / 3e-4, rel=1e-12)
    assert s.lr_at(50, 0.0) == 0.0  # a frozen parameter group (lr 0) is no error


# ---- errors --------------------------------------------------------------------------------
def test_spec_error_position_and_message():
    with pytest.raises(warmup.SpecError) as e:
        warmup.Schedule("warmup(5%) > cosine(to=0.1", 1e-3, total_steps=100)
    err = e.value
    assert isinstance(err, ValueError)
    assert (err.line, err.column) == (1, 27)
    assert err.message.startswith("expected ')'")
    assert str(err) == "spec:1:27: " + err.message
    with pytest.raises(warmup.SpecError) as e:
        warmup.Schedule("warmup(10%) > cosin", 1e-3, total_steps=100)
    assert (e.value.line, e.value.column) == (1, 15) and "unknown phase 'cosin'" in str(e.value)
    with pytest.raises(warmup.SpecError) as e:
        warmup.Schedule("warmup(10)\n> cosin", 1e-3, total_steps=100)
    assert (e.value.line, e.value.column) == (2, 3)
    assert e.value.message.startswith("unknown phase 'cosin'")
    # a value error without a position in the spec: 10% needs total_steps
    with pytest.raises(warmup.SpecError) as e:
        warmup.Schedule("warmup(10%) > cosine", 1e-3)
    assert "total" in str(e.value)


@pytest.mark.parametrize("args, exc, words", [
    ((123, 1.0), TypeError, "spec must be a str"),
    ((b"cosine(10)", 1.0), TypeError, "spec must be a str"),
    (("cosine(10)\0x", 1.0), ValueError, "NUL"),
    (("cosine(10)", "0.1"), TypeError, "lr must be a real number"),
    (("cosine(10)", float("nan")), ValueError, "lr must be finite"),
    (("cosine(10)", float("inf")), ValueError, "lr must be finite"),
    (("cosine(10)", -1.0), ValueError, "lr must be > 0"),
    (("cosine(10)", 0), ValueError, "lr must be > 0"),
    (("cosine(10)", True), TypeError, "lr must be a real number"),
    (("cosine(10)", 0.1, -5), ValueError, "total_steps must be >= 0"),
    (("cosine(10)", 0.1, 10.5), TypeError, "total_steps must be an integer"),
    (("cosine(10)", 0.1, 2 ** 64), ValueError, "at most 2**63 - 1"),
    (("cosine(10)", 0.1, None, "7"), TypeError, "steps_per_epoch must be an integer"),
])
def test_bad_arguments_raise(args, exc, words):
    with pytest.raises(exc) as e:
        warmup.Schedule(*args)
    assert words in str(e.value)


def test_bad_steps_raise():
    s = warmup.Schedule("warmup(10) > cosine", 0.1, total_steps=100)
    for call, exc, words in [
        (lambda: s.lr(-1), ValueError, "step must be >= 0"),
        (lambda: s(-1), ValueError, "step must be >= 0"),
        (lambda: s.lr(1.5), TypeError, "step must be an integer"),
        (lambda: s.lr("3"), TypeError, "step must be an integer"),
        (lambda: s.lr(None), TypeError, "step must be an integer"),
        (lambda: s.lr(True), TypeError, "not bool"),
        (lambda: s.lr(2 ** 70), ValueError, "at most 2**63 - 1"),
        (lambda: s.lr_at(-1, 0.1), ValueError, "step must be >= 0"),
        (lambda: s.lr_at(1, float("nan")), ValueError, "base_lr must be finite"),
        (lambda: s.lr_at(1, -0.1), ValueError, "base_lr must be >= 0"),
        (lambda: s.lr_at(1, "0.1"), TypeError, "base_lr must be a real number"),
        (lambda: s.lrs(-1), ValueError, "n must be >= 0"),
        (lambda: s.lrs(3, start=-2), ValueError, "start must be >= 0"),
        (lambda: s.lrs(2, start=2 ** 63 - 1), ValueError, "start + n"),
        (lambda: s.observe("x"), TypeError, "metric must be a real number"),
        (lambda: s.load_state(123), TypeError, "state must be bytes"),
    ]:
        with pytest.raises(exc) as e:
            call()
        assert words in str(e.value)
    assert s.lr(2 ** 63 - 1) == s.lr(10 ** 6)  # the largest step is fine


def test_failed_init_does_not_crash_in_del():
    for _ in range(100):
        with pytest.raises(warmup.SpecError):
            warmup.Schedule("warmup(", 0.1)
        with pytest.raises(TypeError):
            warmup.Schedule(None, 0.1)
    gc.collect()


# ---- plateau state, pickling, copying ----------------------------------------------------------
PLATEAU = "torch:ReduceLROnPlateau(factor=0.5, patience=1)"


def test_observe_state_and_load_state():
    s = warmup.Schedule(PLATEAU, 0.1)
    assert s.state() != b""
    reduced = [s.observe(m) for m in (1.0, 1.0, 1.0)]
    assert reduced == [0, 0, 1] and s.lr(0) == pytest.approx(0.05, rel=1e-15)
    t = warmup.Schedule(PLATEAU, 0.1)
    t.load_state(s.state())
    assert t.lr(0) == s.lr(0) and t.state() == s.state()
    with pytest.raises(ValueError):
        t.load_state(b"\0" * 3)
    with pytest.raises(ValueError):
        t.load_state(bytes(len(s.state())))  # right size, not a state
    plain = warmup.Schedule("cosine(10)", 0.1)
    assert plain.state() == b"" and plain.observe(1.0) == 0
    plain.load_state(b"")
    with pytest.raises(ValueError):
        plain.load_state(s.state())


def test_pickle_and_deepcopy_keep_everything():
    s = warmup.Schedule(PLATEAU, 0.1, total_steps=500, steps_per_epoch=50)
    for m in (1.0, 1.0, 1.0, 1.0, 1.0):
        s.observe(m)
    for t in (pickle.loads(pickle.dumps(s)), copy.deepcopy(s), copy.copy(s)):
        assert t is not s
        assert (t.spec, t.base_lr, t.total_steps, t.steps_per_epoch) == \
            (s.spec, s.base_lr, s.total_steps, s.steps_per_epoch)
        assert t.state() == s.state() and t.lr(0) == s.lr(0)
    u = pickle.loads(pickle.dumps(warmup.Schedule("warmup(10%) > cosine", 3e-4, 1000)))
    assert u.lr(500) == warmup.Schedule("warmup(10%) > cosine", 3e-4, 1000).lr(500)


def test_continuing_after_a_copy_is_identical():
    a = warmup.Schedule(PLATEAU, 0.1)
    metrics = [1.0, 0.9, 0.95, 0.97, 0.99, 0.5, 0.6, 0.7, 0.8, 0.9]
    for m in metrics[:4]:
        a.observe(m)
    b = pickle.loads(pickle.dumps(a))
    la, lb = [], []
    for m in metrics[4:]:
        a.observe(m)
        b.observe(m)
        la.append(a.lr(0))
        lb.append(b.lr(0))
    assert la == lb and la[-1] < 0.1


# ---- lr_lambda with torch's LambdaLR ----------------------------------------------------------
def test_lr_lambda_factor_and_pickle():
    f = warmup.lr_lambda("warmup(10) > cosine", 1.0, total_steps=100)
    s = warmup.Schedule("warmup(10) > cosine", 1.0, total_steps=100)
    assert [f(k) for k in range(100)] == [s.lr(k) for k in range(100)]
    g = pickle.loads(pickle.dumps(f))
    assert [g(k) for k in range(100)] == [f(k) for k in range(100)]
    h = warmup.lr_lambda("warmup(10) > cosine", lr=0.5, total_steps=100)
    assert h(5) == pytest.approx(f(5), rel=1e-15)
    assert "warmup.lr_lambda('warmup(10) > cosine'" in repr(h)
    with pytest.raises(warmup.SpecError):
        warmup.lr_lambda("warmup(10) > cosin", 1.0, total_steps=100)
    # fields replaced as LambdaLR.load_state_dict replaces them take effect
    h.__dict__.update({"spec": "constant", "lr": 0.5})
    assert h(5) == 1.0


def test_lr_lambda_drives_torch_lambdalr():
    torch = pytest.importorskip("torch")
    spec, n = "warmup(10) > cosine(to=0.1)", 60
    ref = warmup.Schedule(spec, 0.1, total_steps=n)

    def make():
        p = torch.nn.Parameter(torch.zeros(2))
        opt = torch.optim.SGD([p], lr=0.1)
        return opt, torch.optim.lr_scheduler.LambdaLR(
            opt, warmup.lr_lambda(spec, lr=0.1, total_steps=n))

    opt, sch = make()
    seen, saved = [], None
    for k in range(n):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sch.step()
        if k == 24:
            buf = io.BytesIO()
            torch.save({"opt": opt.state_dict(), "sched": sch.state_dict()}, buf)
            saved = buf.getvalue()
    assert max(rel(a, ref.lr(k)) for k, a in enumerate(seen)) <= TOL
    # the lambda is an object, so LambdaLR's state_dict keeps it; a resumed run continues alike
    st = torch.load(io.BytesIO(saved))
    # plain values only (no parsed object, nothing of this package to unpickle); torch 1.13's
    # torch.load(weights_only=True) cannot read it all the same (see test_weights_only_claim)
    assert st["sched"]["lr_lambdas"][0] == {"spec": spec, "lr": 0.1, "total_steps": n,
                                            "steps_per_epoch": None}
    opt2, sch2 = make()
    opt2.load_state_dict(st["opt"])
    sch2.load_state_dict(st["sched"])
    rest = []
    for k in range(25, n):
        rest.append(opt2.param_groups[0]["lr"])
        opt2.step()
        sch2.step()
    assert rest == seen[25:]
    # and the whole scheduler pickles (a plain lambda would not)
    pickle.loads(pickle.dumps(sch.lr_lambdas[0]))


# ---- finding the library ---------------------------------------------------------------------
def test_missing_library_says_how_to_build(tmp_path):
    # a copy of the package with no .so beside it and no build/ above it, WARMUP_LIB pointing
    # nowhere, and no libwarmup on the system path
    pkg = tmp_path / "site" / "warmup"
    shutil.copytree(os.path.join(ROOT, "python", "warmup"), pkg,
                    ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    env = dict(os.environ, WARMUP_LIB="/nonexistent/libwarmup.so", PYTHONPATH=str(pkg.parent),
               LD_LIBRARY_PATH="")
    r = subprocess.run([sys.executable, "-c", "import warmup"], env=env, cwd=str(tmp_path),
                       capture_output=True, text=True, timeout=60)
    if r.returncode == 0:
        pytest.skip("libwarmup is installed on the system library path")
    assert "ImportError" in r.stderr
    assert "make" in r.stderr and "WARMUP_LIB" in r.stderr
    assert "/nonexistent/libwarmup.so (missing)" in r.stderr


def test_warmup_lib_is_honoured(tmp_path):
    pkg = tmp_path / "site" / "warmup"
    shutil.copytree(os.path.join(ROOT, "python", "warmup"), pkg,
                    ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    lib = os.path.join(BUILD, "libwarmup.so")
    env = dict(os.environ, WARMUP_LIB=lib, PYTHONPATH=str(pkg.parent))
    r = subprocess.run([sys.executable, "-c",
                        "import warmup; print(warmup.library_path); "
                        "print(warmup.plot('cosine', 1.0, 10)[:5])"],
                       env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [lib, "<?xml"]


def test_import_from_checkout_finds_build():
    r = subprocess.run([sys.executable, "-c", "import warmup; print(warmup.library_path)"],
                       env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"),
                                WARMUP_LIB=""),
                       cwd="/", capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert os.path.samefile(r.stdout.strip(), os.path.join(ROOT, "build", "libwarmup.so"))


def test_make_python_installs_a_working_package(tmp_path):
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    r = subprocess.run(["make", "-s", "python", "PYTHON_PREFIX=" + str(tmp_path),
                        "PYTHON=" + sys.executable, "B=" + BUILD],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "installed the Python package warmup into %s/warmup" % tmp_path in r.stdout
    names = sorted(os.listdir(tmp_path / "warmup"))
    assert "libwarmup.so" in names and "libwarmup_plot.so" in names and "schedule.py" in names
    r = subprocess.run([sys.executable, "-c", "import warmup; print(warmup.library_path); "
                        "print(warmup.Schedule('warmup(10) > cosine', 1.0, 100).lr(5))"],
                       env=dict(os.environ, PYTHONPATH=str(tmp_path), WARMUP_LIB=""),
                       cwd="/", capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    path, v = r.stdout.split()
    assert path == str(tmp_path / "warmup" / "libwarmup.so") and float(v) == 0.5


def test_system_library_path_is_the_last_resort(tmp_path):
    # `make install` puts libwarmup.so.0.3 and libwarmup_plot.so.0.3 on a library path; a package
    # without libraries beside it and away from the checkout finds them there
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    prefix = tmp_path / "usr"
    r = subprocess.run(["make", "-s", "install", "PREFIX=" + str(prefix), "B=" + BUILD],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    pkg = tmp_path / "site" / "warmup"
    shutil.copytree(os.path.join(ROOT, "python", "warmup"), pkg,
                    ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    env = dict(os.environ, WARMUP_LIB="", PYTHONPATH=str(pkg.parent),
               LD_LIBRARY_PATH=str(prefix / "lib"))
    r = subprocess.run([sys.executable, "-c", "import warmup; print(warmup.library_path); "
                        "print(warmup.plot('cosine', 1.0, 10)[:5])"],
                       env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["libwarmup.so.0.3", "<?xml"]


def test_version_is_the_headers():
    with open(os.path.join(ROOT, "include", "warmup.h")) as f:
        want = next(line.split('"')[1] for line in f if line.startswith("#define WU_VERSION"))
    assert warmup.__version__ == want
