#!/bin/sh
# test_train.sh - `warmup train` and `warmup demo` from the outside: metrics and summary,
# evaluation rows, divergence, bitwise resume, signals, checkpoints, bad input, the demo.
# Usage: sh tests/test_train.sh build/warmup
W=${1:-build/warmup}
# pinned: bitwise comparisons between runs need the same thread count, and the timings stay
# comparable on a loaded machine
export OMP_NUM_THREADS=1
# WU_TEST_QUICK=1 (make check): the signal and demo sections are left to make test
QUICK=${WU_TEST_QUICK:-}
pass=0; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
json() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $2" "$1" 2>/dev/null; }
# metrics.csv by column name, so that a new column cannot shift what a test reads: mcol FILE PROG
# runs the awk PROG with v("name") the value of the column called name (an unknown name fails)
mcol() { awk -F, "function v(n) { if (!(n in ix)) { print \"metrics.csv has no column \" n > \"/dev/stderr\"; exit 3 } return \$ix[n] }
NR == 1 { for (i = 1; i <= NF; i++) ix[\$i] = i } $2" "$1"; }
# metrics.csv FILE without its time_s column (the wall time differs between runs)
nocol() { mcol "$1" '{ v("time_s"); s = ""; k = 0; for (i = 1; i <= NF; i++) if (i != ix["time_s"]) s = s (k++ ? "," : "") $i; print s }'; }
# a tiny GPT: fast enough for many runs
TINY="--layers 1 --heads 2 --dim 32 --seq 16 --batch 4"

# ---- one run: metrics.csv and summary.json ----
"$W" train $TINY --steps 30 --eval-every 10 --out "$tmp/a" -q; rc=$?
[ $rc -eq 0 ] && ok || bad "a short run exited $rc"
# the header names each column once (src/train/metrics_cols.c is the list), step first
mcol "$tmp/a/metrics.csv" 'NR == 1 { for (i = 1; i <= NF; i++) if (seen[$i]++) exit 1; exit $1 != "step" }' && ok || bad "metrics header: $(head -1 "$tmp/a/metrics.csv")"
[ "$(wc -l < "$tmp/a/metrics.csv")" -eq 31 ] && ok || bad "31 lines expected in metrics.csv"
[ "$(mcol "$tmp/a/metrics.csv" 'NR > 1 && v("val_loss") != ""' | wc -l)" -eq 3 ] && ok || bad "evaluation rows at steps 10, 20, 30"
mcol "$tmp/a/metrics.csv" 'NR > 1 && (v("loss") == "" || v("grad_norm") == "" || v("update_rms") == "" ||
    v("v_mean") == "" || v("attn_max_logit") == "" || v("out_max_logit") == "") { bad = 1 } END { exit bad }' && ok || bad "empty cells in training rows"
json "$tmp/a/summary.json" "assert d['status']=='completed' and d['steps_done']==30 and d['diverged'] is False and d['diverged_at'] is None and d['spikes']>=0 and d['tokens_per_s']>0 and d['wall_time_s']>0 and 0<d['tokens_per_wall_s']<=d['tokens_per_s'] and 0<d['train_time_s']<=d['wall_time_s'] and d['best_loss']<=d['final_loss'] and d['config']['seq']==16 and d['config']['schedule'].startswith('warmup')" && ok || bad "summary fields: $(cat "$tmp/a/summary.json")"
ls "$tmp/a" | grep -q tmp && bad "a temporary file was left behind" || ok

# ---- the same seed gives the same run ----
"$W" train $TINY --steps 30 --eval-every 10 --out "$tmp/a2" -q
nocol "$tmp/a/metrics.csv" > "$tmp/m1"; nocol "$tmp/a2/metrics.csv" > "$tmp/m2"
cmp -s "$tmp/m1" "$tmp/m2" && ok || bad "two runs with the same seed differ"

