#!/bin/sh
# test_bad_inputs.sh - the bad-input catalogue (tests/bad_inputs.txt): every malformed input,
# across every subcommand, must exit with status 2, print a message that names the problem, and
# leave no file behind (the fixture directory is compared before and after each case).
# Usage: sh tests/test_bad_inputs.sh build/warmup
W=${1:-build/warmup}
export OMP_NUM_THREADS=1
case "$W" in /*) ;; *) W="$(pwd)/$W" ;; esac
pass=0; fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
D=$(mktemp -d); trap 'rm -rf "$D"' EXIT
TINY="--layers 1 --heads 1 --dim 4 --seq 2 --batch 2"
# ---- fixtures
printf '0.5\nabc\n' > "$D/bad_metrics.txt"
echo "a file" > "$D/afile"
: > "$D/empty.txt"
truncate -s 1100M "$D/huge.txt"                       # sparse: no disk used
echo "The cat sat on the mat." > "$D/short.txt"
mkdir -p "$D/nockpt" "$D/emptydir" "$D/trunc" "$D/corrupt" "$D/garbage" "$D/badsweep" "$D/badstudy" "$D/badrun"
"$W" train $TINY --steps 10 --stop-after 3 --out "$D/ck" -q
head -c 20 "$D/ck/checkpoint.bin" > "$D/trunc/checkpoint.bin"
cp "$D/ck/checkpoint.bin" "$D/corrupt/checkpoint.bin"
printf '\377' | dd of="$D/corrupt/checkpoint.bin" bs=1 seek=300 conv=notrunc 2> /dev/null
head -c 20000 /dev/urandom > "$D/garbage/checkpoint.bin"
mkdir -p "$D/oldckpt" && cp "$D/ck/checkpoint.bin" "$D/oldckpt/checkpoint.bin"
printf '1' | dd of="$D/oldckpt/checkpoint.bin" bs=1 seek=7 conv=notrunc 2> /dev/null   # WUCKPT01
rm -rf "$D/ck"
mkdir -p "$D/badidx" "$D/halfidx"
echo garbage > "$D/badidx/train-images-idx3-ubyte.gz"
echo garbage > "$D/badidx/train-labels-idx1-ubyte.gz"
echo garbage > "$D/halfidx/train-images-idx3-ubyte"
printf '0.5\n0.4\000\n' > "$D/nul_metrics.txt"                 # a NUL byte in line 2
{ echo 0.5; printf '%0300d\n' 0; } > "$D/long_metrics.txt"      # line 2: 300 bytes
python3 tests/tiny_idx.py "$D/idx10" 20 10 && python3 tests/tiny_idx.py "$D/idx40" 20 40
echo '{not json' > "$D/badsweep/sweep.json"
echo '{"name": 5}' > "$D/badstudy/study.json"
echo '{"x": 1}' > "$D/badrun/summary.json"
echo 'step,lr,loss' > "$D/badrun/metrics.csv"
"$W" sweep $TINY --steps 5 --lrs 1e-3 --warmups 0 --out "$D/sweep" -q > /dev/null 2>&1
"$W" study adam-first-steps --quick --out "$D/study" -q > /dev/null 2>&1
[ -s "$D/sweep/results.csv" ] && [ -s "$D/study/study.json" ] || { echo "FAIL: fixtures"; exit 1; }
( cd "$D" && find . | sort ) > "$D.before"

n=0
while IFS= read -r line; do
    case "$line" in '#'*|'') continue ;; esac
    want=$(printf '%s' "${line%%|*}" | sed 's/ *$//')
    args=$(printf '%s' "${line#*|}" | sed 's/^ *//')
    n=$((n + 1))
    eval "set -- $args"
    # a single common word ("expected", "unknown") would match the wrong message too
    case "$want" in *' '*) ;; *) bad "[$args] expects one word '$want': write a distinctive phrase of the message"; continue ;; esac
    (cd "$D" && "$W" "$@") > "$D.out" 2> "$D.err"; rc=$?
    ( cd "$D" && find . | sort ) > "$D.after"
    if [ $rc -ne 2 ]; then bad "[$args] exit $rc, not 2: $(head -c 300 "$D.err")"
    elif ! grep -qF -- "$want" "$D.err"; then bad "[$args] the message does not say '$want': $(head -c 300 "$D.err")"
    elif [ "${want#usage}" = "$want" ] && ! grep -q '^warmup: ' "$D.err"; then bad "[$args] no 'warmup: ' message"
    elif ! cmp -s "$D.before" "$D.after"; then bad "[$args] left files: $(diff "$D.before" "$D.after" | grep '^>' | head -3 | tr '\n' ' ')"; ( cd "$D" && find . | sort ) > "$D.before"
    else ok; fi
done < tests/bad_inputs.txt
rm -f "$D.before" "$D.after" "$D.out" "$D.err"
[ $n -ge 60 ] && ok || bad "the catalogue has $n cases, fewer than 60"
echo "test_bad_inputs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
