#!/bin/sh
# test_lab.sh - `warmup sweep`, `warmup study` and `warmup report` from the outside: the grid,
# results.csv and LR sensitivity recomputed independently, resume after SIGINT and SIGKILL equal
# to an uninterrupted sweep, divergence marks, every --quick study, the registry (study --list),
# reports that only read (a copied, an edited and a data-less study directory), the demo's page
# redrawn byte for byte, reports of every kind of directory, and bad input.
# Usage: sh tests/test_lab.sh build/warmup
W=${1:-build/warmup}
export OMP_NUM_THREADS=1 # pinned: comparable timings, the same run bit for bit
pass=0; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
py() { /usr/bin/python3 -c "$@"; }
TINY="--layers 1 --heads 2 --dim 32 --seq 16 --batch 4"

# ---- a sweep: the grid, results.csv, sensitivity, charts, report ----
"$W" sweep $TINY --steps 40 --lrs 1e-3,1e-2 --warmups 0,25% --seeds 2 --out "$tmp/s" > "$tmp/s.txt" 2>&1; rc=$?
[ $rc -eq 0 ] && ok || { bad "sweep exited $rc"; cat "$tmp/s.txt"; }
[ "$(wc -l < "$tmp/s/results.csv")" -eq 9 ] && ok || bad "results.csv has a header and 2x2x2 rows"
head -1 "$tmp/s/results.csv" | grep -q '^lr,warmup,seed,final_loss,best_loss,diverged,' && ok || bad "results.csv header"
for d in lr0.001-w0-seed1 lr0.001-w0-seed2 lr0.01-w25pct-seed1 lr0.01-w25pct-seed2; do
    [ -s "$tmp/s/$d/summary.json" ] && ok || bad "run directory $d"
done
grep -q '"schedule": "warmup(25%) > cosine(to=0.1)"' "$tmp/s/lr0.01-w25pct-seed1/summary.json" && ok || bad "a warmup run's schedule is warmup(25%) > the decay"
grep -q '"seed": 2,' "$tmp/s/lr0.01-w25pct-seed2/summary.json" && ok || bad "the second seed is base+1"
# LR sensitivity recomputed from results.csv (Wortsman et al.: mean over LRs of
# min(final, initial) - best, seeds averaged first)
py '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
sens = {r["warmup"]: float(r["lr_sensitivity"]) for r in csv.DictReader(open(sys.argv[2]))}
cells = {}
for r in rows:
    l0 = float(r["first_loss"]); f = r["final_loss"]
    v = min(float(f), l0) if f and r["diverged"] == "0" else l0
    cells.setdefault((r["warmup"], r["lr"]), []).append(v)
for w in set(k[0] for k in cells):
    m = [sum(v) / len(v) for k, v in cells.items() if k[0] == w]
    want = sum(x - min(m) for x in m) / len(m)
    assert abs(want - sens[w]) < 2e-5, (w, want, sens[w])
' "$tmp/s/results.csv" "$tmp/s/sensitivity.csv" && ok || bad "LR sensitivity matches an independent computation"
for f in loss-vs-lr.svg heatmap.svg sensitivity.svg; do
    xmllint --noout "$tmp/s/$f" 2>/dev/null && ok || bad "$f is well-formed XML"
done
grep -q 'data-log="1"' "$tmp/s/loss-vs-lr.svg" && ok || bad "final loss against LR has a log x axis"
[ "$(grep -o 'class="cell"' "$tmp/s/heatmap.svg" | wc -l)" -eq 4 ] && ok || bad "the heatmap has 2x2 cells"
[ "$(grep -o '<svg' "$tmp/s/report.html" | wc -l)" -ge 3 ] && grep -q '<table' "$tmp/s/report.html" && ok || bad "report.html has the charts and the table"
grep -q 'warmup sweep --layers 1' "$tmp/s/report.html" && ok || bad "report.html says how to rerun"
grep -q 'LR sensitivity' "$tmp/s.txt" && grep -q 'lowest final loss' "$tmp/s.txt" && ok || bad "the sweep prints its table and conclusion"
# rerun: nothing to do, the same results
cp "$tmp/s/results.csv" "$tmp/s-results.csv"
"$W" sweep $TINY --steps 40 --lrs 1e-3,1e-2 --warmups 0,25% --seeds 2 --out "$tmp/s" > "$tmp/s2.txt" 2>&1 && ok || bad "rerun exited non-zero"
grep -q '0 to run, 8 already finished' "$tmp/s2.txt" && ok || bad "a rerun skips finished runs: $(head -3 "$tmp/s2.txt")"
cmp -s "$tmp/s/results.csv" "$tmp/s-results.csv" && ok || bad "a rerun keeps results.csv"
# another grid in the same directory is refused
"$W" sweep $TINY --steps 40 --lrs 1e-3,3e-2 --warmups 0,25% --out "$tmp/s" > /dev/null 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q 'other settings' "$tmp/err" && ok || bad "another grid in a used directory: exit 2 ($rc): $(cat "$tmp/err")"
# warmup report redraws the same page
cp "$tmp/s/report.html" "$tmp/s-report.html"
"$W" report "$tmp/s" > /dev/null && cmp -s "$tmp/s/report.html" "$tmp/s-report.html" && ok || bad "warmup report on a sweep redraws the same report.html"

