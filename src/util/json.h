/* The JSON boundary decoder: every document the host hands the core goes through
 * here first (size bound, UTF-8 check, depth bound via CJSON_NESTING_LIMIT), and
 * typed field readers report which argument was wrong. Fuzzed by fuzz/. */
#ifndef LASH_UTIL_JSON_H
#define LASH_UTIL_JSON_H
#include "cJSON.h"
#include "lash/lash.h"

/* A decode failure: which argument, and what was wrong with it. */
typedef struct lash_err {
  int code;            /* lash_status */
  char argument[64];   /* argument name, e.g. "model" */
  char detail[256];
  const char *facet;   /* static; DurableStorePeerRequired only */
  const char *runtime_code; /* static; Runtime only (lash RuntimeError code) */
  int retryable;       /* provider failures: lash's LlmTransportError.retryable */
  const char *raw;     /* provider failures: the raw event (borrowed from the stream; classifier input) */
  size_t raw_len;
} lash_err;

int lash__err(lash_err *e, int code, const char *argument, const char *fmt, ...);

int lash__utf8_valid(const char *s, size_t n);

/* Parse bytes[0..len) as one JSON value (no trailing garbage). On failure fills e
 * with InvalidArgument naming `argument`. The result is owned (cJSON_Delete). */
cJSON *lash__json_parse(const char *bytes, size_t len, size_t max_bytes, const char *argument,
                        lash_err *e);

/* Field readers. `absent` is returned as 0 with *present = 0; a wrong type or an
 * oversized string fails with InvalidArgument naming `argument`. */
int lash__json_opt_string(const cJSON *obj, const char *key, size_t max_bytes,
                          const char *argument, const char **out, lash_err *e);
int lash__json_opt_u64(const cJSON *obj, const char *key, int allow_zero, const char *argument,
                       int *present, uint64_t *out, lash_err *e);
/* Reject keys not in the NULL-terminated list (serde deny_unknown_fields). */
int lash__json_deny_unknown(const cJSON *obj, const char *const *allowed, const char *argument,
                            lash_err *e);
/* obj[key] as a string, or NULL (no error: for the core's own documents). */
const char *lash__json_str(const cJSON *obj, const char *key);
/* obj[key] as a finite number, or dflt. */
double lash__json_num(const cJSON *obj, const char *key, double dflt);
/* Is v a JSON null or absent? */
int lash__json_is_nullish(const cJSON *v);
/* cJSON_AddItemToObject / AddItemToArray / ReplaceItemInObjectCaseSensitive that
 * always take item: what they cannot link (NULL parent, failed key copy, no such
 * key to replace) is deleted, not leaked. 1 if linked. */
int lash__json_put(cJSON *obj, const char *key, cJSON *item);
int lash__json_push(cJSON *arr, cJSON *item);
int lash__json_replace(cJSON *obj, const char *key, cJSON *item);
#endif
