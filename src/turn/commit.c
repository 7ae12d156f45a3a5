/* Persistence (§2.9): progress commits while the turn runs (inline tier: what is
 * decided reaches the store before the model or the tools are asked) and
 * COMMIT, the final commit, after which the session takes the turn (session.c
 * writes it) and turn.done goes out. One op (store.commit) at a time; a commit
 * in flight is never cancelled: the store decides. */
#include <stdio.h>
#include <string.h>

#include "model/render.h"
#include "session/session.h"
#include "store/commit.h"
#include "turn/machine.h"
#include "util/alloc.h"
#include "util/ids.h"

/* Node records for this turn's not-yet-persisted messages, chained from the leaf. */
static void make_pending_nodes(lash_turn *t) {
  cJSON_Delete(t->cm.pending_nodes);
  t->cm.pending_nodes = cJSON_CreateArray();
  snprintf(t->cm.pending_leaf, sizeof t->cm.pending_leaf, "%s", t->cm.leaf);
  char ts[48];
  lash__rfc3339(t->core->sched.now_ms, ts);
  int i = 0;
  const cJSON *m;
  cJSON_ArrayForEach(m, t->msgs) {
    if (i++ < t->cm.persisted) continue;
    char nid[34];
    lash__message_id(&t->core->rng, nid);
    nid[0] = 'n';
    lash__json_push(t->cm.pending_nodes, lash__node_for_message(nid, t->cm.pending_leaf, ts, m));
    snprintf(t->cm.pending_leaf, sizeof t->cm.pending_leaf, "%s", nid);
  }
}

/* The RuntimeCommit for this turn's not-yet-persisted messages. Final commits
 * carry the turn state, usage delta and the (session, turn, hash) stamp. */
static cJSON *build_commit(lash_turn *t, int final) {
  const lash_session *s = t->s;
  make_pending_nodes(t);
  cJSON *c = cJSON_CreateObject();
  cJSON_AddStringToObject(c, "session_id", s->id);
  if (t->cm.land.head < 0) cJSON_AddNullToObject(c, "expected_head_revision");
  else cJSON_AddNumberToObject(c, "expected_head_revision", t->cm.land.head);
  cJSON *config = cJSON_AddObjectToObject(c, "config");
  cJSON_AddStringToObject(config, "provider_id", s->provider_id ? s->provider_id : "");
  lash__json_put(config, "model", cJSON_Duplicate(t->model, 1));
  lash__json_put(c, "agent_frames", cJSON_CreateArray());
  cJSON_AddStringToObject(c, "current_agent_frame_id", "");
  cJSON *graph = cJSON_AddObjectToObject(c, "graph");
  t->cm.pending_replace = (s->replace_required && !t->cm.land.replaced) || t->cm.land.head < 0;
  if (t->cm.pending_replace) { /* first commit, or after open_fresh: the whole graph */
    cJSON *rf = cJSON_AddObjectToObject(graph, "ReplaceFull");
    cJSON *nodes = cJSON_AddArrayToObject(rf, "nodes");
    const cJSON *n;
    if (!s->replace_required) cJSON_ArrayForEach(n, s->nodes) lash__json_push(nodes, cJSON_Duplicate(n, 1));
    cJSON_ArrayForEach(n, t->cm.land.nodes) lash__json_push(nodes, cJSON_Duplicate(n, 1));
    cJSON_ArrayForEach(n, t->cm.pending_nodes) lash__json_push(nodes, cJSON_Duplicate(n, 1));
    if (*t->cm.pending_leaf) cJSON_AddStringToObject(rf, "leaf_node_id", t->cm.pending_leaf);
    else cJSON_AddNullToObject(rf, "leaf_node_id");
  } else if (!cJSON_GetArraySize(t->cm.pending_nodes)) {
    cJSON *u = cJSON_AddObjectToObject(graph, "Unchanged");
    if (*t->cm.pending_leaf) cJSON_AddStringToObject(u, "leaf_node_id", t->cm.pending_leaf);
    else cJSON_AddNullToObject(u, "leaf_node_id");
  } else {
    cJSON *ap = cJSON_AddObjectToObject(graph, "Append");
    lash__json_put(ap, "nodes", cJSON_Duplicate(t->cm.pending_nodes, 1));
    cJSON_AddStringToObject(ap, "leaf_node_id", t->cm.pending_leaf);
  }
  cJSON *ts_obj = cJSON_AddObjectToObject(cJSON_AddObjectToObject(c, "checkpoint"), "turn_state");
  lash_usage total = s->usage;
  if (final) lash__usage_add(&total, &t->usage);
  cJSON_AddNumberToObject(ts_obj, "turn_index", (double)(s->turn_index + (final ? 1 : 0)));
  lash__json_put(ts_obj, "token_usage", lash__usage_json(&total));
  lash__json_put(ts_obj, "protocol_turn_options", cJSON_CreateObject());
  cJSON *deltas = cJSON_AddArrayToObject(c, "usage_deltas");
  if (final && lash__usage_nonzero(&t->usage)) {
    cJSON *entry = cJSON_CreateObject();
    cJSON_AddStringToObject(entry, "source", "turn");
    cJSON_AddStringToObject(entry, "model", lash__json_str(t->model, "id") ? lash__json_str(t->model, "id") : "");
    lash__json_put(entry, "usage", lash__usage_json(&t->usage));
    lash__json_push(deltas, entry);
  }
  cJSON_AddNullToObject(c, "turn_commit");
  lash__json_put(c, "completed_queue_claims", cJSON_CreateArray());
  cJSON *atts = cJSON_AddArrayToObject(c, "committed_attachment_ids");
  const cJSON *node;
  cJSON_ArrayForEach(node, t->cm.pending_nodes) {
    const cJSON *part;
    cJSON_ArrayForEach(part, cJSON_GetObjectItemCaseSensitive(lash__node_message(node), "parts")) {
      const cJSON *ref = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(part, "attachment"), "reference");
      if (lash__json_str(ref, "id")) lash__json_push(atts, cJSON_CreateString(lash__json_str(ref, "id")));
    }
  }
  if (final) {
    char hash[65];
    if (lash__commit_hash(&t->core->alloc, c, hash)) {
      cJSON *stamp = cJSON_CreateObject();
      cJSON_AddStringToObject(stamp, "session_id", s->id);
      cJSON_AddStringToObject(stamp, "turn_id", t->turn_id);
      cJSON_AddStringToObject(stamp, "turn_commit_hash", hash);
      lash__json_replace(c, "turn_commit", stamp);
    }
  }
  return c;
}

