/* The scheduler and host boundary under a native fake host: many interleaved
 * tasks, completions out of order, errors, cancellations, late and duplicate
 * completions, re-entrant calls, coalescing wake-ups, teardown with ops in flight. */
#include <stdlib.h>

#include "cJSON.h"
#include "diag/diag.h"
#include "lash/lash_host.h"
#include "test.h"

typedef struct {
  uint32_t id;
  unsigned task, step, slot;
} pending_op;

typedef struct {
  lash_core *core;
  pending_op *ops;
  size_t n, cap;
  unsigned done_tasks, woken, cancels, reentrant_refused;
  unsigned long long acc[4096];
  unsigned errors[4096];
  unsigned last_woken_count;
} fake_host;

static void host_call(void *ud, uint32_t op, const char *msg, size_t len, const char *body, size_t blen) {
  (void)body;
  (void)blen;
  fake_host *h = ud;
  cJSON *m = cJSON_ParseWithLength(msg, len);
  const char *kind = cJSON_GetObjectItem(m, "op")->valuestring;
  if (op == 0) {
    if (!strcmp(kind, "diag.done")) {
      unsigned t = (unsigned)cJSON_GetObjectItem(m, "task")->valuedouble;
      h->acc[t] = (unsigned long long)cJSON_GetObjectItem(m, "acc")->valuedouble;
      h->errors[t] = (unsigned)cJSON_GetObjectItem(m, "errors")->valuedouble;
      h->done_tasks++;
    } else if (!strcmp(kind, "diag.woken")) {
      h->woken++;
      h->last_woken_count = (unsigned)cJSON_GetObjectItem(m, "count")->valuedouble;
    } else if (!strcmp(kind, "cancel")) {
      h->cancels++;
    }
  } else {
    /* no re-entrancy: completing from inside the core must be refused */
    if (lash_op_complete(h->core, op, LASH_OP_OK, "{\"value\":1}", 11) == LASH_E_REENTRANT)
      h->reentrant_refused++;
    if (h->n == h->cap) {
      h->cap = h->cap ? h->cap * 2 : 64;
      h->ops = realloc(h->ops, h->cap * sizeof *h->ops);
    }
    h->ops[h->n++] = (pending_op){op, (unsigned)cJSON_GetObjectItem(m, "task")->valuedouble,
                                  (unsigned)cJSON_GetObjectItem(m, "step")->valuedouble,
                                  (unsigned)cJSON_GetObjectItem(m, "slot")->valuedouble};
  }
  cJSON_Delete(m);
}

/* The value the host answers for (task, step, slot), and whether it fails. */
static unsigned value_of(const pending_op *o) { return (o->task * 7919u + o->step * 104729u + o->slot * 13u) % 1000u; }
static int fails(const pending_op *o) { return (o->task + o->step + o->slot) % 11 == 0; }

static unsigned long long expected_acc(unsigned task, unsigned steps, unsigned width, unsigned *errors) {
  unsigned long long acc = 0;
  *errors = 0;
  for (unsigned s = 0; s < steps; s++)
    for (unsigned k = 0; k < width; k++) {
      pending_op o = {0, task, s, k};
      if (fails(&o)) (*errors)++;
      else acc = (acc * 31 + value_of(&o)) % 1000000007ull;
    }
  return acc;
}

static void interleaved_out_of_order(unsigned tasks, unsigned steps, unsigned width, unsigned seed) {
  fake_host h = {0};
  lash_host host = {host_call, &h};
  h.core = lash_core_new(&host, NULL);
  CHECK(lash_diag_spawn(h.core, tasks, steps, width) == LASH_OK);
  srand(seed);
  double now = 0;
  lash_run(h.core, now);
  unsigned rounds = 0;
  while (h.n > 0 && rounds++ < 1000000) {
    /* complete a random pending op, sometimes several before one run */
    unsigned batch = 1 + (unsigned)rand() % 4;
    for (unsigned b = 0; b < batch && h.n > 0; b++) {
      size_t i = (size_t)rand() % h.n;
      pending_op o = h.ops[i];
      h.ops[i] = h.ops[--h.n];
      char payload[32];
      int n = snprintf(payload, sizeof payload, "{\"value\":%u}", value_of(&o));
      int st = fails(&o) ? LASH_OP_ERROR : LASH_OP_OK;
      CHECK(lash_op_complete(h.core, o.id, st, fails(&o) ? "{\"message\":\"boom\"}" : payload,
                             fails(&o) ? 18 : (size_t)n) == LASH_OK);
      /* a duplicate completion of the same op is refused, not applied twice */
      CHECK(lash_op_complete(h.core, o.id, LASH_OP_OK, payload, (size_t)n) == LASH_E_UNKNOWN_OP);
    }
    lash_run(h.core, now += 1);
  }
  CHECK(h.done_tasks == tasks);
  CHECK(h.reentrant_refused == tasks * steps * width);
  for (unsigned t = 1; t <= tasks; t++) {
    unsigned errs;
    unsigned long long acc = expected_acc(t, steps, width, &errs);
    CHECK(h.acc[t] == acc);
    CHECK(h.errors[t] == errs);
  }
  CHECK(lash_run(h.core, now) == 0);
  lash_core_free(h.core);
  free(h.ops);
}

