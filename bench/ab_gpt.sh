#!/bin/sh
# ab_gpt.sh - two bench_gpt binaries, the same model, in adjacent pairs: a change to the kernels
# measured against the code before it on a machine whose speed drifts by 20-30% within minutes
# (shared hosts). Each round runs both, the order alternating (A B, B A, ...), and the ratio
# NEW/OLD of each pair is taken, so drift slower than a pair hits both sides alike. Prints each
# pair and the median ratio (and the medians of each side's tokens/s).
#   sh bench/ab_gpt.sh OLD_BENCH_GPT NEW_BENCH_GPT ROUNDS [bench_gpt options...]
# e.g. sh bench/ab_gpt.sh /tmp/base/build/bench_gpt build/bench_gpt 10 --steps 60
#      sh bench/ab_gpt.sh /tmp/base/build/bench_gpt build/bench_gpt 8 --steps 10 --layers 6 \
#          --heads 6 --dim 384 --seq 128
# Threads: OMP_NUM_THREADS (default 2).
set -e
if [ $# -lt 3 ] || [ ! -x "$1" ] || [ ! -x "$2" ]; then
    echo "usage: sh bench/ab_gpt.sh OLD_BENCH_GPT NEW_BENCH_GPT ROUNDS [bench_gpt options]" >&2
    exit 2
fi
old=$1; new=$2; rounds=$3; shift 3
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
tps() { b_=$1; shift; "$b_" --steps-only "$@" | awk '$2 == "gpt" && $3 == "tokens_per_s" { print $4 }'; }
r=1
while [ "$r" -le "$rounds" ]; do
    if [ $((r % 2)) = 1 ]; then a=$(tps "$old" "$@"); b=$(tps "$new" "$@")
    else b=$(tps "$new" "$@"); a=$(tps "$old" "$@"); fi
    echo "$r $a $b"
    r=$((r + 1))
done | awk '{ printf "round %d: old %.1f new %.1f tokens/s, new/old %.3f\n", $1, $2, $3, $3 / $2
              q[NR] = $3 / $2; o[NR] = $2; n[NR] = $3 }
    function med(x, k,   i, j, t) { for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++)
                                       if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
                                   return k % 2 ? x[(k + 1) / 2] : (x[k / 2] + x[k / 2 + 1]) / 2 }
    END { printf "median new/old %.3f over %d pairs (old median %.1f, new median %.1f tokens/s)\n",
                 med(q, NR), NR, med(o, NR), med(n, NR) }'
