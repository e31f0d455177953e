/* lab.c - running a grid of training runs side by side, one child process per run.
 *
 * Why processes and not threads: each run owns an OpenMP pool, its files and its signal
 * handling; a run that dies takes nothing else with it; and the kernel shares the cores. The
 * parent only forks, polls metrics.csv line counts for the progress bar, and reaps. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

#include "../util/fail.h"
#include "lab.h"

/* ---- summaries ------------------------------------------------------------------------------ */

int wu_run_summary_read(const char *dir, wu_run_summary *s, wu_error *err)
{
    memset(s, 0, sizeof *s);
    s->diverged_at = -1;
    char path[700];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    if (access(path, F_OK) != 0 && errno == ENOENT) return WU_OK;
    cJSON *j = wu_json_read(path, err);
    if (!j) return err->code;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "status");
    if (!cJSON_IsString(st)) {
        cJSON_Delete(j);
        return wu_fail(err, WU_EINVAL, "%s is not a run summary (no \"status\"): was it written by "
                       "warmup train?", path);
    }
    s->status = !strcmp(st->valuestring, "completed") ? WU_RUN_COMPLETED
              : !strcmp(st->valuestring, "diverged") ? WU_RUN_DIVERGED
              : !strcmp(st->valuestring, "interrupted") ? WU_RUN_INTERRUPTED : WU_RUN_MISSING;
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(j, "config");
    double steps = wu_json_num(cfg, "steps"), done = wu_json_num(j, "steps_done"), at = wu_json_num(j, "diverged_at");
    double best = wu_json_num(j, "best_step");
    s->steps = isfinite(steps) ? (int64_t)steps : 0;
    s->steps_done = isfinite(done) ? (int64_t)done : 0;
    s->best_step = isfinite(best) ? (int64_t)best : -1;
    s->diverged_at = isfinite(at) ? (int64_t)at : -1;
    s->first_loss = wu_json_num(j, "first_loss");
    s->final_loss = wu_json_num(j, "final_loss");
    s->best_loss = wu_json_num(j, "best_loss");
    s->final_val_loss = wu_json_num(j, "final_val_loss");
    s->final_val_acc = wu_json_num(j, "final_val_acc");
    s->max_grad_norm_early = wu_json_num(j, "max_grad_norm_first_10pct");
    s->items_per_s = wu_json_num(j, "tokens_per_s");
    if (isnan(s->items_per_s)) s->items_per_s = wu_json_num(j, "images_per_s");
    s->wall_s = wu_json_num(j, "wall_time_s");
    double sp = wu_json_num(j, "spikes");
    s->spikes = isfinite(sp) ? (int)sp : 0;
    double rk = wu_json_num(j, "ranks"), rb = wu_json_num(j, "rank_batch");
    s->ranks = isfinite(rk) && rk >= 1 && rk <= 1 << 20 ? (int)rk : 0;
    s->rank_batch = isfinite(rb) && rb >= 1 && rb <= 1 << 20 ? (int)rb : 0;
    cJSON_Delete(j);
    return WU_OK;
}

double wu_run_score(const wu_run_summary *s)
{
    if (s->status != WU_RUN_COMPLETED) return NAN;
    return isfinite(s->final_val_loss) ? s->final_val_loss : s->final_loss;
}

/* ---- running -------------------------------------------------------------------------------- */

static long cores(void)
{
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    return c > 0 ? c : 1;
}

void wu_lab_plan(int n, int *jobs, int *threads)
{
    long c = cores();
    *jobs = n < c ? (n > 0 ? n : 1) : (int)c;
    *threads = (int)(c / *jobs) > 0 ? (int)(c / *jobs) : 1;
}

static volatile sig_atomic_t child_stop;
static void on_term(int sig)
{
    (void)sig;
    child_stop = 1;
}

/* In the child: resume from a checkpoint when there is one (an interrupted or killed run), else
 * start afresh. A checkpoint that does not load (corrupt, another build) means a fresh start. */
static int child_run(wu_train_config *c, int ranks, const wu_lab_opts *o, int threads, pid_t parent,
                     const sigset_t *old, int msgfd)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* no orphaned runs when the parent is killed */
#endif
    if (getppid() != parent) child_stop = 1; /* it died before prctl */
    char ck[600];
    snprintf(ck, sizeof ck, "%s/checkpoint.bin", c->out);
    if (ranks > 1) { /* the launcher's processes: their messages are the run's */
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) dup2(null, STDOUT_FILENO), close(null);
        dup2(msgfd, STDERR_FILENO);
        close(msgfd);
        /* a stop from here on ends this process (the launcher is not started yet, or it gets
           the signal itself once exec'd): a flag set now would be seen by nobody */
        sa.sa_handler = SIG_DFL;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        sigprocmask(SIG_SETMASK, old, NULL);
        if (child_stop) return 0; /* stopped before it started: nothing to resume */
        int per = threads / ranks > 0 ? threads / ranks : 1;
        /* resume only from a checkpoint that loads, as in one process (below); else afresh */
        wu_error e;
        int resume = access(ck, R_OK) == 0 && wu_train_resumable(c, &e) == WU_OK;
        return o->launch(c, ranks, resume, per, o->launch_ctx);
    }
    sigprocmask(SIG_SETMASK, old, NULL);    /* signals blocked across fork arrive now */
