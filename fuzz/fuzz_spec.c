/* fuzz_spec.c - the schedule spec parser, all three forms (native, hf:, torch:). The first byte
 * picks the run length and the dialect prefix; the rest is the spec. A spec that parses is then
 * evaluated at its edges, saved and restored, as a caller would. */
#include <math.h>

#include "fuzz.h"
#include "warmup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    static const char *const prefix[4] = {"", "hf:", "torch:", ""};
    static const int64_t steps[4] = {0, 1, 100, 100000};
    char *body = fuzz_str(data + 1, size - 1);
    size_t n = strlen(body) + 8;
    char *spec = malloc(n);
    if (!spec) abort();
    snprintf(spec, n, "%s%s", prefix[data[0] & 3], body);
    wu_sched_opts o = {.lr = 1e-3, .total_steps = steps[(data[0] >> 2) & 3],
                       .steps_per_epoch = (data[0] & 16) ? 10 : 0};
    wu_schedule *s = NULL;
    wu_error err;
    if (wu_sched_parse(&s, spec, &o, &err) == WU_OK) {
        int64_t h = wu_sched_horizon(s), w = wu_sched_warmup_steps(s);
        int64_t at[6] = {0, 1, w, w + 1, o.total_steps, h > 0 && h < INT64_MAX ? h - 1 : 7};
        for (int i = 0; i < 6; i++)
            if (at[i] >= 0) (void)wu_sched_lr(s, at[i]);
        wu_sched_observe(s, 1.0);
        unsigned char buf[4096];
        if (wu_sched_state_save(s, buf, sizeof buf, &err) == WU_OK)
            wu_sched_state_load(s, buf, sizeof buf, &err);
        wu_sched_destroy(s);
    } else if (!err.msg[0]) {
        abort(); /* every failure has a message */
    }
    free(spec);
    free(body);
    return 0;
}
