/* SSE framing (src/provider/sse.c): data lines, blank-line event ends, CRLF (split
 * anywhere), comments and other fields ignored, multi-line data, max_event, the
 * final event without its blank line, and split invariance.
 *
 * lash_parity checks the places where lash's framing (lash-llm-transport
 * streaming.rs SseBuffer) differs from the SSE spec; sse.c follows lash. */
#include <stdlib.h>

#include "provider/sse.h"
#include "test.h"
#include "util/buf.h"

/* Events joined as "<data>|" so tests compare one string. */
typedef struct {
  lash_buf out;
  int n, stop_at;
} sink;

static int collect(void *ud, const char *data, size_t len) {
  sink *k = ud;
  lash__buf_append(&k->out, data, len);
  lash__buf_append(&k->out, "|", 1);
  k->n++;
  return k->stop_at && k->n == k->stop_at ? 77 : 0;
}

/* Feed text cut at the given offsets (ascending), then finish. */
static int run_cuts(const char *text, size_t len, const size_t *cuts, int ncuts, size_t max, sink *k) {
  lash_sse s;
  lash__sse_init(&s, NULL, max);
  lash__buf_init(&k->out, NULL);
  k->n = 0;
  int rc = LASH_OK;
  size_t at = 0;
  for (int i = 0; i <= ncuts && !rc; i++) {
    size_t end = i < ncuts ? cuts[i] : len;
    rc = lash__sse_feed(&s, text + at, end - at, collect, k);
    at = end;
  }
  if (!rc) rc = lash__sse_finish(&s, collect, k);
  lash__sse_free(&s);
  return rc;
}

static char *events(const char *text, size_t max, int *rc) {
  sink k = {0};
  *rc = run_cuts(text, strlen(text), NULL, 0, max, &k);
  lash__buf_append(&k.out, "", 0);
  return lash__buf_take(&k.out, NULL);
}

#define EXPECT_EVENTS(text, want)               \
  do {                                          \
    int rc_;                                    \
    char *got_ = events(text, 1u << 20, &rc_);  \
    CHECK(rc_ == LASH_OK);                      \
    CHECK_STR(got_, want);                      \
    free(got_);                                 \
  } while (0)

static void basics(void) {
  EXPECT_EVENTS("data: a\n\n", "a|");
  EXPECT_EVENTS("data:a\n\n", "a|");                   /* the space after the colon is optional */
  EXPECT_EVENTS("data:  a \n\n", "a|");                /* lash trims the payload */
  EXPECT_EVENTS("data: a\n\ndata: b\n\n", "a|b|");
  EXPECT_EVENTS("data: a\ndata: b\n\n", "a\nb|");      /* multi-line data joins with LF */
  EXPECT_EVENTS("data: a\ndata:\ndata: b\n\n", "a\n\nb|");
  EXPECT_EVENTS("\n\n\n", "");                         /* blank lines alone make no event */
  EXPECT_EVENTS("data:\n\n", "");                      /* lash delivers no event without data */
  EXPECT_EVENTS("data: [DONE]\n\n", "[DONE]|");
}

static void ignored_lines(void) {
  /* comments (OpenRouter's ": OPENROUTER PROCESSING"), event/id/retry fields */
  EXPECT_EVENTS(": OPENROUTER PROCESSING\n\nevent: message\nid: 7\nretry: 10\ndata: x\n\n", "x|");
  EXPECT_EVENTS(":comment\ndata: x\n:another\ndata: y\n\n", "x\ny|");
  EXPECT_EVENTS("data\n\n", "");                      /* lash reads only `data:` lines */
  EXPECT_EVENTS("Data: x\n\n", "");                   /* field names are case-sensitive */
  EXPECT_EVENTS(" data: x\n\n", "");
}

static void crlf(void) {
  EXPECT_EVENTS("data: a\r\n\r\n", "a|");
  EXPECT_EVENTS("data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n", "a\nb|c|");
  EXPECT_EVENTS(": ping\r\n\r\ndata: a\r\n\r\n", "a|");
  EXPECT_EVENTS("data: a\n\r\n", "a|"); /* mixed terminators */
  /* a CRLF split between two feeds is one line end, never two */
  const char *t = "data: a\r\n\r\ndata: b\r\n\r\n";
  size_t n = strlen(t);
  for (size_t i = 0; i <= n; i++) {
    sink k = {0};
    size_t cut = i;
    int rc = run_cuts(t, n, &cut, 1, 1u << 20, &k);
    lash__buf_append(&k.out, "", 0);
    CHECK(rc == LASH_OK);
    CHECK_STR(k.out.data, "a|b|");
    lash__buf_free(&k.out);
  }
  /* CR CR LF split as CR | CR LF: the first CR ends the data line, CRLF the event */
  size_t cut = 8;
  sink k = {0};
  CHECK(run_cuts("data: a\r\r\n", 10, &cut, 1, 1u << 20, &k) == LASH_OK);
  lash__buf_append(&k.out, "", 0);
  CHECK_STR(k.out.data, "a|");
  lash__buf_free(&k.out);
}

static void unterminated_final_event(void) {
  EXPECT_EVENTS("data: a\n\ndata: b", "a|b|");   /* no line end at all */
  EXPECT_EVENTS("data: a\n\ndata: b\n", "a|b|"); /* line end, no blank line */
  EXPECT_EVENTS("data: a\ndata: b", "a\nb|");
  EXPECT_EVENTS(": only a comment", "");
}

