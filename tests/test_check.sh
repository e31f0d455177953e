#!/bin/sh
# test_check.sh - `warmup check LOG` and `warmup diff` from the outside: the logs of real torch
# loops (tests/fixtures/check/, made by tools/gen_check_fixtures.py: a correct loop and one per
# bug) must get their verdict, diagnosis and exit code; logs with gaps, other header orders,
# Lightning's and HF's formats, our own metrics.csv; --json, --plot; and bad logs: exit 2 with
# one line naming file:line:column.
# Usage: sh tests/test_check.sh build/warmup
W=${1:-build/warmup}
export OMP_NUM_THREADS=1
pass=0; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
F=tests/fixtures/check
SPEC='hf:cosine(num_warmup_steps=10)'

# want LOG RC 'json fragment'... : check LOG against SPEC over 100 steps with --json
want() {
    log=$1; code=$2; shift 2
    "$W" check "$F/$log" --spec "${CHECK_SPEC:-$SPEC}" --lr 1e-3 --steps 100 --json > "$tmp/out" 2> "$tmp/err"; rc=$?
    [ $rc -eq "$code" ] || { bad "$log: exit $rc, want $code: $(cat "$tmp/err")"; return; }
    for frag in "$@"; do
        grep -qF -- "$frag" "$tmp/out" || { bad "$log: no '$frag' in $(cat "$tmp/out")"; return; }
    done
    ok
}
want correct.csv 0 '"verdict": "match"' '"n": 100' '"diagnosis": null' '"zero_first": true'
want correct_every7.csv 0 '"verdict": "match"' '"n": 15' '"last_step": 98'
want reordered.csv 0 '"verdict": "match"' '"step_column": "global_step"' '"lr_column": "learning_rate"'
want lightning_correct.csv 0 '"verdict": "match"' '"lr_column": "lr-AdamW"' '"n": 10'
want trainer_state.json 0 '"format": "hf"' '"verdict": "match"' '"first_step": 5' '"n": 19'
want float32.csv 0 '"verdict": "float32"'
want sched_first.csv 1 '"pattern": "shift", "param": 1,' '"first_difference": {"step": 0,'
want onebased.jsonl 1 '"format": "jsonl"' '"pattern": "shift", "param": -1,'
want resume_replay.csv 1 '"pattern": "jump", "param": 40,' '"at": 40, "at_lo": 35'
want resume_fresh.csv 1 '"pattern": "restart", "param": 40,' '"at": 40, "at_lo": 35'
want trainer_state_restart.json 1 '"pattern": "restart", "param": 40,'
want accumulate4.csv 1 '"pattern": "stretch", "param": 4, "offset": 3,'
want lightning_workers2.csv 1 '"pattern": "stretch", "param": 2, "offset": 0,'
want horizon400.csv 1 '"pattern": "horizon", "param": 400,'
CHECK_SPEC='warmup(10, shift=1) > cosine' want correct.csv 1 '"pattern": "zero_start"' '"at": 11,'
# the same torch log checked against a spec of another form of the same schedule
CHECK_SPEC='hf:get_cosine_schedule_with_warmup(optimizer, 10, 100)' want correct.csv 0 '"verdict": "match"'

# ---- the text output: the sentences of the issue ----
"$W" check "$F/correct.csv" --spec "$SPEC" --lr 1e-3 --steps 100 > "$tmp/t" 2>&1
grep -q 'matches to 1e-12 over 100 logged steps' "$tmp/t" && ok || bad "match text: $(cat "$tmp/t")"
grep -q 'LR is 0 at step 0' "$tmp/t" && ok || bad "the zero-first note: $(cat "$tmp/t")"
"$W" check "$F/float32.csv" --spec "$SPEC" --lr 1e-3 --steps 100 | grep -q 'matches at float32 precision' && ok || bad "float32 text"
"$W" check "$F/resume_fresh.csv" --spec "$SPEC" --lr 1e-3 --steps 100 > "$tmp/t"
grep -q 'differs from the spec at step 40: expected 0.00075000000000000002, logged 0$' "$tmp/t" && ok || bad "first difference: $(cat "$tmp/t")"
grep -q 'restarted at 0 at step 40' "$tmp/t" && ok || bad "restart text: $(cat "$tmp/t")"
# without --steps, the horizon comes from the log (last step + 1)
"$W" check "$F/correct.csv" --spec "$SPEC" --lr 1e-3 > /dev/null && ok || bad "--steps from the log"
"$W" check "$F/trainer_state.json" --spec "$SPEC" --lr 1e-3 > "$tmp/t" && grep -q "the log's max_steps (100)" "$tmp/t" && ok || bad "--steps from max_steps: $(cat "$tmp/t")"

# ---- our own metrics.csv, from a training run ----
"$W" train --layers 1 --heads 1 --dim 4 --seq 2 --batch 2 --steps 12 --schedule 'warmup(3) > cosine' \
    --lr 2e-3 --out "$tmp/run" -q > /dev/null 2>&1
