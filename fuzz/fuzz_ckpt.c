/* fuzz_ckpt.c - the checkpoint loader. The input is a checkpoint without its trailing checksum:
 * the target appends a valid FNV-1a so that the fuzzer reaches past the checksum into the
 * header, the configuration record (name=value lines, src/train/config.h) and the size checks
 * (a checksum is not a parser). A checkpoint that loads must carry a configuration that the
 * same checks as the command line accept or refuse with a message. Seeds (fuzz/corpus/ckpt):
 * `tiny`, a real checkpoint of a 1-layer GPT; `header`, its magic and record with an empty
 * state (no parameters); both in format 03, without the checksum. */
#include <sys/stat.h>

#include "fuzz.h"
#include "util/checksum.h"
#include "train/run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char dir[128];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/wu-fuzz-ckpt-%ld", (long)getpid());
        mkdir(dir, 0755);
    }
    unsigned char *b = malloc(size + 8);
    if (!b) abort();
    memcpy(b, data, size);
    uint64_t sum = wu_fnv1a(b, size);
    memcpy(b + size, &sum, 8);
    char path[200];
    snprintf(path, sizeof path, "%s/checkpoint.bin", dir);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b, 1, size + 8, f) != size + 8) abort();
    fclose(f);
    free(b);
    wu_train_config c;
    unsigned char *blob = NULL;
    size_t len = 0;
    wu_error err;
    if (wu_ckpt_read(dir, &c, &blob, &len, &err) == WU_OK) {
        if (wu_train_check(&c, &err) != WU_OK && !err.msg[0]) abort();
        free(blob);
    } else if (!err.msg[0]) {
        abort();
    }
    return 0;
}
