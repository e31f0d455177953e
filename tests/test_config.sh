#!/bin/sh
# test_config.sh - the run configuration from the outside: the "how to rerun" line of
# `warmup report`, pasted into a shell, reruns the same run (a path with a space, a quote and a
# '>' included); `warmup train --help` lists every option of the table; `warmup report` on a
# sweep names the sweep's real model, batch, optimizer and its settings; a failed run of a
# sweep names the option that set the field it is about.
# Usage: sh tests/test_config.sh build/warmup
W=${1:-build/warmup}
pass=0; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
export OMP_NUM_THREADS=1
TINY="--layers 1 --heads 2 --dim 8 --seq 8 --batch 2 --builtin-bytes 8192"
bindir=$(cd "$(dirname "$W")" && pwd)
# the rerun line of a run's report.html, unescaped from HTML
rerun_of() {
    /usr/bin/python3 -c '
import html, re, sys
t = open(sys.argv[1]).read()
m = re.search(r"<pre[^>]*>(warmup train --out .*?)</pre>", t, re.S)
print(html.unescape(m.group(1)) if m else "")' "$1"
}

# ---- the rerun line: quoted, complete, and it reruns the same run ----
run="$tmp/it's a run >here"
"$W" train $TINY --steps 6 --eps 1e-6 --eval-every 2 --clip 0.5 --out "$run" -q; rc=$?
[ $rc -eq 0 ] && ok || bad "the first run exited $rc"
"$W" report "$run" > /dev/null && ok || bad "report on the run"
line=$(rerun_of "$run/report.html")
[ -n "$line" ] && ok || bad "report.html has a rerun line"
case "$line" in *"--eps '1e-06'"*) ok ;; *) bad "the rerun line has --eps: $line" ;; esac
case "$line" in *"--eval-every '2'"*) ok ;; *) bad "the rerun line has --eval-every: $line" ;; esac
case "$line" in *"--clip '0.5'"*) ok ;; *) bad "the rerun line has --clip: $line" ;; esac
case "$line" in *--depth*|*--width*|*--act*|*--pool*|*--momentum*) bad "a GPT/AdamW run's line has MLP, ViT or SGD options: $line" ;; *) ok ;; esac
cp "$run/summary.json" "$tmp/first.json"
cp "$run/metrics.csv" "$tmp/first.csv"
# paste it into a shell: it must write into the same (odd) directory, nowhere else (with
# --force: the directory holds the first run, which a plain rerun refuses to replace)
(cd "$tmp" && PATH="$bindir:$PATH" sh -c "$line -q" 2> /dev/null); rc=$?
[ $rc -eq 2 ] && ok || bad "the rerun line replaced the run it came from without --force (exit $rc)"
(cd "$tmp" && PATH="$bindir:$PATH" sh -c "$line --force -q"); rc=$?
[ $rc -eq 0 ] && ok || bad "the rerun line runs in sh (exit $rc): $line"
[ ! -e "$tmp/here" ] && [ ! -e "$tmp/it" ] && ok || bad "the rerun line redirected or split --out: $(ls "$tmp")"
/usr/bin/python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))["config"]; b = json.load(open(sys.argv[2]))["config"]
sys.exit(0 if a == b else 1)' "$tmp/first.json" "$run/summary.json" && ok || bad "the rerun has the same configuration"
cut -d, -f1-3 "$tmp/first.csv" > "$tmp/a.csv"; cut -d, -f1-3 "$run/metrics.csv" > "$tmp/b.csv"
cmp -s "$tmp/a.csv" "$tmp/b.csv" && ok || bad "the rerun logs the same steps, LRs and losses"

