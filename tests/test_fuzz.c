/* test_fuzz.c - every committed fuzz seed (fuzz/corpus/NAME) and every input a fuzzer ever
 * crashed on (fuzz/regressions/NAME) replayed through the same five targets, without libFuzzer:
 * under `make sanitize` a regression is an ASan/UBSan failure, here at least a crash. Each call
 * runs with stdout and stderr sent to /dev/null (the targets' inputs are mostly bad input). */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "harness.h"

#define WU_FUZZ_REPLAY 1
#define LLVMFuzzerTestOneInput fuzz_spec_one
#include "../fuzz/fuzz_spec.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_idx_one
#include "../fuzz/fuzz_idx.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_corpus_one
#include "../fuzz/fuzz_corpus.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_ckpt_one
#include "../fuzz/fuzz_ckpt.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_cli_one
#include "../fuzz/fuzz_cli.c"
#undef LLVMFuzzerTestOneInput

typedef int (*target)(const uint8_t *, size_t);

static int replay_dir(const char *dir, target t)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    int null = open("/dev/null", O_WRONLY), out = dup(1), err = dup(2);
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[600];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        long len;
        char *buf = th_slurp(path, &len);
        if (!buf) { /* not a check of the target: a failure, never a pass */
            CHECK(0, "cannot read %s", path);
            continue;
        }
        /* name the input on the real stderr first: if a target crashes (under make sanitize its
           report goes to the silenced stderr), the last line says which input it was */
        char note[700];
        int len2 = snprintf(note, sizeof note, "test_fuzz: replaying %s\n", path);
        if (write(err, note, (size_t)len2) < 0) { /* nothing to do */ }
        fflush(stdout);
        dup2(null, 1), dup2(null, 2);
        int rc = t((const uint8_t *)buf, (size_t)len);
        fflush(stdout), fflush(stderr);
        dup2(out, 1), dup2(err, 2);
        /* a target returns 0 after checking its properties (a violated one aborts); anything
           else is a failure, and a crash or a sanitizer report ends the run */
        CHECK(rc == 0, "%s: the target returned %d", path, rc);
        free(buf);
        n++;
    }
    close(null), close(out), close(err);
    closedir(d);
    return n;
}

int main(void)
{
    static const char *const name[5] = {"spec", "idx", "corpus", "ckpt", "cli"};
    target t[5] = {fuzz_spec_one, fuzz_idx_one, fuzz_corpus_one, fuzz_ckpt_one, fuzz_cli_one};
    for (int i = 0; i < 5; i++) {
        char dir[200];
        snprintf(dir, sizeof dir, "fuzz/corpus/%s", name[i]);
        int seeds = replay_dir(dir, t[i]);
        CHECK(seeds >= 2, "fuzz/corpus/%s holds its seeds (%d)", name[i], seeds);
        snprintf(dir, sizeof dir, "fuzz/regressions/%s", name[i]);
        replay_dir(dir, t[i]);
    }
    char tmp[300];
    static const char *const files[] = {"idx", "corpus.txt"};
    for (int i = 0; i < 2; i++) { /* what the targets wrote (fuzz_file, fuzz_ckpt) */
        snprintf(tmp, sizeof tmp, "/tmp/wu-fuzz-%ld-%s", (long)getpid(), files[i]);
        unlink(tmp);
    }
    snprintf(tmp, sizeof tmp, "/tmp/wu-fuzz-ckpt-%ld/checkpoint.bin", (long)getpid());
    unlink(tmp);
    snprintf(tmp, sizeof tmp, "/tmp/wu-fuzz-ckpt-%ld", (long)getpid());
    rmdir(tmp);
    return th_done("test_fuzz");
}
