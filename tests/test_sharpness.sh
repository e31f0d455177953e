#!/bin/sh
# test_sharpness.sh - the diagnostics of issue 18 from the outside: --sharpness-every (four
# metrics.csv columns) and --layer-stats-every (DIR/layers.csv). The probes leave every other
# column bit for bit as without them; the cells are filled on the probed steps only; Adam's
# preconditioned sharpness is empty before the first update and for SGD; layers.csv has a row per
# tensor per logged step; a resumed run repeats the uninterrupted one; on 2 MPI ranks the probe
# agrees with one process and no rank hangs (skipped in quick mode or without MPI). The numbers
# themselves are checked against exact quadratics and torch in tests/test_sharpness.c.
# Usage: sh tests/test_sharpness.sh build/warmup
W=${1:-build/warmup}
export OMP_NUM_THREADS=1
QUICK=${WU_TEST_QUICK:-}
pass=0; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# metrics.csv by column name: mcol FILE PROG, v("name") the value of the column called name
mcol() { awk -F, "function v(n) { if (!(n in ix)) { print \"metrics.csv has no column \" n > \"/dev/stderr\"; exit 3 } return \$ix[n] }
NR == 1 { for (i = 1; i <= NF; i++) ix[\$i] = i } $2" "$1"; }
# metrics.csv without the given columns (and time_s): what must not change
without() { mcol "$1" '{ s = ""; k = 0; for (i = 1; i <= NF; i++) { n = ""; for (c in ix) if (ix[c] == i) n = c;
    if (n == "time_s" || n ~ /sharpness/) continue; s = s (k++ ? "," : "") $i } print s }'; }
TINY="--layers 1 --heads 2 --dim 16 --seq 16 --batch 4 --builtin-bytes 20000 --eval-every 10"

# ---- the probes change nothing else ----
"$W" train $TINY --steps 30 --out "$tmp/plain" -q || bad "plain run"
"$W" train $TINY --steps 30 --sharpness-every 5 --layer-stats-every 5 --out "$tmp/probed" -q || bad "probed run"
without "$tmp/plain/metrics.csv" > "$tmp/p1"; without "$tmp/probed/metrics.csv" > "$tmp/p2"
[ -s "$tmp/p1" ] && cmp -s "$tmp/p1" "$tmp/p2" && ok || bad "the probes changed other columns: $(diff "$tmp/p1" "$tmp/p2" | head -4)"
[ ! -e "$tmp/plain/layers.csv" ] && ok || bad "a run without --layer-stats-every wrote layers.csv"
mcol "$tmp/plain/metrics.csv" 'NR > 1 && (v("sharpness") v("sharpness_lr") v("precond_sharpness") v("precond_sharpness_lr")) != "" { exit 1 }' \
    && ok || bad "sharpness cells without --sharpness-every"

# ---- cells on probed steps only; lr x lambda beside lambda; Adam's preconditioned one ----
mcol "$tmp/probed/metrics.csv" 'NR > 1 { due = v("step") % 5 == 0; has = v("sharpness") != "";
    if (due != has || (v("sharpness_lr") != "") != has) bad = 1;
    if (has && (v("sharpness") <= 0 || v("sharpness") > 1e4)) bad = 1;
    if (has && (v("sharpness_lr") - v("lr") * v("sharpness")) ^ 2 > 1e-12 * (1 + v("sharpness_lr") ^ 2)) bad = 1;
    if ((v("precond_sharpness") != "") != (has && v("step") > 0)) bad = 1;
    if (v("precond_sharpness") != "" && v("precond_sharpness") <= v("sharpness")) bad = 1 }
    END { exit bad }' && ok || bad "sharpness cells: $(cut -d, -f1,2,18-21 "$tmp/probed/metrics.csv" | head -8)"
"$W" train $TINY --steps 6 --optimizer sgd --lr 0.1 --schedule constant --sharpness-every 3 --out "$tmp/sgd" -q || bad "sgd run"
mcol "$tmp/sgd/metrics.csv" 'NR > 1 { if (v("precond_sharpness") != "" || (v("step") % 3 == 0) != (v("sharpness") != "")) bad = 1 }
    END { exit bad }' && ok || bad "SGD: sharpness on steps 0 and 3, no preconditioned one"

# ---- layers.csv ----
L="$tmp/probed/layers.csv"
[ "$(head -1 "$L")" = "step,layer,name,update_ratio,angle_deg" ] && ok || bad "layers.csv header: $(head -1 "$L")"
nt=$(awk -F, 'NR > 1 && $1 == 0' "$L" | wc -l)
[ "$nt" -gt 5 ] && [ "$(awk -F, 'NR > 1' "$L" | wc -l)" -eq $((nt * 6)) ] && ok || bad "layers.csv: $nt tensors x 6 logged steps expected"
awk -F, 'NR > 1 { if ($1 % 5 != 0) bad = 1; if ($1 == 0 && $5 != "") bad = 1;
    if ($1 > 0 && $3 == "wte" && ($4 <= 0 || $4 > 1 || $5 == "" || $5 < 0 || $5 > 180)) bad = 1 } END { exit bad }' "$L" \
    && ok || bad "layers.csv values: $(grep wte "$L" | head -3)"

