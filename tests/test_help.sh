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
for c in schedule plot suggest train demo sweep study report; do
    grep -q "^  $c" "$tmp/main" && ok || bad "warmup --help does not list $c"
    "$W" "$c" --help > "$tmp/$c" 2>&1; rc=$?
    [ $rc -eq 0 ] && ok || bad "warmup $c --help exited $rc"
    grep -q "usage: warmup $c" "$tmp/$c" && ok || bad "warmup $c --help has no usage line: $(head -2 "$tmp/$c")"
    grep -n '%%' "$tmp/$c" > "$tmp/pct" && bad "warmup $c --help prints '%%': $(cat "$tmp/pct")" || ok
done
grep -n '%%' "$tmp/main" > "$tmp/pct" && bad "warmup --help prints '%%': $(cat "$tmp/pct")" || ok
# the one that was wrong, by name
grep -qF 'resolves 10% and' "$tmp/plot" && ok || bad "warmup plot --help: '10%' expected in --steps"
echo "test_help: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
