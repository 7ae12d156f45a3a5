/* The turn machine under the native sanitizer build, driven by a fake host:
 * scripted model responses, tools answered out of order, cancellation, batch,
 * max turns, invalid input. Expected values follow lash's rules (§2.6-§2.10). */
#include <stdlib.h>

#include "cJSON.h"
#include "lash/lash_host.h"
#include "test.h"

#define MAX_OPS 64
typedef struct {
  lash_core *core;
  uint32_t ops[MAX_OPS];
  cJSON *msgs[MAX_OPS];
  int n;
  const char **script; /* model responses, in order */
  int next;
  cJSON *result;       /* turn.done */
  cJSON *activities;
  cJSON *requests;
  cJSON *traces;       /* TraceRecords (op "trace") */
  int cancels;
} host_t;

static void call(void *ud, uint32_t op, const char *msg, size_t len, const char *body, size_t blen) {
  host_t *h = ud;
  cJSON *m = cJSON_ParseWithLength(msg, len);
  if (body) cJSON_AddItemToObject(m, "request", cJSON_ParseWithLength(body, blen));
  const char *kind = cJSON_GetObjectItem(m, "op")->valuestring;
  if (op == 0) {
    if (!strcmp(kind, "turn.done")) {
      cJSON_Delete(h->result);
      h->result = cJSON_DetachItemFromObject(cJSON_GetObjectItem(m, "done"), "result");
    }
    else if (!strcmp(kind, "activity")) cJSON_AddItemToArray(h->activities, cJSON_DetachItemFromObject(m, "activity"));
    else if (!strcmp(kind, "trace")) cJSON_AddItemToArray(h->traces, cJSON_DetachItemFromObject(m, "record"));
    else if (!strcmp(kind, "cancel")) h->cancels++;
    cJSON_Delete(m);
    return;
  }
  if (!strcmp(kind, "llm.call")) cJSON_AddItemToArray(h->requests, cJSON_Duplicate(cJSON_GetObjectItem(m, "request"), 1));
  h->ops[h->n] = op;
  h->msgs[h->n++] = m;
}

/* Answer every pending op; tools in reverse order (out of order on purpose). */
static int answer_all(host_t *h, int hold_tools) {
  int answered = 0;
  for (int i = h->n - 1; i >= 0; i--) {
    cJSON *m = h->msgs[i];
    const char *kind = cJSON_GetObjectItem(m, "op")->valuestring;
    char buf[512];
    const char *reply = NULL;
    int status = LASH_OP_OK;
    if (!strcmp(kind, "llm.call")) {
      reply = h->script[h->next] ? h->script[h->next++] : NULL;
      if (!reply) { reply = "{\"message\":\"script exhausted\"}"; status = LASH_OP_ERROR; }
    } else if (!strcmp(kind, "tool.call")) {
      if (hold_tools) continue;
      const char *name = cJSON_GetObjectItem(m, "name")->valuestring;
      if (!strcmp(name, "boom")) { reply = "{\"message\":\"kaput\"}"; status = LASH_OP_ERROR; }
      else {
        snprintf(buf, sizeof buf, "{\"output\":{\"outcome\":{\"status\":\"success\",\"payload\":\"ran %s\"}},\"duration_ms\":3}", name);
        reply = buf;
      }
    } else if (!strcmp(kind, "attachment.put")) {
      reply = "{\"id\":\"abc\",\"media_type\":{\"kind\":\"image\",\"type\":\"png\"},\"byte_len\":4}";
    }
    CHECK(lash_op_complete(h->core, h->ops[i], status, reply, strlen(reply)) == LASH_OK);
    cJSON_Delete(m);
    h->msgs[i] = h->msgs[--h->n];
    h->ops[i] = h->ops[h->n];
    answered++;
  }
  lash_run(h->core, 0);
  return answered;
}

