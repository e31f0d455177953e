#!/bin/sh
# mpi_train.sh - data-parallel training against threads on the same cores: tokens/s of the
# reference GPT (`warmup train` defaults: width 128, 4 layers, context 64; batch 8,
# hf:constant) on 2 ranks x 1 OpenMP thread (mpirun -np 2) against 1 rank x 2 threads.
# Rounds alternate the order (threads first in odd rounds, ranks first in even ones) so that a
# drift in the machine's speed hits both alike. Reports the median and best tokens/s of each
# (summary.json, rank 0: the global batch's tokens over the session's wall time, tokens_per_wall_s
# since issue 19) and the median
# of the per-round ratios ranks/threads; then the allreduce of the 3.3 MB gradient alone
# (build/bench_allreduce, when built: make build/bench_allreduce) and its share of a 2-rank step.
# Needs an MPI build (make; mpicc found) and mpirun.
#   sh bench/mpi_train.sh [BUILD_DIR] [ROUNDS] [STEPS]
set -e
b=${1:-build}; rounds=${2:-7}; steps=${3:-60}
[ -x "$b/warmup" ] || { echo "usage: $0 [BUILD_DIR] [ROUNDS] [STEPS]" >&2; exit 2; }
ldd "$b/warmup" | grep -q libmpi || { echo "$b/warmup was built without MPI" >&2; exit 2; }
MPIRUN="mpirun --allow-run-as-root --oversubscribe --mca btl self,vader"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
A="--steps $steps --batch 8 --schedule hf:constant --eval-every 0 -q"
one() { # side: one run, appends "side tokens_per_s"
    rm -rf "$tmp/r"
    if [ "$1" = threads ]; then OMP_NUM_THREADS=2 "$b/warmup" train $A --out "$tmp/r" > /dev/null
    else OMP_NUM_THREADS=1 $MPIRUN -np 2 -x OMP_NUM_THREADS "$b/warmup" train $A --out "$tmp/r" > /dev/null; fi
    /usr/bin/python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(sys.argv[2], s.get('tokens_per_wall_s', s['tokens_per_s']))" "$tmp/r/summary.json" "$1" >> "$tmp/res"
}
echo "cpus $(nproc), $(mpirun --version 2>/dev/null | head -1), load before: $(cat /proc/loadavg)"
for r in $(seq "$rounds"); do
    if [ $((r % 2)) -eq 1 ]; then one threads; one ranks; else one ranks; one threads; fi
done
# the allreduce alone, on the same 2 ranks (bench/bench_allreduce.c)
[ -x "$b/bench_allreduce" ] && $MPIRUN -np 2 "$b/bench_allreduce" > "$tmp/ar" && cat "$tmp/ar"
echo "load after: $(cat /proc/loadavg)"
/usr/bin/python3 - "$tmp/res" "$tmp/ar" <<'PY'
import sys, statistics as st
rows = [l.split() for l in open(sys.argv[1])]
t = [float(r[1]) for r in rows if r[0] == 'threads']
k = [float(r[1]) for r in rows if r[0] == 'ranks']
print(f"1 rank x 2 threads: median {st.median(t):,.0f} tokens/s, best {max(t):,.0f}")
print(f"2 ranks x 1 thread: median {st.median(k):,.0f} tokens/s, best {max(k):,.0f}")
print(f"ratio ranks/threads (median of rounds): {st.median([a / b for a, b in zip(k, t)]):.2f}")
try:
    ms = float(open(sys.argv[2]).read().split("median ")[1].split(" ms")[0])
    step = 8 * 64 / st.median(k) * 1e3
    print(f"allreduce {ms:.2f} ms of a {step:.1f} ms 2-rank step (median): {100 * ms / step:.1f}%")
except (OSError, IndexError, ValueError):
    pass
PY
