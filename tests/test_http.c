/* Model calls over the host's HTTP (provider/http.c, provider/failure.c):
 * lash's failure classifier, retry delays and error details as pure functions,
 * then the whole machine through the public C API with a fake host that
 * streams responses in (lash_op_data) and answers retry timers.
 *
 * Expected values come from lash (22bad569f); comments cite its source as:
 *   traits.rs    crates/lash-core/src/provider/traits.rs
 *   ptests.rs    crates/lash-core/src/provider/tests.rs
 *   options.rs   crates/lash-core/src/provider/options.rs
 *   handle.rs    crates/lash-core/src/provider/handle.rs
 *   transport.rs crates/lash-core/src/llm/transport.rs
 *   util.rs      crates/lash-llm-transport/src/util.rs
 *   timeouts.rs  crates/lash-llm-transport/src/timeouts.rs
 *   streaming.rs crates/lash-llm-transport/src/streaming.rs
 *   schema.rs    crates/lash-provider-openai/src/schema.rs
 *   driver.rs    crates/lash-provider-openai/src/driver.rs
 *   chat.rs      crates/lash-provider-openai/src/chat.rs
 *   anthropic    crates/lash-provider-anthropic/src/{provider,stream,policy}.rs
 *   machine.rs   crates/lash-sansio/src/sansio/sections/turn_machine.rs */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "cJSON.h"
#include "lash/lash_host.h"
#include "provider/dialect.h"
#include "provider/failure.h"
#include "provider/http.h"
#include "util/alloc.h"
#include "budget_alloc.h" /* B, BUDGET: the failing allocator */
#include "test.h"

/* ================================================================ classifier */

/* ProviderFailure::new(message).with_status(status): with_status also sets the
 * code to the number when there is none (transport.rs:57-63). */
static lash_failure classified(const char *message, int status) {
  lash_failure f;
  lash__failure_init(&f, LASH_FAIL_UNKNOWN, 0, "%s", message);
  if (status) {
    f.status = status;
    snprintf(f.code, sizeof f.code, "%d", status);
  }
  lash__failure_classify(&f);
  return f;
}

/* ptests.rs:406-438 */
static void classifier_context_overflow(void) {
  static const char *const msgs[] = {
      "Anthropic request failed: prompt is too long",
      "context_length_exceeded",
      "This model's maximum context length is 128000 tokens",
      "Google says input is too long",
      "OpenRouter error: too many tokens",
      "Together: request too large",
      "Copilot: exceeds the maximum number of tokens",
      "local model: context window exceeded",
      "Anthropic: request_too_large",
      "OpenAI: Your input exceeds the context window of this model",
      "Google: The input token count (1196265) exceeds the maximum number of tokens allowed",
      "xAI: This model's maximum prompt length is 131072 but the request contains more",
      "Groq: Please reduce the length of the messages",
      "OpenRouter: This endpoint's maximum context length is 128000 tokens",
      "Together: The input (150000 tokens) is longer than the model's context length (128000 tokens).",
      "llama.cpp: the request exceeds the available context size",
      "LM Studio: tokens to keep from the initial prompt is greater than the context length",
      "MiniMax: invalid params, context window exceeds limit",
      "Kimi: Your request exceeded model token limit: 131072 (requested: 150000)",
      "Mistral: Prompt contains too many tokens; too large for model with 128000 maximum context length",
      "z.ai: model_context_window_exceeded",
  };
  for (size_t i = 0; i < sizeof msgs / sizeof *msgs; i++) {
    lash_failure f = classified(msgs[i], 400);
    CHECK_STR(f.terminal, "context_overflow");
    CHECK(!f.retryable);
    CHECK(f.kind == LASH_FAIL_VALIDATION);
    CHECK(lash__is_context_overflow_text(msgs[i], strlen(msgs[i])));
  }
  /* an overflow wins over a retryable status (traits.rs:74-78 runs after the status rules) */
  lash_failure f = classified("prompt is too long", 429);
  CHECK_STR(f.terminal, "context_overflow");
  CHECK(!f.retryable);
  /* the raw body is part of the haystack (traits.rs:67-73) */
  lash__failure_init(&f, LASH_FAIL_UNKNOWN, 0, "OpenAI-compatible chat request failed with 400: Bad request");
  f.status = 400;
  snprintf(f.code, sizeof f.code, "400");
  static const char raw[] = "{\"error\":{\"code\":\"context_length_exceeded\"}}";
  f.raw = raw;
  f.raw_len = sizeof raw - 1;
  lash__failure_classify(&f);
  CHECK_STR(f.terminal, "context_overflow");
  /* a NUL inside the raw body does not end the search (Rust strings hold NULs) */
  static const char nul_raw[] = "garbage\0prompt is too long";
  lash__failure_init(&f, LASH_FAIL_UNKNOWN, 0, "failed");
  f.raw = nul_raw;
  f.raw_len = sizeof nul_raw - 1;
  lash__failure_classify(&f);
  CHECK_STR(f.terminal, "context_overflow");
}

/* is_context_overflow_text itself (traits.rs:105-150): case-insensitive; rate
 * limits and quotas are never overflow; the token-count pair needs both halves. */
static void overflow_text(void) {
  static const struct { const char *s; int want; } cases[] = {
      {"PROMPT IS TOO LONG", 1},
      {"Context Window Exceeds Limit", 1},
      {"the input token count 9 exceeds the maximum", 1},
      {"input token count: 9", 0},
      {"exceeds the maximum", 0},
      {"rate limit exceeded: context length of the batch", 0},
      {"Rate_Limit: maximum context length is 8192", 0},
      {"RateLimit context_length", 0},
      {"throttled: context window", 0}, /* "throttled" contains "throttle" */
      {"throttle: context window", 0},
      {"Throttling: too many tokens", 0},
      {"Too Many Requests: context length", 0},
      {"tokens per minute: context length", 0},
      {"TPM limit: context_length", 0},
      {"quota: context length", 0},
      {"everything is fine", 0},
      {"", 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    t_checks++;
    if (lash__is_context_overflow_text(cases[i].s, strlen(cases[i].s)) != cases[i].want) {
      t_failed++;
      fprintf(stderr, "%s:%d: overflow(\"%s\") != %d\n", __FILE__, __LINE__, cases[i].s, cases[i].want);
    }
  }
}

/* ptests.rs:441-455; the terminal reason changes, retryability does not (traits.rs:87-93) */
static void classifier_content_filter(void) {
  static const char *const msgs[] = {"Provider finish_reason: content_filter", "blocked by prohibited_content",
                                     "safety filter tripped", "sensitive content refused"};
  for (size_t i = 0; i < 4; i++) CHECK_STR(classified(msgs[i], 400).terminal, "content_filter");
  lash_failure f = classified("SAFETY system overloaded", 503);
  CHECK_STR(f.terminal, "content_filter");
  CHECK(f.retryable);
  CHECK(f.kind == LASH_FAIL_HTTP);
}

/* ptests.rs:458-471, plus the quota rule (traits.rs:79-86) */
static void classifier_rate_limits_and_quota(void) {
  static const char *const msgs[] = {"rate limit: too many tokens per minute", "Too many requests",
                                     "throttling because token rate exceeded", "insufficient_quota"};
  for (size_t i = 0; i < 4; i++) CHECK(strcmp(classified(msgs[i], 429).terminal, "context_overflow"));
  CHECK(classified("rate limit: too many tokens per minute", 429).retryable);
  static const char *const quota[] = {"insufficient_quota", "You exceeded your current QUOTA", "usage_limit_reached",
                                      "usage_not_included"};
  for (size_t i = 0; i < 4; i++) {
    lash_failure f = classified(quota[i], 429);
    CHECK(f.kind == LASH_FAIL_QUOTA);
    CHECK(!f.retryable);
    CHECK_STR(f.terminal, "provider_error");
  }
}

/* traits.rs:94-100 */
static void classifier_model_not_found(void) {
  static const char *const msgs[] = {"model_not_found", "The model `gpt-9` does not exist", "Unsupported model: x"};
  for (size_t i = 0; i < 3; i++) {
    lash_failure f = classified(msgs[i], 503); /* even under a retryable status */
    CHECK(f.kind == LASH_FAIL_UNSUPPORTED);
    CHECK(!f.retryable);
  }
}

/* traits.rs:44-65: the status table, a numeric code standing for a status, and
 * transport/timeout failures retryable without one. */
static void classifier_status_table(void) {
  static const struct { int status, retryable; lash_fail_kind kind; } rows[] = {
      {408, 1, LASH_FAIL_HTTP}, {409, 1, LASH_FAIL_HTTP}, {425, 1, LASH_FAIL_HTTP}, {429, 1, LASH_FAIL_HTTP},
      {500, 1, LASH_FAIL_HTTP}, {502, 1, LASH_FAIL_HTTP}, {503, 1, LASH_FAIL_HTTP}, {504, 1, LASH_FAIL_HTTP},
      {501, 0, LASH_FAIL_HTTP}, {505, 0, LASH_FAIL_HTTP}, {404, 0, LASH_FAIL_HTTP}, {418, 0, LASH_FAIL_HTTP},
      {400, 0, LASH_FAIL_VALIDATION}, {413, 0, LASH_FAIL_VALIDATION}, {422, 0, LASH_FAIL_VALIDATION},
      {401, 0, LASH_FAIL_AUTH}, {403, 0, LASH_FAIL_AUTH},
  };
  for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
    lash_failure f = classified("request failed", rows[i].status);
    t_checks++;
    if (f.retryable != rows[i].retryable || f.kind != rows[i].kind || f.status != rows[i].status) {
      t_failed++;
      fprintf(stderr, "%s:%d: status %d: retryable %d kind %d\n", __FILE__, __LINE__, rows[i].status, f.retryable, f.kind);
    }
  }
  /* the status decides even against the failure's own flag and kind */
  lash_failure f;
  lash__failure_init(&f, LASH_FAIL_STREAM, 1, "x");
  f.status = 401;
  lash__failure_classify(&f);
  CHECK(!f.retryable && f.kind == LASH_FAIL_AUTH);
  lash__failure_init(&f, LASH_FAIL_TRANSPORT, 0, "x");
  f.status = 503;
  lash__failure_classify(&f);
  CHECK(f.retryable && f.kind == LASH_FAIL_TRANSPORT); /* kind stays unless Unknown */

  /* no status: a code that parses as u16 stands for one (traits.rs:44-49) */
  static const struct { const char *code; int status; } codes[] = {
      {"503", 503}, {"0429", 429}, {"+429", 429} /* Rust's u16 parse takes a leading '+' */,
      {"65535", 65535}, {"65536", 0}, {"-1", 0}, {" 429", 0} /* no whitespace in Rust's parse */,
      {"429 ", 0}, {"4x9", 0}, {"timeout", 0}, {"", 0},
  };
  for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
    lash__failure_init(&f, LASH_FAIL_UNKNOWN, 0, "x");
    snprintf(f.code, sizeof f.code, "%s", codes[i].code);
    lash__failure_classify(&f);
    t_checks++;
    if (f.status != codes[i].status) {
      t_failed++;
      fprintf(stderr, "%s:%d: code \"%s\": status %d, want %d\n", __FILE__, __LINE__, codes[i].code, f.status, codes[i].status);
    }
  }
  lash__failure_init(&f, LASH_FAIL_UNKNOWN, 0, "x");
  snprintf(f.code, sizeof f.code, "503");
  lash__failure_classify(&f);
  CHECK(f.retryable && f.kind == LASH_FAIL_HTTP);

  /* transport and timeout: retryable without a status, whatever they said */
  lash__failure_init(&f, LASH_FAIL_TRANSPORT, 0, "HTTP request failed: connection reset");
  lash__failure_classify(&f);
  CHECK(f.retryable && f.kind == LASH_FAIL_TRANSPORT && !f.status);
  lash__failure_init(&f, LASH_FAIL_TIMEOUT, 0, "OpenAI-compatible chat response start timed out");
  snprintf(f.code, sizeof f.code, "timeout"); /* run_with_timeout: with_code("timeout"), timeouts.rs:78-84 */
  lash__failure_classify(&f);
  CHECK(f.retryable && !f.status);
  /* other kinds keep their own flag */
  lash__failure_init(&f, LASH_FAIL_STREAM, 0, "x");
  lash__failure_classify(&f);
  CHECK(!f.retryable);
  lash__failure_init(&f, LASH_FAIL_UNKNOWN, 1, "OpenAI-compatible chat stream chunk timed out");
  lash__failure_classify(&f);
  CHECK(f.retryable);
}

