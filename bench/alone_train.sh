#!/bin/sh
# alone_train.sh - is one `warmup train` run, alone on the machine, as fast as before a change?
# Two builds run one at a time, back to back, OLD then NEW in odd rounds and NEW then OLD in
# even ones, so that a drift in the machine's speed (a neighbour on the host, a change of clock)
# hits both alike. Reports per build the median and best tokens/s (from summary.json, the
# session's whole wall time: tokens_per_wall_s, or tokens_per_s of a build before issue 19) and the
# median of the per-round ratios NEW/OLD: the figure to read on a noisy machine, since each
# ratio compares two runs seconds apart. Where NEW's summary has "threads_min" (the thread
# governor), also how many of its runs used fewer threads than they started with.
# OMP_NUM_THREADS and OMP_WAIT_POLICY are left as the caller has them (unset: each build's
# own default).
#   sh bench/alone_train.sh OLD_BUILD_DIR NEW_BUILD_DIR [ROUNDS] [STEPS]
set -e
old=$1; new=$2; rounds=${3:-20}; steps=${4:-60}
[ -x "$old/warmup" ] && [ -x "$new/warmup" ] || { echo "usage: $0 OLD_BUILD NEW_BUILD [ROUNDS] [STEPS]" >&2; exit 2; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
one() { # side build: one run, appends "side tokens_per_s threads threads_min"
    rm -rf "$tmp/r"
    "$2/warmup" train --steps "$steps" --batch 8 --schedule hf:constant --out "$tmp/r" -q > /dev/null
    /usr/bin/python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(sys.argv[2], s.get('tokens_per_wall_s', s['tokens_per_s']), s.get('threads', 0), s.get('threads_min', 0))" "$tmp/r/summary.json" "$1" >> "$tmp/res"
}
echo "cpus $(nproc), load before: $(cat /proc/loadavg)"
echo "OMP_NUM_THREADS=${OMP_NUM_THREADS-unset} OMP_WAIT_POLICY=${OMP_WAIT_POLICY-unset}"
for r in $(seq "$rounds"); do
    if [ $((r % 2)) -eq 1 ]; then one old "$old"; one new "$new"; else one new "$new"; one old "$old"; fi
done
echo "load after: $(cat /proc/loadavg)"
/usr/bin/python3 - "$tmp/res" <<'PY'
import sys, statistics as st
rows = [l.split() for l in open(sys.argv[1])]
old = [float(r[1]) for r in rows if r[0] == 'old']
new = [float(r[1]) for r in rows if r[0] == 'new']
ratios = [n / o for n, o in zip(new, old)]
print(f"one run alone, tokens/s: old median {st.median(old):.0f} best {max(old):.0f}; "
      f"new median {st.median(new):.0f} best {max(new):.0f}")
print(f"new/old per round: median {st.median(ratios):.3f}, quartiles "
      f"{st.quantiles(ratios, n=4)[0]:.3f}-{st.quantiles(ratios, n=4)[2]:.3f}, "
      f"range {min(ratios):.3f}-{max(ratios):.3f} ({len(ratios)} rounds)")
gov = [r for r in rows if r[0] == 'new' and int(r[3]) > 0]
if gov:
    print(f"new runs that used fewer threads than they started with: "
          f"{sum(int(r[3]) < int(r[2]) for r in gov)} of {len(gov)}")
print("ratios:", [round(x, 3) for x in ratios])
PY