static void utf8_split(void) {
  /* "data: é😀\n\n" split inside each multi-byte sequence */
  const char *t = "data: \xc3\xa9\xf0\x9f\x98\x80\n\n";
  size_t n = strlen(t);
  for (size_t i = 0; i <= n; i++) {
    sink k = {0};
    size_t cut = i;
    CHECK(run_cuts(t, n, &cut, 1, 1u << 20, &k) == LASH_OK);
    lash__buf_append(&k.out, "", 0);
    CHECK_STR(k.out.data, "\xc3\xa9\xf0\x9f\x98\x80|");
    lash__buf_free(&k.out);
  }
}

static void max_event(void) {
  int rc;
  char *got = events("data: 12345678\n\n", 8, &rc); /* the data line is 14 bytes */
  CHECK(rc == LASH_E_INVALID_ARGUMENT);
  free(got);
  got = events("data:1234\ndata:5678\n\n", 9, &rc); /* data "1234\n5678" is 9 bytes */
  CHECK(rc == LASH_OK);
  CHECK_STR(got, "1234\n5678|");
  free(got);
  got = events("data:1234\ndata:56789\n\n", 9, &rc); /* 10 bytes */
  CHECK(rc == LASH_E_INVALID_ARGUMENT);
  free(got);
  /* a line that never ends is bounded too, however it is fed */
  lash_sse s;
  sink k = {0};
  lash__buf_init(&k.out, NULL);
  lash__sse_init(&s, NULL, 64);
  rc = LASH_OK;
  for (int i = 0; i < 100 && !rc; i++) rc = lash__sse_feed(&s, "xx", 2, collect, &k);
  CHECK(rc == LASH_E_INVALID_ARGUMENT);
  CHECK(k.out.len <= 64 + 8);
  lash__sse_free(&s);
  lash__buf_free(&k.out);
}

static void callback_stops(void) {
  sink k = {0};
  k.stop_at = 2;
  const char *t = "data: a\n\ndata: b\n\ndata: c\n\n";
  CHECK(run_cuts(t, strlen(t), NULL, 0, 1u << 20, &k) == 77);
  lash__buf_append(&k.out, "", 0);
  CHECK_STR(k.out.data, "a|b|");
  lash__buf_free(&k.out);
}

static unsigned rnd_state = 12345;
static unsigned rnd(void) { return rnd_state = rnd_state * 1103515245u + 12345u, (rnd_state >> 16) & 0x7fff; }

static void split_invariance(void) {
  const char *t = ": keepalive\r\n\r\nevent: message\r\ndata: {\"a\":\"\xc3\xa9\"}\r\n\r\n"
                  "data: line1\ndata: line2\n\nid: 3\ndata: [DONE]\n\ndata: tail";
  size_t n = strlen(t);
  int rc;
  char *want = events(t, 1u << 20, &rc);
  CHECK(rc == LASH_OK);
  CHECK_STR(want, "{\"a\":\"\xc3\xa9\"}|line1\nline2|[DONE]|tail|");
  for (size_t i = 0; i <= n; i++)
    for (size_t j = i; j <= n; j += 7) {
      size_t cuts[2] = {i, j};
      sink k = {0};
      CHECK(run_cuts(t, n, cuts, 2, 1u << 20, &k) == LASH_OK);
      lash__buf_append(&k.out, "", 0);
      if (strcmp(k.out.data, want)) CHECK_STR(k.out.data, want);
      lash__buf_free(&k.out);
    }
  for (int r = 0; r < 200; r++) { /* random multi-splits, byte-at-a-time included */
    size_t cuts[64];
    int nc = (int)(rnd() % 64);
    for (int c = 0; c < nc; c++) cuts[c] = rnd() % (n + 1);
    for (int a = 1; a < nc; a++) /* ascending */
      for (int b = a; b > 0 && cuts[b - 1] > cuts[b]; b--) { size_t x = cuts[b]; cuts[b] = cuts[b - 1]; cuts[b - 1] = x; }
    sink k = {0};
    CHECK(run_cuts(t, n, cuts, nc, 1u << 20, &k) == LASH_OK);
    lash__buf_append(&k.out, "", 0);
    if (strcmp(k.out.data, want)) CHECK_STR(k.out.data, want);
    lash__buf_free(&k.out);
  }
  free(want);
}

#if 1 /* lash parity: sse.c follows SseBuffer */
/* lash splits lines on LF only and ends an event at any line that trims to empty
 * (streaming.rs SseBuffer::push_chunk / consume_line: `line.trim().is_empty()`). */
static void lash_parity(void) {
  EXPECT_EVENTS("data: a\n \ndata: b\n\n", "a|b|");   /* a whitespace-only line ends the event */
  EXPECT_EVENTS("data: a\n\t\ndata: b\n\n", "a|b|");
  EXPECT_EVENTS("data: {\"a\":1,\r\"b\":2}\n\n", "{\"a\":1,\r\"b\":2}|"); /* a lone CR is not a line end */
  EXPECT_EVENTS("data: a\n\n  data: b", "a|b|"); /* SseBuffer::finish trims the last line before reading it */
  /* str::trim is Unicode White_Space: a no-break-space line ends the event, an em space
   * before the unterminated last line is trimmed away, U+3000 around data is trimmed */
  EXPECT_EVENTS("data: a\n\xc2\xa0\ndata: b\n\n", "a|b|");
  EXPECT_EVENTS("data: a\n\n\xe2\x80\x83" "data: b", "a|b|");
  EXPECT_EVENTS("data:\xe3\x80\x80x\xe3\x80\x80\n\n", "x|");
  EXPECT_EVENTS("data: \xc3\xa9\n\n", "\xc3\xa9|"); /* not whitespace: kept */
}
#else
static void lash_parity(void) {}
#endif

TEST_MAIN(RUN(basics); RUN(ignored_lines); RUN(crlf); RUN(unterminated_final_event); RUN(utf8_split); RUN(max_event);
          RUN(callback_stops); RUN(split_invariance); RUN(lash_parity))
