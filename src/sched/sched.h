/* The cooperative scheduler: explicit state-machine tasks, a FIFO run queue,
 * host operations that park a task until the host completes them, and
 * coalescing wake-ups. Single-threaded; no stack switching. */
#ifndef LASH_SCHED_H
#define LASH_SCHED_H
#include "lash/lash_host.h"

typedef struct lash_sched lash_sched;
typedef struct lash_task lash_task;

enum { LASH_TASK_PARKED = 0, LASH_TASK_DONE = 1 };

/* resume: run until the task must wait; return PARKED or DONE.
 * destroy: free the task's own struct (called once, after DONE or at shutdown). */
typedef int (*lash_task_resume_fn)(lash_task *t);
typedef void (*lash_task_destroy_fn)(lash_task *t);

struct lash_task {
  lash_task_resume_fn resume;
  lash_task_destroy_fn destroy;
  lash_sched *sched;        /* set by spawn */
  uint32_t id;              /* set by spawn */
  int queued;               /* in the run queue: wake-ups coalesce */
  lash_task *next_ready;
  lash_task *prev_live, *next_live;
};

/* One in-flight host operation. The slot is reused; op ids carry a generation so
 * a late or duplicate completion is recognised and refused. */
typedef struct lash_op {
  uint32_t id;         /* 0 = free slot */
  lash_task *task;     /* waiting task */
  int done, status;
  char *payload;       /* owned once done */
  size_t len;
  /* streamed progress before completion (lash_op_data): a response head and
   * body bytes not yet taken by the task; both owned */
  char *head;
  size_t head_len;
  char *data;
  size_t data_len, data_cap;
} lash_op;

/* Bytes a streaming op may hold that its task has not yet taken: the host must
 * not run ahead of the core by more (lash_op_data refuses with NoMemory). */
#define LASH_OP_DATA_MAX (16u << 20)

#define LASH_MAX_OPS 65535u /* concurrent host operations per core */
/* Largest op result the core decodes (lash__json_parse bounds every document the
 * host hands in; results are as large as the host's answers, so the bound is loose). */
#define LASH_MAX_OP_RESULT_BYTES (1u << 30)

struct lash_sched {
  const lash_allocator *alloc; /* borrowed */
  const lash_host *host;       /* borrowed */
  lash_task *ready_head, *ready_tail;
  lash_task *live;
  uint32_t live_count, next_task_id;
  lash_op *ops;
  uint32_t ops_cap, free_hint;
  uint16_t gen;
  int running;
  double now_ms;
};

void lash__sched_init(lash_sched *s, const lash_allocator *a, const lash_host *h);
/* Destroys every live task and frees every pending op. */
void lash__sched_shutdown(lash_sched *s);

/* Take ownership of t and queue it to run. */
void lash__sched_spawn(lash_sched *s, lash_task *t);
/* Queue t to run (no-op if already queued). */
void lash__task_wake(lash_task *t);

/* Start a host operation for t: registers the op, then calls the host.
 * Returns the op id, or 0 if no slot/memory (the host is not called). */
uint32_t lash__task_start_op(lash_task *t, const char *msg, size_t len);
/* If op finished, hand over its result (payload owned by caller) and free the
 * slot: returns 1. Returns 0 while pending, -1 for an id this task doesn't own. */
uint32_t lash__task_start_op_body(lash_task *t, const char *msg, size_t len, const char *body, size_t body_len);
int lash__task_take_op(lash_task *t, uint32_t op, int *status, char **payload, size_t *len);
/* 1 if op (owned by t) has completed and awaits take_op, else 0. */
int lash__task_op_done(lash_task *t, uint32_t op);
/* Abandon a pending op and tell the host ({"op":"cancel","id":N} notification). */
void lash__task_cancel_op(lash_task *t, uint32_t op);
/* Send a notification (op id 0) to the host. */
void lash__sched_notify(lash_sched *s, const char *msg, size_t len);

/* Streamed progress of a pending op (channel 0: the head, JSON; 1: body bytes,
 * appended). Wakes the task. LASH_E_UNKNOWN_OP for a finished/unknown op. */
int lash__sched_data(lash_sched *s, uint32_t op, int channel, const char *bytes, size_t len);
/* Take what the op streamed so far: *head (owned, once, NULL if none yet) and
 * *data (owned, the bytes since the last take). Returns 0, or -1 for a foreign id. */
int lash__task_take_data(lash_task *t, uint32_t op, char **head, size_t *head_len, char **data, size_t *data_len);

int lash__sched_complete(lash_sched *s, uint32_t op, int status, const char *payload, size_t len);
int lash__sched_run(lash_sched *s, double now_ms);
#endif
