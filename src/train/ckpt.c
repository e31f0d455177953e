/* ckpt.c - checkpoints: everything a run needs to continue bit for bit, written atomically.
 *
 * Layout (native byte order; a checkpoint is for this machine and build): magic "WUCKPT01", the
 * run configuration, the step, the loss tracker, elapsed time, the metrics.csv length, the data
 * RNG and loader position, the parameters, the optimizer state (moments, step, schedule
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

/* The last two characters are the format version: a change of the header or of any struct
 * stored in it (the configuration, the tracker) must bump it. */
static const char MAGIC[8] = {'W', 'U', 'C', 'K', 'P', 'T', '0', '2'};

static int cerr(wu_error *err, int code, const char *what, const char *path)
{
    return wu_fail(err, code, "checkpoint %.200s: %.100s", path, what);
}

/* The fixed part after the magic. */
typedef struct ck_head {
    wu_train_config c;
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
    ck_head h;
    memset(&h, 0, sizeof h);
    h.c = r->c;
    h.step = r->step;
    h.tr = r->tr;
    h.elapsed = r->elapsed_before;
    h.metrics_off = r->metrics_off;
    memcpy(h.rng, r->data_rng.s, sizeof h.rng);
    h.loader_epoch = r->loader.epoch;
    h.loader_pos = r->loader.pos;
    h.nparams = r->net.nparams;
    h.optim_bytes = wu_optim_state_size(r->opt);
    size_t len = sizeof MAGIC + sizeof h + h.nparams * sizeof(float) + h.optim_bytes;
    unsigned char *buf = malloc(len + sizeof(uint64_t));
    if (!buf) return cerr(err, WU_ENOMEM, "out of memory", path);
    unsigned char *p = buf;
    memcpy(p, MAGIC, sizeof MAGIC), p += sizeof MAGIC;
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
                                                        "writes one with --checkpoint-every N, "
                                                        "--stop-after N or when interrupted)"
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
        free(b);
        return cerr(err, WU_EIO, "written by another version of warmup (checkpoint format differs); "
                    "start the run again", path);
    }
    if (n < (long)(sizeof MAGIC + sizeof(ck_head) + sizeof(uint64_t))) {
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
    ck_head h;
    memcpy(&h, b + sizeof MAGIC, sizeof h);
    size_t want = sizeof MAGIC + sizeof h + h.nparams * sizeof(float) + h.optim_bytes + sizeof sum;
    if (want != (size_t)n || h.step < 0) {
        free(b);
        return cerr(err, WU_EIO, "inconsistent sizes", path);
    }
    /* every string ends inside its field, whatever the file holds */
    h.c.data[sizeof h.c.data - 1] = h.c.schedule[sizeof h.c.schedule - 1] = '\0';
    h.c.out[sizeof h.c.out - 1] = h.c.model[sizeof h.c.model - 1] = '\0';
    h.c.optimizer[sizeof h.c.optimizer - 1] = h.c.act[sizeof h.c.act - 1] = '\0';
    h.c.pool[sizeof h.c.pool - 1] = h.c.on_nonfinite[sizeof h.c.on_nonfinite - 1] = '\0';
    *c = h.c;
    *blob = b;
    *len = (size_t)n;
    return WU_OK;
}

int wu_ckpt_apply(wu_run *r, const unsigned char *b, size_t len, wu_error *err)
{
    ck_head h;
    memcpy(&h, b + sizeof MAGIC, sizeof h);
    if (h.nparams != r->net.nparams || h.optim_bytes != wu_optim_state_size(r->opt))
        return cerr(err, WU_EIO, "does not match the model it was written for", r->c.out);
    const unsigned char *p = b + sizeof MAGIC + sizeof h;
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
