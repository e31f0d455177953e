#!/bin/sh
# test_readme.sh - the README runs as shown.
# 1. Its C example is compiled by `make` (build/tests/readme_example); here it runs and must
#    print what the README says it prints.
# 2. Every `build/warmup ...` command in its code blocks (indented or fenced, with or without a
#    leading "$ ", joined across "\" line ends) runs as written, in a scratch directory, and
#    exits 0 - except the ones listed below, each with the reason. A listed command that is no
#    longer in the README is a failure too, so that the list stays true.
B=${1:-build}
W=$(cd "$(dirname "$B/warmup")" && pwd)/warmup
README=$(dirname "$0")/../README.md
export OMP_NUM_THREADS=1
pass=0; fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

out=$("$B/tests/readme_example" 2>&1); rc=$?
if [ "$rc" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: readme_example exited $rc: $out"; fi
echo "$out" | grep -q '^step 0 lr 0$' && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: first line: $(echo "$out" | head -1)"; }
echo "$out" | grep -q '^step 100 lr 0.1$' && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: no peak at step 100"; }
echo "$out" | grep -q '^final loss ' && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: no final loss line"; }

# The exceptions: the command as the README writes it (after "build/warmup "), a tab, what is
# done instead: "synopsis" (not a command: placeholders in capitals or brackets), "exit N" (an
# example of a mistake, which must exit N), or "full" (trains for a minute or more on 2 cores:
# run by make test, skipped by make check's quick mode).
cat > "$tmp/exceptions" <<'LIST'
study NAME [--quick] [--out DIR]	synopsis
report DIR	synopsis
schedule 'torch:ConstantLR(factor=0)' --steps 10	exit 2
train --model gpt --data builtin --schedule 'warmup(10%) > cosine(to=0.1)' --lr 3e-3 --optimizer adamw --steps 400 --batch 16 --seed 1 --out runs/a	full
sweep --lrs 1e-3,3e-3,1e-2 --warmups 0,25% --steps 100 --out sweeps/a          # plus any option of warmup train; --seeds N repeats each cell	full
LIST

# the commands, one per line, without "build/warmup "
awk '
    /^```/ { fenced = !fenced; next }
    {
        line = $0
        if (cont != "") {
            sub(/^[ \t]+/, "", line)
            cont = cont " " line
        } else if (line ~ /^    (\$ )?build\/warmup / || (fenced && line ~ /^(\$ )?build\/warmup /)) {
            sub(/^ *(\$ )?build\/warmup /, "", line)
            cont = line
        } else next
        if (cont ~ /\\$/) { sub(/ *\\$/, "", cont); next }
        print cont
        cont = ""
    }' "$README" > "$tmp/commands"
n=$(wc -l < "$tmp/commands")
[ "$n" -ge 8 ] && ok || bad "found only $n build/warmup commands in README.md"

mkdir "$tmp/run"
while IFS= read -r cmd; do
    how=$(awk -F '\t' -v c="$cmd" '$1 == c { print $2 }' "$tmp/exceptions")
    case "$how" in
    synopsis) continue ;;
    full) if [ -n "$WU_TEST_QUICK" ]; then echo "  skip (quick mode): README's 'warmup ${cmd%% *} ...' trains for a minute or more; make test runs it"; continue; fi; want=0 ;;
    "exit "*) want=${how#exit } ;;
    *) want=0 ;;
    esac
    (cd "$tmp/run" && eval "\"\$W\" $cmd") > "$tmp/out" 2> "$tmp/err" < /dev/null; rc=$?
    if [ "$rc" -eq "$want" ]; then ok; else bad "README's 'warmup $cmd' exited $rc, want $want: $(head -c 400 "$tmp/err")"; fi
done < "$tmp/commands"

# every exception is still in the README
while IFS="$(printf '\t')" read -r cmd how; do
    grep -qxF -- "$cmd" "$tmp/commands" && ok || bad "the exception '$cmd' ($how) is no longer a README command: update the list"
done < "$tmp/exceptions"

echo "test_readme: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
