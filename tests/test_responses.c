/* The OpenAI Responses dialect: request bodies (expected JSON worked out from lash's
 * build_responses_request_body / build_responses_input rules and OpenAI's documented
 * request shape, keys in serde_json's sorted order), and streamed transcripts in
 * OpenAI's documented Responses event format. The split property: any chunking of a
 * body gives the same LlmResponse and the same deltas. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "provider/dialect.h"
#include "test.h"
#include "util/alloc.h"
#include "util/json.h"

static const lash_dialect *D = &lash__dialect_responses;

/* ---- request bodies ---- */

static char *body_of(const char *req, const char *opts, lash_err *e) {
  cJSON *r = cJSON_Parse(req), *o = opts ? cJSON_Parse(opts) : NULL;
  if (!r || (opts && !o)) { fprintf(stderr, "bad test JSON\n"); exit(2); }
  size_t n = 0;
  memset(e, 0, sizeof *e);
  char *b = D->request_body(NULL, r, o, &n, e);
  if (b && n != strlen(b)) { fprintf(stderr, "length mismatch\n"); exit(2); }
  cJSON_Delete(r);
  cJSON_Delete(o);
  return b;
}

#define TEXT(t) "{\"Text\":{\"text\":\"" t "\",\"response_meta\":null,\"cache_breakpoint\":false}}"
#define TOOLS_NONE "\"tools\":[],\"tool_choice\":\"Auto\""

/* A multi-turn conversation: system prompts, a user image, assistant reasoning with
 * replay, phase-tagged text, two tool calls (one with an item id), tool results,
 * display-only and fallback reasoning, and two user turns that merge. */
static const char k_conversation[] =
    "{\"model\":\"openai/gpt-5.4\",\"messages\":["
    "{\"role\":\"System\",\"blocks\":[" TEXT("You are helpful.") "," TEXT("") "]},"
    "{\"role\":\"System\",\"blocks\":[{\"Text\":{\"text\":\"Be brief.\",\"response_meta\":null,\"cache_breakpoint\":true}}]},"
    "{\"role\":\"User\",\"blocks\":[" TEXT("What is in /tmp?") ",{\"Image\":{\"attachment_idx\":0}}]},"
    "{\"role\":\"Assistant\",\"blocks\":["
    "{\"Reasoning\":{\"text\":\"Need to list files.\",\"replay\":{\"item_id\":\"rs_1\",\"encrypted_content\":\"gAAAA1\",\"summary\":[\"Need to list files.\"]}}},"
    "{\"Text\":{\"text\":\"Let me look.\",\"response_meta\":{\"id\":\"msg_1\",\"status\":\"completed\",\"phase\":\"commentary\"},\"cache_breakpoint\":false}},"
    "{\"ToolCall\":{\"call_id\":\"call_a\",\"tool_name\":\"ls\",\"input_json\":\"{\\\"path\\\":\\\"/tmp\\\"}\",\"replay\":{\"item_id\":\"fc_a\"}}},"
    "{\"ToolCall\":{\"call_id\":\"call_b\",\"tool_name\":\"stat\",\"input_json\":\"{}\",\"replay\":null}}]},"
    "{\"role\":\"User\",\"blocks\":[{\"ToolResult\":{\"call_id\":\"call_a\",\"content\":\"a.txt\",\"tool_name\":\"ls\"}},"
    "{\"ToolResult\":{\"call_id\":\"call_b\",\"content\":\"error\",\"tool_name\":null}}]},"
    "{\"role\":\"Assistant\",\"blocks\":["
    "{\"Reasoning\":{\"text\":\"display only\",\"replay\":null}},"
    "{\"Reasoning\":{\"text\":\"fallback summary\",\"replay\":{\"encrypted_content\":\"gAAAA2\"}}}," TEXT("Found a.txt.") "]},"
    "{\"role\":\"User\",\"blocks\":[" TEXT("Thanks") "]},"
    "{\"role\":\"User\",\"blocks\":[" TEXT("Bye") "]}],"
    "\"attachments\":[{\"mime\":\"image/png\",\"data\":\"iVBORw==\",\"reference\":null}],"
    "\"tools\":[{\"name\":\"ls\",\"description\":\"List a directory\",\"input_schema\":{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"}},"
    "\"required\":[\"path\"]},\"output_schema\":{},\"input_schema_projections\":[],\"output_schema_projections\":[]},"
    "{\"name\":\"stat\",\"description\":\"Stat\",\"input_schema\":{\"properties\":{\"mode\":{\"const\":\"fast\"}}},\"output_schema\":{},"
    "\"input_schema_projections\":[],\"output_schema_projections\":[]}],"
    "\"tool_choice\":\"Auto\",\"model_variant\":\"minimal\",\"generation\":{},\"session_id\":\"sess-1\",\"output_spec\":null}";

/* Worked out by hand: system text joined by a blank line into instructions; the
 * image as an input_image data URL; the reasoning replayed with its id and summary;
 * the phase-tagged text flushed as its own message before the tool call; the call
 * with an item id carries "id"; the display-only reasoning (no blob) dropped, the
 * fallback one summarised by its text; the legacy assistant text id'd
 * msg_lash_{message}_{first part} = msg_lash_5_0; the two user turns merged;
 * gpt-5.4 clamps "minimal" to "low"; expose_thinking asks for summaries. */
static const char k_conversation_body[] =
    "{\"include\":[\"reasoning.encrypted_content\"],\"input\":["
    "{\"content\":[{\"text\":\"What is in /tmp?\",\"type\":\"input_text\"},{\"image_url\":\"data:image/png;base64,iVBORw==\",\"type\":\"input_image\"}],\"role\":\"user\"},"
    "{\"encrypted_content\":\"gAAAA1\",\"id\":\"rs_1\",\"summary\":[{\"text\":\"Need to list files.\",\"type\":\"summary_text\"}],\"type\":\"reasoning\"},"
    "{\"content\":[{\"annotations\":[],\"text\":\"Let me look.\",\"type\":\"output_text\"}],\"id\":\"msg_1\",\"phase\":\"commentary\",\"role\":\"assistant\",\"status\":\"completed\",\"type\":\"message\"},"
    "{\"arguments\":\"{\\\"path\\\":\\\"/tmp\\\"}\",\"call_id\":\"call_a\",\"id\":\"fc_a\",\"name\":\"ls\",\"type\":\"function_call\"},"
    "{\"arguments\":\"{}\",\"call_id\":\"call_b\",\"name\":\"stat\",\"type\":\"function_call\"},"
    "{\"call_id\":\"call_a\",\"output\":\"a.txt\",\"type\":\"function_call_output\"},"
    "{\"call_id\":\"call_b\",\"output\":\"error\",\"type\":\"function_call_output\"},"
    "{\"encrypted_content\":\"gAAAA2\",\"summary\":[{\"text\":\"fallback summary\",\"type\":\"summary_text\"}],\"type\":\"reasoning\"},"
    "{\"content\":[{\"annotations\":[],\"text\":\"Found a.txt.\",\"type\":\"output_text\"}],\"id\":\"msg_lash_5_0\",\"role\":\"assistant\",\"status\":\"completed\",\"type\":\"message\"},"
    "{\"content\":[{\"text\":\"Thanks\",\"type\":\"input_text\"},{\"text\":\"Bye\",\"type\":\"input_text\"}],\"role\":\"user\"}],"
    "\"instructions\":\"You are helpful.\\n\\nBe brief.\",\"max_output_tokens\":32768,\"model\":\"openai/gpt-5.4\",\"parallel_tool_calls\":true,"
    "\"prompt_cache_key\":\"sess-1\",\"reasoning\":{\"effort\":\"low\",\"summary\":\"auto\"},\"store\":false,\"stream\":true,"
    "\"text\":{\"verbosity\":\"medium\"},\"tool_choice\":\"auto\",\"tools\":["
    "{\"description\":\"List a directory\",\"name\":\"ls\",\"parameters\":{\"properties\":{\"path\":{\"type\":\"string\"}},\"required\":[\"path\"],\"type\":\"object\"},\"strict\":false,\"type\":\"function\"},"
    "{\"description\":\"Stat\",\"name\":\"stat\",\"parameters\":{\"properties\":{\"mode\":{\"enum\":[\"fast\"],\"type\":\"string\"}},\"type\":\"object\"},\"strict\":false,\"type\":\"function\"}]}";

static void test_conversation_body(void) {
  lash_err e;
  char *b = body_of(k_conversation, "{\"expose_thinking\":true}", &e);
  CHECK_STR(b, k_conversation_body);
  free(b);
  /* the same attachment as the serde byte array lash itself would encode */
  char req[sizeof k_conversation + 64];
  const char *at = strstr(k_conversation, "\"data\":\"iVBORw==\"");
  snprintf(req, sizeof req, "%.*s\"data\":[137,80,78,71]%s", (int)(at - k_conversation), k_conversation, at + strlen("\"data\":\"iVBORw==\""));
  b = body_of(req, "{\"expose_thinking\":true}", &e);
  CHECK_STR(b, k_conversation_body);
  free(b);
}