# ---- warmup report: the sharpness charts against the threshold, and layers.csv per layer group ----
"$W" report "$tmp/probed" > /dev/null 2>&1 || bad "report of a probed run"
H="$tmp/probed/report.html"
grep -q "LR x preconditioned sharpness (Adam)" "$H" && grep -q "the stability threshold 38" "$H" && ok || bad "report: Adam's sharpness chart with its threshold 38"
[ "$(grep -c "per layer group" "$H")" -ge 2 ] && grep -q ">h.0<" "$H" && ok || bad "report: the two layers.csv charts with a line for block h.0"
"$W" report "$tmp/plain" > /dev/null 2>&1 && ! grep -q "LR x sharpness\|per layer group" "$tmp/plain/report.html" && ok || bad "report of a run without probes: no probe charts"
# a run of an older version (no sharpness columns) still renders
mkdir "$tmp/old"; cp "$tmp/plain/summary.json" "$tmp/old/"
mcol "$tmp/plain/metrics.csv" '{ s = ""; k = 0; for (i = 1; i <= NF; i++) if (i < ix["sharpness"] || i > ix["precond_sharpness_lr"]) s = s (k++ ? "," : "") $i; print s }' > "$tmp/old/metrics.csv"
"$W" report "$tmp/old" > /dev/null 2>&1 && [ -s "$tmp/old/report.html" ] && ok || bad "report of a run without the sharpness columns failed"

# ---- deterministic, and a resumed run repeats the uninterrupted one ----
P="--sharpness-every 4 --layer-stats-every 4"
"$W" train $TINY --steps 24 $P --out "$tmp/full" -q || bad "full run"
"$W" train $TINY --steps 24 $P --out "$tmp/half" --stop-after 12 -q || bad "half run"
"$W" train --resume "$tmp/half" -q || bad "resume"
mcol "$tmp/full/metrics.csv" '{ $NF = ""; print }' > "$tmp/f1"; mcol "$tmp/half/metrics.csv" '{ $NF = ""; print }' > "$tmp/f2"
cmp -s "$tmp/f1" "$tmp/f2" && ok || bad "resumed metrics differ: $(diff "$tmp/f1" "$tmp/f2" | head -4)"
# layers.csv: the same, except the angle of the first logged step after the resume (step 12)
awk -F, '$1 != 12' "$tmp/full/layers.csv" > "$tmp/l1"; awk -F, '$1 != 12' "$tmp/half/layers.csv" > "$tmp/l2"
cmp -s "$tmp/l1" "$tmp/l2" && ok || bad "resumed layers.csv differs: $(diff "$tmp/l1" "$tmp/l2" | head -4)"
awk -F, '$1 == 12 { print $1 "," $2 "," $3 "," $4 }' "$tmp/full/layers.csv" > "$tmp/l1"
awk -F, '$1 == 12 { if ($5 != "") exit 1; print $1 "," $2 "," $3 "," $4 }' "$tmp/half/layers.csv" > "$tmp/l2" \
    && [ -s "$tmp/l1" ] && cmp -s "$tmp/l1" "$tmp/l2" && ok || bad "step 12 after the resume: same ratios, empty angles"
# a fresh run over a directory with layers.csv, without layer statistics, removes it
"$W" train $TINY --steps 3 --out "$tmp/full" --force -q >/dev/null 2>&1 || "$W" train $TINY --steps 3 --out "$tmp/full" -q >/dev/null 2>&1
[ ! -e "$tmp/full/layers.csv" ] && ok || bad "an old layers.csv survived a fresh run without --layer-stats-every"

# ---- images: the MLP and the ViT probe their first training images ----
/usr/bin/python3 "$(dirname "$0")/tiny_idx.py" "$tmp/idx" 64 || bad "tiny_idx.py"
for m in mlp vit; do
    "$W" train --model $m --data "$tmp/idx" --batch 8 --steps 4 --sharpness-every 2 --layer-stats-every 2 \
        --dim 16 --heads 2 --layers 1 --width 16 --out "$tmp/$m" -q || bad "$m run"
    mcol "$tmp/$m/metrics.csv" 'NR > 1 && v("step") % 2 == 0 { if (v("sharpness") == "" || v("sharpness") <= 0) bad = 1 } END { exit bad }' \
        && ok || bad "$m: sharpness cells"
done

# ---- two MPI ranks: the same probe, no rank hangs ----
if [ -n "$QUICK" ]; then
    echo "  skipped: test_sharpness.sh on 2 MPI ranks: quick mode (make check); make test runs it"
elif ! command -v mpirun >/dev/null 2>&1 || ! ldd "$W" 2>/dev/null | grep -q libmpi; then
    echo "  skipped: test_sharpness.sh on 2 MPI ranks: no mpirun, or $W built without MPI"
else
    . "${0%/*}/mpirun.sh" # MPIRUN
    timeout 300 $MPIRUN -np 2 "$W" train $TINY --steps 9 $P --out "$tmp/k2" -q > "$tmp/out" 2>&1 \
        && ok || { bad "mpirun -np 2 with the probes failed"; tail -5 "$tmp/out"; }
    "$W" train $TINY --steps 9 $P --out "$tmp/k1" -q || bad "k1 run"
    mcol "$tmp/k2/metrics.csv" 'NR > 1 && v("sharpness") != "" { n++ }
        END { exit n != 3 }' && ok || bad "2 ranks: 3 probes expected"
    # the global batch is the same; only the order of the gradient sums differs
    for col in sharpness precond_sharpness; do
        a=$(mcol "$tmp/k1/metrics.csv" "NR > 1 && v(\"step\") == 8 { print v(\"$col\") }")
        b=$(mcol "$tmp/k2/metrics.csv" "NR > 1 && v(\"step\") == 8 { print v(\"$col\") }")
        awk -v a="$a" -v b="$b" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && d <= 1e-2 * a) }' \
            && ok || bad "2 ranks: $col $b, one process $a"
    done
fi
echo "test_sharpness_sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
