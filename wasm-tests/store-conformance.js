// The store conformance suite: lash's store contract checked against any backend
// (Jest; describe/test/expect are the runner's globals). Ported from lash-core
// testing/conformance/{runtime_persistence,session_store_factory,attachment_store}.rs
// (queued work left out: not implemented yet) plus the commit contract of §2.9.
//
//   runSessionStoreConformance('my store', makeFactory)
//   runAttachmentStoreConformance('my store', makeStore)
//   runProcessEnvStoreConformance('my store', makeStore)
//
// make*() is called once per test and returns either a fresh, empty factory/store,
// or { factory | store, reopen } where reopen() returns a NEW factory/store over the
// same persisted data (durable backends; the reopen checks are skipped without it).
// Expected values follow lash's rules, not a backend's output.

// ---- fixtures ----

const usage = (input, output, cached = 0, reasoning = 0) =>
  ({ input_tokens: input, output_tokens: output, cached_input_tokens: cached, reasoning_tokens: reasoning });
const entry = (source, model, u) => ({ source, model, usage: u });

// lash SessionNodeRecord (a protocol event, as conformance sample_session_node builds)
const node = (id, parent = null, extra = {}) => ({
  node_id: id, ...(parent ? { parent_node_id: parent } : {}), timestamp: '1970-01-01T00:00:00Z', kind: 'event',
  event: { Protocol: { plugin_id: 'conformance', payload: { node: id, ...extra } } },
});
const append = (nodes, leaf) => ({ Append: { nodes, leaf_node_id: leaf } });
const replace = (nodes, leaf) => ({ ReplaceFull: { nodes, leaf_node_id: leaf } });
const unchanged = (leaf) => ({ Unchanged: { leaf_node_id: leaf } });
const stamp = (sid, turn, hash) => ({ session_id: sid, turn_id: turn, turn_commit_hash: hash });

const MODEL = { id: 'gpt-5.4-mini', limits: { context_window_tokens: 200000 } };
function commit(sid, expected, graph, { turnIndex = 1, deltas = [], turnCommit = null, claims = [], checkpoint, frames, frameId } = {}) {
  return {
    session_id: sid, expected_head_revision: expected,
    config: { provider_id: 'conformance-provider', model: MODEL },
    agent_frames: frames ?? [], current_agent_frame_id: frameId ?? '', graph,
    checkpoint: checkpoint ?? { turn_state: { turn_index: turnIndex, token_usage: usage(0, 0), protocol_turn_options: {} } },
    usage_deltas: deltas, turn_commit: turnCommit, completed_queue_claims: claims, committed_attachment_ids: [],
  };
}
const ids = (read) => read.graph.nodes.map((n) => n.node_id);
const request = (sid, modelId = 'model-a', relation = { kind: 'root' }) =>
  ({ session_id: sid, relation, policy: { model: { id: modelId }, provider_id: 'conformance-provider', session_id: sid } });
const caught = (p) => p.then(() => { throw new Error('expected the call to fail'); }, (e) => e);

function unpack(made, key) {
  if (made && typeof made === 'object' && key in made && !(key === 'factory' && typeof made.createStore === 'function')) {
    return { [key]: made[key], reopen: made.reopen ?? null };
  }
  return { [key]: made, reopen: null };
}

// ---- session stores (RuntimePersistence + SessionStoreFactory) ----

