/* Provider failures as lash's ProviderHandle sees them (§7.1): the failure
 * record, the default classifier, retry delays and error-body details.
 * Pure functions; the HTTP call state machine (http.c) uses them. */
#ifndef LASH_PROVIDER_FAILURE_H
#define LASH_PROVIDER_FAILURE_H
#include <stddef.h>
#include <stdint.h>

/* lash ProviderFailureKind */
typedef enum {
  LASH_FAIL_UNKNOWN, LASH_FAIL_TRANSPORT, LASH_FAIL_TIMEOUT, LASH_FAIL_HTTP, LASH_FAIL_STREAM,
  LASH_FAIL_AUTH, LASH_FAIL_VALIDATION, LASH_FAIL_QUOTA, LASH_FAIL_UNSUPPORTED
} lash_fail_kind;

typedef struct lash_failure {
  lash_fail_kind kind;
  char message[1024];     /* bounded; cut on a UTF-8 boundary */
  int retryable;
  int status;             /* HTTP status, 0 = none */
  char code[48];          /* "" = none; an HTTP status sets it to the number */
  const char *terminal;   /* lash terminal reason: "provider_error" | "context_overflow" | "content_filter" */
  double retry_after_ms;  /* < 0: none */
  const char *raw;        /* borrowed: the response body or raw event, for the classifier only */
  size_t raw_len;
} lash_failure;

void lash__failure_init(lash_failure *f, lash_fail_kind kind, int retryable, const char *fmt, ...);
/* DefaultProviderFailureClassifier::classify */
void lash__failure_classify(lash_failure *f);
/* is_context_overflow_text (case-insensitive). */
int lash__is_context_overflow_text(const char *s, size_t n);

typedef struct lash_retry_policy {
  uint32_t max_attempts;      /* >= 1 */
  double base_delay_ms, max_delay_ms;
  double retry_after_cap_ms;  /* < 0: uncapped */
} lash_retry_policy;

/* ProviderRetryPolicy::delay_for_attempt(retry_index, retry_after) in ms. */
double lash__retry_delay_ms(const lash_retry_policy *p, uint32_t retry_index, double retry_after_ms);
/* retry_after_from_headers: an integer number of seconds, else < 0. */
double lash__retry_after_ms(const char *value);
/* extract_error_detail: the body's error.message if it is JSON, else its first
 * 200 characters (trimmed). Returns 0 (None, out "") for an empty body, else 1
 * (Some; the detail itself may be "", from "error":{"message":""}). */
int lash__error_detail(const char *body, size_t len, char *out, size_t cap);
#endif
