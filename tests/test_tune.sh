#!/bin/sh
# test_tune.sh - warmup chosen automatically (issue 18) from the outside: warmup(auto) and
# --auto-warmup on schedule, plot, check and diff; `warmup tune` (the choice, the reason, the
# cost within 10% of the run, --json, bad values); `warmup train` with warmup(auto) (the probe
# runs first, summary.json records it, and the run is bit for bit the one given that length by
# hand; a resume does not probe again); sweeps refuse it; the auto-warmup study's plan (its
# runs are left to make test). The probe itself is tested in tests/test_tune.c.
# Usage: sh tests/test_tune.sh build/warmup
W=${1:-build/warmup}
export OMP_NUM_THREADS=1
QUICK=${WU_TEST_QUICK:-}
pass=0; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# exit status 2 and one line on stderr that holds $2: expect_usage WHAT PATTERN CMD...
expect_usage() {
    what=$1; pat=$2; shift 2
    "$@" > "$tmp/out" 2> "$tmp/err"; rc=$?
    if [ $rc -eq 2 ] && grep -q -- "$pat" "$tmp/err" && [ ! -s "$tmp/out" ]; then ok
    else bad "$what: exit $rc, stderr: $(head -2 "$tmp/err")"; fi
}
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $2" "$1"; }
TINY="--layers 1 --heads 2 --dim 16 --seq 16 --batch 4 --builtin-bytes 20000 --eval-every 10"

# ---- warmup(auto) in the spec language ----
expect_usage "warmup(auto) without a length" "run \`warmup tune\`" \
    "$W" schedule 'warmup(auto) > cosine' --steps 10
grep -q -- "--auto-warmup" "$tmp/err" && ok || bad "the message does not name --auto-warmup: $(cat "$tmp/err")"
"$W" schedule 'warmup(auto) > cosine' --steps 40 --lr 0.5 --auto-warmup 7 --format csv > "$tmp/a" &&
"$W" schedule 'warmup(7) > cosine' --steps 40 --lr 0.5 --format csv > "$tmp/b" &&
cmp -s "$tmp/a" "$tmp/b" && ok || bad "warmup(auto) with --auto-warmup 7 is not warmup(7)"
# units: 10% of 40 steps, samples, epochs; the order of the options does not matter
"$W" schedule 'warmup(auto) > cosine' --auto-warmup 10% --steps 40 --lr 0.5 --format csv > "$tmp/a" &&
"$W" schedule 'warmup(4) > cosine' --steps 40 --lr 0.5 --format csv > "$tmp/b" &&
cmp -s "$tmp/a" "$tmp/b" && ok || bad "--auto-warmup 10% is not warmup(4) over 40 steps"
"$W" schedule 'warmup(auto, exp, from=0.1) > constant' --steps 30 --auto-warmup '96 samples' \
    --samples-per-step 16 --format csv > "$tmp/a" &&
"$W" schedule 'warmup(6, exp, from=0.1) > constant' --steps 30 --format csv > "$tmp/b" &&
cmp -s "$tmp/a" "$tmp/b" && ok || bad "--auto-warmup in samples, with a shape and from="
"$W" schedule 'warmup(auto) > cosine' --steps 10 --auto-warmup 0 --format csv | sed -n 2p | grep -q '^0,1$' &&
    ok || bad "--auto-warmup 0 is no warmup (the peak at step 0)"
expect_usage "--auto-warmup x" "--auto-warmup 'x': must be a duration" \
    "$W" schedule 'warmup(auto) > cosine' --steps 10 --auto-warmup x
expect_usage "--auto-warmup -3" "--auto-warmup '-3'" \
    "$W" schedule 'warmup(auto) > cosine' --steps 10 --auto-warmup -3
expect_usage "--auto-warmup longer than the run" "more than the run" \
    "$W" schedule 'warmup(auto) > cosine' --steps 10 --auto-warmup 11
expect_usage "--auto-warmup '2)'" "is not a duration" \
    "$W" schedule 'warmup(auto) > cosine' --steps 10 --auto-warmup '2)'
expect_usage "--auto-warmup 1ep without an epoch" "--steps-per-epoch" \
    "$W" schedule 'warmup(auto) > cosine' --steps 10 --auto-warmup 1ep
expect_usage "--auto-warmup without a value" "needs a value" \
    "$W" schedule 'warmup(auto) > cosine' --steps 10 --auto-warmup
# plot, diff, check take it too
"$W" plot 'warmup(auto) > cosine' --steps 50 --auto-warmup 5 -o "$tmp/p.svg" > /dev/null &&
    [ -s "$tmp/p.svg" ] && ok || bad "plot --auto-warmup"
expect_usage "plot without --auto-warmup" "warmup tune" "$W" plot 'warmup(auto) > cosine' --steps 50 -o "$tmp/q.svg"
[ ! -e "$tmp/q.svg" ] && ok || bad "a refused plot left a file"
"$W" diff 'warmup(auto) > cosine' 'warmup(5) > cosine' --steps 50 --auto-warmup 5 > "$tmp/d" &&
    grep -q "agree" "$tmp/d" && ok || bad "diff --auto-warmup: $(cat "$tmp/d")"
