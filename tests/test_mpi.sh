#!/bin/sh
# test_mpi.sh - data-parallel `mpirun -np K warmup train` (src/train/dist.c): K = 1, 2 and 4
# ranks (oversubscribed) with the same global batch give the same losses to 1e-5 relative over
# 100 steps of a small GPT and of the MLP; two runs on the same K are bitwise identical; the lr
# column is the single-process run's exactly; summary.json records the ranks and the per-rank
# batch; rank 0 alone writes; a batch that K does not divide stops every rank with exit 2 and
# one message; a run checkpointed on 2 ranks resumes on 1 (and on 4) and continues as the
# uninterrupted run; a SIGKILL of one rank ends the job with the last checkpoint intact, and the
# run resumes from it. `warmup study batch-scaling --ranks 2` runs its large-batch arms on 2
# ranks (through $WU_MPIRUN) with the single-process study's losses, says so on its page, skips
# finished arms on a rerun, and refuses bad --ranks with exit 2. Skipped, with the reason, where
# mpirun or the MPI build is missing.
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
. "${0%/*}/mpirun.sh" # MPIRUN
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
# what mpirun printed, each line marked so that tests/run.sh (which keeps only FAIL lines)
# shows it
show() { sed 's/^/  FAIL| /' "$tmp/out" | head -12; }
# the metrics without the wall time
notime() { cut -d, -f1-17 "$1"; }

GPT="--layers 1 --heads 2 --dim 32 --seq 16 --batch 8 --steps 100 --eval-every 50 -q"
python3 tests/tiny_idx.py "$tmp/idx" 200 10 || bad "tests/tiny_idx.py failed"
MLP="--model mlp --data $tmp/idx --depth 2 --width 32 --batch 8 --steps 100 --eval-every 50 -q"
for m in gpt mlp; do
    if [ $m = gpt ]; then A=$GPT; else A=$MLP; fi
    "$W" train $A --out "$tmp/$m.1" || bad "$m: the single-process run failed"
    for k in 1 2 4; do
        $MPIRUN -np $k "$W" train $A --out "$tmp/$m.k$k" > "$tmp/out" 2>&1 || { bad "$m: mpirun -np $k failed (exit $?)"; show; }
        for col in loss grad_norm val_loss; do
            d=$(same "$tmp/$m.1/metrics.csv" "$tmp/$m.k$k/metrics.csv" $col 1e-5) && ok || bad "$m, $k ranks: $col differs from one process beyond 1e-5: $d"
        done
        same "$tmp/$m.1/metrics.csv" "$tmp/$m.k$k/metrics.csv" lr 0 >/dev/null && ok || bad "$m, $k ranks: the lr column is not the schedule's"
        [ "$(json "$tmp/$m.k$k/summary.json" 'print(d["ranks"], d["rank_batch"])')" = "$k $((8 / k))" ] && ok ||
            bad "$m, $k ranks: summary.json has not ranks $k, rank_batch $((8 / k))"
        [ "$(ls "$tmp/$m.k$k" | tr '\n' ' ')" = "metrics.csv summary.json " ] && ok || bad "$m, $k ranks: the run holds $(ls "$tmp/$m.k$k")"
    done
    # bitwise repeatable on the same K
    $MPIRUN -np 2 "$W" train $A --out "$tmp/$m.k2b" > "$tmp/out" 2>&1 || { bad "$m: the second 2-rank run failed (exit $?)"; show; }
    [ "$(notime "$tmp/$m.k2/metrics.csv")" = "$(notime "$tmp/$m.k2b/metrics.csv")" ] && ok || bad "$m: two 2-rank runs differ"
done
# the progress and the end line come from rank 0 alone
$MPIRUN -np 2 "$W" train $GPT --steps 5 --out "$tmp/p" 2>&1 | grep -v '^ *$' > "$tmp/out"
[ "$(grep -c '^done: 5 steps' "$tmp/out")" = 0 ] && ok || bad "-q printed an end line"
$MPIRUN -np 2 "$W" train --layers 1 --heads 2 --dim 32 --seq 16 --batch 8 --steps 5 --out "$tmp/p2" > "$tmp/out" 2>&1
[ "$(grep -c '^done: 5 steps' "$tmp/out")" = 1 ] && ok || { bad "the end line is not printed once"; show; }

