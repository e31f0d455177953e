#!/bin/sh
# Plant known bugs, one at a time, into scratch copies of the tree and check that the tests
# catch each one (docs/RELIABILITY.md, "Planted bugs"). Opt-in, not part of make test or check.
#   sh tools/plant_bugs.sh [--check] [NAME...]     (make plant-bugs)
# For every plant (or only the NAMEs given): copy the tree to $PLANT_DIR/NAME (the worktree's
# files as they are, tracked and untracked but not ignored, without .git and build/), replace
# one exact text that must match exactly once, build with make, and run the plant's tests with
# OMP_NUM_THREADS=1 and WU_TEST_QUICK=1. One line per plant: "caught by TEST (N failed: the
# first FAIL line)" or "MISSED"; the exit status is 1 when a plant was missed, did not apply
# (its text matched zero or several times: the code moved, update the table below) or did not
# build. The same tests are first run on an unplanted copy, which must pass.
#   --check   also run make check's tests (sh tests/run.sh --quick build) on every planted copy
#             and name every test that failed there
# PLANT_DIR (default /tmp/plants) holds the copies and the logs (NAME.log); JOBS is make's -j
# (default 1). About 30 s per plant on 2 cores, plus 30 s each with --check.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${PLANT_DIR:-/tmp/plants}
JOBS=${JOBS:-1}
export OMP_NUM_THREADS=1 WU_TEST_QUICK=1
check=""
if [ "${1:-}" = --check ]; then check=1; shift; fi
mkdir -p "$DIR" || exit 2

# ---- the plants: NAME FILE OLD NEW TESTS (TESTS: commands run in the copy, ';' between) ----
# Each replacement must match its file exactly once.
ALL="cosine_nan invsqrt_nan gpt_postln_nan vit_postln_nan loader_seek resume_steps report_escape governor_off"
spec() {
    case $1 in
    cosine_nan) # torch:CosineAnnealingLR returns NaN at step 20
        file=src/schedule/sched.c
        old='    case T_COSINE:
'
        new='    case T_COSINE:
        if (t == 20) return NAN;
'
        tests="build/tests/test_schedule" ;;
    invsqrt_nan) # hf:inverse_sqrt returns NaN at step 12 (after its warmup)
        file=src/schedule/sched.c
        old='        return base * (1.0 / sqrt((double)(t + (ts - w)) / (double)ts));'
        new='        if (t == 12) return NAN;
        return base * (1.0 / sqrt((double)(t + (ts - w)) / (double)ts));'
        tests="build/tests/test_schedule" ;;
    gpt_postln_nan) # one NaN gradient in the Post-LN GPT
        file=src/model/gpt.c
        old='    encoder_backward(dwte, dwpe, ds, im->tokens, B, T, C);
'
        new='    encoder_backward(dwte, dwpe, ds, im->tokens, B, T, C);
    if (c->post_ln) m->grads[m->layer_off[0] + 3] = NAN;
'
        tests="build/tests/test_gpt" ;;
    vit_postln_nan) # one NaN gradient in the Post-LN ViT
        file=src/model/vit.c
        old='    /* ds = d(tokens): positions, the CLS token, then the patch embedding */
'
        new='    if (c->post_ln) m->grads[im->layer_off[0] + 3] = NAN;
    /* ds = d(tokens): positions, the CLS token, then the patch embedding */
'
        tests="build/tests/test_vision" ;;
    loader_seek) # the image loader's position is not restored on resume
        file=src/train/ckpt.c
        old='    if (!r->text) wu_loader_seek(&r->loader, h.loader_epoch, h.loader_pos);
'
        new=''
        tests="sh tests/test_train.sh build/warmup;sh tests/test_crash.sh build/warmup" ;;
    resume_steps) # --resume --steps 45 ignored: the run keeps its saved step count
        file=src/train/run.c
        old='int64_t steps = cfg->steps > saved.steps ? cfg->steps : saved.steps;'
        new='int64_t steps = saved.steps;'
        tests="sh tests/test_train.sh build/warmup" ;;
    report_escape) # the rerun command written into report.html without HTML escaping
        file=src/report/run_report.c
        old='        wu_html_pre(o.f, line);
'
        new='        fprintf(o.f, "<pre>%s</pre>\n", line);
'
        tests="sh tests/test_train.sh build/warmup" ;;
    governor_off) # a run never consults the thread governor: it spins beside a busy process
        file=src/train/step.c
        old='    wu_run_threads(r);
'
        new=''
        tests="sh tests/test_threads.sh build/warmup" ;;
    *) echo "plant_bugs: no plant named $1 (plants: $ALL)" >&2; exit 2 ;;
    esac
}

