#!/bin/sh
# compare_vision.sh - MLP and ViT training throughput and peak RSS, libwarmup and PyTorch 1.13 side
# by side in one run (2 threads each). Needs Debian's python3-torch.
#   make build/bench_vision && sh bench/compare_vision.sh [--model mlp|vit|both] [--layers L]
#       [--heads H] [--dim C] [--batch B] [--steps N]
# The size options change the ViT (issue 19's larger one: --model vit --layers 6 --dim 192).
# The peak RSS is each process's, so with both models it is the larger model's.
set -e
B=${B:-build}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
OMP_NUM_THREADS=2 "$B/bench_vision" "$@" > "$tmp/c"
/usr/bin/python3 bench/bench_torch_vision.py "$@" > "$tmp/t"
cat "$tmp/c" "$tmp/t"
echo
for m in mlp vit; do
    c=$(awk -v m="$m" '$2 == m && $3 == "images_per_s" {print $4}' "$tmp/c")
    [ -n "$c" ] || continue
    t=$(awk -v m="$m" '$2 == m && $3 == "images_per_s" {print $4}' "$tmp/t")
    cn=$(awk -v m="$m" '$2 == m && $3 == "params" {print $4}' "$tmp/c")
    tn=$(awk -v m="$m" '$2 == m && $3 == "params" {print $4}' "$tmp/t")
    [ "$cn" = "$tn" ] || { echo "compare_vision.sh: $m: $cn parameters in libwarmup, $tn in PyTorch: not the same model" >&2; exit 1; }
    cm=$(awk -v m="$m" '$2 == m && $3 == "peak_rss_mb" {print $4}' "$tmp/c")
    tm=$(awk -v m="$m" '$2 == m && $3 == "peak_rss_mb" {print $4}' "$tmp/t")
    awk -v m="$m" -v c="$c" -v t="$t" -v cm="$cm" -v tm="$tm" 'BEGIN { printf "%s: libwarmup %.0f images/s, PyTorch %.0f: %.2fx; peak RSS %.1f MB against %.1f MB\n", m, c, t, c / t, cm, tm }'
done