/* ================================================================ delays */

/* ProviderRetryPolicy::delay_for_attempt (options.rs:315-331) under the default
 * policy (options.rs:282-292: 4 attempts, 2000, 10000, cap 60000). */
static void retry_delays(void) {
  lash_retry_policy p = {4, 2000, 10000, 60000};
  static const double backoff[] = {2000, 4000, 8000, 10000, 10000};
  for (uint32_t i = 0; i < 5; i++) CHECK(lash__retry_delay_ms(&p, i, -1) == backoff[i]);
  /* huge indexes saturate (checked_shl -> u64::MAX, saturating_mul) */
  CHECK(lash__retry_delay_ms(&p, 62, -1) == 10000);
  CHECK(lash__retry_delay_ms(&p, 63, -1) == 10000);
  CHECK(lash__retry_delay_ms(&p, 64, -1) == 10000);
  CHECK(lash__retry_delay_ms(&p, UINT32_MAX, -1) == 10000);
  /* Retry-After wins, capped */
  CHECK(lash__retry_delay_ms(&p, 0, 5000) == 5000);
  CHECK(lash__retry_delay_ms(&p, 3, 0) == 0);
  CHECK(lash__retry_delay_ms(&p, 0, 60000) == 60000);
  CHECK(lash__retry_delay_ms(&p, 0, 120000) == 60000);
  lash_retry_policy uncapped = {4, 2000, 10000, -1};
  CHECK(lash__retry_delay_ms(&uncapped, 0, 120000) == 120000);
  /* a zero base stays zero at every index (0.saturating_mul(anything) = 0) */
  lash_retry_policy zero = {100, 0, 10000, 60000};
  CHECK(lash__retry_delay_ms(&zero, 0, -1) == 0);
  CHECK(lash__retry_delay_ms(&zero, 62, -1) == 0);
  CHECK(lash__retry_delay_ms(&zero, 63, -1) == 0);
  CHECK(lash__retry_delay_ms(&zero, 99, -1) == 0);
  lash_retry_policy none = {4, 0, 0, 60000};
  CHECK(lash__retry_delay_ms(&none, 70, -1) == 0);
}

/* retry_after_from_headers (transport.rs:108-117): trimmed, u64 seconds, else none */
static void retry_after_values(void) {
  static const struct { const char *v; double ms; } rows[] = {
      {"5", 5000}, {" 7 ", 7000}, {"\t3", 3000}, {"0", 0}, {"120", 120000}, {"+5", 5000}, {"0005", 5000},
      {"1.5", -1}, {"-1", -1}, {"5s", -1}, {"", -1}, {"   ", -1}, {"+", -1}, {"++5", -1}, {"5 5", -1},
      {"Wed, 21 Oct 2015 07:28:00 GMT", -1},
      {"18446744073709551615", 18446744073709551615.0 * 1000}, /* u64::MAX parses */
      {"000000018446744073709551615", 18446744073709551615.0 * 1000},
      {"18446744073709551616", -1}, {"99999999999999999999", -1}, {"100000000000000000000", -1}, /* past u64: none */
  };
  for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
    double got = lash__retry_after_ms(rows[i].v);
    t_checks++;
    if (got != rows[i].ms) {
      t_failed++;
      fprintf(stderr, "%s:%d: retry_after(\"%s\") = %g, want %g\n", __FILE__, __LINE__, rows[i].v, got, rows[i].ms);
    }
  }
  CHECK(lash__retry_after_ms(NULL) < 0);
}

/* extract_error_detail (util.rs:50-64) */
static void error_details(void) {
  char out[512];
#define DETAIL(body) (lash__error_detail(body, sizeof body - 1, out, sizeof out), out)
  CHECK_STR(DETAIL("{\"error\":{\"message\":\"Incorrect API key provided\",\"type\":\"invalid_request_error\"}}"),
            "Incorrect API key provided");
  CHECK_STR(DETAIL("  \n{\"error\":{\"message\":\"spaced\"}}\n"), "spaced");
  /* JSON without error.message: the trimmed text */
  CHECK_STR(DETAIL(" {\"message\":\"top level\"} "), "{\"message\":\"top level\"}");
  CHECK_STR(DETAIL("{\"error\":\"flat\"}"), "{\"error\":\"flat\"}");
  CHECK_STR(DETAIL("{\"error\":{\"message\":42}}"), "{\"error\":{\"message\":42}}");
  CHECK_STR(DETAIL("\r\n<html>Bad Gateway</html>\r\n"), "<html>Bad Gateway</html>");
  /* None for an empty body, Some("") for an empty message: the caller words them differently */
  CHECK(lash__error_detail("", 0, out, sizeof out) == 0 && !out[0]);
  CHECK(lash__error_detail(" \t\r\n", 4, out, sizeof out) == 0 && !out[0]);
  CHECK(lash__error_detail("{\"error\":{\"message\":\"\"}}", 24, out, sizeof out) == 1 && !out[0]);
  CHECK(lash__error_detail("x", 1, out, sizeof out) == 1);
  CHECK(lash__error_detail("\0\0", 2, out, sizeof out) == 1); /* Rust's trim keeps NULs */
  /* the first 200 characters: code points, never half of one */
  char body[1024];
  size_t n = 0;
  for (int i = 0; i < 250; i++) { memcpy(body + n, "\xc3\xa9", 2); n += 2; } /* 250 x U+00E9 */
  lash__error_detail(body, n, out, sizeof out);
  CHECK(strlen(out) == 400 && !memcmp(out, body, 400));
  n = 0;
  for (int i = 0; i < 199; i++) body[n++] = 'a';
  memcpy(body + n, "\xf0\x9f\x8c\x8d", 4); /* the 200th character is 4 bytes */
  n += 4;
  memcpy(body + n, "tail", 4);
  n += 4;
  lash__error_detail(body, n, out, sizeof out);
  CHECK(strlen(out) == 203 && !memcmp(out, body, 203));
  n = 0;
  for (int i = 0; i < 300; i++) body[n++] = 'x';
  lash__error_detail(body, n, out, sizeof out);
  CHECK(strlen(out) == 200);
#undef DETAIL
}

