#!/bin/sh
# test_cli.sh - the `warmup` command from the outside: output formats, exit codes, messages.
# Usage: sh tests/test_cli.sh build/warmup
W=${1:-build/warmup}
export OMP_NUM_THREADS=1 # pinned: comparable timings, the same run bit for bit
pass=0; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect_error CODE 'substring' args... : exit code, message on stderr, nothing on stdout
expect_error() {
    code=$1; want=$2; shift 2
    "$W" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
    if [ "$rc" -ne "$code" ]; then bad "warmup $* exited $rc, want $code"; return; fi
    if ! grep -qF -- "$want" "$tmp/err"; then bad "warmup $*: stderr lacks '$want': $(cat "$tmp/err")"; return; fi
    if ! grep -q '^warmup: ' "$tmp/err"; then bad "warmup $*: message does not start with 'warmup: '"; return; fi
    if [ -s "$tmp/out" ]; then bad "warmup $*: printed output despite the error"; return; fi
    ok
}

# ---- csv: header, N rows, 17 significant digits, row k = LR of update k ----
"$W" schedule 'hf:linear(num_warmup_steps=10, num_training_steps=40)' --lr 1e-3 --steps 40 --format csv >"$tmp/a.csv"
[ $? -eq 0 ] && ok || bad "csv run failed"
[ "$(head -1 "$tmp/a.csv")" = "step,lr" ] && ok || bad "csv header is $(head -1 "$tmp/a.csv")"
[ "$(wc -l <"$tmp/a.csv")" -eq 41 ] && ok || bad "csv has $(wc -l <"$tmp/a.csv") lines, want 41"
[ "$(sed -n 2p "$tmp/a.csv")" = "0,0" ] && ok || bad "HF warmup starts at 0: $(sed -n 2p "$tmp/a.csv")"
[ "$(sed -n 12p "$tmp/a.csv")" = "10,0.001" ] && ok || bad "peak at step 10: $(sed -n 12p "$tmp/a.csv")"
[ "$(sed -n 13p "$tmp/a.csv")" = "11,0.00096666666666666667" ] && ok || bad "17 digits: $(sed -n 13p "$tmp/a.csv")"
# not a terminal: csv is the default
"$W" schedule 'warmup(2) > constant' --steps 3 | head -1 | grep -qx 'step,lr' && ok || bad "csv is the default off a terminal"

# ---- json and table ----
"$W" schedule 'warmup(10%) > cosine(to=0.1)' --lr 3e-4 --steps 50 --format json >"$tmp/a.json"
grep -q '"warmup_steps": 5' "$tmp/a.json" && grep -q '"lr_values": \[0, ' "$tmp/a.json" && ok || bad "json: $(head -c 200 "$tmp/a.json")"
/usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d['lr_values'])==50" "$tmp/a.json" 2>/dev/null && ok || bad "json does not parse or has the wrong length"
"$W" schedule 'warmup(10%) > cosine' --lr 1e-3 --steps 20 --format table | grep -q 'of peak' && ok || bad "table header"

# ---- per-group columns, epochs, metrics ----
"$W" schedule 'torch:CosineAnnealingLR(T_max=10, eta_min=1e-5)' --lr 1e-3 --group-lr 1e-4 --steps 3 -f csv | head -1 | grep -qx 'step,lr,lr_group1' && ok || bad "group column"
"$W" schedule 'warmup(1ep) > constant' --steps 10 --steps-per-epoch 4 -f csv | sed -n 6p | grep -qx '4,1' && ok || bad "epoch durations"
printf '1\n0.5\n0.5\n0.5\n0.5\n0.5\n' >"$tmp/m.txt"
"$W" schedule 'torch:ReduceLROnPlateau(patience=1)' --lr 0.1 --steps 6 --metrics "$tmp/m.txt" -f csv | tail -1 | grep -q ',0.01' && ok || bad "plateau with --metrics"

# ---- help ----
"$W" --help | grep -q 'schedule' && ok || bad "warmup --help"
"$W" schedule --help | grep -q -- '--steps' && ok || bad "warmup schedule --help"
"$W" --version | grep -q '^warmup ' && ok || bad "--version"