# a batch that K does not divide: exit 2 on every rank, one message, nothing written
$MPIRUN -np 4 "$W" train $GPT --batch 6 --out "$tmp/nd" > "$tmp/out" 2>&1; rc=$?
[ $rc = 2 ] && ok || bad "batch 6 on 4 ranks: exit $rc, want 2"
[ "$(grep -c 'batch: 6 is not divisible by the 4 ranks' "$tmp/out")" = 1 ] && ok || { bad "batch 6 on 4 ranks: not one message"; show; }
[ ! -e "$tmp/nd/metrics.csv" ] && ok || bad "batch 6 on 4 ranks: metrics.csv was written"
# a bad input found by the CLI (an --out that is a file): exit 2, one message, no hang
: > "$tmp/afile"
$MPIRUN -np 2 "$W" train $GPT --out "$tmp/afile" > "$tmp/out" 2>&1; rc=$?
[ $rc = 2 ] && [ "$(grep -c 'is not a directory' "$tmp/out")" = 1 ] && ok || { bad "--out a file on 2 ranks: exit $rc"; show; }

# checkpointed on 2 ranks, resumed on 1 and on 4: continues as the uninterrupted run
$MPIRUN -np 2 "$W" train $GPT --stop-after 40 --out "$tmp/ck" > /dev/null 2>&1 || bad "the 2-rank run to stop at 40 failed"
[ -f "$tmp/ck/checkpoint.bin" ] && ok || bad "the 2-rank run left no checkpoint"
cp -r "$tmp/ck" "$tmp/ck4"
"$W" train --resume "$tmp/ck" -q || bad "resume on 1 rank failed"
$MPIRUN -np 4 "$W" train --resume "$tmp/ck4" -q > "$tmp/out" 2>&1 || { bad "resume on 4 ranks failed"; show; }
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
    tr '\0' '\n' 2>/dev/null < /proc/$p/environ | grep -q '^OMPI_COMM_WORLD_RANK=1$' && victim=$p
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
[ "$(grep -c 'the ranks hold different weights' "$tmp/out")" = 1 ] && ok || { bad "ranks that drifted apart: not one message"; show; }
[ ! -e "$tmp/drift/summary.json" ] && ok || bad "ranks that drifted apart: a summary.json was written"
"$W" train $D --out "$tmp/drift1" && [ -f "$tmp/drift1/summary.json" ] && ok || bad "--inject-rank-drift on one process failed the run"

# every rank's own exit status (a wrapper records it and exits 0, so that mpirun never cuts a
# rank short): all ranks agree, for bad input (2) and for a failure at run time (1)
printf '#!/bin/sh\n"$@"; echo "$OMPI_COMM_WORLD_RANK $?" >> "$RCLOG"\nexit 0\n' > "$tmp/rc.sh"
export RCLOG="$tmp/rclog"
ranks_exit() { sort "$RCLOG" | awk '{print $2}' | tr '\n' ' '; rm -f "$RCLOG"; }
$MPIRUN -np 4 -x RCLOG sh "$tmp/rc.sh" "$W" train $GPT --batch 6 --out "$tmp/nd2" > /dev/null 2>&1
[ "$(ranks_exit)" = "2 2 2 2 " ] && ok || bad "batch 6 on 4 ranks: the ranks' exit statuses differ or are not 2"
$MPIRUN -np 2 -x RCLOG sh "$tmp/rc.sh" "$W" train $D --out "$tmp/drift2" > /dev/null 2>&1
[ "$(ranks_exit)" = "1 1 " ] && ok || bad "ranks that drifted apart: the ranks' exit statuses are not 1 1"
# a failure on rank 1 alone (its --data is missing; MPMD) with --force over a finished run:
# every rank exits 2, rank 0 says what rank 1 found, and the old run's files are untouched
S="--layers 1 --heads 2 --dim 32 --seq 16 --batch 8 --steps 10 --eval-every 0 -q"
"$W" train $S --out "$tmp/old" || bad "the run to keep failed"
cp -r "$tmp/old" "$tmp/old.before"
$MPIRUN -x RCLOG -np 1 sh "$tmp/rc.sh" "$W" train $S --force --out "$tmp/old" : \
    -np 1 sh "$tmp/rc.sh" "$W" train $S --force --data "$tmp/no-such-corpus" --out "$tmp/old" > "$tmp/out" 2>&1
[ "$(ranks_exit)" = "2 2 " ] && ok || bad "a bad --data on rank 1: the ranks' exit statuses are not 2 2"
grep -q "rank 1: .*no-such-corpus" "$tmp/out" && ok || { bad "rank 0 does not say what rank 1 found"; show; }
diff -r "$tmp/old.before" "$tmp/old" > /dev/null && ok || bad "--force with a failing rank changed the old run's files"
# ... and where rank 1 fails only while opening the run (its corpus is too short): the same
printf 'abc' > "$tmp/tiny.txt"
$MPIRUN -x RCLOG -np 1 sh "$tmp/rc.sh" "$W" train $S --force --out "$tmp/old" : \
    -np 1 sh "$tmp/rc.sh" "$W" train $S --force --data "$tmp/tiny.txt" --out "$tmp/old" > "$tmp/out" 2>&1
