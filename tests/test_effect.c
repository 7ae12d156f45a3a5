/* The effect seam's foundation (src/effect/): execution scopes, replay keys,
 * envelopes and the await-event registry, against lash's own vectors and
 * conformance cases. Test names follow lash's; every expected value is copied
 * from the lash source cited beside it (lash HEAD 9a2c0b3ce). */
#include <stdint.h>
#include <stdlib.h>

#include "cJSON.h"
#include "effect/await.h"
#include "effect/completion.h"
#include "effect/host.h"
#include "effect/envelope.h"
#include "effect/identity.h"
#include "effect/scope.h"
#include "util/alloc.h"
#include "util/hmac.h"
#include "budget_alloc.h"
#include "test.h"

static const uint8_t SECRET[32] = {0x5e, 0xc2, 0x37, 0x11, 0x9a, 0x01, 0xfe, 0x42, 0x10, 0x77, 0x23,
                                   0x8c, 0xd0, 0x4b, 0x6e, 0x99, 0x31, 0x0f, 0xa5, 0x5a, 0xc3, 0x3c,
                                   0x12, 0x21, 0x84, 0x48, 0x6b, 0xb6, 0x7d, 0xd7, 0xe8, 0x8e};

static lash_await_registry *registry(void) {
  lash_await_registry *r = NULL;
  lash_err e;
  CHECK(lash__await_registry_new(NULL, SECRET, sizeof SECRET, &r, &e) == LASH_OK);
  return r;
}

/* Render with a fresh buffer; the caller frees. */
#define RENDER(call)                                                                               \
  ({                                                                                               \
    lash_buf b_;                                                                                   \
    lash__buf_init(&b_, NULL);                                                                     \
    call;                                                                                          \
    lash__buf_take(&b_, NULL);                                                                     \
  })

static int from_hex(const char *hex, uint8_t *out, size_t cap) {
  size_t n = strlen(hex) / 2;
  if (n > cap) return -1;
  for (size_t i = 0; i < n; i++) {
    unsigned v;
    sscanf(hex + 2 * i, "%2x", &v);
    out[i] = (uint8_t)v;
  }
  return (int)n;
}

/* ================================================================ identity */

/* promise_semantics.rs await_event_identity_golden_corpus (the key ids; each is
 * the sha256 of the preimage lash lists beside it, so equal ids mean equal
 * preimages). */
static void await_event_identity_golden_corpus(void) {
  struct { lash_exec_scope s; lash_await_wait w; const char *id; } v[] = {
      {lash__scope_turn("ab", "c"), lash__wait_tool_completion("x:y"),
       "await-event:v3:sha256:0b4e88d662ffcfab2d4dab8cdcbbc4eefce3e03e7b6f1f02a8c2c44f128ef26a"},
      {lash__scope_turn("a", "bc"), lash__wait_tool_completion("x:y"),
       "await-event:v3:sha256:80a7e9660c1eb5120ff4041d5c07c0c1fdbd9d25ee6973730b34851752ed470d"},
      {lash__scope_process("zero"), lash__wait_process_signal("zero", "ready", 1),
       "await-event:v3:sha256:d5f3cca470277324bc667bbc1bde5b1c4956280c098c7cfbbd64561c53fdcce0"},
      {lash__scope_queue_drain("same", "same"), lash__wait_turn_cancel_gate(),
       "await-event:v3:sha256:3c6f999b4ea0442f4bcff923b277e7859b1e1b17a96afc5a1be102cd3f9cc43f"},
      {lash__scope_session_delete("same"), lash__wait_turn_terminal(),
       "await-event:v3:sha256:f81ce5cfee31d7bbedf9eb7668f2e6675a4356cf26b02e4ab8c8249c99ce431f"},
      {lash__scope_runtime_operation("op:0"), lash__wait_custom("0"),
       "await-event:v3:sha256:32eeecf35973d577700d021ab92e5950ad380453f8843b0629e654598db0165c"},
  };
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    char id[LASH_AWAIT_KEY_ID_MAX];
    lash_err e;
    CHECK(lash__await_key_id(NULL, &v[i].s, &v[i].w, id, &e) == LASH_OK);
    CHECK_STR(id, v[i].id);
  }
}

/* promise_semantics.rs promise_key_family_version_is_explicit_and_stable */
static void promise_key_family_version_is_explicit_and_stable(void) {
  lash_exec_scope s = lash__scope_turn("session", "turn");
  lash_await_wait w = lash__wait_tool_completion("call");
  char id[LASH_AWAIT_KEY_ID_MAX];
  CHECK(lash__await_key_id(NULL, &s, &w, id, NULL) == LASH_OK);
  CHECK_STR(id, "await-event:v3:sha256:72946661623a736ad7dddfeace2182eb51d5e25f18d4aef189f79eac48bbcfeb");
}

/* promise_semantics.rs signing_material_is_the_stable_framed_key_projection:
 * the signature must be HMAC(secret, exactly lash's signing material). */
static void signing_material_is_the_stable_framed_key_projection(void) {
  static const char material_hex[] =
      "6c6173682d737461626c652d6964656e74697479010300000000000000156c6173682e61776169742d6576656e742d6175746800"
      "000000000000576c6173682d737461626c652d6964656e74697479010300000000000000106c6173682e61776169742d6576656e"
      "7401000000000000000773657373696f6e00000000000000047475726e01000000000000000463616c6c00000000000000566177"
      "6169742d6576656e743a76333a7368613235363a37323934363636313632336137333661643764646466656163653231383265"
      "623531643565323566313864346165663138396637396561633438626263666562";
  uint8_t material[512];
  int n = from_hex(material_hex, material, sizeof material);
  CHECK(n > 0);
  char expect[65];
  lash__hmac_sha256_hex(SECRET, sizeof SECRET, material, (size_t)n, expect);
  lash_await_registry *r = registry();
  lash_exec_scope s = lash__scope_turn("session", "turn");
  lash_await_wait w = lash__wait_tool_completion("call");
  lash_await_key k;
  CHECK(lash__await_key_for(r, &s, &w, &k, NULL) == LASH_OK);
  CHECK_STR(k.signature, expect);
  lash__await_registry_free(r);
}

/* Keys minted under one secret do not verify under another (the per-core
 * secret is what makes a key unforgeable). */
static void keys_do_not_cross_secrets(void) {
  lash_await_registry *a = registry(), *b = NULL;
  uint8_t other[16] = {1};
  CHECK(lash__await_registry_new(NULL, other, sizeof other, &b, NULL) == LASH_OK);
  lash_exec_scope s = lash__scope_turn("s", "t");
  lash_await_wait w = lash__wait_tool_completion("c");
  lash_await_key k;
  lash_resolve_outcome o;
  lash_resolution ok = {LASH_RESOLUTION_OK, "1"};
  CHECK(lash__await_key_for(a, &s, &w, &k, NULL) == LASH_OK);
  CHECK(lash__await_resolve(b, &k, &ok, &o, NULL) == LASH_OK);
  CHECK(o.status == LASH_RESOLVE_UNKNOWN_OR_REVOKED);
  lash__await_registry_free(b);
  lash_err e;
  CHECK(lash__await_registry_new(NULL, other, 15, &b, &e) == LASH_E_INVALID_ARGUMENT && b == NULL);
  CHECK_STR(e.argument, "effect_secret");
  lash__await_registry_free(a);
  CHECK(lash__await_registry_new(NULL, other, sizeof other, &a, NULL) == LASH_OK);
  lash__await_registry_free(a);
}

