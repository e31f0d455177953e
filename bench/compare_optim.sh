#!/bin/sh
# compare_optim.sh - AdamW step time on the reference GPT's 834,304 parameters: libwarmup,
# a plain flat loop (llm.c style) and PyTorch 1.13, side by side in one run; read the ratios.
#   make build/bench_optim && sh bench/compare_optim.sh      (needs Debian's python3-torch)
set -e
B=${B:-build}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$B/bench_optim" > "$tmp/c"
/usr/bin/python3 bench/bench_torch_adamw.py > "$tmp/t"
cat "$tmp/c" "$tmp/t"
echo
for th in 1 2; do
    c=$(awk -v t="threads=$th" '$2 == "wu_optim_step" && $3 == t {print $4}' "$tmp/c")
    n=$(awk -v t="threads=$th" '$2 == "naive_flat_loop" && $3 == t {print $4}' "$tmp/c")
    p=$(awk -v t="threads=$th" '$2 == "adamw" && $3 == t && $4 == "impl=single" {print $5}' "$tmp/t")
    awk -v th="$th" -v c="$c" -v n="$n" -v p="$p" 'BEGIN {
        printf "threads=%s: libwarmup %.3f ms, flat loop %.3f ms (%.1fx slower), PyTorch %.2f ms (%.1fx slower)\n",
               th, c, n, n / c, p, p / c }'
done
