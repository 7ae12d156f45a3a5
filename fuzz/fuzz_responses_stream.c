/* libFuzzer: the OpenAI Responses dialect. The input is a response body (an event
 * stream or a plain JSON reply), fed whole and again cut at points drawn from its
 * own bytes: both must give the same LlmResponse or the same error (an InvalidArgument
 * naming "provider" with a UTF-8 detail), and the LlmResponse must print as valid
 * UTF-8 JSON. The input, read as an LlmRequest, must give a body or a clean error.
 * No crash, leak or UB. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "provider/dialect.h"
#include "util/json.h"

typedef struct {
  uint64_t h; /* a digest of the deltas, in order */
} deltas_t;

static void on_delta(void *ud, const char *kind, const char *text, size_t len) {
  deltas_t *d = ud;
  if (!len || (strcmp(kind, "text") && strcmp(kind, "reasoning")) || !lash__utf8_valid(text, len)) abort();
  d->h = (d->h ^ (unsigned char)kind[0]) * 0x100000001b3ull;
  for (size_t i = 0; i < len; i++) d->h = (d->h ^ (unsigned char)text[i]) * 0x100000001b3ull;
}

/* Run body cut at the given offsets; the printed LlmResponse or "!<error>" (owned). */
static char *run(const char *body, size_t len, const size_t *cuts, size_t ncuts, deltas_t *d) {
  const lash_dialect *D = &lash__dialect_responses;
  lash_stream *s = D->stream_new(NULL);
  if (!s) return NULL;
  lash_err e;
  memset(&e, 0, sizeof e);
  int rc = LASH_OK;
  size_t at = 0;
  for (size_t i = 0; i <= ncuts && rc == LASH_OK; i++) {
    size_t to = i < ncuts ? cuts[i] : len;
    rc = D->stream_feed(s, body + at, to - at, on_delta, d, &e);
    at = to;
  }
  cJSON *r = rc == LASH_OK ? D->stream_finish(s, NULL, NULL, &e) : NULL;
  char *out;
  if (r) {
    if (!cJSON_IsArray(cJSON_GetObjectItem(r, "parts")) || !cJSON_IsString(cJSON_GetObjectItem(r, "terminal_reason"))) abort();
    out = cJSON_PrintUnformatted(r);
    if (!out || !lash__utf8_valid(out, strlen(out))) abort();
  } else {
    if (e.code != LASH_E_NOMEM && (e.code != LASH_E_INVALID_ARGUMENT || strcmp(e.argument, "provider") || !e.detail[0])) abort();
    if (!lash__utf8_valid(e.detail, strlen(e.detail))) abort();
    size_t n = strlen(e.detail);
    out = cJSON_malloc(n + 2);
    if (out) out[0] = '!', memcpy(out + 1, e.detail, n + 1);
  }
  cJSON_Delete(r);
  D->stream_free(s);
  return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *body = (const char *)data;
  deltas_t d1 = {0}, d2 = {0};
  char *whole = run(body, size, NULL, 0, &d1);
  /* cut points from the input's own bytes, ascending */
  size_t cuts[8], n = 0, step = size / 8 + 1;
  for (size_t i = 0; i < 8 && size; i++) {
    size_t c = i * step + (size_t)data[(i * 7919) % size] % step;
    if (c <= size && (!n || c >= cuts[n - 1])) cuts[n++] = c;
  }
  char *split = run(body, size, cuts, n, &d2);
  if (!whole || !split || strcmp(whole, split) || d1.h != d2.h) abort();
  cJSON_free(whole);
  cJSON_free(split);

  /* the same bytes as an LlmRequest (its "opts" member as the options), through
   * the boundary decoder the core puts in front of every document */
  lash_err e;
  cJSON *req = lash__json_parse(body, size, 1u << 20, "fuzz", &e);
  if (req) {
    size_t len = 0;
    char *b = lash__dialect_responses.request_body(NULL, req, cJSON_GetObjectItem(req, "opts"), &len, &e);
    if (b) {
      if (len != strlen(b) || !len || b[0] != '{' || b[len - 1] != '}' || !lash__utf8_valid(b, len)) abort();
      free(b);
    } else if (e.code != LASH_E_NOMEM && (e.code != LASH_E_INVALID_ARGUMENT || !e.argument[0] || !lash__utf8_valid(e.detail, strlen(e.detail)))) {
      abort();
    }
    cJSON_Delete(req);
  }
  return 0;
}
