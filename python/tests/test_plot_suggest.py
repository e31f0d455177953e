"""warmup.suggest() and warmup.plot() against the CLI's `warmup suggest --format json` and
`warmup plot -o FILE` (same C code, so the same numbers and the same bytes)."""
import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from conftest import BUILD, CLI

import warmup

needs_cli = pytest.mark.skipif(not os.path.exists(CLI), reason="build/warmup is not built")


def cli(*args):
    r = subprocess.run([CLI, *args], capture_output=True, timeout=120,
                       env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert r.returncode == 0, r.stderr.decode()
    return r.stdout


# ---- suggest -------------------------------------------------------------------------------
SUGGEST_CASES = [
    (dict(total_steps=100000, optimizer="sgd", base_lr=1e-4, base_batch=256, base_warmup=1000,
          batch=8192),
     ["--steps", "100000", "--optimizer", "sgd", "--base-lr", "1e-4", "--base-batch", "256",
      "--base-warmup", "1000", "--batch", "8192"]),
    (dict(epochs=3, dataset_size=10000, batch=32, scenario="bert-finetune"),
     ["--epochs", "3", "--dataset-size", "10000", "--batch", "32", "--scenario",
      "bert-finetune"]),
    (dict(total_steps=5000, optimizer="adam", beta2=0.99, lr=3e-4, decay="wsd"),
     ["--steps", "5000", "--optimizer", "adam", "--beta2", "0.99", "--lr", "3e-4", "--decay",
      "wsd"]),
]


@needs_cli
@pytest.mark.parametrize("kw, args", SUGGEST_CASES)
def test_suggest_matches_the_cli(kw, args):
    s = warmup.suggest(**kw)
    j = json.loads(cli("suggest", *args, "--format", "json"))
    assert s.spec == j["spec"] and s.hf_spec == j["hf_spec"]
    assert s.warmup_steps == j["warmup_steps"] and s.total_steps == j["total_steps"]
    assert s.steps_per_epoch == j["steps_per_epoch"]
    assert s.lr == j["lr"]  # both None when no LR can be said
    assert s.rule == j["picked"] and s.conflicts == j["conflicts"]
    assert [(r.name, r.source, r.low, r.high, r.steps, r.note) for r in s.rules] == \
        [(r["rule"], r["source"], r["low"], r["high"], r["steps"], r["note"]) for r in j["rules"]]
    assert s.rules[s.picked].name == s.rule
    assert s.why and s.lr_rule


def test_suggest_known_case():
    s = warmup.suggest(100000, optimizer="sgd", base_lr=1e-4, base_batch=256,
                       base_warmup=1000, batch=8192)
    assert s.spec == "warmup(32000) > cosine" and s.warmup_steps == 32000
    assert s.lr == pytest.approx(0.0032, rel=1e-15)
    assert s.rule == "batch scaling of the reference warmup"
    assert "Goyal" in s.lr_rule
    sch = s.schedule()
    assert sch.warmup_steps == 32000 and sch.lr(32000) == pytest.approx(s.lr, rel=1e-12)


@pytest.mark.parametrize("kw, exc, words", [
    (dict(), ValueError, "total_steps"),
    (dict(total_steps=-1), ValueError, "total_steps must be >= 1"),
    (dict(total_steps=100, optimizer="lion"), ValueError, "optimizer must be one of sgd"),
    (dict(total_steps=100, optimizer=1), TypeError, "optimizer must be a str"),
    (dict(total_steps=100, scenario="huge"), ValueError, "scenario must be one of"),
    (dict(total_steps=100, decay="step"), ValueError, "decay must be one of"),
    (dict(total_steps=100, beta2=1.0), ValueError, "beta2 must be in [0, 1)"),
    (dict(total_steps=100, lr=float("nan")), ValueError, "lr must be finite"),
    (dict(total_steps=100, batch=2.5), TypeError, "batch must be an integer"),
    (dict(total_steps=100, base_warmup=500), ValueError, "warmup"),
    # an overflowing peak LR is refused, as `warmup suggest` refuses it
    (dict(total_steps=1000, optimizer="sgd", base_lr=1e308, base_batch=1, batch=100000),
     ValueError, "not finite"),
])
def test_suggest_bad_input(kw, exc, words):
    with pytest.raises(exc) as e:
        warmup.suggest(**kw)
    assert words in str(e.value)


# ---- plot ----------------------------------------------------------------------------------
SVG = "{http://www.w3.org/2000/svg}"

PLOT_CASES = [
    (dict(specs=["cosine", "warmup(10%) > cosine"], lr=1.0, steps=1000),
     ["cosine", "warmup(10%) > cosine", "-n", "1000"]),
    (dict(specs="torch:OneCycleLR(max_lr=0.1, total_steps=499)", lr=0.1, steps=500, log_y=True,
          title="one <cycle> & more", labels=["1cycle"]),
     ["torch:OneCycleLR(max_lr=0.1, total_steps=499)", "--lr", "0.1", "-n", "500", "--log-y",
      "-t", "one <cycle> & more", "--labels", "1cycle"]),
    (dict(specs=["warmup(1ep) > linear", "hf:cosine(num_warmup_steps=3)", "constant"], lr=3e-4,
          steps=50, steps_per_epoch=10, width=300, height=300),
     ["warmup(1ep) > linear", "hf:cosine(num_warmup_steps=3)", "constant", "--lr", "3e-4",
      "-n", "50", "-e", "10", "--width", "300", "--height", "300"]),
]


@needs_cli
@pytest.mark.parametrize("kw, args", PLOT_CASES)
def test_plot_is_the_clis_svg(kw, args, tmp_path):
    out = tmp_path / "cli.svg"
    cli("plot", *args, "-o", str(out))
    path = tmp_path / "py.svg"
    svg = warmup.plot(path=str(path), **kw)
    assert svg.encode() == out.read_bytes()
    assert path.read_bytes() == out.read_bytes()
    assert sorted(os.listdir(tmp_path)) == ["cli.svg", "py.svg"]  # no temporary file left
    root = ET.fromstring(svg.encode())
    assert root.tag == SVG + "svg"
    assert root.find(SVG + "title") is not None
    assert len(root.findall(".//" + SVG + "polyline")) + len(root.findall(".//" + SVG + "path")) \
        >= len(kw["specs"] if isinstance(kw["specs"], list) else [1])


def test_plot_is_well_formed_svg_with_legend():
    svg = warmup.plot(["cosine", "warmup(10%) > cosine"], 1.0, 200,
                      labels=["plain", "with warmup"])
    root = ET.fromstring(svg.encode())
    texts = [t.text for t in root.iter(SVG + "text")]
    assert "plain" in texts and "with warmup" in texts
    assert "Learning rate over 200 steps (base LR 1)" in svg


def test_plot_overwrites_a_file_whole(tmp_path):
    p = tmp_path / "lr.svg"
    p.write_text("old")
    warmup.plot("cosine", 1.0, 10, path=p)
    assert p.read_text().startswith("<?xml") and os.listdir(tmp_path) == ["lr.svg"]
    with pytest.raises(warmup.SpecError):
        warmup.plot("cosin", 1.0, 10, path=p)
    assert p.read_text().startswith("<?xml")  # a failed plot leaves the file alone
    with pytest.raises(FileNotFoundError):
        warmup.plot("cosine", 1.0, 10, path=tmp_path / "no" / "such" / "dir.svg")
    assert os.listdir(tmp_path) == ["lr.svg"]


@pytest.mark.parametrize("kw, exc, words", [
    (dict(specs="warmup(10%) > cosin", steps=100), warmup.SpecError, "unknown phase 'cosin'"),
    (dict(specs=[], steps=100), ValueError, "give 1 to 8 specs"),
    (dict(specs=["cosine"] * 9, steps=100), ValueError, "give 1 to 8 specs"),
    (dict(specs=5, steps=100), TypeError, "specs must be a str or a list"),
    (dict(specs=["cosine", 5], steps=100), TypeError, "spec must be a str"),
    (dict(specs="cosine"), TypeError, "steps is required"),
    (dict(specs="cosine", steps=0), ValueError, "steps must be >= 1"),
    (dict(specs="cosine", steps=10 ** 9), ValueError, "too many points"),
    (dict(specs="cosine", steps=10, lr=float("nan")), ValueError, "lr must be finite"),
    (dict(specs=["cosine", "linear"], steps=10, labels=["a"]), ValueError, "one per spec"),
    (dict(specs="cosine", steps=10, title=3), TypeError, "title must be a str"),
    (dict(specs="cosine", steps=10, width=50), ValueError, "width must be >= 200"),
    (dict(specs="torch:OneCycleLR(max_lr=0.1, total_steps=50)", steps=100), ValueError,
     "is defined for 51 steps"),
])
def test_plot_bad_input(kw, exc, words):
    with pytest.raises(exc) as e:
        warmup.plot(**kw)
    assert words in str(e.value)


def test_plot_library_exports_only_its_api():
    nm = shutil.which("nm")
    if not nm:
        pytest.skip("nm (binutils) is not installed")
    out = subprocess.run([nm, "-D", "--defined-only", os.path.join(BUILD, "libwarmup_plot.so")],
                         capture_output=True, text=True, check=True).stdout
    names = sorted(line.split()[-1] for line in out.splitlines() if line.strip())
    assert names == ["wu_plot_free", "wu_plot_svg"]
    ldd = shutil.which("ldd")
    if ldd:
        deps = subprocess.run([ldd, os.path.join(BUILD, "libwarmup_plot.so")],
                              capture_output=True, text=True).stdout
        for lib in ("cjson", "openblas", "gomp", "libz"):
            assert lib not in deps
