/* A shared driver for the Lashlang C tests: runs a program to completion,
 * resolving tool calls (every pending call per round) through the including
 * file's LL_HOST_CALL(module, tool, args_json, &ok, &json_malloced). */
#ifndef LASH_TESTS_LASHLANG_HARNESS_H
#define LASH_TESTS_LASHLANG_HARNESS_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lashlang/lashlang.h"

static size_t g_max_pending;

/* Drive a VM to completion, resolving tool calls (all pending ones per round). */
static lash_ll_status drive(lash_ll_vm *vm) {
  lash_ll_status st = lash__ll_run(vm);
  while (st == LASH_LL_YIELD || st == LASH_LL_PENDING) {
    if (st == LASH_LL_PENDING) {
      size_t n = lash__ll_pending_count(vm);
      if (n > g_max_pending) g_max_pending = n;
      while (lash__ll_pending_count(vm)) {
        uint32_t id;
        const char *module, *tool, *args;
        lash__ll_pending_get(vm, 0, &id, &module, &tool, &args);
        int ok;
        char *json;
        LL_HOST_CALL(module, tool, args, &ok, &json);
        if (lash__ll_resolve(vm, id, ok, json, strlen(json))) abort();
        free(json);
      }
    }
    st = lash__ll_run(vm);
  }
  return st;
}

/* Run source in vm: the submitted JSON, "DONE", or "ERR:" + diagnostic. */
static char g_out[16384];
static const char *run_in(lash_ll_vm *vm, const char *src) {
  lash_ll_status st = lash__ll_load(vm, src, strlen(src));
  if (st != LASH_LL_ERROR) st = drive(vm);
  if (st == LASH_LL_SUBMITTED) snprintf(g_out, sizeof g_out, "%s", lash__ll_submitted(vm));
  else if (st == LASH_LL_DONE) snprintf(g_out, sizeof g_out, "DONE");
  else snprintf(g_out, sizeof g_out, "ERR:%s", lash__ll_error(vm));
  return g_out;
}

static inline const char *run(const char *src) {
  lash_ll_vm *vm = lash__ll_new(NULL, NULL);
  const char *out = run_in(vm, src);
  lash__ll_free(vm);
  return out;
}

/* The first line of a runtime error (lash's RuntimeError Display). */
static inline const char *err_msg(const char *src) {
  const char *out = run(src);
  if (strncmp(out, "ERR:", 4)) return "(no error)";
  memmove(g_out, g_out + 4, strlen(g_out + 4) + 1);
  char *nl = strchr(g_out, '\n');
  if (nl) *nl = '\0';
  return g_out;
}

static inline int parses(const char *src) {
  char *d = lash__ll_check(NULL, src, strlen(src));
  int ok = d == NULL;
  free(d);
  return ok;
}

#endif
