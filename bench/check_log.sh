#!/bin/sh
# bench/check_log.sh - `warmup check` on a 10-million-row CSV log: read throughput (MB/s over
# the file's bytes, best of 3, the file in the page cache) and peak memory, next to a log ten
# times smaller: constant memory means the same peak for both. Figures: docs/BENCHMARKS.md.
#   sh bench/check_log.sh [build/warmup]        (ROWS=10000000 by default; needs ~330 MB in $TMPDIR)
W=${1:-build/warmup}
ROWS=${ROWS:-10000000}
SPEC='warmup(5%) > cosine(to=0.1)'
DIR=$(mktemp -d "${TMPDIR:-/tmp}/wu_bench_check.XXXXXX") || exit 1
trap 'rm -rf "$DIR"' EXIT
export OMP_NUM_THREADS=1
"$W" schedule "$SPEC" --lr 3e-4 --steps "$ROWS" --format csv > "$DIR/big.csv" || exit 1
"$W" schedule "$SPEC" --lr 3e-4 --steps "$((ROWS / 10))" --format csv > "$DIR/small.csv" || exit 1
/usr/bin/python3 - "$W" "$SPEC" "$ROWS" "$DIR/big.csv" "$DIR/small.csv" <<'PY'
import os, resource, subprocess, sys, time
w, spec, rows, big, small = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
def run(path, n):
    """best wall time of 3 runs of `warmup check` on path, and the peak RSS (KiB) of one run"""
    best, rss = None, 0
    for _ in range(3):
        t = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
            os.execv(w, [w, "check", path, "--spec", spec, "--lr", "3e-4", "--steps", str(n)])
        _, status, ru = os.wait4(pid, 0)
        dt = time.perf_counter() - t
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit("warmup check exited %d on %s" % (os.waitstatus_to_exitcode(status), path))
        best = dt if best is None else min(best, dt)
        rss = max(rss, ru.ru_maxrss)
    return best, rss
for path, n in ((small, rows // 10), (big, rows)):
    size = os.path.getsize(path)
    t, rss = run(path, n)
    print("%10d rows  %7.1f MB  %6.2f s  %7.1f MB/s  %5.1f M rows/s  peak RSS %6.1f MB"
          % (n, size / 1e6, t, size / 1e6 / t, n / 1e6 / t, rss / 1024))
PY