# ---- resume: 40 steps at once = 20 steps, stop, resume for 20 more (every column but time) ----
"$W" train $TINY --steps 40 --eval-every 10 --out "$tmp/full" -q
"$W" train $TINY --steps 40 --eval-every 10 --out "$tmp/half" --stop-after 20 -q; rc=$?
[ $rc -eq 0 ] && [ -f "$tmp/half/checkpoint.bin" ] && ok || bad "--stop-after leaves a checkpoint (exit $rc)"
json "$tmp/half/summary.json" "assert d['status']=='interrupted' and d['steps_done']==20" && ok || bad "a stopped run's summary"
"$W" train --resume "$tmp/half" -q; rc=$?
[ $rc -eq 0 ] && ok || bad "resume exited $rc"
nocol "$tmp/full/metrics.csv" > "$tmp/f1"; nocol "$tmp/half/metrics.csv" > "$tmp/f2"
cmp -s "$tmp/f1" "$tmp/f2" && ok || bad "a resumed run differs from the uninterrupted one: $(diff "$tmp/f1" "$tmp/f2" | head -4)"
json "$tmp/half/summary.json" "assert d['status']=='completed' and d['steps_done']==40" && ok || bad "the resumed run completes"
/usr/bin/python3 -c "import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); assert a['final_loss']==b['final_loss'] and a['spikes']==b['spikes']" "$tmp/full/summary.json" "$tmp/half/summary.json" && ok || bad "summaries differ after resume"
# resume extends a finished run with --steps: it continues from the run's checkpoint (step 20
# here) to step 45; the rows before the checkpoint stay as they were
cp "$tmp/half/metrics.csv" "$tmp/half40.csv"
"$W" train --resume "$tmp/half" --steps 45 -q 2> "$tmp/err"; rc=$?
[ $rc -eq 0 ] && ok || bad "resume --steps 45 exited $rc: $(cat "$tmp/err")"
json "$tmp/half/summary.json" "assert d['status']=='completed' and d['steps_done']==45 and d['config']['steps']==45" && ok || bad "resume --steps 45: the summary says $(head -c 300 "$tmp/half/summary.json" | tr '\n' ' ')"
[ "$(wc -l < "$tmp/half/metrics.csv")" -eq 46 ] && ok || bad "resume --steps 45: $(wc -l < "$tmp/half/metrics.csv") lines in metrics.csv, 46 expected"
nocol "$tmp/half/metrics.csv" | head -n 21 > "$tmp/h1"; nocol "$tmp/half40.csv" | head -n 21 > "$tmp/h2"
cmp -s "$tmp/h1" "$tmp/h2" && ok || bad "resume --steps 45 rewrote the rows before its checkpoint"
last=$(mcol "$tmp/half/metrics.csv" '{ s = v("step") } END { print s }')
[ "$last" = 44 ] && ok || bad "resume --steps 45: the last row is step $last, not 44"