#ifdef _OPENMP
    omp_set_num_threads(threads);
#else
    (void)threads;
#endif
    wu_train_result r;
    wu_error err;
    int rc = WU_EINVAL;
    r.failed = 0;
    if (access(ck, R_OK) == 0) {
        wu_train_config rc_ = *c;
        rc = wu_train(&rc_, 1, 0, &child_stop, NULL, NULL, &r, &err);
    }
    /* a fresh start only when the checkpoint did not open: a resumed run that failed while
       running (a full disk) keeps its rows and checkpoint for the next try */
    if (rc != WU_OK && !r.failed) rc = wu_train(c, 0, 0, &child_stop, NULL, NULL, &r, &err);
    if (rc != WU_OK) { /* the parent puts it in the run's msg */
        size_t len = strlen(err.msg), off = 0;
        while (off < len) {
            ssize_t w = write(msgfd, err.msg + off, len - off);
            if (w <= 0) break;
            off += (size_t)w;
        }
    }
    return rc == WU_OK ? 0 : 2;
}

/* Rows a running run has logged so far (its metrics.csv lines less the header). */
static long rows_logged(const char *dir)
{
    char path[700];
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    long n = 0;
    int ch;
    while ((ch = getc(f)) != EOF) n += ch == '\n';
    fclose(f);
    return n > 0 ? n - 1 : 0;
}

/* Read what the pipe holds into r->msg (the first bytes; the rest is dropped). */
static void drain(int fd, wu_lab_run *r, size_t *len)
{
    char scratch[512];
    for (;;) {
        size_t room = sizeof r->msg - 1 - *len;
        ssize_t got = room ? read(fd, r->msg + *len, room) : read(fd, scratch, sizeof scratch);
        if (got <= 0) break;
        if (room) *len += (size_t)got;
    }
    r->msg[*len] = '\0';
}

int wu_lab_ranks_fit(int batch, int ranks, wu_error *err)
{
    if (ranks < 1 || batch % ranks == 0) return WU_OK;
    return wu_fail(err, WU_EINVAL, "batch %d is not divisible by %d ranks: each rank takes an equal "
                   "share; use a number of ranks that divides %d", batch, ranks, batch);
}

static int finished(int status) { return status == WU_RUN_COMPLETED || status == WU_RUN_DIVERGED; }

