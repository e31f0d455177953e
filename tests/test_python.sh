#!/bin/sh
# test_python.sh [B] - the Python package's tests (python/tests, pytest) against B/libwarmup.so.
# Uses Debian's /usr/bin/python3 (python3-pytest, python3-torch: sh scripts/deps.sh test), one
# thread, PYTHONPATH=python. Prints one "  skipped: ..." line per test pytest skipped (with its
# reason) and last "test_python: N passed, N failed". Without pytest it says so and skips.
B=${1:-build}
PY=${PYTHON:-/usr/bin/python3}
cd "$(dirname "$0")/.." || exit 1
export OMP_NUM_THREADS=1 PYTHONPATH=python PYTHONDONTWRITEBYTECODE=1
if [ -f "$B/libwarmup.so" ]; then
    WARMUP_BUILD=$(cd "$B" && pwd); WARMUP_LIB=$WARMUP_BUILD/libwarmup.so
    export WARMUP_BUILD WARMUP_LIB
    # make sanitize's build: ctypes cannot load an ASan library into an uninstrumented python
    if ldd "$WARMUP_LIB" 2>/dev/null | grep -q 'lib[at]san'; then
        echo "  skipped: python tests: $B/libwarmup.so is a sanitizer build (python cannot" \
            "load it); make check and make test run them"
        echo "test_python: 0 passed, 0 failed"
        exit 0
    fi
fi
if ! "$PY" -c 'import pytest' 2>/dev/null; then
    echo "  skipped: python tests: $PY has no pytest (install it: sh scripts/deps.sh test)"
    echo "test_python: 0 passed, 0 failed"
    exit 0
fi
out=$("$PY" -m pytest -q -rfEs -p no:cacheprovider python/tests 2>&1); rc=$?
# failures, errors and tracebacks' last lines stay visible to tests/run.sh
printf '%s\n' "$out" | grep -E '^(FAILED|ERROR) |^E  ' | head -40
# "SKIPPED [N] file:line: reason": N skips with one reason
printf '%s\n' "$out" | sed -n 's/^SKIPPED \[\([0-9]*\)\] \(.*\)$/\1 \2/p' | while read -r n why; do
    i=0
    while [ "$i" -lt "$n" ]; do echo "  skipped: python: $why"; i=$((i + 1)); done
done
last=$(printf '%s\n' "$out" | tail -1)
count() { # WORD: the number before WORD in pytest's last line, 0 when absent
    n=$(echo "$last" | grep -oE "[0-9]+ $1" | head -1 | cut -d' ' -f1); echo "${n:-0}"
}
p=$(count passed)
f=$(( $(count failed) + $(count error) ))
if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then  # pytest itself failed (collection, usage)
    printf '%s\n' "$out" | tail -15
    f=1
fi
echo "test_python: $p passed, $f failed"
[ "$f" -eq 0 ]