# ---- issue 17: a resume to another length re-plans the schedule (continuous) or restarts it ----
# lr(FILE, STEP): the LR logged at STEP
lr() { mcol "$1" "NR > 1 && v(\"step\") == $2 { print v(\"lr\") }"; }
"$W" train $TINY --steps 40 --eval-every 0 --out "$tmp/rp" --stop-after 20 -q
"$W" train --resume "$tmp/rp" --steps 60 -q 2> "$tmp/err"; rc=$?
[ $rc -eq 0 ] && ok || bad "resume --steps 60 (replan) exited $rc: $(cat "$tmp/err")"
# continuous at the resume step: step 20 has the 40-step run's LR (tmp/full is that run)
[ "$(lr "$tmp/rp/metrics.csv" 20)" = "$(lr "$tmp/full/metrics.csv" 20)" ] && ok || bad "replan: the LR at the resume step jumped: $(lr "$tmp/rp/metrics.csv" 20) vs $(lr "$tmp/full/metrics.csv" 20)"
json "$tmp/rp/summary.json" "assert d['config']['segments']=='0:40,20:60' and d['segments']==[{'from':0,'steps':40},{'from':20,'steps':60,'extend':'replan'}] and d['steps_done']==60" && ok || bad "replan: summary.json's segments: $(grep -o '"segments".*' "$tmp/rp/summary.json" | head -2 | tr '\n' ' ')"
# the decay re-targets the new end: still falling at step 59, near the end level (0.1 x 1e-3)
/usr/bin/python3 -c "
import csv, sys
lr = [float(r['lr']) for r in csv.DictReader(open(sys.argv[1]))]
assert len(lr) == 60 and all(a > b for a, b in zip(lr[20:], lr[21:])) and 1e-4 < lr[59] < 1.01e-4, lr[55:]
" "$tmp/rp/metrics.csv" && ok || bad "replan: the decay does not end at step 60"
# the record reruns the run: a fresh run with the same segments equals the resumed one
"$W" train $TINY --steps 60 --segments 0:40,20:60 --eval-every 0 --out "$tmp/rp2" -q
nocol "$tmp/rp/metrics.csv" > "$tmp/r1"; nocol "$tmp/rp2/metrics.csv" > "$tmp/r2"
cmp -s "$tmp/r1" "$tmp/r2" && ok || bad "a run with --segments differs from the resumed one: $(diff "$tmp/r1" "$tmp/r2" | head -4)"
json "$tmp/rp2/summary.json" "assert d['segments'][1]=={'from':20,'steps':60,'extend':'replan'}" && ok || bad "segments in a fresh run's summary"
# warmup schedule --segments prints the resumed run's LRs (what `warmup check` compares a log to)
"$W" schedule 'warmup(10%) > cosine(to=0.1)' --lr 1e-3 --steps 60 --segments 0:40,20:60 --format csv > "$tmp/seg.csv"
/usr/bin/python3 -c "
import csv, sys
a = [float(r['lr']) for r in csv.DictReader(open(sys.argv[1]))]
b = [float(r['lr']) for r in csv.DictReader(open(sys.argv[2]))]
assert len(a) == 60 and a == b, [(i, x, y) for i, (x, y) in enumerate(zip(a, b)) if x != y][:3]
" "$tmp/rp/metrics.csv" "$tmp/seg.csv" && ok || bad "schedule --segments differs from the resumed run's LRs"
# without --steps, the segments' last length is the run's
"$W" schedule 'warmup(10%) > cosine(to=0.1)' --lr 1e-3 --segments 0:40,20:60 --format csv > "$tmp/seg2.csv" &&
    cmp -s "$tmp/seg.csv" "$tmp/seg2.csv" && ok || bad "schedule --segments without --steps does not print the 60 steps"
