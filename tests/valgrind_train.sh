#!/bin/sh
# valgrind_train.sh - `make valgrind`'s pass over training: a tiny run with evaluation and
# checkpoints, a stop and a resume, a divergence (exit 1), a bad flag and a short demo, each under
# valgrind (W is the build's warmup-vg wrapper, which exits 9 on any error or leak).
# Usage: sh tests/valgrind_train.sh build/warmup-vg
W=${1:?usage: valgrind_train.sh WARMUP}
export OMP_NUM_THREADS=1 # pinned: comparable timings, the same run bit for bit
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
TINY="--layers 1 --heads 2 --dim 16 --seq 8 --batch 2 -q"
fail=0
run() {
    want=$1; shift
    "$W" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
    if [ "$rc" -ne "$want" ]; then
        echo "valgrind: warmup $* exited $rc, want $want"; cat "$tmp/err"; fail=1
    fi
}
run 0 train $TINY --steps 8 --eval-every 3 --checkpoint-every 3 --stop-after 4 --out "$tmp/a"
run 0 train --resume "$tmp/a" -q
run 1 train $TINY --steps 30 --lr 50 --schedule constant --optimizer sgd --out "$tmp/div"
run 2 train --model cnn --out "$tmp/bad"
run 0 demo --steps 10 --batch 2 --out "$tmp/demo"
[ $fail -eq 0 ] && echo "valgrind: training runs clean"
exit $fail
