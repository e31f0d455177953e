/* fail.c - fill a wu_error (see fail.h). */
#include <stdarg.h>
#include <stdio.h>

#include "fail.h"

int wu_fail(wu_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        err->line = err->col = 0;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}