static void test_body_options(void) {
  lash_err e;
  /* no tools: no tool_choice, parallel_tool_calls false; generation's cap beats the
   * provider option; long retention adds the 24h field; a non-reasoning model sends
   * no reasoning; a legacy assistant text gets msg_lash_0_0 */
  char *b = body_of("{\"model\":\"gpt-4.1\",\"messages\":[{\"role\":\"Assistant\",\"blocks\":[" TEXT("legacy") "]}],\"attachments\":[],"
                    "\"tools\":[],\"tool_choice\":\"Required\",\"model_variant\":\"high\",\"generation\":{\"output_token_cap\":2048},"
                    "\"session_id\":\"s2\",\"output_spec\":null}",
                    "{\"max_output_tokens\":9999,\"cache_retention\":\"long\"}", &e);
  CHECK_STR(b, "{\"include\":[\"reasoning.encrypted_content\"],\"input\":[{\"content\":[{\"annotations\":[],\"text\":\"legacy\",\"type\":\"output_text\"}],"
               "\"id\":\"msg_lash_0_0\",\"role\":\"assistant\",\"status\":\"completed\",\"type\":\"message\"}],\"instructions\":\"\","
               "\"max_output_tokens\":2048,\"model\":\"gpt-4.1\",\"parallel_tool_calls\":false,\"prompt_cache_key\":\"s2\","
               "\"prompt_cache_retention\":\"24h\",\"store\":false,\"stream\":true,\"text\":{\"verbosity\":\"medium\"},\"tools\":[]}");
  free(b);

  /* the provider option applies without a generation cap; retention none drops the
   * cache key; variant "none" sends no reasoning; a strict JSON schema output is
   * projected (every property required, optional ones nullable, no extra keys) */
  b = body_of("{\"model\":\"o3\",\"messages\":[{\"role\":\"User\",\"blocks\":[" TEXT("hi") "]}],\"attachments\":[]," TOOLS_NONE ","
              "\"model_variant\":\"none\",\"generation\":{},\"session_id\":\"s3\",\"output_spec\":{\"JsonSchema\":{\"name\":\"result\","
              "\"schema\":{\"type\":\"object\",\"properties\":{\"summary\":{\"type\":\"string\"},\"count\":{\"type\":\"integer\"}},\"required\":[\"summary\"]},"
              "\"strict\":true}}}",
              "{\"max_output_tokens\":9999,\"cache_retention\":\"none\"}", &e);
  CHECK_STR(b, "{\"include\":[\"reasoning.encrypted_content\"],\"input\":[{\"content\":[{\"text\":\"hi\",\"type\":\"input_text\"}],\"role\":\"user\"}],"
               "\"instructions\":\"\",\"max_output_tokens\":9999,\"model\":\"o3\",\"parallel_tool_calls\":false,\"store\":false,\"stream\":true,"
               "\"text\":{\"format\":{\"name\":\"result\",\"schema\":{\"additionalProperties\":false,\"properties\":{\"count\":{\"type\":[\"integer\",\"null\"]},"
               "\"summary\":{\"type\":\"string\"}},\"required\":[\"count\",\"summary\"],\"type\":\"object\"},\"strict\":true,\"type\":\"json_schema\"},"
               "\"verbosity\":\"medium\"},\"tools\":[]}");
  free(b);

  /* JsonObject output; a tool's openai_tool_parameters override is sent as-is;
   * tool_choice None / Required; o-models take a variant; an assistant image is dropped */
  b = body_of("{\"model\":\"o4-mini\",\"messages\":[{\"role\":\"Assistant\",\"blocks\":[{\"Image\":{\"attachment_idx\":0}}]}],"
              "\"attachments\":[{\"mime\":\"IMAGE/JPG \",\"data\":\"\",\"reference\":null}],\"tools\":[{\"name\":\"t\",\"description\":\"d\","
              "\"input_schema\":{\"allOf\":[]},\"output_schema\":{},\"input_schema_projections\":[{\"profile\":\"openai_tool_parameters\","
              "\"schema\":{\"z\":1,\"a\":{\"b\":2.5}}}],\"output_schema_projections\":[]}],\"tool_choice\":\"None\",\"model_variant\":\"high\","
              "\"generation\":{},\"session_id\":null,\"output_spec\":\"JsonObject\"}",
              NULL, &e);
  CHECK_STR(b, "{\"include\":[\"reasoning.encrypted_content\"],\"input\":[],\"instructions\":\"\",\"max_output_tokens\":32768,\"model\":\"o4-mini\","
               "\"parallel_tool_calls\":true,\"reasoning\":{\"effort\":\"high\"},\"store\":false,\"stream\":true,"
               "\"text\":{\"format\":{\"type\":\"json_object\"},\"verbosity\":\"medium\"},\"tool_choice\":\"none\",\"tools\":[{\"description\":\"d\","
               "\"name\":\"t\",\"parameters\":{\"a\":{\"b\":2.5},\"z\":1},\"strict\":false,\"type\":\"function\"}]}");
  free(b);
  b = body_of("{\"model\":\"gpt-5\",\"messages\":[],\"tools\":[{\"name\":\"t\",\"description\":\"d\",\"input_schema\":{}}],"
              "\"tool_choice\":\"Required\",\"model_variant\":\"minimal\",\"session_id\":null,\"output_spec\":null}",
              "{\"reasoning_effort\":\"xhigh\"}", &e);
  /* an explicit reasoning_effort wins over the variant; gpt-5 does not clamp */
  CHECK(b && strstr(b, "\"tool_choice\":\"required\"") && strstr(b, "\"reasoning\":{\"effort\":\"xhigh\"}") &&
        strstr(b, "\"parameters\":{\"properties\":{},\"type\":\"object\"}"));
  free(b);

  /* reasoning replay: no blob -> dropped; blob, no text, no summary -> empty summary */
  b = body_of("{\"model\":\"m\",\"messages\":[{\"role\":\"Assistant\",\"blocks\":[{\"Reasoning\":{\"text\":\"\",\"replay\":{\"encrypted_content\":\"B\","
              "\"item_id\":\"\"}}},{\"Reasoning\":{\"text\":\"x\",\"replay\":{\"item_id\":\"rs\",\"summary\":[\"s\"]}}}," TEXT("a") "," TEXT("b")
              "]}]," TOOLS_NONE ",\"session_id\":null}",
              NULL, &e);
  /* a second text flushes the first (pending content), and the second message's id
   * takes its own block index, 3 (pending_part_index) */
  CHECK_STR(b, "{\"include\":[\"reasoning.encrypted_content\"],\"input\":[{\"encrypted_content\":\"B\",\"summary\":[],\"type\":\"reasoning\"},"
               "{\"content\":[{\"annotations\":[],\"text\":\"a\",\"type\":\"output_text\"}],\"id\":\"msg_lash_0_0\",\"role\":\"assistant\","
               "\"status\":\"completed\",\"type\":\"message\"},{\"content\":[{\"annotations\":[],\"text\":\"b\",\"type\":\"output_text\"}],"
               "\"id\":\"msg_lash_0_3\",\"role\":\"assistant\",\"status\":\"completed\",\"type\":\"message\"}],\"instructions\":\"\","
               "\"max_output_tokens\":32768,\"model\":\"m\",\"parallel_tool_calls\":false,\"store\":false,\"stream\":true,"
               "\"text\":{\"verbosity\":\"medium\"},\"tools\":[]}");
  free(b);
}

