/* The hub: the structs the core, its sessions and its turns share (Lua's
 * lstate.h). Readable from anywhere; it declares data, not behaviour. Which
 * file writes which field is stated beside it: committed session state is
 * written only by src/session/session.c. */
#ifndef LASH_CORE_STATE_H
#define LASH_CORE_STATE_H
#include "lash/lash_host.h"
#include "model/message.h"
#include "plugins/budget.h"
#include "sched/sched.h"
#include "util/ids.h"
#include "util/json.h"

struct lash_protocol;

/* One session: written only by session.c (the turn asks it through session.h). */
typedef struct lash_session {
  char *id;                   /* owned */
  char *provider_id;          /* recorded provider id (owned) */
  cJSON *policy;              /* SessionPolicy (owned) */
  cJSON *prompt;              /* session prompt layer or NULL (owned) */
  cJSON *messages;            /* committed Message array (owned) */
  cJSON *ledger;              /* TokenLedgerEntry array (owned) */
  /* messages[i] as LLM message JSON text, rendered once at commit so a model
   * request costs a copy per message, not a re-render: "" renders to nothing,
   * NULL must be rendered per request (it references attachments by index). */
  char **rendered;
  size_t nrendered, rendered_cap;
  cJSON *nodes;               /* the committed session graph's node records (owned) */
  char *leaf;                 /* leaf node id of the active path, or NULL (owned) */
  double head_revision;       /* the store's head revision; < 0 before the first commit */
  int has_store;              /* commits go to a host store */
  int replace_required;       /* next commit replaces the whole graph (open_fresh) */
  /* The host mirrors the renderings of committed messages ({"op":"history.push"}),
   * so a model request names the history instead of carrying it. Off once a
   * message references attachments (its rendering depends on the request). */
  int mirrored;
  char *system_prompt;        /* rendered from the core and session layers (turns without their own layer) */
  char *system_json;
  uint64_t turn_index;
  lash_usage usage;
  int running;                /* turns in flight on this session */
  struct lash_session *next;
} lash_session;

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
  /* decoded once at build (builder.c), read by every turn */
  const struct lash_protocol *proto; /* the protocol driver (src/protocol/) */
  cJSON *tool_specs;        /* the tool specs the model sees: protocol tools, then the embedded tools */
  char *tools_json;         /* the same as JSON text (cJSON allocation) */
  int budget_on;            /* the tool_output_budget plugin is configured */
  lash_budget_cfg budget;   /* its decoded config */
};
#endif
