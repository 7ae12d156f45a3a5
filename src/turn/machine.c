/* The turn task: start, cancel, and turn_step, a dispatcher over the five
 * states of turn/machine.h. What a state does is its sub-machine's business. */
#include <stdio.h>
#include <string.h>

#include "model/render.h"
#include "prompt/prompt.h"
#include "session/session.h"
#include "turn/machine.h"
#include "turn/trace.h"
#include "util/alloc.h"

/* cJSON's builders drop what they cannot allocate without a word, so whatever a
 * step built is whole only if no allocation failed meanwhile. A turn that ran out
 * sends nothing it built from then on (no request, commit or activity goes out
 * half-built) and stops with OutOfMemory (turn_resume). */
int lash__turn_oom(lash_turn *t) {
  if (lash__alloc_failures() != t->failures) t->oom = 1;
  return t->oom;
}

cJSON *lash__turn_op_json(const char *payload, size_t len) {
  lash_err e;
  return lash__json_parse(payload, len, LASH_MAX_OP_RESULT_BYTES, "result", &e);
}

void lash__turn_stop(lash_turn *t, const char *why) {
  cJSON_Delete(t->outcome);
  t->outcome = cJSON_CreateObject();
  cJSON_AddStringToObject(t->outcome, "stopped", why);
}

void lash__turn_finish_text(lash_turn *t, const char *text) {
  cJSON_Delete(t->outcome);
  t->outcome = cJSON_CreateObject();
  cJSON *f = cJSON_AddObjectToObject(t->outcome, "finished");
  cJSON *am = cJSON_AddObjectToObject(f, "assistant_message");
  cJSON_AddStringToObject(am, "text", text);
  lash__free(&t->core->alloc, t->final_text);
  t->final_text = lash__strndup(&t->core->alloc, text, strlen(text));
}

static int turn_step(lash_turn *t) {
  for (;;) {
    int next;
    switch (t->state) {
      case TURN_INPUT: next = lash__turn_input_step(t); break;
      case TURN_MODEL: next = lash__turn_model_step(t); break;
      case TURN_TOOLS: next = lash__turn_tools_step(t); break;
      case TURN_COMMIT: next = lash__turn_commit_step(t); break;
      default: return LASH_TASK_DONE;
    }
    if (next == TURN_PARK) return LASH_TASK_PARKED;
    t->state = next;
  }
}

static int turn_resume(lash_task *task) {
  lash_turn *t = (lash_turn *)task;
  t->failures = lash__alloc_failures(); /* failures before this step were not the turn's */
  int r = turn_step(t);
  if (t->rep.reported || !lash__turn_oom(t)) return r;
  /* out of memory: the turn stops with an error written without allocating; its
   * ops in flight are cancelled as the task ends */
  lash__turn_abandon(t);
  lash__turn_report_oom(t);
  return LASH_TASK_DONE;
}

static void turn_destroy(lash_task *task) {
  lash_turn *t = (lash_turn *)task;
  lash_allocator *a = &t->core->alloc;
  if (t->s) lash__session_turn_end(t->s);
  lash__turn_input_free(t);
  lash__turn_model_free(t);
  lash__turn_tools_free(t);
  lash__turn_commit_free(t);
  cJSON_Delete(t->model);
  cJSON_Delete(t->msgs);
  cJSON_Delete(t->outcome);
  cJSON_Delete(t->errors);
  cJSON_Delete(t->tool_records);
  lash__free(a, t->system_prompt);
  lash__free(a, t->system_json);
  lash__free(a, t->final_text);
  lash__buf_free(&t->rep.done_msg);
  lash__free(a, t);
}

/* The system prompt: protocol preamble -> core layer -> session layer -> turn
 * layer; without a turn layer the session's rendering is reused (and kept). */
