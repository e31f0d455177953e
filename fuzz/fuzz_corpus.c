/* fuzz_corpus.c - the text corpus reader: any bytes as a corpus file, split into train and
 * validation, checked against a context length and sampled, as a GPT run does. */
#include "fuzz.h"
#include "data/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const char *path = fuzz_file("corpus.txt", data + 1, size - 1);
    wu_corpus c;
    wu_error err;
    double val = (data[0] & 7) / 10.0;
    if (wu_corpus_load(&c, path, val, &err) == WU_OK) {
        int T = 1 + (data[0] >> 3);
        if (wu_corpus_check(&c, T, &err) == WU_OK) {
            wu_rng r;
            wu_rng_seed(&r, 1);
            int tok[2 * 32], tgt[2 * 32];
            for (int split = 0; split < 2; split++) wu_corpus_batch(&c, split, &r, 2, T, tok, tgt);
            for (int i = 0; i < 2 * T; i++)
                if (tok[i] < 0 || tok[i] > 255 || tgt[i] < 0 || tgt[i] > 255) abort();
        }
        wu_corpus_free(&c);
    } else if (!err.msg[0]) {
        abort();
    }
    return 0;
}
