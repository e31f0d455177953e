#!/bin/sh
# compare_builds.sh - two builds of warmup side by side in one run, to check that a change did
# not make training or the optimizer slower: bench_gpt (the bare engine on the reference GPT),
# `warmup train` on the reference GPT (its summary's tokens/s and the process's wall time), and
# bench_optim (the AdamW step), each run alternately A B A B ... so that drift on a noisy
# machine hits both alike. Prints the medians, the best of each side (the least disturbed run:
# on a shared machine the spread is wide), and the ratios NEW/OLD of both.
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
    # the session's whole wall time, in both builds: since issue 19 tokens_per_s counts the
    # training steps alone and tokens_per_wall_s is what tokens_per_s was before
    tps=$(/usr/bin/python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(s.get('tokens_per_wall_s', s['tokens_per_s']))" "$tmp/run/summary.json")
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
print(f"{'measure':26} {'old median':>11} {'new median':>11} {'ratio':>6} {'old best':>11} {'new best':>11} {'ratio':>6}")
for k in keys:
    o, n = d[('old', k)], d[('new', k)]
    best = max if 'per_s' in k else min  # throughput: higher is better; times: lower
    print(f"{k:26} {st.median(o):11.3f} {st.median(n):11.3f} {st.median(n) / st.median(o):6.3f} "
          f"{best(o):11.3f} {best(n):11.3f} {best(n) / best(o):6.3f}")
print("rounds:", {f"{s} {k}": d[(s, k)] for s, k in sorted(d)})
PY