static int system_prompt(lash_turn *t, const cJSON *prompt, unsigned long failures, lash_err *e) {
  lash_core *c = t->core;
  lash_session *s = t->s;
  int turn_layer = !lash__json_is_nullish(prompt);
  if (!turn_layer && s->system_prompt) {
    t->system_prompt = lash__strndup(&c->alloc, s->system_prompt, strlen(s->system_prompt));
    if (s->system_json) t->system_json = lash__strndup(&c->alloc, s->system_json, strlen(s->system_json));
    return LASH_OK;
  }
  const char *tools[128];
  size_t nt = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, c->tool_specs) if (nt < 127) tools[nt++] = lash__json_str(it, "name");
  tools[nt] = NULL;
  cJSON *preamble = t->proto->prompt_preamble();
  lash_prompt_ctx pctx = {preamble, t->proto->execution_text(), tools};
  const cJSON *layers[3] = {cJSON_GetObjectItemCaseSensitive(c->config, "prompt"), s->prompt, turn_layer ? prompt : NULL};
  size_t plen;
  t->system_prompt = lash__prompt_render(&c->alloc, &pctx, layers, 3, &plen, e);
  cJSON_Delete(preamble);
  if (!t->system_prompt) return e->code ? e->code : LASH_E_NOMEM;
  if (t->system_prompt[strspn(t->system_prompt, " \n\t\r")]) { /* the prompt itself, no "Runtime note:" */
    cJSON *sys = cJSON_CreateObject();
    cJSON_AddStringToObject(sys, "role", "System");
    lash__json_push(cJSON_AddArrayToObject(sys, "blocks"), lash__text_block(t->system_prompt));
    char *text = cJSON_PrintUnformatted(sys);
    t->system_json = text ? lash__strndup(&c->alloc, text, strlen(text)) : NULL;
    cJSON_free(text);
    cJSON_Delete(sys);
  }
  if (!turn_layer && lash__alloc_failures() == failures) { /* later turns reuse it: cached only whole */
    char *sp = lash__strndup(&c->alloc, t->system_prompt, strlen(t->system_prompt));
    char *sj = t->system_json ? lash__strndup(&c->alloc, t->system_json, strlen(t->system_json)) : NULL;
    if (sp && (sj || !t->system_json)) {
      lash__session_cache_prompt(c, s, sp, sj);
    } else {
      lash__free(&c->alloc, sp);
      lash__free(&c->alloc, sj);
    }
  }
  return LASH_OK;
}

/* req: {"session_id", "input": TurnInput, "blob_ids":[..], "provider_kind", "turn_provider": bool,
 *       "turn_id"?, "model"?, "prompt"?: turn prompt layer, "provider_http"?, "cancelled"?: bool} */
