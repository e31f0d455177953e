#!/bin/sh
# test_crash.sh - crash safety: training runs of every model (GPT, MLP, ViT) and sweeps killed
# with SIGKILL at random moments. After each kill, every file that was reported complete must be
# intact: a checkpoint loads (its checksum holds), a summary.json parses and says what it should,
# a finished run's metrics.csv equals the uninterrupted run's; and resuming (or rerunning the
# sweep) must reproduce the uninterrupted result exactly (every column but the wall time).
# Usage: sh tests/test_crash.sh build/warmup [kills of GPT runs, default 40]
# Kills: GPT 40, MLP 12, ViT 12, sweeps 12; with WU_TEST_QUICK=1 (make check) 6, 4, 4 and 3.
W=${1:-build/warmup}
export OMP_NUM_THREADS=1
if [ -n "${WU_TEST_QUICK:-}" ]; then
    KILLS=${2:-6}; IMG_KILLS=4; SWEEP_KILLS=3
else
    KILLS=${2:-40}; IMG_KILLS=12; SWEEP_KILLS=12
fi
pass=0; fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
TINY="--layers 1 --heads 2 --dim 32 --seq 16 --batch 4"
RUN="$TINY --steps 150 --checkpoint-every 7 --eval-every 25 -q"
# metrics.csv by column name, so that a new column cannot shift what a test reads: mcol FILE PROG
# runs the awk PROG with v("name") the value of the column called name (an unknown name fails)
mcol() { awk -F, "function v(n) { if (!(n in ix)) { print \"metrics.csv has no column \" n > \"/dev/stderr\"; exit 3 } return \$ix[n] }
NR == 1 { for (i = 1; i <= NF; i++) ix[\$i] = i } $2" "$1"; }
# metrics.csv FILE without its time_s column (the wall time differs between runs)
nocol() { mcol "$1" '{ v("time_s"); s = ""; k = 0; for (i = 1; i <= NF; i++) if (i != ix["time_s"]) s = s (k++ ? "," : "") $i; print s }'; }
# a random delay in [0, $1) milliseconds, as seconds
delay() { awk -v m="$1" -v s="$2" 'BEGIN { srand(s); printf "%.3f", rand() * m / 1000 }'; }
json() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $2" "$1" 2>/dev/null; }

# ---- training runs ----
# crash_runs NAME KILLS ARGS...: a reference run, then KILLS runs killed at random moments within
# their steps, each resumed (or restarted) and compared with the reference
crash_runs() {
    cname=$1; ckills=$2; shift 2
    "$W" train "$@" --out "$tmp/$cname-ref" && nocol "$tmp/$cname-ref/metrics.csv" > "$tmp/$cname-ref.csv" || bad "$cname: reference run"
    # how long the steps take, from the first row of metrics.csv to the end (startup excluded)
    "$W" train "$@" --out "$tmp/$cname-timing" &
    pid=$!
    n=0; while [ ! -s "$tmp/$cname-timing/metrics.csv" ] && kill -0 $pid 2> /dev/null && [ $n -lt 3000 ]; do sleep 0.01; n=$((n + 1)); done
    t0=$(date +%s%N); wait $pid; t1=$(date +%s%N)
    ms=$(( (t1 - t0) / 1000000 + 20 ))   # kill anywhere within the steps
    with_ckpt=0; finished=0
    need=$((ckills / 4)); [ $need -ge 1 ] || need=1
    # KILLS kills, and more (up to 4x) while too few landed after a checkpoint: on a loaded
    # machine the timing run above can mislead the random moments
    i=0
    while [ $i -lt "$ckills" ] || { [ $with_ckpt -lt $need ] && [ $i -lt $((4 * ckills)) ]; }; do
        i=$((i + 1))
        d="$tmp/$cname-k$i"
        "$W" train "$@" --out "$d" &
        pid=$!
        # from its first step on (building the data takes a varying time on a loaded machine)
        n=0; while [ ! -s "$d/metrics.csv" ] && [ $n -lt 500 ]; do sleep 0.01; n=$((n + 1)); done
        sleep "$(delay $ms $i)"
        kill -KILL $pid 2> /dev/null
        { wait $pid; } 2> /dev/null
        if [ -s "$d/summary.json" ]; then
            # reported complete before the kill: intact and equal to the reference
            finished=$((finished + 1))
            json "$d/summary.json" 'assert d["status"]=="completed" and d["steps_done"]==150' \
                && nocol "$d/metrics.csv" | cmp -s - "$tmp/$cname-ref.csv" && ok || bad "$cname kill $i: a finished run is not intact"
            continue
        fi
        if [ -s "$d/checkpoint.bin" ]; then
            with_ckpt=$((with_ckpt + 1))
            "$W" train --resume "$d" -q 2> "$tmp/err" || { bad "$cname kill $i: resume failed: $(cat "$tmp/err")"; continue; }
        else
            "$W" train "$@" --out "$d" --force 2> "$tmp/err" || { bad "$cname kill $i: restart failed: $(cat "$tmp/err")"; continue; }
        fi
        nocol "$d/metrics.csv" | cmp -s - "$tmp/$cname-ref.csv" && ok || bad "$cname kill $i: resumed run differs from the uninterrupted one"
        json "$d/summary.json" 'assert d["status"]=="completed"' && ok || bad "$cname kill $i: summary after resume"
        rm -rf "$d"
    done
    echo "  $cname: $i kills, $with_ckpt resumed from a checkpoint, $finished already finished"
    [ $with_ckpt -ge $need ] && ok || bad "$cname: too few kills landed after a checkpoint ($with_ckpt): the test is not testing resume"
}
crash_runs gpt "$KILLS" $RUN
# the image models on a tiny IDX directory; 150 steps of batch 8 over 200 images cross epochs,
# so a resume restores the loader's order and its position inside an epoch
/usr/bin/python3 "$(dirname "$0")/tiny_idx.py" "$tmp/idx" 200 || bad "tiny_idx.py"
IMG="--data $tmp/idx --batch 8 --steps 150 --checkpoint-every 7 --eval-every 25 -q"
crash_runs mlp "$IMG_KILLS" --model mlp --depth 2 --width 64 $IMG
crash_runs vit "$IMG_KILLS" --model vit --layers 2 --heads 2 --dim 32 $IMG

# ---- sweeps ----
GRID="$TINY --steps 150 --lrs 1e-3,3e-3 --warmups 0,10% --jobs 2 --checkpoint-every 7 -q"
"$W" sweep $GRID --out "$tmp/sref" > /dev/null 2>&1 || bad "reference sweep"
for m in "$tmp"/sref/*/metrics.csv; do nocol "$m" > "$tmp/sref.$(basename "$(dirname "$m")")"; done
t0=$(date +%s%N); "$W" sweep $GRID --out "$tmp/stiming" > /dev/null 2>&1; t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 + 50 ))
i=0
while [ $i -lt "$SWEEP_KILLS" ]; do
    i=$((i + 1))
    d="$tmp/s$i"
    "$W" sweep $GRID --out "$d" > /dev/null 2>&1 &
    pid=$!
    sleep "$(delay $ms $((i + 100)))"
    kill -KILL $pid 2> /dev/null
    { wait $pid; } 2> /dev/null
    # the runs get SIGTERM (parent death) and write their checkpoints: wait until they are gone
    n=0; while pgrep -f -- "--out $d\$" > /dev/null && [ $n -lt 1000 ]; do sleep 0.01; n=$((n + 1)); done
    for s in "$d"/*/summary.json; do
        [ -s "$s" ] || continue
        r=$(basename "$(dirname "$s")")
        if json "$s" 'assert d["status"]=="completed"'; then
            nocol "$d/$r/metrics.csv" | cmp -s - "$tmp/sref.$r" && ok || bad "sweep kill $i: finished run $r is not intact"
        else
            json "$s" 'assert d["status"]=="interrupted"' && ok || bad "sweep kill $i: $r's summary is neither complete nor interrupted"
        fi
    done
    "$W" sweep $GRID --out "$d" > /dev/null 2> "$tmp/err" || { bad "sweep kill $i: the rerun failed: $(cat "$tmp/err")"; continue; }
    cmp -s "$d/results.csv" "$tmp/sref/results.csv" && ok || bad "sweep kill $i: results differ from the uninterrupted sweep"
    rm -rf "$d"
done

echo "test_crash: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
