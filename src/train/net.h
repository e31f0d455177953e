/* net.h - the model kinds by name, for the configuration check (wu_train_check). Everything
 * else about models goes through the ops table of src/model/model.h. */
#ifndef WU_NET_H
#define WU_NET_H

#include "../model/model.h"

enum { WU_NET_GPT, WU_NET_MLP, WU_NET_VIT };

#endif
