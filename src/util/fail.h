/* fail.h - the one way every layer fills a wu_error.
 *
 * Library and engine functions report bad input through a caller-owned wu_error (see
 * warmup.h). This sets its code and a printf-formatted one-line message, clears the spec
 * position, and returns the code so that a caller can write `return wu_fail(err, ...)`.
 * err may be NULL: the caller then only gets the code. Messages longer than the buffer are
 * truncated, never overflowed. Internal: libwarmup.so carries it hidden (not part of the API). */
#ifndef WU_FAIL_H
#define WU_FAIL_H

#include "warmup.h"

int wu_fail(wu_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