/* The commit as JSON text (a cJSON allocation), or NULL. */
static char *commit_text(lash_turn *t, int final) {
  cJSON *c = build_commit(t, final);
  char *body = cJSON_PrintUnformatted(c);
  cJSON_Delete(c);
  return body;
}

/* Send a commit to the store (body is freed); 0 if it could not be started. */
static uint32_t send_commit(lash_turn *t, int final, char *body) {
  uint32_t op = 0;
  if (body && !lash__turn_oom(t)) { /* a commit with a part lost to a failed allocation never reaches the store */
    char header[96];
    int hn = snprintf(header, sizeof header, "{\"op\":\"%s\",\"turn\":%u,\"final\":%s}", LASH_OP(STORE_COMMIT), t->no,
                      final ? "true" : "false");
    op = lash__task_start_op_body(&t->task, header, (size_t)hn, body, strlen(body));
  }
  cJSON_free(body);
  return op;
}

/* The pending nodes are in the store: remember them. payload NULL: no store. */
static void commit_landed(lash_turn *t, const char *payload, size_t len) {
  unsigned long failures = lash__alloc_failures();
  cJSON *r = payload ? lash__turn_op_json(payload, len) : NULL;
  const cJSON *rev = cJSON_GetObjectItemCaseSensitive(r, "head_revision");
  /* a head lost to a failed allocation is unknown (< 0): the next commit replaces the whole graph */
  t->cm.land.head = cJSON_IsNumber(rev) ? rev->valuedouble : lash__alloc_failures() != failures ? -1 : t->cm.land.head + 1;
  cJSON_Delete(r);
  while (cJSON_GetArraySize(t->cm.pending_nodes))
    lash__json_push(t->cm.land.nodes, cJSON_DetachItemFromArray(t->cm.pending_nodes, 0));
  snprintf(t->cm.leaf, sizeof t->cm.leaf, "%s", t->cm.pending_leaf);
  t->cm.persisted = cJSON_GetArraySize(t->msgs);
  if (t->cm.pending_replace) t->cm.land.replaced = 1;
}

/* Collect a progress commit's answer: 1 when it has settled (landed or failed,
 * failures are ignored as lash ignores them: the final commit carries the nodes). */
static int progress_settled(lash_turn *t) {
  int st;
  char *payload = NULL;
  size_t len;
  if (lash__task_take_op(&t->task, t->cm.op, &st, &payload, &len) != 1) return 0;
  t->cm.op = 0;
  if (st == LASH_OP_OK) commit_landed(t, payload, len);
  else t->cm.progress_failed = 1;
  lash__free(&t->core->alloc, payload);
  return 1;
}

int lash__turn_progress(lash_turn *t) {
  if (t->cm.op) return progress_settled(t);
  if (!t->s->has_store || t->cm.progress_failed || t->cm.persisted >= cJSON_GetArraySize(t->msgs)) return 1;
  t->cm.op = send_commit(t, 0, commit_text(t, 0));
  return t->cm.op ? progress_settled(t) : 1; /* one that could not start is skipped */
}

