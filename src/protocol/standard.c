/* The standard protocol (lash-protocol-standard): the model calls tools directly,
 * `batch` runs up to 25 independent calls at once, tool results come back as
 * ToolResult parts shaped by the tool-output budget. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/message.h"
#include "model/render.h"
#include "prompt/prompt.h"
#include "protocol/protocol.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/json.h"

#define BATCH_MAX 25

/* ---- ToolCallOutput (lash ToolResult) ------------------------------------ */

cJSON *lash__tool_failure(const char *klass, const char *code, const char *message, const char *source) {
  cJSON *f = cJSON_CreateObject();
  cJSON_AddStringToObject(f, "class", klass);
  cJSON_AddStringToObject(f, "code", code);
  cJSON_AddStringToObject(f, "message", message);
  cJSON_AddStringToObject(f, "source", source);
  cJSON *retry = cJSON_AddObjectToObject(f, "retry");
  cJSON_AddStringToObject(retry, "type", "never");
  cJSON *out = cJSON_CreateObject();
  cJSON *oc = cJSON_AddObjectToObject(out, "outcome");
  cJSON_AddStringToObject(oc, "status", "failure");
  lash__json_put(oc, "payload", f);
  return out;
}

cJSON *lash__tool_error(const char *message) { /* lash ToolResult::err_fmt */
  cJSON *out = lash__tool_failure("execution", "tool_error", message, "tool");
  cJSON *payload = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(out, "outcome"), "payload");
  cJSON_AddStringToObject(payload, "raw", message);
  return out;
}

cJSON *lash__tool_cancelled(void) {
  cJSON *out = cJSON_CreateObject();
  cJSON *oc = cJSON_AddObjectToObject(out, "outcome");
  cJSON_AddStringToObject(oc, "status", "cancelled");
  cJSON *p = cJSON_AddObjectToObject(oc, "payload");
  cJSON_AddStringToObject(p, "message", "tool call cancelled");
  cJSON_AddStringToObject(p, "source", "runtime");
  return out;
}

cJSON *lash__tool_success(cJSON *value /* owned */) {
  cJSON *out = cJSON_CreateObject();
  cJSON *oc = cJSON_AddObjectToObject(out, "outcome");
  cJSON_AddStringToObject(oc, "status", "success");
  lash__json_put(oc, "payload", value);
  return out;
}

int lash__tool_succeeded(const cJSON *out) {
  const char *st = lash__json_str(cJSON_GetObjectItemCaseSensitive(out, "outcome"), "status");
  return st && !strcmp(st, "success");
}

/* ---- tool specs and prompt ------------------------------------------------ */

static cJSON *standard_tool_specs(void) {
  static const char batch_schema[] =
      "{\"type\":\"object\",\"properties\":{\"tool_calls\":{\"type\":\"array\",\"minItems\":1,\"maxItems\":25,"
      "\"items\":{\"type\":\"object\",\"properties\":{\"tool\":{\"type\":\"string\"},\"parameters\":{\"type\":"
      "\"object\",\"additionalProperties\":true}},\"required\":[\"tool\",\"parameters\"],\"additionalProperties\":false},"
      "\"description\":\"Array of 1-25 objects like { tool: \\\"read_file\\\", parameters: { path: \\\"src/main.rs\\\" } }. "
      "Use only for independent calls. Do not include another batch call. More than 25 calls is rejected as a tool error.\"}},"
      "\"required\":[\"tool_calls\"],\"additionalProperties\":false}";
  static const char batch_out[] =
      "{\"type\":\"object\",\"properties\":{\"results\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":"
      "{\"index\":{\"type\":\"integer\",\"minimum\":0},\"tool\":{\"type\":\"string\"},\"success\":{\"type\":\"boolean\"},"
      "\"duration_ms\":{\"type\":\"integer\",\"minimum\":0},\"result\":{},\"error\":{}},\"required\":[\"index\",\"tool\","
      "\"success\",\"duration_ms\"],\"additionalProperties\":false}}},\"required\":[\"results\"],\"additionalProperties\":false}";
  cJSON *specs = cJSON_CreateArray();
  cJSON *b = cJSON_CreateObject();
  cJSON_AddStringToObject(b, "name", "batch");
  cJSON_AddStringToObject(b, "description", "Execute up to 25 independent tool calls concurrently. Calls start in parallel; ordering is not guaranteed. Calls past index 25 are rejected.");
  lash__json_put(b, "input_schema", cJSON_Parse(batch_schema));
  lash__json_put(b, "output_schema", cJSON_Parse(batch_out));
  lash__json_put(b, "input_schema_projections", cJSON_CreateArray());
  lash__json_put(b, "output_schema_projections", cJSON_CreateArray());
  lash__json_push(specs, b);
  return specs;
}

