/* The turn machine's shared state, internal to src/turn/. A turn is one
 * scheduler task; turn_step (machine.c) dispatches over five states, and each
 * state is a sub-machine in its own file that owns its host ops and how they are
 * cancelled:
 *   INPUT   input.c       normalise the input, store its images   (attachment.put)
 *   MODEL   model_call.c  progress commit, one model call          (store.commit, llm.call | http.stream,
 *                                                                   attachment.get, timer)
 *           response.c    what the response means (via the protocol)
 *   TOOLS   tools.c       progress commit, run the calls, batch    (store.commit, tool.call)
 *   COMMIT  commit.c      the final commit; the session takes it   (store.commit)
 *   DONE    report.c      turn.done went out; the task ends
 * Activities and turn.done are written by report.c, trace records by trace.c. */
#ifndef LASH_TURN_MACHINE_H
#define LASH_TURN_MACHINE_H
#include "core/state.h"
#include "lash/lash_ops.h"
#include "protocol/protocol.h"
#include "provider/http.h"
#include "session/session.h"
#include "turn/turn.h"
#include "util/buf.h"

enum { TURN_INPUT, TURN_MODEL, TURN_TOOLS, TURN_COMMIT, TURN_DONE };
#define TURN_PARK (-1) /* a sub-machine waits for the host */

enum { SLOT_PENDING, SLOT_RUNNING, SLOT_DONE };

/* One tool call: a model call (parent < 0) or a batch child (parent = index of
 * the batch slot). A batch slot runs nothing itself: it completes when its
 * children have, and its output is their combination. */
typedef struct {
  char *call_id, *name;
  cJSON *args;      /* owned */
  cJSON *output;    /* ToolCallOutput, owned once done */
  int parent, index, serial, is_batch, state, children_left;
  const char *immediate; /* static: a batch entry refused before dispatch (reported as a string) */
  uint32_t op;      /* tool.call in flight */
  double duration_ms;
} turn_slot;

typedef struct lash_turn lash_turn;

struct lash_turn {
  lash_task task;
  lash_core *core;
  lash_session *s;        /* read here; written only through session.h */
  const lash_protocol *proto;
  uint32_t no;
  int state, cancelled;
  char turn_id[64];
  cJSON *model;            /* ModelSpec (owned) */
  cJSON *msgs;             /* this turn's new messages (owned) */
  char *system_prompt;
  char *system_json;       /* the System LLM message (or NULL) */
  int iteration, max_turns;
  lash_usage usage;
  cJSON *outcome, *errors, *tool_records;
  char *final_text;
  int had_tools, commit;
  /* running out of memory (see lash__turn_oom) */
  unsigned long failures;  /* lash__alloc_failures() when this step began */
  int oom;

  struct { /* input.c */
    cJSON *input, *blob_ids;
    int normalized;
    uint32_t op;           /* attachment.put in flight */
  } in;

  struct { /* model_call.c */
    int step;              /* MODEL_START, MODEL_ATTACH, MODEL_WAIT */
    uint32_t op;           /* llm.call in flight */
    cJSON *http_cfg;       /* an HTTP wire provider's config, or NULL (the host's llm.call) */
    lash_http_call *http;  /* the model call in flight over HTTP */
    cJSON *http_req;       /* its LlmRequest while image bytes are fetched */
    uint32_t *att_ops;     /* attachment.get per request attachment (0: has data) */
    int natt_ops;
    char stream_corr[37];  /* correlation id of this call's streamed prose */
  } call;

  struct { /* tools.c */
    turn_slot *slots;
    int nslots, cap;
    int ncalls;            /* the model's calls in this response */
    int started;           /* the progress commit before the tools is behind us */
  } tools;

