/* Diagnostic tasks that exercise the scheduler and the host boundary from the
 * outside (the boundary conformance tests drive them from JavaScript and C).
 * They do no work of their own: every value comes from the host. */
#ifndef LASH_DIAG_H
#define LASH_DIAG_H
#include "lash/lash.h"

/* Spawn `tasks` tasks; each runs `steps` steps, and each step starts `width`
 * host ops {"op":"diag.echo","task":T,"step":S,"slot":K} at once and waits for
 * all of them. An ok reply {"value":n} folds into acc = (acc*31 + n) mod 1e9+7
 * in slot order; an error or cancelled reply counts in `errors`. At the end the
 * task notifies {"op":"diag.done","task":T,"acc":A,"errors":E}. */
int lash_diag_spawn(lash_core *core, uint32_t tasks, uint32_t steps, uint32_t width);
/* A task that notifies {"op":"diag.woken","task":T,"count":N} each time it runs
 * and ends after `limit` runs; returns its id for lash_diag_poke. */
uint32_t lash_diag_spawn_waiter(lash_core *core, uint32_t limit);
int lash_diag_poke(lash_core *core, uint32_t task_id);
#endif
