/* The Anthropic Messages dialect (src/provider/anthropic.c) against lash's
 * lash-provider-anthropic @22bad569f (request.rs, stream.rs, policy.rs) and the
 * documented wire formats: Messages request shape and streaming events
 * (platform.claude.com/docs/en/build-with-claude/streaming, /api/messages).
 * Expected values are written from those rules, not from this code's output. */
#include <stdint.h>
#include <stdlib.h>

#include "cJSON.h"
#include "provider/dialect.h"
#include "test.h"
#include "util/alloc.h"
#include "util/buf.h"

static const lash_dialect *D = &lash__dialect_anthropic;

static char *dup_n(const char *s, size_t n) {
  char *d = malloc(n + 1);
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

/* ---- helpers ------------------------------------------------------------ */

static char *body_of(const char *req_json, const char *opts_json, lash_err *e) {
  cJSON *req = cJSON_Parse(req_json), *opts = opts_json ? cJSON_Parse(opts_json) : NULL;
  if (!req) { fprintf(stderr, "bad test request JSON\n"); abort(); }
  size_t n = 0;
  memset(e, 0, sizeof *e);
  char *body = D->request_body(NULL, req, opts, &n, e);
  if (body && strlen(body) != n) { fprintf(stderr, "length mismatch\n"); abort(); }
  cJSON_Delete(req);
  cJSON_Delete(opts);
  return body;
}

/* The body equals the expected JSON (objects compared regardless of key order). */
static int body_is(const char *body, const char *expected) {
  cJSON *a = body ? cJSON_Parse(body) : NULL, *b = cJSON_Parse(expected);
  if (!b) { fprintf(stderr, "bad expected JSON: %s\n", expected); abort(); }
  int same = a && cJSON_Compare(a, b, 1);
  if (!same) fprintf(stderr, "body:     %s\nexpected: %s\n", body ? body : "(null)", expected);
  cJSON_Delete(a);
  cJSON_Delete(b);
  return same;
}

typedef struct {
  lash_buf log; /* "kind:text|" per delta */
} deltas;

static void on_delta(void *ud, const char *kind, const char *text, size_t len) {
  deltas *d = ud;
  lash__buf_puts(&d->log, kind);
  lash__buf_puts(&d->log, ":");
  lash__buf_append(&d->log, text, len);
  lash__buf_puts(&d->log, "|");
}

/* Feed body in the pieces cut at cuts[0..ncuts) (ascending); the LlmResponse or
 * NULL with e set. *feed_rc: the first non-OK feed status. */
static cJSON *run_cuts(const char *body, size_t len, const size_t *cuts, size_t ncuts, deltas *d, lash_err *e,
                       int *feed_rc) {
  lash_stream *s = D->stream_new(NULL);
  if (!s) abort();
  memset(e, 0, sizeof *e);
  *feed_rc = LASH_OK;
  size_t at = 0;
  for (size_t i = 0; i <= ncuts; i++) {
    size_t end = i < ncuts ? cuts[i] : len;
    int rc = D->stream_feed(s, body + at, end - at, d ? on_delta : NULL, d, e);
    at = end;
    if (rc) { *feed_rc = rc; break; }
  }
  cJSON *out = *feed_rc ? NULL : D->stream_finish(s, NULL, NULL, e);
  if (*feed_rc) { /* the error sticks: finish reports it again */
    lash_err e2;
    memset(&e2, 0, sizeof e2);
    cJSON *again = D->stream_finish(s, NULL, NULL, &e2);
    if (again || e2.code != e->code || strcmp(e2.detail, e->detail)) { fprintf(stderr, "error not sticky\n"); abort(); }
  }
  D->stream_free(s);
  return out;
}

static cJSON *run(const char *body, deltas *d, lash_err *e) {
  int rc;
  return run_cuts(body, strlen(body), NULL, 0, d, e, &rc);
}

static int json_is(const cJSON *got, const char *expected) {
  cJSON *b = cJSON_Parse(expected);
  if (!b) { fprintf(stderr, "bad expected JSON: %s\n", expected); abort(); }
  int same = got && cJSON_Compare(got, b, 1);
  if (!same) {
    char *g = got ? cJSON_PrintUnformatted(got) : NULL;
    fprintf(stderr, "got:      %s\nexpected: %s\n", g ? g : "(null)", expected);
    cJSON_free(g);
  }
  cJSON_Delete(b);
  return same;
}

#define TEXT_BLOCK(t, bp) "{\"Text\":{\"text\":\"" t "\",\"response_meta\":null,\"cache_breakpoint\":" bp "}}"
#define REQ_TAIL "\"tool_choice\":\"Auto\",\"model_variant\":null,\"generation\":{},\"session_id\":\"s1\",\"output_spec\":null}"

/* ---- request bodies --------------------------------------------------- */

/* A multi-turn tool conversation: system prompt, an image, thinking replay,
 * two tool calls and results, a later system message, redacted thinking, and
 * reasoning without a signature. request.rs build_messages()/content_block_value(). */
static void test_request_conversation(void) {
  const char *req =
      "{\"model\":\"claude-sonnet-4-5\",\"messages\":["
      "{\"role\":\"System\",\"blocks\":[" TEXT_BLOCK("You are lash.", "false") "," TEXT_BLOCK("Be brief.", "false") "]},"
      "{\"role\":\"User\",\"blocks\":[" TEXT_BLOCK("Weather in Paris and Rome?", "true") ",{\"Image\":{\"attachment_idx\":0}}]},"
      "{\"role\":\"Assistant\",\"blocks\":[{\"Reasoning\":{\"text\":\"Call the tool twice.\",\"replay\":{\"signature\":\"EqQBsig==\"}}}]},"
      "{\"role\":\"Assistant\",\"blocks\":[" TEXT_BLOCK("Checking both.", "false") ","
      "{\"ToolCall\":{\"call_id\":\"toolu_01A\",\"tool_name\":\"get_weather\",\"input_json\":\"{\\\"city\\\":\\\"Paris\\\",\\\"units\\\":\\\"c\\\"}\",\"replay\":null}},"
      "{\"ToolCall\":{\"call_id\":\"call.2/x\",\"tool_name\":\"get_weather\",\"input_json\":\"not json\",\"replay\":null}}]},"
      "{\"role\":\"User\",\"blocks\":[{\"ToolResult\":{\"call_id\":\"toolu_01A\",\"content\":\"18C sunny\",\"tool_name\":\"get_weather\"}},"
      "{\"ToolResult\":{\"call_id\":\"call.2/x\",\"content\":\"error: bad input\",\"tool_name\":null}}]},"
      "{\"role\":\"System\",\"blocks\":[" TEXT_BLOCK("Runtime note:\\nbudget low", "false") "]},"
      "{\"role\":\"Assistant\",\"blocks\":[{\"Reasoning\":{\"text\":\"\",\"replay\":{\"signature\":\"OPAQUE\",\"redacted\":true}}},"
      "{\"Reasoning\":{\"text\":\"reasoning from elsewhere\",\"replay\":null}},"
      "{\"Reasoning\":{\"text\":\"   \",\"replay\":{\"encrypted_content\":\"x\"}}}," TEXT_BLOCK(" \\n\\t ", "false") "]},"
      "{\"role\":\"User\",\"blocks\":[" TEXT_BLOCK("Thanks", "false") "]}],"
      "\"attachments\":[{\"mime\":\"image/png\",\"data\":[137,80,78,71],\"reference\":null}],"
      "\"tools\":[{\"name\":\"get_weather\",\"description\":\"Weather by city\",\"input_schema\":{\"type\":\"object\","
      "\"properties\":{\"city\":{\"type\":\"string\"},\"units\":{\"enum\":[\"c\",\"f\"]}},\"required\":[\"city\"],"
      "\"additionalProperties\":false},\"output_schema\":{},\"input_schema_projections\":[],\"output_schema_projections\":[]},"
      "{\"name\":\"noop\",\"description\":\"\",\"input_schema\":{\"type\":\"object\"},\"output_schema\":{},"
      "\"input_schema_projections\":[],\"output_schema_projections\":[]}],"
      "\"tool_choice\":\"Auto\",\"model_variant\":\"high\",\"generation\":{},\"session_id\":\"s1\",\"output_spec\":null}";
  /* claude-sonnet-4* has budget variants: high -> 12288 thinking tokens; no
   * temperature with thinking; default max_tokens 32768; the explicit breakpoint
   * on the first user text wins over the last user block; system and the last
   * tool get ephemeral cache_control; 0x89 'P' 'N' 'G' is base64 "iVBORw==". */
  const char *expected =
      "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":32768,\"stream\":true,"
      "\"system\":[{\"type\":\"text\",\"text\":\"You are lash.\\n\\nBe brief.\",\"cache_control\":{\"type\":\"ephemeral\"}}],"
      "\"messages\":["
      "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Weather in Paris and Rome?\",\"cache_control\":{\"type\":\"ephemeral\"}},"
      "{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\"iVBORw==\"}}]},"
      "{\"role\":\"assistant\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"Call the tool twice.\",\"signature\":\"EqQBsig==\"},"
      "{\"type\":\"text\",\"text\":\"Checking both.\"},"
      "{\"type\":\"tool_use\",\"id\":\"toolu_01A\",\"name\":\"get_weather\",\"input\":{\"city\":\"Paris\",\"units\":\"c\"}},"
      "{\"type\":\"tool_use\",\"id\":\"call_2_x\",\"name\":\"get_weather\",\"input\":{}}]},"
      "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_01A\",\"content\":\"18C sunny\"},"
      "{\"type\":\"tool_result\",\"tool_use_id\":\"call_2_x\",\"content\":\"error: bad input\"},"
      "{\"type\":\"text\",\"text\":\"Runtime note:\\nbudget low\"}]},"
      "{\"role\":\"assistant\",\"content\":[{\"type\":\"redacted_thinking\",\"data\":\"OPAQUE\"},"
      "{\"type\":\"text\",\"text\":\"reasoning from elsewhere\"}]},"
      "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Thanks\"}]}],"
      "\"tools\":[{\"name\":\"get_weather\",\"description\":\"Weather by city\",\"input_schema\":{\"type\":\"object\","
      "\"properties\":{\"city\":{\"type\":\"string\"},\"units\":{\"enum\":[\"c\",\"f\"]}},\"required\":[\"city\"]}},"
      "{\"name\":\"noop\",\"description\":\"\",\"input_schema\":{\"type\":\"object\",\"properties\":{},\"required\":[]},"
      "\"cache_control\":{\"type\":\"ephemeral\"}}],"
      "\"tool_choice\":{\"type\":\"auto\"},"
      "\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":12288,\"display\":\"omitted\"}}";
  lash_err e;
  char *body = body_of(req, NULL, &e);
  CHECK(body_is(body, expected));
  CHECK(body && !strstr(body, "__lash_cache_breakpoint"));
  free(body);
}

/* serde_json's bytes: keys sorted at every level, integers as written, floats
 * in ryu's shortest form, serde's string escapes; the tool input is re-read. */
static void test_request_exact_bytes(void) {
  const char *req =
      "{\"model\":\"claude-3-5-haiku\",\"messages\":["
      "{\"role\":\"User\",\"blocks\":[" TEXT_BLOCK("hi", "false") "]},"
      "{\"role\":\"Assistant\",\"blocks\":[{\"ToolCall\":{\"call_id\":\"t1\",\"tool_name\":\"calc\","
      "\"input_json\":\"{\\\"b\\\":1.50,\\\"a\\\":[1e2,-0,10000000000000000000000,5,-7,0.0001,1.5e-7,12345678901234567],\\\"a\\\":[9]}\",\"replay\":null}}]},"
      "{\"role\":\"User\",\"blocks\":[{\"ToolResult\":{\"call_id\":\"t1\",\"content\":\"a\\bb\\u001fc\\\"\\\\/\xC3\xA9\\u2028\",\"tool_name\":null}}]}],"
      "\"attachments\":[],\"tools\":[]," REQ_TAIL;
  /* the duplicate "a" in the tool input: the last one wins (serde map insert) */
  const char *expected =
      "{\"max_tokens\":32768,\"messages\":[{\"content\":[{\"text\":\"hi\",\"type\":\"text\"}],\"role\":\"user\"},"
      "{\"content\":[{\"id\":\"t1\",\"input\":{\"a\":[9],\"b\":1.5},\"name\":\"calc\",\"type\":\"tool_use\"}],\"role\":\"assistant\"},"
      "{\"content\":[{\"cache_control\":{\"type\":\"ephemeral\"},\"content\":\"a\\bb\\u001fc\\\"\\\\/\xC3\xA9\xE2\x80\xA8\","
      "\"tool_use_id\":\"t1\",\"type\":\"tool_result\"}],\"role\":\"user\"}],"
      "\"model\":\"claude-3-5-haiku\",\"stream\":true,\"temperature\":0}";
  lash_err e;
  char *body = body_of(req, NULL, &e);
  CHECK_STR(body, expected);
  free(body);

  /* numbers as serde_json 1.0.149 reads and prints them: u64/i64 as written; f64 scaled by
   * one power of ten (f64_from_parts without float_roundtrip: 123456789012345680000 reads
   * as 1.2345678901234567e20), printed shortest by zmij with an explicit exponent sign */
  const char *req2 =
      "{\"model\":\"m\",\"messages\":[{\"role\":\"Assistant\",\"blocks\":[{\"ToolCall\":{\"call_id\":\"t\",\"tool_name\":\"n\","
      "\"input_json\":\"[1e2,-0,10000000000000000000000,5,-7,0.0001,1.5e-7,12345678901234567,18446744073709551615,"
      "-9223372036854775808,2.5E+3,123456789012345680000,0.1]\",\"replay\":null}}]}],"
      "\"attachments\":[],\"tools\":[]," REQ_TAIL;
  body = body_of(req2, NULL, &e);
  CHECK(body && strstr(body, "\"input\":[100.0,-0.0,1e+22,5,-7,0.0001,1.5e-7,12345678901234567,18446744073709551615,"
                             "-9223372036854775808,2500.0,1.2345678901234567e+20,0.1]"));
  free(body);
}

static void test_request_cache_and_limits(void) {
  const char *base = "{\"model\":\"claude-sonnet-4-6\",\"messages\":["
                     "{\"role\":\"System\",\"blocks\":[" TEXT_BLOCK("stable system prompt", "false") "]},"
                     "{\"role\":\"User\",\"blocks\":[" TEXT_BLOCK("dynamic tail", "false") "]}],"
                     "\"attachments\":[],\"tools\":[]," REQ_TAIL;
  lash_err e;
  /* cache_retention none: no markers anywhere (cache_retention_none_removes_cache_control) */
  char *body = body_of(base, "{\"cache_retention\":\"none\"}", &e);
  CHECK(body_is(body, "{\"model\":\"claude-sonnet-4-6\",\"max_tokens\":32768,\"stream\":true,\"temperature\":0,"
                      "\"system\":[{\"type\":\"text\",\"text\":\"stable system prompt\"}],"
                      "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"dynamic tail\"}]}]}"));
  free(body);
  /* long: a one-hour ttl on system and the last user block (cache_retention_long_emits_ttl) */
  body = body_of(base, "{\"cache_retention\":\"long\"}", &e);
  CHECK(body_is(body, "{\"model\":\"claude-sonnet-4-6\",\"max_tokens\":32768,\"stream\":true,\"temperature\":0,"
                      "\"system\":[{\"type\":\"text\",\"text\":\"stable system prompt\",\"cache_control\":{\"type\":\"ephemeral\",\"ttl\":\"1h\"}}],"
                      "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"dynamic tail\","
                      "\"cache_control\":{\"type\":\"ephemeral\",\"ttl\":\"1h\"}}]}]}"));
  free(body);
  /* the provider's max_output_tokens applies without a request cap; the request's
   * generation.output_token_cap wins over it (output_token_cap_maps_to_max_tokens) */
  body = body_of(base, "{\"max_output_tokens\":9999}", &e);
  CHECK(body && strstr(body, "\"max_tokens\":9999,"));
  free(body);
  char capped[2048];
  snprintf(capped, sizeof capped, "%.*s\"generation\":{\"output_token_cap\":2048}%s", (int)(strstr(base, "\"generation\"") - base),
           base, strstr(base, ",\"session_id\""));
  body = body_of(capped, "{\"max_output_tokens\":9999}", &e);
  CHECK(body && strstr(body, "\"max_tokens\":2048,"));
  free(body);
  /* a last message from the assistant gets no automatic breakpoint */
  body = body_of("{\"model\":\"m\",\"messages\":[{\"role\":\"Assistant\",\"blocks\":[" TEXT_BLOCK("done", "false") "]}],"
                 "\"attachments\":[],\"tools\":[]," REQ_TAIL, NULL, &e);
  CHECK(body_is(body, "{\"model\":\"m\",\"max_tokens\":32768,\"stream\":true,\"temperature\":0,"
                      "\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"done\"}]}]}"));
  free(body);
  /* a marked block in an earlier message still wins; only the last marked one gets it */
  body = body_of("{\"model\":\"m\",\"messages\":[{\"role\":\"User\",\"blocks\":[" TEXT_BLOCK("a", "true") "," TEXT_BLOCK("b", "true") "]},"
                 "{\"role\":\"Assistant\",\"blocks\":[" TEXT_BLOCK("c", "false") "]},{\"role\":\"User\",\"blocks\":[" TEXT_BLOCK("d", "false") "]}],"
                 "\"attachments\":[],\"tools\":[]," REQ_TAIL, NULL, &e);
  CHECK(body_is(body, "{\"model\":\"m\",\"max_tokens\":32768,\"stream\":true,\"temperature\":0,\"messages\":["
                      "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"text\",\"text\":\"b\",\"cache_control\":{\"type\":\"ephemeral\"}}]},"
                      "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"c\"}]},"
                      "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"d\"}]}]}"));
  free(body);
}

/* build_messages(): the first System message is consumed even when it has no
 * text (then no `system`); its Text blocks join with a blank line, untrimmed;
 * later System messages are user turns and merge with an adjacent user turn;
 * a message whose blocks all drop is skipped and does not break a merge. */
static void test_request_system_rules(void) {
  lash_err e;
  char *body = body_of("{\"model\":\"m\",\"messages\":[{\"role\":\"System\",\"blocks\":[" TEXT_BLOCK("", "false") ",{\"Image\":{\"attachment_idx\":0}}]},"
                       "{\"role\":\"User\",\"blocks\":[" TEXT_BLOCK("hi", "false") "]},"
                       "{\"role\":\"Assistant\",\"blocks\":[" TEXT_BLOCK("  ", "false") "]},"
                       "{\"role\":\"System\",\"blocks\":[" TEXT_BLOCK("late", "false") "]}],"
                       "\"attachments\":[],\"tools\":[]," REQ_TAIL, NULL, &e);
  CHECK(body_is(body, "{\"model\":\"m\",\"max_tokens\":32768,\"stream\":true,\"temperature\":0,\"messages\":["
                      "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"},"
                      "{\"type\":\"text\",\"text\":\"late\",\"cache_control\":{\"type\":\"ephemeral\"}}]}]}"));
  free(body);
  body = body_of("{\"model\":\"m\",\"messages\":[{\"role\":\"User\",\"blocks\":[" TEXT_BLOCK("q", "false") "]},"
                 "{\"role\":\"System\",\"blocks\":[" TEXT_BLOCK(" ", "false") "," TEXT_BLOCK("b", "false") "]}],"
                 "\"attachments\":[],\"tools\":[]," REQ_TAIL, "{\"cache_retention\":\"none\"}", &e);
  CHECK(body_is(body, "{\"model\":\"m\",\"max_tokens\":32768,\"stream\":true,\"temperature\":0,"
                      "\"system\":[{\"type\":\"text\",\"text\":\" \\n\\nb\"}],"
                      "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"q\"}]}]}"));
  free(body);
}

