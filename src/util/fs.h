/* fs.h - directories. */
#ifndef WU_FS_H
#define WU_FS_H

#include "warmup.h"

/* Create a directory and its parents (like mkdir -p). Fails with WU_EINVAL when a part exists
 * and is not a directory (the message names it), WU_EIO when one cannot be made. */
int wu_mkdirs(const char *path, wu_error *err);

#endif
