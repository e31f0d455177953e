#!/bin/sh
# bf16_speed.sh - what --precision bf16 buys: float32 and bf16 runs alternating, ROUNDS rounds, 2
# threads, on the reference GPT and the L6 H6 C384 T128 one (bench_gpt, tokens/s) and on the ViT
# of depth 6, width 192 at batch 8 and 64 (bench_vision, images/s); each bf16 GPT run also prints
# the 1024^3 products (builtin float32, OpenBLAS, bf16) of the same minutes.
# Prints each run and the median ratio bf16 / fp32 per model.
# Usage: sh bench/bf16_speed.sh [BUILD [ROUNDS]]   (default build 3); needs BUILD/bench_gpt and
# BUILD/bench_vision (make build/bench_gpt build/bench_vision).
B=${1:-build}; ROUNDS=${2:-3}
export OMP_NUM_THREADS=2
# name, binary, options: one model per line
models="reference bench_gpt
large bench_gpt --layers 6 --heads 6 --dim 384 --seq 128 --steps 20
vit8 bench_vision --model vit --layers 6 --dim 192 --batch 8 --steps 30
vit64 bench_vision --model vit --layers 6 --dim 192 --batch 64 --steps 10"
echo "$models" | while read -r name bin opts; do
    r=1
    while [ $r -le "$ROUNDS" ]; do
        for p in fp32 bf16; do
            # shellcheck disable=SC2086
            out=$("$B/$bin" $opts --precision $p) < /dev/null || exit 1
            rate=$(echo "$out" | awk '$3 == "tokens_per_s" || $3 == "images_per_s" { print $4 }')
            echo "$name $p $r $rate"
            [ $p = bf16 ] && echo "$out" | grep "sgemm_" | sed "s/^/  /"
        done
        r=$((r + 1))
    done
done | tee /dev/stderr | awk '$3 ~ /^[0-9]+$/ { t[$1, $2, $3] = $4; n[$1] = $3 }
    END { for (m in n) { k = 0
            for (r = 1; r <= n[m]; r++) q[++k] = t[m, "bf16", r] / t[m, "fp32", r]
            for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (q[j] < q[i]) { x = q[i]; q[i] = q[j]; q[j] = x }
            printf "%s: bf16 / fp32 speed, median of %d rounds: %.3f\n", m, k, q[int((k + 1) / 2)] } }'