"$W" check "$tmp/run/metrics.csv" --spec 'warmup(3) > cosine' --lr 2e-3 --steps 12 > "$tmp/t" 2>&1 \
    && grep -q 'matches to 1e-12 over 12 logged steps' "$tmp/t" && ok || bad "metrics.csv: $(cat "$tmp/t")"
"$W" check "$tmp/run/metrics.csv" --spec 'warmup(3) > cosine' --lr 2e-3 --steps 24 > /dev/null 2>&1
[ $? -eq 1 ] && ok || bad "metrics.csv against another horizon: not exit 1"

# ---- --step-column, --lr-column ----
printf 'it;eta\n0;0\n2;0.0002\n4;0.0004\n' > "$tmp/named.csv"
"$W" check "$tmp/named.csv" --spec "$SPEC" --lr 1e-3 --steps 100 --step-column it --lr-column eta > /dev/null && ok || bad "--step-column/--lr-column"
"$W" check "$tmp/named.csv" --spec "$SPEC" --lr 1e-3 --steps 100 > /dev/null 2> "$tmp/err"
[ $? -eq 2 ] && grep -q 'named.csv:1:1: no LR column' "$tmp/err" && ok || bad "no LR column: $(cat "$tmp/err")"

# ---- --plot: expected and logged, the first difference marked ----
"$W" check "$F/resume_fresh.csv" --spec "$SPEC" --lr 1e-3 --steps 100 --plot "$tmp/c.svg" > /dev/null
grep -q '<svg' "$tmp/c.svg" && grep -q 'first difference (step 40)' "$tmp/c.svg" && ok || bad "check --plot"

# ---- warmup diff ----
"$W" diff 'warmup(10%) > cosine' 'hf:cosine(num_warmup_steps=100)' --lr 1e-3 --steps 1000 > "$tmp/d"
[ $? -eq 0 ] && grep -q 'agree to 1e-12 over 1000 steps' "$tmp/d" && ok || bad "diff same: $(cat "$tmp/d")"
"$W" diff 'warmup(100) > cosine' 'warmup(100) > cosine' --lr 1e-3 --steps 2000 > /dev/null && ok || bad "diff of a spec with itself"
"$W" diff 'warmup(10%) > cosine' 'warmup(10%) > linear' --lr 1e-3 --steps 1000 --json --plot "$tmp/d.svg" > "$tmp/d"
[ $? -eq 1 ] && grep -q '"same": false, "first_difference": {"step": 101,' "$tmp/d" && ok || bad "diff json: $(cat "$tmp/d")"
grep -q '<svg' "$tmp/d.svg" && ok || bad "diff --plot"
"$W" diff 'hf:cosine(num_warmup_steps=10, num_training_steps=100)' 'hf:cosine(num_warmup_steps=10, num_training_steps=400)' \
    --lr 1e-3 --steps 100 > "$tmp/d"
[ $? -eq 1 ] && grep -q 'differ from step 11' "$tmp/d" && ok || bad "diff text: $(cat "$tmp/d")"

