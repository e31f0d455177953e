/* fuzz_idx.c - the IDX reader (plain and gzip): any file must be read or refused, never read out
 * of bounds or allocate more than arrives. */
#include "fuzz.h"
#include "data/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file("idx", data, size);
    wu_idx x;
    wu_error err;
    if (wu_idx_read(&x, path, &err) == WU_OK) {
        size_t sum = 0; /* touch every byte the reader says it holds */
        for (size_t i = 0; i < x.count * x.item; i++) sum += x.data[i];
        (void)sum;
        wu_idx_free(&x);
    } else if (!err.msg[0]) {
        abort();
    }
    return 0;
}