static void test_body_errors(void) {
  lash_err e;
  char *b = body_of("{\"model\":\"m\",\"messages\":[],\"attachments\":[{\"mime\":\"image/png\",\"data\":\"\"},{\"mime\":\"image/bmp\",\"data\":\"Qk0=\"}]," TOOLS_NONE "}",
                    NULL, &e);
  CHECK(!b && e.code == LASH_E_INVALID_ARGUMENT);
  CHECK_STR(e.argument, "provider");
  CHECK_STR(e.detail, "OpenAI Responses does not accept image attachments of type `image/bmp` (attachment index 1); accepted: "
                      "image/jpeg, image/png, image/gif, image/webp");
  b = body_of("{\"model\":\"m\",\"messages\":[],\"tools\":[{\"name\":\"t\",\"description\":\"d\",\"input_schema\":{\"type\":\"object\","
              "\"properties\":{\"x\":{\"oneOf\":[]}},\"allOf\":[]}}],\"tool_choice\":\"Auto\"}",
              NULL, &e);
  CHECK(!b && e.code == LASH_E_INVALID_ARGUMENT);
  CHECK_STR(e.argument, "provider");
  CHECK_STR(e.detail, "OpenAI-compatible schema projection failed: $: unsupported JSON Schema keyword `allOf`");
  b = body_of("{\"model\":\"m\",\"messages\":[]," TOOLS_NONE ",\"output_spec\":{\"JsonSchema\":{\"name\":\"r\",\"schema\":{\"type\":\"string\"},\"strict\":true}}}",
              NULL, &e);
  CHECK_STR(b ? "" : e.detail, "OpenAI-compatible schema projection failed: $: root schema must be an object schema");
  b = body_of("{\"model\":\"m\",\"messages\":[]," TOOLS_NONE ",\"output_spec\":{\"JsonSchema\":{\"name\":\"r\",\"schema\":{\"anyOf\":[{\"type\":\"object\"}]},\"strict\":true}}}",
              NULL, &e);
  CHECK_STR(b ? "" : e.detail, "OpenAI-compatible schema projection failed: $: OpenAI structured outputs do not allow root anyOf");
  b = body_of("{\"model\":\"m\",\"messages\":[]," TOOLS_NONE ",\"output_spec\":{\"JsonSchema\":{\"name\":\"r\",\"schema\":{\"type\":\"object\","
              "\"properties\":{\"a\":{\"type\":\"object\",\"properties\":[]}}},\"strict\":false}}}",
              NULL, &e);
  CHECK_STR(b ? "" : e.detail, "OpenAI-compatible schema projection failed: $.properties.a: object schema properties must be an object");
  b = body_of("{\"model\":\"m\",\"messages\":[{\"role\":\"Tool\",\"blocks\":[]}]}", NULL, &e);
  CHECK(!b && e.code == LASH_E_INVALID_ARGUMENT);
  CHECK_STR(e.argument, "llm_request");
  b = body_of("{\"model\":\"m\",\"messages\":[{\"role\":\"User\",\"blocks\":[{\"Video\":{}}]}]}", NULL, &e);
  CHECK(!b && !strcmp(e.argument, "llm_request"));
  b = body_of("{\"model\":\"m\",\"messages\":[],\"generation\":{\"output_token_cap\":0}}", NULL, &e);
  CHECK(!b && !strcmp(e.argument, "llm_request"));
  b = body_of("{\"model\":\"m\",\"messages\":[]}", "{\"cache_retention\":\"forever\"}", &e);
  CHECK(!b && !strcmp(e.argument, "opts"));
  b = body_of("{\"model\":\"m\",\"messages\":[]}", "{\"reasoning_effort\":\"max\"}", &e);
  CHECK(!b && !strcmp(e.argument, "opts"));
  b = body_of("{\"model\":\"m\",\"messages\":[]}", "[]", &e);
  CHECK(!b && !strcmp(e.argument, "opts"));
}

/* ---- streams ---- */

typedef struct {
  char log[16384];
  size_t n;
} dlog;

static void on_delta(void *ud, const char *kind, const char *text, size_t len) {
  dlog *d = ud;
  int w = snprintf(d->log + d->n, sizeof d->log - d->n, "%c[%.*s]", kind[0] == 't' ? 'T' : 'R', (int)len, text);
  if (w > 0 && (size_t)w < sizeof d->log - d->n) d->n += (size_t)w;
}

/* Feed body cut at the given offsets (ascending); the printed LlmResponse, or
 * "ERR:<argument>:<detail>". Owned by the caller. */
static char *run_cuts(const char *body, size_t len, const size_t *cuts, size_t ncuts, dlog *d) {
  lash_stream *s = D->stream_new(NULL);
  lash_err e;
  memset(&e, 0, sizeof e);
  if (d) d->n = 0, d->log[0] = '\0';
  size_t at = 0;
  int rc = LASH_OK;
  for (size_t i = 0; i <= ncuts && rc == LASH_OK; i++) {
    size_t to = i < ncuts ? cuts[i] : len;
    rc = D->stream_feed(s, body + at, to - at, d ? on_delta : NULL, d, &e);
    at = to;
  }
  cJSON *r = rc == LASH_OK ? D->stream_finish(s, NULL, NULL, &e) : NULL;
  char *out;
  if (r) out = cJSON_PrintUnformatted(r);
  else {
    out = malloc(400);
    snprintf(out, 400, "ERR:%s:%s", e.argument, e.detail);
  }
  cJSON_Delete(r);
  D->stream_free(s);
  return out;
}
static char *run(const char *body, dlog *d) { return run_cuts(body, strlen(body), NULL, 0, d); }

#define SSE(type, json) "event: " type "\ndata: " json "\n\n"

static const char k_text_stream[] =
    SSE("response.created", "{\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_1\",\"object\":\"response\",\"created_at\":1741290958,"
                            "\"status\":\"in_progress\",\"error\":null,\"incomplete_details\":null,\"model\":\"gpt-5.4\",\"output\":[],\"usage\":null}}")
    SSE("response.in_progress", "{\"type\":\"response.in_progress\",\"sequence_number\":1,\"response\":{\"id\":\"resp_1\",\"object\":\"response\","
                                "\"status\":\"in_progress\",\"output\":[],\"usage\":null}}")
    SSE("response.output_item.added", "{\"type\":\"response.output_item.added\",\"sequence_number\":2,\"output_index\":0,\"item\":{\"id\":\"msg_1\","
                                      "\"type\":\"message\",\"status\":\"in_progress\",\"role\":\"assistant\",\"content\":[]}}")
    SSE("response.content_part.added", "{\"type\":\"response.content_part.added\",\"sequence_number\":3,\"item_id\":\"msg_1\",\"output_index\":0,"
                                       "\"content_index\":0,\"part\":{\"type\":\"output_text\",\"text\":\"\",\"annotations\":[]}}")
    SSE("response.output_text.delta", "{\"type\":\"response.output_text.delta\",\"sequence_number\":4,\"item_id\":\"msg_1\",\"output_index\":0,"
                                      "\"content_index\":0,\"delta\":\"Hello\"}")
    SSE("response.output_text.delta", "{\"type\":\"response.output_text.delta\",\"sequence_number\":5,\"item_id\":\"msg_1\",\"output_index\":0,"
                                      "\"content_index\":0,\"delta\":\", w\xc3\xb6rld \xf0\x9f\x8c\x8d\"}")
    SSE("response.output_text.delta", "{\"type\":\"response.output_text.delta\",\"sequence_number\":6,\"item_id\":\"msg_1\",\"output_index\":0,"
                                      "\"content_index\":0,\"delta\":\"\\n\\\"ok\\\"\"}")
    SSE("response.output_text.done", "{\"type\":\"response.output_text.done\",\"sequence_number\":7,\"item_id\":\"msg_1\",\"output_index\":0,"
                                     "\"content_index\":0,\"text\":\"Hello, w\xc3\xb6rld \xf0\x9f\x8c\x8d\\n\\\"ok\\\"\"}")
    SSE("response.content_part.done", "{\"type\":\"response.content_part.done\",\"sequence_number\":8,\"item_id\":\"msg_1\",\"output_index\":0,"
                                      "\"content_index\":0,\"part\":{\"type\":\"output_text\",\"text\":\"Hello, w\xc3\xb6rld \xf0\x9f\x8c\x8d\\n\\\"ok\\\"\",\"annotations\":[]}}")
    SSE("response.output_item.done", "{\"type\":\"response.output_item.done\",\"sequence_number\":9,\"output_index\":0,\"item\":{\"id\":\"msg_1\","
                                     "\"type\":\"message\",\"status\":\"completed\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\","
                                     "\"text\":\"Hello, w\xc3\xb6rld \xf0\x9f\x8c\x8d\\n\\\"ok\\\"\",\"annotations\":[]}]}}")
    SSE("response.completed", "{\"type\":\"response.completed\",\"sequence_number\":10,\"response\":{\"id\":\"resp_1\",\"object\":\"response\","
                              "\"status\":\"completed\",\"error\":null,\"incomplete_details\":null,\"output\":[{\"id\":\"msg_1\",\"type\":\"message\","
                              "\"status\":\"completed\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"Hello, w\xc3\xb6rld "
                              "\xf0\x9f\x8c\x8d\\n\\\"ok\\\"\",\"annotations\":[]}]}],\"usage\":{\"input_tokens\":36,\"input_tokens_details\":{\"cached_tokens\":0},"
                              "\"output_tokens\":87,\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":123}}}");

static void test_text_stream(void) {
  dlog d;
  char *r = run(k_text_stream, &d);
  /* the message's meta comes from its done item (status completed) */
  CHECK_STR(r, "{\"full_text\":\"Hello, w\xc3\xb6rld \xf0\x9f\x8c\x8d\\n\\\"ok\\\"\",\"parts\":[{\"Text\":{\"text\":\"Hello, w\xc3\xb6rld "
               "\xf0\x9f\x8c\x8d\\n\\\"ok\\\"\",\"response_meta\":{\"id\":\"msg_1\",\"status\":\"completed\"}}}],\"usage\":{\"input_tokens\":36,"
               "\"output_tokens\":87,\"cached_input_tokens\":0,\"reasoning_tokens\":0},\"terminal_reason\":\"stop\",\"terminal_diagnostic\":null,"
               "\"provider_usage\":{\"input_tokens\":36,\"input_tokens_details\":{\"cached_tokens\":0},\"output_tokens\":87,"
               "\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":123},\"text_streamed\":true}");
  CHECK_STR(d.log, "T[Hello]T[, w\xc3\xb6rld \xf0\x9f\x8c\x8d]T[\n\"ok\"]");
  free(r);
}

