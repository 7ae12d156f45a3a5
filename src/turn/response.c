/* A model call's answer: a provider failure, a terminal reason that ends the
 * turn, or parts the protocol turns into tool calls to run (-> TOOLS) or the
 * final text (-> COMMIT). Usage and the streamed deltas are reported here. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "turn/machine.h"
#include "util/alloc.h"
#include "util/ids.h"

static int last_message_has_tool_result(lash_turn *t) {
  int n = cJSON_GetArraySize(t->msgs);
  const cJSON *last = n ? cJSON_GetArrayItem(t->msgs, n - 1) : NULL;
  if (!last && t->s->messages && t->s->messages->child) last = t->s->messages->child->prev; /* cJSON's tail */
  if (!last || !lash__json_str(last, "role") || strcmp(lash__json_str(last, "role"), "User")) return 0;
  const cJSON *p;
  cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(last, "parts"))
    if (lash__json_str(p, "kind") && !strcmp(lash__json_str(p, "kind"), "ToolResult")) return 1;
  return 0;
}

static double num(const cJSON *o, const char *k) { return lash__json_num(o, k, 0); }

/* A call the protocol read from the response: a tool slot, in response order. */
static void add_call(void *ud, const char *call_id, const char *name, cJSON *args) {
  lash_turn *t = ud;
  lash__turn_tools_add(t, call_id, name, args, -1, t->tools.ncalls++);
}

static int failed(lash_turn *t, int status, cJSON *r) {
  const char *code = lash__json_str(r, "code"), *terminal = lash__json_str(r, "terminal_reason");
  if (t->tr.on) {
    if (t->cancelled || status == LASH_OP_CANCELLED) lash__turn_trace_llm_cancelled(t);
    else {
      const char *m = lash__json_str(r, "message");
      lash__turn_trace_llm_failed(t, m ? m : (status == LASH_OP_OK ? "provider returned an unreadable response" : "provider call failed"),
                                  cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "retryable")), terminal ? terminal : "provider_error",
                                  code, lash__json_str(r, "raw"));
    }
  }
  if (t->cancelled || status == LASH_OP_CANCELLED || (code && !strcmp(code, "cancelled"))) {
    cJSON_Delete(r);
    lash__turn_stop(t, "cancelled");
    return TURN_COMMIT;
  }
  const char *m = lash__json_str(r, "message");
  lash_buf b;
  lash__buf_init(&b, &t->core->alloc);
  lash__buf_printf(&b, "LLM error: %s", m ? m : (status == LASH_OP_OK ? "provider returned an unreadable response" : "provider call failed"));
  lash__turn_emit_error(t, "llm_provider", code, terminal ? terminal : "provider_error", b.data ? b.data : "LLM error");
  lash__buf_free(&b);
  cJSON_Delete(r);
  lash__turn_stop(t, "provider_error");
  return TURN_COMMIT;
}

/* A terminal reason other than stop/tool_use/unknown ends the turn; 1 if it did. */
static int terminal_stop(lash_turn *t, const cJSON *r, const lash_usage *call) {
  const char *terminal = lash__json_str(r, "terminal_reason");
  /* lash refine_terminal_reason_for_context_window: a zero-output OutputLimit with
   * the prompt at >= 95% of the window is a context overflow */
  const cJSON *limits = cJSON_GetObjectItemCaseSensitive(t->model, "limits");
  double window = num(limits, "context_window_tokens");
  const char *diagnostic = lash__json_str(r, "terminal_diagnostic");
  if (terminal && !strcmp(terminal, "output_limit") && call->output == 0 && window > 0 &&
      call->input + call->cached >= floor(window * 95 / 100)) {
    terminal = "context_overflow";
    diagnostic = "Model produced no output because the prompt reached the configured context window.";
  }
  if (!terminal || !strcmp(terminal, "stop") || !strcmp(terminal, "tool_use") || !strcmp(terminal, "unknown")) return 0;
  static const char *const names[][2] = {{"output_limit", "OutputLimit"}, {"context_overflow", "ContextOverflow"},
                                         {"content_filter", "ContentFilter"}, {"provider_error", "ProviderError"},
                                         {"cancelled", "Cancelled"}};
  const char *debug = "ProviderError";
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) if (!strcmp(terminal, names[i][0])) debug = names[i][1];
  const char *why = !strcmp(terminal, "output_limit") ? "incomplete"
                    : !strcmp(terminal, "cancelled")  ? "cancelled"
                                                       : "provider_error";
  char msg[128];
  if (!diagnostic) { snprintf(msg, sizeof msg, "Model call ended with terminal reason %s.", debug); diagnostic = msg; }
  char term[32];
  snprintf(term, sizeof term, "%s", terminal);
  lash__turn_emit_error(t, "llm_provider", term, term, diagnostic);
  lash__turn_stop(t, why);
  return 1;
}

