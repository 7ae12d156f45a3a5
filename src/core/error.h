/* The one producer of LashError JSON in C: {code, message, facet?, runtime_code?,
 * store_code?, loaded?, requested?, session_id?, argument?}, the code and the
 * message template from lash.h's status table. Like state.h, readable from any
 * layer (it needs only util/): the core's last error and a turn's turn.done
 * error are written here. */
#ifndef LASH_CORE_ERROR_H
#define LASH_CORE_ERROR_H
#include "util/buf.h"
#include "util/json.h"

/* Append e as LashError JSON to out. detail (NULL: e->detail) fills {detail} when
 * it is longer than a lash_err holds; store_code (NULL: none) is the store's code
 * of a refused commit. A failed append leaves out->oom set. */
void lash__error_json(lash_buf *out, const lash_err *e, const char *detail, const char *store_code);

/* OutOfMemory as JSON, for when there is no memory to write it. */
#define LASH_ERROR_OOM_JSON "{\"code\":\"OutOfMemory\",\"message\":\"out of memory\"}"
#endif
