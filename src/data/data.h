/* data.h - what the models train on: the built-in synthetic language, byte corpora from files,
 * IDX images (Fashion-MNIST), and a shuffling batch iterator. Every source is deterministic
 * for a given seed, and every failure is a clear error (wu_error), never a crash. */
#ifndef WU_DATA_H
#define WU_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "../util/rng.h"
#include "warmup.h"

/* ---- the built-in language (builtin.c) ----------------------------------------------------- */

/* Write n bytes of the built-in synthetic language for `seed` into buf: English-like sentences
 * from a probabilistic grammar (see builtin.c for what and why). Same seed, same bytes. */
void wu_builtin_text(char *buf, size_t n, uint64_t seed);

/* ---- byte corpora (corpus.c) --------------------------------------------------------------- */
typedef struct wu_corpus {
    unsigned char *data;  /* all bytes (owned) */
    size_t n;             /* total bytes */
    size_t train_n;       /* [0, train_n) is the training split, [train_n, n) validation */
    int vocab;            /* the token alphabet: every token is in [0, vocab); 256, as tokens
                             are bytes */
    char source[256];     /* where it came from, for messages and run summaries */
} wu_corpus;

enum { WU_SPLIT_TRAIN, WU_SPLIT_VAL };

/* Load a file, or every regular file of a directory (sorted by name, hidden files skipped,
 * joined with a newline), as a byte corpus; the last `val_frac` (in (0, 0.5]) of it is the
 * validation split. Errors (WU_EIO / WU_EINVAL): unreadable path, an empty corpus, a directory
 * without files. */
int wu_corpus_load(wu_corpus *c, const char *path, double val_frac, wu_error *err);
/* The largest corpus wu_corpus_load accepts: it is held in memory. */
#define WU_CORPUS_MAX ((size_t)1 << 30)

/* The built-in language as a corpus of n bytes. */
int wu_corpus_builtin(wu_corpus *c, size_t n, uint64_t seed, double val_frac, wu_error *err);

/* Check that both splits hold at least one window of T + 1 bytes. */
int wu_corpus_check(const wu_corpus *c, int T, wu_error *err);

/* B random windows of T bytes from a split: tok = bytes [s, s+T), tgt = [s+1, s+T+1). */
void wu_corpus_batch(const wu_corpus *c, int split, wu_rng *r, int B, int T, int *tok, int *tgt);

void wu_corpus_free(wu_corpus *c);

/* ---- IDX files (idx.c) --------------------------------------------------------------------- */
typedef struct wu_idx {
    int ndim;
    int dims[4];
    size_t count;         /* dims[0] */
    size_t item;          /* bytes per item: product of dims[1..] */
    unsigned char *data;  /* count * item bytes (owned) */
} wu_idx;

/* Read an IDX file of unsigned bytes, gzip-compressed or plain. Rejects a wrong magic number,
 * another element type, 0 or more than 4 dimensions, a zero dimension, a file shorter or longer
 * than its header declares; never allocates more than the data that actually arrives. */
int wu_idx_read(wu_idx *out, const char *path, wu_error *err);
void wu_idx_free(wu_idx *x);

/* ---- image classification sets (images.c) ------------------------------------------------- */
typedef struct wu_images {
    int n, rows, cols;    /* rows x cols is at most WU_IMAGE_MAX_PIXELS */
    float *x;             /* n x rows*cols pixels in [0, 1] (owned) */
    unsigned char *y;     /* n labels, each in [0, classes) */
    int classes;          /* the largest label + 1, and at least 2 (Fashion-MNIST: 10) */
} wu_images;

/* The most pixels an image may have (4096 x 4096): rows * cols then fits an int, and a batch's
 * buffer its size_t, on every platform. */
#define WU_IMAGE_MAX_PIXELS ((size_t)1 << 24)

/* The default place of Debian's dataset-fashion-mnist package. */
#define WU_FASHION_DIR "/usr/share/datasets/fashion-mnist"

/* Load Fashion-MNIST's train and test sets from dir (NULL: $WU_FASHION_MNIST, else
 * WU_FASHION_DIR): any IDX set of that layout (labels 0-255; the class count is read from the
 * labels of each set). When the files are missing, the message names the apt-get command. */
int wu_fashion_load(wu_images *train, wu_images *test, const char *dir, wu_error *err);
void wu_images_free(wu_images *im);

/* ---- batches over a data set, shuffled per epoch (loader.c) ------------------------------- */
typedef struct wu_loader {
    int n, batch;
    int steps_per_epoch;  /* n / batch (the last partial batch of an epoch is dropped) */
    int64_t epoch;        /* the epoch of the next batch */
    int pos;              /* the next batch's index inside its epoch */
    uint64_t seed;
    uint32_t *perm;       /* this epoch's order (owned) */
} wu_loader;

/* n items in batches of `batch` (1 <= batch <= n). */
int wu_loader_init(wu_loader *l, int n, int batch, uint64_t seed, wu_error *err);
/* The next batch's item indices; a new epoch reshuffles, from (seed, epoch) alone, so a loader
 * restored with wu_loader_seek continues exactly. */
void wu_loader_next(wu_loader *l, int *idx);
/* Position the loader at (epoch, pos) as if it had run there. */
void wu_loader_seek(wu_loader *l, int64_t epoch, int pos);
void wu_loader_free(wu_loader *l);

#endif