# a further resume (the checkpoint carries the segments): stop at 30, then shorten to 50
"$W" train $TINY --steps 40 --eval-every 0 --out "$tmp/rq" --stop-after 20 -q
"$W" train --resume "$tmp/rq" --steps 60 --stop-after 10 -q
"$W" train --resume "$tmp/rq" --steps 50 -q 2> "$tmp/err"; rc=$?
[ $rc -eq 0 ] && json "$tmp/rq/summary.json" "assert d['config']['segments']=='0:40,20:60,30:50' and d['steps_done']==50" && ok || bad "a second resume to another length (exit $rc): $(cat "$tmp/err") $(grep -o '"segments": "[^"]*"' "$tmp/rq/summary.json")"
[ "$(lr "$tmp/rq/metrics.csv" 30)" = "$(lr "$tmp/rp2/metrics.csv" 30)" ] && ok || bad "the second re-plan jumped at step 30: $(lr "$tmp/rq/metrics.csv" 30) vs $(lr "$tmp/rp2/metrics.csv" 30)"
# a re-planned run stopped and resumed without --steps equals one resumed straight through
"$W" train $TINY --steps 40 --eval-every 0 --out "$tmp/rv" --stop-after 20 -q
"$W" train --resume "$tmp/rv" --steps 60 --stop-after 10 -q
"$W" train --resume "$tmp/rv" -q
nocol "$tmp/rv/metrics.csv" > "$tmp/r3"
cmp -s "$tmp/r1" "$tmp/r3" && ok || bad "a re-planned run stopped and resumed differs: $(diff "$tmp/r1" "$tmp/r3" | head -4)"
# restart: the old spec over the new length (the LR jumps at the resume step, as before issue 17)
"$W" train $TINY --steps 40 --eval-every 0 --out "$tmp/rs" --stop-after 20 -q
"$W" train --resume "$tmp/rs" --steps 60 --extend restart -q 2> "$tmp/err"; rc=$?
want=$("$W" schedule 'warmup(10%) > cosine(to=0.1)' --lr 1e-3 --steps 60 --format csv | awk -F, 'NR == 22 { print $2 }')
[ $rc -eq 0 ] && /usr/bin/python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); assert abs(a - b) <= 1e-12 * b" "$(lr "$tmp/rs/metrics.csv" 20)" "$want" && ok || bad "restart: step 20 has $(lr "$tmp/rs/metrics.csv" 20), the 60-step spec says $want (exit $rc: $(cat "$tmp/err"))"
json "$tmp/rs/summary.json" "assert d['config']['segments']=='0:40,20:60:restart' and d['segments'][1]['extend']=='restart'" && ok || bad "restart: the segments"
# refused: restart cannot shorten; replan cannot end before the checkpoint; --extend alone
"$W" train $TINY --steps 40 --eval-every 0 --out "$tmp/rt" --stop-after 20 -q
"$W" train --resume "$tmp/rt" --steps 30 --extend restart -q 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "can only extend a run" "$tmp/err" && ok || bad "restart shortening: exit $rc, $(cat "$tmp/err")"
"$W" train --resume "$tmp/rt" --steps 15 -q 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "is not more than the 20 steps" "$tmp/err" && ok || bad "replan before the checkpoint: exit $rc, $(cat "$tmp/err")"
"$W" train --resume "$tmp/rt" --extend replan -q 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "extend applies to a resumed run given another length" "$tmp/err" && ok || bad "--extend without --steps: exit $rc, $(cat "$tmp/err")"
# a torch: spec cannot be re-planned: the message names the restart policy (--extend)
"$W" train $TINY --steps 40 --eval-every 0 --out "$tmp/ru" --stop-after 20 -q --schedule 'torch:LinearLR(start_factor=0.1, total_iters=10)'
"$W" train --resume "$tmp/ru" --steps 60 -q 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "(--extend)" "$tmp/err" && ok || bad "replan of a torch: spec: exit $rc, $(cat "$tmp/err")"
# tokens: warmup(2k tok) at 4 x 16 = 64 tokens per step is 31 steps
"$W" train $TINY --steps 40 --eval-every 0 --schedule 'warmup(2k tok) > cosine' --out "$tmp/tk" -q; rc=$?
[ $rc -eq 0 ] && [ "$(lr "$tmp/tk/metrics.csv" 31)" = "0.001" ] && [ "$(lr "$tmp/tk/metrics.csv" 30)" != "0.001" ] && ok || bad "train: warmup(2k tok) is not 31 steps (exit $rc): $(lr "$tmp/tk/metrics.csv" 30) $(lr "$tmp/tk/metrics.csv" 31)"
"$W" train $TINY --steps 40 --checkpoint-every 10 --out "$tmp/ck" -q
[ -f "$tmp/ck/checkpoint.bin" ] && ok || bad "--checkpoint-every writes a checkpoint"

# ---- resume for the image models (a tiny IDX directory): the MLP and the ViT, with
# evaluation rows, stopped and resumed, equal the uninterrupted run (the loader's shuffled
# order and position come back with the checkpoint) ----
/usr/bin/python3 "$(dirname "$0")/tiny_idx.py" "$tmp/idx" 200 || bad "tiny_idx.py"
for m in "mlp --depth 2 --width 32 --act gelu" "vit --layers 1 --heads 2 --dim 16 --pool mean"; do
    name=${m%% *}
    IMG="--model $m --batch 8 --data $tmp/idx --steps 60 --eval-every 10"
    "$W" train $IMG --out "$tmp/$name-full" -q; rc=$?
    [ $rc -eq 0 ] && ok || bad "$name: a run exited $rc"
    # the batches of 8 cycle through 200 images: stopping at 33 lands inside an epoch
    "$W" train $IMG --out "$tmp/$name-half" --stop-after 33 -q
    json "$tmp/$name-half/summary.json" "assert d['status']=='interrupted' and d['steps_done']==33" && ok || bad "$name: a stopped run's summary"
    "$W" train --resume "$tmp/$name-half" -q; rc=$?
    nocol "$tmp/$name-full/metrics.csv" > "$tmp/f1"; nocol "$tmp/$name-half/metrics.csv" > "$tmp/f2"
    [ $rc -eq 0 ] && [ "$(wc -l < "$tmp/f1")" -eq 61 ] && cmp -s "$tmp/f1" "$tmp/f2" && ok || bad "$name: a resumed run differs from the uninterrupted one (exit $rc): $(diff "$tmp/f1" "$tmp/f2" | head -4)"
    json "$tmp/$name-half/summary.json" "assert d['status']=='completed' and d['steps_done']==60 and d['final_val_acc'] is not None" && ok || bad "$name: the resumed run completes"
