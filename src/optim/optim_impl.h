/* optim_impl.h - the inside of a wu_optim: groups as lists of chunks over the flat buffer. */
#ifndef WU_OPTIM_IMPL_H
#define WU_OPTIM_IMPL_H

#include "warmup.h"

/* Work is cut into chunks of at most this many floats. Each chunk belongs to one group, the
 * update loop runs chunks in parallel, and per-chunk statistics are summed in chunk order, so
 * results do not depend on the number of threads. */
#define WU_CHUNK 8192

typedef struct wu_chunk {
    size_t off, len;
    int group;
} wu_chunk;

/* Per-chunk statistics, summed in order after the parallel loop. */
typedef struct wu_chunk_stats {
    double upd2, w2;          /* squared update and weight norms */
    double vsum, vmin, vmax;  /* bias-corrected second moment */
    double vtiny;             /* entries with sqrt(v_hat) < eps */
    double count;
} wu_chunk_stats;

typedef struct wu_ogroup {
    wu_optim_config hp;
    const wu_schedule *sched;
} wu_ogroup;

struct wu_optim {
    wu_optim_config cfg;
    size_t n;                 /* floats in the parameter buffer */
    int ngroups;
    wu_ogroup groups[WU_OPTIM_MAX_GROUPS];
    int nchunks;
    wu_chunk *chunks;
    wu_chunk_stats *cstats;
    int64_t step;             /* updates made */
    int buf_ready;            /* SGD: momentum buffers hold a value (PyTorch clones at step 1) */
    float *m, *v, *vmax, *buf; /* state, NULL when the kind does not use it */
};

#endif
