#include "util/alloc.h"

#include <stdlib.h>
#include <string.h>

#include "cJSON.h"

static unsigned long g_failures; /* see lash__alloc_failures */

unsigned long lash__alloc_failures(void) { return g_failures; }

void *lash__alloc(const lash_allocator *a, size_t n) {
  void *p = (a && a->alloc) ? a->alloc(n, a->ud) : malloc(n);
  if (!p && n) g_failures++;
  return p;
}

void *lash__realloc(const lash_allocator *a, void *p, size_t n) {
  void *q = (a && a->realloc) ? a->realloc(p, n, a->ud) : realloc(p, n);
  if (!q && n) g_failures++;
  return q;
}

void lash__free(const lash_allocator *a, void *p) {
  if (!p) return;
  if (a && a->free) a->free(p, a->ud);
  else free(p);
}

char *lash__strndup(const lash_allocator *a, const char *s, size_t n) {
  char *d = lash__alloc(a, n + 1);
  if (!d) return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

static lash_allocator g_json_alloc; /* cJSON's hooks take no user data */
static void *json_malloc(size_t n) { return lash__alloc(&g_json_alloc, n); }
static void json_free(void *p) { lash__free(&g_json_alloc, p); }

void lash__install_json_hooks(const lash_allocator *a) {
  cJSON_Hooks hooks = {json_malloc, json_free};
  if (a) g_json_alloc = *a;
  else memset(&g_json_alloc, 0, sizeof g_json_alloc);
  cJSON_InitHooks(&hooks);
}
