#include "util/hmac.h"

#include <string.h>

void lash__hmac_sha256_init(lash_hmac_sha256 *h, const void *key, size_t key_len) {
  uint8_t k[64], pad[64];
  memset(k, 0, sizeof k);
  if (key_len > 64) { /* long keys are hashed first (RFC 2104 section 2) */
    lash_sha256 s;
    lash__sha256_init(&s);
    lash__sha256_update(&s, key, key_len);
    lash__sha256_final(&s, k);
  } else if (key_len) {
    memcpy(k, key, key_len);
  }
  for (int i = 0; i < 64; i++) pad[i] = k[i] ^ 0x36;
  lash__sha256_init(&h->inner);
  lash__sha256_update(&h->inner, pad, 64);
  for (int i = 0; i < 64; i++) pad[i] = k[i] ^ 0x5c;
  lash__sha256_init(&h->outer);
  lash__sha256_update(&h->outer, pad, 64);
  memset(k, 0, sizeof k);
  memset(pad, 0, sizeof pad);
}

void lash__hmac_sha256_update(lash_hmac_sha256 *h, const void *data, size_t len) {
  lash__sha256_update(&h->inner, data, len);
}

void lash__hmac_sha256_final(lash_hmac_sha256 *h, uint8_t out[32]) {
  uint8_t d[32];
  lash__sha256_final(&h->inner, d);
  lash__sha256_update(&h->outer, d, 32);
  lash__sha256_final(&h->outer, out);
}

void lash__hmac_sha256_hex(const void *key, size_t key_len, const void *data, size_t len,
                           char out[65]) {
  static const char hex[] = "0123456789abcdef";
  lash_hmac_sha256 h;
  uint8_t d[32];
  lash__hmac_sha256_init(&h, key, key_len);
  lash__hmac_sha256_update(&h, data, len);
  lash__hmac_sha256_final(&h, d);
  for (int i = 0; i < 32; i++) {
    out[2 * i] = hex[d[i] >> 4];
    out[2 * i + 1] = hex[d[i] & 15];
  }
  out[64] = '\0';
}

int lash__ct_equal(const void *a, size_t an, const void *b, size_t bn) {
  const uint8_t *x = a, *y = b;
  size_t diff = an ^ bn, n = an > bn ? an : bn;
  for (size_t i = 0; i < n; i++) diff |= (size_t)((i < an ? x[i] : 0) ^ (i < bn ? y[i] : 0));
  return diff == 0;
}
