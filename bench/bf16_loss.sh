#!/bin/sh
# bf16_loss.sh - does --precision bf16 train as well as float32? One model, SEEDS seeds x STEPS
# steps, float32 and bf16 alternating per seed (the same seed gives the same weights and
# batches), 2 threads: the default GPT on the built-in data, or (MODEL vit) the default ViT on
# Debian's Fashion-MNIST (dataset-fashion-mnist). Prints each run's final and validation loss
# and speed (tokens/s or images/s), then the means, the seed spread (max - min over seeds) per
# precision and the per-seed difference.
# Usage: sh bench/bf16_loss.sh [BUILD [SEEDS [STEPS [MODEL]]]]   (default build 3 300 gpt)
B=${1:-build}; SEEDS=${2:-3}; STEPS=${3:-300}; MODEL=${4:-gpt}
case $MODEL in
    gpt) model_opts="" ;;
    vit) model_opts="--model vit --data fashion-mnist" ;;
    *) echo "bf16_loss.sh: MODEL '$MODEL': use gpt or vit" >&2; exit 2 ;;
esac
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS=2
get() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['final_loss'], d['final_val_loss'], round(d.get('tokens_per_s', d.get('images_per_s', 0))))" "$1"; }
s=1
while [ $s -le "$SEEDS" ]; do
    for p in fp32 bf16; do
        # shellcheck disable=SC2086
        "$B/warmup" train $model_opts --steps "$STEPS" --seed "$s" --precision "$p" \
            --out "$tmp/$p-$s" -q || exit 1
        echo "$p $s $(get "$tmp/$p-$s/summary.json")"
    done
    s=$((s + 1))
done | tee "$tmp/all"
awk '{ v[$1, $2] = $4; t[$1] += $5; n[$1]++; m[$1] += $4
       if (!($1 in lo) || $4 < lo[$1]) lo[$1] = $4; if (!($1 in hi) || $4 > hi[$1]) hi[$1] = $4 }
     END { for (p in n) printf "%s: mean validation loss %.4f, seed spread %.4f, mean speed %.0f\n", p, m[p] / n[p], hi[p] - lo[p], t[p] / n[p]
           for (s = 1; s <= n["fp32"]; s++) printf "seed %d: bf16 - fp32 validation loss %+.4f\n", s, v["bf16", s] - v["fp32", s] }' "$tmp/all"
