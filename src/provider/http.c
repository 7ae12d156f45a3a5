/* lash ProviderHandle::complete over the host's fetch (see http.h). Messages
 * and retry rules follow lash's openai/anthropic drivers and lash-llm-transport. */
#include "provider/http.h"

#include "lash/lash_ops.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "provider/dialect.h"
#include "provider/failure.h"
#include "util/alloc.h"
#include "util/buf.h"

/* Per wire dialect: the endpoint below the base URL and the texts lash's
 * drivers put in their errors. */
typedef struct kind_info {
  const char *kind;
  const lash_dialect *d;
  const char *path;
  const char *label;  /* "{label} response start timed out", ... */
  const char *failed; /* "{failed} with {status}: {detail}" */
} kind_info;

static const kind_info KINDS[] = {
    {"openai-compatible", &lash__dialect_chat_completions, "chat/completions", "OpenAI-compatible chat",
     "OpenAI-compatible chat request failed"},
    {"openai", &lash__dialect_responses, "responses", "OpenAI-compatible", "OpenAI-compatible request failed"},
    {"anthropic", &lash__dialect_anthropic, "v1/messages", "Anthropic", "Anthropic request failed"},
};

#define ERROR_BODY_MAX (64u << 10) /* what of a failed response is kept for the message and classifier */
/* One response's bytes: lash bounds a stream only by the chunk timeout, so a
 * server that never stops (keep-alives forever) would hold a turn forever. */
#define RESPONSE_MAX_DEFAULT (64.0 * 1024 * 1024)

struct lash_http_call {
  const lash_allocator *a;
  const kind_info *k;
  lash_task *task;
  lash_http_events ev;
  int expose_thinking;
  lash_retry_policy retry;
  double timeout_ms, chunk_timeout_ms, max_response_bytes, received;
  char *body;
  size_t body_len;
  lash_buf header; /* the op header without the attempt number */
  uint32_t attempt, op;
  int timer; /* op is the retry timer */
  /* the current attempt */
  int head_seen, status;
  double retry_after_ms;
  lash_stream *stream;
  lash_buf errbody;
  int streamed;
};

static const kind_info *kind_of(const char *kind) {
  for (size_t i = 0; kind && i < sizeof KINDS / sizeof *KINDS; i++)
    if (!strcmp(KINDS[i].kind, kind)) return &KINDS[i];
  return NULL;
}

int lash__http_config_check(const cJSON *cfg, lash_err *e) {
  if (!cJSON_IsObject(cfg) || !kind_of(lash__json_str(cfg, "kind")))
    return lash__err(e, LASH_E_INVALID_ARGUMENT, "provider", "unknown HTTP provider kind");
  const cJSON *r = cJSON_GetObjectItemCaseSensitive(cfg, "reliability");
  if (r && !cJSON_IsObject(r)) return lash__err(e, LASH_E_INVALID_ARGUMENT, "reliability", "expected an object");
  static const char *const keys[] = {"max_attempts", "base_delay_ms", "max_delay_ms", "retry_after_cap_ms",
                                     "request_timeout_ms", "chunk_timeout_ms", "max_response_bytes"};
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, keys[i]);
    if (!v || cJSON_IsNull(v)) continue;
    int need_positive = i == 0 || i >= 4;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0 || (need_positive && v->valuedouble == 0))
      return lash__err(e, LASH_E_INVALID_ARGUMENT, keys[i], "%s must be %s", keys[i],
                       need_positive ? "greater than 0" : "a non-negative number");
  }
  return LASH_OK;
}

/* ---- one attempt ---------------------------------------------------------- */

static void reset_attempt(lash_http_call *c) {
  if (c->stream) c->k->d->stream_free(c->stream);
  c->stream = NULL;
  lash__buf_free(&c->errbody);
  lash__buf_init(&c->errbody, c->a);
  c->head_seen = 0;
  c->received = 0;
  c->status = 0;
  c->retry_after_ms = -1;
}

static int start_attempt(lash_http_call *c) {
  reset_attempt(c);
  size_t base = c->header.len;
  lash__buf_printf(&c->header, ",\"attempt\":%u}", c->attempt + 1);
  /* a header cut short by a failed append must not reach the host */
  c->op = c->header.data && !c->header.oom ? lash__task_start_op_body(c->task, c->header.data, c->header.len, c->body, c->body_len) : 0;
  c->header.len = base;
  if (c->header.data) c->header.data[base] = '\0';
  c->timer = 0;
  return c->op != 0;
}