/* policy.rs: variants per model, adaptive vs budgeted thinking, display, and
 * native structured output (output_config.format). */
static void test_request_thinking_and_output(void) {
  lash_err e;
  const char *fmt = "{\"model\":\"%s\",\"messages\":[{\"role\":\"User\",\"blocks\":[" TEXT_BLOCK("extract", "false") "]}],"
                    "\"attachments\":[],\"tools\":[],\"tool_choice\":\"Auto\",\"model_variant\":%s,\"generation\":{},"
                    "\"session_id\":\"s1\",\"output_spec\":%s}";
  char req[1024];
  /* adaptive model: thinking {adaptive, display}, output_config.effort; JsonObject
   * adds the permissive schema (structured_output_preserves_adaptive_effort_config) */
  snprintf(req, sizeof req, fmt, "claude-sonnet-4-6", "\"medium\"", "\"JsonObject\"");
  char *body = body_of(req, NULL, &e);
  CHECK(body_is(body, "{\"model\":\"claude-sonnet-4-6\",\"max_tokens\":32768,\"stream\":true,"
                      "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"extract\",\"cache_control\":{\"type\":\"ephemeral\"}}]}],"
                      "\"thinking\":{\"type\":\"adaptive\",\"display\":\"omitted\"},"
                      "\"output_config\":{\"effort\":\"medium\",\"format\":{\"type\":\"json_schema\",\"schema\":{\"type\":\"object\",\"additionalProperties\":true}}}}"));
  free(body);
  /* expose_thinking -> summarized (thinking_display_is_omitted_unless_provider_exposes_thinking) */
  body = body_of(req, "{\"expose_thinking\":true}", &e);
  CHECK(body && strstr(body, "\"display\":\"summarized\""));
  free(body);
  /* Opus 4.7 knows xhigh; Opus 4.6 knows max but not xhigh (no thinking then) */
  snprintf(req, sizeof req, fmt, "claude-opus-4-7", "\"xhigh\"", "null");
  body = body_of(req, NULL, &e);
  CHECK(body && strstr(body, "\"output_config\":{\"effort\":\"xhigh\"}") && !strstr(body, "temperature"));
  free(body);
  snprintf(req, sizeof req, fmt, "Claude-Opus-4.6", "\"xhigh\"", "null");
  body = body_of(req, NULL, &e);
  CHECK(body && !strstr(body, "thinking") && strstr(body, "\"temperature\":0"));
  free(body);
  snprintf(req, sizeof req, fmt, "claude-opus-4-6", "\"max\"", "null");
  body = body_of(req, NULL, &e);
  CHECK(body && strstr(body, "\"effort\":\"max\""));
  free(body);
  /* budgeted: haiku-4 low -> 1024; "none" -> no thinking; unknown model -> none */
  snprintf(req, sizeof req, fmt, "claude-haiku-4-5", "\"low\"", "null");
  body = body_of(req, NULL, &e);
  CHECK(body && strstr(body, "\"thinking\":{\"budget_tokens\":1024,\"display\":\"omitted\",\"type\":\"enabled\"}"));
  free(body);
  snprintf(req, sizeof req, fmt, "claude-opus-4-1", "\"none\"", "null");
  body = body_of(req, NULL, &e);
  CHECK(body && !strstr(body, "thinking") && strstr(body, "\"temperature\":0"));
  free(body);
  snprintf(req, sizeof req, fmt, "gpt-4o", "\"high\"", "null");
  body = body_of(req, NULL, &e);
  CHECK(body && !strstr(body, "thinking"));
  free(body);
  /* JsonSchema: the schema as given (structured_output_uses_native_output_config_format) */
  snprintf(req, sizeof req, fmt, "claude-sonnet-4-6", "null",
           "{\"JsonSchema\":{\"name\":\"r\",\"strict\":true,\"schema\":{\"type\":\"object\",\"required\":[\"answer\"],"
           "\"additionalProperties\":false,\"properties\":{\"answer\":{\"type\":\"string\"}}}}}");
  body = body_of(req, NULL, &e);
  CHECK(body && strstr(body, "\"output_config\":{\"format\":{\"schema\":{\"additionalProperties\":false,"
                             "\"properties\":{\"answer\":{\"type\":\"string\"}},\"required\":[\"answer\"],\"type\":\"object\"},"
                             "\"type\":\"json_schema\"}}"));
  free(body);
}