static void many_tasks_out_of_order(void) { interleaved_out_of_order(200, 5, 3, 1); }
static void wide_fanout(void) { interleaved_out_of_order(8, 3, 200, 2); }
static void long_chains(void) { interleaved_out_of_order(3, 500, 1, 3); }

static void unknown_and_garbage_completions(void) {
  fake_host h = {0};
  lash_host host = {host_call, &h};
  h.core = lash_core_new(&host, NULL);
  CHECK(lash_op_complete(h.core, 0, LASH_OP_OK, "", 0) == LASH_E_UNKNOWN_OP);
  CHECK(lash_op_complete(h.core, 0xFFFFFFFFu, LASH_OP_OK, "", 0) == LASH_E_UNKNOWN_OP);
  CHECK(lash_op_complete(h.core, 12345, LASH_OP_OK, NULL, 0) == LASH_E_UNKNOWN_OP);
  CHECK(lash_diag_spawn(h.core, 1, 1, 1) == LASH_OK);
  lash_run(h.core, 0);
  CHECK(h.n == 1);
  /* an ok reply that isn't JSON counts as an error for that op */
  CHECK(lash_op_complete(h.core, h.ops[0].id, LASH_OP_OK, "not json", 8) == LASH_OK);
  h.n = 0;
  lash_run(h.core, 1);
  CHECK(h.done_tasks == 1 && h.errors[1] == 1);
  CHECK(lash_diag_spawn(h.core, 1, 1, 0) == LASH_E_INVALID_ARGUMENT);
  lash_core_free(h.core);
  free(h.ops);
}

static void coalescing_pokes(void) {
  fake_host h = {0};
  lash_host host = {host_call, &h};
  h.core = lash_core_new(&host, NULL);
  uint32_t id = lash_diag_spawn_waiter(h.core, 3);
  CHECK(id != 0);
  lash_run(h.core, 0);
  CHECK(h.woken == 1);
  for (int i = 0; i < 10; i++) CHECK(lash_diag_poke(h.core, id) == LASH_OK);
  lash_run(h.core, 1);
  CHECK(h.woken == 2); /* ten pokes, one run */
  lash_run(h.core, 2);
  CHECK(h.woken == 2); /* nothing ready: nothing runs */
  lash_diag_poke(h.core, id);
  CHECK(lash_run(h.core, 3) == 0); /* third run ends it */
  CHECK(h.last_woken_count == 3);
  CHECK(lash_diag_poke(h.core, id) == LASH_E_UNKNOWN_OP);
  lash_core_free(h.core);
  free(h.ops);
}

static void teardown_with_ops_in_flight(void) {
  fake_host h = {0};
  lash_host host = {host_call, &h};
  h.core = lash_core_new(&host, NULL);
  CHECK(lash_diag_spawn(h.core, 50, 10, 4) == LASH_OK);
  lash_run(h.core, 0);
  CHECK(h.n == 200);
  /* complete half, never run: results owned by the core must be freed (ASan) */
  for (size_t i = 0; i < 100; i++) lash_op_complete(h.core, h.ops[i].id, LASH_OP_OK, "{\"value\":1}", 11);
  lash_core_free(h.core);
  free(h.ops);
}

TEST_MAIN(RUN(many_tasks_out_of_order); RUN(wide_fanout); RUN(long_chains);
          RUN(unknown_and_garbage_completions); RUN(coalescing_pokes); RUN(teardown_with_ops_in_flight))
