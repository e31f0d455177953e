#!/bin/sh
# compare_vision.sh - MLP and ViT training throughput, libwarmup and PyTorch 1.13 side by side in
# one run (2 threads each). Needs Debian's python3-torch.
#   make build/bench_vision && sh bench/compare_vision.sh
set -e
B=${B:-build}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
OMP_NUM_THREADS=2 "$B/bench_vision" > "$tmp/c"
/usr/bin/python3 bench/bench_torch_vision.py > "$tmp/t"
cat "$tmp/c" "$tmp/t"
echo
for m in mlp vit; do
    c=$(awk -v m="$m" '$2 == m && $3 == "images_per_s" {print $4}' "$tmp/c")
    t=$(awk -v m="$m" '$2 == m && $3 == "images_per_s" {print $4}' "$tmp/t")
    awk -v m="$m" -v c="$c" -v t="$t" 'BEGIN { printf "%s: libwarmup %.0f images/s, PyTorch %.0f: %.2fx\n", m, c, t, c / t }'
done
