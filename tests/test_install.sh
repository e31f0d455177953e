#!/bin/sh
# test_install.sh - `make install` into a scratch prefix, then build the README example against
# the installed header, static and shared libraries through pkg-config.
B=${1:-build}
export OMP_NUM_THREADS=1
pass=0; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }
# WU_MAKEVARS (set by make test and make check): the same B, OPENMP and BLAS as the build
make -s install B="$B" ${WU_MAKEVARS:-} PREFIX="$tmp/usr" >"$tmp/log" 2>&1
check "make install" '[ $? -eq 0 ]'
# the soname's version: major.minor before 1.0 (Makefile, SOMAJOR)
sov=$(sed -n 's/^#define WU_VERSION "\([0-9]*\)\.\([0-9]*\)\..*/\1.\2/p' include/warmup.h)
case $sov in 0.*) ;; *) sov=${sov%%.*} ;; esac
for f in bin/warmup lib/libwarmup.a lib/libwarmup.so lib/libwarmup.so.$sov include/warmup.h lib/pkgconfig/warmup.pc \
         lib/libwarmup_plot.so.$sov include/warmup_plot.h; do
    check "installed $f" "[ -e '$tmp/usr/$f' ]"
done
export PKG_CONFIG_PATH="$tmp/usr/lib/pkgconfig"
if command -v pkg-config >/dev/null 2>&1; then
    flags=$(pkg-config --cflags --libs warmup)
else
    flags="-I$tmp/usr/include -L$tmp/usr/lib -lwarmup"
fi
cc -std=c11 $WU_CFLAGS -o "$tmp/ex_shared" "$B/tests/readme_example.c" $flags -lm
check "link against the shared library" '[ $? -eq 0 ]'
LD_LIBRARY_PATH="$tmp/usr/lib" "$tmp/ex_shared" | grep -q '^final loss'
check "run against the shared library" '[ $? -eq 0 ]'
static_libs=$(pkg-config --static --libs-only-l warmup 2>/dev/null | sed 's/-lwarmup//')
[ -n "$static_libs" ] || static_libs="-lm -lgomp"
cc -std=c11 $WU_CFLAGS -o "$tmp/ex_static" "$B/tests/readme_example.c" -I"$tmp/usr/include" "$tmp/usr/lib/libwarmup.a" $static_libs
check "link against the static library" '[ $? -eq 0 ]'
"$tmp/usr/bin/warmup" schedule 'warmup(2) > constant' --steps 3 | tail -1 | grep -qx '2,1'
check "installed CLI runs" '[ $? -eq 0 ]'
make -s uninstall PREFIX="$tmp/usr" >/dev/null 2>&1
check "uninstall removes the files" "[ ! -e '$tmp/usr/lib/libwarmup.a' ] && [ ! -e '$tmp/usr/bin/warmup' ]"
echo "test_install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
