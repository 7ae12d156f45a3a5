/* TOOLS: run the calls a model response asked for (op tool.call per call):
 * lash's preparation (unknown tool, argument validation), protocol tools
 * expanded into children (the standard protocol's batch), parallel calls at once
 * then serial ones in order, and once all are done the tool-result message the
 * protocol shapes, terminal tool control, and the next iteration (-> MODEL) or
 * the end (-> COMMIT). Cancel: every call in flight is cancelled. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tools/schema.h"
#include "turn/machine.h"
#include "util/alloc.h"
#include "util/ids.h"

static const cJSON *find_tool(lash_turn *t, const char *name) {
  const cJSON *tool;
  cJSON_ArrayForEach(tool, cJSON_GetObjectItemCaseSensitive(t->core->config, "tools"))
    if (lash__json_str(tool, "name") && !strcmp(lash__json_str(tool, "name"), name)) return tool;
  return NULL;
}

/* The spec the model saw (input_schema included), the protocol's tools among them. */
static const cJSON *find_spec(lash_turn *t, const char *name) {
  const cJSON *spec;
  cJSON_ArrayForEach(spec, t->core->tool_specs)
    if (lash__json_str(spec, "name") && !strcmp(lash__json_str(spec, "name"), name)) return spec;
  return NULL;
}

int lash__turn_tools_add(lash_turn *t, const char *call_id, const char *name, cJSON *args, int parent, int index) {
  if (!call_id || !name) { cJSON_Delete(args); return -1; } /* lost to a failed allocation */
  if (t->tools.nslots == t->tools.cap) {
    int cap = t->tools.cap ? t->tools.cap * 2 : 8;
    turn_slot *n = lash__realloc(&t->core->alloc, t->tools.slots, (size_t)cap * sizeof *n);
    if (!n) { cJSON_Delete(args); return -1; }
    t->tools.slots = n;
    t->tools.cap = cap;
  }
  turn_slot *sl = &t->tools.slots[t->tools.nslots];
  memset(sl, 0, sizeof *sl);
  sl->call_id = lash__strndup(&t->core->alloc, call_id, strlen(call_id));
  sl->name = lash__strndup(&t->core->alloc, name, strlen(name));
  if (!sl->call_id || !sl->name) { /* the turn stops for want of memory (lash__turn_oom) */
    lash__free(&t->core->alloc, sl->call_id);
    lash__free(&t->core->alloc, sl->name);
    cJSON_Delete(args);
    return -1;
  }
  sl->args = args;
  sl->parent = parent;
  sl->index = index;
  return t->tools.nslots++;
}

static void slot_done(lash_turn *t, int i, cJSON *output, double duration_ms);

/* A protocol call whose children are all done: its output is their combination. */
static void protocol_call_complete(lash_turn *t, int pi) {
  int n = 0;
  for (int i = 0; i < t->tools.nslots; i++) n += t->tools.slots[i].parent == pi;
  lash_proto_done *kids = n ? lash__alloc(&t->core->alloc, (size_t)n * sizeof *kids) : NULL;
  if (n && !kids) { slot_done(t, pi, NULL, 0); return; }
  int k = 0;
  for (int i = 0; i < t->tools.nslots; i++) { /* children were added in index order */
    const turn_slot *c = &t->tools.slots[i];
    if (c->parent != pi) continue;
    kids[k++] = (lash_proto_done){c->index, c->name, c->output, c->immediate, c->duration_ms};
  }
  double dur = 0;
  cJSON *out = t->proto->combine(kids, n, &dur);
  lash__free(&t->core->alloc, kids);
  slot_done(t, pi, out, dur);
}

static void slot_done(lash_turn *t, int i, cJSON *output, double duration_ms) {
  turn_slot *sl = &t->tools.slots[i];
  if (sl->state == SLOT_DONE) { cJSON_Delete(output); return; }
  sl->state = SLOT_DONE;
  sl->output = output ? output : lash__tool_error("out of memory");
  sl->duration_ms = duration_ms;
  if (sl->parent < 0) lash__turn_emit_tool(t, sl, 1);
  else if (--t->tools.slots[sl->parent].children_left == 0) protocol_call_complete(t, sl->parent);
}