# ---- every rejected input: exit 2, a message naming the problem ----
expect_error 2 "unknown command 'sched'" sched x
expect_error 2 "missing SPEC" schedule --steps 10
expect_error 2 "--steps N is required" schedule 'warmup(10)'
expect_error 2 "--steps: 'ten' is not a whole number" schedule 'warmup(1)' --steps ten
expect_error 2 "--steps must be between 1 and" schedule 'warmup(1)' --steps -5
expect_error 2 "--lr: 'nan' is not a finite number" schedule 'warmup(1)' --steps 5 --lr nan
expect_error 2 "--lr: 'inf' is not a finite number" schedule 'warmup(1)' --steps 5 --lr inf
expect_error 2 "--lr must be positive" schedule 'warmup(1)' --steps 5 --lr -0.1
expect_error 2 "--lr: '1e-3x' is not a number" schedule 'warmup(1)' --steps 5 --lr 1e-3x
expect_error 2 "--format must be table, csv or json" schedule 'warmup(1)' --steps 5 --format xml
expect_error 2 "unknown option '--stesp'" schedule 'warmup(1)' --stesp 5
expect_error 2 "--steps needs a value" schedule 'warmup(1)' --steps
expect_error 2 "one SPEC expected" schedule warmup '(10)' --steps 5
expect_error 2 "spec:1:11: expected ')'" schedule 'warmup(10%' --steps 100
expect_error 2 "unknown PyTorch scheduler 'CosineLR'" schedule 'torch:CosineLR(T_max=3)' --steps 5
expect_error 2 "0 steps does nothing" schedule 'warmup(10) > constant(0) > cosine' --steps 100
expect_error 2 "longer than num_training_steps" schedule 'hf:linear(num_warmup_steps=50, num_training_steps=40)' --steps 40
expect_error 2 "must not be negative" schedule 'warmup(-5) > cosine' --steps 100
expect_error 2 "divide by zero" schedule 'torch:ConstantLR(factor=0)' --steps 10
expect_error 2 "must be >= 0" schedule 'torch:ExponentialLR(gamma=-1)' --steps 10
expect_error 2 "above the peak LR" schedule 'warmup(10) > cosine(min=0.01)' --lr 1e-3 --steps 100
expect_error 2 "is defined for 41 steps" schedule 'torch:OneCycleLR(max_lr=0.1, total_steps=40)' --steps 50
expect_error 2 "cannot open" schedule 'constant' --steps 3 --metrics "$tmp/none.txt"
printf '1\nabc\n' >"$tmp/badm.txt"
expect_error 2 "badm.txt:2: expected one finite number" schedule 'constant' --steps 3 --metrics "$tmp/badm.txt"
expect_error 2 "is not a number" schedule 'constant' --steps 3 --group-lr 1e-3,x

# ---- plot ----
"$W" plot cosine 'warmup(10%) > cosine' 'hf:linear(num_warmup_steps=20)' -n 200 --lr 3e-4 -o "$tmp/p.svg"
[ $? -eq 0 ] && [ -s "$tmp/p.svg" ] && ok || bad "plot -o"
xmllint --noout "$tmp/p.svg" 2>/dev/null && ok || bad "the SVG does not parse as XML"
[ "$(grep -c '<polyline' "$tmp/p.svg")" -eq 3 ] && ok || bad "3 polylines expected: $(grep -c '<polyline' "$tmp/p.svg")"
[ "$(grep -c 'class="marker"' "$tmp/p.svg")" -eq 2 ] && ok || bad "2 warmup markers expected"
grep -q 'warmup(10%) &gt; cosine' "$tmp/p.svg" && ok || bad "legend names the spec"
ls "$tmp" | grep -q 'tmp\.' && bad "a temporary file was left behind" || ok
"$W" plot 'warmup(5) > cosine' -n 50 | head -1 | grep -q '^<?xml' && ok || bad "SVG on stdout off a terminal"
"$W" plot 'warmup(5) > cosine' cosine -n 50 --ascii --cols 50 >"$tmp/a.txt" && ok || bad "plot --ascii"
[ "$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$tmp/a.txt")" -le 50 ] && ok || bad "ASCII chart wider than 50 columns"
grep -q 'end of warmup' "$tmp/a.txt" && ok || bad "terminal legend"
"$W" plot 'warmup(5) > cosine' -n 50 --log-y --block --cols 60 --no-color | grep -q '1e-' && ok || bad "log-y ticks"
expect_error 2 "give at least one SPEC" plot -n 10
expect_error 2 "--steps N is required" plot cosine
expect_error 2 "--labels has 1 name for 2 specs" plot cosine constant -n 10 --labels one
expect_error 2 "is a directory" plot cosine -n 10 -o "$tmp"
expect_error 2 "cannot write" plot cosine -n 10 -o "$tmp/missing/dir/p.svg"
expect_error 2 "--cols must be between 30 and 1000" plot cosine -n 10 --cols 10
expect_error 2 "unknown phase 'cosin'" plot cosin -n 10 -o "$tmp/never.svg"
[ ! -e "$tmp/never.svg" ] && ok || bad "a failed plot left a file"