static cJSON *no_tool_specs(void) { return cJSON_CreateArray(); }

/* ---- request projection (lash ChatContextProjector + structured prompt) -- */

/* The LlmRequest JSON text: committed history comes from the session's cache,
 * so a request costs one copy per message however long the session grows. */
static char *project_request(const lash_allocator *a, const lash_proto_request *in, size_t *len) {
  lash_buf b;
  lash__buf_init(&b, a);
  cJSON *atts = cJSON_CreateArray();
  lash__buf_puts(&b, "{\"model\":");
  const char *model = lash__json_str(in->model, "id") ? lash__json_str(in->model, "id") : "";
  lash__buf_json_string(&b, model, strlen(model));
  lash__buf_puts(&b, ",\"messages\":[");
  int first = 1;
  if (in->system_json) { lash__buf_puts(&b, in->system_json); first = 0; }
  const cJSON *msg = in->history ? in->history->child : NULL;
  for (size_t i = 0; msg; i++, msg = msg->next) {
    char *fresh = NULL;
    const char *text = i < in->nrendered ? in->rendered[i] : NULL;
    if (!text) {
      int refs;
      text = fresh = lash__render_message_text(a, msg, atts, &refs);
    }
    if (text && *text) {
      if (!first) lash__buf_puts(&b, ",");
      lash__buf_puts(&b, text);
      first = 0;
    }
    lash__free(a, fresh);
  }
  cJSON_ArrayForEach(msg, in->turn_msgs) {
    int refs;
    char *text = lash__render_message_text(a, msg, atts, &refs);
    if (text && *text) {
      if (!first) lash__buf_puts(&b, ",");
      lash__buf_puts(&b, text);
      first = 0;
    }
    lash__free(a, text);
  }
  char *att_text = cJSON_PrintUnformatted(atts);
  cJSON_Delete(atts);
  lash__buf_puts(&b, "],\"attachments\":");
  lash__buf_puts(&b, att_text ? att_text : "[]");
  cJSON_free(att_text);
  lash__buf_puts(&b, ",\"tools\":");
  lash__buf_puts(&b, in->tools_json ? in->tools_json : "[]");
  lash__buf_puts(&b, ",\"tool_choice\":\"Auto\",\"model_variant\":");
  const char *variant = lash__json_str(in->model, "variant");
  if (variant) lash__buf_json_string(&b, variant, strlen(variant));
  else lash__buf_puts(&b, "null");
  const cJSON *cap = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(in->model, "limits"), "output_token_capacity");
  if (cJSON_IsNumber(cap)) lash__buf_printf(&b, ",\"generation\":{\"output_token_cap\":%.0f}", cap->valuedouble);
  else lash__buf_puts(&b, ",\"generation\":{}");
  lash__buf_puts(&b, ",\"session_id\":");
  lash__buf_json_string(&b, in->session_id, strlen(in->session_id));
  lash__buf_puts(&b, ",\"output_spec\":null}");
  return lash__buf_take(&b, len);
}

/* ---- response handling ---------------------------------------------------- */

/* Text, reasoning and tool calls in provider order: an Assistant message and
 * the calls to run, or the final text. */
