#!/bin/sh
# busy_train.sh - does `warmup train` stay fast when the machine is busy? Two builds side by
# side (before and after a change), alternately OLD NEW OLD NEW ... in each round:
#   seq   two `warmup train` runs one after the other (the wall time of both; each run's tokens/s
#         from its summary.json is the "alone" figure)
#   pair  the same two runs started together (the wall time until both are done)
# and reports, per build, the medians and the best of: one run's tokens/s alone, the wall time
# of seq and of pair, and pair efficiency = seq wall / pair wall (1.0: running two at once
# costs nothing against running them in turn; 0.5: it takes twice as long).
# OMP_NUM_THREADS and OMP_WAIT_POLICY are left as the caller has them (unset: each build's
# own default, which is what is compared). The load average is printed before and after.
#   sh bench/busy_train.sh OLD_BUILD_DIR NEW_BUILD_DIR [ROUNDS] [STEPS]
set -e
old=$1; new=$2; rounds=${3:-5}; steps=${4:-60}
[ -x "$old/warmup" ] && [ -x "$new/warmup" ] || { echo "usage: $0 OLD_BUILD NEW_BUILD [ROUNDS] [STEPS]" >&2; exit 2; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }
run() { # build dir
    rm -rf "$2"
    "$1/warmup" train --steps "$steps" --batch 8 --schedule hf:constant --out "$2" -q > /dev/null
}
# the session's whole wall time in either build (tokens_per_s before issue 19, tokens_per_wall_s since)
tps() { /usr/bin/python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(s.get('tokens_per_wall_s', s['tokens_per_s']))" "$1/summary.json"; }
echo "cpus $(nproc), load before: $(cat /proc/loadavg)"
echo "OMP_NUM_THREADS=${OMP_NUM_THREADS-unset} OMP_WAIT_POLICY=${OMP_WAIT_POLICY-unset}"
for r in $(seq "$rounds"); do
    for side in old new; do
        eval b=\$$side
        s=$(now); run "$b" "$tmp/a"; m=$(now); run "$b" "$tmp/b"; e=$(now)
        echo "$side alone_tokens_per_s $(tps "$tmp/a")" >> "$tmp/res"
        echo "$side alone_tokens_per_s $(tps "$tmp/b")" >> "$tmp/res"
        awk -v t="$side" -v s="$s" -v m="$m" -v e="$e" 'BEGIN { print t, "alone_wall_s", m - s; print t, "alone_wall_s", e - m; print t, "seq_wall_s", e - s }' >> "$tmp/res"
        seq_s=$(awk -v s="$s" -v e="$e" 'BEGIN { print e - s }')
        s=$(now)
        run "$b" "$tmp/c" & p1=$!
        run "$b" "$tmp/d" & p2=$!
        wait $p1; wait $p2
        e=$(now)
        echo "$side pair_tokens_per_s $(tps "$tmp/c")" >> "$tmp/res"
        echo "$side pair_tokens_per_s $(tps "$tmp/d")" >> "$tmp/res"
        awk -v t="$side" -v s="$s" -v e="$e" -v q="$seq_s" 'BEGIN { print t, "pair_wall_s", e - s; print t, "pair_efficiency", q / (e - s) }' >> "$tmp/res"
    done
    echo "round $r done, load $(cut -d' ' -f1-4 /proc/loadavg)" >&2
done
echo "load after: $(cat /proc/loadavg)"
/usr/bin/python3 - "$tmp/res" <<'PY'
import sys, statistics as st, collections
d = collections.defaultdict(list)
for line in open(sys.argv[1]):
    side, key, v = line.split()
    d[(side, key)].append(float(v))
keys = ["alone_tokens_per_s", "alone_wall_s", "seq_wall_s", "pair_tokens_per_s", "pair_wall_s", "pair_efficiency"]
print(f"{'measure':20} {'old median':>11} {'new median':>11} {'ratio':>6} {'old best':>11} {'new best':>11} {'ratio':>6}")
for k in keys:
    o, n = d[('old', k)], d[('new', k)]
    best = min if k.endswith('wall_s') else max  # times: lower is better; the rest: higher
    print(f"{k:20} {st.median(o):11.3f} {st.median(n):11.3f} {st.median(n) / st.median(o):6.3f} "
          f"{best(o):11.3f} {best(n):11.3f} {best(n) / best(o):6.3f}")
print("rounds:", {f"{s} {k}": [round(x, 3) for x in d[(s, k)]] for s, k in sorted(d)})
PY