# ---- suggest ----
"$W" suggest --optimizer sgd --base-lr 1e-4 --base-batch 256 --base-warmup 1000 --batch 8192 --steps 100000 >"$tmp/s.txt"
grep -q 'warmup   32000 steps' "$tmp/s.txt" && grep -q 'peak LR  0.0032' "$tmp/s.txt" && ok || bad "guide example: $(head -5 "$tmp/s.txt")"
grep -q 'spec     warmup(32000) > cosine' "$tmp/s.txt" && ok || bad "suggested spec"
"$W" suggest --steps 10000 --format json >"$tmp/s.json"
/usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['warmup_steps']==2000 and d['optimizer']=='adamw'" "$tmp/s.json" 2>/dev/null && ok || bad "suggest json: $(cat "$tmp/s.json")"
"$W" suggest --steps 1000 --scenario bert-finetune --optimizer sgd | grep -q 'hf:linear(num_warmup_steps=100' && ok || bad "bert uses a linear decay"
"$W" suggest --steps 2000 --plot --ascii | grep -q 'end of warmup' && ok || bad "suggest --plot"
expect_error 2 "--steps must be between 1 and" suggest --steps -1
expect_error 2 "--batch must be between 1 and" suggest --steps 100 --batch 0
expect_error 2 "--beta2 must be between 0 and" suggest --steps 100 --beta2 1
expect_error 2 "not shorter than the run" suggest --steps 1000 --base-warmup 5000 --base-batch 32 --batch 64
expect_error 2 "--scenario must be one of" suggest --steps 100 --scenario huge
expect_error 2 "run length is unknown" suggest --optimizer sgd
expect_error 2 "unexpected argument 'adam'" suggest --steps 10 adam

