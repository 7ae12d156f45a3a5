/* The host boundary: how the single-threaded core asks its host (JavaScript, or a
 * native test harness) for I/O, and how the host answers.
 *
 * - The core never blocks. A task that needs the host starts an operation: the
 *   core calls host->call(op_id, msg, body) with a small JSON header and an
 *   optional body (bytes: a model request, later an HTTP body) and parks the task.
 * - The host performs it however it likes and later calls lash_op_complete()
 *   with the op id, a status and a JSON payload, then lash_run() to let every
 *   ready task run until the core is idle.
 * - No re-entrancy: while the core is inside host->call (or inside lash_run) the
 *   host must not call back into it; lash_op_complete then fails with
 *   LASH_E_REENTRANT. A host that finishes an op synchronously queues the
 *   completion and delivers it after the current core call returns.
 * - op_id 0 marks a notification (no completion expected), e.g. emitted events. */
#ifndef LASH_HOST_H
#define LASH_HOST_H

#include "lash.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lash_host {
  /* Start an operation. msg (JSON header) and body (may be NULL/0) are borrowed
   * for the duration of the call only. */
  void (*call)(void *ud, uint32_t op_id, const char *msg, size_t len, const char *body, size_t body_len);
  void *ud;
} lash_host;

/* Completion status of a host operation. */
enum { LASH_OP_OK = 0, LASH_OP_ERROR = 1, LASH_OP_CANCELLED = 2 };

/* Deliver the result of operation op_id. payload is borrowed (copied by the core).
 * Returns LASH_OK, LASH_E_UNKNOWN_OP (no such pending op: late or duplicate), or
 * LASH_E_REENTRANT. The woken task runs at the next lash_run(). */
int lash_op_complete(lash_core *core, uint32_t op_id, int op_status,
                     const char *payload /* borrowed */, size_t len);

/* Streamed progress of a pending operation, before its completion (e.g. an HTTP
 * response as it arrives). channel LASH_DATA_HEAD: the response head, one JSON
 * document, at most once; channel LASH_DATA_BODY: the next body bytes, in order.
 * bytes are borrowed (copied). The woken task runs at the next lash_run().
 * Returns LASH_OK; LASH_E_UNKNOWN_OP when the op is no longer pending (the core
 * abandoned it: stop sending, abort the I/O); LASH_E_NOMEM when the host is more
 * than 16 MiB ahead of the core (call lash_run first); LASH_E_REENTRANT. */
enum { LASH_DATA_HEAD = 0, LASH_DATA_BODY = 1 };
int lash_op_data(lash_core *core, uint32_t op_id, int channel, const char *bytes /* borrowed */, size_t len);

/* Run every ready task until none is ready. now_ms is the host clock: epoch
 * milliseconds (commit and trace timestamps), monotonic where the host can
 * (durations are differences). Returns the number of live tasks. */
int lash_run(lash_core *core, double now_ms);

#ifdef __cplusplus
}
#endif
#endif