static int on_response(const lash_allocator *a, lash_rng *rng, const cJSON *parts, lash_proto_step *out) {
  out->assistant = NULL;
  out->text = NULL;
  lash_buf text;
  lash__buf_init(&text, a);
  char mid[34];
  lash__message_id(rng, mid);
  cJSON *asst = lash__message_new(mid, "Assistant");
  int ncalls = 0, has_reasoning = 0;
  const cJSON *part;
  cJSON_ArrayForEach(part, parts) {
    const cJSON *tp = cJSON_GetObjectItemCaseSensitive(part, "Text");
    const cJSON *rp = cJSON_GetObjectItemCaseSensitive(part, "Reasoning");
    const cJSON *cp = cJSON_GetObjectItemCaseSensitive(part, "ToolCall");
    if (tp && lash__json_str(tp, "text") && *lash__json_str(tp, "text")) {
      const char *s = lash__json_str(tp, "text");
      lash__buf_puts(&text, s);
      if (s[strspn(s, " \n\t\r")]) lash__message_add_part(asst, lash__part_new(mid, 0, "Prose", s));
    } else if (rp && lash__json_str(rp, "text")) {
      const char *s = lash__json_str(rp, "text");
      const cJSON *replay = cJSON_GetObjectItemCaseSensitive(rp, "replay");
      if (!s[strspn(s, " \n\t\r")] && !(cJSON_IsObject(replay) && replay->child)) continue;
      has_reasoning = 1;
      cJSON *p = lash__part_new(mid, 0, "Reasoning", s);
      if (cJSON_IsObject(replay) && replay->child) lash__json_put(p, "reasoning_meta", cJSON_Duplicate(replay, 1));
      lash__message_add_part(asst, p);
    } else if (cp && lash__json_str(cp, "call_id") && lash__json_str(cp, "tool_name")) {
      const char *input = lash__json_str(cp, "input_json") ? lash__json_str(cp, "input_json") : "{}";
      cJSON *p = lash__part_new(mid, 0, "ToolCall", input);
      cJSON_AddStringToObject(p, "tool_call_id", lash__json_str(cp, "call_id"));
      cJSON_AddStringToObject(p, "tool_name", lash__json_str(cp, "tool_name"));
      const cJSON *replay = cJSON_GetObjectItemCaseSensitive(cp, "replay");
      if (cJSON_IsObject(replay)) lash__json_put(p, "tool_replay", cJSON_Duplicate(replay, 1));
      lash__message_add_part(asst, p);
      cJSON *args = cJSON_Parse(input);
      if (!cJSON_IsObject(args)) { cJSON_Delete(args); args = cJSON_CreateObject(); } /* lash: invalid JSON -> {} */
      out->add_call(out->ud, lash__json_str(cp, "call_id"), lash__json_str(cp, "tool_name"), args);
      ncalls++;
    }
  }
  const char *all = text.data ? text.data : "";
  int verdict;
  if (ncalls) {
    out->assistant = asst;
    verdict = LASH_PROTO_CONTINUE;
  } else {
    cJSON_Delete(asst);
    verdict = !all[strspn(all, " \n\t\r")] && !has_reasoning ? LASH_PROTO_EMPTY : LASH_PROTO_FINISH;
    if (verdict == LASH_PROTO_FINISH) out->text = lash__strndup(a, all, strlen(all));
  }
  lash__buf_free(&text);
  return verdict;
}

/* ---- batch (lash-protocol-standard batch.rs) ------------------------------ */

static int owns_batch(const char *name) { return !strcmp(name, "batch"); }
static int owns_nothing(const char *name) { (void)name; return 0; }