# copy DEST: a fresh copy of the worktree without .git and build/
copy() {
    rm -rf "$1" && mkdir -p "$1" || exit 2
    if git -C "$ROOT" rev-parse --git-dir > /dev/null 2>&1; then
        (cd "$ROOT" && git ls-files -co --exclude-standard |
            while IFS= read -r f; do [ -f "$f" ] && printf '%s\n' "$f"; done | tar -cf - -T -)
    else
        (cd "$ROOT" && tar -cf - --exclude=./.git --exclude=./build .)
    fi | tar -xf - -C "$1" || { echo "plant_bugs: could not copy $ROOT to $1" >&2; exit 2; }
}
# build DIR LOG: everything make check needs
build() {
    (cd "$1" && make -j"$JOBS" all build/tests/readme_example \
        $(for s in tests/test_*.c; do t=${s#tests/}; printf 'build/tests/%s ' "${t%.c}"; done)) >> "$2" 2>&1
}
# apply FILE (in the current directory): replace $old by $new, which must match exactly once
apply() {
    PLANT_OLD=$old PLANT_NEW=$new python3 -c '
import os, sys
p, old, new = sys.argv[1], os.environ["PLANT_OLD"], os.environ["PLANT_NEW"]
s = open(p).read()
n = s.count(old)
if n != 1:
    sys.exit("%s: the text to replace matches %d times, not once: %r" % (p, n, old))
open(p, "w").write(s.replace(old, new))' "$1"
}
# runtests DIR LOG: run $tests in DIR; sets $caught to "TEST (N failed: first FAIL line)", ...
runtests() {
    caught=""
    oldifs=$IFS; IFS=';'; set -- "$1" "$2" $tests; IFS=$oldifs
    d=$1; log=$2; shift 2
    for t in "$@"; do
        out=$(cd "$d" && $t 2>&1); rc=$?
        printf '== %s (exit %d)\n%s\n' "$t" "$rc" "$out" >> "$log"
        [ "$rc" -eq 0 ] && continue
        name=$(printf '%s\n' "$t" | grep -oE 'test_[a-z_]+(\.sh)?' | head -1)
        nf=$(printf '%s\n' "$out" | sed -nE 's/.*: [0-9]+ passed, ([0-9]+) failed$/\1/p' | tail -1)
        first=$(printf '%s\n' "$out" | grep -m1 'FAIL' | cut -c1-200)
        caught="${caught:+$caught; }$name (${nf:-?} failed, exit $rc: ${first:-no FAIL line})"
    done
}
# runcheck DIR LOG: make check's tests; sets $failed to "test_x (N), ..." or "nothing"
runcheck() {
    out=$(cd "$1" && sh tests/run.sh --quick build 2>&1)
    printf '== make check (sh tests/run.sh --quick build)\n%s\n' "$out" >> "$2"
    failed=$(printf '%s\n' "$out" | sed -nE 's/^(test_[a-z_]+): [0-9]+ passed, ([1-9][0-9]*) failed$/\1 (\2)/p;s/^(FAIL: .*)$/\1/p' |
        tr '\n' ',' | sed 's/,$//;s/,/, /g')
    failed=${failed:-nothing}
}

PLANTS=${*:-$ALL}
for p in $PLANTS; do spec "$p"; done # unknown names fail before anything is built

# the unplanted copy must build and pass every test named above
base="$DIR/base"; log="$DIR/base.log"; : > "$log"
copy "$base"
build "$base" "$log" || { echo "plant_bugs: the unplanted copy does not build (see $log)"; exit 2; }
alltests=""
for p in $PLANTS; do spec "$p"; alltests="$alltests;$tests"; done
tests=$(printf '%s\n' "$alltests" | tr ';' '\n' | sed '/^$/d' | sort -u | tr '\n' ';')
runtests "$base" "$log"
[ -z "$caught" ] || { echo "plant_bugs: the unplanted copy fails: $caught (see $log)"; exit 2; }
if [ -n "$check" ]; then
    runcheck "$base" "$log"
    [ "$failed" = nothing ] || { echo "plant_bugs: make check fails on the unplanted copy: $failed (see $log)"; exit 2; }
fi
echo "unplanted copy: builds, its tests pass${check:+, make check passes}"

bad=0
for p in $PLANTS; do
    spec "$p"
    d="$DIR/$p"; log="$DIR/$p.log"; : > "$log"
    copy "$d"
    if ! (cd "$d" && apply "$file") >> "$log" 2>&1; then
        echo "$p ($file): NOT PLANTED: $(tail -1 "$log")"; bad=1; continue
    fi
    if ! build "$d" "$log"; then
        echo "$p ($file): BUILD FAILED with the plant (see $log)"; bad=1; continue
    fi
    runtests "$d" "$log"
    if [ -n "$caught" ]; then line="$p ($file): caught by $caught"
    else line="$p ($file): MISSED by $tests"; bad=1; fi
    if [ -n "$check" ]; then
        runcheck "$d" "$log"
        line="$line; make check fails: $failed"
        [ "$failed" = nothing ] && bad=1
    fi
    echo "$line"
done
[ "$bad" -eq 0 ] && echo "every plant was caught (logs in $DIR)" || echo "some plants were not caught (logs in $DIR)"
exit "$bad"
