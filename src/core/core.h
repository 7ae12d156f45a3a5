/* The core object shared by every concern. Internal. */
#ifndef LASH_CORE_CORE_H
#define LASH_CORE_CORE_H
#include "lash/lash_host.h"
#include "sched/sched.h"
#include "util/ids.h"
#include "util/json.h"

struct lash_session;

typedef enum { LASH_TIER_NONE = 0, LASH_TIER_INLINE, LASH_TIER_DURABLE } lash_tier;
typedef enum { LASH_RUNNER_NONE = 0, LASH_RUNNER_LAZY, LASH_RUNNER_EXTERNAL } lash_runner_setup;

struct lash_core {
  lash_allocator alloc;
  lash_sched sched;
  int built;
  lash_runner_setup runner;
  int runner_started;       /* the lazy inline runner starts once, on first open */
  cJSON *policy;            /* resolved SessionPolicy (owned) */
  cJSON *config;            /* the validated builder config (owned) */
  char *last_error;         /* owned JSON */
  const char *last_error_static; /* when last_error could not be allocated: a static OutOfMemory */
  size_t last_error_len;
  char *info;               /* owned JSON */
  size_t info_len;
  char *result;             /* owned JSON: the last call's result */
  size_t result_len;
  lash_rng rng;             /* ids; seeded by the host at build */
  struct lash_session *sessions;
  uint32_t next_turn;
  cJSON *tool_specs;        /* the tool specs the model sees: config-derived, built once */
  char *tools_json;         /* the same as JSON text (cJSON allocation) */
};

/* Record an error (code + message template filled from e) as the last error. */
int lash__core_fail(lash_core *c, const lash_err *e);
void lash__core_clear_error(lash_core *c);
/* Builder validation (builder.c). */
int lash__builder_validate(lash_core *c, const cJSON *cfg, lash_err *e);
#endif
