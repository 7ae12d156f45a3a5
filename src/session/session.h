/* Sessions held by the core: the committed transcript and counters. Today the
 * core itself keeps committed state (the in-memory tier); the store seam that
 * persists it through host stores comes with the persistence work. */
#ifndef LASH_SESSION_H
#define LASH_SESSION_H
#include "cJSON.h"
#include "lash/lash.h"
#include "util/json.h"

typedef struct lash_usage { double input, output, cached, reasoning; } lash_usage;

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

lash_session *lash__session_find(lash_core *c, const char *id);
/* Open (create if new, reset if fresh) and apply the open request; see session.c. */
int lash__session_open(lash_core *c, const cJSON *req, lash_err *e);
/* The committed view; without messages when only counters and the ledger are wanted. */
cJSON *lash__session_read_view(const lash_session *s, int with_messages);
/* Drop a session's state (deletion); refused while a turn runs. */
int lash__session_forget(lash_core *c, const char *id, lash_err *e);
void lash__sessions_free(lash_core *c);
/* The rendering of committed message `index` (text owned, may be NULL: rendered
 * per request), appended to the cache and handed to the host mirror. Entries a
 * failed push left out are NULL; a push that fails turns the mirror off. */
int lash__session_cache_push(lash_core *c, lash_session *s, size_t index, char *text);
/* Room for n cache entries, so the pushes after a commit need not allocate. */
int lash__session_cache_reserve(lash_core *c, lash_session *s, size_t n);

cJSON *lash__usage_json(const lash_usage *u);
void lash__usage_add(lash_usage *a, const lash_usage *b);
int lash__usage_nonzero(const lash_usage *u);

/* Message/part JSON in lash's serde shape. */
cJSON *lash__part_new(const char *msg_id, int index, const char *kind, const char *content);
cJSON *lash__message_new(const char *id, const char *role);
void lash__message_add_part(cJSON *msg, cJSON *part); /* part id = "{msg}.p{n}" */
#endif