expect_usage "diff, a bad --auto-warmup" "--auto-warmup" \
    "$W" diff 'warmup(auto) > cosine' 'warmup(5) > cosine' --steps 50 --auto-warmup 5x

# ---- warmup tune ----
"$W" tune $TINY --steps 100 --lr 3e-3 > "$tmp/t" && ok || bad "tune: exit $?"
grep -q '^warmup(auto): [0-9]* steps' "$tmp/t" && grep -q '^why: ' "$tmp/t" &&
    grep -q '^cost: [0-9]* forward/backward passes' "$tmp/t" && ok || bad "tune's output: $(cat "$tmp/t")"
"$W" tune $TINY --steps 100 --lr 3e-3 --json > "$tmp/t.json" && ok || bad "tune --json"
json "$tmp/t.json" "assert d['passes'] <= d['budget_passes'] == 10 and d['pct_of_run'] <= 10 \
    and d['steps'] >= 0 and len(d['reason']) > 40 and d['run_steps'] == 100" && ok ||
    bad "tune --json: $(cat "$tmp/t.json")"
# a high LR catapults: a warmup is chosen where the ramp held the peak, and said why
"$W" tune $TINY --steps 200 --lr 0.5 --json > "$tmp/hi.json" &&
json "$tmp/hi.json" "assert d['steps'] > 0 and d['catapults'] >= 1 and 'catapult' in d['reason'] \
    and d['passes'] <= 20 and not d['exhausted']" && ok || bad "tune at LR 0.5: $(cat "$tmp/hi.json")"
# far too high: the peak never holds within the budget; the ceiling, 25% of the run
"$W" tune $TINY --steps 200 --lr 3 --json > "$tmp/top.json" &&
json "$tmp/top.json" "assert d['steps'] == 50 and d['exhausted'] and d['passes'] <= 20 and \
    '25% of the run' in d['reason'] and 'likely too high' in d['reason'] and \
    d['reason'].endswith('a lower peak LR)')" && ok || bad "tune at LR 3: $(cat "$tmp/top.json")"
expect_usage "tune, a run too short to probe" "at least 50 steps" "$W" tune $TINY --steps 20
expect_usage "tune --auto-warmup" "leave it out" "$W" tune $TINY --steps 100 --auto-warmup 5
expect_usage "tune --lr -1" "--lr" "$W" tune $TINY --steps 100 --lr -1
expect_usage "tune, a stray argument" "unexpected argument" "$W" tune $TINY --steps 100 extra
expect_usage "tune --bogus" "unknown option" "$W" tune --bogus
"$W" tune --help | grep -q -- "--json" && ok || bad "tune --help"

# ---- warmup train with warmup(auto) ----
"$W" train $TINY --steps 200 --lr 0.5 --schedule 'warmup(auto) > cosine' --out "$tmp/auto" > "$tmp/o" ||
    bad "train with warmup(auto): exit $?"
grep -q "^warmup(auto): [0-9]* steps, chosen by the probe" "$tmp/o" && ok || bad "train did not say what it chose: $(cat "$tmp/o")"
n=$(json "$tmp/auto/summary.json" "a=d['auto_warmup']; assert a['probed'] and a['passes'] <= 20 \
    and a['steps'] == d['config']['auto_warmup']; print(a['steps'])") && ok || bad "summary.json's auto_warmup"
# the probe does not touch the run: the same run given that length by hand, bit for bit
"$W" train $TINY --steps 200 --lr 0.5 --schedule "warmup($n) > cosine" --out "$tmp/hand" -q ||
    bad "train warmup($n)"
# metrics.csv without its last column, time_s
notime() { sed 's/,[^,]*$//' "$1"; }
notime "$tmp/auto/metrics.csv" > "$tmp/m1"; notime "$tmp/hand/metrics.csv" > "$tmp/m2"
[ "$n" -gt 0 ] && [ -s "$tmp/m1" ] && cmp -s "$tmp/m1" "$tmp/m2" && ok ||
    bad "warmup(auto) = $n and warmup($n) trained differently: $(diff "$tmp/m1" "$tmp/m2" | head -3)"
# --auto-warmup N on train: no probe
"$W" train $TINY --steps 200 --lr 0.5 --schedule 'warmup(auto) > cosine' --auto-warmup "$n" \
    --out "$tmp/given" -q && json "$tmp/given/summary.json" "assert d['auto_warmup'] == {'steps': $n, 'probed': False}" &&
    ok || bad "train --auto-warmup $n probed or lost it"