done
# issue 17: an image model counts samples (its batch per step), not tokens
"$W" train --model mlp --width 16 --batch 8 --data "$tmp/idx" --steps 20 --eval-every 0 --schedule 'warmup(80 samples) > cosine' --out "$tmp/ms" -q; rc=$?
[ $rc -eq 0 ] && [ "$(lr "$tmp/ms/metrics.csv" 10)" = "0.001" ] && [ "$(lr "$tmp/ms/metrics.csv" 9)" != "0.001" ] && ok || bad "mlp: warmup(80 samples) at batch 8 is not 10 steps (exit $rc)"
"$W" train --model mlp --width 16 --batch 8 --data "$tmp/idx" --steps 20 --schedule 'warmup(1k tok) > cosine' --out "$tmp/mt" -q 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "the mlp model counts samples" "$tmp/err" && [ ! -e "$tmp/mt" ] && ok || bad "mlp with tokens: exit $rc, $(cat "$tmp/err")"

# ---- divergence: a far too high LR ends the run cleanly, logged and marked ----
"$W" train $TINY --steps 200 --lr 50 --schedule constant --optimizer sgd --out "$tmp/div" -q; rc=$?
[ $rc -eq 1 ] && ok || bad "a diverged run exits 1 (got $rc)"
json "$tmp/div/summary.json" "assert d['diverged'] is True and d['status']=='diverged' and d['diverged_at'] is not None and d['steps_done']==d['diverged_at']+1" && ok || bad "divergence in the summary: $(cat "$tmp/div/summary.json" | head -20)"
rows=$(($(wc -l < "$tmp/div/metrics.csv") - 1))
json "$tmp/div/summary.json" "assert d['steps_done']==$rows" && ok || bad "every step up to the divergence is logged ($rows rows)"

# ---- SIGINT: a checkpoint and the summary, exit 130, then resume ----
if [ -z "$QUICK" ]; then
"$W" train $TINY --steps 1000000 --out "$tmp/sig" -q & pid=$!
sleep 2; kill -INT $pid; wait $pid; rc=$?
[ $rc -eq 130 ] && ok || bad "SIGINT exits 130 (got $rc)"
[ -f "$tmp/sig/checkpoint.bin" ] && json "$tmp/sig/summary.json" "assert d['status']=='interrupted' and d['steps_done']>0" && ok || bad "SIGINT writes a checkpoint and the summary"
done_steps=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['steps_done'])" "$tmp/sig/summary.json" 2>/dev/null)
[ "$(($(wc -l < "$tmp/sig/metrics.csv") - 1))" = "$done_steps" ] && ok || bad "metrics rows match the steps done after SIGINT"
"$W" train --resume "$tmp/sig" --stop-after 5 -q; rc=$?
json "$tmp/sig/summary.json" "assert d['steps_done']==$done_steps+5" && ok || bad "the interrupted run resumes (exit $rc)"
"$W" train $TINY --steps 1000000 --out "$tmp/term" -q & pid=$!
sleep 1; kill -TERM $pid; wait $pid; rc=$?
[ $rc -eq 130 ] && [ -f "$tmp/term/checkpoint.bin" ] && ok || bad "SIGTERM checkpoints too (exit $rc)"
else echo "  skipped: SIGINT and SIGTERM: quick mode (WU_TEST_QUICK); make test runs them"; fi