# ---- bad logs: exit 2, one line naming file:line:column, nothing on stdout ----
bad_log() { # NAME 'message fragment' CONTENT (printf format)
    printf "$3" > "$tmp/$1"
    "$W" check "$tmp/$1" --spec "$SPEC" --lr 1e-3 --steps 100 > "$tmp/out" 2> "$tmp/err"; rc=$?
    if [ $rc -ne 2 ]; then bad "$1: exit $rc, want 2"
    elif [ "$(wc -l < "$tmp/err")" -ne 1 ]; then bad "$1: not one line: $(cat "$tmp/err")"
    elif ! grep -qE "^warmup: .*$1:[0-9]+(:[0-9]+)?: " "$tmp/err"; then bad "$1: no file:line: $(cat "$tmp/err")"
    elif ! grep -qF -- "$2" "$tmp/err"; then bad "$1: no '$2' in $(cat "$tmp/err")"
    elif [ -s "$tmp/out" ]; then bad "$1: printed output"
    else ok; fi
}
bad_log empty.csv 'the log is empty' ''
bad_log blank.csv 'the log is empty' '\n\n  \n'
bad_log garbage.csv 'no LR column' 'hello world\nthis is not a log\n'
bad_log binary.csv 'a NUL byte' 'step,lr\n0,0\000\001\002\n'
bad_log header_only.csv 'no logged LR' 'step,lr\n'
bad_log nostep.csv 'no step column' 'lr,loss\n0.1,2\n'
bad_log badnum.csv "'abc' in column lr is not a finite number" 'step,lr\n0,0\n1,abc\n'
bad_log nan.csv "'nan' in column lr" 'step,lr\n0,nan\n'
bad_log badstep.csv 'is not a step' 'step,lr\n0.5,0.1\n'
bad_log short.csv 'the row has 2 fields' 'step,loss,lr\n0,1\n'
bad_log backwards.csv 'step 3 after step 5: steps must increase' 'step,lr\n5,0.0005\n3,0.0003\n'
bad_log repeated.csv 'step 5 after step 5' 'step,lr\n5,0.0005\n5,0.0005\n'
bad_log two_lr.csv 'two LR columns' 'step,lr-AdamW/pg1,lr-AdamW/pg2\n0,0,0\n'
bad_log bad.jsonl 'not JSON' '{"step": 0, "lr": 0}\n{"step": 1, "lr": \n'
bad_log nostep.jsonl 'but no step' '{"lr": 0.1}\n'
bad_log strlr.jsonl 'is not a finite number' '{"step": 0, "lr": "0.1"}\n'
bad_log notstate.json 'without "log_history"' '{\n  "x": 1\n}\n'
bad_log broken.json 'not JSON' '{\n  "log_history": [\n    {"step": 1,\n'
bad_log nolr.json 'no logged LR' '{\n "log_history": [{"step": 1, "loss": 2}]\n}\n'
# a line longer than 1 MiB is not a log line
head -c 1100000 /dev/zero | tr '\0' 'x' > "$tmp/long.csv"
"$W" check "$tmp/long.csv" --spec "$SPEC" --lr 1e-3 --steps 100 > /dev/null 2> "$tmp/err"
[ $? -eq 2 ] && grep -q 'longer than 1 MiB' "$tmp/err" && ok || bad "a long line: $(cat "$tmp/err")"
"$W" check "$tmp/missing.csv" --spec "$SPEC" --lr 1e-3 > /dev/null 2>&1; [ $? -eq 2 ] && ok || bad "missing file"
"$W" check "$F/correct.csv" --lr 1e-3 > /dev/null 2>&1; [ $? -eq 2 ] && ok || bad "no --spec"
"$W" check "$F/correct.csv" --spec "$SPEC" > /dev/null 2>&1; [ $? -eq 2 ] && ok || bad "no --lr"
"$W" check "$F/correct.csv" --spec 'warmup(' --lr 1e-3 --steps 10 > /dev/null 2>&1; [ $? -eq 2 ] && ok || bad "bad spec"
"$W" check "$F/correct.csv" --spec "$SPEC" --lr 1e-3 --steps 100 --plot "$tmp/nodir/x.svg" > /dev/null 2>&1
[ $? -ne 0 ] && [ ! -e "$tmp/nodir" ] && ok || bad "--plot into a missing directory"
"$W" diff 'warmup(10)' --steps 10 > /dev/null 2>&1; [ $? -eq 2 ] && ok || bad "diff with one spec"
# durations in samples and tokens: the unit options, and the error that names the missing one
"$W" check "$F/correct.csv" --spec 'hf:cosine(num_warmup_steps=5120 samples)' --lr 1e-3 --steps 100 --samples-per-step 512 > /dev/null &&
    ok || bad "check with --samples-per-step: warmup(5120 samples) at 512 a step is the 10 steps of the log"
"$W" check "$F/correct.csv" --spec 'hf:cosine(num_warmup_steps=5120 samples)' --lr 1e-3 --steps 100 > /dev/null 2> "$tmp/err"
[ $? -eq 2 ] && grep -q -- '--samples-per-step' "$tmp/err" && ok || bad "a duration in samples without --samples-per-step: $(cat "$tmp/err")"
"$W" diff 'warmup(5M tok) > cosine' 'warmup(10) > cosine' --lr 1e-3 --steps 100 --tokens-per-step 500000 > /dev/null &&
    ok || bad "diff with --tokens-per-step: 5M tokens at 500k a step are 10 steps"
# a run of ours resumed to another length: the plain spec differs and the note names the
# run's segments; with --segments the log matches
TINY="--layers 1 --heads 2 --dim 16 --seq 8 --batch 4 --eval-every 0 -q"
"$W" train $TINY --steps 100 --stop-after 60 --out "$tmp/rs" && "$W" train --resume "$tmp/rs" --steps 160 -q ||
    bad "the run resumed to 160 steps failed"
RS='warmup(10%) > cosine(to=0.1)'
"$W" check "$tmp/rs/metrics.csv" --spec "$RS" --lr 1e-3 --steps 160 > "$tmp/out"; rc=$?
[ $rc -eq 1 ] && grep -q -- "--segments 0:100,60:160" "$tmp/out" && ok || bad "a resumed run against the plain spec: exit $rc, $(cat "$tmp/out")"
"$W" check "$tmp/rs/metrics.csv" --spec "$RS" --lr 1e-3 --segments 0:100,60:160 > "$tmp/out" &&
    grep -q "matches to 1e-12 over 160 logged steps" "$tmp/out" && ok || bad "--segments: $(cat "$tmp/out")"
"$W" check "$tmp/rs/metrics.csv" --spec "$RS" --lr 1e-3 --segments 0:100,60:50 > /dev/null 2> "$tmp/err"
[ $? -eq 2 ] && grep -q -- "--segments: entry 2" "$tmp/err" && ok || bad "bad --segments: $(cat "$tmp/err")"

echo "test_check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
