#!/bin/sh
# compare_builds.sh - two builds of warmup side by side in one run, to check that a change did
# not make training or the optimizer slower: bench_gpt (the bare engine on the reference GPT),
# `warmup train` on the reference GPT (its summary's tokens/s and the process's wall time), and
# bench_optim (the AdamW step), each run alternately A B A B ... so that drift on a noisy
# machine hits both alike. Prints the medians and the ratio NEW/OLD.
#   sh bench/compare_builds.sh OLD_BUILD_DIR NEW_BUILD_DIR [ROUNDS]
# Each build dir needs warmup, bench_gpt and bench_optim (make B=DIR all DIR/bench_gpt
# DIR/bench_optim in each checkout).
set -e
old=$1; new=$2; rounds=${3:-3}
[ -x "$old/bench_gpt" ] && [ -x "$new/bench_gpt" ] || { echo "usage: $0 OLD_BUILD NEW_BUILD [ROUNDS]" >&2; exit 2; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS=2
train() { # build tag round
    rm -rf "$tmp/run"
    s=$(date +%s.%N)
    "$1/warmup" train --steps 60 --batch 8 --schedule hf:constant --out "$tmp/run" -q > /dev/null
    e=$(date +%s.%N)
    tps=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['tokens_per_s'])" "$tmp/run/summary.json")
    echo "$2 train_tokens_per_s $tps" >> "$tmp/res"
    awk -v t="$2" -v s="$s" -v e="$e" 'BEGIN { print t, "train_wall_s", e - s }' >> "$tmp/res"
}
for r in $(seq "$rounds"); do
    for side in old new; do
        eval b=\$$side
        "$b/bench_gpt" | awk -v t="$side" '$2 == "gpt" && $3 == "tokens_per_s" {print t, "bench_gpt_tokens_per_s", $4}' >> "$tmp/res"
        train "$b" "$side"
        "$b/bench_optim" | awk -v t="$side" '$2 == "wu_optim_step" {print t, "adamw_ms_" $3, $4}' >> "$tmp/res"
    done
done
/usr/bin/python3 - "$tmp/res" <<'PY'
import sys, statistics as st, collections
d = collections.defaultdict(list)
for line in open(sys.argv[1]):
    side, key, v = line.split()
    d[(side, key)].append(float(v))
keys = sorted({k for _, k in d})
print(f"{'measure':32} {'old (median)':>14} {'new (median)':>14} {'new/old':>8}  (all rounds)")
for k in keys:
    o, n = st.median(d[('old', k)]), st.median(d[('new', k)])
    print(f"{k:32} {o:14.3f} {n:14.3f} {n / o:8.3f}  old {d[('old', k)]} new {d[('new', k)]}")
PY