# ---- issue 14: say true things ----
# JSON never holds inf or nan: every --format json / --json writer, parsed strictly (Python's
# json takes NaN and Infinity unless parse_constant refuses them)
STRICT='import json,sys; json.loads(open(sys.argv[1]).read(), parse_constant=lambda c: sys.exit("non-finite " + c))'
expect_error 2 "peak LR is not finite" suggest --steps 1000 --optimizer sgd --base-lr 1e308 --batch 8192 --base-batch 256 --format json
expect_error 2 "peak LR is not finite" suggest --steps 1000 --optimizer sgd --base-lr 1e308 --batch 8192 --base-batch 256
expect_error 2 "is not finite" schedule 'torch:ExponentialLR(gamma=10)' --steps 400 --lr 1e300 --format csv
"$W" schedule 'torch:ExponentialLR(gamma=10)' --steps 400 --lr 1e300 --format json >"$tmp/inf.json" 2>/dev/null
[ $? -eq 2 ] && ! grep -q 'inf' "$tmp/inf.json" && ok || bad "schedule --format json wrote inf: $(tail -c 80 "$tmp/inf.json")"
"$W" suggest --steps 1000 --optimizer sgd --base-lr 1 --format json >"$tmp/s2.json" && /usr/bin/python3 -c "$STRICT" "$tmp/s2.json" && ok || bad "suggest json is not strict JSON"
# beta2 as given, not rounded to "1"
"$W" suggest --steps 1000 --beta2 0.9999999 >"$tmp/b2.txt"
grep -q '(beta2 0.9999999)' "$tmp/b2.txt" && grep -q 'beta2 = 0.9999999 averages' "$tmp/b2.txt" && ok || bad "beta2 shown as $(head -1 "$tmp/b2.txt")"
"$W" suggest --steps 1000 | head -1 | grep -q '(beta2 0.999)' && ok || bad "the default beta2 is 0.999"
# more than 100M rows needs --force
expect_error 2 "the limit is 100M rows" schedule cosine --steps 1000000000000
"$W" schedule cosine --steps 1000000000000 --force -f csv 2>/dev/null | head -3 | tail -1 | grep -qx '1,1' && ok || bad "--force streams past the limit"
# metrics files: a NUL byte or a line over 255 bytes is an error with file:line
printf '1\n0.5\000\n' >"$tmp/nul.txt"
expect_error 2 "nul.txt:2: a NUL byte" schedule 'torch:ReduceLROnPlateau(patience=1)' --steps 3 --metrics "$tmp/nul.txt"
{ echo 1; printf '%0300d\n' 5; } >"$tmp/long.txt"
expect_error 2 "long.txt:2: a line longer than 255 bytes" schedule 'torch:ReduceLROnPlateau(patience=1)' --steps 3 --metrics "$tmp/long.txt"
# an empty list entry is an error, not dropped
expect_error 2 "--lrs: an empty entry" sweep --out "$tmp/sw" --lrs 1e-3,,3e-3 --steps 2
[ ! -e "$tmp/sw" ] && ok || bad "a refused sweep left its directory"
# train --json numbers steps as metrics.csv does (from 0), and stays strict JSON on divergence
TINY="--layers 1 --heads 1 --dim 4 --seq 2 --batch 2"
"$W" train $TINY --steps 3 --json -o "$tmp/tj" >"$tmp/tj.out" 2>/dev/null
[ "$(head -1 "$tmp/tj.out" | sed 's/.*"step": \([0-9]*\),.*/\1/')" = "$(sed -n 2p "$tmp/tj/metrics.csv" | cut -d, -f1)" ] && ok || bad "train --json's first step is not metrics.csv's: $(head -1 "$tmp/tj.out")"
tail -1 "$tmp/tj.out" | grep -q '"steps_done": 3' && ok || bad "train --json summary line"
"$W" train $TINY --steps 3 --json --out "$tmp/tn" --optimizer sgd --lr 1e30 >"$tmp/tn.out" 2>/dev/null
while IFS= read -r l; do printf '%s\n' "$l" >"$tmp/line.json"; /usr/bin/python3 -c "$STRICT" "$tmp/line.json" || bad "train --json line not strict JSON: $l"; done <"$tmp/tn.out"
grep -q '"status": "diverged"' "$tmp/tn.out" && ok || bad "a diverged run's --json: $(tail -1 "$tmp/tn.out")"
# --data DIR reads its subdirectories too, in sorted order (a source tree): the same bytes as
# the files joined by newlines in path order, so the same losses
mkdir -p "$tmp/tree/b" "$tmp/tree/a/deep"
seq 1 2000 >"$tmp/tree/b/y.txt"; seq 5000 7000 >"$tmp/tree/a/deep/x.txt"
{ cat "$tmp/tree/a/deep/x.txt"; echo; cat "$tmp/tree/b/y.txt"; } >"$tmp/flat.txt"
"$W" train $TINY --steps 3 --data "$tmp/tree" --out "$tmp/dt" -q && "$W" train $TINY --steps 3 --data "$tmp/flat.txt" --out "$tmp/df" -q
[ $? -eq 0 ] && [ "$(cut -d, -f3 "$tmp/dt/metrics.csv")" = "$(cut -d, -f3 "$tmp/df/metrics.csv")" ] && ok || bad "--data DIR with subdirectories: not the files in sorted order"
expect_error 2 "not a regular file or a directory" train $TINY --steps 2 --data /dev/zero --out "$tmp/dz"
# an interrupted sweep: the LR sensitivity of an incomplete row is left out of the chart and
# the CSV, and marked (k/n LRs) in the table, never a plain number that looks like "the best"
"$W" sweep $TINY --steps 4 --lrs 1e-3,1e-2 --warmups 0,25% --out "$tmp/isw" -q -j 1 >/dev/null 2>&1
sed 's/"status": "completed"/"status": "interrupted"/' "$tmp/isw/lr0.01-w0-seed1/summary.json" >"$tmp/isw.json" && mv "$tmp/isw.json" "$tmp/isw/lr0.01-w0-seed1/summary.json"
"$W" report "$tmp/isw" >/dev/null 2>&1
[ "$(grep '^0,' "$tmp/isw/sensitivity.csv" | cut -d, -f3)" = "" ] && grep -q '^25%,0.25,[0-9]' "$tmp/isw/sensitivity.csv" && ok || bad "sensitivity.csv of an incomplete row: $(cat "$tmp/isw/sensitivity.csv")"
grep -q '1/2 LRs' "$tmp/isw/report.html" && ok || bad "the report's table does not mark the incomplete row"
grep -q 'rows not yet complete are left out' "$tmp/isw/sensitivity.svg" && ok || bad "the sensitivity chart does not say it leaves rows out"
# the README's terminal examples are the real output (tests/readme_blocks.py; --update rewrites
# them after a deliberate change of the output)
if [ -f README.md ]; then
    /usr/bin/python3 tests/readme_blocks.py "$W" >"$tmp/rb.txt" 2>&1 && ok || bad "README examples: $(cat "$tmp/rb.txt")"