/* ================================================================ scopes */

/* conformance/effect_host.rs effect_host_preserves_scope_metadata */
static void effect_host_preserves_scope_metadata(void) {
  lash_exec_scope s = lash__scope_queue_drain("session-1", "drain-1");
  CHECK(lash__scope_validate(&s, NULL) == LASH_OK);
  CHECK_STR(lash__scope_id(&s), "drain-1");
  CHECK(lash__scope_turn_id(&s) == NULL);
  lash_exec_scope t = lash__scope_turn("session-1", "turn-1");
  CHECK_STR(lash__scope_id(&t), "turn-1");
  CHECK_STR(lash__scope_turn_id(&t), "turn-1");
  /* serde shape: control.rs ExecutionScope #[serde(tag = "type", rename_all = "snake_case")] */
  char *j = RENDER(lash__scope_json(&b_, &s));
  CHECK_STR(j, "{\"type\":\"queue_drain\",\"session_id\":\"session-1\",\"drain_id\":\"drain-1\"}");
  cJSON *v = cJSON_Parse(j);
  lash_exec_scope back;
  CHECK(lash__scope_from_json(v, "scope", &back, NULL) == LASH_OK && lash__scope_equal(&back, &s));
  cJSON_Delete(v);
  free(j);
  lash_exec_scope all[] = {t, lash__scope_process("p"), lash__scope_session_delete("s"),
                           lash__scope_runtime_operation("static-runtime-op")};
  const char *expect[] = {"{\"type\":\"turn\",\"session_id\":\"session-1\",\"turn_id\":\"turn-1\"}",
                          "{\"type\":\"process\",\"process_id\":\"p\"}",
                          "{\"type\":\"session_delete\",\"session_id\":\"s\"}",
                          "{\"type\":\"runtime_operation\",\"operation_id\":\"static-runtime-op\"}"};
  for (int i = 0; i < 4; i++) {
    j = RENDER(lash__scope_json(&b_, &all[i]));
    CHECK_STR(j, expect[i]);
    v = cJSON_Parse(j);
    CHECK(lash__scope_from_json(v, "scope", &back, NULL) == LASH_OK && lash__scope_equal(&back, &all[i]));
    cJSON_Delete(v);
    free(j);
  }
  /* effect_host_static_scope_preserves_metadata_when_available */
  CHECK_STR(lash__scope_id(&all[3]), "static-runtime-op");
  /* control.rs EffectJournalIdentity: {"version":2,"kind",...} */
  j = RENDER(lash__scope_journal_key(&b_, &t));
  CHECK_STR(j, "{\"version\":2,\"kind\":\"turn\",\"session_id\":\"session-1\",\"execution_id\":\"turn-1\"}");
  free(j);
}

/* conformance/effect_host.rs effect_host_rejects_missing_scope_ids */
static void effect_host_rejects_missing_scope_ids(void) {
  lash_exec_scope bad[] = {lash__scope_turn("", "turn"), lash__scope_turn("session", ""),
                           lash__scope_process(""), lash__scope_queue_drain("session", ""),
                           lash__scope_session_delete(""), lash__scope_runtime_operation(""),
                           lash__scope_turn(" \t", "turn"), lash__scope_turn("s", "\xc2\xa0")};
  lash_await_registry *r = registry();
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    lash_err e;
    CHECK(lash__scope_validate(&bad[i], &e) == LASH_E_RUNTIME);
    CHECK_STR(e.runtime_code, "missing_execution_scope_id");
    CHECK_STR(e.detail, "execution scopes require non-empty stable ids"); /* control.rs validate */
    lash_await_wait w = lash__wait_tool_completion("c");
    lash_await_key k;
    CHECK(lash__await_key_for(r, &bad[i], &w, &k, &e) == LASH_E_RUNTIME);
    CHECK_STR(e.runtime_code, "missing_execution_scope_id");
  }
  /* AwaitEventWaitIdentity::validate */
  lash_exec_scope s = lash__scope_turn("s", "t");
  lash_await_wait badw[] = {lash__wait_tool_completion(" "), lash__wait_process_signal("p", "x", 0),
                            lash__wait_process_signal("p", "", 1), lash__wait_custom("")};
  for (int i = 0; i < 4; i++) {
    lash_err e;
    lash_await_key k;
    CHECK(lash__await_key_for(r, &s, &badw[i], &k, &e) == LASH_E_RUNTIME);
    CHECK_STR(e.runtime_code, "invalid_await_event_wait_identity");
    CHECK_STR(e.detail, "await-event wait identity requires non-empty stable ids");
  }
  lash__await_registry_free(r);
}

/* ================================================================ await events */

static lash_await_key key_for(lash_await_registry *r, const char *sid, const char *tid, const char *call) {
  lash_exec_scope s = lash__scope_turn(sid, tid);
  lash_await_wait w = lash__wait_tool_completion(call);
  lash_await_key k;
  CHECK(lash__await_key_for(r, &s, &w, &k, NULL) == LASH_OK);
  return k; /* key_id/signature re-pointed by the caller via FIX */
}
#define FIX(k) ((k).key_id = (k).key_id_buf, (k).signature = (k).signature_buf)

/* effect_host_await_event_key_is_stable */
static void effect_host_await_event_key_is_stable(void) {
  lash_await_registry *r = registry();
  lash_await_key a = key_for(r, "await-event-session-stable", "turn-stable", "call-stable");
  lash_await_key b = key_for(r, "await-event-session-stable", "turn-stable", "call-stable");
  FIX(a), FIX(b);
  char *ja = RENDER(lash__await_key_json(&b_, &a)), *jb = RENDER(lash__await_key_json(&b_, &b));
  CHECK_STR(ja, jb);
  /* control.rs AwaitEventKey field order: scope, wait, key_id, signature */
  CHECK(!strncmp(ja, "{\"scope\":{\"type\":\"turn\",\"session_id\":\"await-event-session-stable\",\"turn_id\":"
                     "\"turn-stable\"},\"wait\":{\"type\":\"tool_completion\",\"tool_call_id\":\"call-stable\"},"
                     "\"key_id\":\"await-event:v3:sha256:",
                 180));
  /* and it reads back into the same key */
  cJSON *v = cJSON_Parse(ja);
  lash_await_key back;
  CHECK(lash__await_key_from_json(v, "key", &back, NULL) == LASH_OK);
  CHECK_STR(back.key_id, a.key_id);
  CHECK_STR(back.signature, a.signature);
  cJSON_Delete(v);
  free(ja), free(jb);
  lash__await_registry_free(r);
}

/* effect_host_await_event_accepts_early_resolution */
static void effect_host_await_event_accepts_early_resolution(void) {
  lash_await_registry *r = registry();
  lash_await_key k = key_for(r, "await-event-session-early", "turn-early", "call-early");
  FIX(k);
  lash_resolution res = {LASH_RESOLUTION_OK, "{\"ready\":true}"};
  lash_resolve_outcome o;
  CHECK(lash__await_resolve(r, &k, &res, &o, NULL) == LASH_OK && o.status == LASH_RESOLVE_ACCEPTED);
  const lash_resolution *got = NULL;
  CHECK(lash__await_poll(r, &k, 0, 0, &got, NULL) == LASH_OK);
  CHECK(got && got->status == LASH_RESOLUTION_OK);
  char *j = got ? RENDER(lash__resolution_json(&b_, got)) : NULL;
  CHECK_STR(j, "{\"status\":\"ok\",\"payload\":{\"ready\":true}}");
  free(j);
  lash__await_registry_free(r);
}

