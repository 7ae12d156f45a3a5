/* Provider failure classification and retry timing, ported from lash-core's
 * provider/{traits,options}.rs and lash-llm-transport's util/transport helpers. */
#include "provider/failure.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "provider/dialect.h"

/* After a bounded copy: drop a UTF-8 sequence the bound cut in half. */
static void utf8_cut(char *s) {
  size_t n = strlen(s), i = n;
  while (i && ((unsigned char)s[i - 1] & 0xC0) == 0x80) i--;
  if (!i) return;
  unsigned char c = (unsigned char)s[i - 1];
  size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  if (n - (i - 1) < need) s[i - 1] = '\0';
}

void lash__failure_init(lash_failure *f, lash_fail_kind kind, int retryable, const char *fmt, ...) {
  memset(f, 0, sizeof *f);
  f->kind = kind;
  f->retryable = retryable;
  f->terminal = "provider_error";
  f->retry_after_ms = -1;
  va_list ap;
  va_start(ap, fmt);
  if (vsnprintf(f->message, sizeof f->message, fmt, ap) >= (int)sizeof f->message) utf8_cut(f->message);
  va_end(ap);
}

/* lash lowercases "{code}\n{message}\n{raw}" and searches it; no needle holds a
 * '\n', so searching the three parts one by one is the same, with no copy. */
typedef struct { const char *s[3]; size_t n[3]; } hay_t;

static int span_has(const char *h, size_t n, const char *needle) {
  size_t m = strlen(needle);
  for (size_t i = 0; m <= n && i <= n - m; i++) {
    size_t k = 0;
    while (k < m && tolower((unsigned char)h[i + k]) == needle[k]) k++;
    if (k == m) return 1;
  }
  return 0;
}

static int has(const hay_t *h, const char *needle) {
  for (int i = 0; i < 3; i++)
    if (h->s[i] && span_has(h->s[i], h->n[i], needle)) return 1;
  return 0;
}

static int overflow_text(const hay_t *l) {
  static const char *const not_overflow[] = {"rate limit", "rate_limit", "ratelimit", "throttle", "throttling",
                                             "too many requests", "tokens per minute", "tpm", "quota"};
  for (size_t i = 0; i < sizeof not_overflow / sizeof *not_overflow; i++)
    if (has(l, not_overflow[i])) return 0;
  static const char *const overflow[] = {
      "context_length_exceeded", "context_length", "context length", "maximum context", "max context",
      "context window", "exceeds the context window", "prompt is too long", "prompt too long", "request_too_large",
      "maximum prompt length is", "reduce the length of the messages", "maximum context length is",
      "model's context length", "models context length", "exceeds the available context size",
      "greater than the context length", "exceeded model token limit", "too large for model with",
      "model_context_window_exceeded", "too many tokens", "exceeds the maximum number of tokens",
      "exceeds maximum number of tokens", "request too large", "input is too long", "token limit exceeded",
      "reduce the length of your prompt"};
  for (size_t i = 0; i < sizeof overflow / sizeof *overflow; i++)
    if (has(l, overflow[i])) return 1;
  return has(l, "input token count") && has(l, "exceeds the maximum");
}

int lash__is_context_overflow_text(const char *s, size_t n) {
  hay_t h = {{s, NULL, NULL}, {n, 0, 0}};
  return overflow_text(&h);
}

/* Rust's str::parse::<u16>: an optional '+', then digits only, at most 65535. */
static int parse_u16(const char *s, int *out) {
  if (*s == '+') s++;
  if (!*s) return 0;
  long v = 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return 0;
    v = v * 10 + (*s - '0');
    if (v > 65535) return 0;
  }
  *out = (int)v;
  return 1;
}

void lash__failure_classify(lash_failure *f) {
  int status = f->status;
  if (!status && f->code[0]) parse_u16(f->code, &status); /* a numeric code stands for a status */
  if (status) {
    f->status = status;
    if (f->kind == LASH_FAIL_UNKNOWN) f->kind = LASH_FAIL_HTTP;
    f->retryable = status == 408 || status == 409 || status == 425 || status == 429 || status == 500 ||
                   status == 502 || status == 503 || status == 504;
    if (status == 401 || status == 403) f->kind = LASH_FAIL_AUTH;
    else if (status == 400 || status == 413 || status == 422) f->kind = LASH_FAIL_VALIDATION;
  } else if (f->kind == LASH_FAIL_TRANSPORT || f->kind == LASH_FAIL_TIMEOUT) {
    f->retryable = 1;
  }
  hay_t hay = {{f->code, f->message, f->raw}, {strlen(f->code), strlen(f->message), f->raw ? f->raw_len : 0}};
  if (overflow_text(&hay)) {
    f->kind = LASH_FAIL_VALIDATION;
    f->retryable = 0;
    f->terminal = "context_overflow";
  }
  if (has(&hay, "insufficient_quota") || has(&hay, "usage_limit_reached") || has(&hay, "usage_not_included") ||
      has(&hay, "quota")) {
    f->kind = LASH_FAIL_QUOTA;
    f->retryable = 0;
  }
  if (has(&hay, "content_filter") || has(&hay, "prohibited_content") || has(&hay, "safety") || has(&hay, "sensitive"))
    f->terminal = "content_filter";
  if (has(&hay, "model_not_found") || has(&hay, "unsupported model") || has(&hay, "does not exist")) {
    f->kind = LASH_FAIL_UNSUPPORTED;
    f->retryable = 0;
  }
}

