/* outfile.c - atomic output files (see outfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "fail.h"
#include "outfile.h"

static void release(wu_outfile *o)
{
    free(o->path);
    free(o->tmp);
    o->path = o->tmp = NULL;
    o->f = NULL;
}

void wu_name_safe(char *s)
{
    for (; *s; s++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", *s)) *s = '_';
}

/* The temporary name: <path>.tmp.<host>.<pid>. The host (its first 24 characters, each one
 * outside [A-Za-z0-9_-] as '_') keeps two machines apart that write one directory on a shared
 * file system with the same pid; the pid, two processes of one machine. */
static void tmp_name(char *out, size_t n, const char *path)
{
    char host[65] = "";
    if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
    host[24] = '\0';
    wu_name_safe(host);
    snprintf(out, n, "%s.tmp.%s.%ld", path, host[0] ? host : "host", (long)getpid());
}

int wu_outfile_open(wu_outfile *o, const char *path, wu_error *err)
{
    struct stat st;
    memset(o, 0, sizeof *o);
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        return wu_fail(err, WU_EINVAL, "cannot write '%s': it is a directory; give a file name", path);
    }
    size_t n = strlen(path) + 64;
    o->path = strdup(path);
    o->tmp = malloc(n);
    if (!o->path || !o->tmp) {
        release(o);
        return wu_fail(err, WU_ENOMEM, "out of memory");
    }
    tmp_name(o->tmp, n, path);
    int fd = open(o->tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
        int saved = errno;
        if (fd >= 0) close(fd);
        release(o);
        return wu_fail(err, WU_EIO, "cannot write '%s': %s", path, strerror(saved));
    }
    return WU_OK;
}

int wu_write_fail(wu_error *err, const char *path, int errnum, long long need, int at_least)
{
    if (errnum == ENOSPC || errnum == EDQUOT) {
        if (need > 0)
            return wu_fail(err, WU_EIO, "cannot write '%s': no space left on device (%s%lld bytes "
                           "needed); free some space and rerun", path, at_least ? "at least " : "",
                           need);
        return wu_fail(err, WU_EIO, "cannot write '%s': no space left on device; free some space "
                       "and rerun", path);
    }
    return wu_fail(err, WU_EIO, "cannot write '%s': %s", path, strerror(errnum));
}

/* The cause of a write that failed earlier and left only the stream's error flag: a full file
 * system when it has less room than the file needs, else EIO. */
static int lost_errno(FILE *f, long long need)
{
    struct statvfs v;
    if (fstatvfs(fileno(f), &v) == 0 && (long long)v.f_bavail * (long long)v.f_frsize < need)
        return ENOSPC;
    return EIO;
}

int wu_outfile_sync(wu_outfile *o, wu_error *err)
{
    long long need = ftell(o->f);
    int early = ferror(o->f); /* a write failed before: the writer may have stopped short */
    errno = 0;
    int bad = fflush(o->f) != 0 || ferror(o->f) || fsync(fileno(o->f)) != 0;
    if (!bad) return WU_OK;
    int saved = errno ? errno : lost_errno(o->f, need);
    char *path = o->path;
    o->path = NULL;
    wu_outfile_abort(o);
    int rc = wu_write_fail(err, path, saved, need, early);
    free(path);
    return rc;
}

int wu_outfile_commit(wu_outfile *o, wu_error *err)
{
    long long need = ftell(o->f); /* the whole file, buffered bytes included */
    int early = ferror(o->f);      /* a write failed before: the writer may have stopped short */
    errno = 0;
    int bad = fflush(o->f) != 0 || ferror(o->f) || fsync(fileno(o->f)) != 0;
    int saved = errno ? errno : lost_errno(o->f, need); /* an earlier failed write left only the flag */
    if (fclose(o->f) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    o->f = NULL;
    if (!bad && rename(o->tmp, o->path) != 0) {
        bad = 1;
        saved = errno;
    }
    int rc = WU_OK;
    if (bad) {
        rc = wu_write_fail(err, o->path, saved, need, early);
        unlink(o->tmp);
    }
    release(o);
    return rc;
}

void wu_outfile_abort(wu_outfile *o)
{
    if (o->f) fclose(o->f);
    if (o->tmp) unlink(o->tmp);
    release(o);
}