/* responses_error_is_retryable (schema.rs:22-48) */
static void openai_error_retryable(void) {
  static const struct { const char *json; int want; } rows[] = {
      {"{\"code\":429}", 1},
      {"{\"code\":\"429\"}", 1},
      {"{\"code\":\" 503 \"}", 1},           /* s.trim().parse() */
      {"{\"code\":\"+503\"}", 1},             /* i64 parse takes '+' */
      {"{\"code\":500}", 1},
      {"{\"code\":600}", 1},                  /* >= 500 */
      {"{\"code\":499}", 0},
      {"{\"code\":400}", 0},
      {"{\"code\":-1}", 0},
      {"{\"status\":502}", 1},                /* code absent: status */
      {"{\"status\":\"503\"}", 1},
      {"{\"code\":400,\"status\":503}", 0},   /* code present: status unread */
      {"{\"code\":\"server_error\"}", 1},
      {"{\"code\":\"internal_server_error\"}", 1},
      {"{\"code\":\"service_unavailable\"}", 1},
      {"{\"code\":\"temporarily_unavailable\"}", 1},
      {"{\"code\":\"overloaded\"}", 1},
      {"{\"code\":\"rate_limit_exceeded\"}", 1},
      {"{\"code\":\"Server_Error\"}", 0},     /* exact match */
      {"{\"type\":\"server_error\"}", 1},     /* code absent: type */
      {"{\"status\":\"overloaded\"}", 1},     /* code and type absent: status */
      {"{\"code\":\"invalid_api_key\",\"type\":\"server_error\"}", 0},
      {"{\"code\":null,\"type\":\"server_error\"}", 0}, /* get("code") is Some(Null): no fallback */
      {"{\"code\":400,\"type\":\"server_error\"}", 0},
      {"{\"code\":\"5e2\"}", 0},
      {"{\"code\":\"99999999999999999999\"}", 0}, /* overflows i64: no number */
      {"{\"message\":\"boom\"}", 0},
      {"{}", 0},
      {"\"server_error\"", 0},                /* not an object */
      {"null", 0},
  };
  for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
    cJSON *v = cJSON_Parse(rows[i].json);
    int got = lash__openai_error_retryable(v);
    t_checks++;
    if (got != rows[i].want) {
      t_failed++;
      fprintf(stderr, "%s:%d: retryable(%s) = %d, want %d\n", __FILE__, __LINE__, rows[i].json, got, rows[i].want);
    }
    cJSON_Delete(v);
  }
  CHECK(lash__openai_error_retryable(NULL) == 0);
}

/* ================================================================ fake host */

#define MAXP 32
typedef struct {
  uint32_t id;
  char kind[16];
  cJSON *msg;
} pend_t;

typedef struct {
  lash_core *core;
  pend_t p[MAXP]; /* ops the core started and the host has not answered */
  int n;
  struct { uint32_t id; char kind[16]; } seen[64]; /* every op ever started, to name cancels */
  int nseen;
  cJSON *result;       /* turn.done result */
  cJSON *activities;
  cJSON *http;         /* every http.stream header, in order */
  cJSON *bodies;       /* and its request body */
  char log[2048];      /* ops, cancels, retry_status, errors and done, in order */
  int cancels;
} host_t;

static void log_s(host_t *h, const char *fmt, const char *a) {
  size_t n = strlen(h->log);
  snprintf(h->log + n, sizeof h->log - n, fmt, a);
}
static void log_n(host_t *h, const char *fmt, double x) {
  size_t n = strlen(h->log);
  snprintf(h->log + n, sizeof h->log - n, fmt, x);
}

static const char *kind_of_op(host_t *h, uint32_t id) {
  for (int i = 0; i < h->nseen; i++)
    if (h->seen[i].id == id) return h->seen[i].kind;
  return "?";
}

static void call(void *ud, uint32_t op, const char *msg, size_t len, const char *body, size_t blen) {
  host_t *h = ud;
  int armed = B.armed;
  B.armed = 0; /* the host's own allocations never fail */
  cJSON *m = cJSON_ParseWithLength(msg, len);
  const char *kind = cJSON_GetObjectItem(m, "op")->valuestring;
  if (op == 0) {
    if (!strcmp(kind, "turn.done")) {
      cJSON_Delete(h->result);
      h->result = cJSON_DetachItemFromObject(cJSON_GetObjectItem(m, "done"), "result");
      log_s(h, "%sdone ", "");
    } else if (!strcmp(kind, "activity")) {
      cJSON *a = cJSON_DetachItemFromObject(m, "activity");
      const char *type = cJSON_GetObjectItem(a, "type")->valuestring;
      if (!strcmp(type, "retry_status") || !strcmp(type, "error")) log_s(h, "%s ", type);
      cJSON_AddItemToArray(h->activities, a);
    } else if (!strcmp(kind, "cancel")) {
      h->cancels++;
      log_s(h, "cancel:%s ", kind_of_op(h, (uint32_t)cJSON_GetObjectItem(m, "id")->valuedouble));
    }
    cJSON_Delete(m);
    B.armed = armed;
    return;
  }
  if (h->nseen < 64) {
    h->seen[h->nseen].id = op;
    snprintf(h->seen[h->nseen++].kind, 16, "%s", kind);
  }
  if (!strcmp(kind, "http.stream")) {
    log_n(h, "http#%.0f ", cJSON_GetObjectItem(m, "attempt")->valuedouble);
    cJSON_AddItemToArray(h->http, cJSON_Duplicate(m, 1));
    cJSON_AddItemToArray(h->bodies, cJSON_ParseWithLength(body, blen));
  } else if (!strcmp(kind, "timer")) {
    log_n(h, "timer:%.0f ", cJSON_GetObjectItem(m, "ms")->valuedouble);
  }
  CHECK(h->n < MAXP);
  h->p[h->n].id = op;
  snprintf(h->p[h->n].kind, sizeof h->p[h->n].kind, "%s", kind);
  h->p[h->n++].msg = m;
  B.armed = armed;
}

static const char *CFG =
    "{\"kind\":\"standard\",\"provider\":{\"kind\":\"scripted\"},\"effect_host\":{\"tier\":\"inline\"},"
    "\"attachment_store\":{\"tier\":\"inline\"},\"process_env_store\":{\"tier\":\"inline\"},"
    "\"session_spec\":{\"provider_id\":\"p\",\"model\":{\"id\":\"m\",\"limits\":{\"context_window_tokens\":100000}},\"max_turns\":3},"
    "\"plugins\":[],\"tools\":[]}";

static host_t *setup_with(const lash_allocator *a) {
  host_t *h = calloc(1, sizeof *h);
  static lash_host host;
  host.call = call;
  host.ud = h;
  h->core = lash_core_new(&host, a); /* installs cJSON's hooks: host JSON below goes through them too */
  h->activities = cJSON_CreateArray();
  h->http = cJSON_CreateArray();
  h->bodies = cJSON_CreateArray();
  CHECK(lash_core_build(h->core, CFG, strlen(CFG)) == LASH_OK);
  const char *open = "{\"session_id\":\"s\"}";
  CHECK(lash_session_open(h->core, open, strlen(open)) == LASH_OK);
  return h;
}
static host_t *setup(void) { return setup_with(NULL); }

static void teardown(host_t *h) {
  for (int i = 0; i < h->n; i++) cJSON_Delete(h->p[i].msg);
  lash_core_free(h->core);
  cJSON_Delete(h->result);
  cJSON_Delete(h->activities);
  cJSON_Delete(h->http);
  cJSON_Delete(h->bodies);
  free(h);
}

/* Start a turn whose provider is the given provider_http config. */
static int start_rc(host_t *h, const char *provider_http, uint32_t *no) {
  char req[1024];
  snprintf(req, sizeof req,
           "{\"session_id\":\"s\",\"provider_kind\":\"p\",\"input\":{\"items\":[{\"type\":\"text\",\"text\":\"hi\"}]},"
           "\"provider_http\":%s}", provider_http);
  int rc = lash_turn_start(h->core, req, strlen(req), no);
  if (rc == LASH_OK) lash_run(h->core, 0);
  return rc;
}
static uint32_t start(host_t *h, const char *provider_http) {
  uint32_t no = 0;
  CHECK(start_rc(h, provider_http, &no) == LASH_OK);
  return no;
}

static int find(host_t *h, const char *kind) {
  for (int i = 0; i < h->n; i++)
    if (!strcmp(h->p[i].kind, kind)) return i;
  return -1;
}
/* Take the pending op of this kind off the list; 0 if none. */
static uint32_t take(host_t *h, const char *kind) {
  int i = find(h, kind);
  if (i < 0) return 0;
  uint32_t id = h->p[i].id;
  cJSON_Delete(h->p[i].msg);
  h->p[i] = h->p[--h->n];
  return id;
}

/* One HTTP response: head (status 0 = none), body, then the completion. */
typedef struct {
  int status;
  const char *retry_after;
  const char *body;
  int op_status;       /* LASH_OP_OK / LASH_OP_ERROR */
  const char *payload; /* the completion's payload; NULL = "{}" */
} resp_t;

/* A host that stops when refused: returns the first non-OK rc (the op was abandoned). */
static int send_data(host_t *h, uint32_t op, int channel, const char *bytes, size_t len) {
  int rc = lash_op_data(h->core, op, channel, bytes, len);
  if (rc == LASH_E_NOMEM) { /* the documented answer: let the core catch up, then resend */
    lash_run(h->core, 0);
    rc = lash_op_data(h->core, op, channel, bytes, len);
  }
  return rc;
}

/* Answer the pending http.stream with r, the body cut at cuts[] (lash_run after
 * every piece unless batch). Returns LASH_OK or the rc that stopped the host. */
static int serve_cuts(host_t *h, const resp_t *r, const size_t *cuts, size_t ncuts, int batch) {
  uint32_t op = take(h, "http.stream");
  CHECK(op != 0);
  if (!op) return LASH_E_UNKNOWN_OP;
  int rc = LASH_OK;
  if (r->status) {
    char head[128];
    int n = r->retry_after ? snprintf(head, sizeof head, "{\"status\":%d,\"retry_after\":\"%s\"}", r->status, r->retry_after)
                           : snprintf(head, sizeof head, "{\"status\":%d}", r->status);
    rc = send_data(h, op, LASH_DATA_HEAD, head, (size_t)n);
    if (!batch) lash_run(h->core, 0);
  }
  size_t len = r->body ? strlen(r->body) : 0, at = 0;
  for (size_t i = 0; rc == LASH_OK && i <= ncuts; i++) {
    size_t to = i < ncuts ? cuts[i] : len;
    if (to < at || (to == at && i < ncuts)) continue;
    rc = send_data(h, op, LASH_DATA_BODY, r->body + at, to - at);
    at = to;
    if (!batch) lash_run(h->core, 0);
  }
  if (rc == LASH_OK) {
    const char *p = r->payload ? r->payload : "{}";
    rc = lash_op_complete(h->core, op, r->op_status, p, strlen(p));
  }
  lash_run(h->core, 0);
  return rc;
}
static int serve(host_t *h, const resp_t *r) { return serve_cuts(h, r, NULL, 0, 0); }

