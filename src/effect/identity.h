/* lash's byte framing for durable identities (lash-core/src/stable_identity.rs):
 * a preimage is "lash-stable-identity" || salt 1 || family version || framed
 * domain, then family-owned fields (u8 tags, big-endian u64s, u64-length-framed
 * bytes); the rendered identity is "{prefix}:v{version}:sha256:{hex}". Appends
 * to a lash_buf (sticky OOM, checked by the caller). */
#ifndef LASH_EFFECT_IDENTITY_H
#define LASH_EFFECT_IDENTITY_H
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

void lash__identity_begin(lash_buf *b, const char *domain, uint8_t family_version);
void lash__identity_u8(lash_buf *b, uint8_t v);
void lash__identity_u64(lash_buf *b, uint64_t v);
void lash__identity_bytes(lash_buf *b, const void *p, size_t n);
void lash__identity_string(lash_buf *b, const char *s);
/* rendered_hash: appends "{prefix}:v{version}:sha256:{sha256 hex of preimage}" to out. */
int lash__identity_render(lash_buf *out, const char *prefix, uint8_t family_version, const lash_buf *preimage);
#endif
