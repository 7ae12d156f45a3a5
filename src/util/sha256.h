/* SHA-256 (FIPS 180-4), for commit hashes and content addresses. */
#ifndef LASH_UTIL_SHA256_H
#define LASH_UTIL_SHA256_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint32_t h[8];
  uint64_t len;
  uint8_t buf[64];
  size_t n;
} lash_sha256;

void lash__sha256_init(lash_sha256 *s);
void lash__sha256_update(lash_sha256 *s, const void *data, size_t len);
void lash__sha256_final(lash_sha256 *s, uint8_t out[32]);
/* Lowercase hex digest of data into out (65 bytes, NUL-terminated). */
void lash__sha256_hex(const void *data, size_t len, char out[65]);
#endif
