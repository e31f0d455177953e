/* json.h - the JSON that warmup writes and reads back: summaries, manifests, study plans.
 * Reading goes through cJSON (Debian's libcjson); writing is plain fprintf with
 * wu_json_string() for strings, so writers need no JSON library. */
#ifndef WU_JSON_H
#define WU_JSON_H

#include <stdio.h>

#include "warmup.h"

/* Parse a JSON file that warmup wrote (a summary, a manifest). NULL on failure, with the reason
 * in err: cannot be read (WU_EIO; WU_EINVAL when missing), not JSON or over 64 MiB
 * (WU_EINVAL). The caller cJSON_Delete()s the result. */
struct cJSON;
struct cJSON *wu_json_read(const char *path, wu_error *err);

/* The number under key in object o; NaN when it is missing or not a number (a summary's null). */
double wu_json_num(const struct cJSON *o, const char *key);

/* Write s as a JSON string literal (quotes, backslashes and control characters escaped). */
void wu_json_string(FILE *f, const char *s);

#endif
