#!/bin/sh
# test_readme.sh - the README's C example is compiled by `make` (build/tests/readme_example);
# here it runs and must print what the README says it prints.
B=${1:-build}
export OMP_NUM_THREADS=1
pass=0; fail=0
out=$("$B/tests/readme_example" 2>&1); rc=$?
if [ "$rc" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: readme_example exited $rc: $out"; fi
echo "$out" | grep -q '^step 0 lr 0$' && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: first line: $(echo "$out" | head -1)"; }
echo "$out" | grep -q '^step 100 lr 0.1$' && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: no peak at step 100"; }
echo "$out" | grep -q '^final loss ' && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: no final loss line"; }
echo "test_readme: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
