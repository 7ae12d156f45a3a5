/* A minimal test harness: CHECK records failures and keeps going; main returns
 * non-zero if any check failed. Each test file ends with TEST_MAIN(...). */
#ifndef LASH_TEST_H
#define LASH_TEST_H
#include <stdio.h>
#include <string.h>

static int t_failed, t_checks;
#define CHECK(cond)                                                              \
  do {                                                                           \
    t_checks++;                                                                  \
    if (!(cond)) { t_failed++; fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); } \
  } while (0)
#define CHECK_STR(a, b)                                                          \
  do {                                                                           \
    const char *a_ = (a), *b_ = (b);                                             \
    t_checks++;                                                                  \
    if (!a_ || !b_ || strcmp(a_, b_)) {                                          \
      t_failed++;                                                                \
      fprintf(stderr, "%s:%d: expected \"%s\"\n   got \"%s\"\n", __FILE__, __LINE__, b_ ? b_ : "(null)", a_ ? a_ : "(null)"); \
    }                                                                            \
  } while (0)
#define RUN(fn) do { fprintf(stderr, "  %s\n", #fn); fn(); } while (0)
#define TEST_MAIN(...)                                                           \
  int main(void) {                                                               \
    __VA_ARGS__;                                                                 \
    printf("%d checks, %d failed\n", t_checks, t_failed);                      \
    return t_failed ? 1 : 0;                                                     \
  }
#endif
