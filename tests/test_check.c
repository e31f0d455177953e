/* test_check.c - the LR-log checker (wu_check_*): every verdict and every diagnosis on
 * synthetic logs made from the spec itself (a correct log, float32 rounding, and one log per
 * bug pattern), the hypotheses that must not be reported (one differing point, noise), and
 * the pairs that must be refused. tests/test_check.sh runs the same patterns through
 * `warmup check` on logs written by torch loops. */
#include <math.h>
#include <string.h>

#include "harness.h"
#include "warmup.h"

#define SPEC "warmup(10%) > cosine"
#define LR 1e-3
#define T 1000

typedef double (*logfn)(const wu_schedule *s, int64_t k);
static const wu_schedule *g_alt; /* a second schedule some logs follow */

static double f_exact(const wu_schedule *s, int64_t k) { return wu_sched_lr(s, k); }
static double f_f32(const wu_schedule *s, int64_t k) { return (float)wu_sched_lr(s, k); }
static double f_ahead(const wu_schedule *s, int64_t k) { return wu_sched_lr(s, k + 1); }
static double f_behind(const wu_schedule *s, int64_t k) { return wu_sched_lr(s, k - 1); }
static double f_jump(const wu_schedule *s, int64_t k) { return wu_sched_lr(s, k < 400 ? k : k + 400); }
static double f_restart(const wu_schedule *s, int64_t k) { return wu_sched_lr(s, k < 400 ? k : k - 400); }
static double f_stretch(const wu_schedule *s, int64_t k) { return wu_sched_lr(s, 4 * k + 3); }
static double f_stretch2(const wu_schedule *s, int64_t k) { return wu_sched_lr(s, 2 * k); }
static double f_slow(const wu_schedule *s, int64_t k) { return wu_sched_lr(s, k / 4); }
static double f_alt(const wu_schedule *s, int64_t k) { (void)s; return wu_sched_lr(g_alt, k); }
static double f_noise(const wu_schedule *s, int64_t k)
{
    return wu_sched_lr(s, k) * (1 + 0.01 * sin(1e3 * (double)k));
}
static double f_last(const wu_schedule *s, int64_t k) { return wu_sched_lr(s, k) * (k == 990 ? 2 : 1); }

/* Check a log of steps first, first+every, ... < end made by f, against SPEC over T steps. */
static wu_check_result run(const char *spec, logfn f, int64_t first, int64_t every, int64_t end)
{
    wu_sched_opts o = {.lr = LR, .total_steps = T};
    wu_schedule *s;
    wu_check *c;
    wu_error e;
    wu_check_result r;
    memset(&r, 0, sizeof r);
    if (wu_sched_parse(&s, spec, &o, &e) != WU_OK || wu_check_create(&c, spec, &o, &e) != WU_OK) {
        CHECK(0, "%s: %s", spec, e.msg);
        return r;
    }
    for (int64_t k = first; k < end; k += every) {
        if (wu_check_feed(c, k, f(s, k), &e) != WU_OK) {
            CHECK(0, "feed %lld: %s", (long long)k, e.msg);
            break;
        }
    }
    wu_check_finish(c, &r);
    wu_check_destroy(c);
    wu_sched_destroy(s);
    return r;
}

static void expect(const char *name, wu_check_result r, wu_check_verdict v, wu_check_pattern p,
                   int64_t param)
{
    CHECK(r.verdict == v, "%s: verdict %d, want %d", name, r.verdict, v);
    CHECK(r.pattern == p, "%s: pattern %d, want %d (%s)", name, r.pattern, p, r.why);
    if (p != WU_PAT_NONE) CHECK(r.param == param, "%s: param %lld, want %lld", name,
                                (long long)r.param, (long long)param);
    CHECK((p == WU_PAT_NONE) == (r.why[0] == '\0'), "%s: why '%s'", name, r.why);
}

