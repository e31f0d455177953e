#!/bin/sh
# compare_gpt.sh - training speed and memory of a GPT: libwarmup's engine and PyTorch 1.13 side by
# side in one run (the machines are noisy: read the ratios). First a check that both compute
# the same model: PyTorch loads the engine's initial parameters and batch (bench_gpt --check)
# and must reproduce its losses over 3 AdamW steps; the script stops if it does not.
#   make build/bench_gpt && sh bench/compare_gpt.sh [--post-ln] [--layers L] [--heads H]
#       [--dim C] [--seq T] [--batch B] [--vocab V] [--steps N]   (needs Debian's python3-torch)
# With no size options, the reference GPT (L4 H4 C128 T64, batch 8); issue 19's larger one is
#   sh bench/compare_gpt.sh --layers 6 --heads 6 --dim 384 --seq 128
# Both use 2 threads; PyTorch runs with OPENBLAS_NUM_THREADS=1 and torch.set_num_threads(2).
set -e
B=${B:-build}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
OMP_NUM_THREADS=2 "$B/bench_gpt" "$@" --check "$tmp/check" > /dev/null
/usr/bin/python3 bench/bench_torch_gpt.py "$@" --check "$tmp/check" | tail -n 1
OMP_NUM_THREADS=2 "$B/bench_gpt" "$@" > "$tmp/c"
/usr/bin/python3 bench/bench_torch_gpt.py "$@" > "$tmp/t"
OMP_NUM_THREADS=2 "$B/bench_gpt" "$@" --steps-only > "$tmp/c2"   # again, after torch, to see the drift
cat "$tmp/c" "$tmp/t"
echo
get() { awk -v k="$2" '$2 == "gpt" && $3 == k {print $4}' "$1"; }
awk -v c="$(get "$tmp/c" tokens_per_s)" -v c2="$(get "$tmp/c2" tokens_per_s)" \
    -v t="$(get "$tmp/t" tokens_per_s)" -v cm="$(get "$tmp/c" peak_rss_mb)" \
    -v cm2="$(get "$tmp/c2" peak_rss_mb)" -v tm="$(get "$tmp/t" peak_rss_mb)" 'BEGIN {
    printf "tokens/s: libwarmup %.0f (second run %.0f), PyTorch %.0f: %.2fx (%.2fx)\n", c, c2, t, c / t, c2 / t
    printf "peak RSS: libwarmup %.1f MB (second run, steps only: %.1f MB), PyTorch %.1f MB: %.2f\n", cm, cm2, tm, cm2 / tm }'
