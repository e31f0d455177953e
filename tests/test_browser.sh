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
# issue 14: a study page with coinciding series (Adam and RAdam share the LR; the two warmups share
# v late), and a chart whose legend holds a pasted torch SequentialLR spec
"$W" study adam-first-steps --quick --out "$tmp/st" -q > /dev/null 2>&1 && ok || bad "study adam-first-steps"
LONG="torch:SequentialLR(schedulers=[LinearLR(start_factor=0.01, total_iters=100), CosineAnnealingLR(T_max=900, eta_min=1e-5)], milestones=[100])"
"$W" plot "warmup(10%) > cosine" "warmup(10%, exp) > cosine" "$LONG" constant --steps 1000 --width 800 --height 480 -o "$tmp/plot.svg" && ok || bad "plot with a long legend"
# Chromium wants a writable home and no sandbox when run as root in a container
export HOME="$tmp"
CH="$CHROME --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --user-data-dir=$tmp/profile"
for page in s r st; do
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
# the plot: drawn in an 1100-pixel window, nothing in the figure's right margin or beyond it (a
# legend that ran off the right edge would show there), and each coinciding series has its own
# dash pattern
timeout 120 $CH --window-size=1100,480 --screenshot="$tmp/plot.png" "file://$tmp/plot.svg" > /dev/null 2>&1
/usr/bin/python3 - "$tmp/plot.png" <<'PY' && ok || bad "the plot's legend runs past the figure's right edge"
import struct, sys, zlib
b = open(sys.argv[1], "rb").read()
pos, idat = 8, b""
while pos < len(b):
    n, kind = struct.unpack(">I4s", b[pos:pos + 8])
    if kind == b"IHDR": w, h, depth, ctype = struct.unpack(">IIBB", b[pos + 8:pos + 18])
    if kind == b"IDAT": idat += b[pos + 8:pos + 8 + n]
    pos += 12 + n
assert depth == 8 and ctype in (2, 6), (depth, ctype)
bpp = 3 if ctype == 2 else 4
raw, stride, prev, rows = zlib.decompress(idat), w * bpp, bytearray(w * bpp), []
for y in range(h):  # undo the PNG filters
    f, line, out = raw[y * (stride + 1)], raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)], bytearray(stride)
    for i in range(stride):
        a = out[i - bpp] if i >= bpp else 0
        c = prev[i - bpp] if i >= bpp else 0
        p = a + prev[i] - c
        pred = [0, a, prev[i], (a + prev[i]) // 2, a if abs(p - a) <= abs(p - prev[i]) and abs(p - a) <= abs(p - c) else prev[i] if abs(p - prev[i]) <= abs(p - c) else c][f]
        out[i] = (line[i] + pred) & 255
    rows.append(out); prev = out
# the SVG clips at its 800-pixel edge: a legend that ran off would leave glyphs in its last
# columns (the legend rows, below the axis labels), and nothing may be drawn past the figure
edge = set(bytes(r[x * bpp:x * bpp + 3]) for r in rows[376:] for x in range(772, 798))
right = set(bytes(r[x * bpp:x * bpp + 3]) for r in rows for x in range(805, w))
assert len(edge) == 1 and len(right) == 1, (len(edge), len(right))
PY
[ "$(grep -o 'stroke-dasharray="[0-9,]*"' "$tmp/plot.svg" | sort -u | wc -l)" -ge 3 ] && grep -q '(same as warmup(10%) &gt; cosine)' "$tmp/plot.svg" && ok || bad "plot: coinciding series dashed apart and noted in the legend"
grep -q '<title>torch:SequentialLR(schedulers=.*milestones=\[100\])' "$tmp/plot.svg" && ok || bad "plot: the elided legend has its full text in a <title>"
count() { grep -o "$1" "$2" | wc -l; }
# the study page: titled by the study, coinciding series noted
grep -q "<title>Adam's first steps (warmup study adam-first-steps)</title>" "$tmp/st.dom" && grep -q "<h1>Adam's first steps (warmup study adam-first-steps)</h1>" "$tmp/st.dom" && ok || bad "study page: titled by the study"
grep -q 'RAdam, no warmup (same as Adam, no warmup)' "$tmp/st.dom" && ok || bad "study page: RAdam's LR noted as the same as Adam's"
# the run report: readable axis names with units, the run's name in the legend, a wrapping rerun
# box, the LR from 0
grep -q '>gradient norm (L2, before clipping)<' "$tmp/r.dom" && ! grep -q '>grad_norm<' "$tmp/r.dom" && ok || bad "run report: readable y-axis names"
grep -q '<text x="[0-9.]*" y="[0-9.]*">r</text>' "$tmp/r.dom" && ! grep -q '>run</text>' "$tmp/r.dom" && ok || bad "run report: the legend names the run by its directory"
grep -q 'white-space:pre-wrap;overflow-wrap:anywhere' "$tmp/r.dom" && ok || bad "run report: the rerun box wraps"
awk '/>Learning rate</ {on = 1} on && /class="axis-y" data-lo="0"/ {found = 1; exit} END {exit !found}' "$tmp/r.dom" && ok || bad "run report: the LR axis starts at 0"
[ "$(count '<svg' "$tmp/s.dom")" -ge 3 ] && ok || bad "sweep report: three charts in the DOM"
[ "$(count 'class="cell"' "$tmp/s.dom")" -eq 6 ] && ok || bad "sweep report: 3x2 heatmap cells in the DOM"
grep -q 'class="flagged"' "$tmp/s.dom" && ok || bad "sweep report: the diverged run's mark"
grep -q '<table' "$tmp/s.dom" && grep -q '<pre>warmup sweep' "$tmp/s.dom" && ok || bad "sweep report: the table and the rerun command"
grep -q '<h1>' "$tmp/r.dom" && [ "$(count '<svg' "$tmp/r.dom")" -ge 3 ] && grep -q 'warmup train --out' "$tmp/r.dom" && ok || bad "run report: title, charts and rerun line"
echo "test_browser: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