/* effect_host_await_event_duplicate_resolution_is_terminal */
static void effect_host_await_event_duplicate_resolution_is_terminal(void) {
  lash_await_registry *r = registry();
  lash_await_key k = key_for(r, "await-event-session-dupe", "turn-dupe", "call-dupe");
  FIX(k);
  lash_resolution first = {LASH_RESOLUTION_OK, "\"first\""}, second = {LASH_RESOLUTION_OK, "\"second\""};
  lash_resolve_outcome o;
  CHECK(lash__await_resolve(r, &k, &first, &o, NULL) == LASH_OK && o.status == LASH_RESOLVE_ACCEPTED);
  CHECK(lash__await_resolve(r, &k, &second, &o, NULL) == LASH_OK);
  char *j = RENDER(lash__resolve_outcome_json(&b_, &o));
  /* control.rs ResolveOutcome #[serde(tag = "status")], Resolution tag "status" content "payload" */
  CHECK_STR(j, "{\"status\":\"already_resolved\",\"terminal\":{\"status\":\"ok\",\"payload\":\"first\"}}");
  free(j);
  lash__await_registry_free(r);
}

/* effect_host_await_event_cancel_and_timeout_are_terminal */
static void effect_host_await_event_cancel_and_timeout_are_terminal(void) {
  lash_await_registry *r = registry();
  lash_await_key k = key_for(r, "await-event-session-cancel", "turn-cancel", "call-cancel");
  FIX(k);
  const lash_resolution *got = NULL;
  CHECK(lash__await_poll(r, &k, 1, 0, &got, NULL) == LASH_OK);
  CHECK(got && got->status == LASH_RESOLUTION_CANCELLED);
  lash_resolution late = {LASH_RESOLUTION_OK, "\"late\""};
  lash_resolve_outcome o;
  CHECK(lash__await_resolve(r, &k, &late, &o, NULL) == LASH_OK);
  char *j = RENDER(lash__resolve_outcome_json(&b_, &o));
  CHECK_STR(j, "{\"status\":\"already_resolved\",\"terminal\":{\"status\":\"cancelled\"}}");
  free(j);

  lash_await_key t = key_for(r, "await-event-session-timeout", "turn-timeout", "call-timeout");
  FIX(t);
  CHECK(lash__await_poll(r, &t, 0, 0, &got, NULL) == LASH_OK && got == NULL); /* pending, registered */
  CHECK(lash__await_entry_count(r) == 2);
  CHECK(lash__await_poll(r, &t, 0, 1, &got, NULL) == LASH_OK);
  CHECK(got && got->status == LASH_RESOLUTION_TIMEOUT);
  j = got ? RENDER(lash__resolution_json(&b_, got)) : NULL;
  CHECK_STR(j, "{\"status\":\"timeout\"}");
  free(j);
  lash__await_registry_free(r);
}

/* effect_host_await_event_revokes_session_scope */
static void effect_host_await_event_revokes_session_scope(void) {
  lash_await_registry *r = registry();
  lash_await_key k = key_for(r, "await-event-session-revoke", "turn-revoke", "call-revoke");
  FIX(k);
  const lash_resolution *got = NULL;
  CHECK(lash__await_poll(r, &k, 0, 0, &got, NULL) == LASH_OK && !got); /* a parked waiter */
  CHECK(lash__await_revoke_session(r, "await-event-session-revoke") == LASH_OK);
  CHECK(lash__await_entry_count(r) == 0);
  lash_resolution late = {LASH_RESOLUTION_OK, "\"late\""};
  lash_resolve_outcome o;
  CHECK(lash__await_resolve(r, &k, &late, &o, NULL) == LASH_OK && o.status == LASH_RESOLVE_UNKNOWN_OR_REVOKED);
  char *j = RENDER(lash__resolve_outcome_json(&b_, &o));
  CHECK_STR(j, "{\"status\":\"unknown_or_revoked\"}");
  free(j);
  lash_err e;
  CHECK(lash__await_poll(r, &k, 0, 0, &got, &e) == LASH_E_RUNTIME);
  CHECK_STR(e.runtime_code, "await_event_unknown_or_revoked");
  CHECK_STR(e.detail, "await-event key is invalid or revoked"); /* await_events.rs unknown_or_revoked */
  /* new keys for the session refuse too (key_for consults the tombstone) */
  lash_exec_scope s = lash__scope_turn("await-event-session-revoke", "turn-2");
  lash_await_wait w = lash__wait_tool_completion("c");
  lash_await_key k2;
  CHECK(lash__await_key_for(r, &s, &w, &k2, &e) == LASH_E_RUNTIME);
  CHECK_STR(e.runtime_code, "await_event_unknown_or_revoked");
  /* other sessions are untouched */
  lash_await_key other = key_for(r, "another-session", "t", "c");
  FIX(other);
  CHECK(lash__await_resolve(r, &other, &late, &o, NULL) == LASH_OK && o.status == LASH_RESOLVE_ACCEPTED);
  lash__await_registry_free(r);
}

static int notified;
static void count_notify(void *ud, const char *key_id) {
  (void)ud, (void)key_id;
  notified++;
}

/* effect_host_await_event_session_cancel_resolves_outstanding_waits */
static void effect_host_await_event_session_cancel_resolves_outstanding_waits(void) {
  lash_await_registry *r = registry();
  lash__await_set_notify(r, count_notify, NULL);
  notified = 0;
  lash_await_key k = key_for(r, "await-event-session-cancel-waits", "turn-cancel-waits", "call-cancel-waits");
  FIX(k);
  const lash_resolution *got = NULL;
  CHECK(lash__await_poll(r, &k, 0, 0, &got, NULL) == LASH_OK && !got);
  CHECK(lash__await_cancel_session(r, "await-event-session-cancel-waits") == LASH_OK);
  CHECK(notified == 1);
  CHECK(lash__await_poll(r, &k, 0, 0, &got, NULL) == LASH_OK && got && got->status == LASH_RESOLUTION_CANCELLED);
  lash_resolution late = {LASH_RESOLUTION_OK, "\"late\""};
  lash_resolve_outcome o;
  CHECK(lash__await_resolve(r, &k, &late, &o, NULL) == LASH_OK && o.status == LASH_RESOLVE_ALREADY_RESOLVED &&
        o.terminal.status == LASH_RESOLUTION_CANCELLED);
  lash_await_key later = key_for(r, "await-event-session-cancel-waits", "turn-cancel-waits", "call-after-cancel");
  FIX(later);
  lash_resolution works = {LASH_RESOLUTION_OK, "\"still-works\""};
  CHECK(lash__await_resolve(r, &later, &works, &o, NULL) == LASH_OK && o.status == LASH_RESOLVE_ACCEPTED);
  CHECK(lash__await_poll(r, &later, 0, 0, &got, NULL) == LASH_OK && got && !strcmp(got->payload, "\"still-works\""));
  lash__await_registry_free(r);
}