/* lash's preparation: unknown tool and argument validation fail without running. */
static void prepare_slot(lash_turn *t, int i) {
  turn_slot *sl = &t->tools.slots[i];
  const cJSON *tool = find_tool(t, sl->name);
  const cJSON *spec = find_spec(t, sl->name);
  if (sl->parent < 0 && spec && t->proto->owns_tool(sl->name)) sl->is_batch = 1;
  if (!spec || (!tool && !sl->is_batch)) {
    slot_done(t, i, lash__tool_failure("unavailable", "tool_unavailable", "Tool is unavailable in this session", "runtime"), 0);
    return;
  }
  sl->serial = tool && lash__json_str(tool, "scheduling") && !strcmp(lash__json_str(tool, "scheduling"), "serial");
  lash_buf err;
  lash__buf_init(&err, &t->core->alloc);
  const cJSON *schema = cJSON_GetObjectItemCaseSensitive(spec, "input_schema");
  if (schema && !lash__schema_validate(schema, sl->args, &err)) {
    slot_done(t, i, lash__tool_failure("invalid_request", "invalid_tool_args", err.data ? err.data : "invalid arguments", "runtime"), 0);
  }
  lash__buf_free(&err);
}

/* One child of protocol call ud->parent: a slot, refused or prepared at once. */
typedef struct { lash_turn *t; int parent, index; } expansion;

static int add_child(void *ud, const char *call_id, const char *name, cJSON *args, const char *refused) {
  expansion *x = ud;
  int ci = lash__turn_tools_add(x->t, call_id, name, args, x->parent, x->index++);
  if (ci < 0) return 0;
  x->t->tools.slots[x->parent].children_left++;
  if (refused) {
    x->t->tools.slots[ci].immediate = refused;
    slot_done(x->t, ci, lash__tool_error(refused), 0);
  } else {
    prepare_slot(x->t, ci);
  }
  return 1;
}

/* A protocol call's args -> child slots, or a failure of the call itself. */
static void expand(lash_turn *t, int pi) {
  cJSON *failure = NULL;
  expansion x = {t, pi, 0};
  /* one count held while children are added, so that children done at once
   * (refused, unavailable) cannot complete the call before its last child exists */
  t->tools.slots[pi].children_left = 1;
  if (!t->proto->expand(t->tools.slots[pi].call_id, t->tools.slots[pi].args, add_child, &x, &failure)) {
    slot_done(t, pi, failure, 0); /* NULL (out of memory): an error output */
    return;
  }
  if (--t->tools.slots[pi].children_left == 0) protocol_call_complete(t, pi);
}

/* The model's calls are in the slots: report them, prepare them. */
void lash__turn_tools_begin(lash_turn *t) {
  int n = t->tools.nslots;
  for (int i = 0; i < n; i++) lash__turn_emit_tool(t, &t->tools.slots[i], 0);
  if (t->tr.on) for (int i = 0; i < n; i++) lash__turn_trace_tool(t, &t->tools.slots[i], 0);
  for (int i = 0; i < n; i++) {
    if (t->tools.slots[i].state == SLOT_DONE) continue;
    prepare_slot(t, i);
    if (t->tools.slots[i].is_batch && t->tools.slots[i].state != SLOT_DONE) expand(t, i);
  }
}

static void start_slot(lash_turn *t, int i) {
  turn_slot *sl = &t->tools.slots[i];
  cJSON *m = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "op", LASH_OP(TOOL_CALL));
  cJSON_AddNumberToObject(m, "turn", t->no);
  cJSON_AddStringToObject(m, "session_id", t->s->id);
  cJSON_AddStringToObject(m, "call_id", sl->call_id);
  cJSON_AddStringToObject(m, "name", sl->name);
  lash__json_put(m, "args", cJSON_Duplicate(sl->args, 1));
  char *text = cJSON_PrintUnformatted(m);
  cJSON_Delete(m);
  sl->state = SLOT_RUNNING;
  sl->op = text && !lash__turn_oom(t) ? lash__task_start_op(&t->task, text, strlen(text)) : 0;
  cJSON_free(text);
  if (!sl->op) slot_done(t, i, lash__tool_error("too many operations in flight"), 0);
}

