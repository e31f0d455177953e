/* launch.c - a run of a grid on K ranks: `mpirun -np K warmup train ...` in the run's child
 * process (wu_lab_opts.launch). The launcher is $WU_MPIRUN (words split at spaces, e.g.
 * "mpirun --oversubscribe" or "mpiexec"), else mpirun; it must take "-np K PROGRAM ARGS". */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../train/config.h"
#include "cli.h"
#include "lab_cli.h"

#define MAXW 160   /* the launcher's words */
#define CFGW 250   /* the run's configuration as words (wu_train_config_argv) */

/* The launcher's words into w (pointing into buf); returns how many (0: none). */
static int launcher_words(char *buf, size_t n, char **w, int max)
{
    const char *l = getenv("WU_MPIRUN");
    snprintf(buf, n, "%s", l && strspn(l, " \t") < strlen(l) ? l : "mpirun");
    int k = 0;
    for (char *t = strtok(buf, " \t"); t && k < max; t = strtok(NULL, " \t")) w[k++] = t;
    return k;
}

/* Is name a program this process can run: a path to an executable file, or one on PATH? */
static int runnable(const char *name)
{
    struct stat st;
    if (strchr(name, '/')) return access(name, X_OK) == 0 && stat(name, &st) == 0 && S_ISREG(st.st_mode);
    const char *path = getenv("PATH");
    if (!path) return 0;
    while (*path) {
        size_t len = strcspn(path, ":");
        char full[PATH_MAX];
        if (snprintf(full, sizeof full, "%.*s/%s", (int)len, len ? path : ".", name) < (int)sizeof full &&
            access(full, X_OK) == 0 && stat(full, &st) == 0 && S_ISREG(st.st_mode))
            return 1;
        path += len + (path[len] == ':');
    }
    return 0;
}

int cli_launcher(char *name, size_t n)
{
    char buf[1024], *w[MAXW];
    int k = launcher_words(buf, sizeof buf, w, MAXW);
    snprintf(name, n, "%s", k ? w[0] : "mpirun");
    return k > 0 && runnable(w[0]);
}

int cli_launch_train(const struct wu_train_config *c, int ranks, int resume, int threads, void *ctx)
{
    (void)ctx;
    static char lbuf[1024], cbuf[16384], np[16], exe[PATH_MAX];
    /* the launcher, -np K PROGRAM train, the configuration, --force -q, the NULL */
    static char *argv[MAXW + 4 + CFGW + 2 + 1];
    int k = launcher_words(lbuf, sizeof lbuf, argv, MAXW);
    if (k == 0) return 2;
    cli_self_exe(exe, sizeof exe);
    snprintf(np, sizeof np, "%d", ranks);
    argv[k++] = "-np";
    argv[k++] = np;
    argv[k++] = exe;
    argv[k++] = "train";
    if (resume) { /* its saved configuration; the run goes on where its checkpoint is */
        argv[k++] = "--resume";
        argv[k++] = (char *)c->out;
    } else {          /* afresh: what an interrupted start left in its directory is replaced */
        int m = wu_train_config_argv(c, argv + k, CFGW, cbuf, sizeof cbuf);
        if (m < 0) {
            fprintf(stderr, "its configuration is too long to pass to %s\n", argv[0]);
            return 2;
        }
        k += m;
        argv[k++] = "--force";
    }
    argv[k++] = "-q";
    argv[k] = NULL;
    char t[16];
    snprintf(t, sizeof t, "%d", threads);
    setenv("OMP_NUM_THREADS", t, 1);
    execvp(argv[0], argv);
    fprintf(stderr, "cannot start %s: %s (install openmpi-bin, or set WU_MPIRUN to the MPI "
            "launcher)\n", argv[0], strerror(errno));
    return 2;
}
