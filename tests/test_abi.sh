#!/bin/sh
# test_abi.sh - libwarmup.so exports exactly the functions include/warmup.h declares: nothing
# internal (wu__eval, wu_fail, wu_fnv1a, the spec parser's helpers) and nothing missing. The
# header's list comes from the preprocessor (comments gone), the library's from nm -D.
#   sh tests/test_abi.sh [B]
B=${1:-build}
CC=${CC:-cc}
pass=0; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }
so="$B/libwarmup.so"
check "$so exists" "[ -f '$so' ]"
if ! command -v nm >/dev/null 2>&1; then
    echo "  skipped: test_abi (every check): nm (binutils) is not installed"
    echo "test_abi: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]; exit
fi
# every function declared in the header: an identifier followed by '(' once comments are gone
$CC -E -P -Iinclude include/warmup.h | tr -s ' \t' ' ' |
    grep -o 'wu_[a-z0-9_]* *(' | sed 's/ *($//' | sort -u > "$tmp/header"
check "the header declares functions ($(wc -l < "$tmp/header"))" "[ -s '$tmp/header' ]"
# every function-like symbol the shared library defines and exports
nm -D --defined-only "$so" 2>/dev/null | awk '$2 ~ /^[TtWwiI]$/ {print $3}' | sort -u > "$tmp/lib"
check "the library exports functions ($(wc -l < "$tmp/lib"))" "[ -s '$tmp/lib' ]"
extra=$(comm -13 "$tmp/header" "$tmp/lib" | tr '\n' ' ')
missing=$(comm -23 "$tmp/header" "$tmp/lib" | tr '\n' ' ')
check "nothing exported beyond the header (extra: $extra)" "[ -z '$extra' ]"
check "every declared function exported (missing: $missing)" "[ -z '$missing' ]"
# no data symbols either (the API has none)
data=$(nm -D --defined-only "$so" 2>/dev/null | awk '$2 ~ /^[BbDdRrVvGgSs]$/ {print $3}' |
    tr '\n' ' ')
check "no exported data (found: $data)" "[ -z '$data' ]"
# every prototype in the header carries WU_API (else -fvisibility=hidden would hide it)
bare=$(grep -nE '^[a-z][a-z0-9_ ]*[ *]wu_[a-z0-9_]+\(' include/warmup.h | tr '\n' ' ')
check "every declaration is marked WU_API (unmarked: $bare)" "[ -z '$bare' ]"
# the soname and the installed file names follow WU_VERSION, the one place it is written
ver=$(sed -n 's/^#define WU_VERSION "\([^"]*\)".*/\1/p' include/warmup.h)
soname=$(objdump -p "$so" 2>/dev/null | awk '$1 == "SONAME" {print $2}')
# the major number; before 1.0, major.minor (a 0.x minor version may change the ABI)
major=${ver%%.*}; minor=${ver#*.}; minor=${minor%%.*}
want=$major; [ "$major" = 0 ] && want="0.$minor"
check "soname $soname follows WU_VERSION $ver" "[ '$soname' = 'libwarmup.so.$want' ]"
pcver=$(sed -n 's/^Version: //p' "$B/warmup.pc" 2>/dev/null)
check "warmup.pc's version $pcver is WU_VERSION $ver" "[ '$pcver' = '$ver' ]"
echo "test_abi: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
