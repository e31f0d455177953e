#!/bin/sh
# test_help.sh - every command's --help: exit 0, a usage line naming the command, and text as it
# is meant to be read (no printf escapes left in it: the help strings are printed with fputs, so
# a "%%" written for printf shows up as "%%").
# Usage: sh tests/test_help.sh build/warmup
W=${1:-build/warmup}
export OMP_NUM_THREADS=1
pass=0; fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$W" --help > "$tmp/main" 2>&1 && ok || bad "warmup --help exited $?"
for c in schedule plot suggest train demo sweep study report check diff tune; do
    grep -q "^  $c" "$tmp/main" && ok || bad "warmup --help does not list $c"
    "$W" "$c" --help > "$tmp/$c" 2>&1; rc=$?
    [ $rc -eq 0 ] && ok || bad "warmup $c --help exited $rc"
    grep -q "usage: warmup $c" "$tmp/$c" && ok || bad "warmup $c --help has no usage line: $(head -2 "$tmp/$c")"
    # `warmup help CMD` is `warmup CMD --help`
    "$W" help "$c" > "$tmp/help-$c" 2>&1; rc=$?
    [ $rc -eq 0 ] && cmp -s "$tmp/$c" "$tmp/help-$c" && ok || bad "warmup help $c (exit $rc) differs from warmup $c --help: $(head -1 "$tmp/help-$c")"
    # -o has one meaning everywhere: --out (the output file or directory)
    if grep -qE '^ *-o,' "$tmp/$c"; then
        grep -qE '^ *-o, --out ' "$tmp/$c" && ok || bad "warmup $c: -o is not --out: $(grep -E '^ *-o,' "$tmp/$c")"
    fi
    grep -n '%%' "$tmp/$c" > "$tmp/pct" && bad "warmup $c --help prints '%%': $(cat "$tmp/pct")" || ok
done
grep -n '%%' "$tmp/main" > "$tmp/pct" && bad "warmup --help prints '%%': $(cat "$tmp/pct")" || ok
"$W" help nope > /dev/null 2>&1; [ $? -eq 2 ] && ok || bad "warmup help nope: not exit 2"
# -o is --out in every command that writes output (train, sweep, demo, study: a directory; plot,
# suggest: a file)
for c in plot suggest train demo sweep study; do
    grep -qE '^ *-o, --out ' "$tmp/$c" && ok || bad "warmup $c --help has no '-o, --out'"
done
grep -q -- '--optimizer' "$tmp/train" && ! grep -qE '^ *-o, --optimizer' "$tmp/train" && ok || bad "--optimizer still has -o"
# the one that was wrong, by name
grep -qF 'resolves 10% and' "$tmp/plot" && ok || bad "warmup plot --help: '10%' expected in --steps"
echo "test_help: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