  struct { /* commit.c: persistence (§2.9), what this turn has put in the store so far */
    uint32_t op;           /* store.commit in flight (progress or final) */
    int persisted;         /* msgs already committed (progress commits) */
    cJSON *pending_nodes;  /* node records of the commit in flight */
    char leaf[40];         /* the active path's leaf as this turn sees it */
    char pending_leaf[40];
    int pending_replace, progress_failed;
    /* what the session takes once the final commit lands (session.h), made before it
     * goes out: land.nodes are the node records committed by this turn, land.head the
     * store's head revision as this turn knows it, land.replaced whether its commits
     * replaced the whole graph */
    lash_turn_landing land;
  } cm;

  struct { /* report.c */
    int reported;          /* turn.done went out */
    lash_buf done_msg;     /* the turn.done message, open for its head revision */
  } rep;

  struct { /* trace.c: all of it only when the core has a trace sink */
    int on, traced_start, llm_ordinal;
    double turn_index;     /* the turn's index once committed (lash: state.turn_index + 1) */
    char llm_call_id[400]; /* the traced model call in flight, "" when none */
    double llm_started_ms;
    /* lash LlmStreamSummary (lash-core/src/runtime/assembly.rs:77-153) */
    double ss_first, ss_last, ss_deltas, ss_chunks, ss_chars, ss_max;
    const char *status, *reason; /* static; set as the turn finishes */
  } tr;
};

/* machine.c */
int lash__turn_oom(lash_turn *t);
void lash__turn_stop(lash_turn *t, const char *why);
void lash__turn_finish_text(lash_turn *t, const char *text);
/* An op result decoded by the boundary decoder (NULL: unreadable). */
cJSON *lash__turn_op_json(const char *payload, size_t len);

/* input.c */
int lash__turn_input_step(lash_turn *t);
void lash__turn_input_free(lash_turn *t);

/* model_call.c */
int lash__turn_model_step(lash_turn *t);
void lash__turn_model_free(lash_turn *t);
char *lash__turn_project(lash_turn *t, int full, size_t *len);

/* response.c: an llm.call's (or the HTTP call's) answer, decoded (owned; NULL:
 * unreadable) -> the next state. */
int lash__turn_response(lash_turn *t, int status, cJSON *r);

/* tools.c */
int lash__turn_tools_add(lash_turn *t, const char *call_id, const char *name, cJSON *args, int parent, int index);
void lash__turn_tools_begin(lash_turn *t);
int lash__turn_tools_step(lash_turn *t);
void lash__turn_tools_free(lash_turn *t);

/* commit.c */
int lash__turn_progress(lash_turn *t);
int lash__turn_commit_step(lash_turn *t);
void lash__turn_abandon(lash_turn *t);
void lash__turn_commit_free(lash_turn *t);

/* report.c */
void lash__turn_emit(lash_turn *t, const char *correlation, const char *type, cJSON *fields);
void lash__turn_emit_error(lash_turn *t, const char *kind, const char *code, const char *terminal, const char *message);
void lash__turn_emit_tool(lash_turn *t, const turn_slot *sl, int completed);
void lash__turn_prepare_report(lash_turn *t);
void lash__turn_send_report(lash_turn *t);
void lash__turn_report_commit_failure(lash_turn *t, const char *payload, size_t len);
void lash__turn_report_oom(lash_turn *t);

/* trace.c (the turn's records; each a no-op without a trace sink) */
void lash__turn_trace_started(lash_turn *t);
void lash__turn_trace_llm_started(lash_turn *t, const cJSON *req);
void lash__turn_trace_chunk(lash_turn *t, const char *text, size_t len);
void lash__turn_trace_llm_failed(lash_turn *t, const char *message, int retryable, const char *terminal, const char *code,
                                 const char *raw);
void lash__turn_trace_llm_cancelled(lash_turn *t);
void lash__turn_trace_llm_completed(lash_turn *t, const cJSON *r);
void lash__turn_trace_tool(lash_turn *t, const turn_slot *sl, int completed);
void lash__turn_trace_outcome(lash_turn *t);
void lash__turn_trace_completed(lash_turn *t);
#endif