static const char k_reasoning_stream[] =
    SSE("response.created", "{\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_2\",\"status\":\"in_progress\",\"output\":[],\"usage\":null}}")
    SSE("response.output_item.added", "{\"type\":\"response.output_item.added\",\"sequence_number\":1,\"output_index\":0,\"item\":{\"id\":\"rs_1\","
                                      "\"type\":\"reasoning\",\"summary\":[]}}")
    SSE("response.reasoning_summary_part.added", "{\"type\":\"response.reasoning_summary_part.added\",\"sequence_number\":2,\"item_id\":\"rs_1\","
                                                 "\"output_index\":0,\"summary_index\":0,\"part\":{\"type\":\"summary_text\",\"text\":\"\"}}")
    SSE("response.reasoning_summary_text.delta", "{\"type\":\"response.reasoning_summary_text.delta\",\"sequence_number\":3,\"item_id\":\"rs_1\","
                                                 "\"output_index\":0,\"summary_index\":0,\"delta\":\"**Plan**\\n\\nCheck\"}")
    SSE("response.reasoning_summary_text.done", "{\"type\":\"response.reasoning_summary_text.done\",\"sequence_number\":4,\"item_id\":\"rs_1\","
                                                "\"output_index\":0,\"summary_index\":0,\"text\":\"**Plan**\\n\\nCheck files.\"}")
    SSE("response.reasoning_summary_part.done", "{\"type\":\"response.reasoning_summary_part.done\",\"sequence_number\":5,\"item_id\":\"rs_1\","
                                                "\"output_index\":0,\"summary_index\":0,\"part\":{\"type\":\"summary_text\",\"text\":\"**Plan**\\n\\nCheck files.\"}}")
    SSE("response.reasoning_summary_part.added", "{\"type\":\"response.reasoning_summary_part.added\",\"sequence_number\":6,\"item_id\":\"rs_1\","
                                                 "\"output_index\":0,\"summary_index\":1,\"part\":{\"type\":\"summary_text\",\"text\":\"\"}}")
    SSE("response.reasoning_summary_text.delta", "{\"type\":\"response.reasoning_summary_text.delta\",\"sequence_number\":7,\"item_id\":\"rs_1\","
                                                 "\"output_index\":0,\"summary_index\":1,\"delta\":\"Then answer.\\n\"}")
    SSE("response.reasoning_summary_text.done", "{\"type\":\"response.reasoning_summary_text.done\",\"sequence_number\":8,\"item_id\":\"rs_1\","
                                                "\"output_index\":0,\"summary_index\":1,\"text\":\"Then answer.\\n\"}")
    SSE("response.reasoning_summary_part.done", "{\"type\":\"response.reasoning_summary_part.done\",\"sequence_number\":9,\"item_id\":\"rs_1\","
                                                "\"output_index\":0,\"summary_index\":1,\"part\":{\"type\":\"summary_text\",\"text\":\"Then answer.\\n\"}}")
    SSE("response.output_item.done", "{\"type\":\"response.output_item.done\",\"sequence_number\":10,\"output_index\":0,\"item\":{\"id\":\"rs_1\","
                                     "\"type\":\"reasoning\",\"summary\":[{\"type\":\"summary_text\",\"text\":\"**Plan**\\n\\nCheck files.\"},"
                                     "{\"type\":\"summary_text\",\"text\":\"Then answer.\"}],\"encrypted_content\":\"enc_1\"}}")
    SSE("response.output_item.added", "{\"type\":\"response.output_item.added\",\"sequence_number\":11,\"output_index\":1,\"item\":{\"id\":\"msg_2\","
                                      "\"type\":\"message\",\"status\":\"in_progress\",\"role\":\"assistant\",\"content\":[]}}")
    SSE("response.output_text.delta", "{\"type\":\"response.output_text.delta\",\"sequence_number\":12,\"item_id\":\"msg_2\",\"output_index\":1,"
                                      "\"content_index\":0,\"delta\":\"Done.\"}")
    SSE("response.output_item.done", "{\"type\":\"response.output_item.done\",\"sequence_number\":13,\"output_index\":1,\"item\":{\"id\":\"msg_2\","
                                     "\"type\":\"message\",\"status\":\"completed\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\","
                                     "\"text\":\"Done.\",\"annotations\":[]}]}}")
    SSE("response.completed", "{\"type\":\"response.completed\",\"sequence_number\":14,\"response\":{\"id\":\"resp_2\",\"status\":\"completed\","
                              "\"incomplete_details\":null,\"output\":[{\"id\":\"rs_1\",\"type\":\"reasoning\",\"summary\":[{\"type\":\"summary_text\","
                              "\"text\":\"**Plan**\\n\\nCheck files.\"},{\"type\":\"summary_text\",\"text\":\"Then answer.\"}],\"encrypted_content\":\"enc_1\"},"
                              "{\"id\":\"msg_2\",\"type\":\"message\",\"status\":\"completed\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\","
                              "\"text\":\"Done.\",\"annotations\":[]}]}],\"usage\":{\"input_tokens\":50,\"input_tokens_details\":{\"cached_tokens\":20},"
                              "\"output_tokens\":80,\"output_tokens_details\":{\"reasoning_tokens\":64},\"total_tokens\":130}}}");

static void test_reasoning_stream(void) {
  dlog d;
  char *r = run(k_reasoning_stream, &d);
  /* lash: the item's empty first part is dropped; the first summary part stays
   * replay-less; the last one takes the item's replay and, at response.completed,
   * is replaced by the item's part (summaries joined by a blank line) */
  CHECK_STR(r, "{\"full_text\":\"Done.\",\"parts\":[{\"Reasoning\":{\"text\":\"**Plan**\\n\\nCheck files.\",\"replay\":null}},"
               "{\"Reasoning\":{\"text\":\"**Plan**\\n\\nCheck files.\\n\\nThen answer.\",\"replay\":{\"item_id\":\"rs_1\",\"encrypted_content\":\"enc_1\","
               "\"summary\":[\"**Plan**\\n\\nCheck files.\",\"Then answer.\"]}}},{\"Text\":{\"text\":\"Done.\",\"response_meta\":{\"id\":\"msg_2\","
               "\"status\":\"completed\"}}}],\"usage\":{\"input_tokens\":50,\"output_tokens\":80,\"cached_input_tokens\":20,\"reasoning_tokens\":64},"
               "\"terminal_reason\":\"stop\",\"terminal_diagnostic\":null,\"provider_usage\":{\"input_tokens\":50,\"input_tokens_details\":"
               "{\"cached_tokens\":20},\"output_tokens\":80,\"output_tokens_details\":{\"reasoning_tokens\":64},\"total_tokens\":130},\"text_streamed\":true}");
  /* the done text's missing suffix streams as a delta; the trailing newline streams
   * too (the part is trimmed only when it closes) */
  CHECK_STR(d.log, "R[**Plan**\n\nCheck]R[ files.]R[Then answer.\n]T[Done.]");
  free(r);
}

