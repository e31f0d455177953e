#!/bin/sh
# sharpness_cost.sh - what the sharpness probe (--sharpness-every) and the layer statistics
# (--layer-stats-every) cost, against a training step of the same run. Runs STEPS steps of the
# reference GPT (or the model options given after the build directory) three ways, ROUNDS times
# alternately, and reports the medians of: ms per plain step; ms per probe (the extra wall time of
# a run probing every PROBE_EVERY steps, over its probes), for AdamW (two eigenvalues) and SGD
# (one); the probe in plain steps; and the extra ms per logged step of --layer-stats-every 1.
# A probe makes at most 2 x --sharpness-iters (20) forward/backward passes per eigenvalue, fewer
# when the Lanczos iteration converges first. One thread (OMP_NUM_THREADS=1 unless set). The load average is printed
# before and after: on a shared machine the ratio is the figure to read, not the milliseconds.
#   sh bench/sharpness_cost.sh [BUILD_DIR] [ROUNDS] [STEPS] [PROBE_EVERY] [-- train options]
set -e
b=${1:-build}; rounds=${2:-3}; steps=${3:-40}; every=${4:-10}
shift $(( $# < 4 ? $# : 4 )); [ "$1" = "--" ] && shift
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }
run() { # out, options...
    o=$1; shift; rm -rf "$o"; s=$(now)
    "$b/warmup" train --steps "$steps" --schedule hf:constant --eval-every 0 --eval-batches 1 "$@" --out "$o" -q > /dev/null
    e=$(now); echo "$s $e" | awk '{ printf "%.6f\n", $2 - $1 }'
}
med() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
probes=$(( (steps + every - 1) / every ))
echo "cpus $(nproc), load before: $(cat /proc/loadavg); OMP_NUM_THREADS=$OMP_NUM_THREADS; $steps steps, a probe every $every ($probes probes)"
for r in $(seq "$rounds"); do
    for opt in adamw sgd; do
        echo "$opt plain $(run "$tmp/p" --optimizer $opt "$@")" >> "$tmp/res"
        echo "$opt probed $(run "$tmp/s" --optimizer $opt --sharpness-every "$every" "$@")" >> "$tmp/res"
    done
    echo "adamw layers $(run "$tmp/l" --optimizer adamw --layer-stats-every 1 "$@")" >> "$tmp/res"
done
for opt in adamw sgd; do
    p=$(awk -v o=$opt '$1 == o && $2 == "plain" { print $3 }' "$tmp/res" | med)
    s=$(awk -v o=$opt '$1 == o && $2 == "probed" { print $3 }' "$tmp/res" | med)
    awk -v o=$opt -v p="$p" -v s="$s" -v n="$steps" -v k="$probes" 'BEGIN {
        step = p / n * 1000; probe = (s - p) / k * 1000;
        printf "%-6s plain step %.2f ms; probe %.1f ms = %.1f steps\n", o, step, probe, probe / step }'
done
p=$(awk '$1 == "adamw" && $2 == "plain" { print $3 }' "$tmp/res" | med)
l=$(awk '$2 == "layers" { print $3 }' "$tmp/res" | med)
awk -v p="$p" -v l="$l" -v n="$steps" 'BEGIN { printf "layer stats every step: +%.2f ms per step (%.1f%%)\n", (l - p) / n * 1000, (l - p) / p * 100 }'
echo "load after: $(cat /proc/loadavg)"
