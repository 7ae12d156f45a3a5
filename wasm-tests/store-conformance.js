// The store conformance suite: lash's commit contract (§2.9, §3.1-§3.3) checked
// against any backend. A store author runs it on their store:
//   runSessionStoreConformance('my store', () => ({ factory, reopen }))
//   runAttachmentStoreConformance('my store', () => ({ store, reopen }))
// `reopen` (optional) returns a new factory/store over the same persisted data.

const usage = (i, o) => ({ input_tokens: i, output_tokens: o, cached_input_tokens: 0, reasoning_tokens: 0 });
const node = (id, parent) => ({ node_id: id, ...(parent ? { parent_node_id: parent } : {}), timestamp: '2026-01-01T00:00:00.000Z',
  kind: 'event', event: { Conversation: { id: `m-${id}`, role: 'User', parts: [{ id: `m-${id}.p0`, kind: 'Text', content: id, prune_state: 'Intact' }] } } });
const commit = (sid, expected, graph, { stamp = null, turnIndex = 1, deltas = [] } = {}) => ({
  session_id: sid, expected_head_revision: expected,
  config: { provider_id: 'p', model: { id: 'm', limits: { context_window_tokens: 100 } } },
  agent_frames: [], current_agent_frame_id: '', graph,
  checkpoint: { turn_state: { turn_index: turnIndex, token_usage: usage(1, 1), protocol_turn_options: {} } },
  usage_deltas: deltas, turn_commit: stamp, completed_queue_claims: [], committed_attachment_ids: [],
});
const append = (nodes, leaf) => ({ Append: { nodes, leaf_node_id: leaf } });
const replace = (nodes, leaf) => ({ ReplaceFull: { nodes, leaf_node_id: leaf } });
const stamp = (sid, turn, hash) => ({ session_id: sid, turn_id: turn, turn_commit_hash: hash });
const ids = (read) => read.graph.nodes.map((n) => n.node_id);
const create = (factory, sid) => factory.createStore({ session_id: sid, relation: { kind: 'root' }, policy: { model: { id: 'm' } } });

