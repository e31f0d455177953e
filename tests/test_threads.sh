#!/bin/sh
# test_threads.sh - the OpenMP wait policy warmup sets up before libgomp starts (src/cli/
# threads.c): passive by default, so that two runs at once, or a run beside a build, do not
# spin on each other's cores; a user's OMP_WAIT_POLICY, GOMP_SPINCOUNT and OMP_NUM_THREADS are
# kept. libgomp's own report (OMP_DISPLAY_ENV=verbose) says what it really uses. Before the
# change the default showed GOMP_SPINCOUNT = '300000' (libgomp's spinning default), so the
# first check failed.
# Usage: sh tests/test_threads.sh build/warmup
W=${1:-build/warmup}
pass=0; fail=0; skip=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# every run pins 1 thread unless a check sets another count (OMP_NUM_THREADS=3 below)
unset OMP_WAIT_POLICY GOMP_SPINCOUNT OMP_DISPLAY_ENV WARMUP_OMP_DEFAULT
TINY="--layers 1 --heads 2 --dim 32 --seq 16 --batch 4 --steps 2 -q"
# display ENV... : libgomp's report of a 2-step run, run with the given environment
display() { rm -rf "$tmp/r"; env OMP_NUM_THREADS=1 "$@" OMP_DISPLAY_ENV=verbose "$W" train $TINY --out "$tmp/r" 2>&1 >/dev/null; }
icv() { grep -E "^ +$1 = " | tail -1 | sed -e "s/.*= '//" -e "s/'.*//"; }

if ! display | grep -q OMP_WAIT_POLICY; then
    skip=1
    echo "skipped: $W does not use libgomp (built with OPENMP=0?), so there is no wait policy to check"
else
    # the default: passive (no spinning at barriers), the run succeeds
    out=$(display)
    [ "$(echo "$out" | icv OMP_WAIT_POLICY)" = PASSIVE ] && ok || bad "default wait policy: $(echo "$out" | grep WAIT)"
    [ "$(echo "$out" | icv GOMP_SPINCOUNT)" = 0 ] && ok || bad "default spin count: $(echo "$out" | grep SPIN)"
    [ -s "$tmp/r/summary.json" ] && ok || bad "the run with the default policy wrote no summary"
    # one restart, not a loop: libgomp starts twice (its report twice), the second is in effect
    [ "$(echo "$out" | grep -c 'OPENMP DISPLAY ENVIRONMENT BEGIN')" -eq 2 ] && ok || bad "train: libgomp started $(echo "$out" | grep -c 'OPENMP DISPLAY ENVIRONMENT BEGIN') times, 2 expected"
    # a command that does not train starts once, with libgomp's default
    out=$(env OMP_DISPLAY_ENV=verbose "$W" schedule constant --steps 1 2>&1 >/dev/null)
    [ "$(echo "$out" | grep -c 'OPENMP DISPLAY ENVIRONMENT BEGIN')" -eq 1 ] && ok || bad "schedule: libgomp started more than once"
    # the marker that stops a second restart also stops the first: no loop whatever is set
    out=$(display WARMUP_OMP_DEFAULT=1)
    [ "$(echo "$out" | grep -c 'OPENMP DISPLAY ENVIRONMENT BEGIN')" -eq 1 ] && ok || bad "with the marker set: libgomp started more than once"
    [ -s "$tmp/r/summary.json" ] && ok || bad "the run with the marker set wrote no summary"
    # a user's explicit choice is kept, whatever it is
    out=$(display OMP_WAIT_POLICY=active)
    [ "$(echo "$out" | icv OMP_WAIT_POLICY)" = ACTIVE ] && ok || bad "OMP_WAIT_POLICY=active: $(echo "$out" | grep WAIT)"
    out=$(display OMP_WAIT_POLICY=passive)
    [ "$(echo "$out" | icv OMP_WAIT_POLICY)" = PASSIVE ] && ok || bad "OMP_WAIT_POLICY=passive: $(echo "$out" | grep WAIT)"
    out=$(display GOMP_SPINCOUNT=12345)
    [ "$(echo "$out" | icv GOMP_SPINCOUNT)" = 12345 ] && ok || bad "GOMP_SPINCOUNT=12345: $(echo "$out" | grep SPIN)"
    out=$(display OMP_NUM_THREADS=3)
    [ "$(echo "$out" | icv OMP_NUM_THREADS)" = 3 ] && ok || bad "OMP_NUM_THREADS=3: $(echo "$out" | grep NUM_THREADS)"
    [ "$(echo "$out" | icv GOMP_SPINCOUNT)" = 0 ] && ok || bad "OMP_NUM_THREADS alone keeps the passive default: $(echo "$out" | grep SPIN)"
    # an empty OMP_WAIT_POLICY is the user's too (libgomp ignores it: its own default)
    out=$(display OMP_WAIT_POLICY=)
    [ "$(echo "$out" | icv GOMP_SPINCOUNT)" = 300000 ] && ok || bad "OMP_WAIT_POLICY= (empty): $(echo "$out" | grep SPIN)"
fi
[ "$skip" -eq 0 ] || echo "test_threads: skipped (no libgomp)"
echo "test_threads: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
