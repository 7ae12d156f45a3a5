// The process registry conformance suite: lash-core
// testing/conformance/process_registry.rs (at the commit the spec names), one test
// per lash test and named after it, checked against any backend (Jest globals; the
// browser runs it through mini-jest). Expected values are lash's assertions; where
// lash only asserts `is_err()`, the error text asserted is the one lash's
// reference registry (runtime/process/testing.rs + validation.rs) produces.
//
//   runProcessRegistryConformance('my registry', makeRegistry, { tier })
//
// makeRegistry() is called once per test and returns a fresh, empty registry, or
// { registry, reopen } where reopen() returns a NEW registry over the same
// persisted data (then process_registry_survives_reopen runs too).

const open = (made) => (made && typeof made.registerProcess === 'function' ? { registry: made } : made);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const session = (session_id, agent_frame_id) => (agent_frame_id ? { session_id, agent_frame_id } : { session_id });
const refusal = (detail) => ({ code: 'PluginSession', message: `plugin session error: ${detail}`, detail });

// lash ProcessRegistration::new(id, External { metadata: Null }, host) + extra event types
const CORE_TYPES = [
  { name: 'process.cancel_requested', payload_schema: { schema: {} }, semantics: {} },
  { name: 'process.waiting', payload_schema: { schema: {} }, semantics: {} },
  { name: 'process.resumed', payload_schema: { schema: {} }, semantics: {} },
  ...[['process.completed', 'completed'], ['process.failed', 'failed'], ['process.cancelled', 'cancelled']].map(([name, state]) =>
    ({ name, payload_schema: { schema: {} }, semantics: { terminal: { state, await_output: { pointer: '/await_output' } } } })),
];
const registration = (id, { extra = [], eventTypes, provenance, wakeTarget } = {}) => ({
  id,
  input: { type: 'external', metadata: null },
  event_types: eventTypes ?? [...CORE_TYPES, ...extra],
  provenance: provenance ?? { originator: { type: 'host' } },
  ...(wakeTarget ? { wake_target: wakeTarget } : {}),
});
const wakeEventTypeWith = (name, wake) => ({ name, payload_schema: { schema: {} }, semantics: { wake } });
const wakeEventType = (name) => wakeEventTypeWith(name,
  { when: { present: '/wake_input' }, input: { pointer: '/wake_input' }, dedupe_key: 'event_identity' });
const plainEventType = (name) => ({ name, payload_schema: { schema: {} }, semantics: {} });
const event = (event_type, payload, { key, target } = {}) => ({
  event_type, payload, ...(key ? { replay: { key } } : {}), ...(target ? { wake_target_scope: target } : {}),
});
const success = (value) => ({ type: 'success', value });
const signalWait = (id, since_ms, name = 'ready', ordinal = 1) => ({
  since_ms, kind: { kind: 'signal', name, event_type: `signal.${name}`, key: `process:${id}:signal.${name}:${ordinal}`, ordinal },
});
const ids = (records) => records.map((r) => r.id);

