/* idx.c - IDX files (LeCun's MNIST format), plain or gzip-compressed, read defensively.
 *
 * Header: two zero bytes, a type byte (0x08: unsigned bytes, the only one used here), the
 * number of dimensions, then each dimension as a big-endian 32-bit integer. zlib's gzread reads
 * compressed and plain files alike. The data is read in chunks into a buffer that grows with
 * what actually arrives, so a header that lies about its size cannot make us allocate it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "data.h"
#include "../util/fail.h"

#define IDX_MAX_BYTES ((size_t)1 << 31) /* 2 GiB: far above any data set this project reads */

static int ierr(wu_error *err, int code, const char *path, const char *what)
{
    return wu_fail(err, code, "%.120s: %.190s", path, what);
}

int wu_idx_read(wu_idx *out, const char *path, wu_error *err)
{
    memset(out, 0, sizeof *out);
    gzFile f = gzopen(path, "rb");
    if (!f) {
        char m[200];
        snprintf(m, sizeof m, "cannot open: %s", errno ? strerror(errno) : "zlib error");
        return ierr(err, WU_EIO, path, m);
    }
    unsigned char head[4];
    char m[240];
    int rc = WU_OK;
    if (gzread(f, head, 4) != 4) {
        rc = ierr(err, WU_EIO, path, "truncated: shorter than an IDX header (4 bytes)");
        goto done;
    }
    if (head[0] != 0 || head[1] != 0) {
        rc = ierr(err, WU_EIO, path, "not an IDX file (its first two bytes are not zero)");
        goto done;
    }
    if (head[2] != 0x08) {
        snprintf(m, sizeof m, "IDX element type 0x%02x is not supported (only 0x08, unsigned "
                 "bytes)", head[2]);
        rc = ierr(err, WU_EIO, path, m);
        goto done;
    }
    out->ndim = head[3];
    if (out->ndim < 1 || out->ndim > 4) {
        snprintf(m, sizeof m, "%d dimensions: an IDX file here has 1 to 4", out->ndim);
        rc = ierr(err, WU_EIO, path, m);
        goto done;
    }
    size_t total = 1;
    for (int i = 0; i < out->ndim; i++) {
        unsigned char d[4];
        if (gzread(f, d, 4) != 4) {
            rc = ierr(err, WU_EIO, path, "truncated inside the header (dimension sizes)");
            goto done;
        }
        uint32_t v = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
        if (v == 0 || v > 0x7fffffffu) {
            snprintf(m, sizeof m, "dimension %d is %u: it must be between 1 and 2^31-1", i + 1, v);
            rc = ierr(err, WU_EIO, path, m);
            goto done;
        }
        out->dims[i] = (int)v;
        if (total > IDX_MAX_BYTES / v) {
            rc = ierr(err, WU_EIO, path, "its header declares more than 2 GiB of data");
            goto done;
        }
        total *= v;
    }
    out->count = (size_t)out->dims[0];
    out->item = total / out->count;
    /* read what is there, up to what the header declares */
    size_t have = 0, cap = 0;
    while (have < total) {
        if (have == cap) {
            size_t nc = cap ? cap * 2 : 1 << 16;
            if (nc > total) nc = total;
            unsigned char *nb = realloc(out->data, nc);
            if (!nb) {
                rc = ierr(err, WU_ENOMEM, path, "out of memory");
                goto done;
            }
            out->data = nb;
            cap = nc;
        }
        size_t want = cap - have;
        if (want > (1u << 30)) want = 1u << 30;
        int got = gzread(f, out->data + have, (unsigned)want);
        if (got < 0) {
            rc = ierr(err, WU_EIO, path, "corrupt compressed data");
            goto done;
        }
        if (got == 0) break;
        have += (size_t)got;
    }
    if (have < total) {
        snprintf(m, sizeof m, "truncated: the header declares %zu data bytes, the file holds %zu",
                 total, have);
        rc = ierr(err, WU_EIO, path, m);
        goto done;
    }
    unsigned char extra;
    if (gzread(f, &extra, 1) == 1) {
        snprintf(m, sizeof m, "the file holds more than the %zu data bytes its header declares",
                 total);
        rc = ierr(err, WU_EIO, path, m);
        goto done;
    }
done:
    gzclose(f);
    if (rc != WU_OK) wu_idx_free(out);
    return rc;
}

void wu_idx_free(wu_idx *x)
{
    free(x->data);
    memset(x, 0, sizeof *x);
}
