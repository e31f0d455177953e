#!/bin/sh
# The include rules of docs/ARCHITECTURE.md: every file under src/LAYER/ includes only its own
# layer's headers, those of the layers below it, and include/warmup.h. The order is
#   util < schedule < optim < nn < model < data < train < lab < report < cli
# src/util/ stands under everything and includes nothing of ours but warmup.h. A violation
# fails with the offending file:line and the rule it breaks.
#   sh tests/test_layers.sh [SRCDIR]      (SRCDIR defaults to src; the test plants a violation
#                                          in a copy to check that it is caught)
src=${1:-src}
order="util schedule optim nn model data train lab report cli"
rank() {
    i=0
    for l in $order; do
        [ "$l" = "$1" ] && { echo $i; return; }
        i=$((i + 1))
    done
    echo -1
}
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

# check DIR: prints one line per violation, returns their count in $nviol
check() {
    nviol=0
    for dir in "$1"/*/; do
        layer=$(basename "$dir")
        r=$(rank "$layer")
        if [ "$r" -lt 0 ]; then
            echo "$dir: a directory that is no layer of docs/ARCHITECTURE.md (add it to the order)"
            nviol=$((nviol + 1)); continue
        fi
        for f in "$dir"*.c "$dir"*.h; do
            [ -f "$f" ] || continue
            # each quoted include as "lineno path"
            viol=$(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
                sed -E 's/^([0-9]+):[^"]*"([^"]*)".*/\1 \2/' |
                while read -r ln inc; do
                    case "$inc" in
                        warmup.h) continue ;;
                        ../*/*) other=$(echo "$inc" | cut -d/ -f2) ;;
                        */*) echo "$f:$ln: includes \"$inc\": write ../LAYER/file.h"; continue ;;
                        *) continue ;;   # a header of its own layer
                    esac
                    ro=$(rank "$other")
                    if [ "$ro" -lt 0 ]; then
                        echo "$f:$ln: includes \"$inc\" from '$other', which is no layer"
                    elif [ "$ro" -ge "$r" ] && [ "$other" != "$layer" ]; then
                        echo "$f:$ln: $layer includes \"$inc\" from $other, a layer above it (the order is $order)"
                    fi
                done)
            if [ -n "$viol" ]; then
                printf '%s\n' "$viol"
                nviol=$((nviol + $(printf '%s\n' "$viol" | wc -l)))
            fi
        done
    done
}

out=$(check "$src"); check "$src" >/dev/null
if [ "$nviol" -eq 0 ]; then ok; else bad "include rules broken:"; printf '%s\n' "$out"; fi

# the libwarmup part of util (errors, checksums) stays free of the engine: no system header
# beyond libc
for f in "$src"/util/fail.c "$src"/util/fail.h "$src"/util/checksum.c "$src"/util/checksum.h; do
    [ -f "$f" ] || { bad "$f is missing"; continue; }
    if grep -n '#include <\(cjson\|zlib\|cblas\|omp\)' "$f"; then bad "$f: libwarmup's util includes an engine library"; else ok; fi
done

# messages below src/cli/ name no option: a string literal (outside comments) that holds
# " --flag" names a setting by its CLI flag; write the field's name and let the CLI map it
# (cli_engine_message). Prints FILE:LINE: TEXT for each.
flag_strings() {
    find "$1" -path "$1/cli" -prune -o \( -name '*.c' -o -name '*.h' \) -print | sort |
        xargs awk '
FNR == 1 { incom = 0 }
{
    line = $0; i = 1; n = length(line); instr = 0; lit = ""; hit = 0
    while (i <= n) {
        c = substr(line, i, 1); c2 = substr(line, i, 2)
        if (incom) { if (c2 == "*/") { incom = 0; i += 2 } else i++; continue }
        if (instr) {
            if (c == "\\") { lit = lit substr(line, i, 2); i += 2; continue }
            if (c == "\"") { instr = 0; if (lit ~ /(^|[ (\047,\[])--[a-z]/) hit = 1; i++; continue }
            lit = lit c; i++; continue
        }
        if (c2 == "/*") { incom = 1; i += 2; continue }
        if (c2 == "//") break
        if (c == "\047") { if (substr(line, i + 1, 1) == "\\") i += 4; else i += 3; continue }
        if (c == "\"") { instr = 1; lit = ""; i++; continue }
        i++
    }
    if (hit) print FILENAME ":" FNR ": " $0
}'
}
flags=$(flag_strings "$src")
if [ -z "$flags" ]; then ok; else bad "messages below src/cli/ name CLI flags (name the field; the CLI maps it):"; printf '%s\n' "$flags"; fi

# the checker itself: a planted upward include is caught, with its file and line
if [ -z "$WU_LAYERS_INNER" ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    cp -r "$src" "$tmp/src"
    printf '#include "../train/train.h"\n' >> "$tmp/src/model/gpt.c"
    planted=$(WU_LAYERS_INNER=1 sh "$0" "$tmp/src" 2>&1)
    if printf '%s\n' "$planted" | grep -q "gpt.c:[0-9]*: model includes \"../train/train.h\" from train, a layer above it"; then ok
    else bad "a planted upward include (model -> train) was not reported: $planted"; fi
    # ... and a planted flag in a message, not one in a comment or in the CLI
    n0=$(wc -l < "$tmp/src/lab/sweep.c")
    printf '/* give --steps */\nstatic const char *m1 = "a /* x */ \\"q\\" give --steps N";\n// "--x"\n' >> "$tmp/src/lab/sweep.c"
    printf 'static const char *m2 = "--steps";\n' >> "$tmp/src/cli/cmd_sweep.c"
    got=$(flag_strings "$tmp/src")
    if [ "$got" = "$tmp/src/lab/sweep.c:$((n0 + 2)): static const char *m1 = \"a /* x */ \\\"q\\\" give --steps N\";" ]; then ok
    else bad "the planted flag message (lab/sweep.c:$((n0 + 2))) was not reported alone: $got"; fi
fi
echo "test_layers: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
