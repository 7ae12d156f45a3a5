/* libFuzzer: the Chat Completions stream parser. The first byte picks where the
 * rest of the input is split between two feeds; the result must match the
 * unsplit run exactly (response, error and deltas), and a response must be an
 * LlmResponse-shaped object. Inputs that are a JSON object also go through the
 * request-body builder, which must give JSON text or a clean error. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "provider/dialect.h"
#include "util/buf.h"
#include "util/json.h"

static void record(void *ud, const char *kind, const char *text, size_t len) {
  lash_buf *b = ud;
  lash__buf_append(b, kind, 1);
  lash__buf_printf(b, "%zu:", len);
  lash__buf_append(b, text, len);
}

/* One run: the printed response or "!<detail>", then the deltas. Owned. */
static char *run(const char *text, size_t n, size_t cut) {
  const lash_dialect *d = &lash__dialect_chat_completions;
  lash_buf log;
  lash__buf_init(&log, NULL);
  lash__buf_append(&log, "", 0);
  lash_stream *s = d->stream_new(NULL);
  if (!s) abort();
  lash_err e;
  memset(&e, 0, sizeof e);
  int rc = d->stream_feed(s, text, cut, record, &log, &e);
  if (rc == LASH_OK) rc = d->stream_feed(s, text + cut, n - cut, record, &log, &e);
  cJSON *r = rc == LASH_OK ? d->stream_finish(s, NULL, NULL, &e) : NULL;
  d->stream_free(s);
  lash_buf out;
  lash__buf_init(&out, NULL);
  if (r) {
    const cJSON *parts = cJSON_GetObjectItemCaseSensitive(r, "parts");
    if (!cJSON_IsArray(parts) || !cJSON_GetArraySize(parts) ||
        !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(r, "terminal_reason")) ||
        !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(r, "full_text")))
      abort();
    char *p = cJSON_PrintUnformatted(r);
    if (!p) abort();
    lash__buf_puts(&out, p);
    cJSON_free(p);
    cJSON_Delete(r);
  } else {
    if (e.code == LASH_OK || !e.detail[0] || !lash__utf8_valid(e.detail, strlen(e.detail))) abort();
    lash__buf_printf(&out, "!%d %s", e.code, e.detail);
  }
  lash__buf_puts(&out, "\n");
  lash__buf_append(&out, log.data, log.len);
  lash__buf_free(&log);
  char *res = lash__buf_take(&out, NULL);
  if (!res) abort();
  return res;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const char *text = (const char *)data + 1;
  size_t n = size - 1, cut = (size_t)data[0] * n / 255;
  char *whole = run(text, n, 0), *split = run(text, n, cut);
  if (strcmp(whole, split)) abort();
  free(whole);
  free(split);

  lash_err e;
  cJSON *req = lash__json_parse(text, n, 1u << 20, "fuzz", &e);
  if (cJSON_IsObject(req)) {
    size_t len;
    char *body = lash__dialect_chat_completions.request_body(NULL, req, NULL, &len, &e);
    if (body) {
      cJSON *b = cJSON_ParseWithLength(body, len);
      if (!cJSON_IsObject(b)) abort();
      cJSON_Delete(b);
      free(body);
    } else if (e.code == LASH_OK) abort();
  }
  cJSON_Delete(req);
  return 0;
}
