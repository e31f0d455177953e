/* optim_state.c - saving and restoring an optimizer, bit for bit.
 *
 * Layout (native byte order, as the buffers it restores): a header (magic, version, kind,
 * parameter count, groups, step, flags: the arrays present, and per group GI-Adam and bias
 * correction off), the float arrays the kind uses (m, v, vmax, momentum
 * buffers), the attached schedule's state, then an FNV-1a 64-bit checksum of everything before
 * it. A loader checks all of it before touching the optimizer. */
#include <stdio.h>
#include <string.h>

#include "../util/checksum.h"
#include "optim_impl.h"
#include "../util/fail.h"

#define MAGIC 0x5455504fu /* "OPUT" */
#define VERSION 1u

typedef struct header {
    uint32_t magic, version, kind, ngroups;
    uint64_t n;
    int64_t step;
    uint32_t flags, sched_bytes;
} header;

enum { F_M = 1, F_V = 2, F_VMAX = 4, F_BUF = 8, F_BUF_READY = 16 };
/* Group g's GI-Adam and no-bias-correction settings (issue 18) are flag bits 8 + g and 16 + g:
 * a state saved before they existed has them clear and loads into an optimizer without them;
 * loading into other settings would not resume the same run, so it is refused. */
#define F_GI(g) (1u << (8 + (g)))
#define F_NOBC(g) (1u << (16 + (g)))

static const wu_schedule *the_schedule(const wu_optim *o) { return o->groups[0].sched; }

static void describe(const wu_optim *o, header *h)
{
    memset(h, 0, sizeof *h);
    h->magic = MAGIC;
    h->version = VERSION;
    h->kind = (uint32_t)o->cfg.kind;
    h->ngroups = (uint32_t)o->ngroups;
    h->n = o->n;
    h->step = o->step;
    h->flags = (o->m ? F_M : 0) | (o->v ? F_V : 0) | (o->vmax ? F_VMAX : 0) |
               (o->buf ? F_BUF : 0) | (o->buf_ready ? F_BUF_READY : 0);
    for (int g = 0; g < o->ngroups; g++)
        h->flags |= (o->groups[g].hp.v_init == WU_ADAM_INIT_GRAD ? F_GI(g) : 0) |
                    (o->groups[g].hp.no_bias_correction ? F_NOBC(g) : 0);
    h->sched_bytes = the_schedule(o) ? (uint32_t)wu_sched_state_size(the_schedule(o)) : 0;
}

static size_t arrays(const header *h)
{
    return (size_t)(!!(h->flags & F_M) + !!(h->flags & F_V) + !!(h->flags & F_VMAX) +
                    !!(h->flags & F_BUF));
}

size_t wu_optim_state_size(const wu_optim *o)
{
    header h;
    describe(o, &h);
    return sizeof h + arrays(&h) * o->n * sizeof(float) + h.sched_bytes + sizeof(uint64_t);
}

static int serr(wu_error *err, int code, const char *msg)
{
    return wu_fail(err, code, "optimizer state: %s", msg);
}

wu_status wu_optim_state_save(const wu_optim *o, void *buf, size_t size, wu_error *err)
{
    size_t need = wu_optim_state_size(o);
    if (size < need) return serr(err, WU_EINVAL, "buffer too small (see wu_optim_state_size)");
    header h;
    describe(o, &h);
    unsigned char *p = buf;
    memcpy(p, &h, sizeof h);
    p += sizeof h;
    const float *arr[4] = {o->m, o->v, o->vmax, o->buf};
    for (int i = 0; i < 4; i++)
        if (arr[i]) {
            memcpy(p, arr[i], o->n * sizeof(float));
            p += o->n * sizeof(float);
        }
    if (h.sched_bytes) {
        int rc = wu_sched_state_save(the_schedule(o), p, h.sched_bytes, err);
        if (rc != WU_OK) return rc;
        p += h.sched_bytes;
    }
    uint64_t sum = wu_fnv1a(buf, (size_t)(p - (unsigned char *)buf));
    memcpy(p, &sum, sizeof sum);
    return WU_OK;
}

wu_status wu_optim_state_load(wu_optim *o, const void *buf, size_t size, wu_error *err)
{
    header want, got;
    describe(o, &want);
    if (size < sizeof got + sizeof(uint64_t)) return serr(err, WU_EIO, "truncated");
    memcpy(&got, buf, sizeof got);
    if (got.magic != MAGIC) return serr(err, WU_EIO, "not an optimizer state (bad magic)");
    if (got.version != VERSION) return serr(err, WU_EIO, "written by another format version");
    if (got.kind != want.kind || got.n != want.n || got.ngroups != want.ngroups)
        return serr(err, WU_EIO, "written by an optimizer of another kind, size or grouping");
    if ((got.flags ^ want.flags) & 0xffff00u)
        return serr(err, WU_EIO, "written by an optimizer with another second-moment "
                    "initialisation (GI-Adam) or bias correction");
    if ((got.flags & ~(unsigned)F_BUF_READY) != (want.flags & ~(unsigned)F_BUF_READY) ||
        got.sched_bytes != want.sched_bytes)
        return serr(err, WU_EIO, "its state arrays or schedule state do not match this optimizer");
    size_t body = sizeof got + arrays(&got) * o->n * sizeof(float) + got.sched_bytes;
    if (size < body + sizeof(uint64_t)) return serr(err, WU_EIO, "truncated");
    uint64_t sum;
    memcpy(&sum, (const unsigned char *)buf + body, sizeof sum);
    if (sum != wu_fnv1a(buf, body)) return serr(err, WU_EIO, "checksum mismatch (corrupt)");
    if (got.step < 0) return serr(err, WU_EIO, "negative step count");

    const unsigned char *p = (const unsigned char *)buf + sizeof got;
    float *arr[4] = {o->m, o->v, o->vmax, o->buf};
    for (int i = 0; i < 4; i++)
        if (arr[i]) {
            memcpy(arr[i], p, o->n * sizeof(float));
            p += o->n * sizeof(float);
        }
    if (got.sched_bytes) {
        /* the schedule is not owned, but its plateau state is part of the run's state */
        int rc = wu_sched_state_load((wu_schedule *)(uintptr_t)the_schedule(o), p,
                                     got.sched_bytes, err);
        if (rc != WU_OK) return rc;
    }
    o->step = got.step;
    o->buf_ready = (got.flags & F_BUF_READY) != 0;
    return WU_OK;
}
