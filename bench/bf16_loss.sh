#!/bin/sh
# bf16_loss.sh - does --precision bf16 train as well as float32? The default GPT on the built-in
# data, SEEDS seeds x STEPS steps, float32 and bf16 alternating per seed (the same seed gives the
# same weights and batches), 2 threads. Prints each run's final and validation loss and tokens/s,
# then the means, the seed spread (max - min over seeds) per precision and the per-seed difference.
# Usage: sh bench/bf16_loss.sh [BUILD [SEEDS [STEPS]]]   (default build 3 300)
B=${1:-build}; SEEDS=${2:-3}; STEPS=${3:-300}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS=2
get() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['final_loss'], d['final_val_loss'], round(d['tokens_per_s']))" "$1"; }
s=1
while [ $s -le "$SEEDS" ]; do
    for p in fp32 bf16; do
        "$B/warmup" train --steps "$STEPS" --seed "$s" --precision "$p" --out "$tmp/$p-$s" -q || exit 1
        echo "$p $s $(get "$tmp/$p-$s/summary.json")"
    done
    s=$((s + 1))
done | tee "$tmp/all"
awk '{ v[$1, $2] = $4; t[$1] += $5; n[$1]++; m[$1] += $4
       if (!($1 in lo) || $4 < lo[$1]) lo[$1] = $4; if (!($1 in hi) || $4 > hi[$1]) hi[$1] = $4 }
     END { for (p in n) printf "%s: mean validation loss %.4f, seed spread %.4f, mean tokens/s %.0f\n", p, m[p] / n[p], hi[p] - lo[p], t[p] / n[p]
           for (s = 1; s <= n["fp32"]; s++) printf "seed %d: bf16 - fp32 validation loss %+.4f\n", s, v["bf16", s] - v["fp32", s] }' "$tmp/all"
