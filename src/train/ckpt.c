/* ckpt.c - checkpoints: everything a run needs to continue bit for bit, written atomically.
 *
 * Layout (native byte order; a checkpoint is for this machine and build): magic "WUCKPT03"; the
 * run configuration as a record of "name=value" lines (config.h), after its uint32 length, so
 * that a field added later loads with its default and a field this version does not know is
 * refused, never misread; then the step, the loss tracker, elapsed time, the metrics.csv length,
 * the data RNG and loader position, the parameters, the optimizer state (moments, step, schedule
 * state), then an FNV-1a 64-bit checksum of all of it. It is written to a temporary file that is
 * fsynced and renamed over checkpoint.bin, so a crash leaves the previous checkpoint intact. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/outfile.h"
#include "run.h"
#include "../util/checksum.h"
#include "../util/fail.h"
#include "config.h"

/* The last two characters are the format version: a change of the layout or of a struct stored
 * in it (the tracker) must bump it. A new configuration field does not: the record is by name. */
static const char MAGIC[8] = {'W', 'U', 'C', 'K', 'P', 'T', '0', '3'};
#define CFG_AT (sizeof MAGIC + sizeof(uint32_t)) /* the record */
#define MAX_RECORD (1 << 16)

static int cerr(wu_error *err, int code, const char *what, const char *path)
{
    return wu_fail(err, code, "checkpoint %.200s: %s", path, what);
}

/* The fixed part after the configuration record. */
typedef struct ck_head {
    int64_t step;
    wu_tracker tr;
    double elapsed;
    int64_t metrics_off;
    uint64_t rng[4];
    int64_t loader_epoch;
    int32_t loader_pos, pad;
    uint64_t nparams, optim_bytes;
} ck_head;

int wu_ckpt_save(const wu_run *r, wu_error *err)
{
    char path[600];
    snprintf(path, sizeof path, "%s/checkpoint.bin", r->c.out);
    size_t clen = 0;
    char *rec = wu_cfg_record(&r->c, &clen);
    if (!rec || clen > MAX_RECORD) {
        free(rec);
        return cerr(err, WU_ENOMEM, "out of memory", path);
    }
    uint32_t clen32 = (uint32_t)clen;
    ck_head h;
    memset(&h, 0, sizeof h);
    h.step = r->step;
    h.tr = r->tr;
    h.elapsed = r->elapsed_before;
    h.metrics_off = r->metrics_off;
    memcpy(h.rng, r->data_rng.s, sizeof h.rng);
    h.loader_epoch = r->loader.epoch;
    h.loader_pos = r->loader.pos;
    h.nparams = r->net.nparams;
    h.optim_bytes = wu_optim_state_size(r->opt);
    size_t len = CFG_AT + clen + sizeof h + h.nparams * sizeof(float) + h.optim_bytes;
    unsigned char *buf = malloc(len + sizeof(uint64_t));
    if (!buf) {
        free(rec);
        return cerr(err, WU_ENOMEM, "out of memory", path);
    }
    unsigned char *p = buf;
    memcpy(p, MAGIC, sizeof MAGIC), p += sizeof MAGIC;
    memcpy(p, &clen32, sizeof clen32), p += sizeof clen32;
    memcpy(p, rec, clen), p += clen;
    free(rec);
    memcpy(p, &h, sizeof h), p += sizeof h;
    memcpy(p, r->net.params, h.nparams * sizeof(float)), p += h.nparams * sizeof(float);
    int rc = wu_optim_state_save(r->opt, p, h.optim_bytes, err);
    if (rc != WU_OK) {
        free(buf);
        return rc;
    }
    uint64_t sum = wu_fnv1a(buf, len);
    memcpy(buf + len, &sum, sizeof sum);
    wu_outfile o;
    if (wu_outfile_open(&o, path, err)) {
        free(buf);
        return err ? err->code : WU_EIO;
    }
    fwrite(buf, 1, len + sizeof sum, o.f);
    free(buf);
    if (wu_outfile_commit(&o, err)) return err ? err->code : WU_EIO;
    return WU_OK;
}