export function runSessionStoreConformance(name, makeFactory) {
  describe(`${name}: session store conformance`, () => {
    let factory, reopen;
    beforeEach(async () => { ({ factory, reopen } = unpack(await makeFactory(), 'factory')); });
    const create = (sid = 'root', modelId, relation) => factory.createStore(request(sid, modelId, relation));

    describe('factory (session_store_factory.rs)', () => {
      test('declares a durability tier, and its stores declare the same', async () => {
        expect(['inline', 'durable']).toContain(factory.durabilityTier);
        expect((await create('tiered')).durabilityTier).toBe(factory.durabilityTier);
      });

      test('openExistingStore of an unknown session is null', async () => {
        expect(await factory.openExistingStore(request('missing-session'))).toBeNull();
      });

      test('createStore seeds meta from the request; openExistingStore reopens it', async () => {
        const relation = { kind: 'child', parent_session_id: 'parent-session' };
        const store = await create('session-a', 'model-a', relation);
        expect(store.sessionId).toBe('session-a');
        const check = (meta) => {
          expect(meta.session_id).toBe('session-a');
          expect(meta.session_name).toBe('session-a');
          expect(meta.model).toBe('model-a');
          expect(meta.relation).toEqual(relation);
          expect(typeof meta.created_at).toBe('string');
          expect(meta.created_at.length).toBeGreaterThan(0);
        };
        check(await store.loadSessionMeta());
        const reopened = await factory.openExistingStore(request('session-a'));
        expect(reopened.sessionId).toBe('session-a');
        check(await reopened.loadSessionMeta());
      });

      test('createStore never overwrites existing meta or relation', async () => {
        const store = await create('stable-session', 'initial-model');
        const custom = { session_id: 'stable-session', session_name: 'custom-name', created_at: 'custom-created-at',
          model: 'custom-model', cwd: '/tmp/conformance', relation: { kind: 'child', parent_session_id: 'custom-parent' } };
        await store.saveSessionMeta(custom);
        const again = await create('stable-session', 'changed-model', { kind: 'root' });
        expect(await again.loadSessionMeta()).toEqual(custom);
      });

      test('deleteSession removes the store, is idempotent, and a recreated session starts empty', async () => {
        const store = await create('delete-session', 'delete-model');
        await store.commitRuntimeState(commit('delete-session', null, replace([node('a')], 'a')));
        expect(await factory.openExistingStore(request('delete-session'))).not.toBeNull();
        await factory.deleteSession('delete-session');
        expect(await factory.openExistingStore(request('delete-session'))).toBeNull();
        await factory.deleteSession('delete-session'); // idempotent
        await factory.deleteSession('never-existed');
        const recreated = await create('delete-session', 'recreated-model');
        expect(await recreated.loadSession({ type: 'full_graph' })).toBeNull();
        expect(await recreated.headRevision()).toBeNull();
        const meta = await recreated.loadSessionMeta();
        expect(meta.model).toBe('recreated-model');
        expect(meta.session_name).toBe('delete-session');
      });

      test('sessions are isolated from each other', async () => {
        const a = await create('alpha');
        const b = await create('beta');
        await a.commitRuntimeState(commit('alpha', null, replace([node('a1')], 'a1'), { deltas: [entry('turn', 'm', usage(1, 1))] }));
        await b.commitRuntimeState(commit('beta', null, replace([node('b1'), node('b2', 'b1')], 'b2')));
        await a.commitRuntimeState(commit('alpha', 1, append([node('a2', 'a1')], 'a2')));
        expect(ids(await a.loadSession({ type: 'full_graph' }))).toEqual(['a1', 'a2']);
        expect(ids(await b.loadSession({ type: 'full_graph' }))).toEqual(['b1', 'b2']);
        expect(await b.loadNode('a1')).toBeNull();
        expect((await b.loadSession({ type: 'full_graph' })).token_ledger).toEqual([]);
        await factory.deleteSession('alpha');
        expect(ids(await b.loadSession({ type: 'full_graph' }))).toEqual(['b1', 'b2']);
        expect(await b.headRevision()).toBe(1);
      });
    });

    describe('commits (runtime_persistence.rs, §2.9)', () => {
      test('an empty store loads null in both scopes and has no head', async () => {
        const store = await create();
        expect(await store.loadSession({ type: 'full_graph' })).toBeNull();
        expect(await store.loadSession({ type: 'active_path', leaf_node_id: null })).toBeNull();
        expect(await store.headRevision()).toBeNull();
        expect(await store.loadNode('anything')).toBeNull();
      });

      test('the first commit (expected null) is revision 1; the result carries the refs-only manifest', async () => {
        const store = await create();
        const checkpoint = { turn_state: { turn_index: 3, token_usage: usage(4, 2), protocol_turn_options: {} },
          tool_state_ref: 'tool-ref', tool_state: { generation: 9 }, plugin_snapshot_revision: 12 };
        const result = await store.commitRuntimeState(commit('root', null, replace([node('a')], 'a'), { checkpoint }));
        expect(result.head_revision).toBe(1);
        expect(typeof result.checkpoint_ref).toBe('string');
        // SessionCheckpoint: turn_state and refs, never the hydrated snapshots
        expect(result.manifest).toEqual({ turn_state: checkpoint.turn_state, tool_state_ref: 'tool-ref', plugin_snapshot_revision: 12 });
        expect(await store.headRevision()).toBe(1);
        expect((await store.loadSession({ type: 'full_graph' })).checkpoint_ref).toBe(result.checkpoint_ref);
      });

      test('expected 0 on an empty store is accepted (the actual head of nothing is 0)', async () => {
        const store = await create();
        expect((await store.commitRuntimeState(commit('root', 0, replace([node('a')], 'a')))).head_revision).toBe(1);
      });

      test('the read returns the committed config, frames, checkpoint and head', async () => {
        const store = await create();
        const frames = [
          { frame_id: 'frame-1', session_id: 'root', status: 'superseded', reason: 'initial', created_at: 't0', assignment: {}, protocol_turn_options: {} },
          { frame_id: 'frame-2', session_id: 'root', previous_frame_id: 'frame-1', status: 'active', reason: 'plan_mode',
            created_at: 't1', assignment: {}, protocol_turn_options: {}, execution_state_snapshot: [102, 114, 97, 109, 101] },
        ];
        const checkpoint = { turn_state: { turn_index: 7, token_usage: usage(11, 7, 3, 5), last_prompt_usage: { prompt_context_tokens: 14 }, protocol_turn_options: { a: 1 } },
          tool_state: { generation: 9 }, plugin_snapshot: { plugins: {} }, plugin_snapshot_revision: 12, execution_state: [118, 109] };
        const c = commit('root', null, replace([node('a')], 'a'), { frames, frameId: 'frame-2', checkpoint });
        const result = await store.commitRuntimeState(c);
        const read = await store.loadSession({ type: 'full_graph' });
        expect(read.session_id).toBe('root');
        expect(read.head_revision).toBe(1);
        expect(read.config).toEqual(c.config);
        expect(read.agent_frames).toEqual(frames);
        expect(read.current_agent_frame_id).toBe('frame-2');
        expect(read.checkpoint).toEqual(checkpoint);
        expect(read.checkpoint_ref).toBe(result.checkpoint_ref);
        expect(read.graph).toEqual({ nodes: [node('a')], leaf_node_id: 'a' });
      });

      test('Append extends and moves the leaf; Unchanged only moves the leaf; ReplaceFull replaces all', async () => {
        const store = await create();
        expect((await store.commitRuntimeState(commit('root', null, replace([node('a')], 'a')))).head_revision).toBe(1);
        expect((await store.commitRuntimeState(commit('root', 1, append([node('b', 'a'), node('c', 'b')], 'c')))).head_revision).toBe(2);
        let read = await store.loadSession({ type: 'full_graph' });
        expect(ids(read)).toEqual(['a', 'b', 'c']);
        expect(read.graph.leaf_node_id).toBe('c');
        expect((await store.commitRuntimeState(commit('root', 2, unchanged('b')))).head_revision).toBe(3);
        read = await store.loadSession({ type: 'full_graph' });
        expect(ids(read)).toEqual(['a', 'b', 'c']);
        expect(read.graph.leaf_node_id).toBe('b');
        expect(ids(await store.loadSession({ type: 'active_path', leaf_node_id: null }))).toEqual(['a', 'b']);
        expect((await store.commitRuntimeState(commit('root', 3, append([], 'c')))).head_revision).toBe(4);
        expect((await store.loadSession({ type: 'full_graph' })).graph.leaf_node_id).toBe('c');
        expect((await store.commitRuntimeState(commit('root', 4, replace([node('x'), node('y', 'x')], 'y')))).head_revision).toBe(5);
        read = await store.loadSession({ type: 'full_graph' });
        expect(ids(read)).toEqual(['x', 'y']);
        expect(read.graph.leaf_node_id).toBe('y');
        expect(read.head_revision).toBe(5);
        expect(await store.loadNode('a')).toBeNull(); // replaced away
        expect(await store.headRevision()).toBe(5);
      });

      test('Append of a stored node id replaces that node in place (rows keyed by node id)', async () => {
        const store = await create();
        await store.commitRuntimeState(commit('root', null, replace([node('a'), node('b', 'a')], 'b')));
        await store.commitRuntimeState(commit('root', 1, append([node('a', null, { edited: true }), node('c', 'b')], 'c')));
        const read = await store.loadSession({ type: 'full_graph' });
        expect(ids(read)).toEqual(['a', 'b', 'c']);
        expect(read.graph.nodes[0].event.Protocol.payload.edited).toBe(true);
        expect((await store.loadNode('a')).event.Protocol.payload.edited).toBe(true);
      });

      test('expected null forces: the commit lands on whatever head there is', async () => {
        const store = await create();
        await store.commitRuntimeState(commit('root', null, replace([node('a')], 'a')));
        await store.commitRuntimeState(commit('root', 1, append([node('b', 'a')], 'b')));
        const r = await store.commitRuntimeState(commit('root', null, replace([node('z')], 'z')));
        expect(r.head_revision).toBe(3);
        expect(ids(await store.loadSession({ type: 'full_graph' }))).toEqual(['z']);
      });

      test('CAS: a stale or future expected revision is HeadRevisionConflict and changes nothing', async () => {
        const store = await create();
        await store.commitRuntimeState(commit('root', null, replace([node('a')], 'a')));
        await store.commitRuntimeState(commit('root', 1, append([node('b', 'a')], 'b'), { deltas: [entry('turn', 'm', usage(1, 1))] }));
        const before = await store.loadSession({ type: 'full_graph' });
        for (const expected of [1, 5]) {
          const err = await caught(store.commitRuntimeState(commit('root', expected, append([node('c', 'b')], 'c'),
            { deltas: [entry('turn', 'm', usage(9, 9))], turnCommit: stamp('root', `t-${expected}`, 'h') })));
          expect(err.name).toBe('LashError');
          expect(err.code).toBe('HeadRevisionConflict');
          expect(err.expected).toBe(expected);
          expect(err.actual).toBe(2);
          expect(err.message).toBe(`store head revision conflict: expected Some(${expected}), actual 2`);
        }
        expect(await store.loadSession({ type: 'full_graph' })).toEqual(before);
        expect(await store.headRevision()).toBe(2);
        expect(await store.loadNode('c')).toBeNull();
        // the refused commits recorded no stamp: the same turn commits now
        expect((await store.commitRuntimeState(commit('root', 2, append([node('c', 'b')], 'c'), { turnCommit: stamp('root', 't-1', 'h') }))).head_revision).toBe(3);
      });

      test('CAS on an empty store: expected 1 conflicts with actual 0', async () => {
        const store = await create();
        const err = await caught(store.commitRuntimeState(commit('root', 1, replace([node('a')], 'a'))));
        expect(err.code).toBe('HeadRevisionConflict');
        expect(err.message).toBe('store head revision conflict: expected Some(1), actual 0');
        expect(await store.loadSession({ type: 'full_graph' })).toBeNull();
      });

      test('turn stamps: a re-delivery with the same hash returns the stored result and writes nothing', async () => {
        const store = await create();
        await store.commitRuntimeState(commit('root', null, replace([node('a')], 'a')));
        const first = await store.commitRuntimeState(commit('root', 1, append([node('b', 'a')], 'b'),
          { turnCommit: stamp('root', 'provider-turn', 'hash-1'), deltas: [entry('turn', 'm', usage(3, 1))] }));
        expect(first.head_revision).toBe(2);
        const before = await store.loadSession({ type: 'full_graph' });
        // identity is (session, turn, hash): other content and a stale CAS revision do not matter
        const again = await store.commitRuntimeState(commit('root', 1, append([node('b2', 'a')], 'b2'),
          { turnCommit: stamp('root', 'provider-turn', 'hash-1'), deltas: [entry('turn', 'm', usage(50, 50))] }));
        expect(again).toEqual(first);
        expect(await store.headRevision()).toBe(2);
        expect(await store.loadSession({ type: 'full_graph' })).toEqual(before);
        expect(await store.loadNode('b2')).toBeNull();
      });

      test('turn stamps: the same turn with a different hash is RuntimeTurnCommitConflict', async () => {
        const store = await create();
        await store.commitRuntimeState(commit('root', null, replace([node('a')], 'a'), { turnCommit: stamp('root', 'provider-turn', 'h') }));
        const before = await store.loadSession({ type: 'full_graph' });
        const err = await caught(store.commitRuntimeState(commit('root', 1, append([node('b', 'a')], 'b'),
          { turnIndex: 2, turnCommit: stamp('root', 'provider-turn', 'changed') })));
        expect(err.code).toBe('RuntimeTurnCommitConflict');
        expect(err.sessionId).toBe('root');
        expect(err.turnId).toBe('provider-turn');
        expect(err.message).toBe('runtime turn `provider-turn` for session `root` was already committed with a different commit hash');
        expect(await store.loadSession({ type: 'full_graph' })).toEqual(before);
        // another turn id is a new turn
        expect((await store.commitRuntimeState(commit('root', 1, append([node('b', 'a')], 'b'), { turnCommit: stamp('root', 'next-turn', 'changed') }))).head_revision).toBe(2);
      });

      test('a stamp naming another session is RuntimeTurnCommitConflict', async () => {
        const store = await create();
        const err = await caught(store.commitRuntimeState(commit('root', null, replace([node('a')], 'a'), { turnCommit: stamp('other', 't', 'h') })));
        expect(err.code).toBe('RuntimeTurnCommitConflict');
        expect(err.message).toBe('runtime turn `t` for session `other` was already committed with a different commit hash');
        expect(await store.loadSession({ type: 'full_graph' })).toBeNull();
      });

      test('a commit for another session is SessionBindingMismatch and changes nothing', async () => {
        const store = await create('alpha');
        let err = await caught(store.commitRuntimeState(commit('beta', null, replace([node('a')], 'a'))));
        expect(err.code).toBe('SessionBindingMismatch');
        expect(err.bound).toBe('alpha');
        expect(err.attempted).toBe('beta');
        expect(err.message).toBe('store is already bound to session `alpha` and cannot be reused for `beta`');
        expect(await store.loadSession({ type: 'full_graph' })).toBeNull();
        await store.commitRuntimeState(commit('alpha', null, replace([node('a')], 'a')));
        err = await caught(store.commitRuntimeState(commit('beta', 1, append([node('b', 'a')], 'b'))));
        expect(err.code).toBe('SessionBindingMismatch');
        expect(await store.headRevision()).toBe(1);
        expect(await factory.openExistingStore(request('beta'))).toBeNull();
      });

      test('queue completions the store does not hold: QueuedWorkClaimExpired, nothing persisted, stamp not recorded', async () => {
        const store = await create();
        const claim = { session_id: 'root', claim_id: 'claim-1', lease_token: 'lease', batch_ids: ['batch-1'] };
        const err = await caught(store.commitRuntimeState(commit('root', null, replace([node('a')], 'a'),
          { turnIndex: 41, turnCommit: stamp('root', 'turn-atomic', 'h'), claims: [claim] })));
        expect(err.code).toBe('QueuedWorkClaimExpired');
        expect(err.sessionId).toBe('root');
        expect(err.claimId).toBe('claim-1');
        expect(err.message).toBe('queued work claim `claim-1` for session `root` is missing or expired');
        expect(await store.loadSession({ type: 'full_graph' })).toBeNull();
        // a completion that names no batches owns all of them
        const ok = await store.commitRuntimeState(commit('root', null, replace([node('a')], 'a'),
          { turnIndex: 41, turnCommit: stamp('root', 'turn-atomic', 'h'), claims: [{ ...claim, batch_ids: [] }] }));
        expect(ok.head_revision).toBe(1);
      });

      test('a malformed commit is a Backend error and changes nothing', async () => {
        const store = await create();
        await store.commitRuntimeState(commit('root', null, replace([node('a')], 'a')));
        const before = await store.loadSession({ type: 'full_graph' });
        const bad = [
          commit('root', 1, {}),
          commit('root', 1, { ...append([node('b', 'a')], 'b'), ...unchanged('a') }),
          commit('root', 1, replace([node('x'), node('x')], 'x')),
          { ...commit('root', 1, append([node('b', 'a')], 'b')), usage_deltas: 'lots' },
          { ...commit('root', 1, append([node('b', 'a')], 'b')), expected_head_revision: -1 },
        ];
        for (const c of bad) {
          const err = await caught(store.commitRuntimeState(c));
          expect(err.code).toBe('Backend');
          expect(err.message).toMatch(/^store backend error: /);
        }
        expect(await store.loadSession({ type: 'full_graph' })).toEqual(before);
        expect(await store.headRevision()).toBe(1);
      });

      test('active path vs full graph on a branched graph (explicit and persisted leaf)', async () => {
        const store = await create('branchy');
        await store.commitRuntimeState(commit('branchy', null, replace([
          node('root-node'), node('left-node', 'root-node'), node('left-leaf', 'left-node'), node('right-leaf', 'root-node'),
        ], 'left-leaf')));
        const full = await store.loadSession({ type: 'full_graph' });
        expect(ids(full)).toEqual(['root-node', 'left-node', 'left-leaf', 'right-leaf']);
        expect(full.graph.leaf_node_id).toBe('left-leaf');
        const persisted = await store.loadSession({ type: 'active_path', leaf_node_id: null });
        expect(ids(persisted)).toEqual(['root-node', 'left-node', 'left-leaf']);
        expect(persisted.graph.leaf_node_id).toBe('left-leaf');
        const omitted = await store.loadSession({ type: 'active_path' });
        expect(ids(omitted)).toEqual(['root-node', 'left-node', 'left-leaf']);
        const right = await store.loadSession({ type: 'active_path', leaf_node_id: 'right-leaf' });
        expect(ids(right)).toEqual(['root-node', 'right-leaf']);
        expect(right.graph.leaf_node_id).toBe('right-leaf');
        expect(right.head_revision).toBe(1);
        expect(ids(await store.loadSession({ type: 'active_path', leaf_node_id: 'no-such-node' }))).toEqual([]);
      });

      test('loadNode finds any stored node, on or off the active path', async () => {
        const store = await create();
        await store.commitRuntimeState(commit('root', null, replace([node('a'), node('b', 'a'), node('c', 'a')], 'c')));
        expect(await store.loadNode('b')).toEqual(node('b', 'a'));
        expect(await store.loadNode('c')).toEqual(node('c', 'a'));
        expect(await store.loadNode('nope')).toBeNull();
      });

      test('tombstones hide nodes from loadNode and reads; vacuum removes only them; a commit revives an id', async () => {
        const store = await create();
        await store.commitRuntimeState(commit('root', null, replace([node('node-live'), node('node-delete', 'node-live')], 'node-delete')));
        expect(await store.loadNode('node-delete')).not.toBeNull();
        await store.tombstoneNodes(['node-delete']);
        expect(await store.loadNode('node-delete')).toBeNull();
        const full = await store.loadSession({ type: 'full_graph' });
        expect(ids(full)).toEqual(['node-live']);
        expect(full.graph.leaf_node_id).toBeNull(); // the leaf itself was tombstoned
        expect(ids(await store.loadSession({ type: 'active_path', leaf_node_id: null }))).toEqual(['node-live']);
        expect(await store.headRevision()).toBe(1); // tombstoning is not a commit
        expect(await store.vacuum()).toEqual({ removed_node_count: 1 });
        expect(await store.vacuum()).toEqual({ removed_node_count: 0 }); // only rows removed by this call
        // committed node ids are un-tombstoned
        await store.tombstoneNodes(['node-live']);
        expect(ids(await store.loadSession({ type: 'full_graph' }))).toEqual([]);
        await store.commitRuntimeState(commit('root', 1, append([node('node-live')], 'node-live')));
        expect(ids(await store.loadSession({ type: 'full_graph' }))).toEqual(['node-live']);
        expect(await store.vacuum()).toEqual({ removed_node_count: 0 });
      });

      test('usage deltas accumulate: one ledger row per (source, model); empty rows dropped', async () => {
        const store = await create();
        await store.commitRuntimeState(commit('root', null, replace([node('a')], 'a'), { deltas: [
          entry('turn', 'mock-model', usage(11, 7, 3, 5)), entry('compaction', 'mock-model', usage(2, 2)),
        ] }));
        let read = await store.loadSession({ type: 'full_graph' });
        expect(read.token_ledger).toEqual([entry('turn', 'mock-model', usage(11, 7, 3, 5)), entry('compaction', 'mock-model', usage(2, 2))]);
        await store.commitRuntimeState(commit('root', 1, append([node('b', 'a')], 'b'), { deltas: [
          entry('turn', 'mock-model', usage(5, 2, 1, 0)), entry('turn', 'other-model', usage(1, 0)), entry('turn', 'zero-model', usage(0, 0)),
        ] }));
        await store.commitRuntimeState(commit('root', 2, unchanged('b'), { deltas: [entry('turn', 'cached-only', usage(0, 0, 4))] }));
        read = await store.loadSession({ type: 'full_graph' });
        expect(read.token_ledger).toEqual([
          entry('turn', 'mock-model', usage(16, 9, 4, 5)),
          entry('compaction', 'mock-model', usage(2, 2)),
          entry('turn', 'other-model', usage(1, 0)),
          entry('turn', 'cached-only', usage(0, 0, 4)),
        ]);
        expect((await store.loadSession({ type: 'active_path', leaf_node_id: null })).token_ledger).toEqual(read.token_ledger);
      });

      test('the store keeps its own copy: changing a commit after it landed, or a read, changes nothing', async () => {
        const store = await create();
        const c1 = commit('root', null, replace([node('a')], 'a'), { deltas: [entry('turn', 'm', usage(1, 1))], turnCommit: stamp('root', 't', 'h') });
        const r1 = await store.commitRuntimeState(c1);
        const snapshot = await store.loadSession({ type: 'full_graph' });
        c1.graph.ReplaceFull.nodes[0].event.Protocol.payload.node = 'changed';
        c1.graph.ReplaceFull.nodes.push(node('sneaky'));
        c1.checkpoint.turn_state.turn_index = 99;
        c1.usage_deltas[0].usage.input_tokens = 1000;
        r1.manifest.turn_state.turn_index = 98;
        const read = await store.loadSession({ type: 'full_graph' });
        expect(read).toEqual(snapshot);
        read.graph.nodes[0].node_id = 'mutated';
        read.token_ledger[0].usage.input_tokens = 5;
        (await store.loadNode('a')).parent_node_id = 'mutated';
        expect(await store.loadSession({ type: 'full_graph' })).toEqual(snapshot);
        expect((await store.loadNode('a')).parent_node_id).toBeUndefined();
        const replayed = await store.commitRuntimeState(commit('root', null, replace([node('a')], 'a'), { turnCommit: stamp('root', 't', 'h') }));
        expect(replayed.manifest.turn_state.turn_index).toBe(1);
      });

      test('session meta round trips', async () => {
        const store = await create();
        const meta = { session_id: 'root', session_name: 'Conformance Root', created_at: '2026-06-02T00:00:00Z',
          model: 'gpt-5.4-mini', cwd: '/tmp/lash-conformance', relation: { kind: 'root' } };
        await store.saveSessionMeta(meta);
        expect(await store.loadSessionMeta()).toEqual(meta);
      });

      test('an unsupported read scope is refused', async () => {
        const store = await create();
        const err = await caught(store.loadSession({ type: 'everything' }));
        expect(err.code).toBe('UnsupportedReadScope');
      });
    });

    describe('several handles', () => {
      // a second handle: from a reopened factory when the backend has one
      const second = async (sid) => (reopen ? await reopen() : factory).openExistingStore(request(sid));

      test('headRevision lets a second handle notice another handle\'s commit', async () => {
        const a = await create();
        await a.commitRuntimeState(commit('root', null, replace([node('a')], 'a')));
        const b = await second('root');
        expect(await b.headRevision()).toBe(1);
        await a.commitRuntimeState(commit('root', 1, append([node('b', 'a')], 'b')));
        expect(await b.headRevision()).toBe(2);
        expect(ids(await b.loadSession({ type: 'full_graph' }))).toEqual(['a', 'b']);
        await b.commitRuntimeState(commit('root', 2, append([node('c', 'b')], 'c')));
        expect(await a.headRevision()).toBe(3);
        expect(ids(await a.loadSession({ type: 'full_graph' }))).toEqual(['a', 'b', 'c']);
      });

      test('two handles racing on the same expected revision: exactly one commit lands', async () => {
        const a = await create();
        await a.commitRuntimeState(commit('root', null, replace([node('a')], 'a')));
        const b = await second('root');
        const results = await Promise.allSettled([
          a.commitRuntimeState(commit('root', 1, append([node('from-a', 'a')], 'from-a'))),
          b.commitRuntimeState(commit('root', 1, append([node('from-b', 'a')], 'from-b'))),
        ]);
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r) => r.status === 'rejected');
        expect(won.map((r) => r.value.head_revision)).toEqual([2]);
        expect(lost.map((r) => [r.reason.code, r.reason.expected, r.reason.actual])).toEqual([['HeadRevisionConflict', 1, 2]]);
        const read = await a.loadSession({ type: 'full_graph' });
        expect(read.graph.nodes.length).toBe(2);
        expect(await b.loadSession({ type: 'full_graph' })).toEqual(read);
      });
    });

    describe('reopen (durable backends)', () => {
      test('a new factory over the same data reads the same session, meta, stamps and tombstones', async () => {
        if (!reopen) return; // nothing survives an in-memory factory
        const store = await create('root', 'model-a');
        await store.saveSessionMeta({ session_id: 'root', session_name: 'Durable Root', created_at: '2026-06-02T00:00:00Z',
          model: 'gpt-5.4-mini', cwd: '/tmp/lash-reopen', relation: { kind: 'root' } });
        const checkpoint = { turn_state: { turn_index: 2, token_usage: usage(3, 1), protocol_turn_options: {} }, tool_state: { generation: 77 } };
        await store.commitRuntimeState(commit('root', null, replace([node('a'), node('x', 'a')], 'x'), { deltas: [entry('turn', 'm', usage(1, 1))] }));
        const stamped = await store.commitRuntimeState(commit('root', 1, append([node('b', 'a')], 'b'),
          { checkpoint, turnCommit: stamp('root', 't', 'h'), deltas: [entry('turn', 'm', usage(2, 2))] }));
        await store.tombstoneNodes(['x']);
        const before = await store.loadSession({ type: 'full_graph' });
        const beforePath = await store.loadSession({ type: 'active_path', leaf_node_id: null });
        const again = await (await reopen()).openExistingStore(request('root'));
        expect(again).not.toBeNull();
        expect(await again.loadSession({ type: 'full_graph' })).toEqual(before);
        expect(await again.loadSession({ type: 'active_path', leaf_node_id: null })).toEqual(beforePath);
        expect(before.checkpoint.tool_state.generation).toBe(77);
        expect(await again.headRevision()).toBe(2);
        expect((await again.loadSessionMeta()).session_name).toBe('Durable Root');
        expect(await again.loadNode('x')).toBeNull();
        // the stamp survived: a re-delivery is still idempotent, a changed hash still conflicts
        expect(await again.commitRuntimeState(commit('root', 1, append([node('b', 'a')], 'b'), { turnCommit: stamp('root', 't', 'h') }))).toEqual(stamped);
        expect((await caught(again.commitRuntimeState(commit('root', 2, unchanged('b'), { turnCommit: stamp('root', 't', 'h2') })))).code)
          .toBe('RuntimeTurnCommitConflict');
        // and the reopened handle commits on from the stored head
        expect((await again.commitRuntimeState(commit('root', 2, append([node('c', 'b')], 'c')))).head_revision).toBe(3);
        expect(await store.headRevision()).toBe(3);
      });

      test('a deleted session is gone for a reopened factory too', async () => {
        if (!reopen) return;
        const store = await create();
        await store.commitRuntimeState(commit('root', null, replace([node('a')], 'a')));
        await factory.deleteSession('root');
        const other = await reopen();
        expect(await other.openExistingStore(request('root'))).toBeNull();
        expect(await (await other.createStore(request('root'))).loadSession({ type: 'full_graph' })).toBeNull();
      });
    });
  });
}

