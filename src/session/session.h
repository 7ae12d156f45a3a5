/* Sessions held by the core: the committed transcript, its rendering cache and
 * host mirror, counters. This file's .c is the only writer of committed session
 * state: a turn reads the session (core/state.h) and changes it only through the
 * functions below. */
#ifndef LASH_SESSION_H
#define LASH_SESSION_H
#include "core/state.h"

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

/* A turn starts / ends on s (a session with a turn running refuses open_fresh,
 * load and delete). */
void lash__session_turn_begin(lash_session *s);
void lash__session_turn_end(lash_session *s);
/* Keep the system prompt rendered from the core and session layers (both owned;
 * json may be NULL: the prompt renders to no message). */
void lash__session_cache_prompt(lash_core *c, lash_session *s, char *prompt, char *json);
/* A turn that ends without committing after progress commits landed: the session
 * takes the store's head so its next commit is not refused as stale. */
void lash__session_take_head(lash_session *s, double head);

/* What a turn hands the session once its final commit landed (or there is no
 * store). Everything is made before the commit goes out, so taking it cannot
 * fail: the session takes ownership of each owned field. */
typedef struct lash_turn_landing {
  cJSON *nodes;          /* node records the turn committed, in order (emptied into the session) */
  int replaced;          /* the turn's commits replaced the whole graph */
  char *leaf;            /* the active path's new leaf (owned), or NULL */
  double head;           /* the store's head revision */
  cJSON *msgs;           /* the turn's messages (emptied into the session) */
  char **rendered;       /* msgs[i] rendered (entries owned and taken), nrendered of them */
  int nrendered;
  lash_usage usage;      /* the turn's usage */
  cJSON *ledger_entry;   /* owned, or NULL */
} lash_turn_landing;
void lash__session_land_turn(lash_core *c, lash_session *s, lash_turn_landing *l);
#endif