/* effect_host_await_event_rejects_tampered_keys */
static void effect_host_await_event_rejects_tampered_keys(void) {
  lash_await_registry *r = registry();
  lash_await_key k = key_for(r, "await-event-session-tamper", "turn-tamper", "call-tamper");
  char sig[96];
  snprintf(sig, sizeof sig, "%s-tampered", k.signature_buf);
  k.key_id = k.key_id_buf;
  k.signature = sig;
  lash_resolution bad = {LASH_RESOLUTION_OK, "\"bad\""};
  lash_resolve_outcome o;
  CHECK(lash__await_resolve(r, &k, &bad, &o, NULL) == LASH_OK && o.status == LASH_RESOLVE_UNKNOWN_OR_REVOKED);
  lash_err e;
  const lash_resolution *got;
  CHECK(lash__await_poll(r, &k, 0, 0, &got, &e) == LASH_E_RUNTIME);
  CHECK_STR(e.runtime_code, "await_event_unknown_or_revoked");
  /* a key re-scoped to another call keeps a signature that no longer matches */
  FIX(k);
  k.wait.a = "call-other";
  CHECK(lash__await_resolve(r, &k, &bad, &o, NULL) == LASH_OK && o.status == LASH_RESOLVE_UNKNOWN_OR_REVOKED);
  CHECK(lash__await_peek(r, &k, &got, &e) == LASH_E_RUNTIME);
  lash__await_registry_free(r);
}

/* await_events.rs turn_control_waiter_cancellation_never_resolves_the_gate,
 * and completed turn control leaves the live set (archive). */
static void turn_control_waiter_cancellation_never_resolves_the_gate(void) {
  lash_await_registry *r = registry();
  lash_exec_scope s = lash__scope_turn("waiter-cancel", "turn");
  lash_await_wait gw = lash__wait_turn_cancel_gate(), tw = lash__wait_turn_terminal();
  lash_await_key gate, term;
  CHECK(lash__await_key_for(r, &s, &gw, &gate, NULL) == LASH_OK);
  CHECK(lash__await_key_for(r, &s, &tw, &term, NULL) == LASH_OK);
  FIX(gate), FIX(term);
  lash_err e;
  const lash_resolution *got;
  CHECK(lash__await_poll(r, &gate, 1, 0, &got, &e) == LASH_E_RUNTIME);
  CHECK_STR(e.runtime_code, "turn_control_wait_cancelled");
  CHECK_STR(e.detail, "turn-control waiter stopped without resolving its keyed promise");
  lash_resolution writer = {LASH_RESOLUTION_OK, "\"real-writer\""};
  lash_resolve_outcome o;
  CHECK(lash__await_resolve(r, &gate, &writer, &o, NULL) == LASH_OK && o.status == LASH_RESOLVE_ACCEPTED);
  lash_resolution done = {LASH_RESOLUTION_OK, "{\"terminal\":\"done\"}"};
  CHECK(lash__await_resolve(r, &term, &done, &o, NULL) == LASH_OK && o.status == LASH_RESOLVE_ACCEPTED);
  CHECK(lash__await_entry_count(r) == 0); /* both archived */
  CHECK(lash__await_poll(r, &term, 0, 0, &got, NULL) == LASH_OK && got && got->status == LASH_RESOLUTION_OK);
  lash__await_registry_free(r);
}

/* core.completions().resolve(key, resolution) as JSON text, with lash's
 * Resolution/ResolveOutcome shapes and a clear error for malformed input. */
static void completions_resolve_json(void) {
  lash_await_registry *r = registry();
  lash_await_key k = key_for(r, "s", "t", "call-1");
  FIX(k);
  char *kj = RENDER(lash__await_key_json(&b_, &k));
  lash_buf out;
  lash__buf_init(&out, NULL);
  const char *err = "{\"status\":\"err\",\"payload\":{\"code\":\"denied\",\"message\":\"no\",\"extra\":1}}";
  CHECK(lash__await_resolve_json(r, kj, strlen(kj), err, strlen(err), &out, NULL) == LASH_OK);
  CHECK_STR(out.data, "{\"status\":\"accepted\"}");
  out.len = 0;
  const char *ok = "{\"status\":\"ok\",\"payload\":2}";
  CHECK(lash__await_resolve_json(r, kj, strlen(kj), ok, strlen(ok), &out, NULL) == LASH_OK);
  CHECK_STR(out.data, "{\"status\":\"already_resolved\",\"terminal\":{\"status\":\"err\",\"payload\":"
                      "{\"code\":\"denied\",\"message\":\"no\"}}}");
  lash_err e;
  const char *bad[] = {"{\"status\":\"ok\"}", "{\"status\":\"maybe\"}", "{\"status\":\"err\",\"payload\":{}}", "[1"};
  for (int i = 0; i < 4; i++) {
    CHECK(lash__await_resolve_json(r, kj, strlen(kj), bad[i], strlen(bad[i]), &out, &e) == LASH_E_INVALID_ARGUMENT);
    CHECK_STR(e.argument, "resolution");
  }
  const char *badkey = "{\"scope\":{\"type\":\"turn\",\"session_id\":\"s\"},\"wait\":{\"type\":\"turn_terminal\"},"
                       "\"key_id\":\"x\",\"signature\":\"y\"}";
  CHECK(lash__await_resolve_json(r, badkey, strlen(badkey), ok, strlen(ok), &out, &e) == LASH_E_INVALID_ARGUMENT);
  CHECK_STR(e.argument, "key");
  CHECK(strstr(e.detail, "turn_id") != NULL);
  lash__buf_free(&out);
  free(kj);
  lash__await_registry_free(r);
}

/* ================================================================ replay keys */

static void turn_effect_replay_keys(void) {
  lash_buf b;
  lash__buf_init(&b, NULL);
  /* runtime/tests/effect.rs:574 (llm_call, first effect of a turn) */
  lash__replay_turn_effect(&b, "root", "llm-cancel-boundary", 1, 0, LASH_EFFECT_LLM_CALL, 1);
  CHECK_STR(b.data, "root:llm-cancel-boundary:1:0:llm_call:1");
  b.len = 0;
  /* runtime/tests/effect.rs:570,578 (turn-cancel peeks around it) */
  lash__replay_turn_cancel_peek(&b, LASH_PEEK_START_GATE, 0);
  CHECK_STR(b.data, "turn_cancel.start_gate");
  b.len = 0;
  lash__replay_turn_cancel_peek(&b, LASH_PEEK_AFTER_LLM, 0);
  CHECK_STR(b.data, "turn_cancel.after_llm.0");
  b.len = 0;
  /* lash-restate/src/tests.rs:6999 runtime_invocation: "session:turn:1:0:{kind}:{effect_id}" */
  lash__replay_turn_effect(&b, "session", "turn", 1, 0, LASH_EFFECT_CHECKPOINT, 3);
  CHECK_STR(b.data, "session:turn:1:0:checkpoint:3");
  b.len = 0;
  /* lash-restate/src/tests.rs:7010 (process sleep suffix under a turn parent) */
  lash_buf s;
  lash__buf_init(&s, NULL);
  lash__replay_process_sleep_suffix(&s, "worker", 1);
  lash__replay_child(&b, "session:turn:1:0", s.data);
  CHECK_STR(b.data, "session:turn:1:0:process:worker:sleep:1");
  lash__buf_free(&s);
  lash__buf_free(&b);
}

/* ProcessCommand::effect_id (envelope.rs:632) and
 * envelope.rs process_transfer_v1_identity_golden. */