/* Collect finished ops; start what may start. Returns 1 when every slot is done. */
static int pump_tools(lash_turn *t) {
  for (int i = 0; i < t->tools.nslots; i++) {
    turn_slot *sl = &t->tools.slots[i];
    if (sl->state != SLOT_RUNNING || !sl->op) continue;
    int st;
    char *payload = NULL;
    size_t len;
    if (lash__task_take_op(&t->task, sl->op, &st, &payload, &len) != 1) continue;
    sl->op = 0;
    cJSON *r = lash__turn_op_json(payload, len);
    lash__free(&t->core->alloc, payload);
    const cJSON *out = cJSON_GetObjectItemCaseSensitive(r, "output");
    const cJSON *dur = cJSON_GetObjectItemCaseSensitive(r, "duration_ms");
    double d = cJSON_IsNumber(dur) && dur->valuedouble >= 0 ? dur->valuedouble : 0;
    if (st == LASH_OP_OK && cJSON_IsObject(out) && cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(out, "outcome")))
      slot_done(t, i, cJSON_Duplicate(out, 1), d);
    else if (st == LASH_OP_CANCELLED)
      slot_done(t, i, lash__tool_cancelled(), d);
    else {
      const char *msg = lash__json_str(r, "message");
      slot_done(t, i, lash__tool_error(msg ? msg : "tool host returned an unreadable result"), d);
    }
    cJSON_Delete(r);
  }
  /* phase 0: every parallel leaf at once; phase 1: serial leaves one at a time, in order */
  int running = 0;
  for (int i = 0; i < t->tools.nslots; i++) {
    turn_slot *sl = &t->tools.slots[i];
    if (sl->is_batch) continue;
    if (sl->state == SLOT_RUNNING) running++;
    if (sl->state == SLOT_PENDING && !sl->serial) { start_slot(t, i); if (t->tools.slots[i].state == SLOT_RUNNING) running++; }
  }
  if (!running) {
    for (int i = 0; i < t->tools.nslots; i++) {
      turn_slot *sl = &t->tools.slots[i];
      if (!sl->is_batch && sl->state == SLOT_PENDING) { start_slot(t, i); if (t->tools.slots[i].state == SLOT_RUNNING) break; }
    }
  }
  for (int i = 0; i < t->tools.nslots; i++) if (t->tools.slots[i].state != SLOT_DONE) return 0;
  return 1;
}

static void cancel_tools(lash_turn *t) {
  for (int i = 0; i < t->tools.nslots; i++) {
    turn_slot *sl = &t->tools.slots[i];
    if (sl->is_batch || sl->state == SLOT_DONE) continue;
    if (sl->op) lash__task_cancel_op(&t->task, sl->op);
    sl->op = 0;
    slot_done(t, i, lash__tool_cancelled(), 0);
  }
}

void lash__turn_tools_free(lash_turn *t) {
  for (int i = 0; i < t->tools.nslots; i++) {
    lash__free(&t->core->alloc, t->tools.slots[i].call_id);
    lash__free(&t->core->alloc, t->tools.slots[i].name);
    cJSON_Delete(t->tools.slots[i].args);
    cJSON_Delete(t->tools.slots[i].output);
  }
  lash__free(&t->core->alloc, t->tools.slots);
  t->tools.slots = NULL;
  t->tools.nslots = t->tools.cap = 0;
}

/* A successful call's finish/fail control ends the turn (lash ToolControl). */
static cJSON *terminal_control(const turn_slot *sl) {
  const cJSON *control = cJSON_GetObjectItemCaseSensitive(sl->output, "control");
  if (!lash__tool_succeeded(sl->output) || !cJSON_IsObject(control)) return NULL;
  const char *type = lash__json_str(control, "type");
  cJSON *terminal = NULL;
  if (type && !strcmp(type, "finish")) {
    terminal = cJSON_CreateObject();
    cJSON *tv = cJSON_AddObjectToObject(cJSON_AddObjectToObject(terminal, "finished"), "tool_value");
    cJSON_AddStringToObject(tv, "tool_name", sl->name);
    lash__json_put(tv, "value", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(control, "value"), 1));
  } else if (type && !strcmp(type, "fail")) {
    terminal = cJSON_CreateObject();
    cJSON *te = cJSON_AddObjectToObject(cJSON_AddObjectToObject(terminal, "stopped"), "tool_error");
    cJSON_AddStringToObject(te, "tool_name", sl->name);
    lash__json_put(te, "value", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(control, "failure"), 1));
  }
  return terminal;
}

