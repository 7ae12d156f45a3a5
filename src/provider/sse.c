/* Framing as lash's SseBuffer reads it (lash-llm-transport streaming.rs): lines
 * split on LF (a CR before it dropped), `data:` payloads trimmed (Unicode White_Space,
 * as Rust's str::trim) and joined with
 * '\n', any line that trims to empty ends the event, events with no data are not
 * delivered, everything else (`event:`, `id:`, comments) is ignored, and at the end
 * the unterminated remainder is trimmed and read as a last data line. */
#include "provider/sse.h"

#include <string.h>

void lash__sse_init(lash_sse *s, const lash_allocator *a, size_t max_event) {
  memset(s, 0, sizeof *s);
  lash__buf_init(&s->line, a);
  lash__buf_init(&s->data, a);
  s->max_event = max_event;
}

void lash__sse_free(lash_sse *s) {
  lash__buf_free(&s->line);
  lash__buf_free(&s->data);
}

/* Length of the Unicode White_Space character (Rust's str::trim set) at p, or 0. */
static size_t space_at(const unsigned char *p, size_t n) {
  if (!n) return 0;
  if (p[0] == ' ' || (p[0] >= 0x09 && p[0] <= 0x0D)) return 1;
  if (n >= 2 && p[0] == 0xC2 && (p[1] == 0x85 || p[1] == 0xA0)) return 2; /* U+0085, U+00A0 */
  if (n >= 3 && p[0] == 0xE1 && p[1] == 0x9A && p[2] == 0x80) return 3;   /* U+1680 */
  if (n >= 3 && p[0] == 0xE2 && p[1] == 0x80 &&
      (p[2] <= 0x8A || p[2] == 0xA8 || p[2] == 0xA9 || p[2] == 0xAF)) return 3; /* U+2000-200A, 2028, 2029, 202F */
  if (n >= 3 && p[0] == 0xE2 && p[1] == 0x81 && p[2] == 0x9F) return 3;   /* U+205F */
  if (n >= 3 && p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80) return 3;   /* U+3000 */
  return 0;
}

/* Length of the White_Space character ending at p[n-1], or 0. */
static size_t space_before(const unsigned char *p, size_t n) {
  for (size_t k = 1; k <= 3 && k <= n; k++)
    if (space_at(p + n - k, k) == k) return k;
  return 0;
}

static void trim(const char **p, size_t *n) {
  size_t k;
  while ((k = space_at((const unsigned char *)*p, *n))) { *p += k; *n -= k; }
  while ((k = space_before((const unsigned char *)*p, *n))) *n -= k;
}

static int dispatch(lash_sse *s, lash_sse_event_fn fn, void *ud) {
  int rc = LASH_OK;
  if (s->data.len) rc = fn(ud, s->data.data, s->data.len);
  s->data.len = 0;
  if (s->data.data) s->data.data[0] = '\0';
  return rc;
}

static int add_data(lash_sse *s, const char *p, size_t n) {
  trim(&p, &n);
  if (s->data.len + n + 1 > s->max_event) return LASH_E_INVALID_ARGUMENT;
  if (s->data.len && !lash__buf_append(&s->data, "\n", 1)) return LASH_E_NOMEM;
  if (!lash__buf_append(&s->data, p, n)) return LASH_E_NOMEM;
  return LASH_OK;
}

/* One complete line (LF and a preceding CR removed). */
static int on_line(lash_sse *s, lash_sse_event_fn fn, void *ud) {
  const char *l = s->line.data ? s->line.data : "";
  size_t n = s->line.len;
  if (n && l[n - 1] == '\r') n--;
  int rc = LASH_OK;
  if (n >= 5 && !memcmp(l, "data:", 5)) rc = add_data(s, l + 5, n - 5);
  else {
    const char *t = l;
    size_t tn = n;
    trim(&t, &tn);
    if (!tn) rc = dispatch(s, fn, ud); /* a line that trims to empty ends the event */
  }
  s->line.len = 0;
  if (s->line.data) s->line.data[0] = '\0';
  return rc;
}

int lash__sse_feed(lash_sse *s, const char *bytes, size_t len, lash_sse_event_fn fn, void *ud) {
  size_t start = 0;
  for (size_t i = 0; i < len; i++) {
    if (bytes[i] != '\n') continue;
    if (s->line.len + (i - start) > s->max_event) return LASH_E_INVALID_ARGUMENT;
    if (!lash__buf_append(&s->line, bytes + start, i - start)) return LASH_E_NOMEM;
    int rc = on_line(s, fn, ud);
    if (rc) return rc;
    start = i + 1;
  }
  if (s->line.len + (len - start) > s->max_event) return LASH_E_INVALID_ARGUMENT;
  if (len > start && !lash__buf_append(&s->line, bytes + start, len - start)) return LASH_E_NOMEM;
  return LASH_OK;
}

int lash__sse_finish(lash_sse *s, lash_sse_event_fn fn, void *ud) {
  const char *p = s->line.data ? s->line.data : "";
  size_t n = s->line.len;
  trim(&p, &n);
  int rc = LASH_OK;
  if (n >= 5 && !memcmp(p, "data:", 5)) rc = add_data(s, p + 5, n - 5);
  s->line.len = 0;
  if (!rc) rc = dispatch(s, fn, ud);
  return rc;
}