expect_usage "train --auto-warmup -2" "--auto-warmup" "$W" train $TINY --schedule 'warmup(auto) > cosine' --auto-warmup -2 --out "$tmp/x"
expect_usage "train, too short to probe" "at least 50 steps" "$W" train $TINY --steps 30 --schedule 'warmup(auto) > cosine' --out "$tmp/short"
[ ! -e "$tmp/short/metrics.csv" ] && ok || bad "a refused probe left metrics.csv"
# a resume keeps the chosen length: no second probe, and the same run as uninterrupted
"$W" train $TINY --steps 200 --lr 0.5 --schedule 'warmup(auto) > cosine' --stop-after 40 --out "$tmp/res" -q
"$W" train --resume "$tmp/res" -q || bad "resume: exit $?"
# the first session's probe (auto_warmup.json) still counts in the resumed run's summary.json
p=$(json "$tmp/auto/summary.json" "print(d['auto_warmup']['passes'])")
json "$tmp/res/summary.json" "a=d['auto_warmup']; assert a['steps'] == $n and a['probed'] and \
    a['passes'] == $p and a['wall_s'] > 0" && [ -s "$tmp/res/auto_warmup.json" ] && ok ||
    bad "the resumed run lost its probe: $(json "$tmp/res/summary.json" "print(d.get('auto_warmup'))")"
notime "$tmp/res/metrics.csv" > "$tmp/m3"
cmp -s "$tmp/m1" "$tmp/m3" && ok || bad "the resumed warmup(auto) run differs from the uninterrupted one"
# warmup check reads the run's log against warmup(auto) given the chosen length
"$W" check "$tmp/auto/metrics.csv" --spec 'warmup(auto) > cosine' --lr 0.5 --steps 200 \
    --auto-warmup "$n" > "$tmp/c" && grep -q "matches" "$tmp/c" && ok || bad "check --auto-warmup $n: $(cat "$tmp/c")"
"$W" check "$tmp/auto/metrics.csv" --spec 'warmup(auto) > cosine' --lr 0.5 --steps 200 \
    --auto-warmup "$((n + 5))" > "$tmp/c"; [ $? -eq 1 ] && ok || bad "check with another length did not differ"
# sweeps refuse it, with the way round
expect_usage "sweep with warmup(auto)" "does not probe warmup(auto)" \
    "$W" sweep $TINY --steps 100 --lrs 1e-3 --schedule 'warmup(auto) > cosine' --out "$tmp/sw"
[ ! -e "$tmp/sw" ] && ok || bad "a refused sweep left its directory"

# MPI ranks refuse to probe (each would probe alone), before anything is written
if [ -n "$QUICK" ]; then
    echo "  skipped: warmup(auto) on 2 MPI ranks: quick mode (make check); make test runs it"
elif ! command -v mpirun >/dev/null 2>&1 || ! ldd "$W" 2>/dev/null | grep -q libmpi; then
    echo "  skipped: warmup(auto) on 2 MPI ranks: no mpirun, or $W built without MPI"
else
    . "${0%/*}/mpirun.sh" # MPIRUN
    timeout 300 $MPIRUN -np 2 "$W" train $TINY --steps 100 --schedule 'warmup(auto) > cosine' \
        --out "$tmp/mpi" -q > "$tmp/out" 2>&1; rc=$?
    [ $rc -eq 2 ] && grep -q "not probed on 2 ranks" "$tmp/out" && [ ! -e "$tmp/mpi/metrics.csv" ] &&
        ok || bad "2 ranks with warmup(auto): exit $rc, $(tail -2 "$tmp/out")"
    timeout 300 $MPIRUN -np 2 "$W" train $TINY --steps 100 --schedule 'warmup(auto) > cosine' \
        --auto-warmup 5 --out "$tmp/mpi5" -q > "$tmp/out" 2>&1 && ok || bad "2 ranks with --auto-warmup 5: $(tail -2 "$tmp/out")"
fi

# ---- the study ----
"$W" study --list | grep -q "^ *auto-warmup" && ok || bad "study --list has no auto-warmup"
if [ -z "$QUICK" ]; then
    "$W" study auto-warmup --quick --out "$tmp/study" -q > /dev/null 2>&1 || bad "study auto-warmup --quick: exit $?"
    [ -s "$tmp/study/report.html" ] && [ -s "$tmp/study/auto-vs-grid.svg" ] && ok || bad "the study's page"
    grep -q "The probe chose" "$tmp/study/conclusion.txt" && ok || bad "the study's conclusion: $(cat "$tmp/study/conclusion.txt")"
    # the compute goal counts the probe and the run it plans: one arm of a 4-point grid is 25%
    grep -q "with the runs it plans, 2[5-9]\.[0-9]%" "$tmp/study/conclusion.txt" &&
        grep -q "is over the 20% goal" "$tmp/study/conclusion.txt" &&
        grep -q "The compute goal cannot be met this way" "$tmp/study/conclusion.txt" &&
        ! grep -q "The goal held on all" "$tmp/study/conclusion.txt" && ok ||
        bad "the cost verdict leaves out the run the probe plans: $(cat "$tmp/study/conclusion.txt")"
else
    echo "  skipped: the auto-warmup study's runs: quick mode (make check); make test runs them"
fi
echo "test_tune: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
