#!/bin/sh
# test_crash.sh - crash safety: training runs and sweeps killed with SIGKILL at random moments
# (52 kills). After each kill, every file that was reported complete must be intact: a
# checkpoint loads (its checksum holds), a summary.json parses and says what it should, a
# finished run's metrics.csv equals the uninterrupted run's; and resuming (or rerunning the
# sweep) must reproduce the uninterrupted result exactly (every column but the wall time).
# Usage: sh tests/test_crash.sh build/warmup [kills of training runs, default 40]
W=${1:-build/warmup}
KILLS=${2:-40}
pass=0; fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
TINY="--layers 1 --heads 2 --dim 32 --seq 16 --batch 4"
RUN="$TINY --steps 150 --checkpoint-every 7 --eval-every 25 -q"
nocol() { cut -d, -f1-17 "$1"; } # metrics.csv without time_s
# a random delay in [0, $1) milliseconds, as seconds
delay() { awk -v m="$1" -v s="$2" 'BEGIN { srand(s); printf "%.3f", rand() * m / 1000 }'; }
json() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $2" "$1" 2>/dev/null; }

# ---- training runs ----
"$W" train $RUN --out "$tmp/ref" && nocol "$tmp/ref/metrics.csv" > "$tmp/ref.csv" || bad "reference run"
# how long the steps take, from the first row of metrics.csv to the end (startup excluded)
"$W" train $RUN --out "$tmp/timing" &
pid=$!
while [ ! -s "$tmp/timing/metrics.csv" ]; do sleep 0.01; done
t0=$(date +%s%N); wait $pid; t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 + 20 ))   # kill anywhere within the steps
with_ckpt=0; finished=0
i=0
while [ $i -lt "$KILLS" ]; do
    i=$((i + 1))
    d="$tmp/k$i"
    "$W" train $RUN --out "$d" &
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
            && nocol "$d/metrics.csv" | cmp -s - "$tmp/ref.csv" && ok || bad "kill $i: a finished run is not intact"
        continue
    fi
    if [ -s "$d/checkpoint.bin" ]; then
        with_ckpt=$((with_ckpt + 1))
        "$W" train --resume "$d" -q 2> "$tmp/err" || { bad "kill $i: resume failed: $(cat "$tmp/err")"; continue; }
    else
        "$W" train $RUN --out "$d" 2> "$tmp/err" || { bad "kill $i: restart failed: $(cat "$tmp/err")"; continue; }
    fi
    nocol "$d/metrics.csv" | cmp -s - "$tmp/ref.csv" && ok || bad "kill $i: resumed run differs from the uninterrupted one"
    json "$d/summary.json" 'assert d["status"]=="completed"' && ok || bad "kill $i: summary after resume"
    rm -rf "$d"
done
echo "training: $KILLS kills, $with_ckpt resumed from a checkpoint, $finished already finished"
[ $with_ckpt -ge $((KILLS / 4)) ] && ok || bad "too few kills landed after a checkpoint ($with_ckpt): the test is not testing resume"

# ---- sweeps ----
GRID="$TINY --steps 150 --lrs 1e-3,3e-3 --warmups 0,10% --jobs 2 --checkpoint-every 7 -q"
"$W" sweep $GRID --out "$tmp/sref" > /dev/null 2>&1 || bad "reference sweep"
for m in "$tmp"/sref/*/metrics.csv; do nocol "$m" > "$tmp/sref.$(basename "$(dirname "$m")")"; done
t0=$(date +%s%N); "$W" sweep $GRID --out "$tmp/stiming" > /dev/null 2>&1; t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 + 50 ))
i=0
while [ $i -lt 12 ]; do
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
