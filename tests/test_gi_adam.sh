#!/bin/sh
# test_gi_adam.sh - issue 18's optimizer options from the outside: `warmup train --adam-init
# grad` (GI-Adam) and `--bias-correction off` train, change the run, resume bit for bit, show in
# summary.json's config and on the rerun line, and refuse bad values (exit 2). The update rule
# itself is held to PyTorch-based fixtures by tests/test_optim.c.
# Usage: sh tests/test_gi_adam.sh build/warmup
W=${1:-build/warmup}
export OMP_NUM_THREADS=1 # bitwise comparisons between runs need the same thread count
pass=0; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
json() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $2" "$1" 2>/dev/null; }
# metrics.csv without its time_s column (the wall time differs between runs)
notime() { awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "time_s") t = i }
    { s = ""; k = 0; for (i = 1; i <= NF; i++) if (i != t) s = s (k++ ? "," : "") $i; print s }' "$1"; }
TINY="--layers 1 --heads 2 --dim 32 --seq 16 --batch 4 --eval-every 10"

# ---- each setting trains, differs from plain Adam, and resumes bit for bit ----
"$W" train $TINY --steps 30 --optimizer adamw --out "$tmp/plain" -q
for opts in "adamw --adam-init grad" "adam --bias-correction off" \
            "radam --adam-init grad --bias-correction off" "adamw --adam-init grad --bias-correction off"; do
    set -- $opts
    kind=$1; shift
    name=$(echo "$opts" | tr ' ' '_')
    "$W" train $TINY --steps 30 --optimizer "$kind" "$@" --out "$tmp/$name-full" -q; rc=$?
    [ $rc -eq 0 ] && ok || bad "$opts: exited $rc"
    json "$tmp/$name-full/summary.json" "assert d['status']=='completed' and d['steps_done']==30 and d['final_loss']==d['final_loss']" && ok || bad "$opts: the run completes"
    "$W" train $TINY --steps 30 --optimizer "$kind" "$@" --out "$tmp/$name-half" --stop-after 12 -q
    "$W" train --resume "$tmp/$name-half" -q; rc=$?
    notime "$tmp/$name-full/metrics.csv" > "$tmp/f1"; notime "$tmp/$name-half/metrics.csv" > "$tmp/f2"
    [ $rc -eq 0 ] && [ "$(wc -l < "$tmp/f1")" -eq 31 ] && cmp -s "$tmp/f1" "$tmp/f2" && ok || bad "$opts: a resumed run differs from the uninterrupted one (exit $rc): $(diff "$tmp/f1" "$tmp/f2" | head -4)"
done
# GI-AdamW is not AdamW: the same first loss (before any update), then other losses; its first
# update is about lr * sqrt(1 - beta2) per weight (update_rms of step 0: 0.0316 x AdamW's lr)
col() { awk -F, -v n="$2" -v r="$3" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i } NR == r + 2 { print $c }' "$1"; }
p="$tmp/plain/metrics.csv"; g="$tmp/adamw_--adam-init_grad-full/metrics.csv"
[ "$(col "$p" loss 0)" = "$(col "$g" loss 0)" ] && [ "$(col "$p" loss 5)" != "$(col "$g" loss 5)" ] && ok || bad "GI-AdamW: step 0's loss should match AdamW's ($(col "$p" loss 0), $(col "$g" loss 0)) and step 5's differ"
"$W" train $TINY --steps 2 --schedule constant --adam-init grad --out "$tmp/c" -q; g="$tmp/c/metrics.csv"
awk -v u="$(col "$g" update_rms 0)" -v l="$(col "$g" lr 0)" 'BEGIN { r = u / (l * sqrt(0.001)); exit !(r > 0.9 && r < 1.0001) }' && ok || bad "GI-AdamW's first update_rms $(col "$g" update_rms 0) is not about lr * sqrt(1 - beta2)"

# ---- summary.json's config and the rerun line ----
d="$tmp/radam_--adam-init_grad_--bias-correction_off-full"
json "$d/summary.json" "c=d['config']; assert c['adam_init']=='grad' and c['bias_correction']=='off'" && ok || bad "summary.json's config lacks adam_init/bias_correction"
json "$tmp/plain/summary.json" "c=d['config']; assert c['adam_init']=='zero' and c['bias_correction']=='on'" && ok || bad "the defaults in summary.json"
"$W" report "$d" > /dev/null 2>&1
grep -q -- "--adam-init &apos;grad&apos; --bias-correction &apos;off&apos;" "$d/report.html" && ok || bad "the rerun line in report.html lacks --adam-init grad --bias-correction off"
grep -q -- "--adam-init" "$tmp/plain/report.html" 2>/dev/null && bad "the rerun line of a default run names --adam-init" || ok

# ---- a resumed run keeps its settings ----
out=$("$W" train --resume "$tmp/plain" --adam-init grad 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q -- "--adam-init cannot be given with --resume" && ok || bad "--adam-init with --resume: exit $rc, $out"

# ---- bad values: exit 2, a message naming the option and the choices, nothing written ----
expect2() { # PHRASE ARGS...
    phrase=$1; shift
    out=$("$W" "$@" 2>&1); rc=$?
    [ $rc -eq 2 ] && echo "$out" | grep -qF -- "$phrase" && ok || bad "$*: exit $rc, '$out' lacks '$phrase'"
}
expect2 "unknown --adam-init 'ones': use zero or grad" train $TINY --steps 5 --adam-init ones --out "$tmp/bad1"
expect2 "unknown --adam-init 'GRAD': use zero or grad" train $TINY --steps 5 --optimizer radam --adam-init GRAD --out "$tmp/bad2"
expect2 "unknown --bias-correction 'maybe': use on or off" train $TINY --steps 5 --bias-correction maybe --out "$tmp/bad3"
expect2 "unknown --bias-correction '1': use on or off" train $TINY --steps 5 --optimizer adam --bias-correction 1 --out "$tmp/bad4"
expect2 "--bias-correction is too long" train $TINY --steps 5 --bias-correction disabled --out "$tmp/bad5"
[ ! -e "$tmp/bad1" ] && [ ! -e "$tmp/bad3" ] && ok || bad "a refused run left a directory"
echo "test_gi_adam: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
