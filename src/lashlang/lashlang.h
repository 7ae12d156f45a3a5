/* Lashlang, the language RLM programs are written in (lash's crates/lashlang at
 * the `submit`/fenced-block generation, commit 4af52886): the core's interface.
 *
 * A program is loaded (lexed, parsed, compiled to bytecode) into a VM, then
 * driven by lash__ll_run until it finishes. The VM never blocks and never
 * recurses in C across an await: `await tools.x({...})` parks the VM with the
 * tool calls it wants (several at once for an aggregate await) and returns
 * LASH_LL_PENDING; the host runs them however it likes and hands each result
 * back with lash__ll_resolve, then calls lash__ll_run again. Every
 * `yield_every` instructions the VM returns LASH_LL_YIELD so the scheduler can
 * run other work; not calling run again (and freeing the VM) is cancellation.
 * Globals survive across loads in the same VM and export/import as JSON. */
#ifndef LASH_LASHLANG_H
#define LASH_LASHLANG_H
#include <stddef.h>
#include <stdint.h>

#include "lash/lash.h"

typedef struct lash_ll_limits {
  uint64_t max_steps;   /* instructions per program; 0 = default (10,000,000) */
  size_t max_memory;    /* bytes of live values; 0 = default (64 MiB) */
  size_t max_output;    /* bytes of printed text per program; 0 = default (10,000 like lash's max_output_chars) */
  uint32_t yield_every; /* instructions between LASH_LL_YIELD; 0 = default (1024, lash's cooperative budget) */
} lash_ll_limits;

typedef enum lash_ll_status {
  LASH_LL_DONE,      /* ran off the end without `submit` */
  LASH_LL_SUBMITTED, /* `submit v` ended the program: lash__ll_submitted_json */
  LASH_LL_PENDING,   /* parked on tool calls: lash__ll_pending_*, then resolve and run again */
  LASH_LL_YIELD,     /* step slice used up: run again when the scheduler gets back to us */
  LASH_LL_ERROR      /* parse/link/runtime error: lash__ll_error has lash's diagnostic text */
} lash_ll_status;

typedef struct lash_ll_vm lash_ll_vm;

lash_ll_vm *lash__ll_new(const lash_allocator *a /* borrowed, may be NULL */,
                         const lash_ll_limits *limits /* copied, may be NULL */);
void lash__ll_free(lash_ll_vm *vm /* owned */);

/* Parse and compile source (borrowed). On failure returns LASH_LL_ERROR with
 * the parse/link diagnostic in lash__ll_error; otherwise LASH_LL_YIELD (ready
 * to run). Printed output, the submitted value and step count reset. */
lash_ll_status lash__ll_load(lash_ll_vm *vm, const char *src, size_t len);
lash_ll_status lash__ll_run(lash_ll_vm *vm);

/* Tool calls the VM is parked on (status PENDING). `id` identifies the call in
 * lash__ll_resolve; tool is the operation name (`x` in `tools.x`), args_json
 * the argument as JSON text (an object). Both borrowed until resolve/free. */
size_t lash__ll_pending_count(const lash_ll_vm *vm);
int lash__ll_pending_get(const lash_ll_vm *vm, size_t i, uint32_t *id, const char **module,
                         const char **tool, const char **args_json);
/* ok: value_json is the tool's value (JSON, borrowed); !ok: value_json is the
 * error message as a JSON string or any JSON (rendered as text). A value that
 * can't be read (bad JSON, nested too deeply, over the memory limit) resolves
 * the call as failed with "tool result could not be read: ...". Returns 0, or
 * -1 for an unknown/already resolved id (or no memory for that message). */
int lash__ll_resolve(lash_ll_vm *vm, uint32_t id, int ok, const char *value_json, size_t len);

const char *lash__ll_error(const lash_ll_vm *vm);     /* borrowed; "" when none */
const char *lash__ll_submitted(const lash_ll_vm *vm); /* borrowed JSON of the submitted value, or NULL */
size_t lash__ll_printed_count(const lash_ll_vm *vm);
const char *lash__ll_printed(const lash_ll_vm *vm, size_t i); /* borrowed, as lash feeds it back */
uint64_t lash__ll_steps(const lash_ll_vm *vm);

/* Globals as one JSON object (owned by the caller, lash__free with the VM's
 * allocator); import merges an object's entries into the globals. */
char *lash__ll_globals_export(lash_ll_vm *vm, size_t *len_out);
int lash__ll_globals_import(lash_ll_vm *vm, const char *json, size_t len);

/* Parse + link only: NULL when the source is valid, else lash's diagnostic
 * text (owned, lash__free with a). */
char *lash__ll_check(const lash_allocator *a, const char *src, size_t len);

#endif