int lash__turn_response(lash_turn *t, int status, cJSON *r) {
  if (status != LASH_OP_OK || !cJSON_IsObject(r) || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(r, "parts")))
    return failed(t, status, r);
  lash__turn_trace_llm_completed(t, r);
  /* lash's runtime hands the response parts to the stream before the machine
   * records usage: prose/reasoning deltas first (unless already streamed), then usage */
  int streamed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "text_streamed"));
  char corr[37];
  lash__uuid4(&t->core->rng, corr);
  if (!streamed) {
    const cJSON *part;
    cJSON_ArrayForEach(part, cJSON_GetObjectItemCaseSensitive(r, "parts")) {
      const cJSON *tp = cJSON_GetObjectItemCaseSensitive(part, "Text");
      const cJSON *rp = cJSON_GetObjectItemCaseSensitive(part, "Reasoning");
      const char *s = lash__json_str(tp ? tp : rp, "text");
      if (!s || !*s) continue;
      cJSON *f = cJSON_CreateObject();
      cJSON_AddStringToObject(f, "text", s);
      lash__turn_emit(t, tp ? corr : NULL, tp ? "assistant_prose_delta" : "reasoning_delta", f);
    }
  }
  const cJSON *u = cJSON_GetObjectItemCaseSensitive(r, "usage");
  lash_usage call = {num(u, "input_tokens"), num(u, "output_tokens"), num(u, "cached_input_tokens"), num(u, "reasoning_tokens")};
  lash__usage_add(&t->usage, &call);
  cJSON *uf = cJSON_CreateObject();
  cJSON_AddNumberToObject(uf, "protocol_iteration", t->iteration);
  lash__json_put(uf, "usage", lash__usage_json(&call));
  lash__json_put(uf, "cumulative", lash__usage_json(&t->usage));
  lash__turn_emit(t, NULL, "usage", uf);
  if (terminal_stop(t, r, &call)) {
    cJSON_Delete(r);
    return TURN_COMMIT;
  }

  lash_proto_step step = {add_call, t, NULL, NULL};
  t->tools.ncalls = 0;
  int verdict = t->proto->on_response(&t->core->alloc, &t->core->rng, cJSON_GetObjectItemCaseSensitive(r, "parts"), &step);
  cJSON_Delete(r);
  if (verdict != LASH_PROTO_CONTINUE) {
    if (verdict == LASH_PROTO_FINISH) lash__turn_finish_text(t, step.text ? step.text : "");
    else if (last_message_has_tool_result(t)) lash__turn_finish_text(t, "");
    else {
      lash__turn_emit_error(t, "llm_provider", "empty_response", NULL, "Model returned no assistant text or tool calls.");
      lash__turn_stop(t, "provider_error");
    }
    lash__free(&t->core->alloc, step.text);
    if (t->cancelled) lash__turn_stop(t, "cancelled");
    return TURN_COMMIT;
  }
  lash__json_push(t->msgs, step.assistant);
  t->had_tools = 1;
  lash__turn_tools_begin(t);
  return TURN_TOOLS;
}
