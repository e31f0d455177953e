#!/bin/sh
# test_mpi.sh - data-parallel `mpirun -np K warmup train` (src/train/dist.c): K = 1, 2 and 4
# ranks (oversubscribed) with the same global batch give the same losses to 1e-5 relative over
# 100 steps of a small GPT and of the MLP; two runs on the same K are bitwise identical; the lr
# column is the single-process run's exactly; summary.json records the ranks and the per-rank
# batch; rank 0 alone writes; a batch that K does not divide stops every rank with exit 2 and
# one message; a run checkpointed on 2 ranks resumes on 1 (and on 4) and continues as the
# uninterrupted run; a SIGKILL of one rank ends the job with the last checkpoint intact, and the
# run resumes from it. Skipped, with the reason, where mpirun or the MPI build is missing.
# Usage: sh tests/test_mpi.sh build/warmup
W=${1:-build/warmup}
export OMP_NUM_THREADS=1
pass=0; fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
if ! command -v mpirun >/dev/null 2>&1; then
    echo "  skipped: test_mpi.sh (data-parallel training): mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev, then make)"
    echo "test_mpi: 0 passed, 0 failed"; exit 0
fi
if ! ldd "$W" 2>/dev/null | grep -q libmpi; then
    echo "  skipped: test_mpi.sh (data-parallel training): $W was built without MPI (make MPI=0, or mpicc was missing when it was built)"
    echo "test_mpi: 0 passed, 0 failed"; exit 0
fi
# root in CI and containers; 4 ranks on 2 cores
MPIRUN="mpirun --allow-run-as-root --oversubscribe --mca btl self,vader"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
json() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $2" "$1" 2>/dev/null; }
# COLUMN of two metrics.csv files equal to TOL relative (0: bit for bit, as text)
same() { # A B COLUMN TOL
    awk -F, -v col="$3" -v tol="$4" '
        FNR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
        NR == FNR { a[FNR] = $c; n = FNR; next }
        { m = FNR; x = a[FNR]; y = $c
          if (tol == 0) { if (x != y) { print "row " FNR ": " x " != " y; bad = 1; exit } }
          else { d = x - y; if (d < 0) d = -d; s = x < 0 ? -x : x
                 if (d > tol * s + 1e-30) { print "row " FNR ": " x " vs " y; bad = 1; exit } } }
        END { if (!bad && m != n) { print "rows: " n " vs " m; bad = 1 } exit bad }' "$1" "$2"
}
# the metrics without the wall time
notime() { cut -d, -f1-17 "$1"; }

GPT="--layers 1 --heads 2 --dim 32 --seq 16 --batch 8 --steps 100 --eval-every 50 -q"
python3 tests/tiny_idx.py "$tmp/idx" 200 10 || bad "tests/tiny_idx.py failed"
MLP="--model mlp --data $tmp/idx --depth 2 --width 32 --batch 8 --steps 100 --eval-every 50 -q"
for m in gpt mlp; do
    if [ $m = gpt ]; then A=$GPT; else A=$MLP; fi
    "$W" train $A --out "$tmp/$m.1" || bad "$m: the single-process run failed"
    for k in 1 2 4; do
        $MPIRUN -np $k "$W" train $A --out "$tmp/$m.k$k" > "$tmp/out" 2>&1 || { bad "$m: mpirun -np $k failed"; cat "$tmp/out"; }
        for col in loss grad_norm val_loss; do
            d=$(same "$tmp/$m.1/metrics.csv" "$tmp/$m.k$k/metrics.csv" $col 1e-5) && ok || bad "$m, $k ranks: $col differs from one process beyond 1e-5: $d"
        done
        same "$tmp/$m.1/metrics.csv" "$tmp/$m.k$k/metrics.csv" lr 0 >/dev/null && ok || bad "$m, $k ranks: the lr column is not the schedule's"
        [ "$(json "$tmp/$m.k$k/summary.json" 'print(d["ranks"], d["rank_batch"])')" = "$k $((8 / k))" ] && ok ||
            bad "$m, $k ranks: summary.json has not ranks $k, rank_batch $((8 / k))"
        [ "$(ls "$tmp/$m.k$k" | tr '\n' ' ')" = "metrics.csv summary.json " ] && ok || bad "$m, $k ranks: the run holds $(ls "$tmp/$m.k$k")"
    done
    # bitwise repeatable on the same K
    $MPIRUN -np 2 "$W" train $A --out "$tmp/$m.k2b" > /dev/null 2>&1 || bad "$m: the second 2-rank run failed"
    [ "$(notime "$tmp/$m.k2/metrics.csv")" = "$(notime "$tmp/$m.k2b/metrics.csv")" ] && ok || bad "$m: two 2-rank runs differ"
done
# the progress and the end line come from rank 0 alone
$MPIRUN -np 2 "$W" train $GPT --steps 5 --out "$tmp/p" 2>&1 | grep -v '^ *$' > "$tmp/out"
[ "$(grep -c '^done: 5 steps' "$tmp/out")" = 0 ] && ok || bad "-q printed an end line"
$MPIRUN -np 2 "$W" train --layers 1 --heads 2 --dim 32 --seq 16 --batch 8 --steps 5 --out "$tmp/p2" > "$tmp/out" 2>&1
[ "$(grep -c '^done: 5 steps' "$tmp/out")" = 1 ] && ok || { bad "the end line is not printed once"; cat "$tmp/out"; }

