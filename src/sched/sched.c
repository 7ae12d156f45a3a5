#include "sched/sched.h"

#include "lash/lash_ops.h"

#include <stdio.h>
#include <string.h>

#include "util/alloc.h"

void lash__sched_init(lash_sched *s, const lash_allocator *a, const lash_host *h) {
  memset(s, 0, sizeof *s);
  s->alloc = a;
  s->host = h;
  s->next_task_id = 1;
  s->gen = 1;
}

static void op_free_slot(lash_sched *s, lash_op *o) {
  lash__free(s->alloc, o->payload);
  lash__free(s->alloc, o->head);
  lash__free(s->alloc, o->data);
  memset(o, 0, sizeof *o);
  (void)s;
}

static void unlink_live(lash_sched *s, lash_task *t) {
  if (t->prev_live) t->prev_live->next_live = t->next_live;
  else s->live = t->next_live;
  if (t->next_live) t->next_live->prev_live = t->prev_live;
  t->prev_live = t->next_live = NULL;
  s->live_count--;
}

/* Cancel every op t still waits on: a finished task leaves nothing in flight. */
static void drop_ops_of(lash_sched *s, lash_task *t, int tell_host) {
  for (uint32_t i = 0; i < s->ops_cap; i++) {
    lash_op *o = &s->ops[i];
    if (o->id && o->task == t) {
      uint32_t id = o->id;
      int pending = !o->done;
      op_free_slot(s, o);
      if (pending && tell_host) {
        char msg[48];
        int n = snprintf(msg, sizeof msg, "{\"op\":\"%s\",\"id\":%u}", LASH_OP(CANCEL), id);
        lash__sched_notify(s, msg, (size_t)n);
      }
    }
  }
}

void lash__sched_shutdown(lash_sched *s) {
  while (s->live) {
    lash_task *t = s->live;
    drop_ops_of(s, t, 0);
    unlink_live(s, t);
    if (t->destroy) t->destroy(t);
  }
  for (uint32_t i = 0; i < s->ops_cap; i++)
    if (s->ops[i].id) op_free_slot(s, &s->ops[i]);
  lash__free(s->alloc, s->ops);
  s->ops = NULL;
  s->ops_cap = 0;
  s->ready_head = s->ready_tail = NULL;
}

void lash__sched_spawn(lash_sched *s, lash_task *t) {
  t->sched = s;
  t->id = s->next_task_id++;
  t->queued = 0;
  t->next_ready = NULL;
  t->prev_live = NULL;
  t->next_live = s->live;
  if (s->live) s->live->prev_live = t;
  s->live = t;
  s->live_count++;
  lash__task_wake(t);
}

void lash__task_wake(lash_task *t) {
  lash_sched *s = t->sched;
  if (t->queued) return;
  t->queued = 1;
  t->next_ready = NULL;
  if (s->ready_tail) s->ready_tail->next_ready = t;
  else s->ready_head = t;
  s->ready_tail = t;
}

static lash_op *op_alloc(lash_sched *s) {
  for (uint32_t n = 0; n < s->ops_cap; n++) {
    uint32_t i = (s->free_hint + n) % s->ops_cap;
    if (!s->ops[i].id) { s->free_hint = i + 1; return &s->ops[i]; }
  }
  if (s->ops_cap >= LASH_MAX_OPS) return NULL;
  uint32_t cap = s->ops_cap ? s->ops_cap * 2 : 16;
  if (cap > LASH_MAX_OPS) cap = LASH_MAX_OPS;
  lash_op *ops = lash__realloc(s->alloc, s->ops, cap * sizeof *ops);
  if (!ops) return NULL;
  memset(ops + s->ops_cap, 0, (cap - s->ops_cap) * sizeof *ops);
  lash_op *o = &ops[s->ops_cap];
  s->free_hint = s->ops_cap + 1;
  s->ops = ops;
  s->ops_cap = cap;
  return o;
}

/* id = generation (high 16 bits, never 0) | slot+1 (low 16 bits). */
static lash_op *op_find(lash_sched *s, uint32_t id) {
  uint32_t slot = (id & 0xFFFFu);
  if (!id || !slot || slot > s->ops_cap) return NULL;
  lash_op *o = &s->ops[slot - 1];
  return o->id == id ? o : NULL;
}

uint32_t lash__task_start_op(lash_task *t, const char *msg, size_t len) {
  return lash__task_start_op_body(t, msg, len, NULL, 0);
}

uint32_t lash__task_start_op_body(lash_task *t, const char *msg, size_t len, const char *body, size_t blen) {
  lash_sched *s = t->sched;
  lash_op *o = op_alloc(s);
  if (!o) return 0;
  if (++s->gen == 0) s->gen = 1;
  uint32_t slot = (uint32_t)(o - s->ops) + 1;
  o->id = ((uint32_t)s->gen << 16) | slot;
  o->task = t;
  uint32_t id = o->id; /* the host call must not see a half-registered op */
  if (s->host && s->host->call) s->host->call(s->host->ud, id, msg, len, body, blen);
  return id;
}

