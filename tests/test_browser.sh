#!/bin/sh
# test_browser.sh - the HTML reports in a real browser: headless Chromium loads a sweep's and a
# run's report.html, the DOM it builds holds the expected elements (charts, heatmap cells,
# tables, the rerun command), and a screenshot is a real picture (not blank). Skipped with a
# note when Chromium is absent: `make test-browser` installs it (Debian's chromium) and runs it.
# Usage: sh tests/test_browser.sh build/warmup
W=${1:-build/warmup}
export OMP_NUM_THREADS=1 # pinned: comparable timings, the same run bit for bit
pass=0; fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
CHROME=$(command -v chromium || command -v chromium-browser)
if [ -z "$CHROME" ]; then
    echo "skipped: test_browser (every check): chromium is not installed; 'make test-browser' installs it and runs this test"
    echo "test_browser: 0 passed, 0 failed"
    exit 0
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
TINY="--layers 1 --heads 2 --dim 32 --seq 16 --batch 4"
"$W" sweep $TINY --steps 30 --lrs 1e-3,1e-2,3 --warmups 0,25% --optimizer sgd --out "$tmp/s" -q > /dev/null 2>&1 && ok || bad "sweep"
"$W" train $TINY --steps 20 --out "$tmp/r" -q && "$W" report "$tmp/r" > /dev/null && ok || bad "run report"
# Chromium wants a writable home and no sandbox when run as root in a container
export HOME="$tmp"
CH="$CHROME --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --user-data-dir=$tmp/profile"
for page in s r; do
    timeout 120 $CH --dump-dom "file://$tmp/$page/report.html" > "$tmp/$page.dom" 2> "$tmp/$page.err"
    [ -s "$tmp/$page.dom" ] && ok || { bad "chromium rendered nothing for the $page report"; tail -3 "$tmp/$page.err"; }
    timeout 120 $CH --window-size=1000,3000 --screenshot="$tmp/$page.png" "file://$tmp/$page/report.html" > /dev/null 2>&1
    # a PNG that decodes to many different pixel rows: a drawn page, not a blank one
    /usr/bin/python3 - "$tmp/$page.png" <<'PY' && ok || bad "the screenshot of the $page report is not a drawn page"
import struct, sys, zlib
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat, w = 8, b"", 0
while pos < len(b):
    n, kind = struct.unpack(">I4s", b[pos:pos + 8])
    if kind == b"IHDR": w, h = struct.unpack(">II", b[pos + 8:pos + 16])
    if kind == b"IDAT": idat += b[pos + 8:pos + 8 + n]
    pos += 12 + n
raw = zlib.decompress(idat)
assert w >= 800 and h >= 1000, (w, h)
stride = len(raw) // h
rows = set(raw[i * stride + 1:(i + 1) * stride] for i in range(h))
assert len(rows) > 200, len(rows)
PY
done
count() { grep -o "$1" "$2" | wc -l; }
[ "$(count '<svg' "$tmp/s.dom")" -ge 3 ] && ok || bad "sweep report: three charts in the DOM"
[ "$(count 'class="cell"' "$tmp/s.dom")" -eq 6 ] && ok || bad "sweep report: 3x2 heatmap cells in the DOM"
grep -q 'class="flagged"' "$tmp/s.dom" && ok || bad "sweep report: the diverged run's mark"
grep -q '<table' "$tmp/s.dom" && grep -q '<pre>warmup sweep' "$tmp/s.dom" && ok || bad "sweep report: the table and the rerun command"
grep -q '<h1>' "$tmp/r.dom" && [ "$(count '<svg' "$tmp/r.dom")" -ge 3 ] && grep -q 'warmup train --out' "$tmp/r.dom" && ok || bad "run report: title, charts and rerun line"
echo "test_browser: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
