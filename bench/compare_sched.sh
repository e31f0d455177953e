#!/bin/sh
# compare_sched.sh - libwarmup evaluation against PyTorch 1.13's scheduler.step(), side by side
# in one run (the machines are noisy: compare the ratios). Needs Debian's python3-torch.
#   make build/bench_schedule && sh bench/compare_sched.sh
set -e
B=${B:-build}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$B/bench_schedule" 2>/dev/null > "$tmp/c"
/usr/bin/python3 bench/bench_torch_sched.py > "$tmp/t"
head -1 "$tmp/c"; head -1 "$tmp/t"
printf '%-22s %12s %14s %10s\n' family "C ns/eval" "torch ns/step" "speed-up"
grep '^torch ' "$tmp/t" | grep -v threads | while read -r _ name tns _; do
    cns=$(awk -v n="$name" '$1 == "c" && $2 == n {print $3}' "$tmp/c")
    awk -v n="$name" -v c="$cns" -v t="$tns" 'BEGIN {printf "%-22s %12.1f %14.0f %9.0fx\n", n, c, t, t / c}'
done
echo
grep '^c ' "$tmp/c" | tail -n +6 | awk '{printf "%-22s %12.1f\n", $2, $3}'