static const char *CFG =
    "{\"kind\":\"standard\",\"provider\":{\"kind\":\"scripted\"},\"effect_host\":{\"tier\":\"inline\"},"
    "\"attachment_store\":{\"tier\":\"inline\"},\"process_env_store\":{\"tier\":\"inline\"},"
    "\"session_spec\":{\"provider_id\":\"scripted\",\"model\":{\"id\":\"m\",\"limits\":{\"context_window_tokens\":1000}},\"max_turns\":3},"
    "\"plugins\":[{\"id\":\"tool_output_budget\",\"config\":null}],"
    "\"tools\":[{\"name\":\"t1\",\"input_schema\":{\"type\":\"object\"},\"scheduling\":\"parallel\"},"
    "{\"name\":\"boom\",\"input_schema\":{\"type\":\"object\"},\"scheduling\":\"serial\"}]}";

static host_t *setup_cfg(const char **script, const char *cfg) {
  host_t *h = calloc(1, sizeof *h);
  static lash_host host;
  host.call = call;
  host.ud = h;
  h->core = lash_core_new(&host, NULL);
  h->script = script;
  h->activities = cJSON_CreateArray();
  h->requests = cJSON_CreateArray();
  h->traces = cJSON_CreateArray();
  CHECK(lash_core_build(h->core, cfg, strlen(cfg)) == LASH_OK);
  const char *open = "{\"session_id\":\"s\"}";
  CHECK(lash_session_open(h->core, open, strlen(open)) == LASH_OK);
  return h;
}

static host_t *setup(const char **script) { return setup_cfg(script, CFG); }

static void teardown(host_t *h) {
  for (int i = 0; i < h->n; i++) cJSON_Delete(h->msgs[i]);
  lash_core_free(h->core);
  cJSON_Delete(h->result);
  cJSON_Delete(h->activities);
  cJSON_Delete(h->requests);
  cJSON_Delete(h->traces);
  free(h);
}

static uint32_t start(host_t *h, const char *text) {
  char req[512];
  snprintf(req, sizeof req, "{\"session_id\":\"s\",\"provider_kind\":\"scripted\",\"input\":{\"items\":[{\"type\":\"text\",\"text\":\"%s\"}]}}", text);
  uint32_t no = 0;
  CHECK(lash_turn_start(h->core, req, strlen(req), &no) == LASH_OK);
  lash_run(h->core, 0);
  return no;
}

static char *outcome(host_t *h) {
  static char buf[512];
  char *s = h->result ? cJSON_PrintUnformatted(cJSON_GetObjectItem(h->result, "outcome")) : NULL;
  snprintf(buf, sizeof buf, "%s", s ? s : "(none)");
  free(s);
  return buf;
}

#define TEXT(t) "{\"parts\":[{\"Text\":{\"text\":\"" t "\"}}],\"usage\":{\"input_tokens\":5,\"output_tokens\":2},\"terminal_reason\":\"stop\"}"
#define CALLS(c) "{\"parts\":[" c "],\"terminal_reason\":\"tool_use\"}"
#define CALL(id, name) "{\"ToolCall\":{\"call_id\":\"" id "\",\"tool_name\":\"" name "\",\"input_json\":\"{}\"}}"

static void plain_answer(void) {
  const char *script[] = {TEXT("hi there"), NULL};
  host_t *h = setup(script);
  start(h, "hello");
  while (!h->result && answer_all(h, 0)) {}
  CHECK_STR(outcome(h), "{\"finished\":{\"assistant_message\":{\"text\":\"hi there\"}}}");
  CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(h->result, "state"), "turn_index")->valuedouble == 1);
  CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(h->result, "usage"), "input_tokens")->valuedouble == 5);
  teardown(h);
}

