/* One model call over HTTP: lash's ProviderHandle::complete for the wire
 * dialects. The core builds the request body (dialect.h), asks the host to POST
 * it (op "http.stream"; the host adds the URL base and credentials), parses the
 * response as the host streams it in (lash_op_data), classifies failures and
 * retries after host timers (op "timer"). Driven by the owning task's resume. */
#ifndef LASH_PROVIDER_HTTP_H
#define LASH_PROVIDER_HTTP_H
#include "cJSON.h"
#include "sched/sched.h"
#include "util/json.h"

typedef struct lash_http_call lash_http_call;

typedef struct lash_http_events {
  /* streamed text: kind "text" or "reasoning" (reasoning only when exposed) */
  void (*delta)(void *ud, const char *kind, const char *text, size_t len);
  /* before sleeping for a retry (lash's RetryStatus stream event) */
  void (*retry)(void *ud, double wait_seconds, uint32_t attempt, uint32_t max_attempts, const char *reason);
  void *ud;
} lash_http_events;

/* Validate a provider's HTTP config ({kind, base_url?, expose_thinking?,
 * max_output_tokens?, reasoning_effort?, cache_retention?, reliability?{...}}). */
int lash__http_config_check(const cJSON *cfg, lash_err *e);

/* Start a call for llm_request (lash LlmRequest JSON; borrowed). On failure to
 * even build the request: NULL with e set (a provider error for the turn). */
lash_http_call *lash__http_start(const lash_allocator *a, lash_task *task, uint32_t turn, const cJSON *cfg,
                                 const cJSON *llm_request, const lash_http_events *ev, lash_err *e);

enum { LASH_HTTP_PENDING = 0, LASH_HTTP_OK = 1, LASH_HTTP_FAILED = 2, LASH_HTTP_CANCELLED = 3 };
/* Advance on a wake-up. Once not PENDING, *out is owned JSON text: the
 * LlmResponse (+ "text_streamed") for OK, {message, code?, terminal_reason,
 * retryable} for FAILED. */
int lash__http_poll(lash_http_call *c, char **out, size_t *out_len);
/* Abandon the call: aborts the request or the retry timer. */
void lash__http_free(lash_http_call *c);
#endif