int wu_lab_exec(wu_lab_run *runs, int n, const wu_lab_opts *o, wu_error *err)
{
    int rc;
    for (int i = 0; i < n; i++) {
        if ((rc = wu_train_check(&runs[i].c, err)) != WU_OK) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err->msg);
            return wu_fail(err, rc, "run %s: %s", runs[i].c.out, msg);
        }
        runs[i].failed = 0;
        if (runs[i].ranks > 1 && !o->launch)
            return wu_fail(err, WU_EINVAL, "run %s: planned on %d ranks, but nothing can launch "
                           "them here", runs[i].c.out, runs[i].ranks);
        if (runs[i].ranks > 1 && wu_lab_ranks_fit(runs[i].c.batch, runs[i].ranks, err)) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err->msg);
            return wu_fail(err, WU_EINVAL, "run %s: %s", runs[i].c.out, msg);
        }
        if ((rc = wu_mkdirs(runs[i].c.out, err)) != WU_OK) return rc;
        if ((rc = wu_run_summary_read(runs[i].c.out, &runs[i].s, err)) != WU_OK) {
            /* an unreadable summary is not a finished run: it will be run again */
            runs[i].s.status = WU_RUN_MISSING;
        }
    }
    int jobs = o->jobs, threads = o->threads, auto_jobs, auto_threads;
    wu_lab_plan(n, &auto_jobs, &auto_threads);
    if (jobs <= 0) jobs = auto_jobs;
    if (threads <= 0) threads = (int)(cores() / jobs) > 0 ? (int)(cores() / jobs) : 1;

    pid_t *pid = calloc((size_t)n, sizeof *pid);
    int *msgfd = malloc((size_t)n * sizeof *msgfd); /* the read end of each child's message pipe */
    size_t *msglen = calloc((size_t)n, sizeof *msglen);
    if (!pid || !msgfd || !msglen) {
        free(pid), free(msgfd), free(msglen);
        return wu_fail(err, WU_ENOMEM, "out of memory");
    }
    for (int i = 0; i < n; i++) msgfd[i] = -1, runs[i].msg[0] = '\0';
    wu_lab_progress p = {.total = n};
    for (int i = 0; i < n; i++) p.skipped += finished(runs[i].s.status);
    int next = 0, stopping = 0, forwarded = 0;
    pid_t self = getpid();
    int64_t total_steps = 0;
    for (int i = 0; i < n; i++) total_steps += runs[i].c.steps;
    for (;;) {
        if (o->stop && *o->stop && !forwarded) {
            stopping = forwarded = 1;
            for (int i = 0; i < n; i++)
                if (pid[i] > 0) kill(pid[i], SIGTERM);
        }
        while (!stopping && p.running < jobs && next < n) {
            wu_lab_run *r = &runs[next];
            if (finished(r->s.status)) {
                next++;
                continue;
            }
            /* block the stop signals across fork: the child must have its own handler before
               one can arrive, or a Ctrl-C would only set the parent's flag in its copy */
            sigset_t stopsig, old;
            sigemptyset(&stopsig);
            sigaddset(&stopsig, SIGINT);
            sigaddset(&stopsig, SIGTERM);
            sigprocmask(SIG_BLOCK, &stopsig, &old);
            if (o->stop && *o->stop) { /* asked to stop while starting */
                sigprocmask(SIG_SETMASK, &old, NULL);
                break;
            }
            fflush(NULL);
            int fd[2];
            pid_t c = -1;
            if (pipe(fd) == 0) {
                c = fork();
                if (c == 0) {
                    close(fd[0]);
                    for (int i = 0; i < n; i++)
                        if (msgfd[i] >= 0) close(msgfd[i]);
                    _exit(child_run(&r->c, r->ranks, o, threads, self, &old, fd[1]));
                }
                int e = errno;
                close(fd[1]);
                if (c < 0) close(fd[0]);
                else msgfd[next] = fd[0], msglen[next] = 0;
                if (c > 0) fcntl(fd[0], F_SETFL, fcntl(fd[0], F_GETFL) | O_NONBLOCK);
                errno = e;
            }
            sigprocmask(SIG_SETMASK, &old, NULL);
            if (c < 0) {
                stopping = 1;
                r->failed = 1;
                p.failed++;
                snprintf(r->msg, sizeof r->msg, "cannot start it: %s", strerror(errno));
                break;
            }
            pid[next++] = c;
            p.running++;
        }
        int status;
        pid_t w = waitpid(-1, &status, WNOHANG);
        if (w > 0) {
            for (int i = 0; i < n; i++) {
                if (pid[i] != w) continue;
                pid[i] = 0;
                p.running--;
                if (msgfd[i] >= 0) { /* the child has exited: its message is all in the pipe */
                    drain(msgfd[i], &runs[i], &msglen[i]);
                    close(msgfd[i]);
                    msgfd[i] = -1;
                }
                if (wu_run_summary_read(runs[i].c.out, &runs[i].s, err) != WU_OK)
                    runs[i].s.status = WU_RUN_MISSING;
                int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
                /* `warmup train` on ranks exits 1 when the run diverged, and the launcher
                   non-zero when stopped: the run ended as an in-process one would */
                if (!ok && runs[i].ranks > 1 && (finished(runs[i].s.status) || stopping))
                    ok = 1, runs[i].msg[0] = '\0';
                if (!ok) {
                    runs[i].failed = 1;
                    p.failed++;
                } else {
                    p.finished++;
                }
            }
            continue;
        }
        if (p.running == 0 && (stopping || next >= n)) break;
        for (int i = 0; i < n; i++) /* a launcher may say more than a pipe holds */
            if (msgfd[i] >= 0) drain(msgfd[i], &runs[i], &msglen[i]);
        int64_t done = 0;
        for (int i = 0; i < n; i++) {
            if (finished(runs[i].s.status) || (pid[i] == 0 && i < next && !runs[i].failed))
                done += runs[i].c.steps;
            else if (pid[i] > 0)
                done += rows_logged(runs[i].c.out);
        }
        p.frac = total_steps > 0 ? (double)done / (double)total_steps : 1;
        if (p.frac > 1) p.frac = 1;
        if (o->cb) o->cb(&p, o->ctx);
        struct timespec ts = {0, 300000000};
        nanosleep(&ts, NULL);
    }
    p.frac = 1;
    for (int i = 0; i < n; i++)
        if (!finished(runs[i].s.status) && !runs[i].failed) p.frac = (double)(p.finished + p.skipped) / n;
    if (o->cb) o->cb(&p, o->ctx);
    for (int i = 0; i < n; i++)
        if (msgfd[i] >= 0) close(msgfd[i]);
    free(pid), free(msgfd), free(msglen);
    if (p.failed)
        return wu_fail(err, WU_ERUN, "%d of %d runs failed; rerun to retry them, finished "
                       "runs are kept", p.failed, n);
    return WU_OK;
}