static const char k_calls_stream[] =
    SSE("response.created", "{\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_3\",\"status\":\"in_progress\",\"output\":[]}}")
    SSE("response.output_item.added", "{\"type\":\"response.output_item.added\",\"sequence_number\":1,\"output_index\":0,\"item\":{\"id\":\"fc_1\","
                                      "\"type\":\"function_call\",\"status\":\"in_progress\",\"arguments\":\"\",\"call_id\":\"call_1\",\"name\":\"get_weather\"}}")
    SSE("response.output_item.added", "{\"type\":\"response.output_item.added\",\"sequence_number\":2,\"output_index\":1,\"item\":{\"id\":\"fc_2\","
                                      "\"type\":\"function_call\",\"status\":\"in_progress\",\"arguments\":\"\",\"call_id\":\"call_2\",\"name\":\"get_time\"}}")
    SSE("response.function_call_arguments.delta", "{\"type\":\"response.function_call_arguments.delta\",\"sequence_number\":3,\"item_id\":\"fc_1\","
                                                  "\"output_index\":0,\"delta\":\"{\\\"city\\\":\"}")
    SSE("response.function_call_arguments.delta", "{\"type\":\"response.function_call_arguments.delta\",\"sequence_number\":4,\"item_id\":\"fc_2\","
                                                  "\"output_index\":1,\"delta\":\"{\\\"tz\\\":\"}")
    SSE("response.function_call_arguments.delta", "{\"type\":\"response.function_call_arguments.delta\",\"sequence_number\":5,\"item_id\":\"fc_1\","
                                                  "\"output_index\":0,\"delta\":\"\\\"Paris\\\"}\"}")
    SSE("response.function_call_arguments.delta", "{\"type\":\"response.function_call_arguments.delta\",\"sequence_number\":6,\"item_id\":\"fc_2\","
                                                  "\"output_index\":1,\"delta\":\"\\\"CET\\\"}\"}")
    SSE("response.function_call_arguments.done", "{\"type\":\"response.function_call_arguments.done\",\"sequence_number\":7,\"item_id\":\"fc_2\","
                                                 "\"output_index\":1,\"arguments\":\"{\\\"tz\\\":\\\"CET\\\"}\"}")
    SSE("response.output_item.done", "{\"type\":\"response.output_item.done\",\"sequence_number\":8,\"output_index\":1,\"item\":{\"id\":\"fc_2\","
                                     "\"type\":\"function_call\",\"status\":\"completed\",\"arguments\":\"{\\\"tz\\\":\\\"CET\\\"}\",\"call_id\":\"call_2\","
                                     "\"name\":\"get_time\"}}")
    SSE("response.function_call_arguments.done", "{\"type\":\"response.function_call_arguments.done\",\"sequence_number\":9,\"item_id\":\"fc_1\","
                                                 "\"output_index\":0,\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}")
    SSE("response.output_item.done", "{\"type\":\"response.output_item.done\",\"sequence_number\":10,\"output_index\":0,\"item\":{\"id\":\"fc_1\","
                                     "\"type\":\"function_call\",\"status\":\"completed\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\",\"call_id\":\"call_1\","
                                     "\"name\":\"get_weather\"}}")
    SSE("response.completed", "{\"type\":\"response.completed\",\"sequence_number\":11,\"response\":{\"id\":\"resp_3\",\"status\":\"completed\","
                              "\"output\":[{\"id\":\"fc_1\",\"type\":\"function_call\",\"status\":\"completed\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\","
                              "\"call_id\":\"call_1\",\"name\":\"get_weather\"},{\"id\":\"fc_2\",\"type\":\"function_call\",\"status\":\"completed\","
                              "\"arguments\":\"{\\\"tz\\\":\\\"CET\\\"}\",\"call_id\":\"call_2\",\"name\":\"get_time\"}],\"usage\":{\"input_tokens\":100,"
                              "\"input_tokens_details\":{\"cache_write_tokens\":0,\"cached_tokens\":80},\"output_tokens\":20,"
                              "\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":120}}}");

static void test_calls_stream(void) {
  dlog d;
  char *r = run(k_calls_stream, &d);
  /* parts in completion order; the final response's copies are duplicates by item id */
  CHECK_STR(r, "{\"full_text\":\"\",\"parts\":[{\"ToolCall\":{\"call_id\":\"call_2\",\"tool_name\":\"get_time\",\"input_json\":\"{\\\"tz\\\":\\\"CET\\\"}\","
               "\"replay\":{\"item_id\":\"fc_2\"}}},{\"ToolCall\":{\"call_id\":\"call_1\",\"tool_name\":\"get_weather\",\"input_json\":"
               "\"{\\\"city\\\":\\\"Paris\\\"}\",\"replay\":{\"item_id\":\"fc_1\"}}}],\"usage\":{\"input_tokens\":100,\"output_tokens\":20,"
               "\"cached_input_tokens\":80,\"reasoning_tokens\":0},\"terminal_reason\":\"tool_use\",\"terminal_diagnostic\":null,"
               "\"provider_usage\":{\"input_tokens\":100,\"input_tokens_details\":{\"cache_write_tokens\":0,\"cached_tokens\":80},\"output_tokens\":20,"
               "\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":120},\"text_streamed\":false}");
  CHECK_STR(d.log, "");
  free(r);

  /* arguments accumulate by item id when nothing restates them; a call without a
   * name is dropped; a call without arguments gets "{}" */
  r = run("data: {\"type\":\"response.output_item.added\",\"item\":{\"id\":\"fc_a\",\"type\":\"function_call\",\"call_id\":\"c_a\",\"name\":\"a\"}}\n\n"
          "data: {\"type\":\"response.output_item.added\",\"item\":{\"id\":\"fc_b\",\"type\":\"function_call\",\"call_id\":\"c_b\",\"name\":\"b\"}}\n\n"
          "data: {\"type\":\"response.function_call_arguments.delta\",\"item_id\":\"fc_b\",\"delta\":\"[2\"}\n\n"
          "data: {\"type\":\"response.function_call_arguments.delta\",\"item_id\":\"fc_a\",\"delta\":\"[1\"}\n\n"
          "data: {\"type\":\"response.function_call_arguments.delta\",\"item_id\":\"fc_b\",\"delta\":\"]\"}\n\n"
          "data: {\"type\":\"response.function_call_arguments.delta\",\"item_id\":\"fc_a\",\"delta\":\"]\"}\n\n"
          "data: {\"type\":\"response.output_item.done\",\"item\":{\"id\":\"fc_a\",\"type\":\"function_call\"}}\n\n"
          "data: {\"type\":\"response.output_item.done\",\"item\":{\"id\":\"fc_b\",\"type\":\"function_call\"}}\n\n"
          "data: {\"type\":\"response.output_item.done\",\"item\":{\"id\":\"fc_c\",\"type\":\"function_call\",\"call_id\":\"c_c\"}}\n\n"
          "data: {\"type\":\"response.output_item.done\",\"item\":{\"id\":\"fc_d\",\"type\":\"function_call\",\"call_id\":\"c_d\",\"name\":\"d\"}}\n\n",
          &d);
  CHECK_STR(r, "{\"full_text\":\"\",\"parts\":[{\"ToolCall\":{\"call_id\":\"c_a\",\"tool_name\":\"a\",\"input_json\":\"[1]\",\"replay\":{\"item_id\":\"fc_a\"}}},"
               "{\"ToolCall\":{\"call_id\":\"c_b\",\"tool_name\":\"b\",\"input_json\":\"[2]\",\"replay\":{\"item_id\":\"fc_b\"}}},"
               "{\"ToolCall\":{\"call_id\":\"c_d\",\"tool_name\":\"d\",\"input_json\":\"{}\",\"replay\":{\"item_id\":\"fc_d\"}}}],"
               "\"usage\":{\"input_tokens\":0,\"output_tokens\":0,\"cached_input_tokens\":0,\"reasoning_tokens\":0},\"terminal_reason\":\"tool_use\","
               "\"terminal_diagnostic\":null,\"provider_usage\":null,\"text_streamed\":false}");
  free(r);

  /* a call without call_id gets a generated uuid v4, the same for the same stream */
  const char *nocall = "data: {\"type\":\"response.output_item.done\",\"item\":{\"id\":\"fc\",\"type\":\"function_call\",\"name\":\"x\",\"arguments\":\"{}\"}}\n\n";
  char *r1 = run(nocall, NULL), *r2 = run(nocall, NULL);
  cJSON *j = cJSON_Parse(r1);
  const char *cid = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "parts"), 0), "ToolCall"), "call_id"));
  CHECK(cid && strlen(cid) == 36 && cid[14] == '4' && strchr("89ab", cid[19]));
  CHECK_STR(r1, r2);
  cJSON_Delete(j);
  free(r1), free(r2);
}

static void test_usage(void) {
  dlog d;
  /* cache writes are not reads; string counts parse; later zero counts keep earlier values */
  char *r = run("data: {\"type\":\"response.output_text.delta\",\"delta\":\"x\",\"usage\":{\"input_tokens\":7,\"output_tokens\":\"3\"}}\n\n"
                "data: {\"type\":\"response.completed\",\"response\":{\"status\":\"completed\",\"usage\":{\"input_tokens\":100,\"output_tokens\":0,"
                "\"input_tokens_details\":{\"cached_tokens\":80,\"cache_write_tokens\":30},\"output_tokens_details\":{\"reasoning_tokens\":5}}}}\n\n",
                &d);
  CHECK(strstr(r, "\"usage\":{\"input_tokens\":100,\"output_tokens\":3,\"cached_input_tokens\":50,\"reasoning_tokens\":5}") != NULL);
  free(r);
  /* a present-but-null field is chosen and reads 0 (Value::get then parse_i64);
   * floats and out-of-range integers are 0 */
  r = run("data: {\"type\":\"response.completed\",\"response\":{\"output_text\":\"t\",\"usage\":{\"input_tokens\":null,\"prompt_tokens\":9,"
          "\"output_tokens\":2.0,\"cached_tokens\":9223372036854775808,\"reasoning_tokens\":-4}}}\n\n",
          &d);
  CHECK(strstr(r, "\"usage\":{\"input_tokens\":0,\"output_tokens\":0,\"cached_input_tokens\":0,\"reasoning_tokens\":0}") != NULL);
  /* merge_final_response: the output_text part is reconciled into a new Text part,
   * which streams its text */
  CHECK(strstr(r, "\"parts\":[{\"Text\":{\"text\":\"t\",\"response_meta\":null}}]") && strstr(r, "\"full_text\":\"t\"") &&
        strstr(r, "\"text_streamed\":true"));
  CHECK_STR(d.log, "T[t]");
  free(r);
}