/* Materialise the terminal assistant message (§2.9) before the final commit. */
static void prepare_final(lash_turn *t) {
  if (!t->outcome) lash__turn_stop(t, "runtime_error");
  if (t->commit && t->final_text && *t->final_text) {
    char mid[34];
    lash__message_id(&t->core->rng, mid);
    cJSON *m = lash__message_new(mid, "Assistant");
    lash__message_add_part(m, lash__part_new(mid, 0, "Prose", t->final_text));
    lash__json_push(t->msgs, m);
  }
}

/* Everything the session takes from the turn, made before the final commit goes
 * out: once the store has the turn, applying it must not fail. */
static void prepare_landing(lash_turn *t) {
  lash_session *s = t->s;
  int n = cJSON_GetArraySize(t->msgs);
  t->cm.land.leaf = *t->cm.pending_leaf ? lash__strndup(&t->core->alloc, t->cm.pending_leaf, strlen(t->cm.pending_leaf)) : NULL;
  t->cm.land.rendered = n ? lash__alloc(&t->core->alloc, (size_t)n * sizeof *t->cm.land.rendered) : NULL;
  if (t->cm.land.rendered) memset(t->cm.land.rendered, 0, (size_t)n * sizeof *t->cm.land.rendered);
  const cJSON *m = t->msgs->child;
  for (int i = 0; t->cm.land.rendered && m; i++, m = m->next) {
    cJSON *atts = cJSON_CreateArray();
    int refs = 0;
    char *text = atts ? lash__render_message_text(&t->core->alloc, m, atts, &refs) : NULL;
    cJSON_Delete(atts);
    if (refs) { lash__free(&t->core->alloc, text); text = NULL; }
    t->cm.land.rendered[t->cm.land.nrendered++] = text;
  }
  lash__session_cache_reserve(t->core, s, (size_t)cJSON_GetArraySize(s->messages) + (size_t)n);
  if (lash__usage_nonzero(&t->usage)) {
    cJSON *entry = t->cm.land.ledger_entry = cJSON_CreateObject();
    cJSON_AddStringToObject(entry, "source", "turn");
    cJSON_AddStringToObject(entry, "model", lash__json_str(t->model, "id") ? lash__json_str(t->model, "id") : "");
    lash__json_put(entry, "usage", lash__usage_json(&t->usage));
  }
}

/* The final commit landed (or there is no store): the session takes the turn. */
static void land(lash_turn *t) {
  t->cm.land.msgs = t->msgs;
  t->cm.land.usage = t->usage;
  lash__session_land_turn(t->core, t->s, &t->cm.land);
  lash__turn_trace_completed(t);
  lash__turn_send_report(t);
}

/* A turn that ends in an error commits nothing more. What its progress commits
 * put in the store stays there, off the session's active path; the session takes
 * the store's head so that its next commit is not refused as stale. */
void lash__turn_abandon(lash_turn *t) {
  if (t->cm.persisted) lash__session_take_head(t->s, t->cm.land.head);
}

int lash__turn_commit_step(lash_turn *t) {
  if (t->cm.op) { /* the final commit in flight */
    int st;
    char *payload = NULL;
    size_t len;
    if (lash__task_take_op(&t->task, t->cm.op, &st, &payload, &len) != 1) return TURN_PARK;
    t->cm.op = 0;
    if (st == LASH_OP_OK) {
      commit_landed(t, payload, len);
      land(t);
    } else {
      lash__turn_report_commit_failure(t, payload, len);
    }
    lash__free(&t->core->alloc, payload);
    return TURN_DONE;
  }
  prepare_final(t);
  lash__turn_trace_outcome(t);
  if (!t->commit) {
    lash__turn_prepare_report(t);
    if (!lash__turn_oom(t)) { lash__turn_trace_completed(t); lash__turn_send_report(t); }
    return TURN_DONE;
  }
  /* the final commit, and all the session and the host take from it once it lands */
  char *body = t->s->has_store ? commit_text(t, 1) : NULL;
  if (!t->s->has_store) make_pending_nodes(t); /* node records for the in-memory graph */
  prepare_landing(t);
  lash__turn_prepare_report(t);
  if (lash__turn_oom(t)) { /* nothing of it goes out */
    cJSON_free(body);
    return TURN_DONE;
  }
  if (t->s->has_store) {
    t->cm.op = send_commit(t, 1, body);
    if (t->cm.op) return TURN_PARK;
    lash__turn_report_commit_failure(t, "{\"message\":\"could not start the commit\"}", 41);
    return TURN_DONE;
  }
  commit_landed(t, NULL, 0);
  land(t);
  return TURN_DONE;
}

void lash__turn_commit_free(lash_turn *t) {
  lash_allocator *a = &t->core->alloc;
  cJSON_Delete(t->cm.land.nodes);
  cJSON_Delete(t->cm.pending_nodes);
  for (int i = 0; i < t->cm.land.nrendered; i++) lash__free(a, t->cm.land.rendered[i]);
  lash__free(a, t->cm.land.rendered);
  lash__free(a, t->cm.land.leaf);
  cJSON_Delete(t->cm.land.ledger_entry);
}