static void on_delta(void *ud, const char *kind, const char *text, size_t len) {
  lash_http_call *c = ud;
  if (!len || !c->ev.delta) return;
  if (strcmp(kind, "text") && !c->expose_thinking) return; /* lash: reasoning only when exposed */
  c->streamed = 1; /* one activity per SSE event, as lash: the same however the network cuts the body */
  c->ev.delta(c->ev.ud, kind, text, len);
}

static void fail_from_err(lash_failure *f, const lash_err *e) {
  lash__failure_init(f, LASH_FAIL_UNKNOWN, e->retryable, "%s", e->code == LASH_E_NOMEM ? "out of memory" : e->detail);
  f->raw = e->raw; /* borrowed from the stream, which lives until the failure is classified */
  f->raw_len = e->raw_len;
}

/* The head the host sent: {"status":N,"retry_after":"..."?}. */
static int take_head(lash_http_call *c, const char *head, size_t len, lash_failure *f) {
  cJSON *h = cJSON_ParseWithLength(head, len);
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(h, "status");
  if (!cJSON_IsNumber(st) || st->valuedouble < 100 || st->valuedouble > 999) {
    cJSON_Delete(h);
    lash__failure_init(f, LASH_FAIL_TRANSPORT, 0, "HTTP request failed: the host sent an unreadable response head");
    return 0;
  }
  c->status = (int)st->valuedouble;
  c->retry_after_ms = lash__retry_after_ms(lash__json_str(h, "retry_after"));
  cJSON_Delete(h);
  c->head_seen = 1;
  if (c->status >= 200 && c->status < 300) {
    c->stream = c->k->d->stream_new(c->a);
    if (!c->stream) { lash__failure_init(f, LASH_FAIL_UNKNOWN, 0, "out of memory"); return 0; }
  }
  return 1;
}

static int take_body(lash_http_call *c, const char *data, size_t len, lash_failure *f) {
  if (!c->head_seen) {
    lash__failure_init(f, LASH_FAIL_TRANSPORT, 0, "HTTP request failed: body bytes arrived before the response head");
    return 0;
  }
  c->received += (double)len;
  if (c->received > c->max_response_bytes) {
    lash__failure_init(f, LASH_FAIL_STREAM, 0, "Provider response exceeds the %.0f-byte limit", c->max_response_bytes);
    return 0;
  }
  if (c->stream) {
    lash_err e = {0};
    if (c->k->d->stream_feed(c->stream, data, len, on_delta, c, &e)) { fail_from_err(f, &e); return 0; }
    return 1;
  }
  size_t room = ERROR_BODY_MAX - c->errbody.len;
  if (room) lash__buf_append(&c->errbody, data, len < room ? len : room);
  return 1;
}

/* The attempt's outcome from the op completion; returns OK/FAILED/CANCELLED. */
static int finish_attempt(lash_http_call *c, int st, const char *payload, size_t len, lash_failure *f, cJSON **resp) {
  if (st == LASH_OP_CANCELLED) return LASH_HTTP_CANCELLED;
  const kind_info *k = c->k;
  if (st != LASH_OP_OK) {
    cJSON *p = cJSON_ParseWithLength(payload, len);
    const char *kind = lash__json_str(p, "kind"), *phase = lash__json_str(p, "phase"), *msg = lash__json_str(p, "message");
    if (!msg) msg = "unknown error";
    if (kind && !strcmp(kind, "timeout")) {
      if (phase && !strcmp(phase, "chunk")) lash__failure_init(f, LASH_FAIL_STREAM, 1, "%s stream chunk timed out", k->label);
      else {
        lash__failure_init(f, LASH_FAIL_TIMEOUT, 1, "%s response %s timed out", k->label, phase && !strcmp(phase, "body") ? "body" : "start");
        snprintf(f->code, sizeof f->code, "timeout");
      }
    } else if (kind && !strcmp(kind, "stream")) {
      lash__failure_init(f, LASH_FAIL_STREAM, 1, "Stream read failed: %s", msg);
    } else if (kind && !strcmp(kind, "transport")) {
      lash__failure_init(f, LASH_FAIL_TRANSPORT, !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(p, "retryable")),
                         "HTTP request failed: %s", msg);
    } else {
      lash__failure_init(f, LASH_FAIL_UNKNOWN, 0, "%s", msg);
    }
    cJSON_Delete(p);
    /* an error response whose body timed out or broke still fails by its status,
     * with no body at all (lash: read_response_text(..).unwrap_or_default()) */
    if (!(c->head_seen && !c->stream)) return LASH_HTTP_FAILED;
    c->errbody.len = 0;
  }
  if (!c->head_seen) {
    lash__failure_init(f, LASH_FAIL_TRANSPORT, 1, "HTTP request failed: the connection closed before a response");
    return LASH_HTTP_FAILED;
  }
  if (!c->stream) { /* non-2xx */
    char detail[808]; /* 200 characters of up to 4 bytes fit */
    if (lash__error_detail(c->errbody.data ? c->errbody.data : "", c->errbody.len, detail, sizeof detail)) lash__failure_init(f, LASH_FAIL_UNKNOWN, 0, "%s with %d: %s", k->failed, c->status, detail);
    else lash__failure_init(f, LASH_FAIL_UNKNOWN, 0, "%s with %d", k->failed, c->status);
    f->status = c->status;
    snprintf(f->code, sizeof f->code, "%d", c->status);
    f->retry_after_ms = c->retry_after_ms;
    f->raw = c->errbody.data;
    f->raw_len = c->errbody.len;
    return LASH_HTTP_FAILED;
  }
  lash_err e = {0};
  *resp = k->d->stream_finish(c->stream, on_delta, c, &e);
  if (!*resp) { fail_from_err(f, &e); return LASH_HTTP_FAILED; }
  return LASH_HTTP_OK;
}

