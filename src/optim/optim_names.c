/* optim_names.c - the optimizer kinds by name (optim_names.h). */
#include <string.h>

#include "optim_names.h"

static const char *const names[] = {[WU_OPT_SGD] = "sgd", [WU_OPT_ADAM] = "adam",
                                    [WU_OPT_ADAMW] = "adamw", [WU_OPT_RADAM] = "radam"};
#define NKINDS ((int)(sizeof names / sizeof names[0]))

int wu_optim_kind_from_name(const char *name)
{
    for (int i = 0; name && i < NKINDS; i++)
        if (!strcmp(names[i], name)) return i;
    return -1;
}

const char *wu_optim_kind_name(int k)
{
    return k >= 0 && k < NKINDS ? names[k] : NULL;
}

static const char *const inits[] = {[WU_ADAM_INIT_ZERO] = "zero", [WU_ADAM_INIT_GRAD] = "grad"};
#define NINITS ((int)(sizeof inits / sizeof inits[0]))

const char *wu_adam_init_name(int i)
{
    return i >= 0 && i < NINITS ? inits[i] : NULL;
}

int wu_adam_init_from_name(const char *name)
{
    for (int i = 0; name && i < NINITS; i++)
        if (!strcmp(inits[i], name)) return i;
    return -1;
}
