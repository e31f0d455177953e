#!/bin/sh
# test_threads.sh - the thread governor (src/util/cpuload.c, used by src/train/run.c): a run
# whose thread count the user did not fix drops to the cores other processes leave free, so two
# runs at once, or a run beside a build, do not spin on each other's cores; OMP_NUM_THREADS fixes
# the count and turns the governor off. A busy loop pinned to one of two cores stands for the
# other process; summary.json's "threads" and "threads_min" say what the run used. Before the
# governor a run beside the busy loop kept its 2 threads (threads_min 2), so the first check
# failed. Also: libgomp starts once per command (the passive-policy restart of early issue 14 is
# gone) and keeps its own wait policy or the user's.
# Usage: sh tests/test_threads.sh build/warmup
W=${1:-build/warmup}
pass=0; fail=0
tmp=$(mktemp -d)
spinner=
cleanup() { [ -n "$spinner" ] && kill "$spinner" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
unset OMP_WAIT_POLICY GOMP_SPINCOUNT OMP_DISPLAY_ENV
TINY="--layers 1 --heads 2 --dim 32 --seq 16 --batch 4 --steps 2 -q"
num() { sed -n "s/^  \"$2\": \\([0-9]*\\),\$/\\1/p" "$1/summary.json"; }
icv() { grep -E "^ +$1 = " | tail -1 | sed -e "s/.*= '//" -e "s/'.*//"; }

out=$(env OMP_NUM_THREADS=1 OMP_DISPLAY_ENV=verbose "$W" train $TINY --out "$tmp/r" 2>&1 >/dev/null)
if ! echo "$out" | grep -q OMP_WAIT_POLICY; then
    echo "skipped: $W does not use libgomp (built with OPENMP=0?): no threads to govern"
else
    # one start, libgomp's own policy; a user's policy is libgomp's business, passed through
    [ "$(echo "$out" | grep -c 'OPENMP DISPLAY ENVIRONMENT BEGIN')" -eq 1 ] && ok || bad "train: libgomp started $(echo "$out" | grep -c 'OPENMP DISPLAY ENVIRONMENT BEGIN') times, 1 expected"
    [ -s "$tmp/r/summary.json" ] && ok || bad "the 2-step run wrote no summary"
    out=$(env OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive OMP_DISPLAY_ENV=verbose "$W" train $TINY --out "$tmp/p" 2>&1 >/dev/null)
    [ "$(echo "$out" | icv OMP_WAIT_POLICY)" = PASSIVE ] && ok || bad "OMP_WAIT_POLICY=passive: $(echo "$out" | grep WAIT)"
    [ "$(num "$tmp/p" threads)" = 1 ] && ok || bad "OMP_NUM_THREADS=1: summary says $(num "$tmp/p" threads) threads"

    own=0
    if command -v taskset > /dev/null && taskset -c 0,1 true 2>/dev/null; then
        env -u OMP_NUM_THREADS taskset -c 0,1 "$W" train $TINY --out "$tmp/own" > /dev/null 2>&1
        own=$(num "$tmp/own" threads)
    fi
    if ! command -v taskset > /dev/null || [ "$(nproc --all)" -lt 2 ] || ! taskset -c 0,1 true 2>/dev/null; then
        echo "skipped: the governor checks need two cores and taskset (util-linux)"
    elif [ "$own" != 2 ]; then
        # OPENMP=0: libgomp is here only for OpenBLAS's threads; the engine has none to govern
        echo "skipped: the governor checks: this build runs $own thread(s) of its own (OPENMP=0?)"
    else
        # two cores for everything below; a busy loop on core 0 is the other process
        # 200 steps: the governor looks every 0.25 s, and 40 steps of this model now take less
        RUN="--steps 200 --batch 8 --seq 32 --dim 64 --heads 4 --layers 2"
        taskset -c 0 sh -c 'while :; do :; done' & spinner=$!
        env -u OMP_NUM_THREADS taskset -c 0,1 "$W" train $RUN --out "$tmp/gov" > "$tmp/gov.out" 2>&1 || bad "the governed run failed: $(cat "$tmp/gov.out")"
        [ "$(num "$tmp/gov" threads)" = 2 ] && ok || bad "governed run: $(num "$tmp/gov" threads) threads at most, 2 expected (two cores)"
        [ "$(num "$tmp/gov" threads_min)" = 1 ] && ok || bad "beside a busy loop the run kept $(num "$tmp/gov" threads_min) threads, 1 expected"
        grep -q "the machine was busy: 1 thread of 2" "$tmp/gov.out" && ok || bad "the run did not say it used fewer threads: $(tail -2 "$tmp/gov.out")"
        # OMP_NUM_THREADS fixes the count: no governor, even beside the busy loop
        OMP_NUM_THREADS=2 taskset -c 0,1 "$W" train $RUN --steps 20 --out "$tmp/fixed" > "$tmp/fixed.out" 2>&1 || bad "the fixed run failed: $(cat "$tmp/fixed.out")"
        [ "$(num "$tmp/fixed" threads_min)" = 2 ] && ok || bad "OMP_NUM_THREADS=2 beside a busy loop: threads_min $(num "$tmp/fixed" threads_min), 2 expected"
        grep -q "machine was busy" "$tmp/fixed.out" && bad "a fixed count still said the machine was busy" || ok
        kill "$spinner"; wait "$spinner" 2>/dev/null; spinner=
        # the same thread count, fixed or governed, gives the same losses: the count never
        # changes a result (the governor may switch it between any two steps)
        env -u OMP_NUM_THREADS taskset -c 0,1 "$W" train $RUN --steps 20 --out "$tmp/free" > /dev/null 2>&1
        cut -d, -f1-3 "$tmp/fixed/metrics.csv" > "$tmp/a"; cut -d, -f1-3 "$tmp/free/metrics.csv" > "$tmp/b"
        cmp -s "$tmp/a" "$tmp/b" && ok || bad "fixed and governed threads gave different losses: $(diff "$tmp/a" "$tmp/b" | head -4)"
    fi
fi
echo "test_threads: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