/* Run the turn to its end: timers fire at once, http.stream ops get the script's
 * responses in order. */
static void drive(host_t *h, const resp_t *script, int n) {
  int next = 0;
  for (int guard = 0; guard < 256 && !h->result; guard++) {
    uint32_t timer = take(h, "timer");
    if (timer) {
      CHECK(lash_op_complete(h->core, timer, LASH_OP_OK, "{}", 2) == LASH_OK);
      lash_run(h->core, 0);
    } else if (find(h, "http.stream") >= 0 && next < n) {
      serve(h, &script[next++]);
    } else {
      break;
    }
  }
}

static cJSON *get(const cJSON *o, const char *path) { /* "a.b.0.c" */
  char key[64];
  while (o && *path) {
    size_t n = strcspn(path, ".");
    snprintf(key, sizeof key, "%.*s", (int)n, path);
    o = cJSON_IsArray(o) ? cJSON_GetArrayItem(o, atoi(key)) : cJSON_GetObjectItem(o, key);
    path += n + (path[n] == '.');
  }
  return (cJSON *)o;
}
static const char *str(const cJSON *o, const char *path) {
  const cJSON *v = get(o, path);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}
static double num(const cJSON *o, const char *path) {
  const cJSON *v = get(o, path);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static char *outcome(host_t *h) {
  static char buf[512];
  char *s = h->result ? cJSON_PrintUnformatted(get(h->result, "outcome")) : NULL;
  snprintf(buf, sizeof buf, "%s", s ? s : "(none)");
  cJSON_free(s);
  return buf;
}

/* The n-th activity of a type, or NULL. */
static cJSON *activity(host_t *h, const char *type, int nth) {
  cJSON *a;
  cJSON_ArrayForEach(a, h->activities) if (!strcmp(str(a, "type"), type) && nth-- == 0) return a;
  return NULL;
}
static int count(host_t *h, const char *type) {
  int n = 0;
  while (activity(h, type, n)) n++;
  return n;
}
/* assistant_prose_delta texts, concatenated */
static char *prose(host_t *h) {
  static char buf[4096];
  buf[0] = '\0';
  cJSON *a;
  cJSON_ArrayForEach(a, h->activities)
    if (!strcmp(str(a, "type"), "assistant_prose_delta")) strncat(buf, str(a, "text"), sizeof buf - strlen(buf) - 1);
  return buf;
}

/* ================================================================ transcripts */

#define TEXT "Hello w\xc3\xb6rld \xf0\x9f\x8c\x8d" /* 2- and 4-byte characters to split inside */

/* Chat Completions: role chunk, text, usage-only chunk (CRLF framed), [DONE] */
static const char CHAT[] =
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo w\\u00f6rld \xf0\x9f\x8c\x8d\"},\"finish_reason\":\"stop\"}]}\n\n"
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":15}}\r\n\r\n"
    "data: [DONE]\n\n";

/* Responses: message item, two text deltas, the done item, response.completed with usage */
static const char RESPONSES[] =
    "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"r1\",\"status\":\"in_progress\",\"output\":[]}}\n\n"
    "event: response.output_item.added\ndata: {\"type\":\"response.output_item.added\",\"output_index\":0,\"item\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[]}}\n\n"
    "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"item_id\":\"msg_1\",\"delta\":\"Hel\"}\n\n"
    "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"item_id\":\"msg_1\",\"delta\":\"lo w\xc3\xb6rld \xf0\x9f\x8c\x8d\"}\n\n"
    "event: response.output_item.done\ndata: {\"type\":\"response.output_item.done\",\"output_index\":0,\"item\":{\"id\":\"msg_1\",\"type\":\"message\",\"status\":\"completed\","
    "\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"" TEXT "\"}]}}\n\n"
    "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"r1\",\"status\":\"completed\",\"output\":[{\"id\":\"msg_1\",\"type\":\"message\","
    "\"status\":\"completed\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"" TEXT "\"}]}],"
    "\"usage\":{\"input_tokens\":36,\"output_tokens\":87,\"total_tokens\":123}}}\n\n";

/* Anthropic Messages: start with usage, a text block in two deltas, ping, message_delta usage */
static const char ANTHROPIC[] =
    "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],"
    "\"model\":\"m\",\"stop_reason\":null,\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n\n"
    "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
    "event: ping\ndata: {\"type\":\"ping\"}\n\n"
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}\n\n"
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"lo w\xc3\xb6rld \xf0\x9f\x8c\x8d\"}}\n\n"
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":15}}\n\n"
    "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

#define P_CHAT "{\"kind\":\"openai-compatible\"}"
#define P_RESPONSES "{\"kind\":\"openai\"}"
#define P_ANTHROPIC "{\"kind\":\"anthropic\"}"

typedef struct {
  const char *cfg, *body, *path;
  double input, output; /* usage lash derives from the transcript */
} dialect_case;

static const dialect_case DIALECTS[] = {
    /* chat.rs usage_from_usage_value: prompt/completion tokens */
    {P_CHAT, CHAT, "chat/completions", 12, 3},
    /* responses_shared.rs usage_from_response_value on response.completed */
    {P_RESPONSES, RESPONSES, "responses", 36, 87},
    /* stream.rs parse_usage (input + cache reads + writes), message_delta output wins */
    {P_ANTHROPIC, ANTHROPIC, "v1/messages", 25, 15},
};

/* The result, the activities and the log of one turn answered with body cut at cuts. */
typedef struct { char *result, *activities, *log; } run_out;

static run_out run_split(const dialect_case *d, const size_t *cuts, size_t ncuts, int batch) {
  host_t *h = setup();
  start(h, d->cfg);
  resp_t r = {200, NULL, d->body, LASH_OP_OK, NULL};
  CHECK(serve_cuts(h, &r, cuts, ncuts, batch) == LASH_OK);
  run_out o = {cJSON_PrintUnformatted(h->result), cJSON_PrintUnformatted(h->activities), strdup(h->log)};
  teardown(h);
  return o;
}
static void run_free(run_out *o) {
  cJSON_free(o->result);
  cJSON_free(o->activities);
  free(o->log);
}

static void expect_same(const run_out *ref, const run_out *got, const char *what, size_t at) {
  t_checks++;
  if (!got->result || strcmp(got->result, ref->result) || strcmp(got->activities, ref->activities) || strcmp(got->log, ref->log)) {
    t_failed++;
    fprintf(stderr, "%s:%d: %s at %zu differs\n  want %s\n   got %s\n", __FILE__, __LINE__, what, at, ref->result,
            got->result ? got->result : "(none)");
  }
}

/* ================================================================ the machine */

/* A streamed response in every dialect: the request the host is asked to POST,
 * the streamed prose, the final result, identical however the body is cut. */
static void stream_every_split(void) {
  for (size_t di = 0; di < sizeof DIALECTS / sizeof *DIALECTS; di++) {
    const dialect_case *d = &DIALECTS[di];
    host_t *h = setup();
    start(h, d->cfg);
    /* the op header: lash's endpoint path and non-secret headers (driver.rs:17-22,
     * 94-100; anthropic provider.rs:56-72, policy.rs:7-9) and default timeouts
     * (timeouts.rs:6-7); the host adds the base URL and credentials */
    cJSON *m = cJSON_GetArrayItem(h->http, 0);
    CHECK_STR(str(m, "op"), "http.stream");
    CHECK(num(m, "turn") == 1);
    CHECK_STR(str(m, "path"), d->path);
    CHECK(num(m, "attempt") == 1);
    CHECK(num(m, "timeout_ms") == 300000);
    CHECK(num(m, "chunk_timeout_ms") == 120000);
    CHECK_STR(str(m, "headers.content-type"), "application/json");
    CHECK_STR(str(m, "headers.accept"), "text/event-stream");
    CHECK(!get(m, "headers.authorization") && !get(m, "headers.x-api-key"));
    if (strstr(d->cfg, "anthropic")) {
      CHECK_STR(str(m, "headers.anthropic-version"), "2023-06-01");
      /* "m" has no adaptive thinking: the interleaved-thinking beta too */
      CHECK_STR(str(m, "headers.anthropic-beta"), "fine-grained-tool-streaming-2025-05-14,interleaved-thinking-2025-05-14");
    } else {
      CHECK(!get(m, "headers.anthropic-version"));
    }
    cJSON *body = cJSON_GetArrayItem(h->bodies, 0);
    CHECK(cJSON_IsTrue(get(body, "stream"))); /* the runtime streams (driver.rs:76-79) */
    CHECK_STR(str(body, "model"), "m");
    resp_t r = {200, NULL, d->body, LASH_OP_OK, NULL};
    CHECK(serve(h, &r) == LASH_OK);
    CHECK_STR(outcome(h), "{\"finished\":{\"assistant_message\":{\"text\":\"" TEXT "\"}}}");
    CHECK_STR(prose(h), TEXT);
    CHECK(count(h, "assistant_prose_delta") == 2);
    CHECK(num(h->result, "usage.input_tokens") == d->input);
    CHECK(num(h->result, "usage.output_tokens") == d->output);
    CHECK(cJSON_GetArraySize(get(h->result, "errors")) == 0);
    CHECK_STR(h->log, "http#1 done ");
    CHECK(h->n == 0 && h->cancels == 0);
    teardown(h);

    /* every two-piece cut, one byte at a time, and everything queued before one lash_run */
    size_t len = strlen(d->body);
    run_out ref = run_split(d, NULL, 0, 0);
    CHECK(strstr(ref.result, "\"finished\"") != NULL);
    for (size_t cut = 0; cut <= len; cut++) {
      run_out got = run_split(d, &cut, 1, 0);
      expect_same(&ref, &got, d->path, cut);
      run_free(&got);
    }
    size_t *every = malloc(len * sizeof *every);
    for (size_t i = 0; i < len; i++) every[i] = i + 1;
    run_out bytes = run_split(d, every, len, 0);
    expect_same(&ref, &bytes, "byte at a time", 0);
    run_free(&bytes);
    run_out batch = run_split(d, every, len, 1);
    expect_same(&ref, &batch, "batched", 0);
    run_free(&batch);
    free(every);
    run_free(&ref);
  }
}

