#!/bin/sh
# train_overhead.sh - what `warmup train` costs beyond the bare engine (issue 19): bench_gpt's
# whole steps (forward, backward, AdamW; no diagnostics, no evaluation) against `warmup train`
# on the same reference GPT (L4 H4 C128 T64, batch 8, AdamW, hf:constant, default diagnostics
# and evaluation), in pairs whose order alternates (bench first in odd pairs, train first in
# even ones) so that the machine's drift hits both alike. Per pair: bench_gpt's tokens/s,
# summary.json's tokens_per_s (training steps only, since issue 19; every second of the session
# before it), their ratio, and the whole wall time: tokens over the `warmup train` process's
# wall seconds (start-up, evaluation and writing included) and, where the summary has it,
# tokens_per_wall_s. Prints the medians and the median of the per-pair ratios, the figure to
# read on a shared machine.
#   make all build/bench_gpt && sh bench/train_overhead.sh [BUILD_DIR] [PAIRS] [STEPS]
# BUILD_DIR (build) holds warmup and bench_gpt; BENCH=path/bench_gpt takes the bare engine from
# elsewhere (a build that predates bench_gpt's --steps-only). OMP_NUM_THREADS is 2 unless set.
set -e
b=${1:-build}; pairs=${2:-5}; steps=${3:-60}
bench=${BENCH:-$b/bench_gpt}
[ -x "$b/warmup" ] && [ -x "$bench" ] || { echo "usage: $0 [BUILD_DIR] [PAIRS] [STEPS] (needs BUILD_DIR/warmup and bench_gpt)" >&2; exit 2; }
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
bare() { # pair: bench_gpt's tokens/s over STEPS steps (after its 5 warm-up steps)
    "$bench" --steps "$steps" --steps-only 2>/dev/null | awk -v p="$1" '$2 == "gpt" && $3 == "tokens_per_s" {print p, "bench", $4}' >> "$tmp/res"
}
train() { # pair: warmup train's summary figures and its process's wall time
    rm -rf "$tmp/run"
    s=$(date +%s.%N)
    "$b/warmup" train --steps "$steps" --batch 8 --schedule hf:constant --out "$tmp/run" -q > /dev/null
    e=$(date +%s.%N)
    /usr/bin/python3 - "$tmp/run/summary.json" "$1" "$s" "$e" "$steps" >> "$tmp/res" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
p, t0, t1, steps = sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
tokens = steps * s['config']['batch'] * s['config']['seq']
print(p, 'train', s['tokens_per_s'])
print(p, 'process_wall', tokens / (t1 - t0))
if 'tokens_per_wall_s' in s:
    print(p, 'summary_wall', s['tokens_per_wall_s'])
PY
}
echo "cpus $(getconf _NPROCESSORS_ONLN), OMP_NUM_THREADS=$OMP_NUM_THREADS, $steps steps, $pairs pairs, load before: $(cat /proc/loadavg)"
for p in $(seq "$pairs"); do
    if [ $((p % 2)) -eq 1 ]; then bare "$p"; train "$p"; else train "$p"; bare "$p"; fi
done
echo "load after: $(cat /proc/loadavg)"
/usr/bin/python3 - "$tmp/res" <<'PY'
import sys, statistics as st, collections
d = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    p, k, v = line.split()
    d[int(p)][k] = float(v)
pairs = [d[p] for p in sorted(d) if 'bench' in d[p] and 'train' in d[p]]
print(f"{'pair':>4} {'bench_gpt':>10} {'train':>10} {'ratio':>6} {'wall(proc)':>11} {'ratio':>6} {'wall(summ)':>11}")
for i, r in enumerate(pairs, 1):
    sw = f"{r['summary_wall']:11.0f}" if 'summary_wall' in r else f"{'-':>11}"
    print(f"{i:4} {r['bench']:10.0f} {r['train']:10.0f} {r['train'] / r['bench']:6.3f} "
          f"{r['process_wall']:11.0f} {r['process_wall'] / r['bench']:6.3f} {sw}")
med = lambda k: st.median(r[k] for r in pairs)
print(f"median tokens/s: bench_gpt {med('bench'):.0f}, warmup train {med('train'):.0f} "
      f"(training steps), {med('process_wall'):.0f} (process wall)"
      + (f", {med('summary_wall'):.0f} (summary tokens_per_wall_s)" if all('summary_wall' in r for r in pairs) else ""))
print(f"median of per-pair ratios train/bench_gpt: {st.median(r['train'] / r['bench'] for r in pairs):.3f} "
      f"(training steps), {st.median(r['process_wall'] / r['bench'] for r in pairs):.3f} (process wall)")
PY
