/* libFuzzer: the Anthropic Messages dialect. The input is a response body: fed
 * whole and again in pieces, it must give the same LlmResponse (valid UTF-8
 * JSON with its fields) or the same clean error, and the same deltas. When the
 * input is a JSON document it is also tried as an LlmRequest: a body must be
 * valid JSON, an error must say why. No crash, leak or UB. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "provider/dialect.h"
#include "util/buf.h"
#include "util/json.h"

static void on_delta(void *ud, const char *kind, const char *text, size_t len) {
  lash_buf *log = ud;
  lash__buf_puts(log, kind);
  lash__buf_append(log, text, len);
  lash__buf_append(log, "", 1);
}

/* The response printed, or the error as "!code:detail"; owned (malloc). */
static char *run(const uint8_t *data, size_t size, size_t step, lash_buf *log) {
  const lash_dialect *d = &lash__dialect_anthropic;
  lash_stream *s = d->stream_new(NULL);
  if (!s) return NULL;
  lash_err e;
  memset(&e, 0, sizeof e);
  int rc = LASH_OK;
  for (size_t at = 0; at < size && rc == LASH_OK; at += step)
    rc = d->stream_feed(s, (const char *)data + at, size - at < step ? size - at : step, on_delta, log, &e);
  cJSON *r = rc ? NULL : d->stream_finish(s, NULL, NULL, &e);
  d->stream_free(s);
  char *out;
  if (r) {
    static const char *const keys[] = {"full_text", "parts", "usage", "terminal_reason", "terminal_diagnostic",
                                       "provider_usage", "text_streamed"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
      if (!cJSON_GetObjectItemCaseSensitive(r, keys[i])) abort();
    char *p = cJSON_PrintUnformatted(r);
    if (!p || !lash__utf8_valid(p, strlen(p))) abort();
    size_t n = strlen(p) + 1;
    if ((out = malloc(n))) memcpy(out, p, n);
    cJSON_free(p);
    cJSON_Delete(r);
  } else {
    if (!e.code || !e.detail[0] || !lash__utf8_valid(e.detail, strlen(e.detail))) abort();
    size_t n = strlen(e.detail) + 32;
    out = malloc(n);
    snprintf(out, n, "!%d:%s", e.code, e.detail);
  }
  return out;
}

static int depth(const cJSON *v) {
  int m = 0;
  for (const cJSON *c = v ? v->child : NULL; c; c = c->next) {
    int k = depth(c);
    if (k > m) m = k;
  }
  return m + 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lash_buf l1, l2;
  lash__buf_init(&l1, NULL);
  lash__buf_init(&l2, NULL);
  char *whole = run(data, size, size ? size : 1, &l1);
  char *pieces = run(data, size, 1 + (size ? data[0] % 13 : 0), &l2);
  if (!whole || !pieces || strcmp(whole, pieces) || l1.len != l2.len || (l1.len && memcmp(l1.data, l2.data, l1.len))) abort();
  free(whole);
  free(pieces);
  lash__buf_free(&l1);
  lash__buf_free(&l2);

  lash_err e;
  cJSON *req = lash__json_parse((const char *)data, size, 1u << 20, "fuzz", &e);
  if (req) {
    size_t n = 0;
    memset(&e, 0, sizeof e);
    cJSON *opts = cJSON_GetObjectItemCaseSensitive(req, "opts"); /* any ProviderOptions the input carries */
    char *body = lash__dialect_anthropic.request_body(NULL, req, opts, &n, &e);
    if (body) {
      if (strlen(body) != n || !lash__utf8_valid(body, n)) abort();
      if (depth(req) < 56) { /* the body nests a few levels deeper than its request */
        cJSON *b = cJSON_ParseWithLength(body, n);
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "stream"))) abort();
        cJSON_Delete(b);
      }
      free(body);
    } else if (!e.code || !e.detail[0]) {
      abort();
    }
    cJSON_Delete(req);
  }
  return 0;
}