#define CHAT_FAILED "OpenAI-compatible chat request failed" /* driver.rs:52-57 */

/* 429 with Retry-After: 1 -> a 1 s timer (options.rs:320-326), a RetryStatus
 * (handle.rs:150-157), then the second attempt succeeds. */
static void retry_after_429(void) {
  host_t *h = setup();
  start(h, P_CHAT);
  resp_t script[] = {{429, "1", "{\"error\":{\"message\":\"Rate limit reached for requests\",\"type\":\"requests\"}}", LASH_OP_OK, NULL},
                     {200, NULL, CHAT, LASH_OP_OK, NULL}};
  drive(h, script, 2);
  CHECK_STR(h->log, "http#1 retry_status timer:1000 http#2 done ");
  cJSON *rs = activity(h, "retry_status", 0);
  CHECK(num(rs, "wait_seconds") == 1);
  CHECK(num(rs, "attempt") == 1);
  CHECK(num(rs, "max_attempts") == 4);
  CHECK_STR(str(rs, "reason"), CHAT_FAILED " with 429: Rate limit reached for requests");
  CHECK_STR(outcome(h), "{\"finished\":{\"assistant_message\":{\"text\":\"" TEXT "\"}}}");
  CHECK_STR(prose(h), TEXT); /* nothing streamed by the failed attempt */
  /* the retry POSTs the same request */
  char *b0 = cJSON_PrintUnformatted(cJSON_GetArrayItem(h->bodies, 0)), *b1 = cJSON_PrintUnformatted(cJSON_GetArrayItem(h->bodies, 1));
  CHECK_STR(b1, b0);
  cJSON_free(b0);
  cJSON_free(b1);
  CHECK(h->cancels == 0);
  teardown(h);

  /* the other dialects name themselves (driver.rs:52-57, anthropic provider.rs:93-102);
   * Retry-After above the cap waits the cap (60 s) */
  static const struct { const char *cfg, *reason; } others[] = {
      {P_RESPONSES, "OpenAI-compatible request failed with 429: slow down"},
      {P_ANTHROPIC, "Anthropic request failed with 429: slow down"},
  };
  for (int i = 0; i < 2; i++) {
    h = setup();
    start(h, others[i].cfg);
    resp_t s2[] = {{429, "3600", "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow down\"}}", LASH_OP_OK, NULL},
                   {200, NULL, DIALECTS[i + 1].body, LASH_OP_OK, NULL}};
    drive(h, s2, 2);
    CHECK_STR(h->log, "http#1 retry_status timer:60000 http#2 done ");
    CHECK(num(activity(h, "retry_status", 0), "wait_seconds") == 60);
    CHECK_STR(str(activity(h, "retry_status", 0), "reason"), others[i].reason);
    CHECK_STR(outcome(h), "{\"finished\":{\"assistant_message\":{\"text\":\"" TEXT "\"}}}");
    teardown(h);
  }
}

/* 500 four times: backoff 2, 4, 8 s, then the turn stops with the last failure
 * (handle.rs:135-137; machine.rs:786-797 "LLM error: ..." and ProviderError). */
static void server_errors_exhaust(void) {
  host_t *h = setup();
  start(h, P_CHAT);
  resp_t e500 = {500, NULL, "{\"error\":{\"message\":\"The server had an error\"}}", LASH_OP_OK, NULL};
  resp_t script[] = {e500, e500, e500, e500, {200, NULL, CHAT, LASH_OP_OK, NULL}};
  drive(h, script, 5);
  CHECK_STR(h->log, "http#1 retry_status timer:2000 http#2 retry_status timer:4000 http#3 retry_status timer:8000 http#4 error done ");
  for (int i = 0; i < 3; i++) {
    cJSON *rs = activity(h, "retry_status", i);
    CHECK(num(rs, "attempt") == i + 1);
    CHECK(num(rs, "wait_seconds") == 2 << i);
    CHECK(num(rs, "max_attempts") == 4);
  }
  CHECK_STR(outcome(h), "{\"stopped\":\"provider_error\"}");
  CHECK_STR(str(activity(h, "error", 0), "message"), "LLM error: " CHAT_FAILED " with 500: The server had an error");
  CHECK_STR(str(h->result, "errors.0.kind"), "llm_provider");
  CHECK_STR(str(h->result, "errors.0.code"), "500");
  CHECK_STR(str(h->result, "errors.0.terminal_reason"), "provider_error");
  CHECK(h->n == 0);
  teardown(h);

  /* a custom policy: 2 attempts, base 100 ms */
  h = setup();
  start(h, "{\"kind\":\"openai-compatible\",\"reliability\":{\"max_attempts\":2,\"base_delay_ms\":100,\"max_delay_ms\":150}}");
  resp_t e503 = {503, NULL, "", LASH_OP_OK, NULL};
  resp_t s2[] = {e503, e503};
  drive(h, s2, 2);
  CHECK_STR(h->log, "http#1 retry_status timer:100 http#2 error done ");
  CHECK(num(activity(h, "retry_status", 0), "max_attempts") == 2);
  CHECK(num(activity(h, "retry_status", 0), "wait_seconds") == 0); /* Duration::as_secs truncates */
  /* an empty body: no detail (driver.rs:119-135) */
  CHECK_STR(str(activity(h, "error", 0), "message"), "LLM error: " CHAT_FAILED " with 503");
  teardown(h);
}

/* Failures the classifier makes terminal: no retry. */
static void terminal_failures(void) {
  static const struct { const char *cfg; resp_t r; const char *message, *code, *terminal; } rows[] = {
      /* 401: Auth, not retryable (traits.rs:54-56) */
      {P_CHAT, {401, NULL, "{\"error\":{\"message\":\"Incorrect API key provided\",\"code\":\"invalid_api_key\"}}", LASH_OP_OK, NULL},
       "LLM error: " CHAT_FAILED " with 401: Incorrect API key provided", "401", "provider_error"},
      /* 400 whose body says the context overflowed */
      {P_CHAT, {400, NULL, "{\"error\":{\"message\":\"This model's maximum context length is 8192 tokens\",\"code\":\"context_length_exceeded\"}}", LASH_OP_OK, NULL},
       "LLM error: " CHAT_FAILED " with 400: This model's maximum context length is 8192 tokens", "400", "context_overflow"},
      /* the overflow marker only in the raw body (request_too_large), not in the message */
      {P_ANTHROPIC, {413, NULL, "{\"type\":\"error\",\"error\":{\"type\":\"request_too_large\",\"message\":\"Request exceeds the maximum size\"}}", LASH_OP_OK, NULL},
       "LLM error: Anthropic request failed with 413: Request exceeds the maximum size", "413", "context_overflow"},
      /* 429 insufficient_quota: Quota, not retryable although 429 is */
      {P_RESPONSES, {429, "1", "{\"error\":{\"message\":\"You exceeded your current quota\",\"type\":\"insufficient_quota\"}}", LASH_OP_OK, NULL},
       "LLM error: OpenAI-compatible request failed with 429: You exceeded your current quota", "429", "provider_error"},
      /* 404 model_not_found */
      {P_CHAT, {404, NULL, "{\"error\":{\"message\":\"The model `m` does not exist\",\"code\":\"model_not_found\"}}", LASH_OP_OK, NULL},
       "LLM error: " CHAT_FAILED " with 404: The model `m` does not exist", "404", "provider_error"},
      /* a content filter refusal */
      {P_CHAT, {400, NULL, "{\"error\":{\"message\":\"Flagged\",\"code\":\"content_filter\"}}", LASH_OP_OK, NULL},
       "LLM error: " CHAT_FAILED " with 400: Flagged", "400", "content_filter"},
      /* 501 is not in the retryable list; a non-JSON body is its own detail */
      {P_CHAT, {501, NULL, "  Not Implemented\n", LASH_OP_OK, NULL}, "LLM error: " CHAT_FAILED " with 501: Not Implemented", "501",
       "provider_error"},
  };
  for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
    host_t *h = setup();
    start(h, rows[i].cfg);
    drive(h, &rows[i].r, 1);
    CHECK_STR(h->log, "http#1 error done ");
    CHECK_STR(outcome(h), "{\"stopped\":\"provider_error\"}");
    CHECK_STR(str(activity(h, "error", 0), "message"), rows[i].message);
    CHECK_STR(str(h->result, "errors.0.code"), rows[i].code);
    CHECK_STR(str(h->result, "errors.0.terminal_reason"), rows[i].terminal);
    teardown(h);
  }

  /* an empty error.message is still Some(""): "with 400: " (util.rs:50-64, driver.rs:119-135) */
  host_t *h = setup();
  start(h, P_CHAT);
  resp_t empty = {400, NULL, "{\"error\":{\"message\":\"\"}}", LASH_OP_OK, NULL};
  drive(h, &empty, 1);
  CHECK_STR(str(activity(h, "error", 0), "message"), "LLM error: " CHAT_FAILED " with 400: ");
  teardown(h);

  /* long details are lash's whole error.message, or the body's first 200 characters */
  char body[2048], want[2048];
  strcpy(body, "{\"error\":{\"message\":\"");
  strcpy(want, "LLM error: " CHAT_FAILED " with 400: ");
  for (int i = 0; i < 300; i++) strcat(body, "\xc3\xa9"), strcat(want, "\xc3\xa9");
  strcat(body, "\"}}");
  h = setup();
  start(h, P_CHAT);
  resp_t longmsg = {400, NULL, body, LASH_OP_OK, NULL};
  drive(h, &longmsg, 1);
  CHECK_STR(str(activity(h, "error", 0), "message"), want);
  teardown(h);
  /* past the core's bound (failure.h: 1 KiB) a message is cut, on a character
   * boundary: the host only ever sees valid UTF-8 */
  strcpy(body, "{\"error\":{\"message\":\"");
  for (int i = 0; i < 600; i++) strcat(body, "\xc3\xa9");
  strcat(body, "\"}}");
  h = setup();
  start(h, P_CHAT);
  resp_t huge = {400, NULL, body, LASH_OP_OK, NULL};
  drive(h, &huge, 1);
  const char *got = str(activity(h, "error", 0), "message");
  CHECK(got && lash__utf8_valid(got, strlen(got)) && strlen(got) > 800 && !strncmp(got, want, strlen("LLM error: " CHAT_FAILED " with 400: ")));
  teardown(h);
  body[0] = '\0';
  strcpy(want, "LLM error: " CHAT_FAILED " with 400: ");
  for (int i = 0; i < 250; i++) strcat(body, "\xe2\x82\xac"), strcat(want, i < 200 ? "\xe2\x82\xac" : ""); /* 3-byte euro signs */
  h = setup();
  start(h, P_CHAT);
  resp_t longtext = {400, NULL, body, LASH_OP_OK, NULL};
  drive(h, &longtext, 1);
  CHECK_STR(str(activity(h, "error", 0), "message"), want);
  teardown(h);

  /* max_attempts 1: even a retryable failure is final (options.rs:307-313 attempts()) */
  h = setup();
  start(h, "{\"kind\":\"openai-compatible\",\"reliability\":{\"max_attempts\":1}}");
  resp_t r = {503, "1", "busy", LASH_OP_OK, NULL};
  drive(h, &r, 1);
  CHECK_STR(h->log, "http#1 error done ");
  CHECK_STR(str(activity(h, "error", 0), "message"), "LLM error: " CHAT_FAILED " with 503: busy");
  teardown(h);
}

