/* The core's allocator hook (no global state except cJSON's and a failure count, see alloc.c). */
#ifndef LASH_UTIL_ALLOC_H
#define LASH_UTIL_ALLOC_H
#include "lash/lash.h"

void *lash__alloc(const lash_allocator *a, size_t n);
void *lash__realloc(const lash_allocator *a, void *p, size_t n);
void lash__free(const lash_allocator *a, void *p);
char *lash__strndup(const lash_allocator *a, const char *s, size_t n);
/* Allocations refused so far (process-wide, like cJSON's hooks). cJSON's builders
 * drop a child they could not allocate without a word, so code that must not let
 * a half-built tree out compares this count before and after building it. */
unsigned long lash__alloc_failures(void);
/* cJSON keeps its hooks globally; the core installs the same allocator there.
 * One wasm instance hosts one core, so this global is per core in practice. */
void lash__install_json_hooks(const lash_allocator *a);
#endif