static void test_request_tools_and_ids(void) {
  lash_err e;
  char long_id[200];
  memset(long_id, 'a', 70);
  strcpy(long_id + 70, "");
  char req[4096];
  snprintf(req, sizeof req,
           "{\"model\":\"m\",\"messages\":[{\"role\":\"Assistant\",\"blocks\":["
           "{\"ToolCall\":{\"call_id\":\"%s\",\"tool_name\":\"t\",\"input_json\":\"{}\",\"replay\":null}},"
           "{\"ToolCall\":{\"call_id\":\"\",\"tool_name\":\"t\",\"input_json\":\"[1,2]\",\"replay\":null}},"
           "{\"ToolCall\":{\"call_id\":\"\xC3\xA9t\xC3\xA9 \",\"tool_name\":\"t\",\"input_json\":\"\",\"replay\":null}}]}],"
           "\"attachments\":[],\"tools\":[{\"name\":\"t\",\"description\":\"d\",\"input_schema\":{\"properties\":null}}],"
           "\"tool_choice\":\"Required\",\"model_variant\":null,\"generation\":{},\"session_id\":\"s1\",\"output_spec\":null}",
           long_id);
  char *body = body_of(req, NULL, &e);
  cJSON *b = body ? cJSON_Parse(body) : NULL;
  cJSON *content = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(b, "messages"), 0), "content");
  const char *id0 = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(content, 0), "id"));
  const char *id1 = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(content, 1), "id"));
  const char *id2 = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(content, 2), "id"));
  CHECK(id0 && strlen(id0) == 64 && strspn(id0, "a") == 64); /* 64 chars at most */
  CHECK(id1 && strlen(id1) == 36 && id1[8] == '-' && id1[14] == '4'); /* empty -> uuid v4 */
  CHECK_STR(id2, "_t__"); /* each non-ASCII char is one '_' */
  /* input_json "[1,2]" is JSON, kept as is; "" is not, so {} */
  CHECK(body && strstr(body, "\"input\":[1,2]") && strstr(body, "\"input\":{}"));
  /* Required -> any; properties present but null is kept; required defaults to [] */
  CHECK(json_is(cJSON_GetObjectItem(b, "tool_choice"), "{\"type\":\"any\"}"));
  CHECK(json_is(cJSON_GetObjectItem(b, "tools"),
                "[{\"name\":\"t\",\"description\":\"d\",\"input_schema\":{\"type\":\"object\",\"properties\":null,\"required\":[]},"
                "\"cache_control\":{\"type\":\"ephemeral\"}}]"));
  cJSON_Delete(b);
  free(body);
  /* U+0000 in a tool input survives the re-read (serde_json keeps it; keys sort it first) */
  body = body_of("{\"model\":\"m\",\"messages\":[{\"role\":\"Assistant\",\"blocks\":[{\"ToolCall\":{\"call_id\":\"t\",\"tool_name\":\"n\","
                 "\"input_json\":\"{\\\"k!\\\":1,\\\"k\\\\u0000\\\":\\\"a\\\\u0000b\\\",\\\"k\\\":2}\",\"replay\":null}}]}],"
                 "\"attachments\":[],\"tools\":[]," REQ_TAIL, NULL, &e);
  CHECK(body && strstr(body, "\"input\":{\"k\":2,\"k\\u0000\":\"a\\u0000b\",\"k!\":1}"));
  free(body);
  /* None -> none */
  body = body_of("{\"model\":\"m\",\"messages\":[],\"attachments\":[],\"tools\":[{\"name\":\"t\",\"description\":\"\",\"input_schema\":{}}],"
                 "\"tool_choice\":\"None\",\"model_variant\":null,\"generation\":{},\"session_id\":null,\"output_spec\":null}",
                 NULL, &e);
  CHECK(body && strstr(body, "\"tool_choice\":{\"type\":\"none\"}") && strstr(body, "\"messages\":[]"));
  free(body);
}