int wu_ckpt_read(const char *dir, wu_train_config *c, unsigned char **blob, size_t *len,
                 wu_error *err)
{
    char path[600];
    snprintf(path, sizeof path, "%s/checkpoint.bin", dir);
    *blob = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return cerr(err, WU_EIO, errno == ENOENT ? "not found: there is no run to resume here (a run "
                                                        "writes one every checkpoint_every steps, "
                                                        "and when it is stopped or interrupted)"
                                                      : strerror(errno), path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        fclose(f);
        return cerr(err, WU_EIO, "cannot be read", path);
    }
    fclose(f);
    if (n >= (long)sizeof MAGIC && !memcmp(b, MAGIC, 6) && memcmp(b, MAGIC, sizeof MAGIC)) {
        char msg[200];
        snprintf(msg, sizeof msg, "written by another version of warmup (checkpoint format %c%c; "
                 "this one reads format %c%c); finish it with that version or start the run again",
                 b[6] >= ' ' && b[6] < 127 ? b[6] : '?', b[7] >= ' ' && b[7] < 127 ? b[7] : '?',
                 MAGIC[6], MAGIC[7]);
        free(b);
        return cerr(err, WU_EIO, msg, path);
    }
    if (n < (long)(CFG_AT + sizeof(ck_head) + sizeof(uint64_t))) {
        free(b);
        return cerr(err, WU_EIO, "truncated (shorter than its header)", path);
    }
    if (memcmp(b, MAGIC, sizeof MAGIC) != 0) {
        free(b);
        return cerr(err, WU_EIO, "not a warmup checkpoint (bad magic)", path);
    }
    uint64_t sum;
    memcpy(&sum, b + n - sizeof sum, sizeof sum);
    if (sum != wu_fnv1a(b, (size_t)n - sizeof sum)) {
        free(b);
        return cerr(err, WU_EIO, "corrupt (checksum mismatch): resume from an earlier copy or "
                    "start again", path);
    }
    uint32_t clen;
    memcpy(&clen, b + sizeof MAGIC, sizeof clen);
    ck_head h;
    if (clen > MAX_RECORD || CFG_AT + clen + sizeof h + sizeof sum > (size_t)n) {
        free(b);
        return cerr(err, WU_EIO, "inconsistent sizes", path);
    }
    memcpy(&h, b + CFG_AT + clen, sizeof h);
    size_t want = CFG_AT + clen + sizeof h + h.nparams * sizeof(float) + h.optim_bytes + sizeof sum;
    if (h.nparams > ((uint64_t)1 << 40) || h.optim_bytes > ((uint64_t)1 << 44) || want != (size_t)n ||
        h.step < 0) {
        free(b);
        return cerr(err, WU_EIO, "inconsistent sizes", path);
    }
    wu_error e;
    if (wu_cfg_from_record((const char *)b + CFG_AT, clen, c, &e) != WU_OK) {
        free(b);
        char msg[sizeof e.msg + 40];
        snprintf(msg, sizeof msg, "configuration: %s", e.msg);
        return cerr(err, WU_EIO, msg, path);
    }
    *blob = b;
    *len = (size_t)n;
    return WU_OK;
}

int wu_ckpt_apply(wu_run *r, const unsigned char *b, size_t len, wu_error *err)
{
    ck_head h;
    uint32_t clen;
    memcpy(&clen, b + sizeof MAGIC, sizeof clen);
    memcpy(&h, b + CFG_AT + clen, sizeof h);
    if (h.nparams != r->net.nparams || h.optim_bytes != wu_optim_state_size(r->opt))
        return cerr(err, WU_EIO, "does not match the model it was written for", r->c.out);
    const unsigned char *p = b + CFG_AT + clen + sizeof h;
    memcpy(r->net.params, p, h.nparams * sizeof(float));
    p += h.nparams * sizeof(float);
    int rc = wu_optim_state_load(r->opt, p, h.optim_bytes, err);
    if (rc != WU_OK) return rc;
    (void)len;
    r->step = h.step;
    r->tr = h.tr;
    r->elapsed_before = h.elapsed;
    r->metrics_off = (long)h.metrics_off;
    memcpy(r->data_rng.s, h.rng, sizeof h.rng);
    if (!r->text) wu_loader_seek(&r->loader, h.loader_epoch, h.loader_pos);
    return WU_OK;
}
