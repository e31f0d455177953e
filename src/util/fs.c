/* fs.c - directories (see fs.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fail.h"
#include "fs.h"

int wu_mkdirs(const char *path, wu_error *err)
{
    char p[600];
    if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p)
        return wu_fail(err, WU_EINVAL, "the path %.60s... is too long", path);
    for (char *q = p + 1;; q++) {
        if (*q != '/' && *q != '\0') continue;
        char save = *q;
        *q = '\0';
        struct stat sb;
        if (stat(p, &sb) == 0) {
            if (!S_ISDIR(sb.st_mode))
                return wu_fail(err, WU_EINVAL, "%s exists and is not a directory: choose another "
                               "path", p);
        } else if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            return wu_fail(err, WU_EIO, "cannot create %s: %s", p, strerror(errno));
        }
        *q = save;
        if (!save) break;
    }
    return WU_OK;
}