# ---- resume: after SIGINT and after SIGKILL, equal to the uninterrupted sweep ----
GRID="$TINY --steps 300 --lrs 1e-3,3e-3 --warmups 0,10% --jobs 1 --checkpoint-every 50"
"$W" sweep $GRID --out "$tmp/ref" -q > /dev/null 2>&1 && ok || bad "reference sweep"
for sig in INT KILL; do
    d="$tmp/r$sig"
    "$W" sweep $GRID --out "$d" -q > /dev/null 2>&1 &
    pid=$!
    i=0
    # wait for the first run to finish (up to 2 minutes: a loaded machine once took over 15 s)
    while [ ! -s "$d/lr0.001-w0-seed1/summary.json" ] && [ $i -lt 2400 ]; do sleep 0.05; i=$((i + 1)); done
    sleep 0.3
    kill -$sig $pid
    { wait $pid; } 2> /dev/null; rc=$?
    if [ $sig = INT ]; then
        [ $rc -eq 130 ] && ok || bad "SIGINT: sweep exit 130, got $rc"
    fi
    sleep 0.5 # orphaned children (SIGKILL) get SIGTERM from the kernel and checkpoint
    n=$(grep -l '"status": "completed"' "$d"/*/summary.json 2>/dev/null | wc -l)
    [ "$n" -ge 1 ] && [ "$n" -lt 4 ] && ok || bad "$sig: some runs finished before the stop ($n of 4)"
    "$W" sweep $GRID --out "$d" -q > /dev/null 2>&1 && ok || bad "$sig: the rerun finishes"
    cmp -s "$d/results.csv" "$tmp/ref/results.csv" && ok || bad "$sig: resumed sweep equals the uninterrupted one: $(diff "$d/results.csv" "$tmp/ref/results.csv" | head -4)"
done

# ---- a run that fails: exit 1, the others reported ----
mkdir -p "$tmp/f/lr0.01-w0-seed1/metrics.csv"   # a directory where the file must go
"$W" sweep $TINY --steps 20 --lrs 1e-3,1e-2 --warmups 0 --out "$tmp/f" -q > /dev/null 2> "$tmp/err"; rc=$?
[ $rc -eq 1 ] && grep -q '1 of 2 runs failed' "$tmp/err" && ok || bad "a failed run: exit 1 and a message ($rc): $(cat "$tmp/err")"
grep -q "^warmup: run $tmp/f/lr0.01-w0-seed1: ." "$tmp/err" && ok || bad "the failed run's own message is printed by the CLI: $(cat "$tmp/err")"
grep -q '^0.001,0,1,[0-9]' "$tmp/f/results.csv" && grep -q '^0.01,0,1,,' "$tmp/f/results.csv" && [ -s "$tmp/f/report.html" ] && ok || bad "the finished run is reported, the failed one is empty"

# ---- divergence is marked ----
"$W" sweep $TINY --steps 40 --lrs 1e-2,3 --warmups 0 --optimizer sgd --out "$tmp/dv" -q > /dev/null 2>&1 && ok || bad "a diverging sweep still reports"
grep -q '^3,0,1,,.*,1,' "$tmp/dv/results.csv" && ok || bad "results.csv marks the diverged run: $(tail -1 "$tmp/dv/results.csv")"
grep -q 'class="flagged"' "$tmp/dv/loss-vs-lr.svg" && ok || bad "the diverged run is marked on the chart"
grep -q 'nan-mark' "$tmp/dv/heatmap.svg" && ok || bad "the diverged cell is marked on the heatmap"

# ---- every study, --quick ----
# without Debian's dataset-fashion-mnist, batch-scaling runs on random IDX files of the same shape
# (its numbers mean nothing then; its plan, runs and page are what is tested)
FM=""
if [ ! -r /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
    mkdir -p "$tmp/fm" && FM="--data $tmp/fm"
    py 'import random, struct, sys
r = random.Random(1)
for name, n in (("train", 2000), ("t10k", 300)):
    with open(sys.argv[1] + "/" + name + "-images-idx3-ubyte", "wb") as f:
        f.write(struct.pack(">IIII", 2051, n, 28, 28) + bytes(r.randrange(256) for _ in range(n * 784)))
    with open(sys.argv[1] + "/" + name + "-labels-idx1-ubyte", "wb") as f:
        f.write(struct.pack(">II", 2049, n) + bytes(r.randrange(10) for _ in range(n)))' "$tmp/fm"
    echo "note: batch-scaling runs on random images (Debian's dataset-fashion-mnist is not installed)"
fi
for s in lr-range optimizers layernorm adam-first-steps batch-scaling stable-lr; do
    extra=""; [ $s = batch-scaling ] && extra=$FM
    "$W" study $s --quick $extra --out "$tmp/st-$s" > "$tmp/st-$s.txt" 2>&1; rc=$?
    [ $rc -eq 0 ] && ok || { bad "study $s --quick exited $rc"; tail -5 "$tmp/st-$s.txt"; }
    py 'import json,sys; d=json.load(open(sys.argv[1])); assert d["name"]==sys.argv[2] and d["quick"] and len(d["runs"])>=4 and all(len(r["label"])>3 and "lr" in r["config"] for r in d["runs"]); assert len(open(sys.argv[3]).read())>40' \
        "$tmp/st-$s/study.json" $s "$tmp/st-$s/conclusion.txt" && ok || bad "study $s: study.json with the plan, conclusion.txt"
    for f in "$tmp/st-$s"/*.svg; do xmllint --noout "$f" 2>/dev/null || bad "$f is not XML"; done
    [ "$(grep -o '<svg' "$tmp/st-$s/report.html" | wc -l)" -ge 1 ] && grep -q '<table' "$tmp/st-$s/report.html" && ok || bad "study $s: report.html has charts and the table"
    if [ $s != lr-range ]; then
        grep -q '^Expected (' "$tmp/st-$s.txt" && grep -q '^Measured: ' "$tmp/st-$s.txt" && ok || bad "study $s prints the expectation and the measurement"
    fi
    cp "$tmp/st-$s/report.html" "$tmp/st-report.html"
    "$W" report "$tmp/st-$s" > /dev/null && cmp -s "$tmp/st-$s/report.html" "$tmp/st-report.html" && ok || bad "warmup report redraws study $s"
done
grep -q 'Post-LN' "$tmp/st-layernorm/grad-norm-init.svg" && ok || bad "the layernorm study charts gradient norms at init"
py 'import json,sys; d=json.load(open(sys.argv[1])); m=d["measured"]; assert [(v["name"], v["group"], len(v["values"])) for v in m]==[(n, g, k) for g in (0, 1) for n, k in (("grad_norm_init", 2), ("grad_norm_init_L2", 2), ("grad_norm_init_L3", 3))]' \
    "$tmp/st-layernorm/study.json" && ok || bad "the layernorm study wrote its gradient norms at init, at its depth and at 2 and 3 layers, into study.json"
grep -q 'mean +/- sd over 2 seeds' "$tmp/st-lr-range/conclusion.txt" && py 'import json,sys; d=json.load(open(sys.argv[1])); assert d["constants"]["seeds"]==2 and len(d["runs"])==12 and d["runs"][1]["config"]["seed"]==d["runs"][0]["config"]["seed"]+1' "$tmp/st-lr-range/study.json" && ok || bad "lr-range plans seeds and weighs the high-LR sensitivity against them: $(cat "$tmp/st-lr-range/conclusion.txt")"
grep -q 'Post-LN' "$tmp/st-layernorm/grad-ratio-vs-depth.svg" && ok || bad "the layernorm study charts the last/first ratio against depth"

# ---- stable-lr: the bisection's rounds, its page, a resume that continues where it stopped ----
S=$tmp/st-stable-lr
py 'import json,sys; d=json.load(open(sys.argv[1])); n=[r["dir"] for r in d["runs"]]
assert len(n)==20 and sum("-r1" in x for x in n)==4 and sum("-r2" in x for x in n)==4, n
assert sum(x.startswith("sharp-") and r["config"]["sharpness_every"]>0 for x, r in zip(n, d["runs"]))==4
assert d["constants"]["rounds"]==2 and d["constants"]["train_frac"]==0.9' "$S/study.json" && ok || bad "stable-lr: study.json holds the ends, two rounds of 4 and the sharpness runs"
grep -q 'The bisection.s resolution: the widest closed bracket spans a factor of' "$S/conclusion.txt" && grep -Eq 'Longer warmup, AdamW: (held|did not hold|not resolved)' "$S/conclusion.txt" && grep -Eq 'GI-Adam without warmup: (held|did not hold|not resolved)' "$S/conclusion.txt" && ok || bad "stable-lr's conclusion: resolution and both verdicts: $(cat "$S/conclusion.txt")"
grep -q 'trains when it did not diverge and its final loss' "$S/report.html" && ok || bad "stable-lr's page defines diverged and trains"
[ -s "$S/stable-lr.svg" ] && grep -q 'peak LR' "$S/stable-lr.svg" && grep -q '38 = 2 (1 + beta1)' "$S/precond-sharpness.svg" && [ -s "$S/sharpness.svg" ] && ok || bad "stable-lr draws the largest stable LR and both sharpness charts"
py 'import csv,sys; rows=list(csv.DictReader(open(sys.argv[1]))); assert sum(r["precond_sharpness_lr"]!="" for r in rows)>=5' "$S/sharp-adamw-w0/metrics.csv" && ok || bad "the sharpness runs probed"
# a rerun runs nothing; study.json cut back to its first round is continued with the same runs
find "$S" -name metrics.csv | LC_ALL=C sort | xargs md5sum > "$tmp/sl.md5"
"$W" study stable-lr --quick --out "$S" > "$tmp/sl2.txt" 2>&1 &&  grep -q '(0 to run' "$tmp/sl2.txt" && ! grep -q '([1-9][0-9]* to run' "$tmp/sl2.txt" && ok || bad "a rerun of stable-lr runs nothing: $(cat "$tmp/sl2.txt" | head -3)"
cp "$S/study.json" "$tmp/sl-full.json"
py 'import json,sys; p=sys.argv[1]; d=json.load(open(p)); d["runs"]=[r for r in d["runs"] if "-r" not in r["dir"]]; json.dump(d, open(p,"w"))' "$S/study.json"
rm -rf "$S"/*-r2
"$W" report "$S" > /dev/null && grep -q '4 brackets have rounds left: rerun the study' "$S/conclusion.txt" && ok || bad "a stable-lr page of a study stopped between rounds says so: $(tail -c 160 "$S/conclusion.txt")"
"$W" study stable-lr --quick --out "$S" > "$tmp/sl3.txt" 2>&1 &&  grep -q '(4 to run' "$tmp/sl3.txt" && ok || bad "a study stopped after round 1 reruns only round 2's 4 runs: $(grep 'to run' "$tmp/sl3.txt")"
py 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); assert [(r["dir"], r["config"]["lr"]) for r in a["runs"]]==[(r["dir"], r["config"]["lr"]) for r in b["runs"]]' "$S/study.json" "$tmp/sl-full.json" && ok || bad "the resumed study planned the same rounds"
grep -v -- '-r2/' "$tmp/sl.md5" > "$tmp/sl.kept"
find "$S" -name metrics.csv ! -path '*-r2/*' | LC_ALL=C sort | xargs md5sum | cmp -s - "$tmp/sl.kept" && ok || bad "the resume rewrote a finished run"
# a study.json that is not stable-lr's plan: exit 2, named
cp -r "$S" "$tmp/sl-bad"
py 'import json,sys; p=sys.argv[1]; d=json.load(open(p)); del d["constants"]["nwarm"]; json.dump(d, open(p,"w"))' "$tmp/sl-bad/study.json"
"$W" report "$tmp/sl-bad" > /dev/null 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q 'not a stable-lr plan' "$tmp/err" && ok || bad "report on a broken stable-lr plan: exit 2 ($rc): $(cat "$tmp/err")"
"$W" study stable-lr --quick --out "$tmp/sl-bad" > /dev/null 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q 'not a stable-lr plan' "$tmp/err" && ok || bad "resuming a broken stable-lr plan: exit 2 ($rc): $(cat "$tmp/err")"

# ---- warmup study --list: the registry ----
"$W" study --list > "$tmp/list.txt" 2>&1 && ok || bad "study --list exited non-zero"
[ "$(cut -f1 "$tmp/list.txt" | tr '\n' ' ')" = "lr-range batch-scaling optimizers layernorm adam-first-steps stable-lr auto-warmup " ] && ok || bad "study --list names the studies: $(cat "$tmp/list.txt")"
[ "$(awk -F '\t' 'NF == 2 && length($2) > 20' "$tmp/list.txt" | wc -l)" -eq 7 ] && ok || bad "study --list gives each a claim after a tab"
expect_list=$(cut -f1 "$tmp/list.txt" | head -1)
"$W" study --help | grep -q "  $expect_list " && ok || bad "study --help lists the registry"

# ---- reports only read: the page comes from study.json and the runs' files ----
# a copied directory renders the same page
cp -r "$tmp/st-optimizers" "$tmp/st-copy"
"$W" report "$tmp/st-copy" > /dev/null && cmp -s "$tmp/st-copy/report.html" "$tmp/st-optimizers/report.html" && ok || bad "a copied study directory renders the same page"
# a label, a group name and a constant edited in study.json show on the page
py 'import json,sys
p=sys.argv[1]; d=json.load(open(p))
d["runs"][0]["label"]="EDITED-LABEL"; d["groups"][1]="EDITED-GROUP"; d["constants"]["warmup_frac"]=0.5
json.dump(d, open(p,"w"))' "$tmp/st-copy/study.json"
"$W" report "$tmp/st-copy" > /dev/null 2> "$tmp/err" && ok || bad "report on an edited study.json: $(cat "$tmp/err")"
grep -q 'EDITED-LABEL' "$tmp/st-copy/report.html" && grep -q 'EDITED-GROUP' "$tmp/st-copy/report.html" && ok || bad "the page shows the labels and groups of study.json"
grep -q 'with a 50% linear warmup' "$tmp/st-copy/report.html" && ok || bad "the page quotes the plan's constants from study.json"
# layernorm: no training and no measuring when rendering: the runs' data gone, the gradient norms
# at init read from study.json, and quick
cp -r "$tmp/st-layernorm" "$tmp/ln-copy"
py 'import json,sys
p=sys.argv[1]; d=json.load(open(p))
for r in d["runs"]: r["config"]["data"]="/nonexistent/corpus.txt"; r["config"]["layers"]=24
m={(v["name"], v["group"]): v for v in d["measured"]}
m["grad_norm_init", 0]["values"]=[1, 7]; m["grad_norm_init", 1]["values"]=[1, 3]
json.dump(d, open(p,"w"))' "$tmp/ln-copy/study.json"
rm -f "$tmp/ln-copy"/*/checkpoint.bin
# a configuration out of the field table's range is refused, naming the run and the field
cp -r "$tmp/ln-copy" "$tmp/ln-bad"
py 'import json,sys
p=sys.argv[1]; d=json.load(open(p)); d["runs"][0]["config"]["layers"]=999; json.dump(d, open(p,"w"))' "$tmp/ln-bad/study.json"
"$W" report "$tmp/ln-bad" > /dev/null 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "study.json: run '.*': layers" "$tmp/err" && ok || bad "a study.json run with layers 999 is refused naming the run and the field (rc $rc): $(cat "$tmp/err")"
timeout 20 "$W" report "$tmp/ln-copy" > /dev/null 2> "$tmp/err" && ok || bad "layernorm renders without its data: $(cat "$tmp/err")"
grep -q "7.00x the first layer&apos;s in Pre-LN and 3.00x in Post-LN" "$tmp/ln-copy/report.html" && grep -q 'The 24-layer GPT' "$tmp/ln-copy/report.html" && grep -q "does not show Xiong et al.&apos;s pattern" "$tmp/ln-copy/report.html" && ok || bad "layernorm's page reads the gradient norms and the model from study.json"
# the verdicts on the gradient norms follow the numbers: held, partly, and the ratios by depth
for case in "2,2 1,1.5 held as Xiong et al. found" "1,0.5 1,0.9 partly Pre-LN&apos;s are not level"; do
    set -- $case; pre=$1 post=$2; shift 2; want="$*"
    py 'import json,sys
p=sys.argv[1]; d=json.load(open(p)); m={(v["name"], v["group"]): v for v in d["measured"]}
m["grad_norm_init", 0]["values"]=[float(x) for x in sys.argv[2].split(",")]
m["grad_norm_init", 1]["values"]=[float(x) for x in sys.argv[3].split(",")]
m["grad_norm_init_L2", 0]["values"]=[1, 1]; m["grad_norm_init_L2", 1]["values"]=[1, 1.2]
m["grad_norm_init_L3", 0]["values"]=[1, 1, 0.9]; m["grad_norm_init_L3", 1]["values"]=[1, 1.2, 1.4]
json.dump(d, open(p,"w"))' "$tmp/ln-copy/study.json" "$pre" "$post"
    "$W" report "$tmp/ln-copy" > /dev/null 2> "$tmp/err" || bad "layernorm renders: $(cat "$tmp/err")"
    grep -q "${want#* }" "$tmp/ln-copy/report.html" && grep -q '2 layers 1.00x and 1.20x; 3 layers 0.90x and 1.40x' "$tmp/ln-copy/report.html" && ok || bad "layernorm's verdict for Pre-LN $pre, Post-LN $post says '$want': $(cat "$tmp/ln-copy/conclusion.txt")"
done
# a study.json of another kind of study is refused with a message
py 'import json,sys
p=sys.argv[1]; d=json.load(open(p)); d["name"]="no-such-study"; json.dump(d, open(p,"w"))' "$tmp/ln-copy/study.json"
"$W" report "$tmp/ln-copy" > /dev/null 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "does not know ('no-such-study')" "$tmp/err" && ok || bad "an unknown study in study.json: exit 2 ($rc): $(cat "$tmp/err")"

# ---- the demo: a plan and a page like the studies; warmup report redraws it ----
"$W" demo --out "$tmp/demo" --steps 12 --batch 2 > "$tmp/demo.txt" 2>&1 && ok || bad "demo: $(tail -3 "$tmp/demo.txt")"
py 'import json,sys; d=json.load(open(sys.argv[1])); assert d["name"]=="demo" and [r["dir"] for r in d["runs"]]==["none","linear","exp"] and d["constants"]["warmup"]=="25%"' \
    "$tmp/demo/study.json" && ok || bad "the demo writes its plan to study.json"
cp "$tmp/demo/report.html" "$tmp/demo-report.html"; cp "$tmp/demo/summary.json" "$tmp/demo-summary.json"
rm "$tmp/demo/loss.svg"
"$W" report "$tmp/demo" > /dev/null && cmp -s "$tmp/demo/report.html" "$tmp/demo-report.html" && cmp -s "$tmp/demo/summary.json" "$tmp/demo-summary.json" && [ -s "$tmp/demo/loss.svg" ] && ok || bad "warmup report on a demo redraws its page byte for byte"
grep -q 'the warmup demo' "$tmp/demo/report.html" && ok || bad "the demo's own page, not a folder of runs"
grep -q 'update size (RMS per parameter)' "$tmp/st-adam-first-steps/update-rms.svg" && grep -q 'Adam v, largest (squared gradient)' "$tmp/st-adam-first-steps/v-max.svg" && ok || bad "adam-first-steps charts the update RMS and v's statistics"
grep -q 'class="axis-y2"' "$tmp/st-batch-scaling/loss-vs-epoch.svg" && ok || bad "batch-scaling has the LR on a twin axis"
grep -q 'the 4-times batch\|the large batch ended' "$tmp/st-batch-scaling/conclusion.txt" && grep -q 'a batch-32 baseline, and 4-times the batch' "$tmp/st-batch-scaling/report.html" && ok || bad "batch-scaling's page quotes k and the baseline batch from its plan"
find "$tmp/st-optimizers" -name metrics.csv | LC_ALL=C sort | xargs md5sum > "$tmp/st.md5"
"$W" study optimizers --quick --out "$tmp/st-optimizers" > "$tmp/st2.txt" 2>&1 && grep -q '0 to run' "$tmp/st2.txt" && ok || bad "a rerun of a study skips finished runs"
find "$tmp/st-optimizers" -name metrics.csv | LC_ALL=C sort | xargs md5sum | cmp -s - "$tmp/st.md5" && [ -s "$tmp/st.md5" ] && ok || bad "a rerun of a study rewrote a finished run's metrics.csv"
(cd "$tmp/st-optimizers" && find . -type f | LC_ALL=C sort | xargs md5sum) > "$tmp/st.before"
"$W" study layernorm --quick --out "$tmp/st-optimizers" > /dev/null 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q 'another study' "$tmp/err" && ok || bad "another study in a used directory: exit 2 ($rc)"
"$W" study optimizers --quick --seed 12 --out "$tmp/st-optimizers" > /dev/null 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q 'another study' "$tmp/err" && ok || bad "the same study with another seed in a used directory: exit 2 ($rc)"
(cd "$tmp/st-optimizers" && find . -type f | LC_ALL=C sort | xargs md5sum) | cmp -s - "$tmp/st.before" && ok || bad "a refused study changed the directory"

# ---- report on a run, a folder of runs ----
"$W" train $TINY --steps 20 --out "$tmp/one" -q && "$W" report "$tmp/one" > /dev/null && ok || bad "report on a run"
grep -q 'Training run' "$tmp/one/report.html" && grep -q 'warmup train --out' "$tmp/one/report.html" && ok || bad "a run's report has its title and rerun line"
mkdir -p "$tmp/folder" && cp -r "$tmp/one" "$tmp/folder/a" && cp -r "$tmp/one" "$tmp/folder/b"
"$W" report "$tmp/folder" > /dev/null && grep -q 'Training runs in' "$tmp/folder/report.html" && ok || bad "report on a folder of runs"
! grep -q 'src=\|href="http' "$tmp/one/report.html" && ok || bad "the report is self-contained"

# ---- bad input: exit 2, a message, nothing written ----
expect2() { # expect2 WHAT-TO-GREP ARGS...
    want=$1; shift
    "$W" "$@" > /dev/null 2> "$tmp/err"; rc=$?
    [ $rc -eq 2 ] && grep -qi -- "$want" "$tmp/err" && ok || bad "'$*': expected exit 2 and '$want', got $rc: $(cat "$tmp/err")"
}
expect2 "is not a number" sweep --lrs 1e-3,abc --out "$tmp/b1"
expect2 "not a warmup length" sweep --warmups 0,150% --out "$tmp/b2"
expect2 "not a warmup length" sweep --warmups 0,x --out "$tmp/b2"
expect2 "listed twice" sweep --warmups 0,10%,10% --out "$tmp/b3"
expect2 "listed twice" sweep --lrs 1e-3,1e-3 --out "$tmp/b3"
expect2 "share a run directory" sweep --lrs 0.001,0.0010000001 --out "$tmp/b3"
expect2 "--out DIR is required" sweep --lrs 1e-3
expect2 "seeds must be" sweep --seeds 0 --out "$tmp/b4"
expect2 "unknown option" sweep --bogus --out "$tmp/b5"
expect2 "unknown --model" sweep --model nope --out "$tmp/b6"
expect2 "warmup(10%)" sweep --warmups 10% --schedule 'cosine(' --out "$tmp/b7"
touch "$tmp/afile"
expect2 "not a directory" sweep $TINY --steps 5 --out "$tmp/afile"
expect2 "unknown study" study nope --out "$tmp/b8"
expect2 "warmup demo" study demo --quick --out "$tmp/b8"
expect2 "takes no study name" study --list optimizers
expect2 "which study" study
expect2 "unknown option" study lr-range --bogus
expect2 "dataset-fashion-mnist" study batch-scaling --quick --data "$tmp/nowhere" --out "$tmp/b9"
expect2 "No such file" report "$tmp/b10-missing"
mkdir -p "$tmp/empty"
expect2 "no run, sweep or study" report "$tmp/empty"
expect2 "not a directory" report "$tmp/afile"
expect2 "which directory" report
for d in b1 b2 b3 b4 b5 b6 b7 b8 b9; do [ -e "$tmp/$d" ] && bad "a refused command left $d behind"; done
ok

echo "test_lab_cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