/* Error events inside a 200 stream: retried only when the event says so. */
static void stream_error_events(void) {
  static const char *const START =
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"x\",\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\n";
  char over[512], bad[512];
  /* stream.rs:47-57, 238-249 */
  snprintf(over, sizeof over, "%sevent: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n", START);
  snprintf(bad, sizeof bad, "%sevent: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"messages: bad\"}}\n\n", START);

  host_t *h = setup();
  start(h, P_ANTHROPIC);
  resp_t script[] = {{200, NULL, over, LASH_OP_OK, NULL}, {200, NULL, ANTHROPIC, LASH_OP_OK, NULL}};
  drive(h, script, 2);
  /* the core aborts the failed response's fetch before sleeping */
  CHECK_STR(h->log, "http#1 cancel:http.stream retry_status timer:2000 http#2 done ");
  CHECK_STR(str(activity(h, "retry_status", 0), "reason"), "Anthropic stream error: Overloaded");
  CHECK_STR(outcome(h), "{\"finished\":{\"assistant_message\":{\"text\":\"" TEXT "\"}}}");
  teardown(h);

  h = setup();
  start(h, P_ANTHROPIC);
  resp_t r = {200, NULL, bad, LASH_OP_OK, NULL};
  drive(h, &r, 1);
  CHECK_STR(h->log, "http#1 cancel:http.stream error done ");
  CHECK_STR(str(activity(h, "error", 0), "message"), "LLM error: Anthropic stream error: messages: bad");
  CHECK_STR(outcome(h), "{\"stopped\":\"provider_error\"}");
  teardown(h);

  /* Chat Completions: an error object in a chunk (chat.rs:450-459, schema.rs:22-48) */
  h = setup();
  start(h, P_CHAT);
  resp_t cs[] = {{200, NULL, "data: {\"error\":{\"message\":\"upstream overloaded\",\"code\":502}}\n\n", LASH_OP_OK, NULL},
                 {200, NULL, "data: {\"error\":{\"message\":\"nope\",\"code\":\"invalid_prompt\"}}\n\n", LASH_OP_OK, NULL}};
  drive(h, cs, 2);
  CHECK_STR(h->log, "http#1 cancel:http.stream retry_status timer:2000 http#2 cancel:http.stream error done ");
  CHECK_STR(str(activity(h, "retry_status", 0), "reason"), "upstream overloaded");
  CHECK_STR(str(activity(h, "error", 0), "message"), "LLM error: nope");
  teardown(h);

  /* the classifier reads the raw event too (chat.rs:456-458 with_raw(raw)): an
   * OpenRouter-style wrapper whose message says nothing, the cause in metadata.
   * (Fails today: http.c fail_from_err() hands the classifier no raw event.) */
  h = setup();
  start(h, P_CHAT);
  resp_t wrapped = {200, NULL,
                    "data: {\"error\":{\"message\":\"Provider returned error\",\"code\":400,\"metadata\":{\"raw\":\"prompt is too long\"}}}\n\n",
                    LASH_OP_OK, NULL};
  drive(h, &wrapped, 1);
  CHECK_STR(str(h->result, "errors.0.terminal_reason"), "context_overflow");
  teardown(h);
}

/* Malformed SSE JSON: not retried (chat.rs:446-449, no retryable flag); the core
 * abandons the op, the host hears {"op":"cancel"} and later data is refused. */
static void malformed_stream(void) {
  host_t *h = setup();
  start(h, P_CHAT);
  uint32_t op = h->p[0].id;
  take(h, "http.stream");
  const char *head = "{\"status\":200}", *body = "data: {not json}\n\n";
  CHECK(lash_op_data(h->core, op, LASH_DATA_HEAD, head, strlen(head)) == LASH_OK);
  CHECK(lash_op_data(h->core, op, LASH_DATA_BODY, body, strlen(body)) == LASH_OK);
  lash_run(h->core, 0);
  CHECK_STR(h->log, "http#1 cancel:http.stream error done ");
  const char *msg = str(activity(h, "error", 0), "message");
  CHECK(msg && !strncmp(msg, "LLM error: Invalid Chat Completions SSE payload: ", 49));
  CHECK_STR(outcome(h), "{\"stopped\":\"provider_error\"}");
  /* the abandoned op: data and completion are refused */
  CHECK(lash_op_data(h->core, op, LASH_DATA_BODY, "x", 1) == LASH_E_UNKNOWN_OP);
  CHECK(lash_op_complete(h->core, op, LASH_OP_OK, "{}", 2) == LASH_E_UNKNOWN_OP);
  teardown(h);
}

/* Host protocol errors. */
static void host_protocol(void) {
  /* body bytes before the head: the attempt fails and the op is abandoned */
  host_t *h = setup();
  start(h, "{\"kind\":\"openai-compatible\",\"reliability\":{\"max_attempts\":1}}");
  uint32_t op = take(h, "http.stream");
  CHECK(lash_op_data(h->core, op, LASH_DATA_BODY, "data: x\n\n", 9) == LASH_OK);
  lash_run(h->core, 0);
  CHECK_STR(h->log, "http#1 cancel:http.stream error done ");
  CHECK_STR(str(activity(h, "error", 0), "message"), "LLM error: HTTP request failed: body bytes arrived before the response head");
  CHECK(lash_op_data(h->core, op, LASH_DATA_HEAD, "{\"status\":200}", 14) == LASH_E_UNKNOWN_OP);
  teardown(h);

  /* one head per op; an unreadable head fails the attempt */
  h = setup();
  start(h, "{\"kind\":\"openai-compatible\",\"reliability\":{\"max_attempts\":1}}");
  op = take(h, "http.stream");
  CHECK(lash_op_data(h->core, op, LASH_DATA_HEAD, "{\"status\":\"ok\"}", 15) == LASH_OK);
  CHECK(lash_op_data(h->core, op, LASH_DATA_HEAD, "{\"status\":200}", 14) == LASH_E_INVALID_ARGUMENT);
  lash_run(h->core, 0);
  CHECK_STR(h->log, "http#1 cancel:http.stream error done ");
  CHECK_STR(str(activity(h, "error", 0), "message"), "LLM error: HTTP request failed: the host sent an unreadable response head");
  teardown(h);

  /* completed without any head: the connection closed early (a transport failure: retried) */
  h = setup();
  start(h, P_CHAT);
  resp_t script[] = {{0, NULL, NULL, LASH_OP_OK, NULL}, {200, NULL, CHAT, LASH_OP_OK, NULL}};
  drive(h, script, 2);
  CHECK_STR(h->log, "http#1 retry_status timer:2000 http#2 done ");
  CHECK_STR(str(activity(h, "retry_status", 0), "reason"), "HTTP request failed: the connection closed before a response");
  teardown(h);
}

/* lash-wasm's own bound (not lash's, which stops a stream only by the chunk
 * timeout): past reliability.max_response_bytes the response fails, unretried. */
static void response_size_bound(void) {
  host_t *h = setup();
  start(h, "{\"kind\":\"openai-compatible\",\"reliability\":{\"max_response_bytes\":100}}");
  resp_t r = {200, NULL, CHAT, LASH_OP_OK, NULL};
  drive(h, &r, 1);
  CHECK_STR(h->log, "http#1 cancel:http.stream error done ");
  CHECK_STR(str(activity(h, "error", 0), "message"), "LLM error: Provider response exceeds the 100-byte limit");
  teardown(h);
  /* exactly the bound is fine */
  char cfg[128];
  snprintf(cfg, sizeof cfg, "{\"kind\":\"openai-compatible\",\"reliability\":{\"max_response_bytes\":%zu}}", strlen(CHAT));
  h = setup();
  start(h, cfg);
  drive(h, &r, 1);
  CHECK_STR(outcome(h), "{\"finished\":{\"assistant_message\":{\"text\":\"" TEXT "\"}}}");
  teardown(h);
}

/* The host may run at most 16 MiB ahead of the core (lash_host.h): then
 * lash_op_data refuses with NoMemory until lash_run takes the bytes. */
