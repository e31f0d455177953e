#!/bin/sh
# Run every test program and script, then print the totals as "N passed, N failed".
# Each test prints its own "name: N passed, N failed" line last.
#   sh tests/run.sh [B]                     everything
#   sh tests/run.sh --only-cli B WARMUP     the CLI tests and the bad-input catalogue, with
#                                           WARMUP as the command (make valgrind-cli)
only_cli=""
if [ "$1" = --only-cli ]; then only_cli=$3; shift; fi
B=${1:-build}
pass=0; fail=0; broken=""
run() {
    out=$("$@" 2>&1); rc=$?
    printf '%s\n' "$out" | grep -v ': [0-9]* passed, [0-9]* failed$' | sed 's/^/  /' | grep -E 'FAIL|error|Error' | head -50
    line=$(printf '%s\n' "$out" | grep -E ': [0-9]+ passed, [0-9]+ failed$' | tail -1)
    if [ -z "$line" ]; then
        echo "$* crashed or printed no summary (exit $rc)"
        printf '%s\n' "$out" | tail -20
        fail=$((fail + 1)); broken="$broken $1"; return
    fi
    echo "$line"
    p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\1/')
    f=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\2/')
    pass=$((pass + p)); fail=$((fail + f))
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && { fail=$((fail + 1)); echo "$1 exited $rc"; }
}
if [ -n "$only_cli" ]; then
    run sh tests/test_cli.sh "$only_cli"
    run sh tests/test_bad_inputs.sh "$only_cli"
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
    exit
fi
for t in "$B"/tests/test_*; do
    [ -x "$t" ] && run "$t"
done
run sh tests/test_cli.sh "$B/warmup"
run sh tests/test_train.sh "$B/warmup"
run sh tests/test_config.sh "$B/warmup"
run sh tests/test_lab.sh "$B/warmup"
run sh tests/test_bad_inputs.sh "$B/warmup"
run sh tests/test_crash.sh "$B/warmup"
run sh tests/test_browser.sh "$B/warmup"
run sh tests/test_readme.sh "$B"
run sh tests/test_install.sh "$B"
run sh tests/test_abi.sh "$B"
run sh tests/test_layers.sh src
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