// ---- attachment stores (attachment_store.rs) ----

const hexOf = async (bytes) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
const PNG = { kind: 'image', type: 'png' };
const attachmentMeta = () => ({ media_type: PNG, width: 7, height: 11, label: 'pixel' });

export function runAttachmentStoreConformance(name, makeStore) {
  describe(`${name}: attachment store conformance`, () => {
    let store, reopen;
    beforeEach(async () => { ({ store, reopen } = unpack(await makeStore(), 'store')); });

    test('declares a durability tier', () => {
      expect(['inline', 'durable']).toContain(store.durabilityTier);
    });

    test('put/get round-trips bytes and metadata', async () => {
      const bytes = new Uint8Array([1, 2, 3, 4, 5]);
      const ref = await store.put(bytes, attachmentMeta());
      expect(ref).toEqual({ id: await hexOf(bytes), media_type: PNG, byte_len: 5, width: 7, height: 11, label: 'pixel' });
      const got = await store.get(ref.id);
      expect(Array.from(got.bytes)).toEqual([1, 2, 3, 4, 5]);
      expect(got.meta).toEqual(ref);
    });

    test('the id is the sha256 hex of the bytes (content addressing)', async () => {
      const abc = new TextEncoder().encode('abc');
      // FIPS 180-2 test vector
      expect((await store.put(abc, { media_type: PNG })).id).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
      const first = await store.put(new Uint8Array([9, 9, 9]), attachmentMeta());
      const same = await store.put(new Uint8Array([9, 9, 9]), attachmentMeta());
      const different = await store.put(new Uint8Array([9, 9, 8]), attachmentMeta());
      expect(same).toEqual(first); // idempotent
      expect(different.id).not.toBe(first.id);
      expect(Array.from((await store.get(first.id)).bytes)).toEqual([9, 9, 9]);
      expect(Array.from((await store.get(different.id)).bytes)).toEqual([9, 9, 8]);
    });

    test('optional metadata is left out when absent', async () => {
      const ref = await store.put(new Uint8Array([7]), { media_type: { kind: 'image', type: 'jpeg' } });
      expect(ref).toEqual({ id: await hexOf(new Uint8Array([7])), media_type: { kind: 'image', type: 'jpeg' }, byte_len: 1 });
      expect((await store.get(ref.id)).meta).toEqual(ref);
    });

    test('get of an unknown id is NotFound', async () => {
      for (const id of ['sha256:does-not-exist', '0'.repeat(64)]) {
        const err = await caught(store.get(id));
        expect(err.name).toBe('LashError');
        expect(err.code).toBe('NotFound');
        expect(err.message).toBe(`attachment \`${id}\` was not found`);
      }
    });

    test('stored bytes are not aliased by the caller or the reader', async () => {
      const bytes = new Uint8Array([5, 6, 7]);
      const ref = await store.put(bytes, attachmentMeta());
      bytes[0] = 0;
      const got = await store.get(ref.id);
      got.bytes[1] = 0;
      expect(Array.from((await store.get(ref.id)).bytes)).toEqual([5, 6, 7]);
    });

    test('attachments survive a reopen', async () => {
      if (!reopen) return;
      const ref = await store.put(new Uint8Array([4, 3, 2, 1]), attachmentMeta());
      const got = await (await reopen()).get(ref.id);
      expect(Array.from(got.bytes)).toEqual([4, 3, 2, 1]);
      expect(got.meta).toEqual(ref);
    });
  });
}