int main(void)
{
    wu_check_result r = run(SPEC, f_exact, 0, 7, T);
    expect("match", r, WU_CHECK_MATCH, WU_PAT_NONE, 0);
    CHECK(r.n == 143 && r.first_step == 0 && r.last_step == 994 && r.diff_step == -1,
          "match: n %lld, first %lld, last %lld", (long long)r.n, (long long)r.first_step,
          (long long)r.last_step);
    CHECK(r.zero_first == 1, "warmup(10%%) starts at 0: the note is set");
    r = run("warmup(10%, shift=1) > cosine", f_exact, 0, 1, T);
    CHECK(r.verdict == WU_CHECK_MATCH && r.zero_first == 0, "shift=1 starts above 0");

    r = run(SPEC, f_f32, 0, 1, T);
    expect("float32", r, WU_CHECK_FLOAT32, WU_PAT_NONE, 0);
    CHECK(r.max_rel > 1e-12 && r.max_rel < 1e-7, "float32: max rel %g", r.max_rel);

    r = run(SPEC, f_ahead, 0, 1, T);
    expect("shift +1", r, WU_CHECK_DIFFERS, WU_PAT_SHIFT, 1);
    CHECK(r.diff_step == 0 && r.exact, "shift +1: first difference at %lld", (long long)r.diff_step);
    r = run(SPEC, f_behind, 1, 1, T + 1);
    expect("1-based", r, WU_CHECK_DIFFERS, WU_PAT_SHIFT, -1);

    r = run(SPEC, f_jump, 0, 10, T);
    expect("jump", r, WU_CHECK_DIFFERS, WU_PAT_JUMP, 400);
    CHECK(r.at == 400 && r.at_lo == 390, "jump: at %lld after %lld", (long long)r.at,
          (long long)r.at_lo);
    r = run(SPEC, f_restart, 0, 10, T);
    expect("restart", r, WU_CHECK_DIFFERS, WU_PAT_RESTART, 400);
    r = run(SPEC, f_restart, 0, 30, T); /* resume between logged steps 390 and 420 */
    expect("restart in a gap", r, WU_CHECK_DIFFERS, WU_PAT_RESTART, 400);
    CHECK(r.at == 420 && r.at_lo == 390, "restart: at %lld after %lld", (long long)r.at,
          (long long)r.at_lo);

    r = run(SPEC, f_stretch, 0, 1, T / 4);
    expect("stretch", r, WU_CHECK_DIFFERS, WU_PAT_STRETCH, 4);
    CHECK(r.offset == 3, "stretch: offset %lld", (long long)r.offset);
    r = run(SPEC, f_slow, 0, 1, 4 * T);
    expect("slow", r, WU_CHECK_DIFFERS, WU_PAT_SLOW, 4);

    wu_sched_opts o2 = {.lr = LR, .total_steps = 2500};
    wu_schedule *alt;
    wu_error e;
    CHECK(wu_sched_parse(&alt, SPEC, &o2, &e) == WU_OK, "%s", e.msg);
    g_alt = alt;
    r = run(SPEC, f_alt, 0, 5, T);
    expect("horizon", r, WU_CHECK_DIFFERS, WU_PAT_HORIZON, 2500);
    wu_sched_destroy(alt);
    /* a spec written in percentages over twice its horizon is, step for step, the spec
       stretched by 2: both are reported, the simpler first */
    r = run("warmup(10%) > cosine", f_stretch2, 0, 1, T / 2);
    expect("stretch or horizon", r, WU_CHECK_DIFFERS, WU_PAT_STRETCH, 2);
    CHECK(r.nalso >= 1 && r.also == WU_PAT_HORIZON && r.also_param == T / 2,
          "also: %d, pattern %d, param %lld", r.nalso, r.also, (long long)r.also_param);

    /* the spec starts at 1/W, the loop at 0 (HF's convention) */
    wu_sched_opts o = {.lr = LR, .total_steps = T};
    CHECK(wu_sched_parse(&alt, SPEC, &o, &e) == WU_OK, "%s", e.msg);
    g_alt = alt;
    r = run("warmup(10%, shift=1) > cosine", f_alt, 0, 1, T);
    expect("zero start", r, WU_CHECK_DIFFERS, WU_PAT_ZERO_START, 0);
    CHECK(r.at == 101 && r.zero_first, "zero start: caught up (L(s) = E(s), not E(s-1)) at %lld", (long long)r.at);
    wu_sched_destroy(alt);

    /* what must not be diagnosed */
    r = run(SPEC, f_noise, 0, 1, T);
    expect("noise", r, WU_CHECK_DIFFERS, WU_PAT_NONE, 0);
    r = run(SPEC, f_last, 0, 10, T);
    expect("one point", r, WU_CHECK_DIFFERS, WU_PAT_NONE, 0);
    CHECK(r.ndiff == 1 && r.diff_step == 990 && th_rel(r.diff_logged, 2 * r.diff_expected) < 1e-15,
          "one point: %lld at %lld", (long long)r.ndiff, (long long)r.diff_step);

    /* refused pairs change nothing */
    wu_check *c;
    CHECK(wu_check_create(&c, SPEC, &o, &e) == WU_OK, "%s", e.msg);
    CHECK(wu_check_feed(c, 5, 1e-4, &e) == WU_OK, "%s", e.msg);
    CHECK(wu_check_feed(c, 5, 1e-4, &e) == WU_EINVAL && strstr(e.msg, "step 5 after step 5"),
          "repeated step: %s", e.msg);
    CHECK(wu_check_feed(c, -1, 1e-4, &e) == WU_EINVAL && strstr(e.msg, "negative"), "%s", e.msg);
    CHECK(wu_check_feed(c, 6, NAN, &e) == WU_EINVAL && strstr(e.msg, "not finite"), "%s", e.msg);
    CHECK(wu_check_expected(c, 50) == 0.5e-3, "E(50) %.17g", wu_check_expected(c, 50));
    wu_check_finish(c, &r);
    CHECK(r.n == 1 && r.verdict == WU_CHECK_DIFFERS, "n %lld", (long long)r.n);
    CHECK(wu_check_feed(c, 7, 1e-4, &e) == WU_EINVAL && strstr(e.msg, "finished"), "%s", e.msg);
    wu_check_destroy(c);
    CHECK(wu_check_create(&c, "nope(", &o, &e) == WU_EPARSE && c == NULL, "bad spec");
    CHECK(wu_check_create(&c, SPEC, &(wu_sched_opts){.lr = LR}, &e) == WU_EINVAL,
          "10%% without total_steps: %s", e.msg);
    wu_check_destroy(NULL);
    wu_check_result empty;
    CHECK(wu_check_create(&c, SPEC, &o, &e) == WU_OK, "%s", e.msg);
    wu_check_finish(c, &empty);
    CHECK(empty.verdict == WU_CHECK_EMPTY && empty.n == 0, "empty");
    wu_check_destroy(c);

    /* a run resumed to another length: its log follows the spec over its segments (the
       library's own wu_sched_parse_segments), which the plain spec does not explain */
    {
        const char *seg = "0:1000,400:1500";
        wu_schedule *rs;
        wu_sched_opts so = {.lr = LR};
        CHECK(wu_sched_parse_segments(&rs, SPEC, seg, &so, &e) == WU_OK, "%s", e.msg);
        wu_check *cs, *cp;
        CHECK(wu_check_create(&cs, SPEC, &o, &e) == WU_OK && wu_check_segments(cs, seg, &e) == WU_OK,
              "%s", e.msg);
        CHECK(wu_check_create(&cp, SPEC, &o, &e) == WU_OK, "%s", e.msg);
        for (int64_t k = 0; k < 1500; k += 3) {
            wu_check_feed(cs, k, wu_sched_lr(rs, k), &e);
            wu_check_feed(cp, k, wu_sched_lr(rs, k), &e);
        }
        wu_check_result a, b;
        wu_check_finish(cs, &a);
        wu_check_finish(cp, &b);
        CHECK(a.verdict == WU_CHECK_MATCH && a.n == 500, "over its segments: verdict %d n %lld",
              a.verdict, (long long)a.n);
        CHECK(b.verdict == WU_CHECK_DIFFERS && b.diff_step > 400 && b.pattern != WU_PAT_HORIZON,
              "the plain spec: verdict %d at %lld", b.verdict, (long long)b.diff_step);
        CHECK(wu_check_segments(cs, seg, &e) == WU_EINVAL && strstr(e.msg, "before the first"),
              "segments after a feed: %s", e.msg);
        wu_check_destroy(cp);
        CHECK(wu_check_create(&cp, SPEC, &o, &e) == WU_OK, "%s", e.msg);
        CHECK(wu_check_segments(cp, "0:1000,2000:3000", &e) == WU_EINVAL && strstr(e.msg, "segments:"),
              "bad segments: %s", e.msg);
        wu_check_destroy(cp);
        wu_check_destroy(cs);
        wu_sched_destroy(rs);
    }

    printf("test_check: %d passed, %d failed\n", th_pass, th_fail);
    return th_fail != 0;
}