static void test_failures(void) {
  dlog d;
  char *r = run(SSE("response.created", "{\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_4\",\"status\":\"in_progress\"}}")
                SSE("response.output_text.delta", "{\"type\":\"response.output_text.delta\",\"sequence_number\":1,\"item_id\":\"m\",\"delta\":\"par\"}")
                SSE("response.failed", "{\"type\":\"response.failed\",\"sequence_number\":2,\"response\":{\"id\":\"resp_4\",\"status\":\"failed\","
                                       "\"error\":{\"code\":\"server_error\",\"message\":\"The model failed to generate a response.\"},\"output\":[]}}")
                SSE("response.output_text.delta", "{\"type\":\"response.output_text.delta\",\"sequence_number\":3,\"delta\":\"late\"}"),
                &d);
  CHECK_STR(r, "ERR:provider:The model failed to generate a response.");
  CHECK_STR(d.log, "T[par]"); /* nothing after the failure */
  free(r);
  r = run("data: {\"type\":\"response.failed\",\"response\":{\"status\":\"failed\"}}\n\n", NULL);
  CHECK_STR(r, "ERR:provider:OpenAI-compatible response failed");
  free(r);
  r = run("data: {\"type\":\"response.failed\",\"error\":{\"message\":\"top-level\"}}\n\n", NULL);
  CHECK_STR(r, "ERR:provider:top-level");
  free(r);
  r = run(SSE("error", "{\"type\":\"error\",\"code\":\"rate_limit_exceeded\",\"message\":\"Rate limit reached\",\"param\":null,\"sequence_number\":1}"), NULL);
  CHECK_STR(r, "ERR:provider:Rate limit reached");
  free(r);
  r = run("data: {\"type\":\"error\",\"error\":{\"message\":\"nested\"}}\n\n", NULL);
  CHECK_STR(r, "ERR:provider:nested");
  free(r);
  r = run("data: {\"type\":\"error\"}\n\n", NULL);
  CHECK_STR(r, "ERR:provider:OpenAI-compatible stream error");
  free(r);
  /* a long message is cut to the detail's size on a UTF-8 boundary (found by fuzzing) */
  char longmsg[1200] = "data: {\"type\":\"error\",\"message\":\"rr";
  for (int i = 0; i < 300; i++) strcat(longmsg, "\xc3\xa9");
  strcat(longmsg, "\"}\n\n");
  lash_stream *s = D->stream_new(NULL);
  lash_err e;
  CHECK(D->stream_feed(s, longmsg, strlen(longmsg), NULL, NULL, &e) == LASH_E_INVALID_ARGUMENT);
  CHECK(strlen(e.detail) == 254 && lash__utf8_valid(e.detail, strlen(e.detail))); /* "rr" + 126 x "é": byte 255 would split one */
  D->stream_free(s);

  /* malformed JSON: serde_json's error text and position (as serde_json 1.0.149, lash's
   * version, reports them), after the deltas of the events before it */
  r = run("data: {\"type\":\"response.output_text.delta\",\"delta\":\"a\"}\n\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"b\"\n\n", &d);
  CHECK_STR(r, "ERR:provider:Invalid OpenAI-compatible SSE payload: EOF while parsing an object at line 1 column 48");
  CHECK_STR(d.log, "T[a]");
  free(r);
  static const char *const bad[][2] = {
      {"data: {\"a\":1,}\n\n", "trailing comma at line 1 column 8"},
      {"data: {\"a\":01}\n\n", "invalid number at line 1 column 7"},
      {"data: [1] x\n\n", "trailing characters at line 1 column 5"},
      {"data: {\"a\":\"\\ud800\"}\n\n", "unexpected end of hex escape at line 1 column 13"},
      {"data: {\"a\":\"\\udc00\"}\n\n", "lone leading surrogate in hex escape at line 1 column 12"},
      {"data: {\"a\":1e999}\n\n", "number out of range at line 1 column 10"},
      {"data: {\"a\":tru}\n\n", "expected ident at line 1 column 9"},
      {"data: [[\n\n", "EOF while parsing a list at line 1 column 2"},
      {"data: {\"a\":1,\n\n", "EOF while parsing a value at line 1 column 7"},
      {"data: {'a':1}\n\n", "key must be a string at line 1 column 2"},
      {"data: {\"a\":\"x\ty\"}\n\n", "control character (\\u0000-\\u001F) found while parsing a string at line 1 column 8"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char want[200];
    snprintf(want, sizeof want, "ERR:provider:Invalid OpenAI-compatible SSE payload: %s", bad[i][1]);
    r = run(bad[i][0], NULL);
    CHECK_STR(r, want);
    free(r);
  }
  /* a body cut inside an event: the partial event is delivered and does not parse */
  r = run("data: {\"type\":\"response.output_text.delta\",\"delta\":\"hi\"}\n\ndata: {\"type\":\"response.comp", NULL);
  CHECK(!strncmp(r, "ERR:provider:Invalid OpenAI-compatible SSE payload: EOF while parsing a string", 78));
  free(r);
}

static void test_truncated_and_empty(void) {
  dlog d;
  /* lash accepts a stream that ends without response.completed: the streamed parts
   * stand, the terminal reason comes from the last response seen (in progress) */
  char *r = run(SSE("response.created", "{\"type\":\"response.created\",\"response\":{\"id\":\"r\",\"status\":\"in_progress\",\"incomplete_details\":null}}")
                SSE("response.output_item.added", "{\"type\":\"response.output_item.added\",\"item\":{\"id\":\"msg_1\",\"type\":\"message\","
                                                  "\"status\":\"in_progress\",\"role\":\"assistant\",\"content\":[]}}")
                SSE("response.output_text.delta", "{\"type\":\"response.output_text.delta\",\"item_id\":\"msg_1\",\"delta\":\"Hel\"}"),
                &d);
  CHECK_STR(r, "{\"full_text\":\"Hel\",\"parts\":[{\"Text\":{\"text\":\"Hel\",\"response_meta\":{\"id\":\"msg_1\",\"status\":\"in_progress\"}}}],"
               "\"usage\":{\"input_tokens\":0,\"output_tokens\":0,\"cached_input_tokens\":0,\"reasoning_tokens\":0},\"terminal_reason\":\"stop\","
               "\"terminal_diagnostic\":null,\"provider_usage\":null,\"text_streamed\":true}");
  free(r);
  /* no content at all: lash's empty_response */
  r = run(SSE("response.created", "{\"type\":\"response.created\",\"response\":{\"status\":\"in_progress\",\"output\":[]}}")
          SSE("response.completed", "{\"type\":\"response.completed\",\"response\":{\"status\":\"completed\",\"output\":[]}}"), NULL);
  CHECK_STR(r, "ERR:provider:OpenAI-compatible empty_response");
  free(r);
  /* no event at all: the body is read as one JSON reply, unless lash would take it
   * for SSE text (it starts with "data:" or has a "\ndata:" line) */
  r = run("", NULL);
  CHECK_STR(r, "ERR:provider:Invalid Responses JSON: EOF while parsing a value at line 1 column 0");
  free(r);
  r = run(" \n", NULL);
  CHECK_STR(r, "ERR:provider:Invalid Responses JSON: EOF while parsing a value at line 2 column 0");
  free(r);
  r = run("data:\n\n", NULL);
  CHECK_STR(r, "ERR:provider:OpenAI-compatible empty_response");
  free(r);
  r = run("  data: {\"type\":\"response.output_text.delta\",\"delta\":\"A\"}\n\n", NULL);
  CHECK_STR(r, "ERR:provider:OpenAI-compatible empty_response");
  free(r);
  r = run(": keep-alive\n\ndata: [DONE]\n\n", NULL);
  CHECK_STR(r, "ERR:provider:OpenAI-compatible empty_response");
  free(r);
  /* whitespace-only reasoning is not content; reasoning with text is */
  r = run("data: {\"type\":\"response.reasoning_summary_text.delta\",\"delta\":\" \\n\"}\n\n", NULL);
  CHECK_STR(r, "ERR:provider:OpenAI-compatible empty_response");
  free(r);
  r = run("data: {\"type\":\"response.reasoning_summary_text.delta\",\"delta\":\"hmm \"}\n\n", &d);
  CHECK(strstr(r, "\"parts\":[{\"Reasoning\":{\"text\":\"hmm \",\"replay\":null}}]") && strstr(r, "\"text_streamed\":false"));
  CHECK_STR(d.log, "R[hmm ]");
  free(r);
}

static void test_terminal_reasons(void) {
  dlog d;
  /* response.incomplete is not merged, but its response is the final one */
  char *r = run(SSE("response.output_item.added", "{\"type\":\"response.output_item.added\",\"sequence_number\":1,\"output_index\":0,\"item\":{\"id\":\"msg_1\","
                                                  "\"type\":\"message\",\"status\":\"in_progress\",\"role\":\"assistant\",\"content\":[]}}")
                SSE("response.output_text.delta", "{\"type\":\"response.output_text.delta\",\"sequence_number\":2,\"item_id\":\"msg_1\",\"output_index\":0,"
                                                  "\"content_index\":0,\"delta\":\"Partial\"}")
                SSE("response.incomplete", "{\"type\":\"response.incomplete\",\"sequence_number\":3,\"response\":{\"id\":\"resp_5\",\"status\":\"incomplete\","
                                           "\"incomplete_details\":{\"reason\":\"max_output_tokens\"},\"output\":[{\"id\":\"msg_1\",\"type\":\"message\","
                                           "\"status\":\"incomplete\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"Partial\","
                                           "\"annotations\":[]}]}],\"usage\":{\"input_tokens\":10,\"output_tokens\":16,\"total_tokens\":26}}}"),
                &d);
  CHECK_STR(r, "{\"full_text\":\"Partial\",\"parts\":[{\"Text\":{\"text\":\"Partial\",\"response_meta\":{\"id\":\"msg_1\",\"status\":\"in_progress\"}}}],"
               "\"usage\":{\"input_tokens\":10,\"output_tokens\":16,\"cached_input_tokens\":0,\"reasoning_tokens\":0},\"terminal_reason\":\"output_limit\","
               "\"terminal_diagnostic\":null,\"provider_usage\":{\"input_tokens\":10,\"output_tokens\":16,\"total_tokens\":26},\"text_streamed\":true}");
  free(r);
  static const char *const cases[][2] = {
      {"\"status\":\"incomplete\",\"incomplete_details\":{\"reason\":\"content_filter\"}", "content_filter"},
      {"\"status\":\"incomplete\",\"incomplete_details\":{\"reason\":\"max_tokens\"}", "output_limit"},
      {"\"status\":\"incomplete\",\"incomplete_details\":{\"reason\":\"safety\"}", "content_filter"},
      {"\"status\":\"incomplete\",\"incomplete_details\":{\"reason\":\"interrupted\"}", "provider_error"},
      {"\"status\":\"incomplete\",\"incompleteDetails\":{\"reason\":\"max_output_tokens\"}", "output_limit"},
      {"\"incomplete_details\":null,\"incompleteDetails\":{\"reason\":\"max_output_tokens\"}", "stop"},
      {"\"status\":\"cancelled\"", "cancelled"},
      {"\"status\":\"failed\"", "provider_error"},
      {"\"status\":\"incomplete\"", "stop"},
      {"\"status\":\"completed\"", "stop"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char body[512], want[64];
    snprintf(body, sizeof body,
             "data: {\"type\":\"response.output_text.delta\",\"delta\":\"x\"}\n\ndata: {\"type\":\"response.completed\",\"response\":{%s}}\n\n", cases[i][0]);
    snprintf(want, sizeof want, "\"terminal_reason\":\"%s\"", cases[i][1]);
    r = run(body, NULL);
    CHECK(strstr(r, want) != NULL);
    if (!strstr(r, want)) fprintf(stderr, "  case %zu: %s\n", i, r);
    free(r);
  }
}

/* A plain JSON Response (complete_buffered_responses): parts come from the output. */
static void test_buffered_reply(void) {
  dlog d;
  char *r = run("{\"id\":\"resp_9\",\"object\":\"response\",\"status\":\"completed\",\"output\":[{\"type\":\"reasoning\",\"id\":\"rs_9\",\"summary\":[],"
                "\"encrypted_content\":\"enc9\"},{\"type\":\"message\",\"id\":\"msg_9\",\"status\":\"completed\",\"role\":\"assistant\",\"content\":"
                "[{\"type\":\"output_text\",\"text\":\"Hi \",\"annotations\":[]},{\"type\":\"refusal\",\"refusal\":\"there\"}]},{\"type\":\"function_call\","
                "\"id\":\"fc_9\",\"call_id\":\"call_9\",\"name\":\"lookup\",\"arguments\":{\"q\":1.50,\"b\":true,\"n\":-0,\"e\":1E400000000000000000000000,"
                "\"s\":\"\\u00e9/\"},\"status\":\"completed\"}],\"usage\":{\"input_tokens\":\"12\",\"output_tokens\":5}}",
                &d);
  CHECK_STR(r, "ERR:provider:Invalid Responses JSON: number out of range at line 1 column 438");
  free(r);
  r = run("{\"id\":\"resp_9\",\"object\":\"response\",\"status\":\"completed\",\"output\":[{\"type\":\"reasoning\",\"id\":\"rs_9\",\"summary\":[],"
          "\"encrypted_content\":\"enc9\"},{\"type\":\"message\",\"id\":\"msg_9\",\"status\":\"completed\",\"role\":\"assistant\",\"content\":"
          "[{\"type\":\"output_text\",\"text\":\"Hi \",\"annotations\":[]},{\"type\":\"refusal\",\"refusal\":\"there\"}]},{\"type\":\"function_call\","
          "\"id\":\"fc_9\",\"call_id\":\"call_9\",\"name\":\"lookup\",\"arguments\":{\"q\":1.50,\"b\":true,\"n\":-0,\"e\":1E21,\"s\":\"\\u00e9/\\u0001\","
          "\"q\":2.5e-7},\"status\":\"completed\"}],\"usage\":{\"input_tokens\":\"12\",\"output_tokens\":5}}",
          &d);
  /* the blank reasoning is dropped; a refusal is message text; non-string arguments
   * are their serde JSON text (keys sorted, the last of a repeated key, floats as
   * serde_json 1.0.149 prints them) */
  CHECK_STR(r, "{\"full_text\":\"Hi there\",\"parts\":[{\"Text\":{\"text\":\"Hi there\",\"response_meta\":{\"id\":\"msg_9\",\"status\":\"completed\"}}},"
               "{\"ToolCall\":{\"call_id\":\"call_9\",\"tool_name\":\"lookup\",\"input_json\":\"{\\\"b\\\":true,\\\"e\\\":1e+21,\\\"n\\\":-0.0,"
               "\\\"q\\\":2.5e-7,\\\"s\\\":\\\"\xc3\xa9/\\\\u0001\\\"}\",\"replay\":{\"item_id\":\"fc_9\"}}}],\"usage\":{\"input_tokens\":12,"
               "\"output_tokens\":5,\"cached_input_tokens\":0,\"reasoning_tokens\":0},\"terminal_reason\":\"tool_use\",\"terminal_diagnostic\":null,"
               "\"provider_usage\":{\"input_tokens\":\"12\",\"output_tokens\":5},\"text_streamed\":false}");
  CHECK_STR(d.log, "");
  free(r);
  /* only a blank reasoning item: lash falls back to the unfiltered parts */
  r = run("{\"output\":[{\"type\":\"reasoning\",\"id\":\"rs\",\"summary\":[],\"encrypted_content\":\"E\"}]}", NULL);
  CHECK(strstr(r, "\"parts\":[{\"Reasoning\":{\"text\":\"\",\"replay\":{\"item_id\":\"rs\",\"encrypted_content\":\"E\"}}}]") != NULL);
  free(r);
}

/* Stream quirks lash handles: deltas before any item, repeated message items by id,
 * a message done whose text diverged, non-JSON noise lines, CRLF framing, invalid
 * UTF-8 (each bad sequence becomes U+FFFD), [DONE]. */
static void test_quirks(void) {
  dlog d;
  char *r = run("data: {\"type\":\"response.output_text.delta\",\"delta\":\"A\"}\r\n\r\n"
                ": comment\r\nid: 7\r\nevent: x\r\ndata: {\"type\":\"response.output_item.added\",\"item\":{\"type\":\"message\",\"id\":\"m1\"}}\r\n\r\n"
                "data: {\"type\":\"response.output_text.delta\",\"delta\":\"B\xff\xe2\x82\"}\r\n\r\n"
                "data: {\"type\":\"response.output_item.done\",\"item\":{\"type\":\"message\",\"id\":\"m1\",\"content\":[{\"type\":\"output_text\",\"text\":\"C\"}]}}\r\n\r\n"
                "data: {\"type\":\"response.output_item.added\",\"item\":{\"type\":\"message\",\"id\":\"m1\",\"phase\":\"final_answer\"}}\r\n\r\n"
                "data: {\"type\":\"response.output_text.delta\",\"delta\":\"D\"}\r\n\r\n"
                "data: [DONE]\r\n\r\n",
                &d);
  CHECK_STR(r, "{\"full_text\":\"ACD\",\"parts\":[{\"Text\":{\"text\":\"A\",\"response_meta\":null}},{\"Text\":{\"text\":\"CD\",\"response_meta\":"
               "{\"id\":\"m1\",\"status\":\"completed\",\"phase\":\"final_answer\"}}}],\"usage\":{\"input_tokens\":0,\"output_tokens\":0,"
               "\"cached_input_tokens\":0,\"reasoning_tokens\":0},\"terminal_reason\":\"stop\",\"terminal_diagnostic\":null,\"provider_usage\":null,"
               "\"text_streamed\":true}");
  CHECK_STR(d.log, "T[A]T[B\xef\xbf\xbd\xef\xbf\xbd]T[D]"); /* "C" replaced the text without a delta */
  free(r);
  /* a multi-line data event is one JSON document */
  r = run("data: {\"type\":\"response.output_text.delta\",\ndata:   \"delta\":\"multi\"}   \n\n", &d);
  CHECK(strstr(r, "\"full_text\":\"multi\"") != NULL);
  free(r);
  /* a \u0000 escape cannot live in a C string: it becomes U+FFFD */
  r = run("data: {\"type\":\"response.output_text.delta\",\"delta\":\"a\\u0000b\"}\n\n", &d);
  CHECK(strstr(r, "\"full_text\":\"a\xef\xbf\xbd" "b\"") != NULL);
  free(r);
}

/* ---- the split property ---- */

static uint64_t rng = 0x243F6A8885A308D3ull;
static uint64_t next_rand(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return rng;
}

static int cmp_size(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return x < y ? -1 : x > y;
}

static void split_property(const char *body) {
  size_t len = strlen(body);
  dlog ref, d;
  char *want = run(body, &ref);
  int bad = 0;
  for (size_t cut = 0; cut <= len && !bad; cut++) { /* every byte boundary */
    char *got = run_cuts(body, len, &cut, 1, &d);
    if (strcmp(got, want) || strcmp(d.log, ref.log)) bad = 1, fprintf(stderr, "  split at %zu differs\n", cut);
    free(got);
  }
  for (int it = 0; it < 300 && !bad; it++) { /* random multi-splits */
    size_t cuts[64], n = 1 + next_rand() % 63;
    for (size_t i = 0; i < n; i++) cuts[i] = next_rand() % (len + 1);
    qsort(cuts, n, sizeof *cuts, cmp_size);
    char *got = run_cuts(body, len, cuts, n, &d);
    if (strcmp(got, want) || strcmp(d.log, ref.log)) bad = 1, fprintf(stderr, "  random split %d differs\n", it);
    free(got);
  }
  size_t ones[4096];
  if (len <= 4096) { /* one byte at a time */
    for (size_t i = 0; i < len; i++) ones[i] = i;
    char *got = run_cuts(body, len, ones, len, &d);
    if (strcmp(got, want) || strcmp(d.log, ref.log)) bad = 1, fprintf(stderr, "  byte-by-byte differs\n");
    free(got);
  }
  CHECK(!bad);
  free(want);
}

static void test_split_invariance(void) {
  split_property(k_text_stream);
  split_property(k_reasoning_stream);
  split_property(k_calls_stream);
  /* an error transcript splits the same way too */
  split_property("data: {\"type\":\"response.output_text.delta\",\"delta\":\"\xc3\xa9\"}\r\n\r\ndata: {\"type\":\"error\",\"message\":\"boom\"}\r\n\r\n");
  split_property("{\"output_text\":\"plain \xe2\x9c\x93\",\"usage\":{\"input_tokens\":3}}");
}

/* ---- bounds ---- */

static void test_bounds(void) {
  /* one event over LASH_SSE_MAX_EVENT */
  size_t big = LASH_SSE_MAX_EVENT + 64;
  char *b = malloc(big + 16);
  memcpy(b, "data: \"", 7);
  memset(b + 7, 'a', big - 7);
  memcpy(b + big, "\"\n\n", 4);
  char *r = run(b, NULL);
  CHECK(!strncmp(r, "ERR:provider:OpenAI Responses SSE event exceeds", 47));
  free(r);
  /* accumulated output over LASH_STREAM_MAX_TEXT: 1 MiB deltas */
  lash_stream *s = D->stream_new(NULL);
  lash_err e;
  const size_t chunk = 1u << 20;
  char *ev = malloc(chunk + 128);
  int n = sprintf(ev, "data: {\"type\":\"response.output_text.delta\",\"delta\":\"");
  memset(ev + n, 'x', chunk);
  strcpy(ev + n + chunk, "\"}\n\n");
  int rc = LASH_OK, fed = 0;
  for (; fed < 40 && rc == LASH_OK; fed++) rc = D->stream_feed(s, ev, strlen(ev), NULL, NULL, &e);
  CHECK(rc == LASH_E_INVALID_ARGUMENT && fed == 32);
  CHECK_STR(e.detail, "OpenAI Responses output exceeds the 33554432-byte limit");
  CHECK(D->stream_finish(s, NULL, NULL, &e) == NULL && e.code == LASH_E_INVALID_ARGUMENT); /* the error sticks */
  D->stream_free(s);
  free(ev);
  /* too many parts */
  s = D->stream_new(NULL);
  const char *add = "data: {\"type\":\"response.reasoning_summary_part.added\"}\n\n";
  rc = LASH_OK;
  for (int i = 0; i < 5000 && rc == LASH_OK; i++) rc = D->stream_feed(s, add, strlen(add), NULL, NULL, &e);
  CHECK(rc == LASH_E_INVALID_ARGUMENT && strstr(e.detail, "more than 4096 parts"));
  D->stream_free(s);
  /* a plain body over the limit */
  memset(b, ' ', big);
  for (size_t i = 99; i < big; i += 100) b[i] = '\n'; /* lines stay short; the body does not */
  b[big] = '\0';
  r = run(b, NULL);
  CHECK(!strncmp(r, "ERR:provider:OpenAI Responses reply exceeds", 43));
  free(r);
  free(b);
  /* deep nesting: serde's recursion limit */
  char deep[700];
  strcpy(deep, "data: ");
  for (int i = 0; i < 130; i++) strcat(deep, "[");
  strcat(deep, "\n\n");
  r = run(deep, NULL);
  CHECK(strstr(r, "recursion limit exceeded") != NULL);
  free(r);
}

/* ---- allocation failures: every path frees (LeakSanitizer checks at exit) ---- */

static long fail_at = -1, nallocs;
static void *f_alloc(size_t n, void *ud) { (void)ud; return fail_at >= 0 && nallocs++ >= fail_at ? NULL : malloc(n); }
static void *f_realloc(void *p, size_t n, void *ud) { (void)ud; return fail_at >= 0 && nallocs++ >= fail_at ? NULL : realloc(p, n); }
static void f_free(void *p, void *ud) { (void)ud; free(p); }

static void test_oom(void) {
  lash_allocator a = {f_alloc, f_realloc, f_free, NULL};
  lash__install_json_hooks(&a);
  cJSON *req = cJSON_Parse(k_conversation), *opts = cJSON_Parse("{\"expose_thinking\":true,\"cache_retention\":\"long\"}");
  int ok_seen = 0;
  for (long k = 0; k < 4000 && !ok_seen; k++) {
    lash_err e;
    size_t n;
    fail_at = k, nallocs = 0;
    char *b = D->request_body(&a, req, opts, &n, &e);
    if (b) ok_seen = 1;
    else CHECK(e.code == LASH_E_NOMEM);
    fail_at = -1;
    lash__free(&a, b);
  }
  CHECK(ok_seen);
  const char *bodies[] = {k_reasoning_stream, k_calls_stream, "{\"output\":[{\"type\":\"function_call\",\"name\":\"n\",\"arguments\":[1]}]}"};
  for (size_t bi = 0; bi < 3; bi++) {
    ok_seen = 0;
    for (long k = 0; k < 20000 && !ok_seen; k++) {
      lash_err e;
      fail_at = k, nallocs = 0;
      lash_stream *s = D->stream_new(&a);
      cJSON *r = NULL;
      if (s) {
        size_t len = strlen(bodies[bi]), half = len / 2;
        if (D->stream_feed(s, bodies[bi], half, NULL, NULL, &e) == LASH_OK && D->stream_feed(s, bodies[bi] + half, len - half, NULL, NULL, &e) == LASH_OK)
          r = D->stream_finish(s, NULL, NULL, &e);
        if (!r) CHECK(e.code == LASH_E_NOMEM);
        D->stream_free(s);
      }
      if (r) ok_seen = 1;
      cJSON_Delete(r);
      fail_at = -1;
    }
    CHECK(ok_seen);
  }
  cJSON_Delete(req);
  cJSON_Delete(opts);
  lash__install_json_hooks(NULL);
}

TEST_MAIN(RUN(test_conversation_body); RUN(test_body_options); RUN(test_body_errors); RUN(test_text_stream); RUN(test_reasoning_stream);
          RUN(test_calls_stream); RUN(test_usage); RUN(test_failures); RUN(test_truncated_and_empty); RUN(test_terminal_reasons);
          RUN(test_buffered_reply); RUN(test_quirks); RUN(test_split_invariance); RUN(test_bounds); RUN(test_oom))