// ---- process execution environment stores (§3.4) ----

export function runProcessEnvStoreConformance(name, makeStore) {
  describe(`${name}: process env store conformance`, () => {
    let store, reopen;
    beforeEach(async () => { ({ store, reopen } = unpack(await makeStore(), 'store')); });
    const ref = 'process-env:sha256:0123abcd';

    test('put/get round-trips; an unknown ref is null; a later put replaces', async () => {
      expect(['inline', 'durable']).toContain(store.durabilityTier);
      expect(await store.getProcessExecutionEnv(ref)).toBeNull();
      await store.putProcessExecutionEnv(ref, new Uint8Array([1, 2, 3]));
      expect(Array.from(await store.getProcessExecutionEnv(ref))).toEqual([1, 2, 3]);
      await store.putProcessExecutionEnv(ref, new Uint8Array([4]));
      expect(Array.from(await store.getProcessExecutionEnv(ref))).toEqual([4]);
      expect(await store.getProcessExecutionEnv('process-env:sha256:other')).toBeNull();
    });

    test('environments survive a reopen', async () => {
      if (!reopen) return;
      await store.putProcessExecutionEnv(ref, new Uint8Array([8, 9]));
      expect(Array.from(await (await reopen()).getProcessExecutionEnv(ref))).toEqual([8, 9]);
    });
  });
}