static void test_request_images_and_errors(void) {
  lash_err e;
  /* mime is trimmed and lowercased for the check (jpg = jpeg) but sent as given;
   * a string data is the host's base64; a missing attachment becomes a text note */
  char *body = body_of("{\"model\":\"m\",\"messages\":[{\"role\":\"User\",\"blocks\":[{\"Image\":{\"attachment_idx\":0}},"
                       "{\"Image\":{\"attachment_idx\":5}}]}],\"attachments\":[{\"mime\":\" IMAGE/JPG\",\"data\":\"/9j/4AAQ\",\"reference\":null}],"
                       "\"tools\":[]," REQ_TAIL, NULL, &e);
  CHECK(body_is(body, "{\"model\":\"m\",\"max_tokens\":32768,\"stream\":true,\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":["
                      "{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\" IMAGE/JPG\",\"data\":\"/9j/4AAQ\"}},"
                      "{\"type\":\"text\",\"text\":\"[Image attached]\",\"cache_control\":{\"type\":\"ephemeral\"}}]}]}"));
  free(body);
  /* base64 padding of lash's Vec<u8> data */
  body = body_of("{\"model\":\"m\",\"messages\":[{\"role\":\"User\",\"blocks\":[{\"Image\":{\"attachment_idx\":0}},{\"Image\":{\"attachment_idx\":1}},"
                 "{\"Image\":{\"attachment_idx\":2}}]}],\"attachments\":[{\"mime\":\"image/gif\",\"data\":[77]},{\"mime\":\"image/webp\",\"data\":[77,97]},"
                 "{\"mime\":\"image/png\",\"data\":[]}],\"tools\":[]," REQ_TAIL, NULL, &e);
  CHECK(body && strstr(body, "\"data\":\"TQ==\"") && strstr(body, "\"data\":\"TWE=\"") && strstr(body, "\"data\":\"\""));
  free(body);
  /* an unsupported image type fails before the wire (validate_image_attachments) */
  body = body_of("{\"model\":\"m\",\"messages\":[],\"attachments\":[{\"mime\":\"image/png\",\"data\":\"\"},{\"mime\":\"image/bmp\",\"data\":[66,77]}],"
                 "\"tools\":[]," REQ_TAIL, NULL, &e);
  CHECK(!body);
  CHECK(e.code == LASH_E_INVALID_ARGUMENT);
  CHECK_STR(e.argument, "provider");
  CHECK_STR(e.detail, "Anthropic does not accept image attachments of type `image/bmp` (attachment index 1); "
                      "accepted: image/jpeg, image/png, image/gif, image/webp");
  /* malformed requests */
  const char *bad[] = {
      "[]",
      "{\"messages\":[]}",
      "{\"model\":\"m\",\"messages\":{}}",
      "{\"model\":\"m\",\"messages\":[{\"role\":\"Tool\",\"blocks\":[]}]}",
      "{\"model\":\"m\",\"messages\":[{\"role\":\"User\",\"blocks\":[{\"Video\":{}}]}]}",
      "{\"model\":\"m\",\"messages\":[{\"role\":\"User\",\"blocks\":[{\"Text\":{\"text\":1}}]}]}",
      "{\"model\":\"m\",\"messages\":[{\"role\":\"User\",\"blocks\":[{\"Image\":{\"attachment_idx\":-1}}]}]}",
      "{\"model\":\"m\",\"messages\":[],\"tool_choice\":\"Sometimes\"}",
      "{\"model\":\"m\",\"messages\":[],\"generation\":{\"output_token_cap\":0}}",
      "{\"model\":\"m\",\"messages\":[],\"generation\":{\"temperature\":1}}",
      "{\"model\":\"m\",\"messages\":[],\"attachments\":[{\"mime\":\"image/png\",\"data\":[256]}]}",
      "{\"model\":\"m\",\"messages\":[],\"output_spec\":\"Yaml\"}",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    body = body_of(bad[i], NULL, &e);
    CHECK(!body && e.code == LASH_E_INVALID_ARGUMENT && e.detail[0]);
    if (body) fprintf(stderr, "accepted: %s\n", bad[i]);
    free(body);
  }
  body = body_of("{\"model\":\"m\",\"messages\":[]}", "{\"cache_retention\":\"forever\"}", &e);
  CHECK(!body && e.code == LASH_E_INVALID_ARGUMENT && !strcmp(e.argument, "opts"));
  free(body);
}

/* ---- streams ----------------------------------------------------------- */

/* The documented basic stream (event: lines, ping, message_delta usage). */
static const char k_text_stream[] =
    "event: message_start\n"
    "data: {\"type\": \"message_start\", \"message\": {\"id\": \"msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY\", \"type\": \"message\", "
    "\"role\": \"assistant\", \"content\": [], \"model\": \"claude-opus-4-7\", \"stop_reason\": null, \"stop_sequence\": null, "
    "\"usage\": {\"input_tokens\": 25, \"output_tokens\": 1}}}\n\n"
    "event: content_block_start\n"
    "data: {\"type\": \"content_block_start\", \"index\": 0, \"content_block\": {\"type\": \"text\", \"text\": \"\"}}\n\n"
    "event: ping\n"
    "data: {\"type\": \"ping\"}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": \"text_delta\", \"text\": \"Hello\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": \"text_delta\", \"text\": \"!\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\": \"content_block_stop\", \"index\": 0}\n\n"
    "event: message_delta\n"
    "data: {\"type\": \"message_delta\", \"delta\": {\"stop_reason\": \"end_turn\", \"stop_sequence\":null}, \"usage\": {\"output_tokens\": 15}}\n\n"
    "event: message_stop\n"
    "data: {\"type\": \"message_stop\"}\n\n";

static void test_stream_text(void) {
  deltas d;
  lash__buf_init(&d.log, NULL);
  lash_err e;
  cJSON *r = run(k_text_stream, &d, &e);
  CHECK(json_is(r, "{\"full_text\":\"Hello!\",\"parts\":[{\"Text\":{\"text\":\"Hello!\",\"response_meta\":null}}],"
                   "\"usage\":{\"input_tokens\":25,\"output_tokens\":15,\"cached_input_tokens\":0,\"reasoning_tokens\":0},"
                   "\"terminal_reason\":\"stop\",\"terminal_diagnostic\":null,\"provider_usage\":null,\"text_streamed\":true}"));
  CHECK_STR(d.log.data, "text:Hello|text:!|");
  /* the documented key order */
  char *p = r ? cJSON_PrintUnformatted(r) : NULL;
  CHECK(p && !strncmp(p, "{\"full_text\":", 13) && strstr(p, "\"parts\"") < strstr(p, "\"usage\"") &&
        strstr(p, "\"usage\"") < strstr(p, "\"terminal_reason\"") && strstr(p, "\"terminal_reason\"") < strstr(p, "\"terminal_diagnostic\"") &&
        strstr(p, "\"terminal_diagnostic\"") < strstr(p, "\"provider_usage\"") && strstr(p, "\"provider_usage\"") < strstr(p, "\"text_streamed\""));
  cJSON_free(p);
  cJSON_Delete(r);
  /* without a delta callback nothing was streamed */
  r = run(k_text_stream, NULL, &e);
  CHECK(cJSON_IsFalse(cJSON_GetObjectItem(r, "text_streamed")));
  cJSON_Delete(r);
  lash__buf_free(&d.log);
}

/* Extended thinking: thinking_delta pieces, then signature_delta before stop. */
static const char k_thinking_stream[] =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],"
    "\"model\":\"claude-sonnet-4-6\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":12,\"output_tokens\":6}}}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"Let me solve this step by step:\\n\\n1. \"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"27 * 453 = 12231\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"EqQBCgIYAhIM1gbcDa9GJwZA2b3h\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"27 * 453 = 12,231\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"redacted_thinking\",\"data\":\"EmwKAhgBEgy3va3pzix\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":2}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":3,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":3,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"unsigned\"}}\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":210}}\n\n"
    "event: message_stop\n"
    "data: {\"type\":\"message_stop\"}\n\n";