# a batch that K does not divide: exit 2 on every rank, one message, nothing written
$MPIRUN -np 4 "$W" train $GPT --batch 6 --out "$tmp/nd" > "$tmp/out" 2>&1; rc=$?
[ $rc = 2 ] && ok || bad "batch 6 on 4 ranks: exit $rc, want 2"
[ "$(grep -c 'batch: 6 is not divisible by the 4 ranks' "$tmp/out")" = 1 ] && ok || { bad "batch 6 on 4 ranks: not one message"; cat "$tmp/out"; }
[ ! -e "$tmp/nd/metrics.csv" ] && ok || bad "batch 6 on 4 ranks: metrics.csv was written"
# a bad input found by the CLI (an --out that is a file): exit 2, one message, no hang
: > "$tmp/afile"
$MPIRUN -np 2 "$W" train $GPT --out "$tmp/afile" > "$tmp/out" 2>&1; rc=$?
[ $rc = 2 ] && [ "$(grep -c 'is not a directory' "$tmp/out")" = 1 ] && ok || { bad "--out a file on 2 ranks: exit $rc"; cat "$tmp/out"; }

# checkpointed on 2 ranks, resumed on 1 and on 4: continues as the uninterrupted run
$MPIRUN -np 2 "$W" train $GPT --stop-after 40 --out "$tmp/ck" > /dev/null 2>&1 || bad "the 2-rank run to stop at 40 failed"
[ -f "$tmp/ck/checkpoint.bin" ] && ok || bad "the 2-rank run left no checkpoint"
cp -r "$tmp/ck" "$tmp/ck4"
"$W" train --resume "$tmp/ck" -q || bad "resume on 1 rank failed"
$MPIRUN -np 4 "$W" train --resume "$tmp/ck4" -q > "$tmp/out" 2>&1 || { bad "resume on 4 ranks failed"; cat "$tmp/out"; }
for d in ck ck4; do
    for col in loss grad_norm val_loss; do
        r=$(same "$tmp/gpt.1/metrics.csv" "$tmp/$d/metrics.csv" $col 1e-5) && ok || bad "$d: resumed $col differs from the uninterrupted run: $r"
    done
done
[ "$(json "$tmp/ck4/summary.json" 'print(d["ranks"], d["steps_done"])')" = "4 100" ] && ok || bad "ck4: summary.json"

# SIGKILL of one rank mid-run: mpirun ends the job, the last checkpoint is intact, and the run
# resumed from it (on 1 rank) equals the uninterrupted one
K="--layers 2 --heads 2 --dim 64 --seq 32 --batch 8 --steps 300 --eval-every 0 --checkpoint-every 20 -q"
"$W" train $K --out "$tmp/kref" || bad "the uninterrupted run to compare the killed one with failed"
$MPIRUN -np 2 "$W" train $K --out "$tmp/kill" > "$tmp/out" 2>&1 &
mp=$!
victim=""
for _ in $(seq 1 400); do # until 60 rows are logged (up to 20 s)
    [ "$(cat "$tmp/kill/metrics.csv" 2>/dev/null | wc -l)" -gt 60 ] && break
    sleep 0.05
done
for p in $(ps -o pid= --ppid $mp); do
    tr '\0' '\n' < /proc/$p/environ 2>/dev/null | grep -q '^OMPI_COMM_WORLD_RANK=1$' && victim=$p
done
if [ -n "$victim" ] && kill -9 "$victim" 2>/dev/null; then
    wait $mp; rc=$?
    [ $rc != 0 ] && ok || bad "mpirun exited 0 after rank 1 was killed"
    [ -f "$tmp/kill/checkpoint.bin" ] && [ ! -e "$tmp/kill/summary.json" ] && ok || bad "the killed run: no checkpoint, or a summary"
    "$W" train --resume "$tmp/kill" -q || bad "resuming the killed 2-rank run failed"
    r=$(same "$tmp/kref/metrics.csv" "$tmp/kill/metrics.csv" loss 1e-5) && ok || bad "the killed run resumed: loss differs: $r"
else
    wait $mp
    bad "could not find rank 1 of the run to kill (did it finish first?)"
fi
# ranks that drift apart (a fault injected on the last rank after step 5) fail the run at the
# agreement check: exit 1, one message, no summary.json; the same flag on one process changes
# nothing
D="--layers 1 --heads 2 --dim 32 --seq 16 --batch 8 --steps 20 --eval-every 0 -q --inject-rank-drift 5"
$MPIRUN -np 2 "$W" train $D --out "$tmp/drift" > "$tmp/out" 2>&1; rc=$?
[ $rc = 1 ] && ok || bad "ranks that drifted apart: exit $rc, not 1"
[ "$(grep -c 'the ranks hold different weights' "$tmp/out")" = 1 ] && ok || { bad "ranks that drifted apart: not one message"; cat "$tmp/out"; }
[ ! -e "$tmp/drift/summary.json" ] && ok || bad "ranks that drifted apart: a summary.json was written"
"$W" train $D --out "$tmp/drift1" && [ -f "$tmp/drift1/summary.json" ] && ok || bad "--inject-rank-drift on one process failed the run"
echo "test_mpi: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
