#!/bin/sh
# Run the test programs and scripts, then print the totals as "N passed, N failed, N skipped".
# Each test prints its own "name: N passed, N failed" line last; run.sh also shows every line
# of a test's output that says FAIL, error or skip, so that nothing is skipped in silence.
# A skip is one line of a test's output that starts with "skipped: " (after spaces): what did
# not run and why (th_skip() in tests/harness.h; shell tests echo the same form). The runner
# counts them; a test that checked nothing must print one.
#   sh tests/run.sh [B]                     everything (make test)
#   sh tests/run.sh --quick [B]             make check: every C test and the fast scripts with
#                                           WU_TEST_QUICK=1 (fewer kills, no demo, no signals);
#                                           test_lab.sh, test_browser.sh and test_mpi.sh are left to
#                                           make test
#   sh tests/run.sh --only-cli B WARMUP     the CLI tests and the bad-input catalogue, with
#                                           WARMUP as the command (make valgrind-cli)
#   sh tests/run.sh --scripts S...          only the given shell scripts (the runner's own test)
#   sh tests/run.sh --selftest              the runner's own test: its counts of passes,
#                                           failures and skips on made-up tests
# A test program of tests/test_*.c that was not built is a failure, not a silent skip.
if [ "$1" = --selftest ]; then
    t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
    printf 'echo "  skipped: the x part: no x here"\necho "t_a: 0 passed, 0 failed"\n' > "$t/a.sh"
    printf 'echo "t_b: 0 passed, 0 failed"\n' > "$t/b.sh"
    printf 'echo "  skipped: y: no y"\necho "t_c: 2 passed, 0 failed"\n' > "$t/c.sh"
    printf 'echo "t_d: 1 passed, 0 failed"\nexit 3\n' > "$t/d.sh"
    p=0; f=0
    check() { # WANT ARGS...: the closing line of run.sh --scripts ARGS
        want=$1; shift
        got=$(sh "$0" --scripts "$@" | tail -1)
        if [ "$got" = "$want" ]; then p=$((p + 1)); else f=$((f + 1)); echo "FAIL: $*: '$got', want '$want'"; fi
    }
    check "2 passed, 0 failed, 2 skipped" "$t/a.sh" "$t/c.sh"
    check "0 passed, 1 failed, 0 skipped" "$t/b.sh"
    check "1 passed, 1 failed, 0 skipped" "$t/d.sh"
    echo "test_runner: $p passed, $f failed"
    [ "$f" -eq 0 ]
    exit
fi
only_cli=""; quick=""; scripts=""
if [ "$1" = --scripts ]; then scripts=1; shift; fi
if [ "$1" = --only-cli ]; then only_cli=$3; shift; fi
if [ "$1" = --quick ]; then quick=1; shift; export WU_TEST_QUICK=1; fi
B=${1:-build}
# one thread everywhere: bitwise comparisons between runs need a fixed thread count, timings
# stay comparable on a loaded machine, and the tests that check thread-count independence set
# their own counts (omp_set_num_threads)
export OMP_NUM_THREADS=1
pass=0; fail=0; skip=0
run() {
    out=$("$@" 2>&1); rc=$?
    printf '%s\n' "$out" | grep -v ': [0-9]* passed, [0-9]* failed$' | grep -E 'FAIL|error|Error|skip|Skip|SKIP' | sed 's/^/  /' | head -50
    line=$(printf '%s\n' "$out" | grep -E ': [0-9]+ passed, [0-9]+ failed$' | tail -1)
    if [ -z "$line" ]; then
        echo "FAIL: $* crashed or printed no summary (exit $rc)"
        printf '%s\n' "$out" | tail -20
        fail=$((fail + 1)); return
    fi
    echo "$line"
    p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\1/')
    f=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\2/')
    pass=$((pass + p)); fail=$((fail + f))
    s=$(printf '%s\n' "$out" | grep -c '^ *skipped: ')
    skip=$((skip + s))
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && { fail=$((fail + 1)); echo "FAIL: $1 exited $rc"; }
    # a test that checked nothing must say that it skipped
    if [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && [ "$s" -eq 0 ]; then
        fail=$((fail + 1)); echo "FAIL: $* checked nothing and did not say it skipped"
    fi
}
if [ -n "$scripts" ]; then
    for sc in "$@"; do run sh "$sc"; done
    echo "$pass passed, $fail failed, $skip skipped"
    [ "$fail" -eq 0 ]
    exit
fi
if [ -n "$only_cli" ]; then
    run sh tests/test_cli.sh "$only_cli"
    run sh tests/test_bad_inputs.sh "$only_cli"
    echo "$pass passed, $fail failed, $skip skipped"
    [ "$fail" -eq 0 ]
    exit
fi
for src in tests/test_*.c; do
    t="$B/tests/$(basename "$src" .c)"
    if [ -x "$t" ]; then
        run "$t"
    else
        echo "FAIL: $t is missing (build it: make $t)"
        fail=$((fail + 1))
    fi
done
run sh tests/run.sh --selftest
run sh tests/test_cli.sh "$B/warmup"
run sh tests/test_help.sh "$B/warmup"
run sh tests/test_train.sh "$B/warmup"
run sh tests/test_runs.sh "$B/warmup"
run sh tests/test_threads.sh "$B/warmup"
run sh tests/test_config.sh "$B/warmup"
run sh tests/test_bad_inputs.sh "$B/warmup"
run sh tests/test_crash.sh "$B/warmup"
run sh tests/test_demo.sh "$B/warmup"
run sh tests/test_cells.sh "$B/warmup"
run sh tests/test_check.sh "$B/warmup"   # issue 17: warmup check, warmup diff
run sh tests/test_sharpness.sh "$B/warmup"   # issue 18: --sharpness-every, --layer-stats-every
run sh tests/test_gi_adam.sh "$B/warmup"   # issue 18: GI-Adam, bias correction off
run sh tests/test_tune.sh "$B/warmup"   # issue 18: warmup(auto), warmup tune
if [ -z "$quick" ]; then
    run sh tests/test_lab.sh "$B/warmup"
    run sh tests/test_browser.sh "$B/warmup"
    run sh tests/test_mpi.sh "$B/warmup"
else
    echo "  skipped: test_lab.sh (studies and sweeps): quick mode (make check); make test runs it"
    echo "  skipped: test_browser.sh (the HTML reports in Chromium): quick mode; make test runs it"
    echo "  skipped: test_mpi.sh (training on K ranks under mpirun): quick mode; make test runs it"
    skip=$((skip + 3))
fi
run sh tests/test_readme.sh "$B"
run sh tests/test_python.sh "$B"
run sh tests/test_install.sh "$B"
run sh tests/test_abi.sh "$B"
run sh tests/test_layers.sh src
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