static void test_stream_thinking(void) {
  deltas d;
  lash__buf_init(&d.log, NULL);
  lash_err e;
  cJSON *r = run(k_thinking_stream, &d, &e);
  /* signature -> replay.signature; redacted_thinking -> placeholder text with its
   * data as the signature and redacted:true; no signature -> replay null */
  CHECK(json_is(r, "{\"full_text\":\"27 * 453 = 12,231\",\"parts\":["
                   "{\"Reasoning\":{\"text\":\"Let me solve this step by step:\\n\\n1. 27 * 453 = 12231\",\"replay\":{\"signature\":\"EqQBCgIYAhIM1gbcDa9GJwZA2b3h\"}}},"
                   "{\"Text\":{\"text\":\"27 * 453 = 12,231\",\"response_meta\":null}},"
                   "{\"Reasoning\":{\"text\":\"[Reasoning redacted]\",\"replay\":{\"signature\":\"EmwKAhgBEgy3va3pzix\",\"redacted\":true}}},"
                   "{\"Reasoning\":{\"text\":\"unsigned\",\"replay\":null}}],"
                   "\"usage\":{\"input_tokens\":12,\"output_tokens\":210,\"cached_input_tokens\":0,\"reasoning_tokens\":0},"
                   "\"terminal_reason\":\"stop\",\"terminal_diagnostic\":null,\"provider_usage\":null,\"text_streamed\":true}"));
  CHECK_STR(d.log.data, "reasoning:Let me solve this step by step:\n\n1. |reasoning:27 * 453 = 12231|text:27 * 453 = 12,231|reasoning:unsigned|");
  cJSON_Delete(r);
  lash__buf_free(&d.log);
}

/* Two tool_use blocks after text; partial_json split mid-token (even inside
 * a string and a number); an empty first delta as the API sends it. */
static const char k_tools_stream[] =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_014p7gG3wDgGV9EUtLvnow3U\",\"type\":\"message\",\"role\":\"assistant\","
    "\"model\":\"claude-opus-4-7\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":472,\"output_tokens\":2},\"content\":[],\"stop_reason\":null}}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Checking both cities.\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_01T1x1fJ34qAmk2tNTrN7Up6\",\"name\":\"get_weather\",\"input\":{}}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"location\\\": \\\"San Fra\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"ncisco, CA\\\", \\\"unit\\\": \\\"fah\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"renheit\\\"}\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_02\",\"name\":\"get_time\",\"input\":{}}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"tz\\\":\\\"Europe/Ro\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"me\\\",\\\"offset\\\":1\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"2}\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":2}\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":89}}\n\n"
    "event: message_stop\n"
    "data: {\"type\":\"message_stop\"}\n\n";

static void test_stream_tools(void) {
  deltas d;
  lash__buf_init(&d.log, NULL);
  lash_err e;
  cJSON *r = run(k_tools_stream, &d, &e);
  CHECK(json_is(r, "{\"full_text\":\"Checking both cities.\",\"parts\":["
                   "{\"Text\":{\"text\":\"Checking both cities.\",\"response_meta\":null}},"
                   "{\"ToolCall\":{\"call_id\":\"toolu_01T1x1fJ34qAmk2tNTrN7Up6\",\"tool_name\":\"get_weather\","
                   "\"input_json\":\"{\\\"location\\\": \\\"San Francisco, CA\\\", \\\"unit\\\": \\\"fahrenheit\\\"}\",\"replay\":null}},"
                   "{\"ToolCall\":{\"call_id\":\"toolu_02\",\"tool_name\":\"get_time\",\"input_json\":\"{\\\"tz\\\":\\\"Europe/Rome\\\",\\\"offset\\\":12}\",\"replay\":null}}],"
                   "\"usage\":{\"input_tokens\":472,\"output_tokens\":89,\"cached_input_tokens\":0,\"reasoning_tokens\":0},"
                   "\"terminal_reason\":\"tool_use\",\"terminal_diagnostic\":null,\"provider_usage\":null,\"text_streamed\":true}"));
  CHECK_STR(d.log.data, "text:Checking both cities.|"); /* tool input is not streamed as text */
  cJSON_Delete(r);
  lash__buf_free(&d.log);

  /* no deltas: the start event's input object, as serde_json writes it (sorted
   * keys, shortest floats); a non-object input or none -> {}; no name -> no part */
  r = run("data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"a\",\"name\":\"f\","
          "\"input\":{\"z\":1,\"a\":{\"y\":2.50,\"x\":[true,null,\"\\u00e9\\n\"]}}}}\n\n"
          "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"b\",\"name\":\"g\",\"input\":[1]}}\n\n"
          "data: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"c\"}}\n\n"
          "data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{}\"}}\n\n",
          NULL, &e);
  CHECK(json_is(r, "{\"full_text\":\"\",\"parts\":["
                   "{\"ToolCall\":{\"call_id\":\"a\",\"tool_name\":\"f\",\"input_json\":\"{\\\"a\\\":{\\\"x\\\":[true,null,\\\"\xC3\xA9\\\\n\\\"],\\\"y\\\":2.5},\\\"z\\\":1}\",\"replay\":null}},"
                   "{\"ToolCall\":{\"call_id\":\"b\",\"tool_name\":\"g\",\"input_json\":\"{}\",\"replay\":null}}],"
                   "\"usage\":{\"input_tokens\":0,\"output_tokens\":0,\"cached_input_tokens\":0,\"reasoning_tokens\":0},"
                   "\"terminal_reason\":\"tool_use\",\"terminal_diagnostic\":null,\"provider_usage\":null,\"text_streamed\":false}"));
  cJSON_Delete(r);
}