static char *failure_json(lash_http_call *c, const lash_failure *f, size_t *len) {
  lash_buf b;
  lash__buf_init(&b, c->a);
  lash__buf_puts(&b, "{\"message\":");
  lash__buf_json_string(&b, f->message, strlen(f->message));
  if (f->code[0]) {
    lash__buf_puts(&b, ",\"code\":");
    lash__buf_json_string(&b, f->code, strlen(f->code));
  }
  lash__buf_printf(&b, ",\"terminal_reason\":\"%s\",\"retryable\":%s", f->terminal, f->retryable ? "true" : "false");
  if (f->status) lash__buf_printf(&b, ",\"status\":%d", f->status);
  lash__buf_puts(&b, "}");
  return lash__buf_take(&b, len);
}

/* ---- the call -------------------------------------------------------------- */

lash_http_call *lash__http_start(const lash_allocator *a, lash_task *task, uint32_t turn, const cJSON *cfg,
                                 const cJSON *llm_request, const lash_http_events *ev, lash_err *e) {
  const kind_info *k = kind_of(lash__json_str(cfg, "kind"));
  if (!k) { lash__err(e, LASH_E_INVALID_ARGUMENT, "provider", "unknown HTTP provider kind"); return NULL; }
  lash_http_call *c = lash__alloc(a, sizeof *c);
  if (!c) { lash__err(e, LASH_E_NOMEM, NULL, NULL); return NULL; }
  memset(c, 0, sizeof *c);
  c->a = a;
  c->k = k;
  c->task = task;
  if (ev) c->ev = *ev;
  c->expose_thinking = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cfg, "expose_thinking"));
  const cJSON *r = cJSON_GetObjectItemCaseSensitive(cfg, "reliability");
  double attempts = lash__json_num(r, "max_attempts", 4);
  c->retry.max_attempts = attempts < 1 ? 1 : attempts > 100 ? 100 : (uint32_t)attempts;
  c->retry.base_delay_ms = lash__json_num(r, "base_delay_ms", 2000);
  c->retry.max_delay_ms = lash__json_num(r, "max_delay_ms", 10000);
  c->retry.retry_after_cap_ms = lash__json_num(r, "retry_after_cap_ms", 60000);
  c->timeout_ms = lash__json_num(r, "request_timeout_ms", 300000);
  c->chunk_timeout_ms = lash__json_num(r, "chunk_timeout_ms", 120000);
  c->max_response_bytes = lash__json_num(r, "max_response_bytes", RESPONSE_MAX_DEFAULT);
  lash__buf_init(&c->header, a);
  lash__buf_init(&c->errbody, a);
  c->retry_after_ms = -1;

  c->body = k->d->request_body(a, llm_request, cfg, &c->body_len, e);
  if (!c->body) { lash__http_free(c); return NULL; }
  /* the non-secret headers; the host adds credentials and its own */
  lash__buf_printf(&c->header, "{\"op\":\"%s\",\"turn\":%u,\"path\":\"%s\",\"headers\":{", LASH_OP(HTTP_STREAM), turn, k->path);
  lash__buf_puts(&c->header, "\"content-type\":\"application/json\",\"accept\":\"text/event-stream\"");
  if (k->d == &lash__dialect_anthropic) {
    const char *model = lash__json_str(llm_request, "model");
    lash__buf_puts(&c->header, ",\"anthropic-version\":\"2023-06-01\",\"anthropic-beta\":\"fine-grained-tool-streaming-2025-05-14");
    if (!lash__anthropic_supports_adaptive(model ? model : "")) lash__buf_puts(&c->header, ",interleaved-thinking-2025-05-14");
    lash__buf_puts(&c->header, "\"");
  }
  lash__buf_printf(&c->header, "},\"timeout_ms\":%.0f,\"chunk_timeout_ms\":%.0f", c->timeout_ms, c->chunk_timeout_ms);
  if (!c->header.data || c->header.oom || !start_attempt(c)) {
    lash__err(e, LASH_E_NOMEM, NULL, "could not start the provider request");
    lash__http_free(c);
    return NULL;
  }
  return c;
}

