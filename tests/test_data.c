/* test_data.c - the data layer: the built-in language, byte corpora and their errors, IDX
 * files (valid, truncated, lying, malformed; plain and gzip), Fashion-MNIST's loader messages,
 * and the shuffling batch iterator. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "data/data.h"
#include "harness.h"

static char dir[256];

static void write_file(const char *name, const void *data, size_t n)
{
    char p[400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    fwrite(data, 1, n, f);
    fclose(f);
}

static void write_gz(const char *name, const void *data, size_t n)
{
    char p[400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    gzFile f = gzopen(p, "wb");
    gzwrite(f, data, (unsigned)n);
    gzclose(f);
}

static const char *path(const char *name)
{
    static char p[400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static void test_builtin(void)
{
    enum { N = 200000 };
    char *a = malloc(N + 1), *b = malloc(N), *c = malloc(N);
    wu_builtin_text(a, N, 1);
    a[N] = '\0'; /* for strstr below */
    wu_builtin_text(b, N, 1);
    wu_builtin_text(c, N, 2);
    CHECK(memcmp(a, b, N) == 0, "the same seed gives the same text");
    CHECK(memcmp(a, c, N) != 0, "another seed gives another text");
    int printable = 1, periods = 0, upper_after = 1;
    double counts[256] = {0}, H = 0;
    for (int i = 0; i < N; i++) {
        unsigned char ch = (unsigned char)a[i];
        printable &= (ch >= 32 && ch < 127) || ch == '\n';
        counts[ch]++;
        if (ch == '.') {
            periods++;
            int j = i + 1;
            while (j < N && (a[j] == ' ' || a[j] == '\n')) j++;
            if (j < N && !(a[j] >= 'A' && a[j] <= 'Z')) upper_after = 0;
        }
    }
    for (int i = 0; i < 256; i++)
        if (counts[i] > 0) H -= counts[i] / N * log(counts[i] / N);
    CHECK(printable, "the built-in text is printable ASCII and newlines");
    CHECK(periods > N / 200 && upper_after, "sentences end with '.' and start with a capital");
    CHECK(H > 2.5 && H < 3.5, "its unigram entropy (%.2f nats) is English-like", H);
    /* number agreement: "the dog sees" but never "the dog see " */
    CHECK(strstr(a, "dogs see ") || strstr(a, "dog sees "), "agreement examples present");
    CHECK(!strstr(a, " the dog see ") && !strstr(a, " the dogs sees "), "no agreement errors");
    free(a); free(b); free(c);
}