/* parse_usage(): input = input + cache_read + cache_creation; cached = cache_read;
 * merge_usage(): a later non-zero counter replaces, zero keeps the earlier one. */
static void test_stream_usage(void) {
  lash_err e;
  cJSON *r = run("event: message_start\n"
                 "data: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":10,\"cache_creation_input_tokens\":200,"
                 "\"cache_read_input_tokens\":1000,\"output_tokens\":1,\"service_tier\":\"standard\"}}}\n\n"
                 "event: message_delta\n"
                 "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"input_tokens\":0,\"output_tokens\":57}}\n\n"
                 "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
                 NULL, &e);
  CHECK(json_is(cJSON_GetObjectItem(r, "usage"),
                "{\"input_tokens\":1210,\"output_tokens\":57,\"cached_input_tokens\":1000,\"reasoning_tokens\":0}"));
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r, "terminal_reason")), "stop");
  CHECK(json_is(cJSON_GetObjectItem(r, "parts"), "[]"));
  cJSON_Delete(r);
  /* a message_delta carrying cache reads alone: input becomes the reads (lash
   * merges the recomputed sum); floats are not i64 (as_i64) and read as 0; a
   * later message_start replaces the usage outright */
  r = run("data: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":5,\"output_tokens\":3}}}\n\n"
          "data: {\"type\":\"message_delta\",\"delta\":{},\"usage\":{\"cache_read_input_tokens\":40,\"output_tokens\":7.0}}\n\n",
          NULL, &e);
  CHECK(json_is(cJSON_GetObjectItem(r, "usage"),
                "{\"input_tokens\":40,\"output_tokens\":3,\"cached_input_tokens\":40,\"reasoning_tokens\":0}"));
  cJSON_Delete(r);
  r = run("data: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":5,\"output_tokens\":3}}}\n\n"
          "data: {\"type\":\"message_start\",\"message\":{\"usage\":null}}\n\n",
          NULL, &e);
  CHECK(json_is(cJSON_GetObjectItem(r, "usage"),
                "{\"input_tokens\":0,\"output_tokens\":0,\"cached_input_tokens\":0,\"reasoning_tokens\":0}"));
  cJSON_Delete(r);
}

static void test_stream_stop_reasons(void) {
  static const char *const cases[][2] = {
      {"end_turn", "stop"},           {"stop_sequence", "stop"},         {"pause_turn", "stop"},
      {"tool_use", "tool_use"},       {"max_tokens", "output_limit"},    {"refusal", "content_filter"},
      {"safety", "content_filter"},   {"sensitive", "content_filter"},   {"model_context_window_exceeded", "provider_error"},
      {"new_provider_reason", "provider_error"},
  };
  lash_err e;
  char buf[512];
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    snprintf(buf, sizeof buf,
             "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
             "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"cut\"}}\n\n"
             "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"%s\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":4096}}\n\n"
             "data: {\"type\":\"message_stop\"}\n\n",
             cases[i][0]);
    cJSON *r = run(buf, NULL, &e);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r, "terminal_reason")), cases[i][1]);
    cJSON_Delete(r);
  }
  /* a null stop_reason keeps the earlier one; none at all -> from the parts */
  cJSON *r = run("data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\"}}\n\n"
                 "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":null}}\n\n", NULL, &e);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r, "terminal_reason")), "output_limit");
  cJSON_Delete(r);
}

static void test_stream_error_event(void) {
  deltas d;
  lash__buf_init(&d.log, NULL);
  lash_err e;
  int rc;
  const char *body =
      "event: content_block_start\n"
      "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
      "event: content_block_delta\n"
      "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"partial\"}}\n\n"
      "event: error\n"
      "data: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}\n\n"
      "event: content_block_delta\n"
      "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"never\"}}\n\n";
  cJSON *r = run_cuts(body, strlen(body), NULL, 0, &d, &e, &rc);
  CHECK(!r && rc == LASH_E_INVALID_ARGUMENT);
  CHECK(e.code == LASH_E_INVALID_ARGUMENT);
  CHECK_STR(e.argument, "provider");
  CHECK_STR(e.detail, "Anthropic stream error: Overloaded");
  CHECK_STR(d.log.data, "text:partial|"); /* nothing after the error */
  /* an error without a message */
  r = run("data: {\"type\":\"error\",\"error\":{\"type\":\"api_error\"}}\n\n", NULL, &e);
  CHECK(!r);
  CHECK_STR(e.detail, "Anthropic stream error: Anthropic stream error");
  lash__buf_free(&d.log);
}

static void test_stream_malformed(void) {
  /* serde_json is strict where a lenient parser would not be */
  static const char *const bad[] = {
      "data: {\"type\":\"content_block_delta\",\n\n",
      "data: {\"type\":\"ping\",}\n\n",
      "data: {\"type\":\"ping\"} x\n\n",
      "data: {\"index\":01}\n\n",
      "data: {\"index\":1.}\n\n",
      "data: {\"index\":+1}\n\n",
      "data: {\"index\":1e999}\n\n",
      "data: {\"t\":\"a\tb\"}\n\n",
      "data: {\"t\":\"\\ud800\"}\n\n",
      "data: {\"t\":\"\\udc00\\ud800\"}\n\n",
      "data: {\"t\":\"\\x\"}\n\n",
      "data: [1,]\n\n",
      "data: {'type':'ping'}\n\n",
      "data: nul\n\n",
      "data: {\"type\":\"ping\"}\x0b\n\n" "data: \x01\n\n",
  };
  lash_err e;
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    cJSON *r = run(bad[i], NULL, &e);
    CHECK(!r && e.code == LASH_E_INVALID_ARGUMENT);
    CHECK_STR(e.detail, "Invalid Anthropic SSE payload");
    CHECK_STR(e.argument, "provider");
    cJSON_Delete(r);
  }
  /* nesting: 127 levels parse, 128 do not (serde_json's recursion limit) */
  char deep[400];
  strcpy(deep, "data: ");
  for (int i = 0; i < 127; i++) strcat(deep, "[");
  for (int i = 0; i < 127; i++) strcat(deep, "]");
  strcat(deep, "\n\n");
  cJSON *r = run(deep, NULL, &e);
  CHECK(r != NULL);
  cJSON_Delete(r);
  strcpy(deep, "data: ");
  for (int i = 0; i < 128; i++) strcat(deep, "[");
  for (int i = 0; i < 128; i++) strcat(deep, "]");
  strcat(deep, "\n\n");
  r = run(deep, NULL, &e);
  CHECK(!r && !strcmp(e.detail, "Invalid Anthropic SSE payload"));
  /* valid but odd: a surrogate pair, escapes, unknown events and types, an empty
   * data line, Unicode whitespace around the JSON (lash trims with str::trim),
   * and an event whose type is missing are all fine */
  r = run("data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\"}}\n\n"
          "data: \xC2\xA0{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"\\ud83d\\ude00\\/\\u0041\"}}\xE3\x80\x80\n\n"
          "data:\n\n"
          "data: {\"type\":\"future_event\",\"x\":[1,2,{}]}\n\n"
          "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"citations_delta\",\"citation\":{}}}\n\n"
          "data: [1,2,3]\n\n"
          "data: 42\n\n"
          ": a comment\n"
          "id: 7\n\n",
          NULL, &e);
  CHECK(json_is(cJSON_GetObjectItem(r, "parts"), "[{\"Text\":{\"text\":\"\xF0\x9F\x98\x80/A\",\"response_meta\":null}}]"));
  cJSON_Delete(r);
}

/* stream.rs details: the last duplicate key wins; an index that is not a u64
 * reads as 0; deltas for a block never started are dropped; gaps are unknown
 * blocks; a delta applies whatever the block's kind. */
