/* HMAC-SHA256 (RFC 2104 over FIPS 180-4), for await-event key signatures. */
#ifndef LASH_UTIL_HMAC_H
#define LASH_UTIL_HMAC_H
#include <stddef.h>
#include <stdint.h>

#include "util/sha256.h"

typedef struct {
  lash_sha256 inner, outer; /* both already keyed */
} lash_hmac_sha256;

void lash__hmac_sha256_init(lash_hmac_sha256 *h, const void *key, size_t key_len);
void lash__hmac_sha256_update(lash_hmac_sha256 *h, const void *data, size_t len);
void lash__hmac_sha256_final(lash_hmac_sha256 *h, uint8_t out[32]);
/* One-shot MAC of data as lowercase hex into out (65 bytes, NUL-terminated). */
void lash__hmac_sha256_hex(const void *key, size_t key_len, const void *data, size_t len,
                           char out[65]);
/* Compare two byte strings without branching on their contents; lengths are
 * folded in (lash's promise_semantics::constant_time_eq). 1 if equal. */
int lash__ct_equal(const void *a, size_t an, const void *b, size_t bn);
#endif