export function runProcessRegistryConformance(name, makeRegistry, { tier }) {
  describe(`process registry conformance: ${name}`, () => {
    let registry;
    let reopen;
    beforeEach(async () => { ({ registry, reopen } = open(await makeRegistry())); });

    test('process_registry_reports_declared_durability', () => {
      expect(registry.durabilityTier).toBe(tier);
    });

    test('registration_is_idempotent_and_hash_conflicts_fail', async () => {
      const first = await registry.registerProcess(registration('proc-idempotent'));
      const second = await registry.registerProcess(registration('proc-idempotent'));
      expect(second.registration_hash).toBe(first.registration_hash);
      expect(first.registration_hash).toMatch(/^[0-9a-f]{64}$/);
      const other = registration('proc-idempotent', { extra: [wakeEventType('producer.wake')] });
      let err;
      try { await registry.registerProcess(other); } catch (e) { err = e; }
      expect(err?.code).toBe('PluginSession');
      expect(err?.message).toMatch(new RegExp(
        `^plugin session error: process \`proc-idempotent\` registration hash conflict: existing ${first.registration_hash}, new [0-9a-f]{64}$`));
      expect((await registry.getProcess('proc-idempotent')).event_types).toEqual(CORE_TYPES);
    });

    test('external_refs_and_handle_grant_membership_round_trip', async () => {
      await expect(registry.setExternalRef('missing-process', { backend: 'test', id: 'missing' }))
        .rejects.toMatchObject(refusal('unknown process `missing-process`'));
      await registry.registerProcess(registration('proc-external-ref'));
      const externalRef = { backend: 'worker', id: 'job-123', metadata: { queue: 'critical' } };
      const updated = await registry.setExternalRef('proc-external-ref', externalRef);
      expect(updated.external_ref).toEqual(externalRef);
      expect((await registry.getProcess('proc-external-ref')).external_ref).toEqual(externalRef);

      const owner = session('grant-owner');
      expect(await registry.hasHandleGrant(owner, 'proc-external-ref')).toBe(false);
      const grant = await registry.grantHandle(owner, 'proc-external-ref', { kind: 'test', label: 'external ref' });
      expect(grant).toEqual({ session_id: 'grant-owner', process_id: 'proc-external-ref', descriptor: { kind: 'test', label: 'external ref' } });
      expect(await registry.hasHandleGrant(owner, 'proc-external-ref')).toBe(true);
      await registry.revokeHandle(owner, 'proc-external-ref');
      expect(await registry.hasHandleGrant(owner, 'proc-external-ref')).toBe(false);
      expect(await registry.listHandleGrants(owner)).toEqual([]);
    });

    test('validates_custom_events_and_materializes_wakes', async () => {
      const target = session('s1');
      const eventType = {
        name: 'producer.line',
        // lash LashSchema::object(properties, ["line"])
        payload_schema: { schema: { type: 'object', properties: { line: { type: 'string' }, wake_input: { type: 'string' } },
          required: ['line'], additionalProperties: true } },
        semantics: { wake: { when: { present: '/wake_input' }, input: { pointer: '/wake_input' }, dedupe_key: 'event_identity' } },
      };
      await registry.registerProcess(registration('proc-1', { extra: [eventType] }));
      const appended = await registry.appendEvent('proc-1',
        event('producer.line', { line: 'deploy failed', wake_input: 'Process event: deploy failed' }, { target }));
      expect(appended.event.sequence).toBe(1);
      expect(appended.event.semantics.wake.input).toBe('Process event: deploy failed');
      expect(await registry.wakeEventsAfter('proc-1', 0)).toHaveLength(1);
      await registry.ackWake('proc-1', appended.event.sequence);
      expect(await registry.wakeEventsAfter('proc-1', 0)).toEqual([]);
      await expect(registry.appendEvent('proc-1', event('producer.line', { wake_input: 'missing required line' })))
        .rejects.toMatchObject(refusal('invalid `producer.line` payload: line: required property missing'));
    });

    test('custom_wake_events_preserve_typed_provenance_and_replay', async () => {
      const target = session('target-session', 'target-frame');
      const causedBy = { type: 'session_node', session_id: 'target-session', node_id: 'trigger:button' };
      await registry.registerProcess(registration('proc-provenance', {
        extra: [wakeEventType('producer.custom_wake')],
        provenance: { originator: { type: 'session', scope: session('owner-session') }, caused_by: causedBy },
      }));
      const request = event('producer.custom_wake', { line: 'build failed', wake_input: 'custom wake: build failed' },
        { key: 'custom-wake:build-failed', target });
      const first = await registry.appendEvent('proc-provenance', request);
      const replay = await registry.appendEvent('proc-provenance', request);
      expect(first.event.sequence).toBe(1);
      expect(replay.event.sequence).toBe(first.event.sequence);
      expect(await registry.eventsAfter('proc-provenance', 0)).toHaveLength(1);
      expect(first.event.invocation).toEqual({
        scope: { session_id: 'runtime' },
        subject: { type: 'process_event', process_id: 'proc-provenance', sequence: 1, event_type: 'producer.custom_wake' },
        caused_by: { type: 'process', process_id: 'proc-provenance' },
        replay: { key: 'custom-wake:build-failed' },
      });
      const wake = first.wake_delivery;
      expect(wake.event_type).toBe('producer.custom_wake');
      expect(wake.event_invocation).toEqual(first.event.invocation);
      expect(wake.process_caused_by).toEqual(causedBy);
      expect(wake.target_session_id).toBe('target-session');
      expect(wake.target_scope_id).toBe('session:target-session/frame:target-frame');
      expect(wake.process_id).toBe('proc-provenance');
      expect(wake.sequence).toBe(first.event.sequence);
      expect(wake.dedupe_key).toBe('proc-provenance:1');
      expect(wake.input).toBe('custom wake: build failed');
      expect(wake.wake_id).toMatch(/^wake:[0-9a-f]{64}$/);
      expect(replay.wake_delivery.wake_id).toBe(wake.wake_id);
    });

    test('event_streams_filter_order_and_wait_without_leaking_old_events', async () => {
      await registry.registerProcess(registration('proc-stream', {
        extra: [plainEventType('producer.line'), wakeEventType('producer.wake'), plainEventType('producer.future')],
      }));
      await registry.appendEvent('proc-stream', event('producer.line', { line: 'one' }));
      await registry.appendEvent('proc-stream', event('producer.wake', { wake_input: 'wake two' }, { target: session('root') }));
      await registry.appendEvent('proc-stream', event('producer.line', { line: 'three' }));
      const pairs = (events) => events.map((e) => [e.sequence, e.event_type]);
      expect(pairs(await registry.eventsAfter('proc-stream', 1))).toEqual([[2, 'producer.wake'], [3, 'producer.line']]);
      expect(await registry.eventsAfter('proc-stream', 3)).toEqual([]);
      expect(pairs(await registry.wakeEventsAfter('proc-stream', 1))).toEqual([[2, 'producer.wake']]);
      expect(await registry.wakeEventsAfter('proc-stream', 2)).toEqual([]);
      expect((await registry.waitEventAfter('proc-stream', 'producer.line', 1)).sequence).toBe(3);

      let settled = null;
      const waiter = registry.waitEventAfter('proc-stream', 'producer.future', 3).then((e) => { settled = e; return e; });
      await sleep(20);
      expect(settled).toBeNull();
      await registry.appendEvent('proc-stream', event('producer.future', { line: 'four' }));
      const future = await Promise.race([waiter, sleep(1000).then(() => null)]);
      expect(future?.sequence).toBe(4);
    });

    test('wake_semantics_matrix_materializes_declared_wakes', async () => {
      await registry.registerProcess(registration('proc-wake-matrix', { extra: [
        wakeEventTypeWith('matrix.when_false', { when: { const: false }, input: { const: 'must not wake' }, dedupe_key: 'event_identity' }),
        wakeEventTypeWith('matrix.payload', { input: 'payload', dedupe_key: 'event_identity' }),
        wakeEventTypeWith('matrix.const_input', { input: { const: 'constant wake input' }, dedupe_key: 'event_identity' }),
        wakeEventTypeWith('matrix.template', { input: { template: { template: 'line {line} #{n}', fields: { line: { pointer: '/line' }, n: { pointer: '/n' } } } },
          dedupe_key: 'event_identity' }),
        wakeEventTypeWith('matrix.selector_dedupe', { input: { pointer: '/wake_input' }, dedupe_key: { selector: { pointer: '/dedupe' } } }),
        wakeEventTypeWith('matrix.const_dedupe', { input: { pointer: '/wake_input' }, dedupe_key: { const: 'constant-dedupe' } }),
      ] }));
      const target = session('root');
      const append = async (type, payload) => (await registry.appendEvent('proc-wake-matrix', event(type, payload, { target }))).wake_delivery;
      expect(await append('matrix.when_false', {})).toBeUndefined();
      const payload = await append('matrix.payload', 'payload wake');
      expect(payload.input).toBe('payload wake');
      expect(payload.dedupe_key).toBe('proc-wake-matrix:2');
      expect((await append('matrix.const_input', {})).input).toBe('constant wake input');
      expect((await append('matrix.template', { line: 'done', n: 7 })).input).toBe('line done #7');
      const selectorFirst = await append('matrix.selector_dedupe', { wake_input: 'selector one', dedupe: 'group-a' });
      const selectorSecond = await append('matrix.selector_dedupe', { wake_input: 'selector two', dedupe: 'group-a' });
      expect(selectorFirst.dedupe_key).toBe('group-a');
      expect(selectorSecond.wake_id).toBe(selectorFirst.wake_id);
      const constFirst = await append('matrix.const_dedupe', { wake_input: 'const one' });
      const constSecond = await append('matrix.const_dedupe', { wake_input: 'const two' });
      expect(constFirst.dedupe_key).toBe('constant-dedupe');
      expect(constSecond.wake_id).toBe(constFirst.wake_id);
      expect((await registry.wakeEventsAfter('proc-wake-matrix', 0)).map((e) => e.sequence)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    });

    test('keyed_events_materialize_idempotent_wakes', async () => {
      const target = session('session');
      await registry.registerProcess(registration('proc-wake', { extra: [wakeEventType('process.wake')] }));
      const request = event('process.wake', { message: 'deploy failed', wake_input: 'Process wake: deploy failed' },
        { key: 'wake:deploy failed', target });
      const first = await registry.appendEvent('proc-wake', request);
      const second = await registry.appendEvent('proc-wake', request);
      expect(second.event.sequence).toBe(first.event.sequence);
      expect(second.wake_delivery).toEqual(first.wake_delivery);
      expect(first.wake_delivery.input).toBe('Process wake: deploy failed');
      expect(first.wake_delivery.target_scope_id).toBe('session:session');
      expect(first.wake_delivery.process_id).toBe('proc-wake');
      expect(first.wake_delivery.sequence).toBe(first.event.sequence);
      await expect(registry.appendEvent('proc-wake', event('process.wake', { message: 'other', wake_input: 'Process wake: other' },
        { key: 'wake:deploy failed' })))
        .rejects.toMatchObject(refusal('process `proc-wake` event replay key `wake:deploy failed` conflicts with an existing event'));
    });

    test('wake_semantic_events_without_target_record_without_delivery', async () => {
      await registry.registerProcess(registration('proc-missing-wake-target', { extra: [wakeEventType('process.wake')] }));
      const appended = await registry.appendEvent('proc-missing-wake-target',
        event('process.wake', { message: 'target missing', wake_input: 'Process wake: target missing' }, { key: 'wake:missing-target' }));
      expect(appended.event.sequence).toBe(1);
      expect(appended.wake_delivery).toBeUndefined();
      expect(await registry.eventsAfter('proc-missing-wake-target', 0)).toHaveLength(1);
    });

    test('terminal_and_cancel_events_require_keys', async () => {
      await registry.registerProcess(registration('proc-terminal'));
      await expect(registry.appendEvent('proc-terminal', event('process.cancel_requested', { reason: 'stop' })))
        .rejects.toMatchObject(refusal('process `proc-terminal` event `process.cancel_requested` requires a deterministic replay key'));
      // lash ProcessEventAppendRequest::cancel_requested("proc-terminal", Some("stop")): the key is
      // process:{id}:cancel_requested:{sha256 of ["process.cancel_requested",{"reason":"stop"}]}
      const cancel = await registry.appendEvent('proc-terminal', event('process.cancel_requested', { reason: 'stop' },
        { key: 'process:proc-terminal:cancel_requested:85a6238fa9840bc3105d1a06ca03df61803080fefa838ab687d36662275be019' }));
      expect(cancel.event.event_type).toBe('process.cancel_requested');
      await registry.completeProcess('proc-terminal', { type: 'cancelled', message: 'stopped' });
      expect((await registry.getProcess('proc-terminal')).status.state).toBe('cancelled');
    });

    test('await_reads_terminal_materialized_output', async () => {
      await registry.registerProcess(registration('proc-2'));
      await registry.completeProcess('proc-2', success({ ok: true }));
      expect(await registry.awaitProcess('proc-2')).toEqual({ type: 'success', value: { ok: true } });
      expect((await registry.getProcess('proc-2')).status).toEqual({ state: 'completed', await_output: { type: 'success', value: { ok: true } } });
    });

    test('wait_state_round_trips_filters_and_clears_on_terminal', async () => {
      await expect(registry.setProcessWait('missing-process', signalWait('missing-process', 1)))
        .rejects.toMatchObject(refusal('unknown process `missing-process`'));
      await registry.registerProcess(registration('proc-wait-roundtrip'));
      const wait = signalWait('proc-wait-roundtrip', 1234);
      expect((await registry.setProcessWait('proc-wait-roundtrip', wait)).wait).toEqual(wait);
      expect((await registry.getProcess('proc-wait-roundtrip')).wait).toEqual(wait);
      expect(ids(await registry.listProcesses({ waiting: true }))).toContain('proc-wait-roundtrip');
      expect(ids(await registry.listProcesses({ waiting: false }))).not.toContain('proc-wait-roundtrip');
      expect((await registry.clearProcessWait('proc-wait-roundtrip')).wait).toBeUndefined();
      await registry.setProcessWait('proc-wait-roundtrip', wait);
      const completed = await registry.completeProcess('proc-wait-roundtrip', success({ done: true }));
      expect(completed.wait).toBeUndefined();
      await expect(registry.setProcessWait('proc-wait-roundtrip', signalWait('proc-wait-roundtrip', 5678, 'again')))
        .rejects.toMatchObject(refusal('terminal process `proc-wait-roundtrip` cannot enter a wait state'));
    });

    test('list_processes_filters_by_status_and_waiting', async () => {
      for (const id of ['proc-list-running', 'proc-list-waiting', 'proc-list-done']) await registry.registerProcess(registration(id));
      await registry.setProcessWait('proc-list-waiting', signalWait('proc-list-waiting', 1));
      await registry.completeProcess('proc-list-done', success(null));
      expect(ids(await registry.listProcesses({ status: 'any' }))).toEqual(['proc-list-done', 'proc-list-running', 'proc-list-waiting']);
      expect(ids(await registry.listProcesses({ status: 'running' }))).toEqual(['proc-list-running', 'proc-list-waiting']);
      expect(ids(await registry.listProcesses())).toEqual(['proc-list-running', 'proc-list-waiting']); // lash's default filter: running
      expect(ids(await registry.listProcesses({ status: 'completed' }))).toEqual(['proc-list-done']);
      expect(ids(await registry.listProcesses({ status: 'any', waiting: true }))).toEqual(['proc-list-waiting']);
      expect(ids(await registry.listProcesses({ status: 'running', waiting: false }))).toEqual(['proc-list-running']);
    });

    test('count_and_recent_events_match_the_log', async () => {
      await expect(registry.countEventsThrough('missing-process', 'signal.ready', 10)).rejects.toMatchObject(refusal('unknown process `missing-process`'));
      await expect(registry.recentEvents('missing-process', 4)).rejects.toMatchObject(refusal('unknown process `missing-process`'));
      // with_event_types replaces the defaults; the core types are added back on registration
      await registry.registerProcess(registration('proc-event-queries', { eventTypes: [plainEventType('signal.a'), plainEventType('b')] }));
      const sequences = [];
      for (const [index, type] of ['signal.a', 'b', 'signal.a', 'signal.a', 'b'].entries()) {
        sequences.push((await registry.appendEvent('proc-event-queries', event(type, { n: index }, { key: `proc-event-queries:${index}` }))).event.sequence);
      }
      expect(await registry.countEventsThrough('proc-event-queries', 'signal.a', sequences.at(-1))).toBe(3);
      expect(await registry.countEventsThrough('proc-event-queries', 'signal.a', sequences[2])).toBe(2);
      expect(await registry.countEventsThrough('proc-event-queries', 'signal.missing', Number.MAX_SAFE_INTEGER)).toBe(0);
      const full = await registry.eventsAfter('proc-event-queries', 0);
      expect((await registry.recentEvents('proc-event-queries', 2)).map((e) => e.sequence)).toEqual(full.slice(-2).map((e) => e.sequence));
      expect(await registry.recentEvents('proc-event-queries', 100)).toHaveLength(full.length);
    });

    test('transfer_handle_grants_moves_addressability', async () => {
      const s1 = session('s1'), s2 = session('s2');
      await registry.registerProcess(registration('proc-3'));
      await registry.grantHandle(s1, 'proc-3', { kind: 'tool', label: 'demo' });
      await registry.transferHandleGrants(s1, s2, ['proc-3']);
      expect(await registry.listHandleGrants(s1)).toHaveLength(0);
      const moved = await registry.listHandleGrants(s2);
      expect(moved).toHaveLength(1);
      expect(moved[0][0]).toEqual({ session_id: 's2', process_id: 'proc-3', descriptor: { kind: 'tool', label: 'demo' } });
      expect(await registry.eventsAfter('proc-3', 0)).toEqual([]);
      await expect(registry.transferHandleGrants(s1, s2, ['proc-3']))
        .rejects.toMatchObject(refusal('process handle `proc-3` is not granted to session `s1`'));
    });

    test('multiple_sessions_can_hold_grants', async () => {
      const s1 = session('s1'), s2 = session('s2'), s3 = session('s3');
      await registry.registerProcess(registration('proc-5'));
      await registry.grantHandle(s1, 'proc-5', { kind: 'tool', label: 'demo' });
      await registry.grantHandle(s2, 'proc-5', { kind: 'worker', label: 'demo' });
      const holders = async () => (await registry.handleGrantsForProcess('proc-5')).map((g) => g.session_id);
      expect(await holders()).toEqual(['s1', 's2']);
      await registry.transferHandleGrants(s1, s3, ['proc-5']);
      expect(await holders()).toEqual(['s2', 's3']);
      expect(await registry.eventsAfter('proc-5', 0)).toEqual([]);
    });

    test('processes_can_exist_with_zero_grants', async () => {
      await registry.registerProcess(registration('proc-4'));
      expect(await registry.listHandleGrants(session('s1'))).toEqual([]);
    });

    test('delete_session_revokes_handles_by_session', async () => {
      const deleted = session('deleted'), remaining = session('remaining');
      for (const id of ['sole', 'shared', 'terminal']) {
        await registry.registerProcess(registration(id, { extra: [wakeEventType('producer.wake')], wakeTarget: deleted }));
        await registry.grantHandle(deleted, id, { kind: 'test', label: id });
      }
      await registry.grantHandle(remaining, 'shared', { kind: 'test', label: 'shared' });
      await registry.completeProcess('terminal', success(null));
      await registry.appendEvent('sole', event('producer.wake', { wake_input: 'wake deleted' }, { target: deleted }));
      const sharedWake = await registry.appendEvent('shared', event('producer.wake', { wake_input: 'wake shared' }, { target: remaining }));
      await registry.ackWake('shared', sharedWake.event.sequence);
      expect(await registry.wakeEventsAfter('shared', 0)).toEqual([]);

      const report = await registry.deleteSessionProcessState('deleted');
      expect(report).toEqual({ session_id: 'deleted', revoked_handle_count: 3, deleted_wake_count: 0,
        orphaned_process_ids: ['sole'], preserved_process_ids: ['shared'] });
      for (const id of ['sole', 'shared', 'terminal']) expect((await registry.getProcess(id)).wake_target).toBeUndefined();
      expect(await registry.listHandleGrants(deleted)).toEqual([]);
      expect(await registry.listHandleGrants(remaining)).toHaveLength(1);
      expect(await registry.wakeEventsAfter('shared', 0)).toEqual([]);
    });

    test('list_non_terminal_excludes_terminal_processes', async () => {
      await registry.registerProcess(registration('proc-live'));
      await registry.registerProcess(registration('proc-done'));
      await registry.completeProcess('proc-done', success(null));
      expect(ids(await registry.listNonTerminal())).toEqual(['proc-live']);
    });

    test('list_live_handle_grants_excludes_terminal_history', async () => {
      const scope = session('history-owner');
      for (const id of ['proc-live-grant', 'proc-done-grant']) {
        await registry.registerProcess(registration(id));
        await registry.grantHandle(scope, id, { kind: 'test', label: id });
      }
      await registry.completeProcess('proc-done-grant', success(null));
      expect((await registry.listLiveHandleGrants(scope)).map(([g]) => g.process_id)).toEqual(['proc-live-grant']);
      expect((await registry.listHandleGrants(scope)).map(([g]) => g.process_id)).toEqual(['proc-done-grant', 'proc-live-grant']);
    });

    test('active_process_lease_fences_competing_owner', async () => {
      await registry.registerProcess(registration('proc-lease-active'));
      const first = await registry.claimProcessLease('proc-lease-active', 'owner-a', 60000);
      expect(first).toMatchObject({ schema_version: 1, process_id: 'proc-lease-active', owner_id: 'owner-a', fencing_token: 1 });
      expect(first.lease_token).toBe(`proc-lease-active:owner-a:${first.claimed_at_epoch_ms}:1`);
      expect(first.expires_at_epoch_ms).toBe(first.claimed_at_epoch_ms + 60000);
      await expect(registry.claimProcessLease('proc-lease-active', 'owner-b', 60000)).rejects.toMatchObject(
        refusal(`process \`proc-lease-active\` is already leased by \`owner-a\` until ${first.expires_at_epoch_ms}`));
      const again = await registry.claimProcessLease('proc-lease-active', 'owner-a', 60000);
      expect(again.fencing_token).toBe(2); // every claim bumps the fence, even the owner's own
    });

    test('superseded_process_lease_cannot_renew', async () => {
      await registry.registerProcess(registration('proc-lease-superseded'));
      const old = await registry.claimProcessLease('proc-lease-superseded', 'owner-a', 0);
      await registry.claimProcessLease('proc-lease-superseded', 'owner-b', 60000);
      await expect(registry.renewProcessLease(old, 60000))
        .rejects.toMatchObject(refusal('process lease for `proc-lease-superseded` is missing or expired'));
    });

    test('renewed_process_lease_survives_original_expiry', async () => {
      await registry.registerProcess(registration('proc-lease-renew'));
      // lash: TTL 20 ms, sleep 30 ms. Here 300/400 ms: a durable backend's fsync between
      // the claim and the renewal can take longer than 20 ms on a loaded machine.
      const lease = await registry.claimProcessLease('proc-lease-renew', 'owner-a', 300);
      const renewed = await registry.renewProcessLease(lease, 60000);
      expect({ ...renewed, expires_at_epoch_ms: 0 }).toEqual({ ...lease, expires_at_epoch_ms: 0 });
      expect(renewed.expires_at_epoch_ms).toBeGreaterThanOrEqual(lease.claimed_at_epoch_ms + 60000);
      await sleep(400);
      await registry.renewProcessLease(renewed, 60000);
    });

    test('completed_lease_releases_and_reclaim_bumps_fencing', async () => {
      await registry.registerProcess(registration('proc-lease-complete'));
      const first = await registry.claimProcessLease('proc-lease-complete', 'owner-a', 60000);
      await registry.completeProcessLease({ process_id: first.process_id, lease_token: first.lease_token });
      await registry.completeProcessLease({ process_id: first.process_id, lease_token: first.lease_token }); // idempotent
      const second = await registry.claimProcessLease('proc-lease-complete', 'owner-b', 60000);
      expect(second.fencing_token).toBeGreaterThan(first.fencing_token);
    });

    test('stale_lease_completion_cannot_release_live_lease', async () => {
      await registry.registerProcess(registration('proc-lease-stale-complete'));
      const old = await registry.claimProcessLease('proc-lease-stale-complete', 'owner-a', 0);
      const current = await registry.claimProcessLease('proc-lease-stale-complete', 'owner-b', 60000);
      await registry.completeProcessLease({ process_id: old.process_id, lease_token: old.lease_token });
      await expect(registry.claimProcessLease('proc-lease-stale-complete', 'owner-c', 60000)).rejects.toMatchObject(
        refusal(`process \`proc-lease-stale-complete\` is already leased by \`owner-b\` until ${current.expires_at_epoch_ms}`));
      await registry.renewProcessLease(current, 60000);
    });

    test('process_registry_survives_reopen', async () => {
      if (!reopen) return; // an inline registry has nothing to reopen
      const scope = session('reopen-session');
      await registry.registerProcess(registration('proc-reopen', { extra: [wakeEventType('producer.reopen_wake')] }));
      await registry.grantHandle(scope, 'proc-reopen', { kind: 'test', label: 'reopen' });
      const request = event('producer.reopen_wake', { wake_input: 'survived reopen' }, { key: 'producer:reopen', target: scope });
      const appended = await registry.appendEvent('proc-reopen', request);
      const again = await reopen();
      expect((await again.getProcess('proc-reopen')).id).toBe('proc-reopen');
      const events = await again.eventsAfter('proc-reopen', 0);
      expect(events).toHaveLength(1);
      expect(events[0].sequence).toBe(appended.event.sequence);
      expect(await again.listHandleGrants(scope)).toHaveLength(1);
      expect((await again.appendEvent('proc-reopen', request)).event.sequence).toBe(appended.event.sequence);
    });
  });
}