static void test_stream_lash_quirks(void) {
  lash_err e;
  deltas d;
  lash__buf_init(&d.log, NULL);
  cJSON *r = run("data: {\"type\":\"ping\",\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_reason\":\"max_tokens\"}}\n\n"
                 "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"dropped\"}}\n\n"
                 "data: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"text\"}}\n\n"
                 "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"unknown block \"}}\n\n"
                 "data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"text_delta\",\"text\":\"two\"}}\n\n"
                 "data: {\"type\":\"content_block_start\",\"index\":0.0,\"content_block\":{\"type\":\"thinking\"}}\n\n"
                 "data: {\"type\":\"content_block_delta\",\"index\":-1,\"delta\":{\"type\":\"text_delta\",\"text\":\"zero\"}}\n\n"
                 "data: {\"type\":\"content_block_delta\",\"index\":9,\"delta\":{\"type\":\"text_delta\",\"text\":\"nine\"}}\n\n"
                 "data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"text_delta\",\"text\":\"\"}}\n\n",
                 &d, &e);
  /* block 0 is thinking (index 0.0 -> 0) holding a text_delta; block 1 unknown */
  CHECK(json_is(r, "{\"full_text\":\"two\",\"parts\":[{\"Reasoning\":{\"text\":\"zero\",\"replay\":null}},"
                   "{\"Text\":{\"text\":\"two\",\"response_meta\":null}}],"
                   "\"usage\":{\"input_tokens\":0,\"output_tokens\":0,\"cached_input_tokens\":0,\"reasoning_tokens\":0},"
                   "\"terminal_reason\":\"output_limit\",\"terminal_diagnostic\":null,\"provider_usage\":null,\"text_streamed\":true}"));
  CHECK_STR(d.log.data, "text:unknown block |text:two|text:zero|");
  cJSON_Delete(r);
  lash__buf_free(&d.log);
  /* invalid UTF-8 becomes U+FFFD, per maximal invalid prefix (from_utf8_lossy) */
  r = run("data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\"}}\n\n"
          "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"a\xFF" "b\xE2\x82" "c\xF0\x9F\x98\xED\xA0\x80\"}}\n\n",
          NULL, &e);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r, "full_text")),
            "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  cJSON_Delete(r);
  /* U+0000 cannot live in the response's C strings: it reads as U+FFFD */
  r = run("data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\"}}\n\n"
          "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"a\\u0000b\"}}\n\n",
          NULL, &e);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r, "full_text")), "a\xEF\xBF\xBD" "b");
  cJSON_Delete(r);
  /* an index beyond the bound is refused rather than allocated */
  r = run("data: {\"type\":\"content_block_start\",\"index\":18446744073709551615,\"content_block\":{\"type\":\"text\"}}\n\n", NULL, &e);
  CHECK(!r && e.code == LASH_E_INVALID_ARGUMENT && !strcmp(e.argument, "provider"));
}

/* lash's SSE driver finalizes whatever arrived when the body ends, with or
 * without message_stop; only an unparseable last event is an error. */
static void test_stream_truncated(void) {
  lash_err e;
  size_t full = strlen(k_tools_stream);
  const char *cut = strstr(k_tools_stream, "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":2}");
  char *body = dup_n(k_tools_stream, (size_t)(cut - k_tools_stream));
  cJSON *r = run(body, NULL, &e);
  /* no message_delta: the terminal reason comes from the parts (a tool call) and
   * output_tokens stays at message_start's count */
  CHECK(json_is(r, "{\"full_text\":\"Checking both cities.\",\"parts\":["
                   "{\"Text\":{\"text\":\"Checking both cities.\",\"response_meta\":null}},"
                   "{\"ToolCall\":{\"call_id\":\"toolu_01T1x1fJ34qAmk2tNTrN7Up6\",\"tool_name\":\"get_weather\","
                   "\"input_json\":\"{\\\"location\\\": \\\"San Francisco, CA\\\", \\\"unit\\\": \\\"fahrenheit\\\"}\",\"replay\":null}},"
                   "{\"ToolCall\":{\"call_id\":\"toolu_02\",\"tool_name\":\"get_time\",\"input_json\":\"{\\\"tz\\\":\\\"Europe/Rome\\\",\\\"offset\\\":12}\",\"replay\":null}}],"
                   "\"usage\":{\"input_tokens\":472,\"output_tokens\":2,\"cached_input_tokens\":0,\"reasoning_tokens\":0},"
                   "\"terminal_reason\":\"tool_use\",\"terminal_diagnostic\":null,\"provider_usage\":null,\"text_streamed\":false}"));
  cJSON_Delete(r);
  free(body);
  /* a final event without its blank line is still read */
  body = dup_n(k_text_stream, strlen(k_text_stream) - 2);
  r = run(body, NULL, &e);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r, "full_text")), "Hello!");
  cJSON_Delete(r);
  free(body);
  /* cut inside an event's JSON: that event is invalid */
  body = dup_n(k_tools_stream, full / 2);
  r = run(body, NULL, &e);
  if (strstr(body + strlen(body) - 3, "\n\n")) abort(); /* the cut must be mid-event */
  CHECK(!r && !strcmp(e.detail, "Invalid Anthropic SSE payload"));
  free(body);
  /* an empty body is an empty response */
  r = run("", NULL, &e);
  CHECK(json_is(r, "{\"full_text\":\"\",\"parts\":[],\"usage\":{\"input_tokens\":0,\"output_tokens\":0,\"cached_input_tokens\":0,"
                   "\"reasoning_tokens\":0},\"terminal_reason\":\"stop\",\"terminal_diagnostic\":null,\"provider_usage\":null,\"text_streamed\":false}"));
  cJSON_Delete(r);
}

static void test_stream_max_tokens(void) {
  lash_err e;
  cJSON *r = run("event: message_start\n"
                 "data: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":9,\"output_tokens\":1}}}\n\n"
                 "event: content_block_start\n"
                 "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_9\",\"name\":\"write\",\"input\":{}}}\n\n"
                 "event: content_block_delta\n"
                 "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"text\\\": \\\"abc\"}}\n\n"
                 "event: message_delta\n"
                 "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":64}}\n\n"
                 "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
                 NULL, &e);
  /* the partial input is passed on as is; the runtime decides what to do */
  CHECK(json_is(r, "{\"full_text\":\"\",\"parts\":[{\"ToolCall\":{\"call_id\":\"toolu_9\",\"tool_name\":\"write\","
                   "\"input_json\":\"{\\\"text\\\": \\\"abc\",\"replay\":null}}],"
                   "\"usage\":{\"input_tokens\":9,\"output_tokens\":64,\"cached_input_tokens\":0,\"reasoning_tokens\":0},"
                   "\"terminal_reason\":\"output_limit\",\"terminal_diagnostic\":null,\"provider_usage\":null,\"text_streamed\":false}"));
  cJSON_Delete(r);
}

static void test_stream_bounds(void) {
  lash_err e;
  int rc;
  /* one event over LASH_SSE_MAX_EVENT */
  size_t big = LASH_SSE_MAX_EVENT + 16;
  char *body = malloc(big + 16);
  memcpy(body, "data: \"", 7);
  memset(body + 7, 'a', big);
  memcpy(body + 7 + big, "\"\n\n", 4);
  cJSON *r = run_cuts(body, strlen(body), NULL, 0, NULL, &e, &rc);
  CHECK(!r && e.code == LASH_E_INVALID_ARGUMENT && !strcmp(e.argument, "provider") && strstr(e.detail, "exceeds"));
  free(body);
  /* events within bounds whose text adds up past LASH_STREAM_MAX_TEXT */
  size_t piece = 7u << 20, n = LASH_STREAM_MAX_TEXT / piece + 1;
  const char *head = "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"";
  lash_stream *s = D->stream_new(NULL);
  const char *start = "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\"}}\n\n";
  CHECK(D->stream_feed(s, start, strlen(start), NULL, NULL, &e) == LASH_OK);
  char *ev = malloc(strlen(head) + piece + 8);
  strcpy(ev, head);
  memset(ev + strlen(head), 'b', piece);
  strcpy(ev + strlen(head) + piece, "\"}}\n\n");
  rc = LASH_OK;
  size_t i;
  for (i = 0; i < n && rc == LASH_OK; i++) rc = D->stream_feed(s, ev, strlen(ev), NULL, NULL, &e);
  CHECK(rc == LASH_E_INVALID_ARGUMENT && i == n && strstr(e.detail, "exceeds"));
  D->stream_free(s);
  free(ev);
}