# an MLP's line has --act when it is not the default (the data is an IDX directory of 1 image)
mkdir -p "$tmp/idx"
/usr/bin/python3 - "$tmp/idx" << 'EOF'
import gzip, struct, sys
d = sys.argv[1]
for kind, n in (("train", 8), ("t10k", 4)):
    with gzip.open(f"{d}/{kind}-images-idx3-ubyte.gz", "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, 28, 28) + bytes(range(256)) * (n * 784 // 256) + bytes(n * 784 % 256))
    with gzip.open(f"{d}/{kind}-labels-idx1-ubyte.gz", "wb") as f:
        f.write(struct.pack(">II", 0x801, n) + bytes(i % 10 for i in range(n)))
EOF
"$W" train --model mlp --data "$tmp/idx" --depth 1 --width 4 --act tanh --batch 2 --steps 2 --optimizer sgd --momentum 0.5 --out "$tmp/mlp" -q; rc=$?
if [ $rc -eq 0 ] && "$W" report "$tmp/mlp" > /dev/null; then
    mline=$(rerun_of "$tmp/mlp/report.html")
    case "$mline" in *"--act 'tanh'"*) ok ;; *) bad "an MLP's rerun line has --act: $mline" ;; esac
    case "$mline" in *--layers*|*--beta1*|*--seq*) bad "an MLP/SGD line has transformer or Adam options: $mline" ;; *) ok ;; esac
else
    bad "the MLP run on a 12-image IDX directory (exit $rc)"
fi

# ---- --help lists every option ----
"$W" train --help > "$tmp/help.txt"
for o in model data schedule lr optimizer beta1 beta2 eps momentum weight-decay clip steps batch seed \
         layers heads dim seq post-ln depth width act pool eval-every eval-batches checkpoint-every \
         builtin-bytes diverge-factor on-nonfinite inject-nonfinite inject-count out; do
    grep -q -- "--$o\b" "$tmp/help.txt" && ok || bad "train --help lacks --$o"
done

# ---- a sweep's report names its real optimizer, betas, batch and model ----
"$W" sweep $TINY --steps 4 --lrs 1e-2 --warmups 0 --optimizer sgd --momentum 0.8 --batch 3 --out "$tmp/sw" -q > /dev/null 2>&1; rc=$?
[ $rc -eq 0 ] && ok || bad "the sgd sweep exited $rc"
rm -f "$tmp/sw/report.html"
"$W" report "$tmp/sw" > /dev/null && [ -s "$tmp/sw/report.html" ] && ok || bad "warmup report on the sweep"
grep -q 'with sgd (momentum 0.8' "$tmp/sw/report.html" && ok || bad "the sweep page names sgd and its momentum: $(grep -o 'A gpt[^.]*' "$tmp/sw/report.html")"
grep -q 'at batch 3 ' "$tmp/sw/report.html" && ok || bad "the sweep page names the batch"
grep -q 'A gpt (layers 1, heads 2, dim 8, seq 8' "$tmp/sw/report.html" && ok || bad "the sweep page names the model and its shape"
! grep -q 'adamw' "$tmp/sw/report.html" && ok || bad "the sgd sweep's page says adamw"
grep -o "A gpt[^.]*" "$tmp/sw/report.html" | grep -q "eval_batches\|builtin_bytes" && bad "the sweep page describes the model with non-architecture fields: $(grep -o "A gpt[^.]*" "$tmp/sw/report.html")" || ok
"$W" sweep $TINY --steps 4 --lrs 1e-2 --warmups 0 --optimizer adam --beta2 0.95 --out "$tmp/sw2" -q > /dev/null 2>&1
"$W" report "$tmp/sw2" > /dev/null
grep -q 'with adam (beta1 0.9, beta2 0.95, eps 1e-08' "$tmp/sw2/report.html" && ok || bad "the adam sweep's page names its betas: $(grep -o 'A gpt[^.]*' "$tmp/sw2/report.html")"

# ---- a run of a sweep that fails names the option, not the field (cli_run_errors) ----
"$W" sweep $TINY --steps 20 --lrs 1e-3 --warmups 0 --schedule 'torch:OneCycleLR(max_lr=1e-3, total_steps=10)' \
    --out "$tmp/sw3" -q > /dev/null 2> "$tmp/sw3.err"; rc=$?
[ $rc -eq 1 ] && grep -q 'warmup: run .*/sw3/[^:]*: --steps: 20 is more than the 11 steps the schedule' "$tmp/sw3.err" && ok ||
    bad "a failed run of a sweep (exit $rc) names --steps: $(head -c 300 "$tmp/sw3.err")"

echo "test_config_cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