static void backpressure(void) {
  host_t *h = setup();
  start(h, P_CHAT);
  uint32_t op = take(h, "http.stream");
  CHECK(lash_op_data(h->core, op, LASH_DATA_HEAD, "{\"status\":200}", 14) == LASH_OK);
  size_t mib = 1u << 20;
  char *pad = malloc(mib); /* SSE comment lines: ignored by the framing */
  for (size_t i = 0; i < mib; i += 64) {
    memset(pad + i, 'p', 64);
    pad[i] = ':';
    pad[i + 63] = '\n';
  }
  for (int i = 0; i < 16; i++) CHECK(lash_op_data(h->core, op, LASH_DATA_BODY, pad, mib) == LASH_OK);
  CHECK(lash_op_data(h->core, op, LASH_DATA_BODY, "\n", 1) == LASH_E_NOMEM);
  CHECK(lash_op_data(h->core, op, LASH_DATA_BODY, "", 0) == LASH_OK); /* nothing more is still fine */
  lash_run(h->core, 0);
  CHECK(lash_op_data(h->core, op, LASH_DATA_BODY, pad, mib) == LASH_OK);
  free(pad);
  CHECK(lash_op_data(h->core, op, LASH_DATA_BODY, CHAT, strlen(CHAT)) == LASH_OK);
  CHECK(lash_op_complete(h->core, op, LASH_OP_OK, "{}", 2) == LASH_OK);
  lash_run(h->core, 0);
  CHECK_STR(outcome(h), "{\"finished\":{\"assistant_message\":{\"text\":\"" TEXT "\"}}}");
  CHECK(h->cancels == 0);
  teardown(h);
}

/* lash_turn_cancel while the response streams in, and while sleeping before a retry. */
static void cancellation(void) {
  host_t *h = setup();
  uint32_t no = start(h, P_CHAT);
  uint32_t op = take(h, "http.stream");
  CHECK(lash_op_data(h->core, op, LASH_DATA_HEAD, "{\"status\":200}", 14) == LASH_OK);
  size_t first = (size_t)(strstr(CHAT, "\n\n") - CHAT) + 2; /* the first event only */
  CHECK(lash_op_data(h->core, op, LASH_DATA_BODY, CHAT, first) == LASH_OK);
  lash_run(h->core, 0);
  CHECK(count(h, "assistant_prose_delta") == 1);
  CHECK(lash_turn_cancel(h->core, no) == 1);
  lash_run(h->core, 0);
  CHECK_STR(h->log, "http#1 cancel:http.stream done ");
  CHECK_STR(outcome(h), "{\"stopped\":\"cancelled\"}");
  CHECK(count(h, "error") == 0);
  CHECK(lash_op_data(h->core, op, LASH_DATA_BODY, CHAT + first, 10) == LASH_E_UNKNOWN_OP);
  CHECK(lash_op_complete(h->core, op, LASH_OP_OK, "{}", 2) == LASH_E_UNKNOWN_OP);
  teardown(h);

  /* before the head */
  h = setup();
  no = start(h, P_ANTHROPIC);
  CHECK(lash_turn_cancel(h->core, no) == 1);
  lash_run(h->core, 0);
  CHECK_STR(h->log, "http#1 cancel:http.stream done ");
  CHECK_STR(outcome(h), "{\"stopped\":\"cancelled\"}");
  teardown(h);

  /* on the retry timer: the timer is aborted, no second attempt */
  h = setup();
  no = start(h, P_CHAT);
  resp_t r = {503, NULL, "busy", LASH_OP_OK, NULL};
  serve(h, &r);
  CHECK(find(h, "timer") >= 0);
  uint32_t timer = h->p[find(h, "timer")].id;
  CHECK(lash_turn_cancel(h->core, no) == 1);
  lash_run(h->core, 0);
  CHECK_STR(h->log, "http#1 retry_status timer:2000 cancel:timer done ");
  CHECK_STR(outcome(h), "{\"stopped\":\"cancelled\"}");
  CHECK(lash_op_complete(h->core, timer, LASH_OP_OK, "{}", 2) == LASH_E_UNKNOWN_OP);
  teardown(h);

  /* the host cancelling the op itself ends the turn as cancelled */
  h = setup();
  start(h, P_CHAT);
  op = take(h, "http.stream");
  CHECK(lash_op_complete(h->core, op, LASH_OP_CANCELLED, "{}", 2) == LASH_OK);
  lash_run(h->core, 0);
  CHECK_STR(h->log, "http#1 done ");
  CHECK_STR(outcome(h), "{\"stopped\":\"cancelled\"}");
  teardown(h);
}

/* Failures the host reports on the op (timeouts.rs:78-106, streaming.rs:97-127,
 * driver.rs:31-49 messages): all retried. */
static void host_failures(void) {
  static const struct { const char *cfg; int status; const char *body, *payload, *reason; } rows[] = {
      {P_CHAT, 200, "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n", "{\"kind\":\"timeout\",\"phase\":\"chunk\"}",
       "OpenAI-compatible chat stream chunk timed out"},
      {P_CHAT, 0, NULL, "{\"kind\":\"timeout\",\"phase\":\"start\"}", "OpenAI-compatible chat response start timed out"},
      {P_RESPONSES, 0, NULL, "{\"kind\":\"timeout\",\"phase\":\"start\"}", "OpenAI-compatible response start timed out"},
      {P_RESPONSES, 200, "", "{\"kind\":\"timeout\",\"phase\":\"chunk\"}", "OpenAI-compatible stream chunk timed out"},
      {P_ANTHROPIC, 0, NULL, "{\"kind\":\"timeout\",\"phase\":\"start\"}", "Anthropic response start timed out"},
      {P_ANTHROPIC, 200, "", "{\"kind\":\"timeout\",\"phase\":\"chunk\"}", "Anthropic stream chunk timed out"},
      {P_CHAT, 0, NULL, "{\"kind\":\"transport\",\"message\":\"connection refused\"}", "HTTP request failed: connection refused"},
      /* a Transport failure is retryable whatever the host says (traits.rs:60-65) */
      {P_CHAT, 0, NULL, "{\"kind\":\"transport\",\"message\":\"dns\",\"retryable\":false}", "HTTP request failed: dns"},
      {P_CHAT, 200, "data: {\"choices\":[]}\n\n", "{\"kind\":\"stream\",\"message\":\"connection reset\"}",
       "Stream read failed: connection reset"},
  };
  for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
    host_t *h = setup();
    start(h, rows[i].cfg);
    const char *ok = strstr(rows[i].cfg, "compatible") ? CHAT : strstr(rows[i].cfg, "anthropic") ? ANTHROPIC : RESPONSES;
    resp_t script[] = {{rows[i].status, NULL, rows[i].body, LASH_OP_ERROR, rows[i].payload}, {200, NULL, ok, LASH_OP_OK, NULL}};
    drive(h, script, 2);
    t_checks++;
    if (strcmp(h->log, "http#1 retry_status timer:2000 http#2 done ") ||
        strcmp(str(activity(h, "retry_status", 0), "reason"), rows[i].reason)) {
      t_failed++;
      fprintf(stderr, "%s:%d: row %zu: log %s reason %s\n", __FILE__, __LINE__, i, h->log,
              activity(h, "retry_status", 0) ? str(activity(h, "retry_status", 0), "reason") : "(none)");
    }
    CHECK_STR(outcome(h), "{\"finished\":{\"assistant_message\":{\"text\":\"" TEXT "\"}}}");
    /* what the failed attempt streamed stays streamed: lash sends deltas as they come */
    teardown(h);
  }

  /* an error response whose body then times out: lash reads the body with
   * unwrap_or_default (driver.rs:112-118), so the message has no detail and the
   * status still decides */
  host_t *h = setup();
  start(h, P_CHAT);
  resp_t script[] = {{500, NULL, "{\"error\":{\"message\":\"partial", LASH_OP_ERROR, "{\"kind\":\"timeout\",\"phase\":\"body\"}"},
                     {200, NULL, CHAT, LASH_OP_OK, NULL}};
  drive(h, script, 2);
  CHECK_STR(h->log, "http#1 retry_status timer:2000 http#2 done ");
  CHECK_STR(str(activity(h, "retry_status", 0), "reason"), CHAT_FAILED " with 500");
  teardown(h);
}

/* A provider_http config the core refuses at turn start. */
static void bad_configs(void) {
  static const char *const bad[] = {
      "{\"kind\":\"gemini\"}", "{}", "\"openai\"", "{\"kind\":\"openai\",\"reliability\":3}",
      "{\"kind\":\"openai\",\"reliability\":{\"max_attempts\":0}}",
      "{\"kind\":\"openai\",\"reliability\":{\"base_delay_ms\":-1}}",
      "{\"kind\":\"openai\",\"reliability\":{\"chunk_timeout_ms\":0}}",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    host_t *h = setup();
    uint32_t no;
    CHECK(start_rc(h, bad[i], &no) == LASH_E_INVALID_ARGUMENT);
    CHECK(h->nseen == 0);
    teardown(h);
  }
  /* explicit timeouts reach the host */
  host_t *h = setup();
  start(h, "{\"kind\":\"openai\",\"reliability\":{\"request_timeout_ms\":5000,\"chunk_timeout_ms\":700}}");
  CHECK(num(cJSON_GetArrayItem(h->http, 0), "timeout_ms") == 5000);
  CHECK(num(cJSON_GetArrayItem(h->http, 0), "chunk_timeout_ms") == 700);
  teardown(h);
}

/* ---- allocation failures ----
 * The HTTP call alone (http.c, the dialect, the scheduler's op data) under the
 * project's sweep: a task that runs one call, a host that answers a 429 then a
 * stream. Mode 0 fails only the k-th allocation, mode 1 every one from the k-th. */

typedef struct {
  lash_task task; /* first: the scheduler hands this back */
  const cJSON *cfg, *req;
  lash_http_call *call;
  int started, outcome; /* -1: lash__http_start failed */
  lash_err e;
  host_t *h;
  char *out;
  size_t out_len;
} call_task;

