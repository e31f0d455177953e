/* optim_names.h - the optimizer kinds by name: the one table that the training configuration,
 * the CLI and the reports use to turn "adamw" into WU_OPT_ADAMW and back. Internal to the
 * toolkit (libwarmup carries it hidden; not part of warmup.h).
 *
 *     int k = wu_optim_kind_from_name("radam");   // WU_OPT_RADAM; -1 for an unknown name
 *     const char *s = wu_optim_kind_name(WU_OPT_SGD);                 // "sgd"
 *     for (int i = 0; wu_optim_kind_name(i); i++) ...                 // every kind, in order
 */
#ifndef WU_OPTIM_NAMES_H
#define WU_OPTIM_NAMES_H

#include "warmup.h"

/* The kind called name ("sgd", "adam", "adamw", "radam"), or -1 when there is none (name may be
 * NULL). */
int wu_optim_kind_from_name(const char *name);

/* The name of kind k, or NULL when k is not a wu_optim_kind. */
const char *wu_optim_kind_name(int k);

/* The Adam family's second-moment initialisations by name (issue 18): "zero" is
 * WU_ADAM_INIT_ZERO, "grad" WU_ADAM_INIT_GRAD (GI-Adam); NULL / -1 past the table. */
const char *wu_adam_init_name(int i);
int wu_adam_init_from_name(const char *name);

#endif
