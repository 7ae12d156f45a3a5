/* A provider wire dialect: how a lash LlmRequest becomes an HTTP request body,
 * and how the streamed HTTP response becomes a lash LlmResponse (§7.3, §7.4).
 * JavaScript only performs fetch and adds credentials; everything here is pure. */
#ifndef LASH_PROVIDER_DIALECT_H
#define LASH_PROVIDER_DIALECT_H
#include "cJSON.h"
#include "lash/lash.h"
#include "util/json.h"

/* Bounds on what a provider may send (a garbage or hostile stream errors out). */
#define LASH_SSE_MAX_EVENT (8u << 20)      /* one SSE event's data */
#define LASH_STREAM_MAX_TEXT (32u << 20)   /* accumulated text/arguments of one response */

/* lash's responses_error_is_retryable (OpenAI error objects in either dialect):
 * a numeric code/status 429 or >= 500, or a server/overload/rate-limit code. */
int lash__openai_error_retryable(const cJSON *error);

/* Keep ev's JSON text in *slot (owned by the stream, cJSON_free) as e's raw
 * event: lash attaches it to a stream failure and classifies on it too. */
void lash__err_raw_event(lash_err *e, char **slot, const cJSON *ev);

/* Streamed text as it arrives: kind is "text" or "reasoning". */
typedef void (*lash_delta_fn)(void *ud, const char *kind, const char *text, size_t len);

typedef struct lash_stream lash_stream; /* dialect-private state */

typedef struct lash_dialect {
  const char *kind; /* provider kind: "openai-compatible", "openai", "anthropic" */
  /* Request body (owned JSON text) for the LlmRequest JSON; opts carries
   * {max_output_tokens?, reasoning_effort?, ...}; NULL with e set on bad input. */
  char *(*request_body)(const lash_allocator *a, const cJSON *llm_request, const cJSON *opts, size_t *len, lash_err *e);
  lash_stream *(*stream_new)(const lash_allocator *a);
  /* Feed response body bytes, split anywhere. LASH_OK, or an error (e filled)
   * for a malformed or oversized stream or an error event from the provider. */
  int (*stream_feed)(lash_stream *s, const char *bytes, size_t len, lash_delta_fn on_delta, void *ud, lash_err *e);
  /* End of body: the LlmResponse JSON (lash shape: {full_text, parts:[{Text|Reasoning|ToolCall}], usage,
   * terminal_reason, terminal_diagnostic?}), or NULL with e set (e.g. truncated stream). */
  cJSON *(*stream_finish)(lash_stream *s, lash_delta_fn on_delta, void *ud, lash_err *e);
  void (*stream_free)(lash_stream *s);
} lash_dialect;

/* Anthropic models with adaptive thinking (no interleaved-thinking beta header). */
int lash__anthropic_supports_adaptive(const char *model);

extern const lash_dialect lash__dialect_chat_completions; /* "openai-compatible" */
extern const lash_dialect lash__dialect_responses;        /* "openai" */
extern const lash_dialect lash__dialect_anthropic;        /* "anthropic" */
#endif