static void test_corpus(void)
{
    wu_corpus c;
    wu_error e;
    char text[1000];
    for (int i = 0; i < 1000; i++) text[i] = (char)('a' + i % 26);
    write_file("one.txt", text, 1000);
    CHECK(wu_corpus_load(&c, path("one.txt"), 0.1, &e) == WU_OK, "load a file: %s", e.msg);
    CHECK(c.n == 1000 && c.train_n == 900, "split 900 + 100 of %zu", c.n);
    CHECK(wu_corpus_check(&c, 64, &e) == WU_OK, "64-byte windows fit");
    CHECK(wu_corpus_check(&c, 100, &e) == WU_EINVAL && strstr(e.msg, "too short") &&
              strstr(e.msg, "sequence length") && !strstr(e.msg, "--"),
          "100-byte windows do not fit the 100-byte split: %s", e.msg);
    CHECK(c.vocab == 256, "a byte corpus has 256 tokens (%d)", c.vocab);
    /* windows come from their own split, deterministically */
    int tok[4 * 16], tgt[4 * 16], tok2[4 * 16];
    wu_rng r1, r2;
    wu_rng_seed(&r1, 5);
    wu_rng_seed(&r2, 5);
    wu_corpus_batch(&c, WU_SPLIT_VAL, &r1, 4, 16, tok, tgt);
    wu_corpus_batch(&c, WU_SPLIT_VAL, &r2, 4, 16, tok2, tgt);
    CHECK(memcmp(tok, tok2, sizeof tok) == 0, "the same seed gives the same windows");
    int in_val = 1, shifted = 1;
    for (int b = 0; b < 4; b++)
        for (int t = 0; t < 16; t++) {
            /* the validation split starts at byte 900 = 'a' + 900 % 26 */
            shifted &= tgt[b * 16 + t] == 'a' + ((tok[b * 16 + t] - 'a') + 1) % 26;
        }
    wu_rng_seed(&r1, 9);
    for (int k = 0; k < 200; k++) {
        wu_corpus_batch(&c, WU_SPLIT_TRAIN, &r1, 1, 16, tok, tgt);
        (void)tok;
    }
    CHECK(in_val && shifted, "targets are the next bytes");
    wu_corpus_free(&c);

    /* a directory: files in name order joined by newlines, hidden files skipped */
    char sub[300];
    snprintf(sub, sizeof sub, "%s/d", dir);
    mkdir(sub, 0755);
    write_file("d/b.txt", "BBBB", 4);
    write_file("d/a.txt", "AAAA", 4);
    write_file("d/.hidden", "HHHH", 4);
    CHECK(wu_corpus_load(&c, sub, 0.25, &e) == WU_OK && c.n == 9 &&
              memcmp(c.data, "AAAA\nBBBB", 9) == 0, "a directory corpus");
    wu_corpus_free(&c);

    write_file("empty.txt", "", 0);
    CHECK(wu_corpus_load(&c, path("empty.txt"), 0.1, &e) == WU_EINVAL && strstr(e.msg, "empty"),
          "an empty file: %s", e.msg);
    CHECK(wu_corpus_load(&c, path("nope.txt"), 0.1, &e) == WU_EIO && strstr(e.msg, "cannot read") &&
              strstr(e.msg, "nope.txt"), "a missing file: %s", e.msg);
    snprintf(sub, sizeof sub, "%s/emptydir", dir);
    mkdir(sub, 0755);
    CHECK(wu_corpus_load(&c, sub, 0.1, &e) == WU_EINVAL && strstr(e.msg, "no regular file"),
          "a directory without files: %s", e.msg);
    if (getuid() != 0) { /* root reads anything */
        write_file("locked.txt", "x", 1);
        chmod(path("locked.txt"), 0);
        CHECK(wu_corpus_load(&c, path("locked.txt"), 0.1, &e) == WU_EIO, "an unreadable file");
    }
    CHECK(wu_corpus_builtin(&c, 50000, 3, 0.1, &e) == WU_OK && c.train_n == 45000 &&
              strstr(c.source, "builtin"), "the built-in corpus");
    wu_corpus_free(&c);
}

/* An IDX header for unsigned bytes with the given dimensions. */
static size_t idx_header(unsigned char *h, int ndim, const unsigned *dims)
{
    h[0] = h[1] = 0;
    h[2] = 0x08;
    h[3] = (unsigned char)ndim;
    for (int i = 0; i < ndim; i++) {
        h[4 + 4 * i] = (unsigned char)(dims[i] >> 24);
        h[5 + 4 * i] = (unsigned char)(dims[i] >> 16);
        h[6 + 4 * i] = (unsigned char)(dims[i] >> 8);
        h[7 + 4 * i] = (unsigned char)dims[i];
    }
    return 4 + 4 * (size_t)ndim;
}