int lash__task_take_op(lash_task *t, uint32_t id, int *status, char **payload, size_t *len) {
  lash_op *o = op_find(t->sched, id);
  if (!o || o->task != t) return -1;
  if (!o->done) return 0;
  if (status) *status = o->status;
  if (payload) { *payload = o->payload; o->payload = NULL; }
  if (len) *len = o->len;
  op_free_slot(t->sched, o);
  return 1;
}

int lash__task_op_done(lash_task *t, uint32_t id) {
  lash_op *o = op_find(t->sched, id);
  return o && o->task == t && o->done;
}

void lash__task_cancel_op(lash_task *t, uint32_t id) {
  lash_sched *s = t->sched;
  lash_op *o = op_find(s, id);
  if (!o || o->task != t) return;
  int pending = !o->done;
  op_free_slot(s, o);
  if (pending) {
    char msg[48];
    int n = snprintf(msg, sizeof msg, "{\"op\":\"%s\",\"id\":%u}", LASH_OP(CANCEL), id);
    lash__sched_notify(s, msg, (size_t)n);
  }
}

void lash__sched_notify(lash_sched *s, const char *msg, size_t len) {
  if (s->host && s->host->call) s->host->call(s->host->ud, 0, msg, len, NULL, 0);
}

int lash__sched_complete(lash_sched *s, uint32_t id, int status, const char *payload, size_t len) {
  if (s->running) return LASH_E_REENTRANT;
  lash_op *o = op_find(s, id);
  if (!o || o->done) return LASH_E_UNKNOWN_OP;
  char *copy = lash__strndup(s->alloc, payload ? payload : "", payload ? len : 0);
  if (!copy) return LASH_E_NOMEM;
  o->done = 1;
  o->status = status;
  o->payload = copy;
  o->len = payload ? len : 0;
  lash__task_wake(o->task);
  return LASH_OK;
}

int lash__sched_data(lash_sched *s, uint32_t id, int channel, const char *bytes, size_t len) {
  if (s->running) return LASH_E_REENTRANT;
  lash_op *o = op_find(s, id);
  if (!o || o->done) return LASH_E_UNKNOWN_OP;
  if (len && !bytes) return LASH_E_INVALID_ARGUMENT;
  if (channel == 0) {
    if (o->head) return LASH_E_INVALID_ARGUMENT; /* one head per op */
    char *copy = lash__strndup(s->alloc, bytes ? bytes : "", len);
    if (!copy) return LASH_E_NOMEM;
    o->head = copy;
    o->head_len = len;
  } else {
    if (len > LASH_OP_DATA_MAX - o->data_len) return LASH_E_NOMEM;
    if (o->data_len + len > o->data_cap) {
      size_t cap = o->data_cap ? o->data_cap : 4096;
      while (cap < o->data_len + len) cap *= 2;
      char *d = lash__realloc(s->alloc, o->data, cap);
      if (!d) return LASH_E_NOMEM;
      o->data = d;
      o->data_cap = cap;
    }
    if (len) memcpy(o->data + o->data_len, bytes, len);
    o->data_len += len;
  }
  lash__task_wake(o->task);
  return LASH_OK;
}

int lash__task_take_data(lash_task *t, uint32_t id, char **head, size_t *head_len, char **data, size_t *data_len) {
  lash_op *o = op_find(t->sched, id);
  *head = NULL, *head_len = 0, *data = NULL, *data_len = 0;
  if (!o || o->task != t) return -1;
  *head = o->head, *head_len = o->head_len;
  o->head = NULL;
  if (o->data_len) {
    *data = o->data, *data_len = o->data_len;
    o->data = NULL, o->data_len = o->data_cap = 0;
  }
  return 0;
}

int lash__sched_run(lash_sched *s, double now_ms) {
  if (s->running) return -LASH_E_REENTRANT;
  s->running = 1;
  s->now_ms = now_ms;
  while (s->ready_head) {
    lash_task *t = s->ready_head;
    s->ready_head = t->next_ready;
    if (!s->ready_head) s->ready_tail = NULL;
    t->next_ready = NULL;
    t->queued = 0;
    if (t->resume(t) == LASH_TASK_DONE) {
      drop_ops_of(s, t, 1);
      if (t->queued) { /* woke itself on the way out: take it off the queue */
        lash_task **pp = &s->ready_head, *prev = NULL;
        while (*pp && *pp != t) { prev = *pp; pp = &(*pp)->next_ready; }
        if (*pp) { *pp = t->next_ready; if (s->ready_tail == t) s->ready_tail = prev; }
      }
      unlink_live(s, t);
      if (t->destroy) t->destroy(t);
    }
  }
  s->running = 0;
  return (int)s->live_count;
}