/* ---- chunk-split invariance ---------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545F4914F6CDD1Dull;
}

/* Same LlmResponse (or the same error) and the same deltas however the body is cut. */
static void check_split_invariance(const char *body, size_t len) {
  deltas d0;
  lash__buf_init(&d0.log, NULL);
  lash_err e0, e;
  int rc0, rc;
  cJSON *r0 = run_cuts(body, len, NULL, 0, &d0, &e0, &rc0);
  char *p0 = r0 ? cJSON_PrintUnformatted(r0) : NULL;
  int bad = 0;
  for (size_t round = 0; round < len + 1 + 300; round++) {
    size_t cuts[64], n = 0;
    if (round <= len) cuts[n++] = round; /* every byte boundary */
    else {
      n = 1 + rnd() % 63; /* random multi-splits */
      for (size_t k = 0; k < n; k++) cuts[k] = rnd() % (len + 1);
      for (size_t a = 1; a < n; a++) /* ascending */
        for (size_t b = a; b > 0 && cuts[b - 1] > cuts[b]; b--) { size_t t = cuts[b]; cuts[b] = cuts[b - 1]; cuts[b - 1] = t; }
    }
    deltas d;
    lash__buf_init(&d.log, NULL);
    cJSON *r = run_cuts(body, len, cuts, n, &d, &e, &rc);
    char *p = r ? cJSON_PrintUnformatted(r) : NULL;
    int same = (p0 && p) ? !strcmp(p0, p) : (!p0 && !p && e.code == e0.code && !strcmp(e.detail, e0.detail));
    same = same && d.log.len == d0.log.len && (!d.log.len || !memcmp(d.log.data, d0.log.data, d.log.len));
    if (!same && !bad++) fprintf(stderr, "split round %zu differs\n", round);
    cJSON_free(p);
    cJSON_Delete(r);
    lash__buf_free(&d.log);
  }
  CHECK(!bad);
  cJSON_free(p0);
  cJSON_Delete(r0);
  lash__buf_free(&d0.log);
}

static void test_split_invariance(void) {
  check_split_invariance(k_text_stream, strlen(k_text_stream));
  check_split_invariance(k_thinking_stream, strlen(k_thinking_stream));
  check_split_invariance(k_tools_stream, strlen(k_tools_stream));
  /* CRLF line ends, multi-line data, multibyte text, invalid UTF-8, then an error */
  const char crlf[] =
      "event: message_start\r\ndata: {\"type\":\"message_start\",\r\ndata:  \"message\":{\"usage\":{\"input_tokens\":3,\"cache_read_input_tokens\":2}}}\r\n\r\n"
      "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\"}}\r\n\r\n"
      "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"h\xC3\xA9llo \xF0\x9F\x98\x80 \xE2\x82\"}}\r\n\r\n"
      "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"refusal\"},\"usage\":{\"output_tokens\":5}}\r\n\r\n";
  check_split_invariance(crlf, sizeof crlf - 1);
  lash_err e;
  cJSON *r = run(crlf, NULL, &e);
  CHECK(json_is(r, "{\"full_text\":\"h\xC3\xA9llo \xF0\x9F\x98\x80 \xEF\xBF\xBD\",\"parts\":[{\"Text\":{\"text\":\"h\xC3\xA9llo \xF0\x9F\x98\x80 \xEF\xBF\xBD\","
                   "\"response_meta\":null}}],\"usage\":{\"input_tokens\":5,\"output_tokens\":5,\"cached_input_tokens\":2,\"reasoning_tokens\":0},"
                   "\"terminal_reason\":\"content_filter\",\"terminal_diagnostic\":null,\"provider_usage\":null,\"text_streamed\":false}"));
  cJSON_Delete(r);
  const char err[] = "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\"}}\n\n"
                     "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\n\n"
                     "data: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Internal server error\"}}\n\n";
  check_split_invariance(err, sizeof err - 1);
}

/* ---- allocation failures --------------------------------------------------- */

static long fail_at, alloc_count;
static void *f_alloc(size_t n, void *ud) { (void)ud; return ++alloc_count == fail_at ? NULL : malloc(n); }
static void *f_realloc(void *p, size_t n, void *ud) { (void)ud; return ++alloc_count == fail_at ? NULL : realloc(p, n); }
static void f_free(void *p, void *ud) { (void)ud; free(p); }

/* Every allocation failing in turn gives out-of-memory, never a crash or a leak
 * (ASan's leak check runs at exit). */
static void test_allocation_failures(void) {
  lash_allocator fa = {f_alloc, f_realloc, f_free, NULL};
  const char *req_json =
      "{\"model\":\"claude-sonnet-4-5\",\"messages\":[{\"role\":\"System\",\"blocks\":[" TEXT_BLOCK("sys", "false") "]},"
      "{\"role\":\"User\",\"blocks\":[" TEXT_BLOCK("q", "true") ",{\"Image\":{\"attachment_idx\":0}},{\"Image\":{\"attachment_idx\":3}}]},"
      "{\"role\":\"Assistant\",\"blocks\":[{\"Reasoning\":{\"text\":\"r\",\"replay\":{\"signature\":\"s\"}}},"
      "{\"Reasoning\":{\"text\":\"\",\"replay\":{\"signature\":\"s\",\"redacted\":true}}},"
      "{\"ToolCall\":{\"call_id\":\"\",\"tool_name\":\"t\",\"input_json\":\"{\\\"a\\\":[1,2.5,{\\\"b\\\":null}]}\",\"replay\":null}}]},"
      "{\"role\":\"User\",\"blocks\":[{\"ToolResult\":{\"call_id\":\"x\",\"content\":\"ok\",\"tool_name\":null}}]}],"
      "\"attachments\":[{\"mime\":\"image/png\",\"data\":[1,2,3,4]}],"
      "\"tools\":[{\"name\":\"t\",\"description\":\"d\",\"input_schema\":{\"properties\":{\"a\":{}},\"required\":[\"a\"]}}],"
      "\"tool_choice\":\"Auto\",\"model_variant\":\"low\",\"generation\":{\"output_token_cap\":100},\"session_id\":null,"
      "\"output_spec\":\"JsonObject\"}";
  cJSON *req = cJSON_Parse(req_json);
  char *expected = D->request_body(NULL, req, NULL, NULL, NULL);
  CHECK(expected != NULL);
  int ok_seen = 0;
  lash__install_json_hooks(&fa);
  for (fail_at = 1; fail_at < 2000 && !ok_seen; fail_at++) {
    alloc_count = 0;
    lash_err e;
    memset(&e, 0, sizeof e);
    char *b = D->request_body(&fa, req, NULL, NULL, &e);
    if (b) {
      ok_seen = 1;
      lash__install_json_hooks(NULL);
      CHECK_STR(b, expected);
      lash__install_json_hooks(&fa);
    } else if (e.code != LASH_E_NOMEM) {
      fprintf(stderr, "fail_at %ld: code %d %s\n", fail_at, e.code, e.detail);
      CHECK(0);
    }
    f_free(b, NULL);
  }
  CHECK(ok_seen);
  ok_seen = 0;
  for (fail_at = 1; fail_at < 5000 && !ok_seen; fail_at++) {
    alloc_count = 0;
    lash_err e;
    memset(&e, 0, sizeof e);
    lash_stream *s = D->stream_new(&fa);
    if (!s) continue;
    cJSON *r = NULL;
    if (D->stream_feed(s, k_thinking_stream, sizeof k_thinking_stream - 1, NULL, NULL, &e) == LASH_OK &&
        D->stream_feed(s, k_tools_stream, sizeof k_tools_stream - 1, NULL, NULL, &e) == LASH_OK)
      r = D->stream_finish(s, NULL, NULL, &e);
    if (r) ok_seen = 1;
    else if (e.code != LASH_E_NOMEM && e.code != LASH_E_INVALID_ARGUMENT) {
      fprintf(stderr, "stream fail_at %ld: code %d %s\n", fail_at, e.code, e.detail);
      CHECK(0);
    }
    cJSON_Delete(r);
    D->stream_free(s);
  }
  CHECK(ok_seen);
  lash__install_json_hooks(NULL);
  cJSON_Delete(req);
  free(expected);
}

TEST_MAIN(RUN(test_request_conversation); RUN(test_request_exact_bytes); RUN(test_request_cache_and_limits); RUN(test_request_system_rules);
          RUN(test_request_thinking_and_output); RUN(test_request_tools_and_ids); RUN(test_request_images_and_errors);
          RUN(test_stream_text); RUN(test_stream_thinking); RUN(test_stream_tools); RUN(test_stream_usage);
          RUN(test_stream_stop_reasons); RUN(test_stream_error_event); RUN(test_stream_malformed);
          RUN(test_stream_lash_quirks); RUN(test_stream_truncated); RUN(test_stream_max_tokens);
          RUN(test_stream_bounds); RUN(test_split_invariance); RUN(test_allocation_failures))