static void process_command_effect_ids(void) {
  lash_buf b;
  lash__buf_init(&b, NULL);
  /* the golden ids include "process\0b" (an embedded NUL), so the preimage is
   * built with the encoder directly; the C-string wrapper is checked for shape */
  lash_buf pre;
  lash__buf_init(&pre, NULL);
  lash__identity_begin(&pre, "lash.process-transfer-set", 1);
  lash__identity_u64(&pre, 3);
  lash__identity_string(&pre, "process:a:b");
  lash__identity_bytes(&pre, "process\0b", 9);
  lash__identity_string(&pre, "\xce\xbb");
  char hex[2 * 256 + 1] = "";
  for (size_t i = 0; i < pre.len && i < 256; i++) snprintf(hex + 2 * i, 3, "%02x", (unsigned char)pre.data[i]);
  CHECK_STR(hex, "6c6173682d737461626c652d6964656e74697479010100000000000000196c6173682e70726f636573732d7472616e736665"
                 "722d7365740000000000000003000000000000000b70726f636573733a613a62000000000000000970726f636573730062"
                 "0000000000000002cebb");
  lash__identity_render(&b, "process-transfer-set", 1, &pre);
  CHECK_STR(b.data, "process-transfer-set:v1:sha256:cbbb28ff8d8ab022f3f9f625ebaeb7413f1e4da075f32010892e60200db64781");
  lash__buf_free(&pre);
  b.len = 0;
  const char *plain[] = {"p1", "p2"};
  lash__effect_id_process_transfer(&b, "from", "to", plain, 2);
  CHECK(!strncmp(b.data, "process:transfer:from:to:process-transfer-set:v1:sha256:", 56) && b.len == 56 + 64);
  struct { int (*f)(lash_buf *, const char *); const char *arg, *expect; } one[] = {
      {lash__effect_id_process_start, "p", "process:start:p"},
      {lash__effect_id_process_delete_session, "s", "process:delete-session:s"},
      {lash__effect_id_process_await, "p", "process:await:p"},
      {lash__effect_id_process_cancel, "p", "process:cancel:p"},
      {lash__replay_delete_session, "s", "s:delete-session"}};
  for (int i = 0; i < 5; i++) {
    b.len = 0;
    one[i].f(&b, one[i].arg);
    CHECK_STR(b.data, one[i].expect);
  }
  b.len = 0;
  lash__effect_id_process_list(&b, "scope", 1);
  CHECK_STR(b.data, "process:list:scope:all");
  b.len = 0;
  lash__effect_id_process_signal(&b, "p", "ready", "signal-1");
  CHECK_STR(b.data, "process:signal:p:signal.ready:signal-1");
  lash__buf_free(&b);
}

/* A tool round trip through the batch parent, by lash's rules: the machine's
 * ToolCalls effect becomes a tool_batch invocation (turn_driver/tools.rs:66),
 * each call a child "child:{i}:{call_id}" (tool_provider.rs:1111) attempted as
 * "...:attempt:{n}" (attempt_coordinator.rs:42) -- runtime/tests/effect.rs:1617
 * asserts the "child:0:call-1:attempt:1" part; a pending call awaits
 * "{batch}:{call_id}:await" (turn_driver/tools.rs:250). */
static void tool_round_trip_invocations(void) {
  lash_invocation batch, attempt, await_, sleep, phase, peek;
  lash_err e;
  CHECK(lash__invocation_turn(NULL, &batch, "sid", "turn", 1, 0, 2, LASH_EFFECT_TOOL_BATCH, &e) == LASH_OK);
  CHECK_STR(batch.replay_key, "sid:turn:1:0:tool_batch:2");
  CHECK_STR(batch.effect_id, "2");
  lash_buf cs;
  lash__buf_init(&cs, NULL);
  lash__replay_batch_child_suffix(&cs, 0, "call-1");
  CHECK_STR(cs.data, "child:0:call-1");
  CHECK(lash__invocation_tool_attempt(NULL, &attempt, &batch, cs.data, 1, &e) == LASH_OK);
  CHECK_STR(attempt.replay_key, "sid:turn:1:0:tool_batch:2:child:0:call-1:attempt:1");
  CHECK_STR(attempt.effect_id, "2:child:0:call-1:attempt:1");
  CHECK(lash__invocation_pending_tool_await(NULL, &await_, &batch, "call-1", &e) == LASH_OK);
  CHECK_STR(await_.replay_key, "sid:turn:1:0:tool_batch:2:call-1:await");
  CHECK_STR(await_.effect_id, "2:call-1:await");
  CHECK(await_.kind == LASH_EFFECT_AWAIT_EVENT);
  CHECK(lash__invocation_batch_retry_sleep(NULL, &sleep, &batch, cs.data, 1, &e) == LASH_OK);
  CHECK_STR(sleep.replay_key, "sid:turn:1:0:tool_batch:2:child:0:call-1:attempt:1:sleep");
  lash__invocation_free(NULL, &sleep);
  /* causal.rs tool_retry_sleep_invocation under a non-batch parent */
  CHECK(lash__invocation_tool_retry_sleep(NULL, &sleep, &attempt, "retry_probe", 1, &e) == LASH_OK);
  CHECK_STR(sleep.replay_key, "sid:turn:1:0:tool_batch:2:child:0:call-1:attempt:1:retry_probe:attempt:1:sleep");
  CHECK_STR(sleep.effect_id, "2:child:0:call-1:attempt:1:retry_probe:attempt:1:sleep");
  /* causal.rs turn_phase_effect_invocation */
  lash_invocation llm;
  CHECK(lash__invocation_turn(NULL, &llm, "sid", "turn", 1, 0, 1, LASH_EFFECT_LLM_CALL, &e) == LASH_OK);
  CHECK(lash__invocation_turn_phase(NULL, &phase, &llm, LASH_EFFECT_ASSISTANT_RESPONSE_HOOKS, &e) == LASH_OK);
  CHECK_STR(phase.effect_id, "1.assistant_response_hooks");
  CHECK_STR(phase.replay_key, "sid:turn:1:0:llm_call:1:assistant_response_hooks");
  CHECK(lash__invocation_turn_cancel_peek(NULL, &peek, "sid", "turn", LASH_PEEK_AFTER_LLM, 0, &e) == LASH_OK);
  CHECK_STR(peek.replay_key, "turn_cancel.after_llm.0");

  /* The await envelope, with the child's caused_by pointing at the batch. */
  lash_await_registry *r = registry();
  lash_exec_scope s = lash__scope_turn("sid", "turn");
  lash_await_wait w = lash__wait_tool_completion("call-1");
  lash_await_key k;
  CHECK(lash__await_key_for(r, &s, &w, &k, NULL) == LASH_OK);
  char *cmd = RENDER(lash__command_await_event(&b_, &k));
  char *env = RENDER(lash__envelope_json(&b_, &await_, LASH_EFFECT_AWAIT_EVENT, cmd, &e));
  CHECK(env && !strncmp(env,
                        "{\"invocation\":{\"scope\":{\"session_id\":\"sid\",\"turn_id\":\"turn\",\"turn_index\":1,"
                        "\"protocol_iteration\":0},\"subject\":{\"type\":\"effect\",\"effect_id\":\"2:call-1:await\","
                        "\"kind\":\"await_event\"},\"caused_by\":{\"type\":\"effect\",\"session_id\":\"sid\","
                        "\"turn_id\":\"turn\",\"effect_id\":\"2\"},\"replay\":{\"key\":\"sid:turn:1:0:tool_batch:2:"
                        "call-1:await\"}},\"command\":{\"type\":\"await_event\",\"key\":{\"scope\":",
                        330));
  free(cmd), free(env);
  /* the peek's scope has no turn_index/protocol_iteration (turn_control.rs:452) */
  char *pj = RENDER(lash__invocation_json(&b_, &peek));
  CHECK_STR(pj, "{\"scope\":{\"session_id\":\"sid\",\"turn_id\":\"turn\"},\"subject\":{\"type\":\"effect\","
                "\"effect_id\":\"turn_cancel.after_llm.0\",\"kind\":\"peek_await_event\"},"
                "\"replay\":{\"key\":\"turn_cancel.after_llm.0\"}}");
  free(pj);
  lash__await_registry_free(r);
  lash__buf_free(&cs);
  lash_invocation *all[] = {&batch, &attempt, &await_, &sleep, &llm, &phase, &peek};
  for (int i = 0; i < 7; i++) lash__invocation_free(NULL, all[i]);
}

