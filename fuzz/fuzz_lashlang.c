/* libFuzzer: Lashlang source -> check, load, run under small step/memory/output
 * limits, resolving every tool call (alternately ok and failed), then a globals
 * export/import round trip. Any input must end in a status with no crash, leak,
 * UB or hang: the step limit bounds every loop. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lashlang/lashlang.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *src = (const char *)data;
  free(lash__ll_check(NULL, src, size));
  lash_ll_limits lim = {0};
  lim.max_steps = 20000;
  lim.max_memory = 4u << 20;
  lim.max_output = 4096;
  lim.yield_every = 512;
  lash_ll_vm *vm = lash__ll_new(NULL, &lim);
  if (!vm) return 0;
  lash_ll_status st = lash__ll_load(vm, src, size);
  int rounds = 0;
  while ((st == LASH_LL_YIELD || st == LASH_LL_PENDING) && rounds++ < 100000) {
    if (st == LASH_LL_PENDING) {
      while (lash__ll_pending_count(vm)) {
        uint32_t id;
        const char *module, *tool, *args;
        if (lash__ll_pending_get(vm, 0, &id, &module, &tool, &args)) abort();
        int ok = id & 1;
        const char *v = ok ? "{\"value\":[1,\"two\",null]}" : "\"failed\"";
        if (lash__ll_resolve(vm, id, ok, v, strlen(v))) abort();
      }
    }
    st = lash__ll_run(vm);
  }
  if (st == LASH_LL_YIELD || st == LASH_LL_PENDING) abort(); /* the step limit must end every run */
  if (st == LASH_LL_ERROR && !lash__ll_error(vm)[0]) abort();
  size_t n;
  char *g = lash__ll_globals_export(vm, &n);
  lash_ll_vm *copy = lash__ll_new(NULL, &lim);
  if (g && copy && lash__ll_globals_import(copy, g, n)) abort();
  free(g);
  lash__ll_free(copy);
  lash__ll_free(vm);
  return 0;
}
