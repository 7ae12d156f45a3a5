/* The standalone Lashlang entry (js/lashlang.js): a VM per run, driven by the
 * host through load/run/pending/resolve. Strings returned here are malloc'd
 * and released with lashlang_str_free; inputs are lash_alloc'd by the host. */
#include <stdlib.h>
#include <string.h>

#include "lashlang/lashlang.h"
#include "util/buf.h"

#define EXPORT(name) __attribute__((export_name(#name), used))

static char *take(lash_buf *b, uint32_t *len_out) {
  size_t n = 0;
  if (b->oom) { lash__buf_free(b); *len_out = 0; return NULL; }
  if (!b->data) lash__buf_append(b, "", 0);
  char *s = lash__buf_take(b, &n);
  *len_out = (uint32_t)n;
  return s;
}

EXPORT(lashlang_new) lash_ll_vm *wasm_ll_new(double max_steps, double max_memory, double max_output, uint32_t yield_every) {
  lash_ll_limits lim = {(uint64_t)max_steps, (size_t)max_memory, (size_t)max_output, yield_every};
  return lash__ll_new(NULL, &lim);
}
EXPORT(lashlang_free) void wasm_ll_free(lash_ll_vm *vm) { lash__ll_free(vm); }
EXPORT(lashlang_str_free) void wasm_ll_str_free(char *s) { free(s); }
EXPORT(lashlang_load) int wasm_ll_load(lash_ll_vm *vm, const char *src, uint32_t n) { return (int)lash__ll_load(vm, src, n); }
EXPORT(lashlang_run) int wasm_ll_run(lash_ll_vm *vm) { return (int)lash__ll_run(vm); }
EXPORT(lashlang_resolve) int wasm_ll_resolve(lash_ll_vm *vm, uint32_t id, int ok, const char *json, uint32_t n) {
  return lash__ll_resolve(vm, id, ok, json, n);
}
EXPORT(lashlang_globals_import) int wasm_ll_import(lash_ll_vm *vm, const char *json, uint32_t n) {
  return lash__ll_globals_import(vm, json, n);
}

/* [{"id":1,"module":"tools","tool":"x","args":{...}}, ...] */
EXPORT(lashlang_pending) char *wasm_ll_pending(lash_ll_vm *vm, uint32_t *len_out) {
  lash_buf b;
  lash__buf_init(&b, NULL);
  lash__buf_puts(&b, "[");
  for (size_t i = 0; i < lash__ll_pending_count(vm); i++) {
    uint32_t id;
    const char *module, *tool, *args;
    if (lash__ll_pending_get(vm, i, &id, &module, &tool, &args)) break;
    lash__buf_printf(&b, "%s{\"id\":%u,\"module\":", i ? "," : "", id);
    lash__buf_json_string(&b, module, strlen(module));
    lash__buf_puts(&b, ",\"tool\":");
    lash__buf_json_string(&b, tool, strlen(tool));
    lash__buf_puts(&b, ",\"args\":");
    lash__buf_puts(&b, args);
    lash__buf_puts(&b, "}");
  }
  lash__buf_puts(&b, "]");
  return take(&b, len_out);
}

/* {"submitted":<json>?,"printed":[...],"error":"..."?,"steps":n} */
EXPORT(lashlang_result) char *wasm_ll_result(lash_ll_vm *vm, uint32_t *len_out) {
  lash_buf b;
  lash__buf_init(&b, NULL);
  lash__buf_puts(&b, "{");
  if (lash__ll_submitted(vm)) {
    lash__buf_puts(&b, "\"submitted\":");
    lash__buf_puts(&b, lash__ll_submitted(vm));
    lash__buf_puts(&b, ",");
  }
  lash__buf_puts(&b, "\"printed\":[");
  for (size_t i = 0; i < lash__ll_printed_count(vm); i++) {
    const char *p = lash__ll_printed(vm, i);
    if (i) lash__buf_puts(&b, ",");
    lash__buf_json_string(&b, p, strlen(p));
  }
  lash__buf_puts(&b, "]");
  const char *err = lash__ll_error(vm);
  if (err[0]) {
    lash__buf_puts(&b, ",\"error\":");
    lash__buf_json_string(&b, err, strlen(err));
  }
  lash__buf_printf(&b, ",\"steps\":%llu}", (unsigned long long)lash__ll_steps(vm));
  return take(&b, len_out);
}

EXPORT(lashlang_globals) char *wasm_ll_globals(lash_ll_vm *vm, uint32_t *len_out) {
  size_t n = 0;
  char *s = lash__ll_globals_export(vm, &n);
  *len_out = (uint32_t)n;
  return s;
}

/* NULL (len 0) when valid, else lash's diagnostic text */
EXPORT(lashlang_check) char *wasm_ll_check(const char *src, uint32_t n, uint32_t *len_out) {
  char *d = lash__ll_check(NULL, src, n);
  *len_out = d ? (uint32_t)strlen(d) : 0;
  return d;
}
