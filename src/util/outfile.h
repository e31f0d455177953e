/* outfile.h - output files that appear whole or not at all: write to a temporary file beside
 * the target, then flush, fsync and rename over it. A crash or an error leaves no partial file. */
#ifndef WU_OUTFILE_H
#define WU_OUTFILE_H

#include <stdio.h>

#include "warmup.h"

typedef struct wu_outfile {
    FILE *f;        /* write here between open and commit */
    char *path;     /* the final name (owned) */
    char *tmp;      /* the temporary name (owned) */
} wu_outfile;

/* Open a temporary file next to `path` (`path.tmp.<host>.<pid>`: unique across the machines
 * that share a file system). Returns WU_OK, or WU_EINVAL (path is a directory),
 * WU_EIO (cannot create it) or WU_ENOMEM, with what and why in err (e.g. "cannot write
 * 'out/x.svg': No such file or directory"). */
int wu_outfile_open(wu_outfile *o, const char *path, wu_error *err);

/* Flush and sync without renaming: WU_OK, or WU_EIO with a message, and then the file is
 * discarded (as wu_outfile_abort). For writing a file whole before removing what it replaces. */
int wu_outfile_sync(wu_outfile *o, wu_error *err);

/* The message of a failed write of `path` with errno errnum: a full file system (ENOSPC,
 * EDQUOT) is "no space left on device (N bytes needed)" when need > 0 ("at least N" when
 * at_least: the writer stopped at an earlier error), else strerror. Returns WU_EIO. */
int wu_write_fail(wu_error *err, const char *path, int errnum, long long need, int at_least);

/* Flush, sync and rename into place. Returns WU_OK, or WU_EIO with a message (the temporary
 * file is removed either way); a full disk is named as such, with the bytes the file needs. */
int wu_outfile_commit(wu_outfile *o, wu_error *err);

/* Make s (NUL-terminated) a safe part of a file name, in place: each character outside
 * [A-Za-z0-9_-] becomes '_' (no '/', no '.', so never "." or ".." nor a path). */
void wu_name_safe(char *s);

/* Discard: close and remove the temporary file. Safe after a failed open. */
void wu_outfile_abort(wu_outfile *o);

#endif