# ---- bad input: exit 2, a message, nothing half-written ----
expect_error() {
    code=$1; want=$2; shift 2
    "$W" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
    if [ "$rc" -ne "$code" ]; then bad "warmup $* exited $rc, want $code ($(cat "$tmp/err"))"; return; fi
    grep -qF -- "$want" "$tmp/err" && ok || bad "warmup $*: stderr lacks '$want': $(cat "$tmp/err")"
}
expect_error 2 "--out DIR is required" train --steps 5
expect_error 2 "unknown --model 'cnn'" train --model cnn --out "$tmp/x1"
expect_error 2 "unknown --optimizer 'lion'" train --optimizer lion --out "$tmp/x2"
expect_error 2 "cannot read --data '$tmp/nope.txt'" train $TINY --data "$tmp/nope.txt" --out "$tmp/x3"
expect_error 2 "spec:1:14: unknown phase 'cosin'" train $TINY --schedule 'warmup(10) > cosin' --out "$tmp/x4"
expect_error 2 "the GPT reads text" train --data fashion-mnist --out "$tmp/x5"
expect_error 2 "classifies images" train --model mlp --data builtin --out "$tmp/x6"
expect_error 2 "--lr must be positive" train --lr -1 --out "$tmp/x7"
expect_error 2 "--steps must be between 1 and" train --steps 0 --out "$tmp/x8"
expect_error 2 "unknown option '--warmup-steps'" train --warmup-steps 5 --out "$tmp/x9"
expect_error 2 "not found: there is no run to resume here" train --resume "$tmp/none"
printf 'x' > "$tmp/file"
expect_error 2 "exists and is not a directory" train $TINY --out "$tmp/file"
expect_error 2 "cannot be created" train $TINY --steps 2 --out "$tmp/file/sub"
printf 'short' > "$tmp/short.txt"
expect_error 2 "is too short" train $TINY --data "$tmp/short.txt" --out "$tmp/x10"
: > "$tmp/empty.txt"
expect_error 2 "is empty" train $TINY --data "$tmp/empty.txt" --out "$tmp/x11"
# a resumed run keeps its configuration: other options are refused, and it can only grow
expect_error 2 "--lr cannot be given with --resume" train --resume "$tmp/ck" --lr 1
expect_error 2 "--batch cannot be given with --resume" train --batch=8 --resume "$tmp/ck"
# (issue 17: a resume may shorten a run by re-planning, but not to before its checkpoint)
expect_error 2 "--steps: 10 is not more than the 40 steps the run" train --resume "$tmp/ck" --steps 10
cp "$tmp/ck/checkpoint.bin" "$tmp/ck/good.bin"
printf 'garbage' | dd of="$tmp/ck/checkpoint.bin" bs=1 seek=200 conv=notrunc 2>/dev/null
expect_error 2 "checksum mismatch" train --resume "$tmp/ck"
# a fresh run in a used directory is refused; with --force it drops the old checkpoint, so
# --resume cannot mix two runs (tests/test_runs.sh: every kind of used directory)
"$W" train $TINY --steps 20 --stop-after 10 --out "$tmp/reuse" -q
expect_error 2 "'warmup train --resume $tmp/reuse' continues it, --force replaces it" train $TINY --steps 5 --out "$tmp/reuse"
[ -e "$tmp/reuse/checkpoint.bin" ] && ok || bad "a refused run deleted the checkpoint"
"$W" train $TINY --steps 5 --out "$tmp/reuse" --force -q
[ ! -e "$tmp/reuse/checkpoint.bin" ] && ok || bad "a fresh run left the previous run's checkpoint"
expect_error 2 "there is no run to resume here" train --resume "$tmp/reuse"
# a metrics.csv cut shorter than the checkpoint says is refused, not padded with zero bytes
"$W" train $TINY --steps 20 --stop-after 10 --out "$tmp/cut" -q
head -n 3 "$tmp/cut/metrics.csv" > "$tmp/cut/m" && mv "$tmp/cut/m" "$tmp/cut/metrics.csv"
expect_error 2 "was changed after the checkpoint" train --resume "$tmp/cut"
[ "$(wc -l < "$tmp/cut/metrics.csv")" -eq 3 ] && ok || bad "a refused resume changed metrics.csv"
# a metrics.csv that cannot be written (a full disk): tests/test_runs.sh, on a small tmpfs (a
# /dev/full link no longer stands in: a fresh run writes metrics.csv beside and renames it)
# strings in summary.json are escaped whatever the flags held
"$W" train $TINY --steps 2 --act 'x"y' --out "$tmp/esc" -q
json "$tmp/esc/summary.json" "assert d['config']['act']=='x\"y'" && ok || bad "summary.json with a quote in --act is not valid JSON"
# and in the HTML report: a data path and a run directory with markup in their names appear
# escaped (in the rerun line and wherever else), never as markup
seq 1 3000 > "$tmp/a<x1>&c.txt"
"$W" train $TINY --steps 3 --data "$tmp/a<x1>&c.txt" --out "$tmp/r<x2>&" -q && "$W" report "$tmp/r<x2>&" > /dev/null 2>&1; rc=$?
[ $rc -eq 0 ] && [ -s "$tmp/r<x2>&/report.html" ] && ok || bad "report of a run with markup in its paths (exit $rc)"
grep -qF 'a&lt;x1&gt;&amp;c.txt' "$tmp/r<x2>&/report.html" && ok || bad "report.html: the data path is not escaped in the rerun line"
grep -qF -e '<x1>' -e '<x2>' "$tmp/r<x2>&/report.html" && bad "report.html holds unescaped markup from a path: $(grep -oF -e '<x1>' -e '<x2>' "$tmp/r<x2>&/report.html" | head -2)" || ok
for d in x1 x2 x3 x4 x5 x6 x7 x8 x9 x10 x11; do [ -e "$tmp/$d" ] && bad "a failed start left $d behind"; done; ok
expect_error 2 "exists and is not a directory" demo --out "$tmp/file" --steps 10

