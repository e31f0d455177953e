#!/bin/sh
# test_cells.sh - a sweep across machines (docs/CLUSTER.md): `warmup sweep ... --cells`, one
# cell at a time with --cell I into a shared directory, `--collect DIR` and `warmup report DIR`
# from whatever cells finished (the missing ones listed), the same grid through GNU parallel
# and through `mpirun -np 2` (ranks take cells round-robin), the script of --emit-slurm run
# task by task, a cell killed mid-way (SIGKILL) then rerun, and a study's runs as cells, through
# GNU parallel, `mpirun -np 2` and its --emit-slurm script. Every way must give a
# results.csv identical, byte for byte, to the single-machine sweep's, and the same loss column
# of every run's metrics.csv (bit for bit); a study, the same runs and the same conclusion.
# Parts whose tool is missing say "skipped: ..." (checked at the end with a PATH without them).
# Before --cell existed, the first check (the cell count) failed: sweep had no such option.
# Before studies took mpirun ranks and --emit-slurm (and temporary names the host), the
# "study under mpirun", "study --emit-slurm" and "temporary name" checks failed.
# Before the review fixes (docs/CLUSTER.md: launch ids, the Slurm script's quoting), the
# "without a launch id", "Slurm step", "failing cells on a rank", "bar on rank 0", "odd
# characters" and "arguments as given" checks failed (run against the previous build).
# Usage: sh tests/test_cells.sh build/warmup     (TEST_CELLS_PART=tools: the parallel and
# mpirun parts alone, after the study's reference run; used for the "skipped" check)
W=${1:-build/warmup}
case "$W" in /*) ;; *) W="$(pwd)/$W" ;; esac
export OMP_NUM_THREADS=1 # pinned: the same run bit for bit
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 # CI runs as root
pass=0; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
. "${0%/*}/mpirun.sh" # MPIRUN
# have TOOL WHAT: TOOL is on PATH, else say that WHAT is skipped
have() {
    command -v "$1" > /dev/null 2>&1 && return 0
    echo "  skipped: $2: $1 is not installed (sh scripts/deps.sh test)"; return 1
}
S="adam-first-steps --quick"
# a study's runs in DIR equal the whole study's ($tmp/st), loss column bit for bit, and so does
# the conclusion drawn from them
same_study() { # NAME DIR
    sed -n '2,$p' "$tmp/stcells.txt" | while read -r i name; do
        cut -d, -f3 "$tmp/st/$name/metrics.csv" > "$tmp/a"; cut -d, -f3 "$2/$name/metrics.csv" > "$tmp/b" 2> /dev/null
        cmp -s "$tmp/a" "$tmp/b" || echo "$name"
    done > "$tmp/differ"
    [ ! -s "$tmp/differ" ] && ok || bad "$1: study runs differ from the whole study's: $(cat "$tmp/differ")"
    cmp -s "$tmp/st/conclusion.txt" "$2/conclusion.txt" && ok \
        || { bad "$1: the study's conclusion differs from the whole study's"; diff "$tmp/st/conclusion.txt" "$2/conclusion.txt" | head -4; }
    [ ! -e "$2/.ranks" ] && ok || bad "$1: rank markers left in $2: $(ls "$2/.ranks")"
}

# ---- a study through GNU parallel and mpirun (also alone, with TEST_CELLS_PART=tools)
study_tools() {
    "$W" study $S --out "$tmp/st" --cells > "$tmp/stcells.txt" && "$W" study $S --out "$tmp/st" -q > /dev/null 2>&1 \
        || bad "the whole study (the reference)"
    nst=$(head -1 "$tmp/stcells.txt")
    if have parallel "the study through GNU parallel"; then
        seq 0 $((nst - 1)) | parallel -j2 "$W" study $S --out "$tmp/stp" --cell {} -q; rc=$?
        [ $rc -eq 0 ] && "$W" report "$tmp/stp" > /dev/null 2>&1 && ok || bad "study cells through parallel: exit $rc"
        same_study "study through parallel" "$tmp/stp"
    fi
    if have mpirun "the study under mpirun"; then
        # two ranks take the runs round-robin, rank 0 draws the study; a killed earlier launch's
        # markers (one saying its rank failed) do not count
        mkdir -p "$tmp/stm/.ranks" && echo 1 > "$tmp/stm/.ranks/killed-launch-1" && echo 1 > "$tmp/stm/.ranks/mpirun-1"
        $MPIRUN -np 2 "$W" study $S --out "$tmp/stm" > "$tmp/out.txt" 2>&1; rc=$?
        [ $rc -eq 0 ] && grep -q "report: $tmp/stm/report.html" "$tmp/out.txt" && ok \
            || { bad "study under mpirun -np 2: exit $rc"; tail -5 "$tmp/out.txt"; }
        [ "$(grep -c 'rank [01] of 2: 2 of the 4 cells' "$tmp/out.txt")" -eq 2 ] && ok || bad "study under mpirun: the ranks' shares: $(grep rank "$tmp/out.txt")"
        rm -f "$tmp/stm/.ranks/killed-launch-1" "$tmp/stm/.ranks/mpirun-1"; rmdir "$tmp/stm/.ranks"
        same_study "study under mpirun -np 2" "$tmp/stm"
        # a bad input: exit 2 on every rank, one message
        $MPIRUN -np 2 "$W" study $S --out "$tmp/stm2" --seed -3 > "$tmp/out.txt" 2>&1; rc=$?
        [ $rc -eq 2 ] && [ "$(grep -c -e '--seed' "$tmp/out.txt")" -eq 1 ] && [ ! -e "$tmp/stm2" ] && ok \
            || { bad "a bad study input under mpirun: exit $rc (want 2, one message)"; cat "$tmp/out.txt"; }
        $MPIRUN -np 2 "$W" study $S --out "$tmp/stm2" --cell 1 -q > "$tmp/out.txt" 2>&1; rc=$?
        [ $rc -eq 2 ] && [ "$(grep -c 'all 2 ranks would run cell 1' "$tmp/out.txt")" -eq 1 ] && [ ! -e "$tmp/stm2" ] && ok \
            || { bad "study --cell under mpirun: exit $rc (want 2, one message)"; cat "$tmp/out.txt"; }
    fi
}
if [ "$TEST_CELLS_PART" = tools ]; then
    study_tools
    echo "test_cells (tools): $pass passed, $fail failed"
    [ $fail -eq 0 ]; exit
fi
G="--layers 1 --heads 1 --dim 8 --seq 4 --batch 2 --steps 30 --lrs 1e-3,1e-2 --warmups 0,25%"
CELLS="lr0.001-w0-seed1 lr0.01-w0-seed1 lr0.001-w25pct-seed1 lr0.01-w25pct-seed1"

# the same grid as $tmp/ref: results.csv byte for byte, each run's loss column bit for bit,
# and no file in DIR but the plan, the runs and what the collector wrote
same() { # NAME DIR
    if cmp -s "$tmp/ref/results.csv" "$2/results.csv"; then ok; else
        bad "$1: results.csv differs from the single-machine sweep's"; diff "$tmp/ref/results.csv" "$2/results.csv" | head -5; fi
    for c in $CELLS; do
        cut -d, -f3 "$tmp/ref/$c/metrics.csv" > "$tmp/a"; cut -d, -f3 "$2/$c/metrics.csv" > "$tmp/b" 2> /dev/null
        cmp -s "$tmp/a" "$tmp/b" || { bad "$1: $c: the loss column differs"; return; }
    done
    ok
    left=$(cd "$2" && ls -A | grep -v -x -e sweep.json -e results.csv -e sensitivity.csv -e report.html \
        -e heatmap.svg -e loss-vs-lr.svg -e sensitivity.svg -e 'lr0.*' | tr '\n' ' ')
    [ -z "$left" ] && ok || bad "$1: stray files in the sweep directory: $left"
}

# ---- the cells of a grid
"$W" sweep $G --out "$tmp/x" --cells > "$tmp/cells.txt"; rc=$?
[ $rc -eq 0 ] && [ "$(head -1 "$tmp/cells.txt")" = 4 ] && ok || bad "--cells: exit $rc, printed $(head -1 "$tmp/cells.txt")"
[ "$(sed -n '2,$p' "$tmp/cells.txt" | tr '\n' ' ')" = "0 lr0.001-w0-seed1 1 lr0.01-w0-seed1 2 lr0.001-w25pct-seed1 3 lr0.01-w25pct-seed1 " ] && ok \
    || bad "--cells lists the cells in grid order: $(cat "$tmp/cells.txt")"
"$W" sweep $G --out "$tmp/x" --cells --format json | python3 -c '
import json, sys
j = json.load(sys.stdin)
sys.exit(not (j["cells"] == 4 and j["names"][3] == "lr0.01-w25pct-seed1" and j["dir"].endswith("/x")))' \
    && ok || bad "--cells --format json"
[ ! -e "$tmp/x" ] && ok || bad "--cells wrote $tmp/x"

# ---- the reference: the whole sweep on one machine
"$W" sweep $G --out "$tmp/ref" -q; rc=$?
[ $rc -eq 0 ] && [ -s "$tmp/ref/results.csv" ] && ok || bad "the single-machine sweep: exit $rc"

# ---- one cell at a time, then the collector
for i in 0 1 2 3; do
    "$W" sweep $G --out "$tmp/one" --cell $i -q || bad "--cell $i exited $?"
    # a cell writes no shared file but the plan
    [ ! -e "$tmp/one/results.csv" ] && [ ! -e "$tmp/one/report.html" ] || { bad "--cell $i wrote a shared file"; break; }
done
grep -q -e '--cell' "$tmp/one/sweep.json" && bad "the plan of the cells records --cell" || ok
sed 's| --out [^ ",]*||' "$tmp/one/sweep.json" > "$tmp/a"; sed 's| --out [^ ",]*||' "$tmp/ref/sweep.json" > "$tmp/b"
cmp -s "$tmp/a" "$tmp/b" && ok || bad "the plan a cell writes is the whole sweep's (no --cell in its command)"
"$W" sweep --collect "$tmp/one" -q > "$tmp/out.txt" 2>&1; rc=$?
[ $rc -eq 0 ] && ok || { bad "--collect of a finished grid: exit $rc"; cat "$tmp/out.txt"; }
same "cells one by one" "$tmp/one"
# the whole sweep over the cells' directory skips them all
"$W" sweep $G --out "$tmp/one" > "$tmp/out.txt" 2>&1
grep -q '4 runs (0 to run, 4 already finished)' "$tmp/out.txt" && ok || bad "a whole sweep after the cells reruns some: $(head -3 "$tmp/out.txt")"
# a cell already finished is skipped
"$W" sweep $G --out "$tmp/one" --cell 2 > "$tmp/out.txt" 2>&1
grep -q '1 runs (0 to run, 1 already finished)' "$tmp/out.txt" && ok || bad "a finished cell reruns: $(cat "$tmp/out.txt")"

# ---- half a sweep: the report and the collector list the missing cells
"$W" sweep $G --out "$tmp/half" --cell 0 -q && "$W" sweep $G --out "$tmp/half" --cell 2 -q || bad "half: the cells failed"
"$W" report "$tmp/half" > "$tmp/out.txt" 2>&1; rc=$?
[ $rc -eq 0 ] && grep -q '2 of 4 cells not finished' "$tmp/out.txt" && grep -q '^  1 lr0.01-w0-seed1$' "$tmp/out.txt" \
    && grep -q '^  3 lr0.01-w25pct-seed1$' "$tmp/out.txt" && ! grep -q 'lr0.001-w0-seed1' "$tmp/out.txt" && ok \
    || { bad "report of half a sweep (exit $rc) lists the missing cells"; cat "$tmp/out.txt"; }
grep -q 'Cells not finished (2 of 4)' "$tmp/half/report.html" && grep -q '>lr0.01-w25pct-seed1<' "$tmp/half/report.html" \
    && ok || bad "the page of half a sweep lists the missing cells"
[ "$(grep -c ',completed,' "$tmp/half/results.csv")" -eq 2 ] && [ "$(grep -c ',missing,' "$tmp/half/results.csv")" -eq 2 ] \
    && ok || bad "results.csv of half a sweep: 2 completed, 2 missing rows"
"$W" sweep --collect "$tmp/half" -q > "$tmp/out.txt" 2>&1; rc=$?
[ $rc -eq 1 ] && grep -q '^  3 lr0.01-w25pct-seed1$' "$tmp/out.txt" && ok || bad "--collect of half a sweep: exit $rc (want 1), $(cat "$tmp/out.txt")"

# ---- the script of --emit-slurm, its tasks run here one by one, and its submission (a fake sbatch)
"$W" sweep $G --out "$tmp/sl" --emit-slurm > "$tmp/job.sh"; rc=$?
[ $rc -eq 0 ] && sh -n "$tmp/job.sh" && grep -q '^#SBATCH --array=0-3$' "$tmp/job.sh" && ok || bad "--emit-slurm: exit $rc, $(head -12 "$tmp/job.sh")"
[ ! -e "$tmp/sl" ] && ok || bad "--emit-slurm wrote $tmp/sl"
for i in 0 1 2 3; do SLURM_ARRAY_TASK_ID=$i sh "$tmp/job.sh" > /dev/null 2>&1 || bad "slurm task $i exited $?"; done
mkdir -p "$tmp/bin"
printf '#!/bin/sh\necho "$*" >> %s/sbatch.log\necho 4242\n' "$tmp" > "$tmp/bin/sbatch"; chmod +x "$tmp/bin/sbatch"
PATH="$tmp/bin:$PATH" sh "$tmp/job.sh" > /dev/null 2>&1
grep -q -- '--parsable' "$tmp/sbatch.log" && grep -q -- '--dependency=afterany:4242 .*sweep --collect' "$tmp/sbatch.log" \
    && ok || bad "sh job.sh submits the array and a dependent collect: $(cat "$tmp/sbatch.log")"
"$W" sweep --collect "$tmp/sl" -q > /dev/null 2>&1 || bad "--collect after the slurm tasks"
same "the slurm script's tasks" "$tmp/sl"
grep -q "^#SBATCH --chdir=$(pwd)\$" "$tmp/job.sh" && ! grep -q '^#SBATCH --ntasks' "$tmp/job.sh" && ok \
    || bad "the script's #SBATCH lines: $(grep '^#SBATCH' "$tmp/job.sh")"
# odd characters in the directory it was made in and in DIR (relative: the tasks cd there): the
# tasks and the report step (sbatch --wrap, run by a shell of its own) take them literally
wd="$tmp/c w\"d\$x\`y\`'z"; od="o u\"t\$HOME\`id\`'q"
mkdir -p "$wd" "$tmp/bin2"
(cd "$wd" && "$W" sweep $G --out "$od" --emit-slurm) > "$tmp/wjob.sh"; rc=$?
[ $rc -eq 0 ] && sh -n "$tmp/wjob.sh" && ! grep -q '^#SBATCH --chdir' "$tmp/wjob.sh" && ok || bad "--emit-slurm from an odd directory: exit $rc"
for i in 0 1 2 3; do (cd "$tmp" && SLURM_ARRAY_TASK_ID=$i sh "$tmp/wjob.sh") > /dev/null 2>&1 || bad "odd characters: slurm task $i exited $?"; done
cat > "$tmp/bin2/sbatch" << 'EOF2'
#!/bin/sh
for a in "$@"; do
    [ "$prev" = --wrap ] && printf '%s\n' "$a" > "$SBATCH_SAVE.wrap"
    case "$a" in --chdir=*) printf '%s' "${a#--chdir=}" > "$SBATCH_SAVE.chdir" ;; esac
    prev=$a
done
echo 4242
EOF2
chmod +x "$tmp/bin2/sbatch"
(cd "$tmp" && PATH="$tmp/bin2:$PATH" SBATCH_SAVE="$tmp/sb" sh "$tmp/wjob.sh") > /dev/null 2>&1
[ "$(cat "$tmp/sb.chdir" 2> /dev/null)" = "$wd" ] && (cd "$wd" && sh "$tmp/sb.wrap") > /dev/null 2>&1 && ok \
    || bad "odd characters: the report step ($(cat "$tmp/sb.wrap" 2> /dev/null)) failed"
same "odd characters in the paths" "$wd/$od"

# ---- GNU parallel
if have parallel "the GNU parallel part"; then
    seq 0 3 | parallel -j2 "$W" sweep $G --out "$tmp/par" --cell {} -q; rc=$?
    [ $rc -eq 0 ] && ok || bad "parallel -j2: exit $rc"
    "$W" sweep --collect "$tmp/par" -q > /dev/null 2>&1 || bad "--collect after parallel"
    same "GNU parallel" "$tmp/par"
fi

# ---- mpirun: rank r runs cells r, r+2; rank 0 waits for the other and collects
if have mpirun "the mpirun part"; then
    $MPIRUN -np 2 "$W" sweep $G --out "$tmp/mpi" -q > "$tmp/out.txt" 2>&1; rc=$?
    [ $rc -eq 0 ] && ok || { bad "mpirun -np 2: exit $rc"; tail -5 "$tmp/out.txt"; }
    same "mpirun -np 2" "$tmp/mpi"
    # three ranks over four cells, rerun on a finished grid: every rank skips its cells
    $MPIRUN -np 3 "$W" sweep $G --out "$tmp/mpi" -q > "$tmp/out.txt" 2>&1; rc=$?
    [ $rc -eq 0 ] && ok || { bad "mpirun -np 3 over a finished grid: exit $rc"; tail -5 "$tmp/out.txt"; }
    same "mpirun -np 3, rerun" "$tmp/mpi"
    # a bad input under mpirun: every rank exits 2, the message is printed once (by rank 0)
    $MPIRUN -np 2 "$W" sweep $G --out "$tmp/mpi2" --seeds 0 > "$tmp/out.txt" 2>&1; rc=$?
    [ $rc -eq 2 ] && [ "$(grep -c 'seeds must be' "$tmp/out.txt")" -eq 1 ] && ok \
        || { bad "a bad input under mpirun: exit $rc (want 2, one message)"; cat "$tmp/out.txt"; }
    # a rank whose cells fail (rank 1's cell 1 cannot write its metrics.csv) exits 0 with its
    # status in its marker; rank 0 collects, lists the cell and the job exits 1
    mkdir -p "$tmp/mpf/lr0.01-w0-seed1/metrics.csv"
    $MPIRUN -np 2 "$W" sweep $G --out "$tmp/mpf" -q > "$tmp/out.txt" 2>&1; rc=$?
    [ $rc -eq 1 ] && grep -q 'some cells failed' "$tmp/out.txt" && grep -q '^  1 lr0.01-w0-seed1' "$tmp/out.txt" \
        && [ -s "$tmp/mpf/lr0.01-w25pct-seed1/summary.json" ] && [ ! -e "$tmp/mpf/.ranks" ] && ok \
        || { bad "failing cells on a rank under mpirun: exit $rc (want 1)"; cat "$tmp/out.txt"; }
    # --cell under mpirun would run one cell K times at once: refused, said once
    $MPIRUN -np 2 "$W" sweep $G --out "$tmp/mpi2" --cell 1 -q > "$tmp/out.txt" 2>&1; rc=$?
    [ $rc -eq 2 ] && [ "$(grep -c 'all 2 ranks would run cell 1' "$tmp/out.txt")" -eq 1 ] && [ ! -e "$tmp/mpi2" ] && ok \
        || { bad "--cell under mpirun: exit $rc (want 2, one message)"; cat "$tmp/out.txt"; }
fi

# ---- a cell killed mid-way (SIGKILL: the cell's process and its run), then rerun
K="--layers 1 --heads 1 --dim 8 --seq 4 --batch 2 --steps 20000 --checkpoint-every 500 --lrs 1e-3 --warmups 0,10%"
"$W" sweep $K --out "$tmp/kref" -q || bad "the kill reference sweep"
"$W" sweep $K --out "$tmp/kill" --cell 1 -q &
pid=$!
n=0
while [ "$n" -lt 100 ] && [ "$(cat "$tmp/kill/lr0.001-w10pct-seed1/metrics.csv" 2> /dev/null | wc -l)" -lt 3000 ]; do
    sleep 0.05; n=$((n + 1)); done
child=$(pgrep -P $pid)
kill -KILL $pid $child 2> /dev/null
wait $pid 2> /dev/null
[ ! -e "$tmp/kill/lr0.001-w10pct-seed1/summary.json" ] && ok || bad "the cell finished before it was killed: make it longer"
"$W" report "$tmp/kill" > "$tmp/out.txt" 2>&1
grep -q '^  0 lr0.001-w0-seed1$' "$tmp/out.txt" && grep -q '^  1 lr0.001-w10pct-seed1 (started: running, or stopped' "$tmp/out.txt" \
    && grep -q 'started: running, or stopped' "$tmp/kill/report.html" && ok \
    || { bad "the report tells a killed cell (started) from one not started"; cat "$tmp/out.txt"; }
"$W" sweep $K --out "$tmp/kill" --cell 1 -q && "$W" sweep $K --out "$tmp/kill" --cell 0 -q || bad "the rerun of the killed cell"
"$W" sweep --collect "$tmp/kill" -q > /dev/null 2>&1; rc=$?
[ $rc -eq 0 ] && cmp -s "$tmp/kref/results.csv" "$tmp/kill/results.csv" && ok \
    || bad "a killed and rerun cell: results.csv differs from the uninterrupted sweep's (collect exit $rc)"
cut -d, -f3 "$tmp/kref/lr0.001-w10pct-seed1/metrics.csv" > "$tmp/a"; cut -d, -f3 "$tmp/kill/lr0.001-w10pct-seed1/metrics.csv" > "$tmp/b"
cmp -s "$tmp/a" "$tmp/b" && ok || bad "a killed and rerun cell: the loss column differs"

# ---- a study's runs as cells: the same runs as the whole study, bit for bit
"$W" study adam-first-steps --quick --out "$tmp/st" --cells > "$tmp/cells.txt"; rc=$?
ns=$(head -1 "$tmp/cells.txt")
[ $rc -eq 0 ] && [ "$ns" -ge 2 ] 2> /dev/null && [ ! -e "$tmp/st" ] && ok || bad "study --cells: exit $rc, $(cat "$tmp/cells.txt")"
"$W" study adam-first-steps --quick --out "$tmp/st" -q > /dev/null 2>&1 || bad "the whole study"
"$W" study adam-first-steps --quick --out "$tmp/stc" --cell 1 -q || bad "study --cell 1"
"$W" report "$tmp/stc" > "$tmp/out.txt" 2>&1
grep -q "$((ns - 1)) of $ns runs not finished" "$tmp/out.txt" && grep -q "^  0 $(sed -n 2p "$tmp/cells.txt" | cut -d' ' -f2)$" "$tmp/out.txt" \
    && ok || { bad "report of a study with one run done lists the others"; cat "$tmp/out.txt"; }
i=0
while [ $i -lt "$ns" ]; do
    "$W" study adam-first-steps --quick --out "$tmp/stc" --cell $i -q || bad "study --cell $i"
    i=$((i + 1))
done
sed -n '2,$p' "$tmp/cells.txt" | while read -r i name; do
    cut -d, -f3 "$tmp/st/$name/metrics.csv" > "$tmp/a"; cut -d, -f3 "$tmp/stc/$name/metrics.csv" > "$tmp/b"
    cmp -s "$tmp/a" "$tmp/b" || echo "$name"
done > "$tmp/differ"
[ ! -s "$tmp/differ" ] && ok || bad "study runs run as cells differ from the whole study's: $(cat "$tmp/differ")"
"$W" report "$tmp/stc" > "$tmp/out.txt" 2>&1 && ! grep -q 'not finished' "$tmp/out.txt" && ok || bad "report of the finished study: $(cat "$tmp/out.txt")"
"$W" study adam-first-steps --quick --out "$tmp/stb" --cell "$ns" > /dev/null 2> "$tmp/err.txt"; rc=$?
[ $rc -eq 2 ] && grep -q "numbered 0 to $((ns - 1))" "$tmp/err.txt" && [ ! -e "$tmp/stb" ] && ok || bad "study --cell $ns: exit $rc, $(cat "$tmp/err.txt")"

study_tools

# ---- a study's --emit-slurm script: its tasks run here one by one, its submission (fake sbatch)
"$W" study $S --out "$tmp/sts" --emit-slurm > "$tmp/sjob.sh"; rc=$?
[ $rc -eq 0 ] && sh -n "$tmp/sjob.sh" && grep -q "^#SBATCH --array=0-$((nst - 1))\$" "$tmp/sjob.sh" \
    && grep -q 'exec "$WARMUP" study .*--cell "$SLURM_ARRAY_TASK_ID" -q$' "$tmp/sjob.sh" && [ ! -e "$tmp/sts" ] \
    && ok || bad "study --emit-slurm: exit $rc, $(cat "$tmp/sjob.sh")"
# the arguments as given, not as getopt permuted them (the study's name first), in the script
# and in study.json
grep -q "exec \"\$WARMUP\" study adam-first-steps --quick --out $tmp/sts --cell" "$tmp/sjob.sh" && ok \
    || bad "study --emit-slurm: the arguments as given: $(grep exec "$tmp/sjob.sh")"
i=0
while [ $i -lt "$nst" ]; do SLURM_ARRAY_TASK_ID=$i sh "$tmp/sjob.sh" > /dev/null 2>&1 || bad "study slurm task $i exited $?"; i=$((i + 1)); done
rm -f "$tmp/sbatch.log"
PATH="$tmp/bin:$PATH" sh "$tmp/sjob.sh" > /dev/null 2>&1
grep -q -- '--parsable' "$tmp/sbatch.log" && grep -q -- '--dependency=afterany:4242 ' "$tmp/sbatch.log" \
    && grep -q " report $tmp/sts\$" "$tmp/sbatch.log" \
    && ok || bad "sh sjob.sh submits the array and a dependent report: $(cat "$tmp/sbatch.log")"
"$W" report "$tmp/sts" > /dev/null 2>&1 || bad "report after the study's slurm tasks"
same_study "the study's slurm tasks" "$tmp/sts"
grep -q '"command": "warmup study adam-first-steps --quick --out ' "$tmp/sts/study.json" && ok \
    || bad "study.json: the arguments as given: $(grep command "$tmp/sts/study.json")"
"$W" study $S --out "$tmp/sts" --emit-slurm --cell 1 > /dev/null 2> "$tmp/err.txt"; rc=$?
[ $rc -eq 2 ] && grep -q 'one of --cells, --cell I and --emit-slurm' "$tmp/err.txt" && ok || bad "study --emit-slurm --cell: exit $rc"

# ---- temporary names hold the host: another host's file of the same pid is no obstacle, and
# the name is <file>.tmp.<host>.<pid> (a directory there makes the write fail). sh -c 'exec'
# keeps the shell's pid $$ for warmup.
host=$(uname -n | cut -c1-24 | tr -c 'A-Za-z0-9_\n-' '_')
sh -c 'mkdir -p "$1" && mkdir "$1/sweep.json.tmp.$$" && exec "$2" sweep $3 --out "$1" --cell 0 -q' sh "$tmp/tn" "$W" "$G" \
    > /dev/null 2>&1 && [ -s "$tmp/tn/sweep.json" ] && ok || bad "a <file>.tmp.<pid> of another host blocks the write"
sh -c 'mkdir -p "$1" && mkdir "$1/sweep.json.tmp.$4.$$" && exec "$2" sweep $3 --out "$1" --cell 0 -q' sh "$tmp/tn2" "$W" "$G" "$host" \
    > /dev/null 2> "$tmp/err.txt"; rc=$?
[ $rc -ne 0 ] && [ ! -e "$tmp/tn2/sweep.json" ] && ok || bad "the temporary name is not <file>.tmp.$host.<pid> (exit $rc)"

# ---- a launcher that gives a rank but no number of ranks (PMIx alone): no share can be taken
PMIX_RANK=0 "$W" sweep $G --out "$tmp/px" -q > /dev/null 2> "$tmp/err.txt"; rc=$?
[ $rc -eq 2 ] && grep -q 'gives rank 0 but not the number of ranks' "$tmp/err.txt" && [ ! -e "$tmp/px" ] && ok \
    || bad "PMIX_RANK without a size: exit $rc, $(cat "$tmp/err.txt")"

# ---- two ranks started by hand (PMI_RANK/PMI_SIZE, as MPICH's launcher sets them): rank 0
# until it waits for rank 1, then rank 1. ENV: the launch's id variables
NOID="env -u PMIX_NAMESPACE -u OMPI_MCA_ess_base_jobid -u OMPI_MCA_orte_ess_jobid -u PMI_KVSNAME -u PMI_JOBID -u SLURM_JOB_ID -u SLURM_STEP_ID"
by_hand() { # NAME DIR ENV...
    name=$1 d=$2; shift 2
    $NOID "$@" PMI_RANK=0 PMI_SIZE=2 "$W" sweep $G --out "$d" > "$tmp/r0.txt" 2>&1 &
    p0=$!
    n=0
    while [ $n -lt 300 ] && ! grep -q 'waiting for the other 1 ranks' "$tmp/r0.txt"; do sleep 0.1; n=$((n + 1)); done
    sleep 1
    kill -0 $p0 2> /dev/null && ok || bad "$name: rank 0 did not wait for rank 1: $(tail -3 "$tmp/r0.txt")"
    $NOID "$@" PMI_RANK=1 PMI_SIZE=2 "$W" sweep $G --out "$d" -q > /dev/null 2>&1; rc1=$?
    wait $p0; rc0=$?
    [ $rc0 -eq 0 ] && [ $rc1 -eq 0 ] && ok || bad "$name: exit $rc0 (rank 0), $rc1 (rank 1)"
}
# without a launch id in the environment: an earlier launch's marker "mpirun-1" (older than
# rank 0's start) is removed, not counted
mkdir -p "$tmp/e5/.ranks" && echo 0 > "$tmp/e5/.ranks/mpirun-1" && touch -d '-10 minutes' "$tmp/e5/.ranks/mpirun-1"
by_hand "without a launch id" "$tmp/e5"
same "without a launch id, an old marker" "$tmp/e5"
# a Slurm step: the id is the job's and the step's (every srun of one allocation shares the
# job's id), so the marker of the job's earlier step does not count
mkdir -p "$tmp/e6/.ranks" && echo 0 > "$tmp/e6/.ranks/77-1"
by_hand "Slurm step" "$tmp/e6" SLURM_JOB_ID=77 SLURM_STEP_ID=1
[ "$(ls -A "$tmp/e6/.ranks" | tr '\n' ' ')" = "77-1 " ] && ok || bad "Slurm step: markers left: $(ls -A "$tmp/e6/.ranks")"
# the progress bar is rank 0's alone: rank 1 on a terminal draws none
if have script "the bar on rank 0 alone"; then
    script -qec "PMI_RANK=1 PMI_SIZE=2 '$W' sweep $G --out '$tmp/bar'" /dev/null > "$tmp/out.txt" 2>&1
    grep -q 'rank 1 of 2' "$tmp/out.txt" && ! grep -q 'runs done' "$tmp/out.txt" && ok \
        || { bad "rank 1 on a terminal draws a progress bar"; cat -v "$tmp/out.txt" | head -5; }
    script -qec "'$W' sweep $G --out '$tmp/bar0' --steps 5" /dev/null > "$tmp/out.txt" 2>&1
    grep -q 'runs done' "$tmp/out.txt" && ok || bad "one process on a terminal draws no progress bar"
fi

# ---- the "skipped" notices: the tool parts with a PATH that has no mpirun nor parallel
mkdir -p "$tmp/nobin"
for b in sh mktemp rm mkdir cat cut cmp seq head sed grep ls tail tr rmdir diff uname; do
    ln -s "$(command -v $b)" "$tmp/nobin/$b"
done
PATH="$tmp/nobin" TEST_CELLS_PART=tools "$tmp/nobin/sh" "$0" "$W" > "$tmp/out.txt" 2>&1; rc=$?
[ $rc -eq 0 ] && grep -q 'skipped: the study through GNU parallel: parallel is not installed' "$tmp/out.txt" \
    && grep -q 'skipped: the study under mpirun: mpirun is not installed' "$tmp/out.txt" && ok \
    || { bad "the tool parts without mpirun and parallel: exit $rc"; cat "$tmp/out.txt"; }

# ---- bad input: the range named, exit 2, nothing written
for v in 4 -1 abc 1.5 ''; do
    "$W" sweep $G --out "$tmp/bad" --cell "$v" > /dev/null 2> "$tmp/err.txt"; rc=$?
    [ $rc -eq 2 ] && grep -q 'it has 4 cells, numbered 0 to 3' "$tmp/err.txt" && [ ! -e "$tmp/bad" ] && ok \
        || bad "--cell '$v': exit $rc, $(cat "$tmp/err.txt")"
done
# an adaptive study (stable-lr: each round's runs depend on the last round's) is never split:
# --cells, --cell, --emit-slurm and mpirun ranks (seen in the environment) are refused, nothing made
for how in "--cells" "--cell 0" "--emit-slurm" "mpirun"; do
    if [ "$how" = mpirun ]; then
        OMPI_COMM_WORLD_RANK=0 OMPI_COMM_WORLD_SIZE=2 "$W" study stable-lr --quick --out "$tmp/stable-cells" > /dev/null 2> "$tmp/err.txt"; rc=$?
    else
        "$W" study stable-lr --quick --out "$tmp/stable-cells" $how > /dev/null 2> "$tmp/err.txt"; rc=$?
    fi
    [ $rc -eq 2 ] && grep -q 'study stable-lr is adaptive' "$tmp/err.txt" && [ ! -e "$tmp/stable-cells" ] && ok \
        || bad "stable-lr as cells ($how): exit $rc, $(cat "$tmp/err.txt")"
done
echo "test_cells: $pass passed, $fail failed"
[ $fail -eq 0 ]
