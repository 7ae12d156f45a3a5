#include "diag/diag.h"

#include "lash/lash_ops.h"

#include <stdio.h>
#include <string.h>

#include "core/state.h"
#include "util/alloc.h"

#define DIAG_MOD 1000000007ull

typedef struct {
  lash_task task; /* first: the scheduler hands back &task */
  lash_core *core;
  uint32_t steps, width, step;
  uint64_t acc;
  uint32_t errors;
  int started;    /* ops of the current step are in flight */
  uint32_t ops[]; /* width op ids */
} echo_task;

static void echo_destroy(lash_task *t) {
  echo_task *e = (echo_task *)t;
  lash__free(&e->core->alloc, e);
}

static int echo_resume(lash_task *t) {
  echo_task *e = (echo_task *)t;
  char msg[128];
  for (;;) {
    if (!e->started) {
      if (e->step == e->steps) break;
      for (uint32_t k = 0; k < e->width; k++) {
        int n = snprintf(msg, sizeof msg, "{\"op\":\"%s\",\"task\":%u,\"step\":%u,\"slot\":%u}",
                         LASH_DIAG_OP(DIAG_ECHO), t->id, e->step, k);
        e->ops[k] = lash__task_start_op(t, msg, (size_t)n);
        if (!e->ops[k]) e->errors++; /* no slot: counted, not fatal */
      }
      e->started = 1;
    }
    /* all of this step's ops must be done before any is folded: slot order */
    for (uint32_t k = 0; k < e->width; k++) {
      if (e->ops[k] && !lash__task_op_done(t, e->ops[k])) return LASH_TASK_PARKED;
    }
    for (uint32_t k = 0; k < e->width; k++) {
      if (!e->ops[k]) continue;
      int status;
      char *payload = NULL;
      size_t len;
      lash__task_take_op(t, e->ops[k], &status, &payload, &len);
      lash_err err;
      cJSON *v = status == LASH_OP_OK ? lash__json_parse(payload, len, LASH_MAX_OP_RESULT_BYTES, "result", &err) : NULL;
      const cJSON *val = v ? cJSON_GetObjectItemCaseSensitive(v, "value") : NULL;
      if (cJSON_IsNumber(val) && val->valuedouble >= 0 && val->valuedouble < 1e9)
        e->acc = (e->acc * 31 + (uint64_t)val->valuedouble) % DIAG_MOD;
      else
        e->errors++;
      cJSON_Delete(v);
      lash__free(&e->core->alloc, payload);
    }
    e->started = 0;
    e->step++;
  }
  int n = snprintf(msg, sizeof msg, "{\"op\":\"%s\",\"task\":%u,\"acc\":%llu,\"errors\":%u}",
                   LASH_DIAG_OP(DIAG_DONE), t->id, (unsigned long long)e->acc, e->errors);
  lash__sched_notify(t->sched, msg, (size_t)n);
  return LASH_TASK_DONE;
}

int lash_diag_spawn(lash_core *c, uint32_t tasks, uint32_t steps, uint32_t width) {
  if (width == 0 || width > 1024 || tasks > 100000 || steps > 100000) return LASH_E_INVALID_ARGUMENT;
  for (uint32_t i = 0; i < tasks; i++) {
    echo_task *e = lash__alloc(&c->alloc, sizeof *e + width * sizeof(uint32_t));
    if (!e) return LASH_E_NOMEM;
    memset(e, 0, sizeof *e + width * sizeof(uint32_t));
    e->task.resume = echo_resume;
    e->task.destroy = echo_destroy;
    e->core = c;
    e->steps = steps;
    e->width = width;
    lash__sched_spawn(&c->sched, &e->task);
  }
  return LASH_OK;
}

typedef struct {
  lash_task task;
  lash_core *core;
  uint32_t count, limit;
} waiter_task;

static void waiter_destroy(lash_task *t) {
  waiter_task *w = (waiter_task *)t;
  lash__free(&w->core->alloc, w);
}

static int waiter_resume(lash_task *t) {
  waiter_task *w = (waiter_task *)t;
  char msg[96];
  int n = snprintf(msg, sizeof msg, "{\"op\":\"%s\",\"task\":%u,\"count\":%u}", LASH_DIAG_OP(DIAG_WOKEN), t->id, ++w->count);
  lash__sched_notify(t->sched, msg, (size_t)n);
  return w->count >= w->limit ? LASH_TASK_DONE : LASH_TASK_PARKED;
}

uint32_t lash_diag_spawn_waiter(lash_core *c, uint32_t limit) {
  waiter_task *w = lash__alloc(&c->alloc, sizeof *w);
  if (!w) return 0;
  memset(w, 0, sizeof *w);
  w->task.resume = waiter_resume;
  w->task.destroy = waiter_destroy;
  w->core = c;
  w->limit = limit ? limit : 1;
  lash__sched_spawn(&c->sched, &w->task);
  return w->task.id;
}

int lash_diag_poke(lash_core *c, uint32_t id) {
  for (lash_task *t = c->sched.live; t; t = t->next_live)
    if (t->id == id) { lash__task_wake(t); return LASH_OK; }
  return LASH_E_UNKNOWN_OP;
}
