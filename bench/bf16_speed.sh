#!/bin/sh
# bf16_speed.sh - what --precision bf16 buys: bench_gpt in float32 and in bf16, alternating,
# ROUNDS rounds, 2 threads, on the reference GPT and on the L6 H6 C384 T128 one; each bf16 run
# also prints the 1024^3 products (builtin float32, OpenBLAS, bf16) of the same minutes.
# Prints tokens/s per run and the median ratio bf16 / fp32 per model.
# Usage: sh bench/bf16_speed.sh [BUILD [ROUNDS]]   (default build 3)
B=${1:-build}; ROUNDS=${2:-3}
export OMP_NUM_THREADS=2
for model in "" "--layers 6 --heads 6 --dim 384 --seq 128 --steps 20"; do
    name=${model:+large}; name=${name:-reference}
    r=1
    while [ $r -le "$ROUNDS" ]; do
        for p in fp32 bf16; do
            # shellcheck disable=SC2086
            out=$("$B/bench_gpt" $model --precision $p) || exit 1
            tps=$(echo "$out" | awk '$2 == "gpt" && $3 == "tokens_per_s" { print $4 }')
            echo "$name $p $r $tps"
            [ $p = bf16 ] && echo "$out" | grep "sgemm_" | sed "s/^/  /"
        done
        r=$((r + 1))
    done
done | tee /dev/stderr | awk '$3 ~ /^[0-9]+$/ { t[$1, $2, $3] = $4; n[$1] = $3 }
    END { for (m in n) { k = 0
            for (r = 1; r <= n[m]; r++) q[++k] = t[m, "bf16", r] / t[m, "fp32", r]
            for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (q[j] < q[i]) { x = q[i]; q[i] = q[j]; q[j] = x }
            printf "%s: bf16 / fp32 tokens/s, median of %d rounds: %.3f\n", m, k, q[int((k + 1) / 2)] } }'