static int expand_batch(const char *call_id, const cJSON *args, lash_proto_child_fn child, void *ud, cJSON **failure) {
  const cJSON *calls = cJSON_GetObjectItemCaseSensitive(args, "tool_calls");
  char msg[96];
  *failure = NULL;
  if (!cJSON_IsArray(calls)) { *failure = lash__tool_error("Missing required parameter: tool_calls"); return 0; }
  int n = cJSON_GetArraySize(calls);
  if (n == 0) { *failure = lash__tool_error("Invalid tool_calls: expected at least one call"); return 0; }
  int idx = 0;
  const cJSON *item;
  cJSON_ArrayForEach(item, calls) { /* validate all before running any */
    const char *tool = cJSON_IsObject(item) ? lash__json_str(item, "tool") : NULL;
    if (!cJSON_IsObject(item)) {
      snprintf(msg, sizeof msg, "Invalid tool_calls[%d]: expected object with tool and parameters", idx);
      *failure = lash__tool_error(msg);
      return 0;
    }
    if (!tool || !tool[strspn(tool, " \t\n\r")]) {
      snprintf(msg, sizeof msg, "Invalid tool_calls[%d].tool: expected non-empty string", idx);
      *failure = lash__tool_error(msg);
      return 0;
    }
    idx++;
  }
  idx = 0;
  cJSON_ArrayForEach(item, calls) {
    char cid[160], name[128];
    const char *tool = lash__json_str(item, "tool");
    while (*tool == ' ' || *tool == '\t' || *tool == '\n') tool++;
    snprintf(name, sizeof name, "%s", tool);
    for (size_t k = strlen(name); k && (name[k - 1] == ' ' || name[k - 1] == '\t' || name[k - 1] == '\n'); k--) name[k - 1] = 0;
    snprintf(cid, sizeof cid, "%s:%02d", call_id, idx);
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(item, "parameters");
    const char *refused = idx >= BATCH_MAX ? "Maximum of 25 tool calls allowed in batch"
                          : !strcmp(name, "batch") ? "Tool 'batch' is not allowed inside batch" : NULL;
    if (!child(ud, cid, name, params ? cJSON_Duplicate(params, 1) : cJSON_CreateObject(), refused)) break;
    idx++;
  }
  return n;
}

static cJSON *combine_batch(const lash_proto_done *kids, int n, double *duration_ms) {
  cJSON *results = cJSON_CreateArray();
  double dur = 0;
  for (int i = 0; i < n; i++) {
    const lash_proto_done *c = &kids[i];
    int ok = lash__tool_succeeded(c->output);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddNumberToObject(r, "index", c->index);
    cJSON_AddStringToObject(r, "tool", c->name);
    cJSON_AddBoolToObject(r, "success", ok);
    cJSON_AddNumberToObject(r, "duration_ms", floor(c->duration_ms));
    const cJSON *payload = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c->output, "outcome"), "payload");
    /* lash: output.value_for_projection(): the value, or the failure/cancellation JSON;
     * entries refused before dispatch carry just their message */
    lash__json_put(r, ok ? "result" : "error", c->refused ? cJSON_CreateString(c->refused) : cJSON_Duplicate(payload, 1));
    lash__json_push(results, r);
    if (c->duration_ms > dur) dur = c->duration_ms;
  }
  cJSON *v = cJSON_CreateObject();
  lash__json_put(v, "results", results);
  *duration_ms = dur;
  return lash__tool_success(v);
}

/* ---- tool-result shaping --------------------------------------------------- */

static cJSON *result_parts(const lash_budget_cfg *budget, const char *name, const cJSON *output) {
  if (budget) return lash__budget_project(budget, name, output);
  /* without the budget plugin the model sees the plain rendering */
  lash_budget_cfg open = {LASH_BUDGET_BYTES, (size_t)-1 / 2, (size_t)-1 / 2};
  return lash__budget_project(&open, name, output);
}

/* ---- the tables ------------------------------------------------------------ */

const lash_protocol lash__protocol_standard = {
    "standard",       standard_tool_specs, lash__prompt_standard_preamble, lash__prompt_standard_execution_text,
    project_request,  on_response,         owns_batch,                     expand_batch,
    combine_batch,    result_parts,
};

/* A config whose protocol this build does not drive yet (RLM): the standard
 * turn without the protocol's own tool, as before the RLM driver exists. */
static const lash_protocol direct = {
    "direct",         no_tool_specs, lash__prompt_standard_preamble, lash__prompt_standard_execution_text,
    project_request,  on_response,   owns_nothing,                   expand_batch,
    combine_batch,    result_parts,
};

const lash_protocol *lash__protocol_for(const cJSON *config) {
  const char *proto = lash__json_str(config, "protocol");
  const char *kind = lash__json_str(config, "kind");
  int standard = (proto && !strcmp(proto, "standard")) || (kind && !strcmp(kind, "standard"));
  return standard ? &lash__protocol_standard : &direct;
}