/* The protocol's shaping of one output, as ToolResult / Image parts of msg. */
static void add_result_parts(lash_turn *t, cJSON *msg, const char *mid, const turn_slot *sl) {
  cJSON *parts = t->proto->result_parts(t->core->budget_on ? &t->core->budget : NULL, sl->name, sl->output);
  const cJSON *p;
  cJSON_ArrayForEach(p, parts) {
    const char *type = lash__json_str(p, "type");
    if (type && !strcmp(type, "text")) {
      const char *text = lash__json_str(p, "text");
      if (!text || !*text) continue;
      cJSON *part = lash__part_new(mid, 0, "ToolResult", text);
      cJSON_AddStringToObject(part, "tool_call_id", sl->call_id);
      cJSON_AddStringToObject(part, "tool_name", sl->name);
      lash__message_add_part(msg, part);
    } else if (type && !strcmp(type, "attachment")) {
      cJSON *part = lash__part_new(mid, 0, "Image", "");
      cJSON *ref = cJSON_Duplicate(p, 1);
      cJSON_DeleteItemFromObjectCaseSensitive(ref, "type");
      cJSON *att = cJSON_CreateObject();
      lash__json_put(att, "reference", ref);
      lash__json_put(part, "attachment", att);
      cJSON_AddStringToObject(part, "tool_call_id", sl->call_id);
      cJSON_AddStringToObject(part, "tool_name", sl->name);
      lash__message_add_part(msg, part);
    }
  }
  cJSON_Delete(parts);
}

/* All tools done: records, the tool-result message, terminal control, next iteration. */
static int tools_finished(lash_turn *t) {
  char mid[34];
  lash__message_id(&t->core->rng, mid);
  cJSON *msg = lash__message_new(mid, "User");
  cJSON *terminal = NULL;
  for (int i = 0; i < t->tools.nslots; i++) {
    turn_slot *sl = &t->tools.slots[i];
    if (sl->parent >= 0) continue;
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddStringToObject(rec, "call_id", sl->call_id);
    cJSON_AddStringToObject(rec, "tool", sl->name);
    lash__json_put(rec, "args", cJSON_Duplicate(sl->args, 1));
    lash__json_put(rec, "output", cJSON_Duplicate(sl->output, 1));
    cJSON_AddNumberToObject(rec, "duration_ms", floor(sl->duration_ms));
    lash__json_push(t->tool_records, rec);
    lash__turn_trace_tool(t, sl, 1);
    if (!terminal) terminal = terminal_control(sl);
    add_result_parts(t, msg, mid, sl);
  }
  if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(msg, "parts"))) lash__json_push(t->msgs, msg);
  else cJSON_Delete(msg);
  lash__turn_tools_free(t);
  t->tools.started = 0;
  if (terminal) { cJSON_Delete(t->outcome); t->outcome = terminal; return TURN_COMMIT; }
  if (t->cancelled) { lash__turn_stop(t, "cancelled"); return TURN_COMMIT; }
  t->iteration++;
  if (t->max_turns > 0 && t->iteration >= t->max_turns) {
    char text[96];
    snprintf(text, sizeof text, "Turn limit reached (%d) before a final assistant response.", t->max_turns);
    lash__message_id(&t->core->rng, mid);
    cJSON *sys = lash__message_new(mid, "System");
    lash__message_add_part(sys, lash__part_new(mid, 0, "Error", text));
    lash__json_push(t->msgs, sys);
    lash__turn_stop(t, "max_turns");
    return TURN_COMMIT;
  }
  return TURN_MODEL;
}

int lash__turn_tools_step(lash_turn *t) {
  /* progress commit before the tools run: the assistant's calls are decided */
  if (!t->tools.started && !lash__turn_progress(t)) return TURN_PARK;
  t->tools.started = 1;
  if (t->cancelled) cancel_tools(t);
  if (!pump_tools(t)) return TURN_PARK;
  return tools_finished(t);
}