int lash__turn_start(lash_core *c, const cJSON *req, uint32_t *turn_no, lash_err *e) {
  const char *sid = lash__json_str(req, "session_id");
  lash_session *s = sid ? lash__session_find(c, sid) : NULL;
  if (!s) return lash__err(e, LASH_E_STATE, NULL, "session `%.200s` is not open", sid ? sid : "");
  const cJSON *input = cJSON_GetObjectItemCaseSensitive(req, "input");
  if (!cJSON_IsObject(input) || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(input, "items")))
    return lash__err(e, LASH_E_INVALID_ARGUMENT, "input", "expected a string or { items: [...] }");
  const cJSON *it;
  cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(input, "items")) {
    const char *type = lash__json_str(it, "type");
    if (!type || (strcmp(type, "text") && strcmp(type, "image_ref")))
      return lash__err(e, LASH_E_INVALID_ARGUMENT, "input", "items must be {type:'text', text} or {type:'image_ref', id}");
    if (!strcmp(type, "text") && !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(it, "text")))
      return lash__err(e, LASH_E_INVALID_ARGUMENT, "input", "a text item needs a string `text`");
  }
  const cJSON *model = cJSON_GetObjectItemCaseSensitive(req, "model");
  if (lash__json_is_nullish(model)) model = cJSON_GetObjectItemCaseSensitive(s->policy, "model");
  const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(req, "prompt");
  int rc;
  if (!lash__json_is_nullish(prompt) && (rc = lash__prompt_check_layer(prompt, "prompt", e))) return rc;

  /* provider binding (§2.1): the recorded id must name the live provider */
  const char *live = lash__json_str(req, "provider_kind");
  if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "turn_provider"))) {
    const char *rec = s->provider_id ? s->provider_id : "";
    while (*rec == ' ') rec++;
    size_t rn = strlen(rec);
    while (rn && rec[rn - 1] == ' ') rn--;
    if (!live || !*live || rn != strlen(live) || strncmp(rec, live, rn)) {
      lash__err(e, LASH_E_RUNTIME, NULL, "llm_provider: session `%.100s` is bound to provider `%.*s` but the live provider is `%.100s`",
                s->id, (int)rn, rec, live ? live : "");
      e->runtime_code = "llm_provider";
      return e->code;
    }
  }

  const cJSON *http = cJSON_GetObjectItemCaseSensitive(req, "provider_http");
  if (!lash__json_is_nullish(http) && (rc = lash__http_config_check(http, e))) return rc;

  unsigned long failures = lash__alloc_failures();
  lash_turn *t = lash__alloc(&c->alloc, sizeof *t);
  if (!t) return lash__err(e, LASH_E_NOMEM, NULL, NULL);
  memset(t, 0, sizeof *t);
  t->task.resume = turn_resume;
  t->task.destroy = turn_destroy;
  t->core = c;
  t->s = s;
  t->proto = c->proto;
  lash__session_turn_begin(s); /* from here, so that turn_destroy's end balances on every path */
  t->no = ++c->next_turn;
  t->commit = 1;
  t->in.input = cJSON_Duplicate(input, 1);
  const cJSON *blobs = cJSON_GetObjectItemCaseSensitive(req, "blob_ids");
  t->in.blob_ids = cJSON_IsArray(blobs) ? cJSON_Duplicate(blobs, 1) : cJSON_CreateArray();
  t->model = cJSON_Duplicate(model, 1);
  if (!lash__json_is_nullish(http)) t->call.http_cfg = cJSON_Duplicate(http, 1);
  t->msgs = cJSON_CreateArray();
  t->errors = cJSON_CreateArray();
  t->tool_records = cJSON_CreateArray();
  t->cm.land.nodes = cJSON_CreateArray();
  t->cm.land.head = s->head_revision;
  snprintf(t->cm.leaf, sizeof t->cm.leaf, "%s", s->leaf ? s->leaf : "");
  const cJSON *mt = cJSON_GetObjectItemCaseSensitive(s->policy, "max_turns");
  t->max_turns = cJSON_IsNumber(mt) ? (int)mt->valuedouble : 0;
  t->cancelled = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "cancelled"));
  t->tr.on = lash__trace_on(c);
  t->tr.turn_index = (double)s->turn_index + 1;
  const char *tid = lash__json_str(req, "turn_id");
  if (tid) snprintf(t->turn_id, sizeof t->turn_id, "%s", tid);
  else lash__uuid4(&c->rng, t->turn_id);
  if ((rc = system_prompt(t, prompt, failures, e))) {
    turn_destroy(&t->task);
    return rc;
  }
  /* every copy made above (a lost provider_http copy must not fall back to the host's
   * llm.call), whole: cJSON drops a field it could not allocate without a word */
  if (!t->in.input || !t->in.blob_ids || !t->model || !t->msgs || !t->errors || !t->tool_records || !t->cm.land.nodes ||
      (!lash__json_is_nullish(http) && !t->call.http_cfg) || lash__alloc_failures() != failures) {
    turn_destroy(&t->task);
    return lash__err(e, LASH_E_NOMEM, NULL, NULL);
  }
  t->state = TURN_INPUT;
  lash__sched_spawn(&c->sched, &t->task);
  *turn_no = t->no;
  return LASH_OK;
}

int lash__turn_cancel(lash_core *c, uint32_t no) {
  for (lash_task *task = c->sched.live; task; task = task->next_live) {
    if (task->resume != turn_resume) continue;
    lash_turn *t = (lash_turn *)task;
    if (t->no != no) continue;
    t->cancelled = 1;
    lash__task_wake(task);
    return 1;
  }
  return 0;
}
