#!/bin/sh
# gi_adam.sh - does GI-Adam stand in for warmup? The default GPT (`warmup train` defaults: width
# 128, 4 layers, context 64, batch 16, 400 steps, AdamW wd 0.01) at a high peak LR, three arms
# per seed:
#   adamw-nowarm   --schedule 'cosine(to=0.1)'                      AdamW, no warmup
#   giadamw-nowarm --schedule 'cosine(to=0.1)' --adam-init grad     GI-AdamW, no warmup
#   adamw-warm     (the default 'warmup(10%) > cosine(to=0.1)')    AdamW, 40 warmup steps
#   giadamw-nobc   --schedule 'cosine(to=0.1)' --adam-init grad --bias-correction off
#                  GI-AdamW without its bias correction: with it, GI-Adam's steps grow as
#                  sqrt(1 - beta2^t), a warmup of its own over ~1/(1-beta2) = 1000 steps
# and prints, per arm, each seed's final training loss (mean of the last 20 steps' losses,
# from metrics.csv), final validation loss, spikes, whether it diverged, and the largest
# update_rms of the first 10 steps; then each arm's mean final validation loss over the seeds.
# Results: docs/BENCHMARKS.md, "GI-Adam against warmup". One thread per run (OMP_NUM_THREADS=1),
# runs one after the other: about a minute each on one core.
#   sh bench/gi_adam.sh [BUILD_DIR] [LR] [SEEDS] [OUT_DIR]
b=${1:-build}; lr=${2:-3e-3}; seeds=${3:-"1 2 3"}; out=${4:-}
[ -x "$b/warmup" ] || { echo "usage: $0 [BUILD_DIR] [LR] [SEEDS] [OUT_DIR]" >&2; exit 2; }
export OMP_NUM_THREADS=1
if [ -z "$out" ]; then out=$(mktemp -d); trap 'rm -rf "$out"' EXIT; fi
mkdir -p "$out"
arm() { # name args...
    name=$1; shift
    for s in $seeds; do
        d="$out/$name-lr$lr-s$s"
        [ -f "$d/summary.json" ] && grep -q '"completed"\|"diverged"' "$d/summary.json" ||
            "$b/warmup" train --lr "$lr" --seed "$s" "$@" --out "$d" --force -q > /dev/null 2>&1
        /usr/bin/python3 - "$d" "$name" "$s" <<'EOF'
import csv, json, math, sys
d, name, seed = sys.argv[1:4]
s = json.load(open(d + "/summary.json"))
rows = list(csv.DictReader(open(d + "/metrics.csv")))
loss = [float(r["loss"]) for r in rows if r["loss"]]
last = loss[-20:]
upd = max(float(r["update_rms"]) for r in rows[:10] if r["update_rms"])
vl = s.get("final_val_loss")
print("%-15s seed %s  train(last 20) %7.4f  val %s  spikes %3d  diverged %-5s  max update_rms(0-9) %.2e"
      % (name, seed, sum(last) / len(last), "%.4f" % vl if vl is not None else "  -   ",
         s["spikes"], s["diverged"], upd))
EOF
    done
}
echo "peak LR $lr, seeds $seeds, $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)"
arm adamw-nowarm --schedule 'cosine(to=0.1)'
arm giadamw-nowarm --schedule 'cosine(to=0.1)' --adam-init grad
arm adamw-warm
arm giadamw-nobc --schedule 'cosine(to=0.1)' --adam-init grad --bias-correction off
/usr/bin/python3 - "$out" "$lr" <<'EOF'
import glob, json, statistics, sys
out, lr = sys.argv[1:3]
for arm in ("adamw-nowarm", "giadamw-nowarm", "adamw-warm", "giadamw-nobc"):
    v = [json.load(open(f)).get("final_val_loss") for f in sorted(glob.glob("%s/%s-lr%s-s*/summary.json" % (out, arm, lr)))]
    v = [x for x in v if x is not None]
    if v:
        print("%-15s mean final val loss %.4f (sd %.4f, %d seeds)" % (arm, statistics.mean(v), statistics.stdev(v) if len(v) > 1 else 0.0, len(v)))
EOF