static void tools_then_answer_and_history(void) {
  const char *script[] = {CALLS(CALL("a", "t1") "," CALL("b", "missing") "," CALL("c", "boom")), TEXT("done"), NULL};
  host_t *h = setup(script);
  start(h, "go");
  while (!h->result && answer_all(h, 0)) {}
  CHECK_STR(outcome(h), "{\"finished\":{\"assistant_message\":{\"text\":\"done\"}}}");
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(h->result, "tool_calls")) == 3);
  /* the second request carries the tool results, in call order */
  cJSON *req = cJSON_GetArrayItem(h->requests, 1);
  cJSON *msgs = cJSON_GetObjectItem(req, "messages");
  cJSON *results = cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, cJSON_GetArraySize(msgs) - 1), "blocks");
  CHECK(cJSON_GetArraySize(results) == 3);
  CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(results, 0), "ToolResult"), "content")->valuestring, "ran t1");
  CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(results, 1), "ToolResult"), "content")->valuestring,
            "[Tool execution failed]\nTool is unavailable in this session");
  CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(results, 2), "ToolResult"), "content")->valuestring,
            "[Tool execution failed]\nkaput");
  teardown(h);
}

static void max_turns_stops(void) {
  const char *script[] = {CALLS(CALL("a", "t1")), CALLS(CALL("b", "t1")), CALLS(CALL("c", "t1")), TEXT("never"), NULL};
  host_t *h = setup(script);
  start(h, "loop");
  while (!h->result && answer_all(h, 0)) {}
  CHECK_STR(outcome(h), "{\"stopped\":\"max_turns\"}");
  CHECK(h->next == 3); /* max_turns = 3 model calls */
  const char *view_req = "{\"session_id\":\"s\"}";
  CHECK(lash_session_read_view(h->core, view_req, strlen(view_req)) == LASH_OK);
  size_t n;
  const char *view = lash_core_result(h->core, &n);
  CHECK(strstr(view, "Turn limit reached (3) before a final assistant response.") != NULL);
  teardown(h);
}

static void batch_results_sorted(void) {
  const char *script[] = {
      CALLS("{\"ToolCall\":{\"call_id\":\"b1\",\"tool_name\":\"batch\",\"input_json\":\"{\\\"tool_calls\\\":[{\\\"tool\\\":\\\"boom\\\",\\\"parameters\\\":{}},{\\\"tool\\\":\\\"t1\\\",\\\"parameters\\\":{}},{\\\"tool\\\":\\\"batch\\\",\\\"parameters\\\":{}}]}\"}}"),
      TEXT("ok"), NULL};
  host_t *h = setup(script);
  start(h, "batch");
  while (!h->result && answer_all(h, 0)) {}
  CHECK_STR(outcome(h), "{\"finished\":{\"assistant_message\":{\"text\":\"ok\"}}}");
  cJSON *rec = cJSON_GetArrayItem(cJSON_GetObjectItem(h->result, "tool_calls"), 0);
  cJSON *res = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(rec, "output"), "outcome"), "payload"), "results");
  CHECK(cJSON_GetArraySize(res) == 3);
  for (int i = 0; i < 3; i++) CHECK(cJSON_GetObjectItem(cJSON_GetArrayItem(res, i), "index")->valuedouble == i);
  CHECK(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetArrayItem(res, 0), "success")));
  CHECK(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(res, 1), "success")));
  CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(res, 2), "error")->valuestring, "Tool 'batch' is not allowed inside batch");
  teardown(h);
}

static void cancel_during_tools(void) {
  const char *script[] = {CALLS(CALL("a", "t1")), TEXT("unused"), NULL};
  host_t *h = setup(script);
  uint32_t no = start(h, "slow");
  answer_all(h, 1); /* the model answers; the tool stays pending */
  CHECK(h->n == 1);
  CHECK(lash_turn_cancel(h->core, no) == 1);
  lash_run(h->core, 1);
  CHECK_STR(outcome(h), "{\"stopped\":\"cancelled\"}");
  CHECK(h->cancels == 1); /* the host was told to abort the tool */
  /* a late completion of the cancelled op is refused, not applied */
  CHECK(lash_op_complete(h->core, h->ops[0], LASH_OP_OK, "{}", 2) == LASH_E_UNKNOWN_OP);
  cJSON_Delete(h->msgs[0]);
  h->n = 0;
  /* the session stays usable */
  cJSON_Delete(h->result);
  h->result = NULL;
  start(h, "again");
  while (!h->result && answer_all(h, 0)) {}
  CHECK_STR(outcome(h), "{\"finished\":{\"assistant_message\":{\"text\":\"unused\"}}}");
  teardown(h);
}