int lash__http_poll(lash_http_call *c, char **out, size_t *out_len) {
  *out = NULL;
  *out_len = 0;
  int st;
  char *payload = NULL;
  size_t len = 0;
  if (c->timer) { /* sleeping before a retry */
    if (lash__task_take_op(c->task, c->op, &st, &payload, &len) != 1) return LASH_HTTP_PENDING;
    lash__free(c->a, payload);
    c->op = 0;
    if (st == LASH_OP_CANCELLED) return LASH_HTTP_CANCELLED;
    c->attempt++;
    if (!start_attempt(c)) {
      lash_failure f;
      lash__failure_init(&f, LASH_FAIL_UNKNOWN, 0, "could not start the provider request");
      *out = failure_json(c, &f, out_len);
      return LASH_HTTP_FAILED;
    }
    return LASH_HTTP_PENDING;
  }
  lash_failure f;
  int outcome = LASH_HTTP_PENDING;
  cJSON *resp = NULL;
  char *head, *data;
  size_t hlen, dlen;
  lash__task_take_data(c->task, c->op, &head, &hlen, &data, &dlen);
  int ok = 1;
  if (head) ok = take_head(c, head, hlen, &f);
  if (ok && data) ok = take_body(c, data, dlen, &f);
  lash__free(c->a, head);
  lash__free(c->a, data);
  if (!ok) {
    lash__task_cancel_op(c->task, c->op); /* aborts the fetch */
    c->op = 0;
    outcome = LASH_HTTP_FAILED;
  } else {
    if (lash__task_take_op(c->task, c->op, &st, &payload, &len) != 1) return LASH_HTTP_PENDING;
    c->op = 0;
    outcome = finish_attempt(c, st, payload, len, &f, &resp);
    lash__free(c->a, payload);
  }
  if (outcome == LASH_HTTP_CANCELLED) return outcome;
  if (outcome == LASH_HTTP_OK) {
    cJSON_AddBoolToObject(resp, "text_streamed", c->streamed);
    char *text = cJSON_PrintUnformatted(resp);
    cJSON_Delete(resp);
    if (text) {
      *out = lash__strndup(c->a, text, strlen(text));
      *out_len = *out ? strlen(*out) : 0;
      cJSON_free(text);
    }
    if (*out) return LASH_HTTP_OK;
    lash__failure_init(&f, LASH_FAIL_UNKNOWN, 0, "out of memory");
  }
  /* ProviderHandle::complete: classify, then retry while attempts remain */
  lash__failure_classify(&f);
  if (f.retryable && c->attempt + 1 < c->retry.max_attempts) {
    double delay = lash__retry_delay_ms(&c->retry, c->attempt, f.retry_after_ms);
    if (c->ev.retry) c->ev.retry(c->ev.ud, floor(delay / 1000), c->attempt + 1, c->retry.max_attempts, f.message);
    char msg[64];
    int n = snprintf(msg, sizeof msg, "{\"op\":\"%s\",\"ms\":%.0f}", LASH_OP(TIMER), delay);
    reset_attempt(c);
    c->op = lash__task_start_op(c->task, msg, (size_t)n);
    c->timer = 1;
    if (c->op) return LASH_HTTP_PENDING;
    c->timer = 0;
  }
  reset_attempt(c);
  *out = failure_json(c, &f, out_len);
  return LASH_HTTP_FAILED;
}

void lash__http_free(lash_http_call *c) {
  if (!c) return;
  if (c->op) lash__task_cancel_op(c->task, c->op);
  if (c->stream) c->k->d->stream_free(c->stream);
  lash__buf_free(&c->errbody);
  lash__buf_free(&c->header);
  lash__free(c->a, c->body);
  lash__free(c->a, c);
}
