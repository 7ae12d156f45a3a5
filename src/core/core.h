/* The core's own internals (api.c, builder.c, error.c): not for lower layers. */
#ifndef LASH_CORE_CORE_H
#define LASH_CORE_CORE_H
#include "core/state.h"

/* Record an error (code + message template filled from e) as the last error. */
int lash__core_fail(lash_core *c, const lash_err *e);
void lash__core_clear_error(lash_core *c);
/* Builder validation (builder.c). */
int lash__builder_validate(lash_core *c, const cJSON *cfg, lash_err *e);
/* Decode what every turn reads, once (builder.c): the protocol, the tool specs the
 * model sees, plugin configs. InvalidArgument for a bad plugin config. */
int lash__builder_decode(lash_core *c, const cJSON *cfg, lash_err *e);
#endif
