/* fuzz.h - what the libFuzzer targets share: the input as a NUL-terminated string, and the input
 * written to a private temporary file for the readers that take a path. */
#ifndef WU_FUZZ_H
#define WU_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline char *fuzz_str(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* A path private to this process (libFuzzer may run jobs in parallel); rewritten per input. */
static inline const char *fuzz_file(const char *name, const uint8_t *data, size_t size)
{
    static char path[256];
    snprintf(path, sizeof path, "/tmp/wu-fuzz-%ld-%s", (long)getpid(), name);
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (size && fwrite(data, 1, size, f) != size) abort();
    fclose(f);
    return path;
}

#endif