[ "$(ranks_exit)" = "2 2 " ] && ok || bad "a too short corpus on rank 1: the ranks' exit statuses are not 2 2"
grep -q "rank 1: .*is too short" "$tmp/out" && ok || { bad "rank 0 does not say what rank 1 found when opening"; show; }
diff -r "$tmp/old.before" "$tmp/old" > /dev/null && ok || bad "--force with a rank that cannot open the run changed the old run's files"
# SIGTERM to rank 1 alone: every rank stops at the same step with exit 130, rank 0 writes the
# checkpoint, and the resumed run equals the uninterrupted one
T="--layers 2 --heads 2 --dim 64 --seq 32 --batch 8 --steps 300 --eval-every 0 -q"
"$W" train $T --out "$tmp/tref" || bad "the uninterrupted run to compare the stopped one with failed"
$MPIRUN -np 2 -x RCLOG sh "$tmp/rc.sh" "$W" train $T --out "$tmp/term" > "$tmp/out" 2>&1 &
mp=$!
for _ in $(seq 1 400); do # until 30 rows are logged (up to 20 s)
    [ "$(cat "$tmp/term/metrics.csv" 2>/dev/null | wc -l)" -gt 30 ] && break
    sleep 0.05
done
victim=""
for p in $(pgrep -x warmup); do
    tr '\0' '\n' 2>/dev/null < /proc/$p/environ | grep -q '^OMPI_COMM_WORLD_RANK=1$' &&
        tr '\0' '\n' 2>/dev/null < /proc/$p/environ | grep -q "^RCLOG=$RCLOG$" && victim=$p
done
if [ -n "$victim" ] && kill -TERM "$victim" 2>/dev/null; then
    wait $mp
    [ "$(ranks_exit)" = "130 130 " ] && ok || bad "SIGTERM to rank 1: the ranks' exit statuses are not 130 130"
    [ -f "$tmp/term/checkpoint.bin" ] && [ "$(json "$tmp/term/summary.json" 'print(d["status"])')" = interrupted ] && ok ||
        bad "SIGTERM to rank 1: no checkpoint, or a summary not saying interrupted"
    $MPIRUN -np 2 "$W" train --resume "$tmp/term" -q > "$tmp/out" 2>&1 || { bad "resuming the stopped run failed"; show; }
    r=$(same "$tmp/tref/metrics.csv" "$tmp/term/metrics.csv" loss 1e-5) && ok || bad "the stopped run resumed: loss differs: $r"
else
    wait $mp
    bad "could not find rank 1 of the run to stop (did it finish first?)"
fi
unset RCLOG

# `warmup study batch-scaling --ranks 2`: the large-batch arms run as 2 workers of batch B/2
# through the launcher ($WU_MPIRUN), the baseline on one process; their losses are the study's
# without --ranks to 1e-5; study.json records the plan, the page says how they ran; a rerun
# skips finished runs; --cell I with --ranks; bad inputs. (Before --ranks existed, the option
# was unknown and every check below failed.)
python3 tests/tiny_idx.py "$tmp/bsidx" 2000 10 || bad "tests/tiny_idx.py (2000 images) failed"
BS="batch-scaling --quick --data $tmp/bsidx -q"
export WU_MPIRUN="$MPIRUN"
"$W" study $BS --out "$tmp/bs1" || bad "batch-scaling on one process failed"
"$W" study $BS --ranks 2 --out "$tmp/bs2" > "$tmp/out" 2>&1 || { bad "batch-scaling --ranks 2 failed"; show; }
for r in small large-unscaled large-sqrt large-linear large-constant-warmup large-gradual-warmup; do
    if [ $r = small ]; then want="1 32"; else want="2 64"; fi
    [ "$(json "$tmp/bs2/$r/summary.json" 'print(d["ranks"], d["rank_batch"])')" = "$want" ] && ok ||
        bad "study --ranks 2: $r: summary.json has not ranks/rank_batch $want"
    for col in loss grad_norm; do
        d=$(same "$tmp/bs1/$r/metrics.csv" "$tmp/bs2/$r/metrics.csv" $col 1e-5) && ok || bad "study --ranks 2: $r: $col differs from one process: $d"
    done
done
[ "$(json "$tmp/bs2/study.json" 'print(*[r["ranks"] for r in d["runs"]])')" = "1 2 2 2 2 2" ] && ok || bad "study.json: the runs' ranks"
grep -q "Batch 32 ran on one process (1 run); batch 128 ran as 2 workers x 64 (MPI data parallel, 5 runs)" "$tmp/bs2/report.html" && ok ||
    bad "report.html does not say how the runs ran"
grep -q "Batch 32 ran on one process (1 run); batch 128 ran on one process (5 runs)" "$tmp/bs1/report.html" && ok ||
    bad "report.html (one process) does not say how the runs ran"
