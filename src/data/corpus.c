/* corpus.c - byte corpora from files and directories, split into training and validation
 * parts, sampled in random windows. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data.h"
#include "../util/fail.h"

/* Append a whole file to (*buf, *len, *cap). */
static int append_file(unsigned char **buf, size_t *len, size_t *cap, const char *path,
                       wu_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return wu_fail(err, WU_EIO, "cannot read '%s': %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) && (size_t)sb.st_size > WU_CORPUS_MAX - *len) {
        fclose(f);
        return wu_fail(err, WU_EINVAL, "'%s': the corpus is larger than %d MiB (it is held in "
                       "memory); use a smaller file or a directory of fewer files", path,
                       (int)(WU_CORPUS_MAX >> 20));
    }
    unsigned char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (*len + got > WU_CORPUS_MAX) { /* it is held in memory: refuse before it all is */
            fclose(f);
            return wu_fail(err, WU_EINVAL, "'%s': the corpus is larger than %d MiB (it is held in "
                           "memory); use a smaller file or a directory of fewer files", path,
                           (int)(WU_CORPUS_MAX >> 20));
        }
        if (*len + got > *cap) {
            size_t nc = *cap ? *cap * 2 : 1 << 20;
            while (nc < *len + got) nc *= 2;
            unsigned char *nb = realloc(*buf, nc);
            if (!nb) {
                fclose(f);
                return wu_fail(err, WU_ENOMEM, "out of memory reading '%s'", path);
            }
            *buf = nb;
            *cap = nc;
        }
        memcpy(*buf + *len, chunk, got);
        *len += got;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) return wu_fail(err, WU_EIO, "error reading '%s'", path);
    return WU_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

#define MAX_DEPTH 32 /* subdirectory levels read under a --data directory */

/* Add the regular files under directory dir to (*names, *nn, *ncap), recursively: hidden entries
 * (.git) are skipped, as are devices, pipes and sockets, and symbolic links to directories (a
 * link can loop). The caller sorts the paths, so the order is fixed whatever readdir returns.
 * Each path is malloc'ed and owned by *names, also on failure. */
static int collect(const char *dir, int depth, char ***names, size_t *nn, size_t *ncap,
                   wu_error *err)
{
    if (depth > MAX_DEPTH)
        return wu_fail(err, WU_EINVAL, "'%s' is nested more than %d directories deep", dir,
                       MAX_DEPTH);
    DIR *d = opendir(dir);
    if (!d) return wu_fail(err, WU_EIO, "cannot read directory '%s': %s", dir, strerror(errno));
    int rc = WU_OK;
    struct dirent *e;
    while (rc == WU_OK && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *full = malloc(len);
        if (!full) {
            rc = wu_fail(err, WU_ENOMEM, "out of memory");
            break;
        }
        snprintf(full, len, "%s/%s", dir, e->d_name);
        struct stat fs, ls;
        if (stat(full, &fs) != 0) { /* a dangling link */
            free(full);
            continue;
        }
        if (S_ISDIR(fs.st_mode)) {
            if (lstat(full, &ls) == 0 && S_ISDIR(ls.st_mode))
                rc = collect(full, depth + 1, names, nn, ncap, err);
            free(full);
            continue;
        }
        if (!S_ISREG(fs.st_mode)) {
            free(full);
            continue;
        }
        if (*nn == *ncap) {
            size_t nc = *ncap ? *ncap * 2 : 64;
            char **nb = realloc(*names, sizeof *nb * nc);
            if (!nb) {
                free(full);
                rc = wu_fail(err, WU_ENOMEM, "out of memory");
                break;
            }
            *names = nb;
            *ncap = nc;
        }
        (*names)[(*nn)++] = full;
    }
    closedir(d);
    return rc;
}

static void split(wu_corpus *c, double val_frac)
{
    size_t val = (size_t)((double)c->n * val_frac);
    c->train_n = c->n - val;
}

