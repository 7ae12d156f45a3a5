/* HMAC-SHA256 against the RFC 4231 test cases (section 4.2-4.8). */
#include "test.h"
#include "util/hmac.h"

static void rfc4231(void) {
  char out[65];
  uint8_t k[131];
  memset(k, 0x0b, 20); /* test case 1 */
  lash__hmac_sha256_hex(k, 20, "Hi There", 8, out);
  CHECK_STR(out, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  lash__hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28, out); /* 2 */
  CHECK_STR(out, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  uint8_t d[50];
  memset(k, 0xaa, 20); /* 3 */
  memset(d, 0xdd, 50);
  lash__hmac_sha256_hex(k, 20, d, 50, out);
  CHECK_STR(out, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  for (int i = 0; i < 25; i++) k[i] = (uint8_t)(i + 1); /* 4 */
  memset(d, 0xcd, 50);
  lash__hmac_sha256_hex(k, 25, d, 50, out);
  CHECK_STR(out, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  memset(k, 0x0c, 20); /* 5: truncated to 128 bits */
  lash__hmac_sha256_hex(k, 20, "Test With Truncation", 20, out);
  out[32] = '\0';
  CHECK_STR(out, "a3b6167473100ee06e0c796c2955552b");
  memset(k, 0xaa, 131); /* 6: key longer than the block */
  const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
  lash__hmac_sha256_hex(k, 131, m6, strlen(m6), out);
  CHECK_STR(out, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  const char *m7 = "This is a test using a larger than block-size key and a larger than block-size data. "
                   "The key needs to be hashed before being used by the HMAC algorithm.";
  lash__hmac_sha256_hex(k, 131, m7, strlen(m7), out); /* 7 */
  CHECK_STR(out, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

static void incremental_matches_one_shot(void) {
  lash_hmac_sha256 h;
  uint8_t d[32];
  char one[65], inc[65];
  lash__hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28, one);
  lash__hmac_sha256_init(&h, "Jefe", 4);
  lash__hmac_sha256_update(&h, "what do ya ", 11);
  lash__hmac_sha256_update(&h, "want for nothing?", 17);
  lash__hmac_sha256_final(&h, d);
  for (int i = 0; i < 32; i++) snprintf(inc + 2 * i, 3, "%02x", d[i]);
  CHECK_STR(inc, one);
}

static void constant_time_equal(void) {
  /* lash promise_semantics.rs authentication_comparison_covers_content_and_length_mismatches */
  CHECK(lash__ct_equal("same", 4, "same", 4));
  CHECK(!lash__ct_equal("same", 4, "sale", 4));
  CHECK(!lash__ct_equal("same", 4, "same-longer", 11));
}

TEST_MAIN(RUN(rfc4231); RUN(incremental_matches_one_shot); RUN(constant_time_equal))