static void call_retry(void *ud, double wait, uint32_t attempt, uint32_t max, const char *reason) {
  (void)wait, (void)attempt, (void)max;
  int armed = B.armed;
  B.armed = 0;
  log_s(ud, "retry(%s) ", reason);
  B.armed = armed;
}

static int call_resume(lash_task *t) {
  call_task *c = (call_task *)t;
  if (!c->started) {
    c->started = 1;
    lash_http_events ev = {NULL, call_retry, c->h};
    c->call = lash__http_start(&BUDGET, t, 1, c->cfg, c->req, &ev, &c->e);
    if (!c->call) { c->outcome = -1; return LASH_TASK_DONE; }
  }
  int r = lash__http_poll(c->call, &c->out, &c->out_len);
  if (r == LASH_HTTP_PENDING) return LASH_TASK_PARKED;
  c->outcome = r;
  lash__http_free(c->call);
  c->call = NULL;
  return LASH_TASK_DONE;
}
static void call_destroy(lash_task *t) {
  call_task *c = (call_task *)t;
  lash__http_free(c->call); /* shutdown with the call in flight */
  c->call = NULL;
}

/* Deliver to the scheduler like a host that honours NoMemory: run, then try once more. */
static int sched_data(lash_sched *s, uint32_t op, int ch, const char *b, size_t n) {
  int rc = lash__sched_data(s, op, ch, b, n);
  if (rc == LASH_E_NOMEM) { lash__sched_run(s, 0); rc = lash__sched_data(s, op, ch, b, n); }
  return rc;
}
static int sched_complete(lash_sched *s, uint32_t op, int st, const char *p) {
  int rc = lash__sched_complete(s, op, st, p, strlen(p));
  if (rc == LASH_E_NOMEM) rc = lash__sched_complete(s, op, st, p, strlen(p));
  return rc;
}

static void allocation_failures(void) {
  const char *req_text = "{\"model\":\"m\",\"messages\":[{\"role\":\"User\",\"blocks\":[{\"Text\":{\"text\":\"hi\",\"response_meta\":null,"
                         "\"cache_breakpoint\":false}}]}],\"attachments\":[],\"tools\":[],\"tool_choice\":\"Auto\",\"model_variant\":null,"
                         "\"generation\":{},\"session_id\":\"s\",\"output_spec\":null}";
  static const char *const bodies[] = {"{\"error\":{\"message\":\"slow\"}}", CHAT};
  static const int statuses[] = {429, 200};
  long counts[2][4] = {{0}};
  for (int mode = 0; mode < 2; mode++) {
    int clean = 0;
    for (long k = 0; k < 100000 && !clean; k++) {
      B.armed = 0;
      B.live = 0;
      B.count = 0;
      B.fail_at = mode == 0 ? k : -1;
      B.left = mode == 1 ? k : -1;
      lash__install_json_hooks(&BUDGET);
      host_t *h = calloc(1, sizeof *h);
      h->activities = cJSON_CreateArray();
      h->http = cJSON_CreateArray();
      h->bodies = cJSON_CreateArray();
      lash_host host = {call, h};
      lash_sched s;
      lash__sched_init(&s, &BUDGET, &host);
      cJSON *cfg = cJSON_Parse(P_CHAT), *req = cJSON_Parse(req_text);
      call_task *c = calloc(1, sizeof *c);
      c->task.resume = call_resume;
      c->task.destroy = call_destroy;
      c->cfg = cfg;
      c->req = req;
      c->h = h;
      B.armed = 1;
      lash__sched_spawn(&s, &c->task);
      lash__sched_run(&s, 0);
      /* the host: each http.stream gets the next response, each timer fires */
      int next = 0, stuck = 0; /* stuck 1: the host could not hand an answer over; 2: nothing to answer */
      for (int guard = 0; guard < 16 && c->started && !c->outcome && !stuck; guard++) {
        uint32_t timer = take(h, "timer"), op = timer ? 0 : take(h, "http.stream");
        if (timer) stuck = sched_complete(&s, timer, LASH_OP_OK, "{}") != LASH_OK;
        else if (op) { /* a 429, then the stream for every later attempt */
          char head[32];
          int n = snprintf(head, sizeof head, "{\"status\":%d}", statuses[next]);
          const char *b = bodies[next];
          next = 1;
          int rc = sched_data(&s, op, LASH_DATA_HEAD, head, (size_t)n);
          lash__sched_run(&s, 0);
          for (size_t at = 0, len = strlen(b); rc == LASH_OK && at < len; at += 97) {
            rc = sched_data(&s, op, LASH_DATA_BODY, b + at, len - at < 97 ? len - at : 97);
            lash__sched_run(&s, 0);
          }
          if (rc == LASH_OK) stuck = sched_complete(&s, op, LASH_OP_OK, "{}") != LASH_OK;
          else if (rc != LASH_E_UNKNOWN_OP) stuck = 1; /* refused for want of memory: the host gives up */
        } else {
          stuck = 2;
        }
        lash__sched_run(&s, 0);
      }
      B.armed = 0;
      int failed_any = mode == 0 ? k < B.count : B.left == 0;
      if (!failed_any) clean = 1;
      if (c->outcome == -1) {
        CHECK(c->e.code == LASH_E_NOMEM);
        counts[mode][0]++;
      } else if (c->outcome == LASH_HTTP_OK) {
        /* a success carries the whole response */
        cJSON *r = cJSON_Parse(c->out);
        t_checks++;
        if (!str(r, "full_text") || strcmp(str(r, "full_text"), TEXT)) {
          t_failed++;
          fprintf(stderr, "%s:%d: mode %d k %ld: %s\n", __FILE__, __LINE__, mode, k, c->out);
        }
        cJSON_Delete(r);
        counts[mode][1]++;
      } else if (c->outcome == LASH_HTTP_FAILED) {
        CHECK(c->out == NULL || strstr(c->out, "\"message\":") != NULL);
        counts[mode][2]++;
      } else {
        /* unfinished: only when the host could not hand an answer over */
        t_checks++;
        if (mode == 0 && stuck != 1) {
          t_failed++;
          fprintf(stderr, "%s:%d: mode %d k %ld: the call neither ended nor waits on the host (log %s)\n", __FILE__, __LINE__, mode, k, h->log);
        }
        counts[mode][3]++;
      }
      if (mode == 0) CHECK(c->outcome != 0 || !failed_any || stuck);
      lash__sched_shutdown(&s); /* frees a call still in flight */
      lash__free(&BUDGET, c->out);
      free(c);
      cJSON_Delete(cfg);
      cJSON_Delete(req);
      for (int i = 0; i < h->n; i++) cJSON_Delete(h->p[i].msg);
      cJSON_Delete(h->result);
      cJSON_Delete(h->activities);
      cJSON_Delete(h->http);
      cJSON_Delete(h->bodies);
      free(h);
      t_checks++;
      if (B.live != 0) {
        t_failed++;
        fprintf(stderr, "%s:%d: mode %d k %ld: %ld allocations live after shutdown\n", __FILE__, __LINE__, mode, k, B.live);
      }
    }
    CHECK(clean);
    fprintf(stderr, "    mode %d: %ld start refused, %ld ok, %ld failed, %ld unfinished\n", mode, counts[mode][0], counts[mode][1],
            counts[mode][2], counts[mode][3]);
  }
  lash__install_json_hooks(NULL);
}

/* A second lash_turn_start short of one allocation: it refuses, or the turn it
 * starts still goes over HTTP, never to the host's llm.call. (The first turn,
 * which builds the core's shared tool specs, is not swept here.) */
static void turn_start_allocation_failures(void) {
  int clean = 0;
  for (long k = 0; k < 10000 && !clean; k++) {
    B.armed = 0;
    B.count = 0;
    B.live = 0;
    B.fail_at = k;
    B.left = -1;
    host_t *h = setup_with(&BUDGET);
    start(h, P_CHAT); /* a first turn caches what every turn shares (tool specs, system prompt) */
    resp_t ok = {200, NULL, CHAT, LASH_OP_OK, NULL};
    serve(h, &ok);
    CHECK(h->result != NULL);
    char req[256];
    snprintf(req, sizeof req, "{\"session_id\":\"s\",\"provider_kind\":\"p\",\"input\":{\"items\":[{\"type\":\"text\",\"text\":\"hi\"}]},"
                              "\"provider_http\":%s}", P_CHAT);
    uint32_t no;
    B.armed = 1;
    int rc = lash_turn_start(h->core, req, strlen(req), &no);
    B.armed = 0;
    clean = k >= B.count;
    if (rc == LASH_OK) {
      lash_run(h->core, 0);
      t_checks++;
      if (find(h, "llm.call") >= 0) {
        t_failed++;
        fprintf(stderr, "%s:%d: allocation %ld failed in lash_turn_start: the turn asked the host's llm.call\n", __FILE__, __LINE__, k);
      }
      if (find(h, "http.stream") >= 0) serve(h, &ok);
    }
    teardown(h);
    CHECK(B.live == 0);
  }
  CHECK(clean);
  lash__install_json_hooks(NULL);
}

TEST_MAIN(RUN(classifier_context_overflow); RUN(overflow_text); RUN(classifier_content_filter);
          RUN(classifier_rate_limits_and_quota); RUN(classifier_model_not_found); RUN(classifier_status_table);
          RUN(retry_delays); RUN(retry_after_values); RUN(error_details); RUN(openai_error_retryable);
          RUN(stream_every_split); RUN(retry_after_429); RUN(server_errors_exhaust); RUN(terminal_failures);
          RUN(stream_error_events); RUN(malformed_stream); RUN(host_protocol); RUN(response_size_bound); RUN(backpressure); RUN(cancellation);
          RUN(host_failures); RUN(bad_configs); RUN(allocation_failures);
          RUN(turn_start_allocation_failures))
