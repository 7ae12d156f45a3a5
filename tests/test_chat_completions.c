/* The OpenAI Chat Completions dialect ("openai-compatible").
 *
 * Request bodies: expected JSON is written from lash's build_chat_request_body
 * (crates/lash-provider-openai/src/chat.rs @22bad569f) and OpenAI's documented
 * request shape (openai npm 7.57 ChatCompletionCreateParams: messages with
 * content string | parts, assistant tool_calls with content null, role "tool"
 * results, tools [{type:"function", function:{name, description, parameters,
 * strict}}], parallel_tool_calls, stream_options.include_usage, max_tokens).
 * lash serialises serde_json Values, whose maps are BTreeMaps (no preserve_order
 * feature in lash's Cargo.lock), so lash's bodies have sorted keys; the expected
 * strings below are therefore sorted too and compared byte for byte.
 *
 * Streams: transcripts are written by hand in OpenAI's documented SSE format
 * (ChatCompletionChunk: choices[].delta.{role, content, tool_calls[{index, id,
 * type, function:{name, arguments}}]}, finish_reason, a final usage chunk with
 * empty choices when stream_options.include_usage is set, then `data: [DONE]`),
 * plus the DeepSeek / OpenRouter reasoning fields lash reads. Expected responses
 * follow lash's ChatStreamState rules; every transcript must give the identical
 * response (and deltas) however its bytes are split. */
#include <stdint.h>
#include <stdlib.h>

#include "cJSON.h"
#include "provider/dialect.h"
#include "test.h"
#include "util/alloc.h"
#include "util/buf.h"

static const lash_dialect *D = &lash__dialect_chat_completions;

/* ---------------------------------------------------------------- request */

static char *body_of(const char *req_json, const char *opts_json, lash_err *e) {
  cJSON *req = cJSON_Parse(req_json), *opts = opts_json ? cJSON_Parse(opts_json) : NULL;
  if (!req) fprintf(stderr, "bad test request JSON\n");
  size_t n = 0;
  char *b = D->request_body(NULL, req, opts, &n, e);
  if (b && strlen(b) != n) { fprintf(stderr, "length mismatch\n"); t_failed++; }
  cJSON_Delete(req);
  cJSON_Delete(opts);
  return b;
}

#define EXPECT_BODY(req, opts, want)          \
  do {                                        \
    lash_err e_ = {0};                        \
    char *b_ = body_of(req, opts, &e_);       \
    if (!b_) fprintf(stderr, "error: %s\n", e_.detail); \
    CHECK_STR(b_, want);                      \
    free(b_);                                 \
  } while (0)

#define EXPECT_BODY_ERROR(req, opts, code_, arg_, detail_) \
  do {                                                     \
    lash_err e_ = {0};                                     \
    char *b_ = body_of(req, opts, &e_);                    \
    CHECK(b_ == NULL);                                     \
    free(b_);                                              \
    CHECK(e_.code == (code_));                             \
    CHECK_STR(e_.argument, arg_);                          \
    CHECK_STR(e_.detail, detail_);                         \
  } while (0)

/* A field of the body, for checks that need only part of it. */
static cJSON *body_json(const char *req, const char *opts) {
  lash_err e = {0};
  char *b = body_of(req, opts, &e);
  if (!b) { fprintf(stderr, "error: %s\n", e.detail); return NULL; }
  cJSON *v = cJSON_Parse(b);
  free(b);
  return v;
}

static void check_json(const cJSON *got, const char *want, int line) {
  cJSON *w = cJSON_Parse(want);
  t_checks++;
  if (!w || !got || !cJSON_Compare(got, w, 1)) {
    char *g = got ? cJSON_PrintUnformatted(got) : NULL;
    t_failed++;
    fprintf(stderr, "%s:%d: expected %s\n   got %s\n", __FILE__, line, want, g ? g : "(null)");
    free(g);
  }
  cJSON_Delete(w);
}
#define CHECK_JSON(got, want) check_json(got, want, __LINE__)

static const cJSON *at(const cJSON *v, const char *path) { /* "messages.1.content" */
  char key[64];
  while (v && *path) {
    size_t n = strcspn(path, ".");
    snprintf(key, sizeof key, "%.*s", (int)n, path);
    v = (key[0] >= '0' && key[0] <= '9') ? cJSON_GetArrayItem(v, atoi(key)) : cJSON_GetObjectItemCaseSensitive(v, key);
    path += n + (path[n] == '.');
  }
  return v;
}

#define TEXT(t) "{\"Text\":{\"text\":\"" t "\",\"response_meta\":null,\"cache_breakpoint\":false}}"
#define TEXT_BP(t) "{\"Text\":{\"text\":\"" t "\",\"response_meta\":null,\"cache_breakpoint\":true}}"
#define REQ(model, msgs, rest)                                                                            \
  "{\"model\":\"" model "\",\"messages\":[" msgs "],\"attachments\":[],\"tools\":[],\"tool_choice\":\"Auto\"," \
  "\"model_variant\":null,\"generation\":{},\"session_id\":\"session-1\",\"output_spec\":null" rest "}"

/* A multi-turn tool conversation in the shape the core's project_request emits. */
static void multi_turn_tools(void) {
  const char *req =
      "{\"model\":\"gpt-4o-mini\",\"messages\":["
      "{\"role\":\"System\",\"blocks\":[" TEXT("You are terse.") "]},"
      "{\"role\":\"User\",\"blocks\":[" TEXT("Weather in Paris and time in Tokyo?") "]},"
      "{\"role\":\"Assistant\",\"blocks\":["
      "{\"Reasoning\":{\"text\":\"two tools\",\"replay\":{\"item_id\":\"rs_1\"}}}," TEXT("Checking both.") ","
      "{\"ToolCall\":{\"call_id\":\"call_1\",\"tool_name\":\"get_weather\",\"input_json\":\"{\\\"city\\\":\\\"Paris\\\"}\",\"replay\":null}},"
      "{\"ToolCall\":{\"call_id\":\"call_2\",\"tool_name\":\"get_time\",\"input_json\":\"{\\\"tz\\\":\\\"Asia/Tokyo\\\"}\",\"replay\":null}}]},"
      "{\"role\":\"User\",\"blocks\":["
      "{\"ToolResult\":{\"call_id\":\"call_1\",\"content\":\"18C\",\"tool_name\":\"get_weather\"}},"
      "{\"ToolResult\":{\"call_id\":\"call_2\",\"content\":\"09:00\",\"tool_name\":null}}]},"
      "{\"role\":\"Assistant\",\"blocks\":["
      "{\"ToolCall\":{\"call_id\":\"call_3\",\"tool_name\":\"get_weather\",\"input_json\":\"{\\\"city\\\":\\\"Tokyo\\\"}\",\"replay\":null}}]},"
      "{\"role\":\"User\",\"blocks\":["
      "{\"ToolResult\":{\"call_id\":\"call_3\",\"content\":\"22C\",\"tool_name\":\"get_weather\"}}," TEXT("Thanks") "]}],"
      "\"attachments\":[],"
      "\"tools\":["
      "{\"name\":\"get_weather\",\"description\":\"Current weather\",\"input_schema\":{\"type\":\"object\",\"properties\":"
      "{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]},\"output_schema\":{},\"input_schema_projections\":[],"
      "\"output_schema_projections\":[]},"
      "{\"name\":\"get_time\",\"description\":\"Current time\",\"input_schema\":{\"properties\":{\"tz\":{\"const\":\"UTC\"}}},"
      "\"output_schema\":{},\"input_schema_projections\":[],\"output_schema_projections\":[]}],"
      "\"tool_choice\":\"Auto\",\"model_variant\":null,\"generation\":{},\"session_id\":\"s\",\"output_spec\":null}";
  /* Reasoning blocks are dropped; the assistant's tool calls ride on its text
   * message; each ToolResult becomes a role "tool" message (name only when
   * non-empty) ahead of its role's own message; a tool-call-only assistant turn
   * has content null; one text part collapses to a string; get_time's schema is
   * projected (missing type inferred, const -> enum). */
  EXPECT_BODY(req, NULL,
              "{\"max_tokens\":32768,\"messages\":["
              "{\"content\":\"You are terse.\",\"role\":\"system\"},"
              "{\"content\":\"Weather in Paris and time in Tokyo?\",\"role\":\"user\"},"
              "{\"content\":\"Checking both.\",\"role\":\"assistant\",\"tool_calls\":["
              "{\"function\":{\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\",\"name\":\"get_weather\"},\"id\":\"call_1\",\"type\":\"function\"},"
              "{\"function\":{\"arguments\":\"{\\\"tz\\\":\\\"Asia/Tokyo\\\"}\",\"name\":\"get_time\"},\"id\":\"call_2\",\"type\":\"function\"}]},"
              "{\"content\":\"18C\",\"name\":\"get_weather\",\"role\":\"tool\",\"tool_call_id\":\"call_1\"},"
              "{\"content\":\"09:00\",\"role\":\"tool\",\"tool_call_id\":\"call_2\"},"
              "{\"content\":null,\"role\":\"assistant\",\"tool_calls\":["
              "{\"function\":{\"arguments\":\"{\\\"city\\\":\\\"Tokyo\\\"}\",\"name\":\"get_weather\"},\"id\":\"call_3\",\"type\":\"function\"}]},"
              "{\"content\":\"22C\",\"name\":\"get_weather\",\"role\":\"tool\",\"tool_call_id\":\"call_3\"},"
              "{\"content\":\"Thanks\",\"role\":\"user\"}],"
              "\"model\":\"gpt-4o-mini\",\"parallel_tool_calls\":true,\"stream\":true,\"stream_options\":{\"include_usage\":true},"
              "\"tool_choice\":\"auto\",\"tools\":["
              "{\"function\":{\"description\":\"Current weather\",\"name\":\"get_weather\",\"parameters\":{\"properties\":"
              "{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"],\"type\":\"object\"},\"strict\":false},\"type\":\"function\"},"
              "{\"function\":{\"description\":\"Current time\",\"name\":\"get_time\",\"parameters\":{\"properties\":"
              "{\"tz\":{\"enum\":[\"UTC\"],\"type\":\"string\"}},\"type\":\"object\"},\"strict\":false},\"type\":\"function\"}]}");
}