export function runSessionStoreConformance(name, make) {
  describe(`${name}: session store conformance`, () => {
    let env;
    beforeEach(async () => { env = await make(); });

    test('reports a durability tier', () => {
      expect(['inline', 'durable']).toContain(env.factory.durabilityTier);
    });

    test('an empty store loads null and has no head', async () => {
      const store = await create(env.factory, 's');
      expect(await store.loadSession({ type: 'full_graph' })).toBeNull();
      expect(await store.headRevision()).toBeNull();
    });

    test('first commit -> revision 1; Append extends; Unchanged keeps nodes; ReplaceFull replaces', async () => {
      const store = await create(env.factory, 's');
      expect((await store.commitRuntimeState(commit('s', null, replace([node('a')], 'a')))).head_revision).toBe(1);
      expect((await store.commitRuntimeState(commit('s', 1, append([node('b', 'a')], 'b')))).head_revision).toBe(2);
      expect((await store.commitRuntimeState(commit('s', 2, { Unchanged: { leaf_node_id: 'b' } }))).head_revision).toBe(3);
      let read = await store.loadSession({ type: 'full_graph' });
      expect(ids(read)).toEqual(['a', 'b']);
      expect(read.graph.leaf_node_id).toBe('b');
      expect(read.head_revision).toBe(3);
      await store.commitRuntimeState(commit('s', 3, replace([node('x')], 'x')));
      read = await store.loadSession({ type: 'full_graph' });
      expect(ids(read)).toEqual(['x']);
      expect(read.session_id).toBe('s');
      expect(read.checkpoint.turn_state.turn_index).toBe(1);
    });

    test('CAS: a stale expected revision is HeadRevisionConflict and changes nothing', async () => {
      const store = await create(env.factory, 's');
      await store.commitRuntimeState(commit('s', null, replace([node('a')], 'a')));
      await store.commitRuntimeState(commit('s', 1, append([node('b', 'a')], 'b')));
      const err = await store.commitRuntimeState(commit('s', 1, append([node('c', 'b')], 'c'))).catch((e) => e);
      expect(err.code).toBe('HeadRevisionConflict');
      expect(err.expected).toBe(1);
      expect(err.actual).toBe(2);
      expect(err.message).toBe('store head revision conflict: expected Some(1), actual 2');
      expect(ids(await store.loadSession({ type: 'full_graph' }))).toEqual(['a', 'b']);
      expect(await store.headRevision()).toBe(2);
    });

    test('turn stamps: same (session, turn, hash) returns the stored result; another hash conflicts', async () => {
      const store = await create(env.factory, 's');
      await store.commitRuntimeState(commit('s', null, replace([node('a')], 'a')));
      const first = await store.commitRuntimeState(commit('s', 1, append([node('b', 'a')], 'b'), { stamp: stamp('s', 't1', 'h') }));
      const again = await store.commitRuntimeState(commit('s', 1, append([node('b2', 'a')], 'b2'), { stamp: stamp('s', 't1', 'h') }));
      expect(again).toEqual(first);
      expect(await store.headRevision()).toBe(2);
      expect(ids(await store.loadSession({ type: 'full_graph' }))).toEqual(['a', 'b']);
      const err = await store.commitRuntimeState(commit('s', 2, append([node('c', 'b')], 'c'), { stamp: stamp('s', 't1', 'other') })).catch((e) => e);
      expect(err.code).toBe('RuntimeTurnCommitConflict');
      expect(err.message).toBe('runtime turn `t1` for session `s` was already committed with a different commit hash');
    });

    test('a commit for another session: SessionBindingMismatch', async () => {
      const store = await create(env.factory, 's');
      const err = await store.commitRuntimeState(commit('other', null, replace([node('a')], 'a'))).catch((e) => e);
      expect(err.code).toBe('SessionBindingMismatch');
      expect(err.message).toBe('store is already bound to session `s` and cannot be reused for `other`');
      expect(await store.loadSession({ type: 'full_graph' })).toBeNull();
    });

    test('active path follows the leaf through a branched graph; loadNode finds any node', async () => {
      const store = await create(env.factory, 's');
      await store.commitRuntimeState(commit('s', null, replace([node('a'), node('b', 'a'), node('c', 'a')], 'c')));
      expect(ids(await store.loadSession({ type: 'active_path', leaf_node_id: null }))).toEqual(['a', 'c']);
      expect(ids(await store.loadSession({ type: 'active_path', leaf_node_id: 'b' }))).toEqual(['a', 'b']);
      expect(ids(await store.loadSession({ type: 'full_graph' }))).toEqual(['a', 'b', 'c']);
      expect((await store.loadNode('b')).node_id).toBe('b');
      expect(await store.loadNode('nope')).toBeNull();
    });

    test('usage deltas accumulate in the ledger', async () => {
      const store = await create(env.factory, 's');
      await store.commitRuntimeState(commit('s', null, replace([node('a')], 'a'), { deltas: [{ source: 'turn', model: 'm', usage: usage(3, 1) }] }));
      await store.commitRuntimeState(commit('s', 1, append([node('b', 'a')], 'b'), { deltas: [{ source: 'turn', model: 'm', usage: usage(5, 2) }] }));
      const read = await store.loadSession({ type: 'full_graph' });
      expect(read.token_ledger).toEqual([{ source: 'turn', model: 'm', usage: usage(3, 1) }, { source: 'turn', model: 'm', usage: usage(5, 2) }]);
    });

    test('createStore twice keeps the first meta; delete is idempotent and a deleted session loads null', async () => {
      const store = await env.factory.createStore({ session_id: 's', relation: { kind: 'root' }, policy: { model: { id: 'first' } } });
      await store.commitRuntimeState(commit('s', null, replace([node('a')], 'a')));
      await env.factory.createStore({ session_id: 's', relation: { kind: 'child', parent_session_id: 'p' }, policy: { model: { id: 'second' } } });
      const meta = await (await env.factory.openExistingStore({ session_id: 's' })).loadSessionMeta();
      expect(meta.relation).toEqual({ kind: 'root' });
      expect(meta.model).toBe('first');
      await env.factory.deleteSession('s');
      await env.factory.deleteSession('s');
      expect(await env.factory.openExistingStore({ session_id: 's' })).toBeNull();
      expect(await (await create(env.factory, 's')).loadSession({ type: 'full_graph' })).toBeNull();
    });

    test('reopen: a new factory over the same data reads the same session', async () => {
      if (!env.reopen) return; // an in-memory store has nothing to reopen
      const store = await create(env.factory, 's');
      await store.commitRuntimeState(commit('s', null, replace([node('a')], 'a'), { deltas: [{ source: 'turn', model: 'm', usage: usage(1, 1) }] }));
      await store.commitRuntimeState(commit('s', 1, append([node('b', 'a')], 'b'), { stamp: stamp('s', 't', 'h') }));
      const before = await store.loadSession({ type: 'full_graph' });
      const again = await (await env.reopen()).openExistingStore({ session_id: 's' });
      expect(await again.loadSession({ type: 'full_graph' })).toEqual(before);
      // the stamp survived too: a re-delivery after reopen is still idempotent
      const replay = await again.commitRuntimeState(commit('s', 1, append([node('b', 'a')], 'b'), { stamp: stamp('s', 't', 'h') }));
      expect(replay.head_revision).toBe(2);
    });
  });
}

export function runAttachmentStoreConformance(name, make) {
  describe(`${name}: attachment store conformance`, () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    test('content-addressed put/get round trip; idempotent put; NotFound', async () => {
      const { store, reopen } = await make();
      const ref = await store.put(png, { media_type: { kind: 'image', type: 'png' }, label: 'img1' });
      const digest = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', png)), (b) => b.toString(16).padStart(2, '0')).join('');
      expect(ref).toEqual({ id: digest, media_type: { kind: 'image', type: 'png' }, byte_len: 7, label: 'img1' });
      expect(await store.put(png, { media_type: { kind: 'image', type: 'png' }, label: 'img1' })).toEqual(ref);
      const got = await (reopen ? await reopen() : store).get(ref.id);
      expect(Array.from(got.bytes)).toEqual(Array.from(png));
      expect(got.meta).toEqual(ref);
      const err = await store.get('0'.repeat(64)).catch((e) => e);
      expect(err.code).toBe('NotFound');
    });
  });
}