int wu_corpus_load(wu_corpus *c, const char *path, double val_frac, wu_error *err)
{
    memset(c, 0, sizeof *c);
    if (!(val_frac > 0 && val_frac <= 0.5))
        return wu_fail(err, WU_EINVAL, "the validation fraction must be in (0, 0.5]");
    struct stat st;
    if (stat(path, &st) != 0)
        return wu_fail(err, WU_EIO, "cannot read '%s': %s", path, strerror(errno));
    size_t cap = 0;
    int rc = WU_OK;
    if (S_ISDIR(st.st_mode)) {
        char **names = NULL;
        size_t nn = 0, ncap = 0;
        rc = collect(path, 0, &names, &nn, &ncap, err);
        if (rc != WU_OK) {
            for (size_t i = 0; i < nn; i++) free(names[i]);
            free(names);
            return rc;
        }
        if (nn == 0) {
            free(names);
            return wu_fail(err, WU_EINVAL, "directory '%s' holds no regular file to read (nor do "
                           "its subdirectories)", path);
        }
        qsort(names, nn, sizeof *names, cmp_str);
        for (size_t i = 0; i < nn && rc == WU_OK; i++) {
            rc = append_file(&c->data, &c->n, &cap, names[i], err);
            if (rc == WU_OK && i + 1 < nn) {
                unsigned char nl = '\n';
                if (c->n + 1 > cap) {
                       unsigned char *nb = realloc(c->data, cap = c->n + 1 + (1 << 20));
                       if (!nb) rc = wu_fail(err, WU_ENOMEM, "out of memory");
                       else c->data = nb;
                }
                if (rc == WU_OK) c->data[c->n++] = nl;
            }
        }
        for (size_t i = 0; i < nn; i++) free(names[i]);
        free(names);
    } else if (S_ISREG(st.st_mode)) {
        rc = append_file(&c->data, &c->n, &cap, path, err);
    } else { /* /dev/zero would be read up to the size limit before being refused */
        return wu_fail(err, WU_EINVAL, "'%s' is not a regular file or a directory (a device, pipe "
                       "or socket): give a text file or a directory of them", path);
    }
    if (rc != WU_OK) {
        wu_corpus_free(c);
        return rc;
    }
    if (c->n == 0) {
        wu_corpus_free(c);
        return wu_fail(err, WU_EINVAL, "'%s' is empty: a corpus needs text", path);
    }
    snprintf(c->source, sizeof c->source, "%s", path);
    c->vocab = 256; /* bytes */
    split(c, val_frac);
    return WU_OK;
}

int wu_corpus_builtin(wu_corpus *c, size_t n, uint64_t seed, double val_frac, wu_error *err)
{
    memset(c, 0, sizeof *c);
    if (n == 0 || !(val_frac > 0 && val_frac <= 0.5))
        return wu_fail(err, WU_EINVAL, "the built-in corpus needs bytes and a validation fraction "
                       "in (0, 0.5]");
    c->data = malloc(n);
    if (!c->data) return wu_fail(err, WU_ENOMEM, "out of memory");
    wu_builtin_text((char *)c->data, n, seed);
    c->n = n;
    c->vocab = 256; /* bytes (the built-in language uses fewer, but its models read bytes) */
    snprintf(c->source, sizeof c->source, "builtin (seed %llu)", (unsigned long long)seed);
    split(c, val_frac);
    return WU_OK;
}

int wu_corpus_check(const wu_corpus *c, int T, wu_error *err)
{
    size_t val = c->n - c->train_n;
    if (c->train_n < (size_t)T + 1 || val < (size_t)T + 1)
        return wu_fail(err, WU_EINVAL, "'%.120s' is too short: %zu bytes, and a window needs %d "
                       "bytes (a sequence length of %d, plus one) in each of its training and "
                       "validation splits; use a longer text or a shorter sequence length",
                       c->source, c->n, T + 1, T);
    return WU_OK;
}

void wu_corpus_batch(const wu_corpus *c, int which, wu_rng *r, int B, int T, int *tok, int *tgt)
{
    size_t lo = which == WU_SPLIT_TRAIN ? 0 : c->train_n;
    size_t hi = which == WU_SPLIT_TRAIN ? c->train_n : c->n;
    size_t span = hi - lo - (size_t)T; /* window starts in [lo, hi - T - 1] */
    for (int b = 0; b < B; b++) {
        size_t s = lo + (size_t)(wu_rng_u64(r) % span);
        for (int t = 0; t < T; t++) {
            tok[b * T + t] = c->data[s + t];
            tgt[b * T + t] = c->data[s + t + 1];
        }
    }
}

void wu_corpus_free(wu_corpus *c)
{
    free(c->data);
    memset(c, 0, sizeof *c);
}