/* The envelope JSON byte for byte as lash serialised it into a Restate
 * journal: lash-restate/testdata/replay-corpus/scalar-lashlang-tool-attempt/
 * journal.json:8. */
static void envelope_matches_lash_journal_bytes(void) {
  lash_invocation inv = {"session", "turn", 1, 0, "scalar-lashlang-tool-attempt", LASH_EFFECT_TOOL_ATTEMPT, NULL,
                         "session:turn:1:0:tool_attempt:scalar-lashlang-tool-attempt"};
  lash_prepared_call call = {"replay-scalar-call", "tool:replay_scalar_counter", "replay_scalar_counter",
                             "{\"call\":\"replay-scalar-call\"}"};
  lash_err e;
  char *cmd = RENDER(lash__command_tool_attempt(&b_, &call, 1, 1, &e));
  char *env = RENDER(lash__envelope_json(&b_, &inv, LASH_EFFECT_TOOL_ATTEMPT, cmd, &e));
  CHECK_STR(env,
            "{\"invocation\":{\"scope\":{\"session_id\":\"session\",\"turn_id\":\"turn\",\"turn_index\":1,"
            "\"protocol_iteration\":0},\"subject\":{\"type\":\"effect\",\"effect_id\":\"scalar-lashlang-tool-attempt\","
            "\"kind\":\"tool_attempt\"},\"replay\":{\"key\":\"session:turn:1:0:tool_attempt:scalar-lashlang-tool-"
            "attempt\"}},\"command\":{\"type\":\"tool_attempt\",\"call\":{\"call_id\":\"replay-scalar-call\","
            "\"tool_id\":\"tool:replay_scalar_counter\",\"tool_name\":\"replay_scalar_counter\",\"args\":{\"call\":"
            "\"replay-scalar-call\"}},\"attempt\":1,\"max_attempts\":1}}");
  free(cmd), free(env);
  /* the batch command (PreparedToolBatch::new), then sleep and checkpoint */
  lash_prepared_call calls[2] = {{"call-1", "tool:echo_tool", "echo_tool", "{\"value\":\"hi\"}"},
                                 {"call-2", "tool:echo_tool", "echo_tool", "{}"}};
  cmd = RENDER(lash__command_tool_batch(&b_, "2", calls, 2, &e));
  CHECK_STR(cmd, "\"batch\":{\"batch_id\":\"2\",\"calls\":[{\"call\":{\"call_id\":\"call-1\",\"tool_id\":"
                 "\"tool:echo_tool\",\"tool_name\":\"echo_tool\",\"args\":{\"value\":\"hi\"}},\"replay_suffix\":"
                 "\"child:0:call-1\"},{\"call\":{\"call_id\":\"call-2\",\"tool_id\":\"tool:echo_tool\",\"tool_name\":"
                 "\"echo_tool\",\"args\":{}},\"replay_suffix\":\"child:1:call-2\"}]}");
  free(cmd);
  cmd = RENDER(lash__command_sleep(&b_, 1500));
  CHECK_STR(cmd, "\"duration_ms\":1500");
  free(cmd);
  cmd = RENDER(lash__command_checkpoint(&b_, 0));
  CHECK_STR(cmd, "\"checkpoint\":\"after_work\"");
  free(cmd);
}

/* envelope.rs rejection_tests, with lash's codes and texts */
static void envelope_rejections(void) {
  lash_invocation inv = {"session", NULL, -1, -1, "effect", LASH_EFFECT_AWAIT_EVENT, NULL, "replay"};
  lash_err e;
  lash_buf b;
  lash__buf_init(&b, NULL);
  CHECK(lash__envelope_json(&b, &inv, LASH_EFFECT_SLEEP, "\"duration_ms\":1", &e) == LASH_E_RUNTIME);
  CHECK_STR(e.runtime_code, "runtime_effect_invocation_kind"); /* rejects_invocation_command_kind_mismatch */
  CHECK_STR(e.detail, "runtime effect invocation kind await_event does not match command kind sleep");
  inv.kind = LASH_EFFECT_SLEEP;
  inv.effect_id = "  ";
  CHECK(lash__envelope_json(&b, &inv, LASH_EFFECT_SLEEP, "", &e) == LASH_E_RUNTIME);
  CHECK_STR(e.runtime_code, "runtime_effect_invocation_subject"); /* rejects_empty_effect_id */
  inv.effect_id = "effect";
  inv.replay_key = "";
  CHECK(lash__envelope_json(&b, &inv, LASH_EFFECT_SLEEP, "", &e) == LASH_E_RUNTIME);
  CHECK_STR(e.runtime_code, "runtime_effect_replay_required"); /* rejects_missing_or_empty_replay_key */
  CHECK_STR(e.detail, "runtime effect envelope requires replay.key");
  lash_prepared_call c = {" ", "tool:test", "test", "{}"};
  CHECK(lash__command_tool_attempt(&b, &c, 1, 1, &e) == LASH_E_RUNTIME);
  CHECK_STR(e.runtime_code, "runtime_effect_tool_attempt_call_id");
  c.call_id = "call";
  uint32_t idx[3][2] = {{0, 1}, {1, 0}, {2, 1}}; /* rejects_tool_attempt_indices_outside_one_through_max */
  for (int i = 0; i < 3; i++) {
    CHECK(lash__command_tool_attempt(&b, &c, idx[i][0], idx[i][1], &e) == LASH_E_RUNTIME);
    CHECK_STR(e.runtime_code, "runtime_effect_tool_attempt_index");
  }
  CHECK_STR(e.detail, "runtime effect tool attempt must satisfy 1 <= attempt <= max_attempts, got 2/1");
  CHECK(lash__command_tool_batch(&b, " ", &c, 1, &e) == LASH_E_RUNTIME);
  CHECK_STR(e.runtime_code, "runtime_effect_tool_batch_id");
  CHECK(lash__command_tool_batch(&b, "batch", &c, 0, &e) == LASH_E_RUNTIME);
  CHECK_STR(e.runtime_code, "runtime_effect_tool_batch_empty");
  c.call_id = " ";
  CHECK(lash__command_tool_batch(&b, "batch", &c, 1, &e) == LASH_E_RUNTIME);
  CHECK_STR(e.runtime_code, "runtime_effect_tool_batch_call_id");
  CHECK_STR(e.detail, "runtime effect tool batch call 0 has an empty call id");
  CHECK(b.len == 0); /* nothing written by a refusal */
  lash__buf_free(&b);
}

/* ================================================================ host and completions */