static void invalid_image_ref_commits_nothing(void) {
  const char *script[] = {NULL};
  host_t *h = setup(script);
  const char *req = "{\"session_id\":\"s\",\"provider_kind\":\"scripted\",\"input\":{\"items\":[{\"type\":\"image_ref\",\"id\":\"\"}]}}";
  uint32_t no;
  CHECK(lash_turn_start(h->core, req, strlen(req), &no) == LASH_OK);
  lash_run(h->core, 0);
  CHECK_STR(outcome(h), "{\"stopped\":\"invalid_input\"}");
  const char *v = "{\"session_id\":\"s\"}";
  lash_session_read_view(h->core, v, strlen(v));
  size_t n;
  CHECK(strstr(lash_core_result(h->core, &n), "\"messages\":[]") != NULL);
  teardown(h);
}

static void provider_mismatch_is_runtime_error(void) {
  const char *script[] = {NULL};
  host_t *h = setup(script);
  const char *req = "{\"session_id\":\"s\",\"provider_kind\":\"other\",\"input\":{\"items\":[]}}";
  uint32_t no;
  CHECK(lash_turn_start(h->core, req, strlen(req), &no) == LASH_E_RUNTIME);
  size_t n;
  const char *err = lash_core_last_error(h->core, &n);
  CHECK(strstr(err, "\"runtime_code\":\"llm_provider\"") && strstr(err, "`scripted`") && strstr(err, "`other`"));
  teardown(h);
}

/* TraceRecords (lash-trace schema 2) only with a trace config; none without. */
static void traced_tool_turn(void) {
  char cfg[2048];
  snprintf(cfg, sizeof cfg, "%.*s,\"trace\":{\"context\":{\"run_id\":\"r\"}}}", (int)strlen(CFG) - 1, CFG);
  const char *script[] = {CALLS(CALL("a", "t1")), TEXT("done"), NULL};
  host_t *h = setup_cfg(script, cfg);
  start(h, "go");
  while (!h->result && answer_all(h, 0)) {}
  CHECK_STR(outcome(h), "{\"finished\":{\"assistant_message\":{\"text\":\"done\"}}}");
  static const char *const order[] = {"turn_started", "prompt_built", "llm_call_started", "llm_call_completed",
                                      "tool_call_started", "tool_call_completed", "llm_call_started",
                                      "llm_call_completed", "turn_completed"};
  CHECK(cJSON_GetArraySize(h->traces) == 9);
  for (int i = 0; i < 9 && i < cJSON_GetArraySize(h->traces); i++) {
    cJSON *r = cJSON_GetArrayItem(h->traces, i);
    CHECK_STR(cJSON_GetObjectItem(r, "type")->valuestring, order[i]);
    CHECK(cJSON_GetObjectItem(r, "schema_version")->valuedouble == 2);
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "context"), "run_id")->valuestring, "r");
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "context"), "session_id")->valuestring, "s");
  }
  CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(h->traces, 0), "timestamp")->valuestring, "1970-01-01T00:00:00+00:00");
  cJSON *llm = cJSON_GetArrayItem(h->traces, 6);
  CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(llm, "context"), "llm_call_id")->valuestring, "s:1:1:1");
  cJSON *done = cJSON_GetArrayItem(h->traces, 8);
  CHECK_STR(cJSON_GetObjectItem(done, "status")->valuestring, "completed");
  CHECK_STR(cJSON_GetObjectItem(done, "done_reason")->valuestring, "assistant_message");
  teardown(h);

  h = setup(script); /* no trace config: no records */
  start(h, "go");
  while (!h->result && answer_all(h, 0)) {}
  CHECK(cJSON_GetArraySize(h->traces) == 0);
  teardown(h);
}

TEST_MAIN(RUN(traced_tool_turn); RUN(plain_answer); RUN(tools_then_answer_and_history); RUN(max_turns_stops); RUN(batch_results_sorted);
          RUN(cancel_during_tools); RUN(invalid_image_ref_commits_nothing); RUN(provider_mismatch_is_runtime_error))