fi
# IDX images of other sizes: the MLP takes its input size from the data (no crash, a clear result)
if /usr/bin/python3 tests/tiny_idx.py "$tmp/idx10" 40 10 && /usr/bin/python3 tests/tiny_idx.py "$tmp/idx40" 40 40; then
    for sz in 10 40; do
        "$W" train --model mlp --data "$tmp/idx$sz" --steps 4 --batch 8 --out "$tmp/m$sz" -q; rc=$?
        [ $rc -eq 0 ] && grep -q '"steps_done": 4' "$tmp/m$sz/summary.json" 2>/dev/null && ok || bad "mlp on ${sz}x$sz IDX images: exit $rc"
    done
    expect_error 2 "10x10 pixels, which 7x7 patches do not tile" train --model vit --data "$tmp/idx10" --steps 2 --out "$tmp/v10"
else
    bad "tests/tiny_idx.py failed"
fi

# the caret under the error column
"$W" schedule 'warmup(10%' --steps 100 2>&1 | tail -1 | grep -qx '            ^' && ok || bad "caret position"

# ---- numbers as people write them (issue 14): whole numbers in exponent form, exactly ----
[ "$("$W" schedule 'warmup(10) > cosine' --steps 1e3 | wc -l)" -eq 1001 ] && ok || bad "--steps 1e3 is 1000 steps"
[ "$("$W" schedule 'warmup(10) > cosine' --steps 2.5E+2 | wc -l)" -eq 251 ] && ok || bad "--steps 2.5E+2 is 250 steps"
"$W" schedule 'warmup(10) > cosine' --steps 1e3 --lr 3e-4 >"$tmp/e1.csv" && "$W" schedule 'warmup(10) > cosine' --steps 1000 --lr 0.0003 >"$tmp/e2.csv" && cmp -s "$tmp/e1.csv" "$tmp/e2.csv" && ok || bad "--steps 1e3 --lr 3e-4 differ from --steps 1000 --lr 0.0003"
expect_error 2 "'1.5e0' is not a whole number (its exponent leaves a fraction" schedule 'warmup(1) > constant' --steps 1.5e0
expect_error 2 "'1e-3' is not a whole number" schedule 'warmup(1) > constant' --steps 1e-3
expect_error 2 "--steps must be between 1 and" schedule 'warmup(1) > constant' --steps 1e30
expect_error 2 "--steps must be between 1 and" schedule 'warmup(1) > constant' --steps 1e99999999
expect_error 2 "'1e' is not a whole number" schedule 'warmup(1) > constant' --steps 1e
"$W" train $TINY --steps 2e0 --lr 3e-4 --eval-every 1e0 --out "$tmp/e3" >/dev/null 2>&1 && grep -q '"steps": 2, .*"eval_every": 1,' "$tmp/e3/summary.json" && ok || bad "train --steps 2e0 (field table): $(head -c 300 "$tmp/e3/summary.json" 2>/dev/null)"
expect_error 2 "not a whole number (its exponent leaves a fraction)" train --steps 1.5e0 --out "$tmp/e4"
[ ! -e "$tmp/e4" ] && ok || bad "train --steps 1.5e0 left $tmp/e4"

# the README's `--out runs/a` in a fresh clone: the parent directories are made (was "cannot be created")
"$W" train $TINY --steps 1 --eval-every 0 --out "$tmp/runs/a" --quiet >/dev/null 2>&1 && [ -s "$tmp/runs/a/summary.json" ] && ok || bad "train --out with a missing parent"

echo "test_cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