/* The effect_host facet and lash's turn-builder rules over it. */
static void effect_host_capabilities_and_turn_rules(void) {
  lash_effect_host h;
  lash_err e;
  cJSON *v = cJSON_Parse("{\"tier\":\"inline\"}");
  CHECK(lash__effect_host_from_json(v, &h, &e) == LASH_OK && h.replay == LASH_REPLAY_RUNTIME && !h.durable &&
        !h.process_lifetime_keys);
  cJSON_Delete(v);
  /* lash/src/turn.rs:1099: only controller-owned replay needs .effects() */
  CHECK(!lash__effect_requires_handler_context(&h, 0));
  v = cJSON_Parse("{\"tier\":\"durable\"}");
  CHECK(lash__effect_host_from_json(v, &h, &e) == LASH_OK && h.replay == LASH_REPLAY_CONTROLLER);
  cJSON_Delete(v);
  CHECK(lash__effect_requires_handler_context(&h, 0));
  CHECK(!lash__effect_requires_handler_context(&h, 1));
  char msg[256];
  snprintf(msg, sizeof msg, LASH_EFFECT_HANDLER_CONTEXT_FMT, "turn");
  CHECK_STR(msg, "configured effect host for turn is durable and requires a handler context; use "
                 ".effects(&controller) and provide .turn_id(...) for replayable foreground requests"); /* lash/src/error.rs:127 */
  const char *bad[] = {"{\"tier\":\"sometimes\"}", "{\"tier\":\"inline\",\"replay_ownership\":\"x\"}",
                       "{\"tier\":\"inline\",\"observes\":1}", "[]"};
  for (int i = 0; i < 4; i++) {
    v = cJSON_Parse(bad[i]);
    CHECK(lash__effect_host_from_json(v, &h, &e) == LASH_E_INVALID_ARGUMENT);
    CHECK_STR(e.argument, "effect_host");
    cJSON_Delete(v);
  }
  v = cJSON_Parse("{\"tier\":\"inline\",\"process_lifetime_keys\":true,\"observes\":true}");
  CHECK(lash__effect_host_from_json(v, &h, &e) == LASH_OK && h.process_lifetime_keys && h.observes);
  cJSON_Delete(v);

  lash_scoped_controller c;
  lash_exec_scope s = lash__scope_turn("s", "scope-turn"), blank = lash__scope_turn("s", " ");
  CHECK(lash__effect_scoped(&h, &blank, &c, &e) == LASH_E_RUNTIME);
  CHECK_STR(e.runtime_code, "missing_execution_scope_id");
  CHECK(lash__effect_scoped(&h, &s, &c, &e) == LASH_OK);
  /* lash/src/turn.rs:1077 trace_turn_id_for_scope */
  CHECK_STR(lash__effect_trace_turn_id(&c, NULL, "input"), "scope-turn");
  CHECK_STR(lash__effect_trace_turn_id(&c, "builder", "input"), "builder");
  CHECK_STR(lash__effect_trace_turn_id(NULL, NULL, "input"), "input");
  CHECK(lash__effect_trace_turn_id(NULL, NULL, NULL) == NULL);
  lash_exec_scope drain = lash__scope_queue_drain("s", "d");
  lash_scoped_controller dc;
  CHECK(lash__effect_scoped(&h, &drain, &dc, &e) == LASH_OK);
  CHECK_STR(lash__effect_trace_turn_id(&dc, NULL, "input"), "input");
  CHECK(lash__effect_check_trace_turn_id(&dc, "anything", &e) == LASH_OK); /* only turn scopes validate */
  /* runtime/turn_loop.rs:2450 */
  CHECK(lash__effect_check_trace_turn_id(&c, "scope-turn", &e) == LASH_OK);
  CHECK(lash__effect_check_trace_turn_id(&c, "builder", &e) == LASH_E_RUNTIME);
  CHECK_STR(e.runtime_code, "execution_scope_turn_id_mismatch");
  CHECK_STR(e.detail, "input trace_turn_id `builder` does not match execution scope id `scope-turn`");
}

/* ToolContext::completion_key (tool_provider.rs:885) and the outputs a pending
 * call ends with (tool_result.rs:338, tool_dispatch/execution.rs:375,
 * session/tool_execution.rs:691; serde shapes of tool_output.rs ToolCallOutcome,
 * ToolFailure, ToolCancellation::runtime -> source "cancellation"). */
static void pending_tool_completion_outputs(void) {
  lash_await_registry *r = registry();
  lash_effect_host inline_host = {0, LASH_REPLAY_RUNTIME, 0, 0};
  lash_scoped_controller c;
  lash_exec_scope s = lash__scope_turn("s", "t");
  lash_err e;
  lash_await_key k;
  CHECK(lash__effect_scoped(&inline_host, &s, &c, &e) == LASH_OK);
  CHECK(lash__completion_key(r, &c, "call-1", &k, &e) == LASH_E_RUNTIME);
  CHECK_STR(e.runtime_code, "tool_completion_key_process_lifetime");
  CHECK_STR(e.detail, "completion keys require an effect controller with process-loss-safe await-event routing; "
                      "single-process deployments may explicitly opt in with "
                      "InlineEffectHost::allow_process_lifetime_completion_keys()");
  inline_host.process_lifetime_keys = 1;
  CHECK(lash__completion_key(r, &c, NULL, &k, &e) == LASH_E_RUNTIME);
  CHECK_STR(e.runtime_code, "tool_completion_key_missing_call_id");
  CHECK_STR(e.detail, "completion keys require a prepared tool call id");
  CHECK(lash__completion_key(r, &c, "call-1", &k, &e) == LASH_OK);
  lash_await_key direct = key_for(r, "s", "t", "call-1");
  CHECK_STR(k.key_id_buf, direct.key_id_buf);
  CHECK_STR(k.signature_buf, direct.signature_buf);

  lash_pending_completion p;
  cJSON *v = cJSON_Parse("{\"deadline_ms\":2500,\"on_timeout\":\"fail_turn\",\"on_cancel\":\"ignore\"}");
  CHECK(lash__pending_from_json(v, &p, &e) == LASH_OK && p.has_deadline && p.deadline_ms == 2500 &&
        p.fail_turn_on_timeout && p.ignore_on_cancel);
  cJSON_Delete(v);
  CHECK(lash__pending_from_json(NULL, &p, &e) == LASH_OK && !p.has_deadline && !p.fail_turn_on_timeout &&
        !p.ignore_on_cancel); /* PendingCompletion::default: error_as_result, cancel_external_work */
  v = cJSON_Parse("{\"on_timeout\":\"explode\"}");
  CHECK(lash__pending_from_json(v, &p, &e) == LASH_E_INVALID_ARGUMENT);
  cJSON_Delete(v);

  struct { lash_resolution res; const char *expect; } m[] = {
      {{LASH_RESOLUTION_OK, "{\"ok\":true,\"async\":true}"},
       "{\"outcome\":{\"status\":\"success\",\"payload\":{\"ok\":true,\"async\":true}}}"},
      {{LASH_RESOLUTION_ERR, "{\"code\":\"denied\",\"message\":\"no thanks\",\"raw\":{\"by\":\"user\"}}"},
       "{\"outcome\":{\"status\":\"failure\",\"payload\":{\"class\":\"execution\",\"code\":\"denied\","
       "\"message\":\"no thanks\",\"source\":\"tool\",\"retry\":{\"type\":\"never\"},\"raw\":{\"by\":\"user\"}}}}"},
      {{LASH_RESOLUTION_TIMEOUT, NULL},
       "{\"outcome\":{\"status\":\"failure\",\"payload\":{\"class\":\"timeout\",\"code\":\"tool_completion_timeout\","
       "\"message\":\"pending tool completion timed out\",\"source\":\"runtime\",\"retry\":{\"type\":\"never\"}}}}"},
      {{LASH_RESOLUTION_CANCELLED, NULL},
       "{\"outcome\":{\"status\":\"cancelled\",\"payload\":{\"message\":\"pending tool completion cancelled\","
       "\"source\":\"cancellation\"}}}"}};
  for (int i = 0; i < 4; i++) {
    char *j = RENDER(lash__completion_output_json(&b_, &m[i].res));
    CHECK_STR(j, m[i].expect);
    free(j);
  }
  char *j = RENDER(lash__pending_missing_key_output_json(&b_));
  CHECK_STR(j, "{\"outcome\":{\"status\":\"failure\",\"payload\":{\"class\":\"internal\",\"code\":"
               "\"pending_tool_missing_completion_key\",\"message\":\"tool returned Pending without first obtaining a "
               "completion key\",\"source\":\"runtime\",\"retry\":{\"type\":\"never\"}}}}");
  free(j);
  j = RENDER(lash__pending_failed_output_json(&b_, "await-event key is invalid or revoked"));
  CHECK(strstr(j, "\"code\":\"pending_tool_completion_failed\",\"message\":\"await-event key is invalid or revoked\"") != NULL);
  free(j);
  lash__await_registry_free(r);
}