static void simple_bodies(void) {
  /* no tools: no tools / tool_choice / parallel_tool_calls */
  EXPECT_BODY(REQ("m", "{\"role\":\"User\",\"blocks\":[" TEXT("hi") "]}", ""), NULL,
              "{\"max_tokens\":32768,\"messages\":[{\"content\":\"hi\",\"role\":\"user\"}],\"model\":\"m\",\"stream\":true,"
              "\"stream_options\":{\"include_usage\":true}}");
  /* empty text blocks are skipped; a message with nothing left is dropped */
  EXPECT_BODY(REQ("m", "{\"role\":\"User\",\"blocks\":[" TEXT("") "]},{\"role\":\"User\",\"blocks\":[" TEXT("") "," TEXT(" ") "]}", ""),
              NULL,
              "{\"max_tokens\":32768,\"messages\":[{\"content\":\" \",\"role\":\"user\"}],\"model\":\"m\",\"stream\":true,"
              "\"stream_options\":{\"include_usage\":true}}");
  /* two text parts stay an array of text parts */
  EXPECT_BODY(REQ("m", "{\"role\":\"User\",\"blocks\":[" TEXT("a") "," TEXT("b") "]}", ""), NULL,
              "{\"max_tokens\":32768,\"messages\":[{\"content\":[{\"text\":\"a\",\"type\":\"text\"},{\"text\":\"b\",\"type\":\"text\"}],"
              "\"role\":\"user\"}],\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
  /* a cache breakpoint keeps the array form even where no cache_control applies */
  EXPECT_BODY(REQ("m", "{\"role\":\"User\",\"blocks\":[" TEXT_BP("a") "]}", ""), NULL,
              "{\"max_tokens\":32768,\"messages\":[{\"content\":[{\"text\":\"a\",\"type\":\"text\"}],\"role\":\"user\"}],"
              "\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
  /* tool calls outside assistant messages and images outside user messages are dropped */
  EXPECT_BODY(REQ("m",
                  "{\"role\":\"User\",\"blocks\":[{\"ToolCall\":{\"call_id\":\"c\",\"tool_name\":\"t\",\"input_json\":\"{}\",\"replay\":null}}]},"
                  "{\"role\":\"Assistant\",\"blocks\":[{\"Image\":{\"attachment_idx\":0}}," TEXT("ok") "]}",
                  ""),
              NULL,
              "{\"max_tokens\":32768,\"messages\":[{\"content\":\"ok\",\"role\":\"assistant\"}],\"model\":\"m\",\"stream\":true,"
              "\"stream_options\":{\"include_usage\":true}}");
}

static void tool_choice(void) {
  const char *tools = "\"tools\":[{\"name\":\"t\",\"description\":\"d\",\"input_schema\":{\"type\":\"object\"},\"output_schema\":{},"
                      "\"input_schema_projections\":[],\"output_schema_projections\":[]}]";
  char req[1024];
  static const char *const choices[][2] = {{"Auto", "auto"}, {"None", "none"}, {"Required", "required"}};
  for (int i = 0; i < 3; i++) {
    snprintf(req, sizeof req,
             "{\"model\":\"m\",\"messages\":[],\"attachments\":[],%s,\"tool_choice\":\"%s\",\"model_variant\":null,"
             "\"generation\":{},\"session_id\":null,\"output_spec\":null}",
             tools, choices[i][0]);
    cJSON *b = body_json(req, NULL);
    CHECK_STR(cJSON_GetStringValue(at(b, "tool_choice")), choices[i][1]);
    CHECK(cJSON_IsTrue(at(b, "parallel_tool_calls")));
    /* {"type":"object"} gains empty properties (ToolParameters projection) */
    CHECK_JSON(at(b, "tools"), "[{\"type\":\"function\",\"function\":{\"name\":\"t\",\"description\":\"d\","
                               "\"parameters\":{\"type\":\"object\",\"properties\":{}},\"strict\":false}}]");
    cJSON_Delete(b);
  }
}

static void images(void) {
  /* lash test chat_image_attachment_serializes_as_data_url: bytes 89 50 4E 47 */
  const char *req =
      "{\"model\":\"openai/gpt-5.4\",\"messages\":[{\"role\":\"User\",\"blocks\":[" TEXT("look") ",{\"Image\":{\"attachment_idx\":0}},"
      "{\"Image\":{\"attachment_idx\":7}}]},{\"role\":\"User\",\"blocks\":[{\"Image\":{\"attachment_idx\":1}}]}],"
      "\"attachments\":[{\"mime\":\"image/png\",\"data\":[137,80,78,71],\"reference\":null},"
      "{\"mime\":\"image/JPG\",\"data\":\"/9j/4AAQ\",\"reference\":{\"id\":\"a\"}}],"
      "\"tools\":[],\"tool_choice\":\"Auto\",\"model_variant\":null,\"generation\":{},\"session_id\":null,\"output_spec\":null}";
  /* an out-of-range index is dropped; an image-only message keeps the array form;
   * image/JPG passes validation (trimmed, lowercased, jpg -> jpeg) and the URL
   * carries the mime as given */
  EXPECT_BODY(req, NULL,
              "{\"max_tokens\":32768,\"messages\":[{\"content\":[{\"text\":\"look\",\"type\":\"text\"},"
              "{\"image_url\":{\"url\":\"data:image/png;base64,iVBORw==\"},\"type\":\"image_url\"}],\"role\":\"user\"},"
              "{\"content\":[{\"image_url\":{\"url\":\"data:image/JPG;base64,/9j/4AAQ\"},\"type\":\"image_url\"}],\"role\":\"user\"}],"
              "\"model\":\"openai/gpt-5.4\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
  /* base64 padding of 1, 2 and 3 bytes */
  const char *lens[][2] = {{"[77]", "TQ=="}, {"[77,97]", "TWE="}, {"[77,97,110]", "TWFu"}, {"[]", ""}};
  for (int i = 0; i < 4; i++) {
    char r[512], want[128];
    snprintf(r, sizeof r,
             "{\"model\":\"m\",\"messages\":[{\"role\":\"User\",\"blocks\":[{\"Image\":{\"attachment_idx\":0}}]}],"
             "\"attachments\":[{\"mime\":\"image/gif\",\"data\":%s,\"reference\":null}],\"tools\":[],\"tool_choice\":\"Auto\"}",
             lens[i][0]);
    snprintf(want, sizeof want, "data:image/gif;base64,%s", lens[i][1]);
    cJSON *b = body_json(r, NULL);
    CHECK_STR(cJSON_GetStringValue(at(b, "messages.0.content.0.image_url.url")), want);
    cJSON_Delete(b);
  }
  /* lash test chat_unsupported_image_mime_is_rejected_at_request_boundary; every
   * attachment is checked, referenced or not */
  EXPECT_BODY_ERROR("{\"model\":\"m\",\"messages\":[],\"attachments\":[{\"mime\":\"image/png\",\"data\":[]},"
                    "{\"mime\":\"image/bmp\",\"data\":[66,77]}],\"tools\":[]}",
                    NULL, LASH_E_INVALID_ARGUMENT, "provider",
                    "OpenAI does not accept image attachments of type `image/bmp` (attachment index 1); accepted: "
                    "image/jpeg, image/png, image/gif, image/webp");
}

static void reasoning_replay(void) {
  /* lash test chat_body_replays_openrouter_reasoning_details_on_tool_calls */
  const char *req = REQ("openai/gpt-5.4",
                        "{\"role\":\"Assistant\",\"blocks\":[{\"ToolCall\":{\"call_id\":\"call_1\",\"tool_name\":\"lookup\","
                        "\"input_json\":\"{\\\"q\\\":\\\"x\\\"}\",\"replay\":{\"opaque\":"
                        "\"{\\\"data\\\":\\\"encrypted\\\",\\\"id\\\":\\\"call_1\\\",\\\"type\\\":\\\"reasoning.encrypted\\\"}\"}}},"
                        "{\"ToolCall\":{\"call_id\":\"call_2\",\"tool_name\":\"lookup\",\"input_json\":\"{}\","
                        "\"replay\":{\"item_id\":\"x\",\"opaque\":\"{\\\"type\\\":\\\"other\\\"}\"}}},"
                        "{\"ToolCall\":{\"call_id\":\"call_3\",\"tool_name\":\"lookup\",\"input_json\":\"{}\","
                        "\"replay\":{\"opaque\":\"not json\"}}}]}",
                        "");
  cJSON *b = body_json(req, "{\"base_url\":\"https://openrouter.ai/api/v1\"}");
  CHECK_JSON(at(b, "messages.0.reasoning_details"), "[{\"type\":\"reasoning.encrypted\",\"id\":\"call_1\",\"data\":\"encrypted\"}]");
  CHECK(cJSON_IsNull(at(b, "messages.0.content")));
  CHECK(cJSON_GetArraySize(at(b, "messages.0.tool_calls")) == 3);
  cJSON_Delete(b);
}

static void max_tokens(void) {
  /* lash test output_token_cap_maps_to_wire_fields: the request's cap wins over
   * ProviderOptions.max_output_tokens, which wins over 32768 */
  const char *with_cap = "{\"model\":\"anthropic/claude-sonnet-4.6\",\"messages\":[],\"generation\":{\"output_token_cap\":2048}}";
  cJSON *b = body_json(with_cap, "{\"max_output_tokens\":9999}");
  CHECK(cJSON_GetNumberValue(at(b, "max_tokens")) == 2048);
  cJSON_Delete(b);
  b = body_json("{\"model\":\"m\",\"messages\":[],\"generation\":{}}", "{\"max_output_tokens\":9999}");
  CHECK(cJSON_GetNumberValue(at(b, "max_tokens")) == 9999);
  cJSON_Delete(b);
  b = body_json("{\"model\":\"m\",\"messages\":[],\"generation\":{\"output_token_cap\":null}}", "{\"max_output_tokens\":0}");
  CHECK(cJSON_GetNumberValue(at(b, "max_tokens")) == 0); /* max_output_tokens is a plain u64 */
  cJSON_Delete(b);
  EXPECT_BODY_ERROR("{\"model\":\"m\",\"messages\":[],\"generation\":{\"output_token_cap\":0}}", NULL, LASH_E_INVALID_ARGUMENT,
                    "llm_request", "output_token_cap must be greater than zero");
  EXPECT_BODY_ERROR("{\"model\":\"m\",\"messages\":[],\"generation\":{\"max\":1}}", NULL, LASH_E_INVALID_ARGUMENT, "llm_request",
                    "unknown field `max`");
}

#define OPENROUTER "{\"base_url\":\"https://openrouter.ai/api/v1/\"}"

static void reasoning_effort(void) {
  /* lash test chat_body_uses_messages_and_not_responses_input */
  const char *req = "{\"model\":\"anthropic/claude-sonnet-4.6\",\"messages\":[{\"role\":\"System\",\"blocks\":[" TEXT("system prompt")
                    "]},{\"role\":\"User\",\"blocks\":[" TEXT("hello") "]}],\"model_variant\":\"high\",\"output_spec\":\"JsonObject\"}";
  cJSON *b = body_json(req, OPENROUTER);
  CHECK_STR(cJSON_GetStringValue(at(b, "messages.0.role")), "system");
  CHECK_STR(cJSON_GetStringValue(at(b, "messages.1.role")), "user");
  CHECK_JSON(at(b, "stream_options"), "{\"include_usage\":true}");
  CHECK_JSON(at(b, "reasoning"), "{\"effort\":\"high\"}");
  CHECK_JSON(at(b, "response_format"), "{\"type\":\"json_object\"}");
  cJSON_Delete(b);
  /* the variant counts only where lash's OpenAiModelPolicy offers variants:
   * OpenRouter, and a gpt / claude / gemini-3 model */
  struct { const char *model, *variant, *opts, *want; } cases[] = {
      {"anthropic/claude-sonnet-4.6", "high", "{\"base_url\":\"https://api.example.com/v1\"}", NULL},
      {"anthropic/claude-sonnet-4.6", "high", NULL, NULL},
      {"meta-llama/llama-3.3-70b", "high", OPENROUTER, NULL},
      {"google/gemini-3-pro", "low", OPENROUTER, "low"},
      {"openai/gpt-5.4", "none", OPENROUTER, NULL},
      {"openai/gpt-5.4", "turbo", OPENROUTER, NULL},
      {"openai/GPT-5.4-mini", "minimal", OPENROUTER, "low"}, /* clamp_reasoning_effort */
      {"openai/gpt-5.1", "minimal", OPENROUTER, "minimal"},
      {"openai/gpt-5.4", "xhigh", OPENROUTER, "xhigh"},
      /* the host's explicit reasoning_effort needs no policy */
      {"my-local-model", NULL, "{\"reasoning_effort\":\"medium\"}", "medium"},
      {"gpt-5.3", NULL, "{\"reasoning_effort\":\"minimal\"}", "low"},
      {"gpt-5.3", "high", "{\"reasoning_effort\":\"none\"}", NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char r[256];
    if (cases[i].variant)
      snprintf(r, sizeof r, "{\"model\":\"%s\",\"messages\":[],\"model_variant\":\"%s\"}", cases[i].model, cases[i].variant);
    else snprintf(r, sizeof r, "{\"model\":\"%s\",\"messages\":[],\"model_variant\":null}", cases[i].model);
    b = body_json(r, cases[i].opts);
    const char *got = cJSON_GetStringValue(at(b, "reasoning.effort"));
    if (cases[i].want) CHECK_STR(got, cases[i].want);
    else CHECK(at(b, "reasoning") == NULL);
    cJSON_Delete(b);
  }
  EXPECT_BODY_ERROR("{\"model\":\"m\",\"messages\":[]}", "{\"reasoning_effort\":\"max\"}", LASH_E_INVALID_ARGUMENT, "opts",
                    "reasoning_effort must be one of none, minimal, low, medium, high, xhigh");
}

static void openrouter_cache_control(void) {
  const char *two = "{\"model\":\"anthropic/claude-sonnet-4.6\",\"messages\":[{\"role\":\"System\",\"blocks\":[" TEXT("stable system prompt")
                    "]},{\"role\":\"User\",\"blocks\":[" TEXT("dynamic tail") "]}],\"tools\":[{\"name\":\"search\",\"description\":"
                    "\"Search\",\"input_schema\":{\"type\":\"object\"},\"output_schema\":{},\"input_schema_projections\":[],"
                    "\"output_schema_projections\":[]}]}";
  /* lash test openrouter_claude_chat_body_marks_anthropic_cache_breakpoints */
  EXPECT_BODY(two, OPENROUTER,
              "{\"max_tokens\":32768,\"messages\":["
              "{\"content\":[{\"cache_control\":{\"type\":\"ephemeral\"},\"text\":\"stable system prompt\",\"type\":\"text\"}],\"role\":\"system\"},"
              "{\"content\":[{\"cache_control\":{\"type\":\"ephemeral\"},\"text\":\"dynamic tail\",\"type\":\"text\"}],\"role\":\"user\"}],"
              "\"model\":\"anthropic/claude-sonnet-4.6\",\"parallel_tool_calls\":true,\"stream\":true,\"stream_options\":{\"include_usage\":true},"
              "\"tool_choice\":\"auto\",\"tools\":[{\"cache_control\":{\"type\":\"ephemeral\"},\"function\":{\"description\":\"Search\","
              "\"name\":\"search\",\"parameters\":{\"properties\":{},\"type\":\"object\"},\"strict\":false},\"type\":\"function\"}]}");
  /* lash test cache_retention_long_uses_anthropic_ttl_on_chat_cache_markers */
  cJSON *b = body_json(two, "{\"base_url\":\"https://openrouter.ai/api/v1\",\"cache_retention\":\"long\"}");
  CHECK_JSON(at(b, "messages.0.content.0.cache_control"), "{\"type\":\"ephemeral\",\"ttl\":\"1h\"}");
  cJSON_Delete(b);
  /* lash test cache_retention_none_removes_chat_cache_markers */
  b = body_json(two, "{\"base_url\":\"https://openrouter.ai/api/v1\",\"cache_retention\":\"none\"}");
  CHECK(cJSON_IsString(at(b, "messages.0.content")) && cJSON_IsString(at(b, "messages.1.content")));
  CHECK(at(b, "tools.0.cache_control") == NULL);
  cJSON_Delete(b);
  /* not OpenRouter, or not Claude: no markers */
  b = body_json(two, "{\"base_url\":\"https://openrouter.ai/api/v2\"}");
  CHECK(cJSON_IsString(at(b, "messages.0.content")) && at(b, "tools.0.cache_control") == NULL);
  cJSON_Delete(b);
  /* lash test openrouter_claude_chat_body_prefers_explicit_text_cache_breakpoint:
   * the last marked text wins over the last text, and the marker never reaches the wire */
  const char *marked = "{\"model\":\"anthropic/claude-sonnet-4.6\",\"messages\":[{\"role\":\"System\",\"blocks\":[" TEXT("stable system prompt")
                       "]},{\"role\":\"User\",\"blocks\":[" TEXT_BP("stable history") "," TEXT("dynamic current iteration")
                       "]},{\"role\":\"Assistant\",\"blocks\":[" TEXT("later") "]}]}";
  EXPECT_BODY(marked, OPENROUTER,
              "{\"max_tokens\":32768,\"messages\":["
              "{\"content\":[{\"cache_control\":{\"type\":\"ephemeral\"},\"text\":\"stable system prompt\",\"type\":\"text\"}],\"role\":\"system\"},"
              "{\"content\":[{\"cache_control\":{\"type\":\"ephemeral\"},\"text\":\"stable history\",\"type\":\"text\"},"
              "{\"text\":\"dynamic current iteration\",\"type\":\"text\"}],\"role\":\"user\"},"
              "{\"content\":\"later\",\"role\":\"assistant\"}],"
              "\"model\":\"anthropic/claude-sonnet-4.6\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
  /* without a marker the last user/assistant text part is chosen, skipping a
   * tool-call-only assistant turn (content null) and tool messages */
  const char *last = "{\"model\":\"Claude-x\",\"messages\":[{\"role\":\"User\",\"blocks\":[" TEXT("q") ",{\"Image\":{\"attachment_idx\":0}}]},"
                     "{\"role\":\"Assistant\",\"blocks\":[{\"ToolCall\":{\"call_id\":\"c\",\"tool_name\":\"t\",\"input_json\":\"{}\",\"replay\":null}}]},"
                     "{\"role\":\"User\",\"blocks\":[{\"ToolResult\":{\"call_id\":\"c\",\"content\":\"r\",\"tool_name\":null}}]}],"
                     "\"attachments\":[{\"mime\":\"image/png\",\"data\":\"AA==\"}]}";
  b = body_json(last, OPENROUTER);
  CHECK_JSON(at(b, "messages.0.content"), "[{\"type\":\"text\",\"text\":\"q\",\"cache_control\":{\"type\":\"ephemeral\"}},"
                                          "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,AA==\"}}]");
  CHECK(cJSON_IsNull(at(b, "messages.1.content")));
  CHECK_JSON(at(b, "messages.2"), "{\"role\":\"tool\",\"tool_call_id\":\"c\",\"content\":\"r\"}");
  cJSON_Delete(b);
}

static void schema_projection(void) {
  /* lash test chat_tools_use_projected_openai_schema_and_preserve_override */
  const char *req = "{\"model\":\"m\",\"messages\":[],\"tools\":["
                    "{\"name\":\"empty\",\"description\":\"Empty\",\"input_schema\":{\"type\":\"object\"},\"input_schema_projections\":[]},"
                    "{\"name\":\"override\",\"description\":\"Override\",\"input_schema\":{\"type\":\"object\",\"properties\":{\"raw\":"
                    "{\"const\":\"x\"}}},\"input_schema_projections\":[{\"profile\":\"openai_strict_tool_parameters\",\"schema\":{}},"
                    "{\"profile\":\"openai_tool_parameters\",\"schema\":{\"type\":\"object\",\"properties\":{\"raw\":{\"type\":\"string\","
                    "\"enum\":[\"x\"]}}}}]}]}";
  cJSON *b = body_json(req, NULL);
  CHECK_JSON(at(b, "tools.0.function.parameters.properties"), "{}");
  CHECK_JSON(at(b, "tools.1.function.parameters.properties.raw"), "{\"type\":\"string\",\"enum\":[\"x\"]}");
  cJSON_Delete(b);
  /* schema.rs tests: inference of array / integer enum / object; nested defs and anyOf */
  const char *infer = "{\"model\":\"m\",\"messages\":[],\"tools\":[{\"name\":\"t\",\"description\":\"\",\"input_schema\":"
                      "{\"properties\":{\"tags\":{\"items\":{\"type\":\"string\"}},\"level\":{\"enum\":[1,2,null]},\"mix\":{\"enum\":[1,\"a\"]},"
                      "\"ratio\":{\"enum\":[0.5,2]},\"sub\":{\"required\":[]},\"alt\":{\"anyOf\":[{\"const\":true},{\"items\":{}}]}},"
                      "\"$defs\":{\"D\":{\"additionalProperties\":false}}}}]}";
  b = body_json(infer, NULL);
  CHECK_JSON(at(b, "tools.0.function.parameters"),
             "{\"type\":\"object\",\"properties\":{\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
             "\"level\":{\"type\":\"integer\",\"enum\":[1,2,null]},\"mix\":{\"enum\":[1,\"a\"]},\"ratio\":{\"enum\":[0.5,2]},"
             "\"sub\":{\"type\":\"object\",\"required\":[],\"properties\":{}},"
             "\"alt\":{\"anyOf\":[{\"type\":\"boolean\",\"enum\":[true]},{\"type\":\"array\",\"items\":{}}]}},"
             "\"$defs\":{\"D\":{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{}}}}");
  cJSON_Delete(b);
  /* errors: the first diagnostic, in lash's traversal order (sorted keys) */
  struct { const char *schema, *detail; } bad[] = {
      {"{\"type\":\"object\",\"allOf\":[],\"patternProperties\":{}}", "$: unsupported JSON Schema keyword `allOf`"},
      {"{\"type\":\"object\",\"properties\":[]}", "$: object schema properties must be an object"},
      {"{\"type\":\"string\"}", "$: root schema must be an object schema"},
      {"true", "$: schema must be a JSON object"},
      {"{\"properties\":{\"b\":{\"oneOf\":[]},\"a\":{\"items\":true}}}", "$.properties.a.items: schema must be a JSON object"},
      {"{\"properties\":{\"x\":{\"anyOf\":[{},{\"not\":{}}]}}}", "$.properties.x.anyOf[1]: unsupported JSON Schema keyword `not`"},
      {"{\"definitions\":{\"Q\":{\"if\":{}}}}", "$.definitions.Q: unsupported JSON Schema keyword `if`"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char r[512], want[256];
    snprintf(r, sizeof r, "{\"model\":\"m\",\"messages\":[],\"tools\":[{\"name\":\"t\",\"description\":\"\",\"input_schema\":%s}]}",
             bad[i].schema);
    snprintf(want, sizeof want, "OpenAI-compatible schema projection failed: %s", bad[i].detail);
    EXPECT_BODY_ERROR(r, NULL, LASH_E_INVALID_ARGUMENT, "provider", want);
  }
}

static void structured_output(void) {
  /* lash test structured_output_schema_is_projected_or_rejected_locally, and
   * schema.rs structured-output tests: strict objects, optional -> nullable */
  const char *req = "{\"model\":\"m\",\"messages\":[],\"output_spec\":{\"JsonSchema\":{\"name\":\"result\",\"strict\":true,\"schema\":"
                    "{\"type\":\"object\",\"properties\":{\"summary\":{\"type\":\"string\"},\"items\":{\"type\":\"array\",\"items\":"
                    "{\"type\":\"object\",\"properties\":{\"title\":{\"type\":\"string\"},\"score\":{\"type\":\"number\"},"
                    "\"tag\":{\"enum\":[\"a\"]},\"v\":{\"anyOf\":[{\"type\":\"string\"}]},\"n\":{\"type\":[\"string\",\"null\"]}},"
                    "\"required\":[\"title\"]}}},\"required\":[\"summary\",\"items\"]}}}}";
  cJSON *b = body_json(req, NULL);
  CHECK_JSON(at(b, "response_format"),
             "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"result\",\"strict\":true,\"schema\":"
             "{\"type\":\"object\",\"properties\":{\"summary\":{\"type\":\"string\"},\"items\":{\"type\":\"array\",\"items\":"
             "{\"type\":\"object\",\"properties\":{\"title\":{\"type\":\"string\"},\"score\":{\"type\":[\"number\",\"null\"]},"
             "\"tag\":{\"type\":[\"string\",\"null\"],\"enum\":[\"a\"]},\"v\":{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]},"
             "\"n\":{\"type\":[\"string\",\"null\"]}},\"required\":[\"n\",\"score\",\"tag\",\"title\",\"v\"],\"additionalProperties\":false}}},"
             "\"required\":[\"items\",\"summary\"],\"additionalProperties\":false}}}");
  cJSON_Delete(b);
  /* an untyped optional property becomes anyOf [it, null] */
  b = body_json("{\"model\":\"m\",\"messages\":[],\"output_spec\":{\"JsonSchema\":{\"name\":\"r\",\"strict\":false,\"schema\":"
                "{\"properties\":{\"x\":{\"description\":\"d\"}}}}}}",
                NULL);
  CHECK_JSON(at(b, "response_format.json_schema"),
             "{\"name\":\"r\",\"strict\":false,\"schema\":{\"type\":\"object\",\"properties\":{\"x\":{\"anyOf\":[{\"description\":\"d\"},"
             "{\"type\":\"null\"}]}},\"required\":[\"x\"],\"additionalProperties\":false}}");
  cJSON_Delete(b);
  EXPECT_BODY_ERROR("{\"model\":\"m\",\"messages\":[],\"output_spec\":{\"JsonSchema\":{\"name\":\"bad\",\"strict\":true,"
                    "\"schema\":{\"type\":\"object\",\"allOf\":[]}}}}",
                    NULL, LASH_E_INVALID_ARGUMENT, "provider",
                    "OpenAI-compatible schema projection failed: $: unsupported JSON Schema keyword `allOf`");
  EXPECT_BODY_ERROR("{\"model\":\"m\",\"messages\":[],\"output_spec\":{\"JsonSchema\":{\"name\":\"bad\",\"strict\":true,"
                    "\"schema\":{\"anyOf\":[{\"type\":\"object\",\"properties\":{}}]}}}}",
                    NULL, LASH_E_INVALID_ARGUMENT, "provider",
                    "OpenAI-compatible schema projection failed: $: OpenAI structured outputs do not allow root anyOf");
}

static void bad_requests(void) {
  lash_err e = {0};
  size_t n;
  CHECK(D->request_body(NULL, NULL, NULL, &n, &e) == NULL && e.code == LASH_E_INVALID_ARGUMENT);
  EXPECT_BODY_ERROR("{\"messages\":[]}", NULL, LASH_E_INVALID_ARGUMENT, "llm_request", "model must be a string");
  EXPECT_BODY_ERROR("{\"model\":\"m\"}", NULL, LASH_E_INVALID_ARGUMENT, "llm_request", "messages must be an array");
  EXPECT_BODY_ERROR("{\"model\":\"m\",\"messages\":[{\"role\":\"Event\",\"blocks\":[]}]}", NULL, LASH_E_INVALID_ARGUMENT, "llm_request",
                    "messages[0].role must be System, User or Assistant");
  EXPECT_BODY_ERROR("{\"model\":\"m\",\"messages\":[{\"role\":\"User\",\"blocks\":[{\"Video\":{}}]}]}", NULL, LASH_E_INVALID_ARGUMENT,
                    "llm_request", "messages[0].blocks[0]: unknown block kind");
  EXPECT_BODY_ERROR("{\"model\":\"m\",\"messages\":[{\"role\":\"User\",\"blocks\":[{\"Text\":{\"text\":1}}]}]}", NULL,
                    LASH_E_INVALID_ARGUMENT, "llm_request", "messages[0].blocks[0]: malformed Text");
  EXPECT_BODY_ERROR("{\"model\":\"m\",\"messages\":[],\"tool_choice\":\"Any\"}", NULL, LASH_E_INVALID_ARGUMENT, "llm_request",
                    "attachments, tools, tool_choice or model_variant is malformed");
  EXPECT_BODY_ERROR("{\"model\":\"m\",\"messages\":[],\"output_spec\":\"Text\"}", NULL, LASH_E_INVALID_ARGUMENT, "llm_request",
                    "output_spec must be \"JsonObject\" or {\"JsonSchema\":{name, schema, strict}}");
  EXPECT_BODY_ERROR("{\"model\":\"m\",\"messages\":[{\"role\":\"User\",\"blocks\":[{\"Image\":{\"attachment_idx\":0}}]}],"
                    "\"attachments\":[{\"mime\":\"image/png\",\"data\":[256]}]}",
                    NULL, LASH_E_INVALID_ARGUMENT, "llm_request", "attachments[0].data holds a non-byte");
  EXPECT_BODY_ERROR("{\"model\":\"m\",\"messages\":[]}", "{\"cache_retention\":\"forever\"}", LASH_E_INVALID_ARGUMENT, "opts",
                    "cache_retention must be none, short or long");
}

/* ---------------------------------------------------------------- stream */

typedef struct {
  int rc;          /* first failing feed/finish status, else LASH_OK */
  lash_err e;
  char *json;      /* the printed LlmResponse (NULL on error) */
  lash_buf deltas; /* "t[...]" / "r[...]" per on_delta call */
} outcome;

static void record(void *ud, const char *kind, const char *text, size_t len) {
  lash_buf *b = ud;
  lash__buf_append(b, kind, 1);
  lash__buf_append(b, "[", 1);
  lash__buf_append(b, text, len);
  lash__buf_append(b, "]", 1);
}

static void outcome_free(outcome *o) {
  free(o->json);
  lash__buf_free(&o->deltas);
}

/* Feed text cut at the (ascending) offsets, then finish. */
static void run_cuts(const char *text, size_t len, const size_t *cuts, int ncuts, outcome *o) {
  memset(o, 0, sizeof *o);
  lash__buf_init(&o->deltas, NULL);
  lash__buf_append(&o->deltas, "", 0);
  lash_stream *s = D->stream_new(NULL);
  size_t at_ = 0;
  for (int i = 0; i <= ncuts && !o->rc; i++) {
    size_t end = i < ncuts ? cuts[i] : len;
    o->rc = D->stream_feed(s, text + at_, end - at_, record, &o->deltas, &o->e);
    at_ = end;
  }
  if (!o->rc) {
    cJSON *r = D->stream_finish(s, NULL, NULL, &o->e);
    if (r) {
      o->json = cJSON_PrintUnformatted(r);
      cJSON_Delete(r);
    } else o->rc = o->e.code;
  }
  D->stream_free(s);
}

static void run_stream(const char *text, outcome *o) { run_cuts(text, strlen(text), NULL, 0, o); }

static void expect_response(const char *text, const char *want, const char *deltas, int line) {
  outcome o;
  run_stream(text, &o);
  t_checks++;
  cJSON *got = o.json ? cJSON_Parse(o.json) : NULL, *w = cJSON_Parse(want);
  if (!w) fprintf(stderr, "%s:%d: bad expected JSON\n", __FILE__, line);
  if (!got || !w || !cJSON_Compare(got, w, 1)) {
    t_failed++;
    fprintf(stderr, "%s:%d: expected %s\n   got %s (%s)\n", __FILE__, line, want, o.json ? o.json : "(error)", o.e.detail);
  }
  t_checks++;
  if (strcmp(o.deltas.data, deltas)) {
    t_failed++;
    fprintf(stderr, "%s:%d: expected deltas %s\n   got %s\n", __FILE__, line, deltas, o.deltas.data);
  }
  cJSON_Delete(got);
  cJSON_Delete(w);
  outcome_free(&o);
}
#define EXPECT_RESPONSE(text, want, deltas) expect_response(text, want, deltas, __LINE__)

static void expect_error(const char *text, const char *detail, const char *deltas, int line) {
  outcome o;
  run_stream(text, &o);
  t_checks++;
  if (o.rc != LASH_E_INVALID_ARGUMENT || strcmp(o.e.argument, "provider") || strcmp(o.e.detail, detail) || strcmp(o.deltas.data, deltas)) {
    t_failed++;
    fprintf(stderr, "%s:%d: expected error `%s` after %s\n   got rc %d `%s` after %s (%s)\n", __FILE__, line, detail, deltas, o.rc,
            o.e.detail, o.deltas.data, o.json ? o.json : "");
  }
  outcome_free(&o);
}
#define EXPECT_ERROR(text, detail, deltas) expect_error(text, detail, deltas, __LINE__)

#define CHUNK(delta_and_finish) \
  "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-4o-mini\"," \
  "\"system_fingerprint\":\"fp_1\",\"choices\":[{\"index\":0," delta_and_finish ",\"logprobs\":null}]}\n\n"
#define USAGE_CHUNK(usage) \
  "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-4o-mini\"," \
  "\"choices\":[],\"usage\":" usage "}\n\n"
#define DONE "data: [DONE]\n\n"

#define T_TEXT                                                                                          \
  CHUNK("\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},\"finish_reason\":null")  \
  CHUNK("\"delta\":{\"content\":\"Hello\"},\"finish_reason\":null")                                     \
  CHUNK("\"delta\":{\"content\":\" w\\u00f6rld \xf0\x9f\x8c\x8d\"},\"finish_reason\":null")              \
  CHUNK("\"delta\":{},\"finish_reason\":\"stop\"")                                                      \
  USAGE_CHUNK("{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":15,"                      \
              "\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0},"                     \
              "\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0}}")             \
  DONE

static void text_stream(void) {
  EXPECT_RESPONSE(T_TEXT,
                  "{\"full_text\":\"Hello w\xc3\xb6rld \xf0\x9f\x8c\x8d\",\"parts\":[{\"Text\":{\"text\":\"Hello w\xc3\xb6rld "
                  "\xf0\x9f\x8c\x8d\",\"response_meta\":null}}],"
                  "\"usage\":{\"input_tokens\":12,\"output_tokens\":3,\"cached_input_tokens\":0,\"reasoning_tokens\":0},"
                  "\"terminal_reason\":\"stop\",\"terminal_diagnostic\":null,\"text_streamed\":true,"
                  "\"provider_usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":15,"
                  "\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0},"
                  "\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0}}}",
                  "t[Hello]t[ w\xc3\xb6rld \xf0\x9f\x8c\x8d]");
}

/* DeepSeek: reasoning_content deltas, then content; prompt_cache_hit_tokens */
#define T_REASONING                                                                                              \
  "data: {\"id\":\"1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","    \
  "\"content\":null,\"reasoning_content\":\"Let me \"},\"finish_reason\":null}]}\n\n"                                   \
  "data: {\"id\":\"1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":null,\"reasoning_content\":\"think.\"}}]}\n\n"   \
  "data: {\"id\":\"1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"42\",\"reasoning_content\":null}}]}\n\n"       \
  "data: {\"id\":\"1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":\"stop\"}],"             \
  "\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":9,\"total_tokens\":29,\"prompt_tokens_details\":"               \
  "{\"cached_tokens\":16},\"completion_tokens_details\":{\"reasoning_tokens\":7},\"prompt_cache_hit_tokens\":16,"       \
  "\"prompt_cache_miss_tokens\":4}}\n\n"                                                                                 \
  DONE

/* OpenRouter: `reasoning` deltas; a chunk with content and reasoning reports the
 * text first; `reasoning_text` (others); an empty reasoning_content shadows
 * `reasoning` (lash's Option::or takes the first present field) */
#define T_REASONING2                                                                                         \
  "data: {\"choices\":[{\"delta\":{\"reasoning\":\"a\"}}]}\n\n"                                              \
  "data: {\"choices\":[{\"delta\":{\"reasoning_text\":\"b\",\"content\":\"X\"}}]}\n\n"                      \
  "data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"\",\"reasoning\":\"hidden\"}}]}\n\n"               \
  "data: {\"choices\":[{\"delta\":{\"reasoning\":\"c\"},\"finish_reason\":\"length\"}]}\n\n"                  \
  "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":6,\"cached_tokens\":2,"        \
  "\"reasoning_tokens\":3}}\n\n"

static void reasoning_stream(void) {
  EXPECT_RESPONSE(T_REASONING,
                  "{\"full_text\":\"42\",\"parts\":[{\"Reasoning\":{\"text\":\"Let me think.\",\"replay\":null}},"
                  "{\"Text\":{\"text\":\"42\",\"response_meta\":null}}],"
                  "\"usage\":{\"input_tokens\":20,\"output_tokens\":9,\"cached_input_tokens\":16,\"reasoning_tokens\":7},"
                  "\"terminal_reason\":\"stop\",\"terminal_diagnostic\":null,\"text_streamed\":true,"
                  "\"provider_usage\":{\"prompt_tokens\":20,\"completion_tokens\":9,\"total_tokens\":29,\"prompt_tokens_details\":"
                  "{\"cached_tokens\":16},\"completion_tokens_details\":{\"reasoning_tokens\":7},\"prompt_cache_hit_tokens\":16,"
                  "\"prompt_cache_miss_tokens\":4}}",
                  "r[Let me ]r[think.]t[42]");
  EXPECT_RESPONSE(T_REASONING2,
                  "{\"full_text\":\"X\",\"parts\":[{\"Reasoning\":{\"text\":\"abc\",\"replay\":null}},"
                  "{\"Text\":{\"text\":\"X\",\"response_meta\":null}}],"
                  "\"usage\":{\"input_tokens\":5,\"output_tokens\":6,\"cached_input_tokens\":2,\"reasoning_tokens\":3},"
                  "\"terminal_reason\":\"output_limit\",\"terminal_diagnostic\":null,\"text_streamed\":true,"
                  "\"provider_usage\":{\"prompt_tokens\":5,\"completion_tokens\":6,\"cached_tokens\":2,\"reasoning_tokens\":3}}",
                  "r[a]t[X]r[b]r[c]");
  /* whitespace-only reasoning is streamed but is no part; reasoning alone is content */
  EXPECT_RESPONSE("data: {\"choices\":[{\"delta\":{\"reasoning\":\" \\n\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"k\"}}]}\n\n",
                  "{\"full_text\":\"k\",\"parts\":[{\"Text\":{\"text\":\"k\",\"response_meta\":null}}],\"usage\":{\"input_tokens\":0,"
                  "\"output_tokens\":0,\"cached_input_tokens\":0,\"reasoning_tokens\":0},\"terminal_reason\":\"stop\","
                  "\"terminal_diagnostic\":null,\"text_streamed\":true,\"provider_usage\":null}",
                  "r[ \n]t[k]");
  EXPECT_RESPONSE("data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"only thoughts\"}}]}\n\n",
                  "{\"full_text\":\"\",\"parts\":[{\"Reasoning\":{\"text\":\"only thoughts\",\"replay\":null}}],\"usage\":{\"input_tokens\":0,"
                  "\"output_tokens\":0,\"cached_input_tokens\":0,\"reasoning_tokens\":0},\"terminal_reason\":\"stop\","
                  "\"terminal_diagnostic\":null,\"text_streamed\":false,\"provider_usage\":null}",
                  "r[only thoughts]");
}

/* Two parallel tool calls, arguments split across chunks (OpenAI's documented
 * streaming shape: id/type/name only on a call's first chunk), then the usage chunk. */
#define T_TOOLS                                                                                                               \
  CHUNK("\"delta\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":\"call_abc\",\"type\":\"function\"," \
        "\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}],\"refusal\":null},\"finish_reason\":null")                      \
  CHUNK("\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"loc\"}}]},\"finish_reason\":null")             \
  CHUNK("\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"ation\\\": \\\"Par\"}}]},\"finish_reason\":null")     \
  CHUNK("\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"call_def\",\"type\":\"function\",\"function\":{\"name\":\"get_time\","     \
        "\"arguments\":\"\"}}]},\"finish_reason\":null")                                                                              \
  CHUNK("\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"is\\\"}\"}},{\"index\":1,\"function\":"              \
        "{\"arguments\":\"{\\\"tz\\\":\\\"CET\\\"}\"}}]},\"finish_reason\":null")                                                     \
  CHUNK("\"delta\":{},\"finish_reason\":\"tool_calls\"")                                                                        \
  USAGE_CHUNK("{\"prompt_tokens\":1200,\"completion_tokens\":40,\"total_tokens\":1240,\"prompt_tokens_details\":"               \
              "{\"cached_tokens\":1024},\"completion_tokens_details\":{\"reasoning_tokens\":0}}")                               \
  DONE

static void tool_stream(void) {
  EXPECT_RESPONSE(T_TOOLS,
                  "{\"full_text\":\"\",\"parts\":["
                  "{\"ToolCall\":{\"call_id\":\"call_abc\",\"tool_name\":\"get_weather\",\"input_json\":\"{\\\"location\\\": \\\"Paris\\\"}\","
                  "\"replay\":null}},"
                  "{\"ToolCall\":{\"call_id\":\"call_def\",\"tool_name\":\"get_time\",\"input_json\":\"{\\\"tz\\\":\\\"CET\\\"}\","
                  "\"replay\":null}}],"
                  "\"usage\":{\"input_tokens\":1200,\"output_tokens\":40,\"cached_input_tokens\":1024,\"reasoning_tokens\":0},"
                  "\"terminal_reason\":\"tool_use\",\"terminal_diagnostic\":null,\"text_streamed\":false,"
                  "\"provider_usage\":{\"prompt_tokens\":1200,\"completion_tokens\":40,\"total_tokens\":1240,\"prompt_tokens_details\":"
                  "{\"cached_tokens\":1024},\"completion_tokens_details\":{\"reasoning_tokens\":0}}}",
                  "");
  /* indices out of order are sorted; a missing id gets call_{index}; empty
   * arguments become {}; a slot that never got a name is dropped; a missing or
   * non-integer index is 0 (serde as_u64().unwrap_or(0)) */
  EXPECT_RESPONSE("data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":5,\"function\":{\"name\":\"b\"}},"
                  "{\"index\":2,\"id\":\"\",\"function\":{\"name\":\"a\",\"arguments\":\"\"}},{\"index\":3,\"id\":\"x\"}]}}]}\n\n"
                  "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":1.0,\"id\":\"z\",\"function\":{\"name\":\"c\"}},"
                  "{\"function\":{\"arguments\":\"[1]\"}}]}}]}\n\n",
                  "{\"full_text\":\"\",\"parts\":["
                  "{\"ToolCall\":{\"call_id\":\"z\",\"tool_name\":\"c\",\"input_json\":\"[1]\",\"replay\":null}},"
                  "{\"ToolCall\":{\"call_id\":\"call_2\",\"tool_name\":\"a\",\"input_json\":\"{}\",\"replay\":null}},"
                  "{\"ToolCall\":{\"call_id\":\"call_5\",\"tool_name\":\"b\",\"input_json\":\"{}\",\"replay\":null}}],"
                  "\"usage\":{\"input_tokens\":0,\"output_tokens\":0,\"cached_input_tokens\":0,\"reasoning_tokens\":0},"
                  "\"terminal_reason\":\"tool_use\",\"terminal_diagnostic\":null,\"text_streamed\":false,\"provider_usage\":null}",
                  "");
}

/* lash's own chat_stream_parser_captures_text_tool_done_and_usage events. */
#define T_LASH                                                                                                             \
  "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n"                                                             \
  "data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"Think\"}}]}\n\n"                                                \
  "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":"    \
  "{\"name\":\"lookup\",\"arguments\":\"{\\\"q\\\":\"}}]}}]}\n\n"                                                          \
  "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\"x\\\"}\"}}]}}]}\n\n"     \
  "data: {\"choices\":[{\"delta\":{\"reasoning_details\":[{\"type\":\"reasoning.encrypted\",\"id\":\"call_1\","            \
  "\"data\":\"encrypted\"}]}}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":4,\"prompt_tokens_details\":"          \
  "{\"cached_tokens\":3,\"cache_write_tokens\":2}}}\n\n"                                                                   \
  "data: {\"choices\":[{\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":5,\"prompt_tokens_details\":"                \
  "{\"cached_tokens\":4,\"cache_write_tokens\":2}}}]}\n\n"                                                                 \
  DONE

static void lash_fixture(void) {
  /* lash asserts: full_text Hi, reasoning Think, parts [Reasoning, Text, ToolCall
   * call_1 lookup {"q":"x"} with the encrypted detail as replay], usage 11/5,
   * cached 4 - 2 (cache writes are not reads). The opaque text is serde's
   * compact to_string, keys sorted. No finish_reason: terminal from parts. */
  EXPECT_RESPONSE(T_LASH,
                  "{\"full_text\":\"Hi\",\"parts\":[{\"Reasoning\":{\"text\":\"Think\",\"replay\":null}},"
                  "{\"Text\":{\"text\":\"Hi\",\"response_meta\":null}},"
                  "{\"ToolCall\":{\"call_id\":\"call_1\",\"tool_name\":\"lookup\",\"input_json\":\"{\\\"q\\\":\\\"x\\\"}\",\"replay\":"
                  "{\"opaque\":\"{\\\"data\\\":\\\"encrypted\\\",\\\"id\\\":\\\"call_1\\\",\\\"type\\\":\\\"reasoning.encrypted\\\"}\"}}}],"
                  "\"usage\":{\"input_tokens\":11,\"output_tokens\":5,\"cached_input_tokens\":2,\"reasoning_tokens\":0},"
                  "\"terminal_reason\":\"tool_use\",\"terminal_diagnostic\":null,\"text_streamed\":true,"
                  "\"provider_usage\":{\"prompt_tokens\":11,\"completion_tokens\":5,\"prompt_tokens_details\":"
                  "{\"cached_tokens\":4,\"cache_write_tokens\":2}}}",
                  "t[Hi]r[Think]");
}

static void usage_rules(void) {
  struct { const char *usage, *want; } cases[] = {
      /* Responses-style names win over chat ones */
      {"{\"input_tokens\":11,\"prompt_tokens\":99,\"output_tokens\":7,\"input_tokens_details\":{\"cached_tokens\":3},"
       "\"output_tokens_details\":{\"reasoning_tokens\":5}}", "11,7,3,5"},
      /* lash test usage_parser_accepts...: write-only caching is no hit */
      {"{\"prompt_tokens\":5353,\"completion_tokens\":433,\"prompt_tokens_details\":{\"cached_tokens\":3,\"cache_write_tokens\":5353}}",
       "5353,433,0,0"},
      /* numbers as strings parse; floats and nonsense read as 0 (parse_i64) */
      {"{\"prompt_tokens\":\"17\",\"completion_tokens\":2.0,\"cached_input_tokens\":\"+4\",\"reasoning_tokens\":\"x\"}", "17,0,4,0"},
      /* a present null ends the fallback chain */
      {"{\"prompt_tokens\":8,\"prompt_tokens_details\":{\"cached_tokens\":null},\"cached_tokens\":6}", "8,0,0,0"},
      {"{\"prompt_tokens\":8,\"prompt_cache_hit_tokens\":6}", "8,0,6,0"},
      /* a repeated key keeps its last value (serde_json Map) */
      {"{\"prompt_tokens\":1,\"prompt_tokens\":2}", "2,0,0,0"},
      {"{\"prompt_tokens\":9223372036854775807}", "9223372036854775807,0,0,0"},
      {"{\"prompt_tokens\":9223372036854775808}", "0,0,0,0"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char t[512], want[512];
    snprintf(t, sizeof t, "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":%s}\n\n", cases[i].usage);
    long long u[4];
    sscanf(cases[i].want, "%lld,%lld,%lld,%lld", &u[0], &u[1], &u[2], &u[3]);
    outcome o;
    run_stream(t, &o);
    cJSON *r = o.json ? cJSON_Parse(o.json) : NULL;
    snprintf(want, sizeof want, "{\"input_tokens\":%lld,\"output_tokens\":%lld,\"cached_input_tokens\":%lld,\"reasoning_tokens\":%lld}",
             u[0], u[1], u[2], u[3]);
    CHECK_JSON(at(r, "usage"), want);
    cJSON_Delete(r);
    outcome_free(&o);
  }
  /* streamed usage merges: a later zero keeps the earlier value (lash's
   * StreamingUsageMerge conformance scenario) */
  EXPECT_RESPONSE("data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}],\"usage\":{\"prompt_tokens\":100}}\n\n"
                  "data: {\"choices\":[{\"delta\":{}}],\"usage\":{\"completion_tokens\":20,\"prompt_tokens\":0}}\n\n"
                  "data: {\"choices\":[{\"delta\":{}}],\"usage\":null}\n\n" DONE,
                  "{\"full_text\":\"hi\",\"parts\":[{\"Text\":{\"text\":\"hi\",\"response_meta\":null}}],\"usage\":{\"input_tokens\":100,"
                  "\"output_tokens\":20,\"cached_input_tokens\":0,\"reasoning_tokens\":0},\"terminal_reason\":\"stop\","
                  "\"terminal_diagnostic\":null,\"text_streamed\":true,\"provider_usage\":{\"completion_tokens\":20,\"prompt_tokens\":0}}",
                  "t[hi]");
}

static void finish_reasons(void) {
  struct { const char *finish, *want; } cases[] = {
      {"\"stop\"", "stop"}, {"\"tool_calls\"", "tool_use"}, {"\"function_call\"", "tool_use"}, {"\"length\"", "output_limit"},
      {"\"max_tokens\"", "output_limit"}, {"\"content_filter\"", "content_filter"}, {"\"safety\"", "content_filter"},
      {"\"network_error\"", "provider_error"}, {"\"eos\"", "provider_error"},
      {"\"\"", "output_limit"}, {"null", "output_limit"}, /* empty / null keep the earlier reason */
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char t[512];
    snprintf(t, sizeof t,
             "data: {\"choices\":[{\"delta\":{\"content\":\"x\"},\"finish_reason\":\"length\"}]}\n\n"
             "data: {\"choices\":[{\"delta\":{},\"finish_reason\":%s}]}\n\n" DONE,
             cases[i].finish);
    outcome o;
    run_stream(t, &o);
    cJSON *r = o.json ? cJSON_Parse(o.json) : NULL;
    CHECK_STR(cJSON_GetStringValue(at(r, "terminal_reason")), cases[i].want);
    cJSON_Delete(r);
    outcome_free(&o);
  }
  /* a choice without a delta is skipped whole, finish_reason included (lash
   * `let Some(delta) = choice.delta else { continue }`); terminal then comes from parts */
  EXPECT_RESPONSE("data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n"
                  "data: {\"choices\":[{\"finish_reason\":\"length\"},{\"delta\":null,\"finish_reason\":\"safety\"}]}\n\n",
                  "{\"full_text\":\"x\",\"parts\":[{\"Text\":{\"text\":\"x\",\"response_meta\":null}}],\"usage\":{\"input_tokens\":0,"
                  "\"output_tokens\":0,\"cached_input_tokens\":0,\"reasoning_tokens\":0},\"terminal_reason\":\"stop\","
                  "\"terminal_diagnostic\":null,\"text_streamed\":true,\"provider_usage\":null}",
                  "t[x]");
  /* n > 1: every choice feeds the same accumulators; the last finish_reason wins */
  EXPECT_RESPONSE("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}},{\"index\":1,\"delta\":{\"content\":\"b\"}}]}\n\n"
                  "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"},{\"index\":1,\"delta\":{},"
                  "\"finish_reason\":\"length\"}]}\n\n",
                  "{\"full_text\":\"ab\",\"parts\":[{\"Text\":{\"text\":\"ab\",\"response_meta\":null}}],\"usage\":{\"input_tokens\":0,"
                  "\"output_tokens\":0,\"cached_input_tokens\":0,\"reasoning_tokens\":0},\"terminal_reason\":\"output_limit\","
                  "\"terminal_diagnostic\":null,\"text_streamed\":true,\"provider_usage\":null}",
                  "t[a]t[b]");
}

static void errors(void) {
  /* an error object mid-stream (OpenRouter's mid-stream error shape) */
  EXPECT_ERROR(CHUNK("\"delta\":{\"content\":\"Par\"},\"finish_reason\":null")
               "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"error\":{\"code\":502,\"message\":"
               "\"Upstream provider overloaded\",\"metadata\":{\"provider_name\":\"X\"}},\"choices\":[{\"index\":0,\"delta\":"
               "{\"content\":\"\"},\"finish_reason\":\"error\"}]}\n\n" DONE,
               "Upstream provider overloaded", "t[Par]");
  EXPECT_ERROR("data: {\"error\":{\"type\":\"server_error\"}}\n\n", "OpenAI-compatible chat stream error", "");
  EXPECT_ERROR("data: {\"error\":\"boom\"}\n\n", "OpenAI-compatible chat stream error", "");
  /* a null error is no error */
  EXPECT_RESPONSE("data: {\"error\":null,\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}\n\n",
                  "{\"full_text\":\"ok\",\"parts\":[{\"Text\":{\"text\":\"ok\",\"response_meta\":null}}],\"usage\":{\"input_tokens\":0,"
                  "\"output_tokens\":0,\"cached_input_tokens\":0,\"reasoning_tokens\":0},\"terminal_reason\":\"stop\","
                  "\"terminal_diagnostic\":null,\"text_streamed\":true,\"provider_usage\":null}",
                  "t[ok]");
  /* malformed JSON chunks (serde_json's grammar), and chunks of the wrong shape */
  static const char *const bad[][2] = {
      {"{\"choices\":[{\"delta\":{\"content\":\"a\"}}]", "EOF while parsing an object at byte 38"},
      {"{\"choices\":[]} x", "trailing characters at byte 15"},
      {"{\"choices\":[],}", "trailing comma at byte 14"},
      {"{\"usage\":{\"prompt_tokens\":01}}", "expected `,` or `}` at byte 27"},
      {"{\"usage\":{\"prompt_tokens\":1e999}}", "number out of range at byte 31"},
      {"{\"choices\":[{\"delta\":{\"content\":\"a\tb\"}}]}", "control character in string at byte 34"},
      {"{\"choices\":[{\"delta\":{\"content\":\"\\ud800\"}}]}", "lone leading surrogate in hex escape at byte 39"},
      {"{'choices':[]}", "key must be a string at byte 1"},
      {"hello", "expected value at byte 0"},
      {"{\"choices\":null}", "invalid type for choices, expected a sequence"},
      {"{\"choices\":[null]}", "invalid type, expected struct ChatSseChoice"},
      {"{\"choices\":[{\"delta\":\"x\"}]}", "invalid type, expected struct ChatSseDelta"},
      {"{\"choices\":[{\"delta\":{\"content\":5}}]}", "invalid type for content, expected a string"},
      {"{\"choices\":[{\"delta\":{\"tool_calls\":{}}}]}", "invalid type for tool_calls, expected a sequence"},
      {"{\"choices\":[{\"delta\":{},\"finish_reason\":1}]}", "invalid type for finish_reason, expected a borrowed string"},
      {"{\"choices\":[{\"delta\":{},\"finish_reason\":\"sto\\u0070\"}]}", "invalid type for finish_reason, expected a borrowed string"},
      {"{\"choices\":[],\"choices\":[]}", "duplicate field `choices`"},
      {"[null,null,[],1]", "invalid length, expected struct ChatSseEvent with 3 elements"},
      {"\"text\"", "invalid type, expected struct ChatSseEvent"},
      /* the type errors win over an error object (serde reads the whole chunk first) */
      {"{\"error\":{\"message\":\"m\"},\"choices\":5}", "invalid type for choices, expected a sequence"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char t[512], detail[256];
    snprintf(t, sizeof t, "data: {\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}\n\ndata: %s\n\n" DONE, bad[i][0]);
    snprintf(detail, sizeof detail, "Invalid Chat Completions SSE payload: %s", bad[i][1]);
    EXPECT_ERROR(t, detail, "t[ok]");
  }
  /* struct-shaped arrays read positionally, as serde_derive allows */
  EXPECT_RESPONSE("data: [null, {\"prompt_tokens\":3}, [[{\"content\":\"p\"}, \"stop\"]]]\n\n",
                  "{\"full_text\":\"p\",\"parts\":[{\"Text\":{\"text\":\"p\",\"response_meta\":null}}],\"usage\":{\"input_tokens\":3,"
                  "\"output_tokens\":0,\"cached_input_tokens\":0,\"reasoning_tokens\":0},\"terminal_reason\":\"stop\","
                  "\"terminal_diagnostic\":null,\"text_streamed\":true,\"provider_usage\":{\"prompt_tokens\":3}}",
                  "t[p]");
  /* after an error the stream stays failed */
  lash_stream *s = D->stream_new(NULL);
  lash_err e = {0};
  CHECK(D->stream_feed(s, "data: {\"error\":{\"message\":\"gone\"}}\n\n", 36, NULL, NULL, &e) == LASH_E_INVALID_ARGUMENT);
  memset(&e, 0, sizeof e);
  CHECK(D->stream_feed(s, "data: {\"choices\":[]}\n\n", 22, NULL, NULL, &e) == LASH_E_INVALID_ARGUMENT);
  CHECK_STR(e.detail, "gone");
  memset(&e, 0, sizeof e);
  CHECK(D->stream_finish(s, NULL, NULL, &e) == NULL);
  CHECK_STR(e.detail, "gone");
  D->stream_free(s);
}

static void truncation(void) {
  /* lash's drive_streaming_chat has no truncation check: a body that ends between
   * events (no finish_reason, no [DONE]) yields what arrived, with the terminal
   * reason derived from the parts */
  EXPECT_RESPONSE(CHUNK("\"delta\":{\"content\":\"The answer\"},\"finish_reason\":null"),
                  "{\"full_text\":\"The answer\",\"parts\":[{\"Text\":{\"text\":\"The answer\",\"response_meta\":null}}],"
                  "\"usage\":{\"input_tokens\":0,\"output_tokens\":0,\"cached_input_tokens\":0,\"reasoning_tokens\":0},"
                  "\"terminal_reason\":\"stop\",\"terminal_diagnostic\":null,\"text_streamed\":true,\"provider_usage\":null}",
                  "t[The answer]");
  EXPECT_RESPONSE(CHUNK("\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c1\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\"}}]},"
                        "\"finish_reason\":null"),
                  "{\"full_text\":\"\",\"parts\":[{\"ToolCall\":{\"call_id\":\"c1\",\"tool_name\":\"f\",\"input_json\":\"{\\\"a\","
                  "\"replay\":null}}],\"usage\":{\"input_tokens\":0,\"output_tokens\":0,\"cached_input_tokens\":0,"
                  "\"reasoning_tokens\":0},\"terminal_reason\":\"tool_use\",\"terminal_diagnostic\":null,\"text_streamed\":false,"
                  "\"provider_usage\":null}",
                  "");
  /* a body cut inside an event: lash's SseBuffer::finish still flushes the partial
   * data line, which then fails to parse */
  EXPECT_ERROR(CHUNK("\"delta\":{\"content\":\"The answer\"},\"finish_reason\":null") "data: {\"choices\":[{\"delta\":{\"content\":\" is",
               "Invalid Chat Completions SSE payload: EOF while parsing a string at byte 36", "t[The answer]");
  EXPECT_ERROR(CHUNK("\"delta\":{\"content\":\"The answer\"},\"finish_reason\":null") "data: {\"choices\":[{\"delta\":{\"content\":\" is\n",
               "Invalid Chat Completions SSE payload: EOF while parsing a string at byte 36", "t[The answer]");
  /* nothing usable: lash's empty_response error */
  EXPECT_ERROR("", "OpenAI-compatible empty_response", "");
  EXPECT_ERROR(": ping\n\n: ping\n\n", "OpenAI-compatible empty_response", "");
  EXPECT_ERROR(CHUNK("\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null") DONE, "OpenAI-compatible empty_response", "");
  EXPECT_ERROR(CHUNK("\"delta\":{},\"finish_reason\":\"content_filter\"") DONE, "OpenAI-compatible empty_response", "");
  EXPECT_ERROR(DONE, "OpenAI-compatible empty_response", "");
}

static void whole_message_fallbacks(void) {
  /* a stream whose last event carries a whole message (some proxies): lash
   * rebuilds the parts from it; full_text stays the (empty) streamed text */
  EXPECT_RESPONSE("data: {\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"he\"},"
                  "{\"type\":\"image\"},{\"type\":\"text\",\"text\":\"llo\"}],\"reasoning\":\"  \",\"reasoning_text\":\"r\",\"tool_calls\":"
                  "[{\"function\":{\"name\":\"f\"}},{\"id\":\"q\",\"function\":null},{\"id\":\"t1\",\"function\":{\"name\":\"g\","
                  "\"arguments\":\"\"}}]},\"finish_reason\":\"stop\"}]}\n\n",
                  "{\"full_text\":\"\",\"parts\":[{\"Reasoning\":{\"text\":\"r\",\"replay\":null}},"
                  "{\"Text\":{\"text\":\"hello\",\"response_meta\":null}},"
                  "{\"ToolCall\":{\"call_id\":\"call_0\",\"tool_name\":\"f\",\"input_json\":\"{}\",\"replay\":null}},"
                  "{\"ToolCall\":{\"call_id\":\"t1\",\"tool_name\":\"g\",\"input_json\":\"\",\"replay\":null}}],"
                  "\"usage\":{\"input_tokens\":0,\"output_tokens\":0,\"cached_input_tokens\":0,\"reasoning_tokens\":0},"
                  "\"terminal_reason\":\"tool_use\",\"terminal_diagnostic\":null,\"text_streamed\":false,\"provider_usage\":null}",
                  "");
  /* a plain JSON reply (no `data:` line at all): lash's complete_buffered_chat;
   * lash test non_streaming_chat_parser_captures_text_tool_and_usage */
  EXPECT_RESPONSE("{\n  \"choices\": [{\n    \"message\": {\"role\": \"assistant\", \"reasoning_content\": \"think\", \"content\": \"hello\","
                  "\"reasoning_details\": [{\"type\": \"reasoning.encrypted\", \"id\": \"call_1\", \"data\": \"old\"},"
                  "{\"type\": \"reasoning.encrypted\", \"id\": \"call_1\", \"data\": \"encrypted\"}],"
                  "\"tool_calls\": [{\"id\": \"call_1\", \"type\": \"function\", \"function\": {\"name\": \"lookup\", \"arguments\": "
                  "\"{\\\"q\\\":\\\"x\\\"}\"}}]}\n  }],\n  \"usage\": {\"prompt_tokens\": 13, \"completion_tokens\": 17, "
                  "\"prompt_tokens_details\": {\"cached_tokens\": 2}}\n}\n",
                  "{\"full_text\":\"hello\",\"parts\":[{\"Reasoning\":{\"text\":\"think\",\"replay\":null}},"
                  "{\"Text\":{\"text\":\"hello\",\"response_meta\":null}},"
                  "{\"ToolCall\":{\"call_id\":\"call_1\",\"tool_name\":\"lookup\",\"input_json\":\"{\\\"q\\\":\\\"x\\\"}\",\"replay\":"
                  "{\"opaque\":\"{\\\"data\\\":\\\"encrypted\\\",\\\"id\\\":\\\"call_1\\\",\\\"type\\\":\\\"reasoning.encrypted\\\"}\"}}}],"
                  "\"usage\":{\"input_tokens\":13,\"output_tokens\":17,\"cached_input_tokens\":2,\"reasoning_tokens\":0},"
                  "\"terminal_reason\":\"tool_use\",\"terminal_diagnostic\":null,\"text_streamed\":false,"
                  "\"provider_usage\":{\"prompt_tokens\":13,\"completion_tokens\":17,\"prompt_tokens_details\":{\"cached_tokens\":2}}}",
                  "");
  /* lash conformance ContentFilter: empty content with content_filter is empty */
  EXPECT_ERROR("{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":\"content_filter\"}]}",
               "OpenAI-compatible empty_response", "");
  EXPECT_RESPONSE("{\"choices\":[{\"message\":{\"content\":\"trunc\"},\"finish_reason\":\"length\"}],\"usage\":null}",
                  "{\"full_text\":\"trunc\",\"parts\":[{\"Text\":{\"text\":\"trunc\",\"response_meta\":null}}],"
                  "\"usage\":{\"input_tokens\":0,\"output_tokens\":0,\"cached_input_tokens\":0,\"reasoning_tokens\":0},"
                  "\"terminal_reason\":\"output_limit\",\"terminal_diagnostic\":null,\"text_streamed\":false,\"provider_usage\":null}",
                  "");
  EXPECT_ERROR("{\"choices\":[", "Invalid Chat Completions JSON: EOF while parsing a value at byte 12", "");
}

static void framing_and_text(void) {
  /* CRLF, OpenRouter comments, event: lines, multi-line data, extra whitespace
   * and NBSP around the data (lash trims each data line and the event) */
  EXPECT_RESPONSE(": OPENROUTER PROCESSING\r\n\r\n"
                  "event: message\r\nid: 1\r\ndata: {\"choices\":[{\"delta\":\r\ndata:   {\"content\":\"a\"}}]}\r\n\r\n"
                  "data: \xc2\xa0{\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\xe3\x80\x80\r\n\r\n"
                  "data:[DONE]\r\n\r\n",
                  "{\"full_text\":\"ab\",\"parts\":[{\"Text\":{\"text\":\"ab\",\"response_meta\":null}}],\"usage\":{\"input_tokens\":0,"
                  "\"output_tokens\":0,\"cached_input_tokens\":0,\"reasoning_tokens\":0},\"terminal_reason\":\"stop\","
                  "\"terminal_diagnostic\":null,\"text_streamed\":true,\"provider_usage\":null}",
                  "t[a]t[b]");
  /* ill-formed UTF-8 reads as U+FFFD per maximal subpart (from_utf8_lossy);
   * \u0000 cannot live in a C string and becomes U+FFFD too */
  EXPECT_RESPONSE("data: {\"choices\":[{\"delta\":{\"content\":\"a\xff" "b\xe2\x82" "c\xf0\x9f\x98\\u0000\"}}]}\n\n",
                  "{\"full_text\":\"a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd\xef\xbf\xbd\",\"parts\":[{\"Text\":{\"text\":"
                  "\"a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd\xef\xbf\xbd\",\"response_meta\":null}}],"
                  "\"usage\":{\"input_tokens\":0,\"output_tokens\":0,\"cached_input_tokens\":0,\"reasoning_tokens\":0},"
                  "\"terminal_reason\":\"stop\",\"terminal_diagnostic\":null,\"text_streamed\":true,\"provider_usage\":null}",
                  "t[a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd\xef\xbf\xbd]");
  /* escapes and surrogate pairs */
  EXPECT_RESPONSE("data: {\"choices\":[{\"delta\":{\"content\":\"q\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"}}]}\n\n",
                  "{\"full_text\":\"q\\\"\\\\/\\b\\f\\n\\r\\t\xc3\xa9\xf0\x9f\x98\x80\",\"parts\":[{\"Text\":{\"text\":"
                  "\"q\\\"\\\\/\\b\\f\\n\\r\\t\xc3\xa9\xf0\x9f\x98\x80\",\"response_meta\":null}}],"
                  "\"usage\":{\"input_tokens\":0,\"output_tokens\":0,\"cached_input_tokens\":0,\"reasoning_tokens\":0},"
                  "\"terminal_reason\":\"stop\",\"terminal_diagnostic\":null,\"text_streamed\":true,\"provider_usage\":null}",
                  "t[q\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80]");
}

static void no_callback(void) {
  /* text_streamed says whether text reached on_delta */
  lash_stream *s = D->stream_new(NULL);
  lash_err e = {0};
  const char *t = T_TEXT;
  CHECK(D->stream_feed(s, t, strlen(t), NULL, NULL, &e) == LASH_OK);
  cJSON *r = D->stream_finish(s, NULL, NULL, &e);
  CHECK(cJSON_IsFalse(at(r, "text_streamed")));
  CHECK_STR(cJSON_GetStringValue(at(r, "full_text")), "Hello w\xc3\xb6rld \xf0\x9f\x8c\x8d");
  cJSON_Delete(r);
  D->stream_free(s);
  D->stream_free(NULL);
  /* a NULL buffer with a length is refused, not read */
  s = D->stream_new(NULL);
  CHECK(D->stream_feed(s, NULL, 5, NULL, NULL, &e) == LASH_E_INVALID_ARGUMENT);
  CHECK_STR(e.detail, "null buffer");
  D->stream_free(s);
}

static void bounds(void) {
  /* one event over LASH_SSE_MAX_EVENT */
  size_t big = LASH_SSE_MAX_EVENT + 64;
  char *t = malloc(big + 64);
  int n = snprintf(t, 64, "data: {\"choices\":[{\"delta\":{\"content\":\"");
  memset(t + n, 'a', big - (size_t)n);
  memcpy(t + big, "\"}}]}\n\n", 8);
  outcome o;
  run_stream(t, &o);
  CHECK(o.rc == LASH_E_INVALID_ARGUMENT);
  CHECK_STR(o.e.detail, "Chat Completions SSE event exceeds the 8388608-byte limit");
  outcome_free(&o);
  /* accumulated text over LASH_STREAM_MAX_TEXT, in events of 1 MiB */
  size_t piece = 1u << 20;
  n = snprintf(t, 64, "data: {\"choices\":[{\"delta\":{\"content\":\"");
  memset(t + n, 'b', piece);
  memcpy(t + n + piece, "\"}}]}\n\n", 8);
  size_t ev = (size_t)n + piece + 7;
  lash_stream *s = D->stream_new(NULL);
  lash_err e = {0};
  int rc = LASH_OK, count = 0;
  while (rc == LASH_OK && count < 40) rc = D->stream_feed(s, t, ev, NULL, NULL, &e), count++;
  CHECK(rc == LASH_E_INVALID_ARGUMENT && count == 33);
  CHECK_STR(e.detail, "Chat Completions response exceeds the 33554432-byte limit");
  D->stream_free(s);
  /* tool-call slots are bounded too */
  s = D->stream_new(NULL);
  rc = LASH_OK;
  for (int i = 0; i < 5000 && rc == LASH_OK; i++) {
    n = snprintf(t, 200, "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":%d,\"function\":{\"name\":\"f\"}}]}}]}\n\n", 5000 - i);
    rc = D->stream_feed(s, t, (size_t)n, NULL, NULL, &e);
  }
  CHECK(rc == LASH_E_INVALID_ARGUMENT);
  CHECK_STR(e.detail, "Chat Completions response has too many tool calls");
  D->stream_free(s);
  /* a chunk of a million tiny values is refused before it becomes a huge tree */
  lash_buf many;
  lash__buf_init(&many, NULL);
  lash__buf_puts(&many, "data: {\"choices\":[{\"delta\":{\"content\":\"m\"}}],\"x\":[0");
  for (int i = 0; i < (1 << 19); i++) lash__buf_puts(&many, ",0");
  lash__buf_puts(&many, "]}\n\n");
  run_stream(many.data, &o);
  CHECK(o.rc == LASH_E_INVALID_ARGUMENT && strstr(o.e.detail, "too many JSON values"));
  outcome_free(&o);
  lash__buf_free(&many);
  /* 127 nested containers parse, 128 do not (serde_json's recursion limit) */
  for (int arrays = 126; arrays <= 127; arrays++) {
    char deep[600];
    n = snprintf(deep, sizeof deep, "data: {\"choices\":[{\"delta\":{\"content\":\"d\"}}],\"x\":"); /* the object is one level */
    for (int i = 0; i < arrays; i++) deep[n++] = '[';
    for (int i = 0; i < arrays; i++) deep[n++] = ']';
    snprintf(deep + n, sizeof deep - (size_t)n, "}\n\n");
    run_stream(deep, &o);
    if (arrays == 126) CHECK(o.rc == LASH_OK);
    else CHECK(o.rc == LASH_E_INVALID_ARGUMENT && strstr(o.e.detail, "recursion limit exceeded"));
    outcome_free(&o);
  }
  free(t);
}

/* -------------------------------------------------- split invariance */

static const char *const transcripts[] = {
    T_TEXT, T_REASONING, T_REASONING2, T_TOOLS, T_LASH,
    ": OPENROUTER PROCESSING\r\n\r\nevent: message\r\ndata: {\"choices\":[{\"delta\":\r\ndata: {\"content\":\"\xc3\xa9\xf0\x9f\x98\x80\"}}]}"
    "\r\n\r\ndata:[DONE]\r\n\r\n",
    CHUNK("\"delta\":{\"content\":\"Par\"},\"finish_reason\":null") "data: {\"error\":{\"message\":\"overloaded\"}}\n\n" DONE,
    CHUNK("\"delta\":{\"content\":\"ok\"},\"finish_reason\":null") "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]\n\n",
    CHUNK("\"delta\":{\"content\":\"The answer\"},\"finish_reason\":null") "data: {\"choices\":[{\"delta\":{\"content\":\" is",
    "{\"choices\":[{\"message\":{\"content\":\"plain \xc3\xa9\"},\"finish_reason\":\"stop\"}]}",
    "data: {\"choices\":[{\"delta\":{\"content\":\"a\xff" "b\xe2\x82" "c\"}}]}\n\n",
};

static unsigned rnd_state = 99;
static unsigned rnd(void) { return rnd_state = rnd_state * 1103515245u + 12345u, (rnd_state >> 16) & 0x7fff; }

static int same(const outcome *a, const outcome *b) {
  return a->rc == b->rc && !strcmp(a->e.detail, b->e.detail) && !strcmp(a->deltas.data, b->deltas.data) &&
         ((!a->json && !b->json) || (a->json && b->json && !strcmp(a->json, b->json)));
}

static void split_invariance(void) {
  for (size_t k = 0; k < sizeof transcripts / sizeof *transcripts; k++) {
    const char *t = transcripts[k];
    size_t n = strlen(t);
    outcome ref;
    run_stream(t, &ref);
    int bad = 0;
    for (size_t i = 0; i <= n && !bad; i++) { /* every single split point */
      outcome o;
      run_cuts(t, n, &i, 1, &o);
      if (!same(&o, &ref)) { bad = 1; fprintf(stderr, "transcript %zu split at %zu differs: %s\n", k, i, o.json ? o.json : o.e.detail); }
      outcome_free(&o);
    }
    for (int r = 0; r < 100 && !bad; r++) { /* random multi-splits */
      size_t cuts[48];
      int nc = (int)(rnd() % 48);
      for (int c = 0; c < nc; c++) cuts[c] = rnd() % (n + 1);
      for (int a = 1; a < nc; a++)
        for (int b = a; b > 0 && cuts[b - 1] > cuts[b]; b--) { size_t x = cuts[b]; cuts[b] = cuts[b - 1]; cuts[b - 1] = x; }
      outcome o;
      run_cuts(t, n, cuts, nc, &o);
      if (!same(&o, &ref)) { bad = 1; fprintf(stderr, "transcript %zu random split %d differs\n", k, r); }
      outcome_free(&o);
    }
    size_t *every = malloc((n + 1) * sizeof *every); /* byte at a time */
    for (size_t i = 0; i <= n; i++) every[i] = i;
    outcome o;
    run_cuts(t, n, every, (int)n, &o);
    if (!same(&o, &ref)) { bad = 1; fprintf(stderr, "transcript %zu byte-at-a-time differs\n", k); }
    outcome_free(&o);
    free(every);
    CHECK(!bad);
    outcome_free(&ref);
  }
}

/* -------------------------------------------------- allocation failures */

typedef struct {
  long left; /* allocations allowed before failing; < 0: unlimited */
  long live;
} budget;

static void *b_alloc(size_t n, void *ud) {
  budget *b = ud;
  if (b->left == 0) return NULL;
  if (b->left > 0) b->left--;
  void *p = malloc(n);
  if (p) b->live++;
  return p;
}
static void *b_realloc(void *p, size_t n, void *ud) {
  budget *b = ud;
  if (b->left == 0) return NULL;
  if (b->left > 0) b->left--;
  void *q = realloc(p, n);
  if (q && !p) b->live++;
  return q;
}
static void b_free(void *p, void *ud) {
  budget *b = ud;
  if (p) b->live--;
  free(p);
}

static void allocation_failures(void) {
  budget bud;
  lash_allocator a = {b_alloc, b_realloc, b_free, &bud};
  lash__install_json_hooks(&a);
  const char *req = "{\"model\":\"anthropic/claude-3\",\"messages\":[{\"role\":\"System\",\"blocks\":[" TEXT("s") "]},"
                    "{\"role\":\"User\",\"blocks\":[" TEXT_BP("q") ",{\"Image\":{\"attachment_idx\":0}}]},"
                    "{\"role\":\"Assistant\",\"blocks\":[{\"ToolCall\":{\"call_id\":\"c\",\"tool_name\":\"t\",\"input_json\":\"{}\","
                    "\"replay\":{\"opaque\":\"{\\\"type\\\":\\\"reasoning.encrypted\\\",\\\"id\\\":\\\"c\\\",\\\"data\\\":\\\"d\\\"}\"}}}]},"
                    "{\"role\":\"User\",\"blocks\":[{\"ToolResult\":{\"call_id\":\"c\",\"content\":\"r\",\"tool_name\":\"t\"}}]}],"
                    "\"attachments\":[{\"mime\":\"image/png\",\"data\":[1,2,3,4]}],\"tools\":[{\"name\":\"t\",\"description\":\"d\","
                    "\"input_schema\":{\"properties\":{\"a\":{\"const\":1},\"b\":{}}}}],\"model_variant\":\"high\","
                    "\"output_spec\":{\"JsonSchema\":{\"name\":\"n\",\"strict\":true,\"schema\":{\"properties\":{\"x\":{}}}}}}";
  const char *opts = "{\"base_url\":\"https://openrouter.ai/api/v1\"}";
  bud.left = -1;
  cJSON *rq = cJSON_Parse(req), *op = cJSON_Parse(opts);
  lash_err e = {0};
  size_t n;
  char *want = D->request_body(&a, rq, op, &n, &e);
  CHECK(want != NULL);
  int ok_seen = 0;
  for (long k = 0; k < 5000 && !ok_seen; k++) {
    bud.left = k;
    long live0 = bud.live;
    char *got = D->request_body(&a, rq, op, &n, &e);
    if (got) {
      ok_seen = 1;
      CHECK_STR(got, want);
      b_free(got, &bud);
    } else if (e.code != LASH_E_NOMEM) {
      CHECK(e.code == LASH_E_NOMEM);
      fprintf(stderr, "  at %ld: %s\n", k, e.detail);
      break;
    }
    CHECK(bud.live == live0);
  }
  CHECK(ok_seen);
  bud.left = -1;
  b_free(want, &bud);
  cJSON_Delete(rq);
  cJSON_Delete(op);

  /* streams: every allocation in turn fails; the result is NOMEM or the reference */
  const char *streams[] = {T_LASH, T_TOOLS, "{\"choices\":[{\"message\":{\"content\":\"x\",\"tool_calls\":[{\"id\":\"a\",\"function\":"
                                            "{\"name\":\"f\"}}]}}],\"usage\":{\"prompt_tokens\":1}}"};
  for (size_t si = 0; si < 3; si++) {
    const char *t = streams[si];
    bud.left = -1;
    outcome ref;
    run_stream(t, &ref);
    ok_seen = 0;
    for (long k = 0; k < 20000 && !ok_seen; k++) {
      bud.left = k;
      long live0 = bud.live;
      lash_stream *s = D->stream_new(&a);
      int rc = s ? LASH_OK : LASH_E_NOMEM;
      lash_buf log;
      lash__buf_init(&log, NULL); /* libc: outside the budget */
      for (size_t i = 0; i < strlen(t) && rc == LASH_OK; i += 40) {
        size_t m = strlen(t) - i < 40 ? strlen(t) - i : 40;
        rc = D->stream_feed(s, t + i, m, record, &log, &e);
      }
      cJSON *r = NULL;
      if (s && rc == LASH_OK) {
        r = D->stream_finish(s, NULL, NULL, &e);
        if (!r) rc = e.code;
      }
      if (r) {
        char *p = cJSON_PrintUnformatted(r);
        if (p) {
          ok_seen = 1;
          CHECK_STR(p, ref.json);
          cJSON_free(p);
        }
        cJSON_Delete(r);
      } else if (rc != LASH_E_NOMEM) {
        CHECK(rc == LASH_E_NOMEM);
        fprintf(stderr, "  stream %zu at %ld: %s\n", si, k, e.detail);
        D->stream_free(s);
        lash__buf_free(&log);
        break;
      }
      D->stream_free(s);
      lash__buf_free(&log);
      CHECK(bud.live == live0);
    }
    CHECK(ok_seen);
    outcome_free(&ref);
  }
  lash__install_json_hooks(NULL);
}

TEST_MAIN(RUN(multi_turn_tools); RUN(simple_bodies); RUN(tool_choice); RUN(images); RUN(reasoning_replay); RUN(max_tokens);
          RUN(reasoning_effort); RUN(openrouter_cache_control); RUN(schema_projection); RUN(structured_output); RUN(bad_requests);
          RUN(text_stream); RUN(reasoning_stream); RUN(tool_stream); RUN(lash_fixture); RUN(usage_rules); RUN(finish_reasons);
          RUN(errors); RUN(truncation); RUN(whole_message_fallbacks); RUN(framing_and_text); RUN(no_callback); RUN(bounds);
          RUN(split_invariance); RUN(allocation_failures))
