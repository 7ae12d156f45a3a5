/* What both OpenAI wire dialects (chat_completions.c, responses.c) read and write
 * alike, kept once: serde_json's Value behaviours that make their request bodies
 * byte-identical to lash's, pieces of their strict stream readers, and lash's
 * responses_shared.rs usage parsing. */
#ifndef LASH_PROVIDER_OPENAI_JSON_H
#define LASH_PROVIDER_OPENAI_JSON_H
#include <stdint.h>

#include "cJSON.h"
#include "util/buf.h"
#include "util/json.h"

#define LASH_SERDE_NEST 256 /* how deep a request document may nest (normalise, project) */

/* serde_json Value::get: objects only, and a repeated key keeps its last value. */
cJSON *lash__serde_get(const cJSON *v, const char *key);
/* serde Map::insert: obj[key] = item, replacing any value it had. item is owned:
 * on failure (obj or item NULL, or OOM) it is freed and *oom set. Returns item or NULL. */
cJSON *lash__serde_insert(cJSON *obj, const char *key, cJSON *item, int *oom);
/* One object as a serde Map without preserve_order: keys sorted bytewise, the
 * last of equal keys kept. */
void lash__serde_map_order(cJSON *obj);
/* lash__serde_map_order over a whole tree; 0 if containers nest deeper than
 * LASH_SERDE_NEST. */
int lash__serde_normalize(cJSON *v, int depth);

/* Append s[0..n) with each maximal ill-formed subpart replaced by U+FFFD, as
 * Rust's String::from_utf8_lossy does (lash decodes stream lines so). */
int lash__utf8_lossy(lash_buf *out, const char *s, size_t n);
/* Whether s[0..n) is well-formed UTF-8 (lash__utf8_lossy would copy it unchanged). */
int lash__utf8_whole(const char *s, size_t n);
/* The length of the longest prefix of s of at most max bytes that ends on a
 * UTF-8 boundary. */
int lash__utf8_clip(const char *s, size_t max);
/* A provider-side failure: InvalidArgument naming "provider", msg (cut on a
 * UTF-8 boundary to fit) as the detail. Returns LASH_E_INVALID_ARGUMENT. */
int lash__provider_err(lash_err *e, const char *msg);

/* The four hex digits of a \u escape at p into *out; 0 if one is not hex. */
int lash__json_hex4(const char *p, unsigned *out);
/* Append code point cp as UTF-8 (U+0000, which a C string cannot hold, as U+FFFD). */
int lash__buf_put_cp(lash_buf *b, unsigned cp);
/* Append the base64 of a serde Vec<u8>: a JSON array of byte values (absent or
 * null: nothing). 0 at the first element that is not a byte. */
int lash__b64_json_bytes(lash_buf *b, const cJSON *bytes);

/* lash's token usage, as usage_from_usage_value reads a provider usage value. */
typedef struct {
  int64_t input, output, cached, reasoning;
} lash_openai_usage;

/* usage_from_usage_value (either dialect's field names; a present key ends each
 * fallback chain, even when null). Numbers must carry serde's integer text in
 * valuestring, as both dialects' stream readers leave it. */
lash_openai_usage lash__openai_usage_from(const cJSON *u);
/* merge_usage: later events may report a subset; zeros keep earlier values. */
void lash__openai_merge_usage(lash_openai_usage *d, const lash_openai_usage *n);
#endif