double lash__retry_delay_ms(const lash_retry_policy *p, uint32_t retry_index, double retry_after_ms) {
  if (retry_after_ms >= 0) return p->retry_after_cap_ms >= 0 && retry_after_ms > p->retry_after_cap_ms ? p->retry_after_cap_ms : retry_after_ms;
  double mult = retry_index >= 63 ? INFINITY : ldexp(1.0, (int)retry_index);
  double d = p->base_delay_ms ? p->base_delay_ms * mult : 0; /* 0 x inf: Rust's 0.saturating_mul(MAX) = 0 */
  if (!(d <= p->max_delay_ms)) d = p->max_delay_ms; /* also catches inf*0 = NaN */
  return d;
}

double lash__retry_after_ms(const char *value) {
  if (!value) return -1;
  while (*value == ' ' || *value == '\t') value++;
  size_t n = strlen(value);
  while (n && (value[n - 1] == ' ' || value[n - 1] == '\t')) n--;
  if (n && *value == '+') value++, n--; /* u64 parse: an optional '+', then digits only (an HTTP date is ignored) */
  if (!n) return -1;
  for (size_t i = 0; i < n; i++)
    if (value[i] < '0' || value[i] > '9') return -1;
  while (n > 1 && *value == '0') value++, n--;
  if (n > 20 || (n == 20 && memcmp(value, "18446744073709551615", 20) > 0)) return -1; /* past u64::MAX */
  double secs = 0;
  for (size_t i = 0; i < n; i++) secs = secs * 10 + (value[i] - '0');
  return secs * 1000;
}

int lash__error_detail(const char *body, size_t len, char *out, size_t cap) {
  if (!cap) return 0;
  out[0] = '\0';
  size_t b = 0, e = len;
  while (b < e && body[b] && strchr(" \t\r\n\f\v", body[b])) b++; /* (strchr finds a NUL too) */
  while (e > b && body[e - 1] && strchr(" \t\r\n\f\v", body[e - 1])) e--;
  if (b == e) return 0;
  cJSON *v = cJSON_ParseWithLength(body + b, e - b);
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(v, "error"), "message");
  if (cJSON_IsString(m) && m->valuestring) {
    snprintf(out, cap, "%s", m->valuestring);
    if (strlen(m->valuestring) >= cap) utf8_cut(out);
    cJSON_Delete(v);
    return 1;
  }
  cJSON_Delete(v);
  /* first 200 characters (code points), never cutting one in half */
  size_t i = b, chars = 0;
  while (i < e && chars < 200) {
    unsigned char c = (unsigned char)body[i];
    size_t step = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (i + step > e) break;
    i += step;
    chars++;
  }
  size_t n = i - b < cap - 1 ? i - b : cap - 1;
  memcpy(out, body + b, n);
  out[n] = '\0';
  if (n < i - b) utf8_cut(out);
  return 1;
}

void lash__err_raw_event(lash_err *e, char **slot, const cJSON *ev) {
  cJSON_free(*slot);
  *slot = ev ? cJSON_PrintUnformatted(ev) : NULL;
  e->raw = *slot;
  e->raw_len = *slot ? strlen(*slot) : 0;
}

int lash__openai_error_retryable(const cJSON *error) {
  if (!cJSON_IsObject(error)) return 0;
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(error, "code");
  if (!c) c = cJSON_GetObjectItemCaseSensitive(error, "status");
  int have = 0;
  double num = 0;
  if (cJSON_IsNumber(c) && c->valuedouble == floor(c->valuedouble)) have = 1, num = c->valuedouble;
  else if (cJSON_IsString(c) && c->valuestring) {
    const char *s = c->valuestring;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    int range = errno == ERANGE; /* past i64: Rust's parse fails */
    while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r') end++;
    if (end != s && !*end && !range) have = 1, num = (double)v;
  }
  if (have && (num == 429 || num >= 500)) return 1;
  const cJSON *k = cJSON_GetObjectItemCaseSensitive(error, "code");
  if (!k) k = cJSON_GetObjectItemCaseSensitive(error, "type");
  if (!k) k = cJSON_GetObjectItemCaseSensitive(error, "status");
  if (!cJSON_IsString(k) || !k->valuestring) return 0;
  static const char *const codes[] = {"server_error", "internal_server_error", "service_unavailable", "temporarily_unavailable",
                                      "overloaded", "rate_limit_exceeded"};
  for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
    if (!strcmp(k->valuestring, codes[i])) return 1;
  return 0;
}
