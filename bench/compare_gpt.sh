#!/bin/sh
# compare_gpt.sh - training speed and memory of the reference GPT: libwarmup's engine and
# PyTorch 1.13 side by side in one run (the machines are noisy: read the ratios).
#   make build/bench_gpt && sh bench/compare_gpt.sh [--post-ln]     (needs Debian's python3-torch)
# Both use 2 threads; PyTorch runs with OPENBLAS_NUM_THREADS=1 and torch.set_num_threads(2).
set -e
B=${B:-build}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
OMP_NUM_THREADS=2 "$B/bench_gpt" "$@" > "$tmp/c"
/usr/bin/python3 bench/bench_torch_gpt.py "$@" > "$tmp/t"
OMP_NUM_THREADS=2 "$B/bench_gpt" "$@" > "$tmp/c2"   # again, after torch, to see the drift
cat "$tmp/c" "$tmp/t"
echo
ct=$(awk '$2 == "gpt" && $3 == "tokens_per_s" {print $4}' "$tmp/c")
ct2=$(awk '$2 == "gpt" && $3 == "tokens_per_s" {print $4}' "$tmp/c2")
tt=$(awk '$2 == "gpt" && $3 == "tokens_per_s" {print $4}' "$tmp/t")
cm=$(awk '$2 == "gpt" && $3 == "peak_rss_mb" {print $4}' "$tmp/c")
tm=$(awk '$2 == "gpt" && $3 == "peak_rss_mb" {print $4}' "$tmp/t")
awk -v c="$ct" -v c2="$ct2" -v t="$tt" -v cm="$cm" -v tm="$tm" 'BEGIN {
    printf "tokens/s: libwarmup %.0f (second run %.0f), PyTorch %.0f: %.2fx (%.2fx)\n", c, c2, t, c / t, c2 / t
    printf "peak RSS: libwarmup %.1f MB, PyTorch %.1f MB\n", cm, tm }'
