/* The wasm module's surface: one imported relay (lash_host.call) and the
 * exported entry points. Built for the wasm (emcc) and wasi (clang) targets only.
 * Pointers are offsets into the instance's memory; the host allocates with
 * lash_alloc and frees with lash_free. The diag exports exist only in test
 * builds (LASH_DIAG): the CMake target lash-test and the WASI reactor.
 *
 * The counting allocator's total is the one piece of mutable state outside a
 * core: it is the wasm instance's heap (the host allocates through lash_alloc
 * before any core exists), so it lives with the instance, here. */
#include <stdlib.h>

#include "lash/lash_host.h"
#ifdef LASH_DIAG
#include "diag/diag.h"
#endif

#define EXPORT(name) __attribute__((export_name(#name), used))

__attribute__((import_module("lash_host"), import_name("call"))) extern void
lash_host_call(uint32_t op_id, const char *msg, uint32_t len, const char *body, uint32_t body_len);

static void relay(void *ud, uint32_t op_id, const char *msg, size_t len, const char *body, size_t blen) {
  (void)ud;
  lash_host_call(op_id, msg, (uint32_t)len, body, (uint32_t)blen);
}

static const lash_host k_host = {relay, NULL};

/* Every allocation of the instance goes through this counting allocator, so the
 * host can check the heap returns to its baseline (memory.buffer never shrinks,
 * so its size can't tell). An 8-byte header keeps the size and the alignment. */
static uint32_t g_in_use;
static void *count_alloc(size_t n, void *ud) {
  (void)ud;
  uint64_t *p = malloc(n + 8);
  if (!p) return NULL;
  *p = n;
  g_in_use += (uint32_t)n;
  return p + 1;
}
static void count_free(void *q, void *ud) {
  (void)ud;
  if (!q) return;
  uint64_t *p = (uint64_t *)q - 1;
  g_in_use -= (uint32_t)*p;
  free(p);
}
static void *count_realloc(void *q, size_t n, void *ud) {
  if (!q) return count_alloc(n, ud);
  uint64_t *p = (uint64_t *)q - 1;
  size_t old = (size_t)*p;
  uint64_t *r = realloc(p, n + 8);
  if (!r) return NULL;
  *r = n;
  g_in_use = g_in_use - (uint32_t)old + (uint32_t)n;
  return r + 1;
}
static const lash_allocator k_alloc = {count_alloc, count_realloc, count_free, NULL};

EXPORT(lash_alloc) void *wasm_alloc(uint32_t n) { return count_alloc(n ? n : 1, NULL); }
EXPORT(lash_free) void wasm_free(void *p) { count_free(p, NULL); }
EXPORT(lash_heap_in_use) uint32_t wasm_heap_in_use(void) { return g_in_use; }
EXPORT(lash_core_new) lash_core *wasm_core_new(void) { return lash_core_new(&k_host, &k_alloc); }
EXPORT(lash_core_free) void wasm_core_free(lash_core *c) { lash_core_free(c); }
EXPORT(lash_core_build) int wasm_core_build(lash_core *c, const char *p, uint32_t n) {
  return lash_core_build(c, p, n);
}
/* Result strings: pointer returned, length written to *len_out (a u32 cell). */
EXPORT(lash_core_last_error) const char *wasm_last_error(lash_core *c, uint32_t *len_out) {
  size_t n;
  const char *s = lash_core_last_error(c, &n);
  *len_out = (uint32_t)n;
  return s;
}
EXPORT(lash_core_info) const char *wasm_info(lash_core *c, uint32_t *len_out) {
  size_t n;
  const char *s = lash_core_info(c, &n);
  *len_out = (uint32_t)n;
  return s;
}
EXPORT(lash_core_result) const char *wasm_result(lash_core *c, uint32_t *len_out) {
  size_t n;
  const char *s = lash_core_result(c, &n);
  *len_out = (uint32_t)n;
  return s;
}
EXPORT(lash_session_open) int wasm_session_open(lash_core *c, const char *p, uint32_t n) {
  return lash_session_open(c, p, n);
}
EXPORT(lash_session_read_view) int wasm_read_view(lash_core *c, const char *p, uint32_t n) {
  return lash_session_read_view(c, p, n);
}
EXPORT(lash_session_delete) int wasm_session_delete(lash_core *c, const char *p, uint32_t n) {
  return lash_session_delete(c, p, n);
}
EXPORT(lash_session_close) int wasm_session_close(lash_core *c, const char *p, uint32_t n) {
  return lash_session_close(c, p, n);
}
/* Returns the turn number (> 0), or minus the status on failure. */
EXPORT(lash_turn_start) int wasm_turn_start(lash_core *c, const char *p, uint32_t n) {
  uint32_t no = 0;
  int rc = lash_turn_start(c, p, n, &no);
  return rc ? -rc : (int)no;
}
EXPORT(lash_turn_cancel) int wasm_turn_cancel(lash_core *c, uint32_t no) { return lash_turn_cancel(c, no); }
EXPORT(lash_op_complete) int wasm_op_complete(lash_core *c, uint32_t op, int st, const char *p, uint32_t n) {
  return lash_op_complete(c, op, st, p, n);
}
EXPORT(lash_op_data) int wasm_op_data(lash_core *c, uint32_t op, int ch, const char *p, uint32_t n) {
  return lash_op_data(c, op, ch, p, n);
}
EXPORT(lash_run) int wasm_run(lash_core *c, double now_ms) { return lash_run(c, now_ms); }
#ifdef LASH_DIAG /* test builds only (CMake target lash-test, the WASI reactor) */
EXPORT(lash_diag_spawn) int wasm_diag_spawn(lash_core *c, uint32_t t, uint32_t s, uint32_t w) {
  return lash_diag_spawn(c, t, s, w);
}
EXPORT(lash_diag_spawn_waiter) uint32_t wasm_diag_waiter(lash_core *c, uint32_t limit) {
  return lash_diag_spawn_waiter(c, limit);
}
EXPORT(lash_diag_poke) int wasm_diag_poke(lash_core *c, uint32_t id) { return lash_diag_poke(c, id); }
/* Deliberate trap: lets the host prove a trap poisons only this instance. */
EXPORT(lash_diag_trap) void wasm_diag_trap(void) { __builtin_trap(); }
#endif