# ---- a text file as data ----
seq 1 3000 > "$tmp/nums.txt"
"$W" train $TINY --steps 10 --data "$tmp/nums.txt" --out "$tmp/txt" -q && json "$tmp/txt/summary.json" "assert d['config']['data'].endswith('nums.txt')" && ok || bad "training on a text file"

# ---- the demo, smoke test ----
if [ -z "$QUICK" ]; then
OMP_NUM_THREADS=1 "$W" demo --out "$tmp/demo" --steps 12 --batch 2 > "$tmp/demo.txt"; rc=$?
[ $rc -eq 0 ] && ok || bad "demo exited $rc: $(tail -3 "$tmp/demo.txt")"
json "$tmp/demo/summary.json" "assert [a['name'] for a in d['arms']]==['none','linear','exp'] and all(set(['final_loss','best_loss','diverged','spikes'])<=set(a) for a in d['arms']) and len(d['conclusion'])>50" && ok || bad "demo summary.json"
for f in report.html loss.svg lr.svg none/metrics.csv linear/summary.json exp/metrics.csv; do [ -s "$tmp/demo/$f" ] || bad "demo file $f missing"; done; ok
grep -q '<svg' "$tmp/demo/report.html" && ! grep -Eq '(src|href)=' "$tmp/demo/report.html" && ok || bad "report.html is self-contained with inline SVG"
xmllint --noout "$tmp/demo/loss.svg" 2>/dev/null && ok || bad "loss.svg is XML"
grep -q 'Without warmup' "$tmp/demo.txt" && grep -q 'final' "$tmp/demo.txt" && ok || bad "the demo prints its table and conclusion"
else echo "  skipped: the demo: quick mode (WU_TEST_QUICK); make test runs it"; fi

