/* One turn as a scheduler task: lash's sans-IO turn machine (§2.5-§2.12) driving
 * the configured protocol (src/protocol/). The host ops and notifications it
 * sends are in include/lash/lash_ops.h; how the machine is cut into
 * sub-machines is in turn/machine.h. */
#ifndef LASH_TURN_H
#define LASH_TURN_H
#include "cJSON.h"
#include "lash/lash.h"
#include "util/json.h"

/* req: {"session_id", "input": TurnInput, "blob_ids":[..], "provider_kind", "turn_provider": bool,
 *       "turn_id"?, "model"?, "prompt"?: turn prompt layer, "cancelled"?: bool}
 * On success *turn_no names the turn for lash_turn_cancel and the notifications. */
int lash__turn_start(lash_core *c, const cJSON *req, uint32_t *turn_no, lash_err *e);
/* Cooperative cancel: returns 1 if the turn was running. */
int lash__turn_cancel(lash_core *c, uint32_t turn_no);
#endif
