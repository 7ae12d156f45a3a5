/* A failing allocator for the allocation sweeps of test_http.c and test_oom.c.
 * Shared by core and host (cJSON's hooks are global); only calls into the core
 * are armed, the host's own work inside call() is not. */
#ifndef LASH_TEST_BUDGET_ALLOC_H
#define LASH_TEST_BUDGET_ALLOC_H
#include <stdlib.h>

#include "lash/lash.h"

typedef struct {
  int armed;
  long left;    /* armed allocations allowed before failing; < 0: unlimited */
  long fail_at; /* >= 0: fail only the armed allocation with this index */
  long count;   /* armed allocations seen */
  long denied;  /* allocations refused */
  long live;
} budget;
static budget B;

static int b_deny(void) {
  if (!B.armed) return 0;
  long i = B.count++;
  int deny = B.fail_at >= 0 ? i == B.fail_at : B.left == 0;
  if (B.fail_at < 0 && B.left > 0) B.left--;
  if (deny) B.denied++;
  return deny;
}
static void *b_alloc(size_t n, void *ud) {
  (void)ud;
  if (b_deny()) return NULL;
  void *p = malloc(n);
  if (p) B.live++;
  return p;
}
static void *b_realloc(void *p, size_t n, void *ud) {
  (void)ud;
  if (b_deny()) return NULL;
  void *q = realloc(p, n);
  if (q && !p) B.live++;
  return q;
}
static void b_free(void *p, void *ud) {
  (void)ud;
  if (p) B.live--;
  free(p);
}
static const lash_allocator BUDGET = {b_alloc, b_realloc, b_free, NULL};
#endif