# ---- numerical faults: NaN injected into the gradients, --on-nonfinite stop|skip ----
"$W" train $TINY --steps 30 --inject-nonfinite 7 --out "$tmp/nf1" -q 2> "$tmp/nf1.err"; rc=$?
[ $rc -eq 1 ] && ok || bad "a NaN gradient stops the run: exit 1, got $rc"
grep -q 'step 7: the gradient is not finite' "$tmp/nf1.err" && ok || bad "the NaN is reported at its step: $(cat "$tmp/nf1.err")"
json "$tmp/nf1/summary.json" 'assert d["status"]=="diverged" and d["diverged_at"]==7 and d["first_nonfinite_step"]==7 and d["nonfinite_steps"]==1' && ok || bad "stop: the summary says diverged at step 7"
[ "$(wc -l < "$tmp/nf1/metrics.csv")" -eq 9 ] && ok || bad "stop: metrics.csv ends with the bad step"
"$W" train $TINY --steps 30 --inject-nonfinite 7 --on-nonfinite skip --out "$tmp/nf2" -q 2> "$tmp/nf2.err"; rc=$?
[ $rc -eq 0 ] && grep -q 'step 7: .*update skipped' "$tmp/nf2.err" && ok || bad "skip: exit 0 and the step reported ($rc): $(cat "$tmp/nf2.err")"
json "$tmp/nf2/summary.json" 'assert d["status"]=="completed" and d["steps_done"]==30 and d["nonfinite_steps"]==1 and d["first_nonfinite_step"]==7' && ok || bad "skip: completed, one non-finite step"
mcol "$tmp/nf2/metrics.csv" 'NR == 9 && v("grad_norm") == "" {a=1} NR == 10 && v("grad_norm") != "" {b=1} END {exit !(a && b)}' && ok || bad "skip: step 7 has no gradient norm, step 8 has one"
"$W" train $TINY --steps 30 --inject-nonfinite 7 --on-nonfinite skip --stop-after 12 --checkpoint-every 4 --out "$tmp/nf3" -q 2> /dev/null
"$W" train --resume "$tmp/nf3" -q 2> /dev/null
nocol "$tmp/nf3/metrics.csv" > "$tmp/nf3.cut"; nocol "$tmp/nf2/metrics.csv" > "$tmp/nf2.cut"
cmp -s "$tmp/nf3.cut" "$tmp/nf2.cut" && ok || bad "skip: a resumed run equals the uninterrupted one"
"$W" train $TINY --steps 60 --inject-nonfinite 5:30 --on-nonfinite skip --out "$tmp/nf4" -q 2> /dev/null; rc=$?
json "$tmp/nf4/summary.json" 'assert d["status"]=="diverged" and d["nonfinite_steps"]==20 and d["diverged_at"]==24' && [ $rc -eq 1 ] && ok || bad "skip: 20 non-finite steps in a row end the run ($rc)"
"$W" train $TINY --steps 30 --inject-nonfinite 5:3 --on-nonfinite skip --out "$tmp/nf6" -q 2> /dev/null; rc=$?
json "$tmp/nf6/summary.json" 'assert d["status"]=="completed" and d["nonfinite_steps"]==3 and d["first_nonfinite_step"]==5' && [ $rc -eq 0 ] && ok || bad "skip: three skipped steps, then it goes on ($rc)"
"$W" train $TINY --on-nonfinite maybe --out "$tmp/nf5" 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q 'use stop' "$tmp/err" && [ ! -e "$tmp/nf5" ] && ok || bad "--on-nonfinite maybe: exit 2"

# ---- --precision bf16 (issue 19): trains where the CPU has AVX512-BF16, refused where not ----
"$W" train $TINY --steps 30 --eval-every 10 --precision bf16 --out "$tmp/p16" -q 2> "$tmp/p16.err"; rc=$?
if [ $rc -eq 2 ] && grep -q 'needs a CPU with AVX512-BF16' "$tmp/p16.err"; then
    echo "  skipped: --precision bf16 training: this CPU lacks AVX512-BF16 (the refusal is checked below)"
else
    # close to the float32 run a of the same seed, and repeatable, and resumable bit for bit
    json "$tmp/p16/summary.json" "assert d['status']=='completed' and d['config']['precision']=='bf16' and abs(d['final_loss']-$(json "$tmp/a/summary.json" "print(d['final_loss'])"))<0.05" && [ $rc -eq 0 ] && ok || bad "bf16: completes, within 0.05 of fp32's final loss ($rc): $(cat "$tmp/p16.err")"
    "$W" train $TINY --steps 30 --eval-every 10 --precision bf16 --stop-after 12 --checkpoint-every 4 --out "$tmp/p16r" -q 2> /dev/null
    "$W" train --resume "$tmp/p16r" -q 2> /dev/null
    nocol "$tmp/p16/metrics.csv" > "$tmp/p16.cut"; nocol "$tmp/p16r/metrics.csv" > "$tmp/p16r.cut"
    cmp -s "$tmp/p16.cut" "$tmp/p16r.cut" && ok || bad "bf16: a resumed run equals the uninterrupted one"
    nocol "$tmp/a/metrics.csv" > "$tmp/a.cut"
    cmp -s "$tmp/p16.cut" "$tmp/a.cut" && bad "bf16: the same metrics as fp32 (bf16 did not run)" || ok
fi
WU_NO_BF16=1 "$W" train $TINY --precision bf16 --out "$tmp/p16n" 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q -- '--precision: bf16 needs a CPU with AVX512-BF16.*use fp32, the default' "$tmp/err" && [ ! -e "$tmp/p16n" ] && ok || bad "WU_NO_BF16=1 --precision bf16: exit 2 with the reason ($rc): $(cat "$tmp/err")"

echo "test_train: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
