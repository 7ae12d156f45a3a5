/* Server-sent-events framing for streamed provider responses, read as lash's
 * SseBuffer reads it (see sse.c). Bytes may arrive split anywhere, inside UTF-8 sequences and
 * CRLF pairs included. Bounded: one event's data may not exceed max_event. */
#ifndef LASH_PROVIDER_SSE_H
#define LASH_PROVIDER_SSE_H
#include "lash/lash.h"
#include "util/buf.h"

/* Called once per complete event with its data (lines joined by '\n', no
 * trailing newline). Return non-zero to stop parsing (the error is kept). */
typedef int (*lash_sse_event_fn)(void *ud, const char *data, size_t len);

typedef struct lash_sse {
  lash_buf line;      /* the current, unfinished line */
  lash_buf data;      /* data of the current event */
  size_t max_event;
} lash_sse;

void lash__sse_init(lash_sse *s, const lash_allocator *a, size_t max_event);
void lash__sse_free(lash_sse *s);
/* Feed bytes. Returns LASH_OK, LASH_E_INVALID_ARGUMENT if an event or line
 * exceeds max_event, LASH_E_NOMEM, or the callback's non-zero return. */
int lash__sse_feed(lash_sse *s, const char *bytes, size_t len, lash_sse_event_fn fn, void *ud);
/* End of stream: a final event without its blank line is still delivered
 * (a truncated stream is judged by the dialect, not the framing). */
int lash__sse_finish(lash_sse *s, lash_sse_event_fn fn, void *ud);
#endif