static void test_idx(void)
{
    unsigned char buf[4096];
    unsigned dims[3] = {5, 4, 3};
    size_t h = idx_header(buf, 3, dims);
    for (int i = 0; i < 60; i++) buf[h + i] = (unsigned char)i;
    write_file("ok.idx", buf, h + 60);
    write_gz("ok.idx.gz", buf, h + 60);
    wu_idx x;
    wu_error e;
    for (int gz = 0; gz < 2; gz++) {
        int rc = wu_idx_read(&x, path(gz ? "ok.idx.gz" : "ok.idx"), &e);
        CHECK(rc == WU_OK && x.ndim == 3 && x.count == 5 && x.item == 12 && x.data[59] == 59,
              "valid IDX (%s): %s", gz ? "gzip" : "plain", rc ? e.msg : "");
        wu_idx_free(&x);
    }
    static const struct { const char *name; size_t len; int patch_at, patch_val; const char *msg; } bad[] = {
        {"trunc_data.idx", 16 + 30, -1, 0, "truncated: the header declares 60 data bytes, the file holds 30"},
        {"trunc_head.idx", 10, -1, 0, "truncated inside the header"},
        {"tiny.idx", 3, -1, 0, "shorter than an IDX header"},
        {"magic.idx", 16 + 60, 0, 7, "not an IDX file"},
        {"type.idx", 16 + 60, 2, 0x0d, "element type 0x0d is not supported"},
        {"ndim.idx", 16 + 60, 3, 9, "9 dimensions"},
        {"zero.idx", 16 + 60, 7, 0, "dimension 1 is 0"},
        {"extra.idx", 16 + 61, -1, 0, "more than the 60 data bytes"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        unsigned char b2[4096];
        memcpy(b2, buf, h + 60);
        b2[h + 60] = 1;
        if (bad[i].patch_at >= 0) b2[bad[i].patch_at] = (unsigned char)bad[i].patch_val;
        if (!strcmp(bad[i].name, "zero.idx")) b2[4] = b2[5] = b2[6] = 0;
        write_file(bad[i].name, b2, bad[i].len);
        int rc = wu_idx_read(&x, path(bad[i].name), &e);
        CHECK(rc == WU_EIO && strstr(e.msg, bad[i].msg) && strstr(e.msg, bad[i].name),
              "%s: rc %d, '%s'", bad[i].name, rc, e.msg);
        CHECK(x.data == NULL, "%s: nothing kept on failure", bad[i].name);
    }
    /* a header that lies about a huge size is refused without allocating it */
    unsigned big[3] = {60000, 60000, 60000};
    h = idx_header(buf, 3, big);
    write_file("huge.idx", buf, h + 10);
    CHECK(wu_idx_read(&x, path("huge.idx"), &e) == WU_EIO && strstr(e.msg, "more than 2 GiB"),
          "a lying header: %s", e.msg);
    unsigned lie[1] = {100000000};
    h = idx_header(buf, 1, lie);
    write_gz("lie.idx.gz", buf, h + 100);
    CHECK(wu_idx_read(&x, path("lie.idx.gz"), &e) == WU_EIO && strstr(e.msg, "truncated"),
          "a gzip file shorter than its header says: %s", e.msg);
    write_file("corrupt.gz", "\x1f\x8b\x08\x00garbage-garbage", 19);
    CHECK(wu_idx_read(&x, path("corrupt.gz"), &e) == WU_EIO, "corrupt gzip: %s", e.msg);
}

static void test_images(void)
{
    wu_images tr, te;
    wu_error e;
    CHECK(wu_fashion_load(&tr, &te, dir, &e) == WU_EIO &&
              strstr(e.msg, "apt-get install dataset-fashion-mnist") && strstr(e.msg, "as the data") &&
              !strstr(e.msg, "--"),
          "a missing data set names the package, and no CLI flag: %s", e.msg);
    /* a tiny well-formed set: 3 images of 2x2, labels 0..2 */
    unsigned char buf[64];
    unsigned di[3] = {3, 2, 2}, dl[1] = {3};
    size_t h = idx_header(buf, 3, di);
    for (int i = 0; i < 12; i++) buf[h + i] = (unsigned char)(i * 20);
    write_gz("train-images-idx3-ubyte.gz", buf, h + 12);
    write_gz("t10k-images-idx3-ubyte.gz", buf, h + 12);
    h = idx_header(buf, 1, dl);
    buf[h] = 0, buf[h + 1] = 1, buf[h + 2] = 2;
    write_file("train-labels-idx1-ubyte", buf, h + 3);
    write_file("t10k-labels-idx1-ubyte", buf, h + 3);
    CHECK(wu_fashion_load(&tr, &te, dir, &e) == WU_OK && tr.n == 3 && tr.rows == 2 &&
              fabsf(tr.x[11] - 220.0f / 255.0f) < 1e-7f && te.y[2] == 2 && tr.classes == 3,
          "a tiny IDX set loads, plain and gzip mixed, 3 classes: %s", e.msg);
    wu_images_free(&tr);
    wu_images_free(&te);
    /* the classes are the labels': any byte, at least two */
    buf[h + 1] = 12;
    write_file("train-labels-idx1-ubyte", buf, h + 3);
    CHECK(wu_fashion_load(&tr, &te, dir, &e) == WU_OK && tr.classes == 13 && te.classes == 3 &&
              tr.y[1] == 12,
          "labels up to 12: 13 classes (%d): %s", tr.classes, e.msg);
    wu_images_free(&tr);
    wu_images_free(&te);
    buf[h] = buf[h + 1] = buf[h + 2] = 0;
    write_file("train-labels-idx1-ubyte", buf, h + 3);
    CHECK(wu_fashion_load(&tr, &te, dir, &e) == WU_OK && tr.classes == 2,
          "only label 0: still two classes (%d)", tr.classes);
    wu_images_free(&tr);
    wu_images_free(&te);
    /* images of more than WU_IMAGE_MAX_PIXELS: refused before rows * cols can overflow */
    unsigned big[3] = {1, 4097, 4097};
    size_t bn = (size_t)4097 * 4097;
    unsigned char *b = calloc(1, 16 + bn);
    size_t bh = idx_header(b, 3, big);
    write_gz("train-images-idx3-ubyte.gz", b, bh + bn);
    free(b);
    unsigned one[1] = {1};
    h = idx_header(buf, 1, one);
    buf[h] = 1;
    write_file("train-labels-idx1-ubyte", buf, h + 1);
    CHECK(wu_fashion_load(&tr, &te, dir, &e) == WU_EIO && strstr(e.msg, "4097 x 4097") &&
              strstr(e.msg, "larger than"),
          "images of 4097 x 4097 pixels: %s", e.msg);
}

static void test_loader(void)
{
    wu_loader a, b;
    wu_error e;
    CHECK(wu_loader_init(&a, 10, 11, 1, &e) == WU_EINVAL && strstr(e.msg, "batch size 11"),
          "a batch larger than the data: %s", e.msg);
    wu_loader_init(&a, 103, 10, 42, NULL);
    CHECK(a.steps_per_epoch == 10, "10 full batches per epoch");
    int idx[10], seen[103] = {0}, first[10];
    for (int s = 0; s < 10; s++) {
        wu_loader_next(&a, idx);
        if (s == 0) memcpy(first, idx, sizeof first);
        for (int i = 0; i < 10; i++) seen[idx[i]]++;
    }
    int dup = 0, used = 0;
    for (int i = 0; i < 103; i++) {
        dup |= seen[i] > 1;
        used += seen[i];
    }
    CHECK(!dup && used == 100, "an epoch draws each item at most once");
    wu_loader_next(&a, idx);
    CHECK(a.epoch == 1 && memcmp(idx, first, sizeof idx) != 0, "the next epoch reshuffles");
    /* a loader positioned with seek continues exactly */
    int want[10];
    for (int s = 0; s < 7; s++) wu_loader_next(&a, want);
    wu_loader_init(&b, 103, 10, 42, NULL);
    wu_loader_seek(&b, 1, 8);
    wu_loader_next(&b, idx);
    wu_loader_next(&a, want);
    CHECK(memcmp(idx, want, sizeof idx) == 0, "seek(epoch, pos) resumes the same order");
    wu_loader_free(&a);
    wu_loader_free(&b);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/wu_test_data.%d", (int)getpid());
    mkdir(dir, 0755);
    test_builtin();
    test_corpus();
    test_idx();
    test_images();
    test_loader();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("  could not remove %s\n", dir);
    return th_done("test_data");
}
