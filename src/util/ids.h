/* Identifiers: uuid-v4 strings and lash message ids ("m" + 32 hex), from a
 * per-core xorshift generator seeded by the host (the core has no entropy). */
#ifndef LASH_UTIL_IDS_H
#define LASH_UTIL_IDS_H
#include <stdint.h>

typedef struct { uint64_t s; } lash_rng;
void lash__rng_seed(lash_rng *r, uint64_t seed);
uint64_t lash__rng_next(lash_rng *r);
void lash__uuid4(lash_rng *r, char out[37]);
void lash__message_id(lash_rng *r, char out[34]);
#endif