"$W" study batch-scaling --quick --data "$tmp/bsidx" --ranks 2 --out "$tmp/bs2" > "$tmp/out" 2>&1 && grep -q "6 runs (0 to run, 6 already finished)" "$tmp/out" && ok ||
    { bad "a rerun of the study did not skip the finished runs"; show; }
# a checkpoint that does not load (junk) is a fresh start, as in one process: before the fix
# every rerun failed with "checkpoint ...: truncated" from the launched `train --resume`
rm -f "$tmp/bs2/large-linear/summary.json"; echo junk > "$tmp/bs2/large-linear/checkpoint.bin"
"$W" study $BS --ranks 2 --out "$tmp/bs2" > "$tmp/out" 2>&1; rc=$?
[ $rc = 0 ] && [ "$(json "$tmp/bs2/large-linear/summary.json" 'print(d["status"], d["ranks"])')" = "completed 2" ] && ok ||
    { bad "a junk checkpoint of a run on ranks: exit $rc (want 0, run afresh)"; show; }
d=$(same "$tmp/bs1/large-linear/metrics.csv" "$tmp/bs2/large-linear/metrics.csv" loss 1e-5) && ok || bad "the run started afresh: loss differs: $d"
# --emit-slurm with --ranks K: each task gets K slots (mpirun -np K inside a 1-task allocation
# refuses); the arguments as given
"$W" study $BS --ranks 2 --out "$tmp/bss" --emit-slurm > "$tmp/job.sh"; rc=$?
[ $rc = 0 ] && grep -q '^#SBATCH --ntasks=2$' "$tmp/job.sh" && grep -q 'exec "$WARMUP" study batch-scaling --quick .* --ranks 2 ' "$tmp/job.sh" && ok ||
    { bad "study --ranks 2 --emit-slurm: exit $rc"; cat "$tmp/job.sh"; }
"$W" study $BS --out "$tmp/bss" --emit-slurm | grep -q '^#SBATCH --ntasks' && bad "--emit-slurm without --ranks asks for tasks" || ok
# mixed: one large arm rerun on one process; the page tells the truth
rm -rf "$tmp/bs2/large-sqrt"
"$W" study $BS --out "$tmp/bs2" || bad "the rerun without --ranks failed"
grep -q "batch 128 ran as 2 workers x 64 (MPI data parallel, 4 runs); batch 128 ran on one process (1 run)" "$tmp/bs2/report.html" && ok ||
    bad "report.html after a mixed rerun does not say how the runs ran"
"$W" study $BS --ranks 2 --cell 3 --out "$tmp/bsc" || bad "--cell 3 --ranks 2 failed"
[ "$(json "$tmp/bsc/large-linear/summary.json" 'print(d["ranks"])')" = 2 ] && ok || bad "--cell 3 --ranks 2: not on 2 ranks"
# a launcher's failure reaches the run's message (its first line, not mpirun's rules of dashes)
printf '#!/bin/sh\necho -----------\necho "warmup: the fake launcher refused" >&2\nexit 2\n' > "$tmp/fakempi"
WU_MPIRUN="sh $tmp/fakempi" "$W" study $BS --ranks 2 --out "$tmp/bsf" > "$tmp/out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "run $tmp/bsf/large-unscaled: the fake launcher refused" "$tmp/out" && ok || { bad "a failing launcher: exit $rc"; show; }
# bad inputs: exit 2, what is wrong, nothing written
for a in "--ranks 3|not divisible by 3 ranks" "--ranks 0|--ranks must be" "--ranks 2 --jobs 0|--jobs must be"; do
    "$W" study $BS ${a%%|*} --out "$tmp/bsbad" > "$tmp/out" 2>&1; rc=$?
    [ $rc = 2 ] && grep -q -- "${a#*|}" "$tmp/out" && [ ! -e "$tmp/bsbad" ] && ok || { bad "study ${a%%|*}: exit $rc"; show; }
done
"$W" study lr-range --quick --ranks 2 --out "$tmp/bsbad" > "$tmp/out" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "only batch-scaling runs its large-batch arms on several ranks" "$tmp/out" && ok || { bad "lr-range --ranks 2: exit $rc"; show; }
WU_MPIRUN= PATH=/nonexistent "$W" study $BS --ranks 2 --out "$tmp/bsbad" > "$tmp/out" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "the MPI launcher 'mpirun' is not found: install openmpi-bin" "$tmp/out" && [ ! -e "$tmp/bsbad" ] && ok || { bad "no mpirun on PATH: exit $rc"; show; }
$MPIRUN -np 1 "$W" study $BS --ranks 2 --out "$tmp/bsbad" > "$tmp/out" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "this study was itself started by mpirun" "$tmp/out" && [ ! -e "$tmp/bsbad" ] && ok || { bad "--ranks under mpirun: exit $rc"; show; }
unset WU_MPIRUN
echo "test_mpi: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
