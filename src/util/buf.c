#include "util/buf.h"

#include <stdio.h>
#include <string.h>

#include "util/alloc.h"

void lash__buf_init(lash_buf *b, const lash_allocator *a) {
  memset(b, 0, sizeof *b);
  b->alloc = a;
}

void lash__buf_free(lash_buf *b) {
  lash__free(b->alloc, b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

static int reserve(lash_buf *b, size_t extra) {
  if (b->oom) return 0;
  if (b->len + extra + 1 <= b->cap) return 1;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + extra + 1) {
    if (cap > ((size_t)-1) / 2) { b->oom = 1; return 0; }
    cap *= 2;
  }
  char *d = lash__realloc(b->alloc, b->data, cap);
  if (!d) { b->oom = 1; return 0; }
  b->data = d;
  b->cap = cap;
  return 1;
}

int lash__buf_reserve(lash_buf *b, size_t extra) { return reserve(b, extra); }

int lash__buf_append(lash_buf *b, const char *s, size_t n) {
  if (!reserve(b, n)) return 0;
  if (n) memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 1;
}

int lash__buf_puts(lash_buf *b, const char *s) { return lash__buf_append(b, s, strlen(s)); }

int lash__buf_printf(lash_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || !reserve(b, (size_t)n)) { va_end(ap2); return 0; }
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  b->len += (size_t)n;
  return 1;
}

int lash__buf_json_string(lash_buf *b, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  if (!lash__buf_append(b, "\"", 1)) return 0;
  size_t run = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    const char *esc = NULL;
    char u[6];
    switch (c) {
      case '"': esc = "\\\""; break;
      case '\\': esc = "\\\\"; break;
      case '\n': esc = "\\n"; break;
      case '\r': esc = "\\r"; break;
      case '\t': esc = "\\t"; break;
      case '\b': esc = "\\b"; break;
      case '\f': esc = "\\f"; break;
      default:
        if (c < 0x20) {
          u[0] = '\\'; u[1] = 'u'; u[2] = '0'; u[3] = '0';
          u[4] = hex[c >> 4]; u[5] = hex[c & 15];
        }
    }
    if (esc || c < 0x20) {
      if (!lash__buf_append(b, s + run, i - run)) return 0;
      if (esc ? !lash__buf_puts(b, esc) : !lash__buf_append(b, u, 6)) return 0;
      run = i + 1;
    }
  }
  if (!lash__buf_append(b, s + run, n - run)) return 0;
  return lash__buf_append(b, "\"", 1);
}

char *lash__buf_take(lash_buf *b, size_t *len_out) {
  if (!b->data && !b->oom) reserve(b, 0);
  char *d = b->oom ? NULL : b->data;
  if (b->oom) lash__free(b->alloc, b->data);
  if (len_out) *len_out = d ? b->len : 0;
  b->data = NULL;
  b->len = b->cap = 0;
  b->oom = 0;
  return d;
}
