#!/bin/sh
# compare_lab.sh - how a sweep should use the cores: the same grid of runs, one at a time with
# every thread (--jobs 1) against side by side with one thread each (--jobs = cores), in one
# run (the machines are noisy: read the ratios). Two grids: the reference GPT and the tiny GPT.
#   make && sh bench/compare_lab.sh
set -e
B=${B:-build}
W="$B/warmup"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cores=$(nproc)
t() { # t NAME ARGS...: wall seconds of one sweep
    name=$1; shift
    s=$(date +%s.%N)
    "$W" sweep "$@" --out "$tmp/$name" -q > /dev/null
    e=$(date +%s.%N)
    echo "$s $e" | awk '{printf "%.2f", $2 - $1}'
}
REF="--steps 60 --lrs 1e-3,3e-3 --warmups 0,10%"
TINY="--layers 1 --heads 2 --dim 32 --seq 16 --batch 4 --steps 300 --lrs 1e-3,3e-3,1e-2,3e-2 --warmups 0,10%"
echo "cores: $cores"
for grid in REF TINY; do
    eval "args=\$$grid"
    a=$(t "$grid-1" $args --jobs 1)
    b=$(t "$grid-n" $args --jobs "$cores")
    a2=$(t "$grid-1b" $args --jobs 1)
    echo "$grid grid: --jobs 1 ($cores threads) ${a}s (again ${a2}s), --jobs $cores (1 thread each) ${b}s: side by side is $(echo "$a $a2 $b" | awk '{printf "%.2f", ($1 + $2) / 2 / $3}')x faster"
done