/* ================================================================ OOM sweep */

/* One flow over every allocating entry point: mint, park, resolve (JSON
 * ingress), poll, archive, envelopes, revoke. Returns 0 when an allocation
 * failed (reported as OutOfMemory, never as a wrong answer), 1 when whole. */
static int flow(void) {
  lash_await_registry *r = NULL;
  lash_err e;
  int rc = lash__await_registry_new(&BUDGET, SECRET, sizeof SECRET, &r, &e);
  if (rc) return rc == LASH_E_NOMEM ? 0 : -1;
  int whole = 1;
  lash_exec_scope s = lash__scope_turn("sid", "turn");
  lash_await_wait w = lash__wait_tool_completion("call-1"), tw = lash__wait_turn_terminal();
  lash_await_key k, tk;
  const lash_resolution *got = NULL;
  lash_buf out, kj;
  lash__buf_init(&out, &BUDGET);
  lash__buf_init(&kj, &BUDGET);
#define STEP(call)                                                                                 \
  do {                                                                                             \
    int rc_ = (call);                                                                              \
    if (rc_ == LASH_E_NOMEM) { whole = 0; goto done; }                                             \
    if (rc_ != LASH_OK) { whole = -1; goto done; }                                                 \
  } while (0)
  STEP(lash__await_key_for(r, &s, &w, &k, &e));
  STEP(lash__await_poll(r, &k, 0, 0, &got, &e));
  if (got) { whole = -1; goto done; }
  lash__await_key_json(&kj, &k);
  if (kj.oom) { whole = 0; goto done; }
  const char *res = "{\"status\":\"ok\",\"payload\":{\"approved\":true}}";
  STEP(lash__await_resolve_json(r, kj.data, kj.len, res, strlen(res), &out, &e));
  if (strcmp(out.data, "{\"status\":\"accepted\"}")) { whole = -1; goto done; }
  STEP(lash__await_poll(r, &k, 0, 0, &got, &e));
  if (!got || strcmp(got->payload, "{\"approved\":true}")) { whole = -1; goto done; }
  {
    lash_buf tool_out;
    lash__buf_init(&tool_out, &BUDGET);
    lash_resolution err = {LASH_RESOLUTION_ERR, "{\"code\":\"c\",\"message\":\"m\",\"raw\":[1]}"};
    lash__completion_output_json(&tool_out, &err);
    rc = tool_out.oom ? LASH_E_NOMEM : LASH_OK;
    lash__buf_free(&tool_out);
    STEP(rc);
  }
  STEP(lash__await_key_for(r, &s, &tw, &tk, &e));
  lash_resolution t = {LASH_RESOLUTION_OK, "\"done\""};
  lash_resolve_outcome o;
  STEP(lash__await_resolve(r, &tk, &t, &o, &e));
  {
    lash_invocation batch, aw;
    STEP(lash__invocation_turn(&BUDGET, &batch, "sid", "turn", 1, 0, 2, LASH_EFFECT_TOOL_BATCH, &e));
    rc = lash__invocation_pending_tool_await(&BUDGET, &aw, &batch, "call-1", &e);
    if (rc) lash__invocation_free(&BUDGET, &batch);
    STEP(rc);
    lash_buf cmd, env;
    lash__buf_init(&cmd, &BUDGET);
    lash__buf_init(&env, &BUDGET);
    lash__command_await_event(&cmd, &k);
    rc = cmd.oom ? LASH_E_NOMEM : lash__envelope_json(&env, &aw, LASH_EFFECT_AWAIT_EVENT, cmd.data, &e);
    lash__buf_free(&cmd);
    lash__buf_free(&env);
    lash__invocation_free(&BUDGET, &batch);
    lash__invocation_free(&BUDGET, &aw);
    STEP(rc);
  }
  STEP(lash__await_revoke_session(r, "sid"));
  if (lash__await_poll(r, &k, 0, 0, &got, &e) != LASH_E_RUNTIME) whole = -1;
done:
  lash__buf_free(&out);
  lash__buf_free(&kj);
  lash__await_registry_free(r);
  return whole;
#undef STEP
}

static void allocation_failure_sweep(void) {
  lash__install_json_hooks(&BUDGET);
  /* mode 0 fails only the k-th allocation, mode 1 every one from the k-th on */
  for (int mode = 0; mode < 2; mode++) {
    long k = 0;
    for (;; k++) {
      memset(&B, 0, sizeof B);
      B.armed = 1;
      B.left = mode ? k : -1;
      B.fail_at = mode ? -1 : k;
      int whole = flow();
      B.armed = 0;
      CHECK(whole >= 0);
      CHECK(B.live == 0); /* nothing leaks on any failure path */
      if (whole == 1 && B.denied == 0) break;
      if (k > 10000) { CHECK(!"sweep did not converge"); break; }
    }
    fprintf(stderr, "    mode %d: swept %ld allocation points\n", mode, k);
    CHECK(k > 10);
  }
  lash__install_json_hooks(NULL);
}

TEST_MAIN(RUN(await_event_identity_golden_corpus); RUN(promise_key_family_version_is_explicit_and_stable);
          RUN(signing_material_is_the_stable_framed_key_projection); RUN(keys_do_not_cross_secrets);
          RUN(effect_host_preserves_scope_metadata); RUN(effect_host_rejects_missing_scope_ids);
          RUN(effect_host_await_event_key_is_stable); RUN(effect_host_await_event_accepts_early_resolution);
          RUN(effect_host_await_event_duplicate_resolution_is_terminal);
          RUN(effect_host_await_event_cancel_and_timeout_are_terminal);
          RUN(effect_host_await_event_revokes_session_scope);
          RUN(effect_host_await_event_session_cancel_resolves_outstanding_waits);
          RUN(effect_host_await_event_rejects_tampered_keys);
          RUN(turn_control_waiter_cancellation_never_resolves_the_gate); RUN(completions_resolve_json);
          RUN(turn_effect_replay_keys); RUN(process_command_effect_ids); RUN(tool_round_trip_invocations);
          RUN(envelope_matches_lash_journal_bytes); RUN(envelope_rejections); RUN(effect_host_capabilities_and_turn_rules);
          RUN(pending_tool_completion_outputs); RUN(allocation_failure_sweep))
