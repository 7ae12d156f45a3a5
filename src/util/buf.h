/* Growable byte buffer for building JSON text and messages. */
#ifndef LASH_UTIL_BUF_H
#define LASH_UTIL_BUF_H
#include <stdarg.h>
#include "lash/lash.h"

typedef struct lash_buf {
  const lash_allocator *alloc; /* borrowed */
  char *data;                  /* owned; always NUL-terminated when len > 0 */
  size_t len, cap;
  int oom;                     /* sticky: set once an append failed */
} lash_buf;

void lash__buf_init(lash_buf *b, const lash_allocator *a);
void lash__buf_free(lash_buf *b);
/* Room for extra more bytes (and the NUL), so appends that fit need no allocation. */
int lash__buf_reserve(lash_buf *b, size_t extra);
int lash__buf_append(lash_buf *b, const char *s, size_t n);
int lash__buf_puts(lash_buf *b, const char *s);
int lash__buf_printf(lash_buf *b, const char *fmt, ...);
/* Append s as a JSON string literal, escaped exactly as serde_json does: short
 * forms for " \\ \b \f \n \r \t, \u00xx for other control bytes, nothing else. */
int lash__buf_json_string(lash_buf *b, const char *s, size_t n);
/* Hand the bytes over to the caller (owned); the buffer is reset. */
char *lash__buf_take(lash_buf *b, size_t *len_out);
#endif
