// Runs in headless Chromium against the real IndexedDB. The page reports what it
// saw on window.__lash; the Node side (browser.test.js) asserts.
//   ?mode=conformance            commit contract on IndexedDbSessionStoreFactory
//   ?mode=turn&db=NAME&phase=1   start a turn whose tool never returns (the test reloads mid-turn)
//   ?mode=turn&db=NAME&phase=2   reopen from IndexedDB, report the transcript, run the next turn
import {
  StandardCore, ModelSpec, InlineEffectHost, ScriptedProvider, defineTools,
  IndexedDbSessionStoreFactory, IndexedDbAttachmentStore, IndexedDbProcessExecutionEnvStore,
} from '../../js/index.js';

const params = new URLSearchParams(location.search);
const report = (value) => { window.__lash = value; };

async function conformance() {
  const checks = [];
  const check = (name, ok, detail) => checks.push({ name, ok: !!ok, detail: ok ? undefined : detail });
  const dbName = `conf-${Date.now()}-${Math.random()}`;
  const factory = new IndexedDbSessionStoreFactory({ dbName, durability: 'strict' });
  check('tier is durable', factory.durabilityTier === 'durable', factory.durabilityTier);
  const store = await factory.createStore({ session_id: 's', relation: { kind: 'root' }, policy: { model: { id: 'm' } } });
  const node = (id, parent) => ({ node_id: id, ...(parent ? { parent_node_id: parent } : {}), timestamp: '2026-01-01T00:00:00.000Z',
    kind: 'event', event: { Conversation: { id: `m-${id}`, role: 'User', parts: [] } } });
  const commit = (expected, graph, stamp) => ({
    session_id: 's', expected_head_revision: expected, config: { provider_id: 'p', model: { id: 'm', limits: { context_window_tokens: 10 } } },
    agent_frames: [], current_agent_frame_id: '', graph,
    checkpoint: { turn_state: { turn_index: 1, token_usage: { input_tokens: 1, output_tokens: 1, cached_input_tokens: 0, reasoning_tokens: 0 }, protocol_turn_options: {} } },
    usage_deltas: [], turn_commit: stamp ?? null, completed_queue_claims: [], committed_attachment_ids: [],
  });
  check('empty store loads null', (await store.loadSession({ type: 'full_graph' })) === null);
  const r1 = await store.commitRuntimeState(commit(null, { ReplaceFull: { nodes: [node('a')], leaf_node_id: 'a' } }));
  check('first commit is revision 1', r1.head_revision === 1, r1);
  const r2 = await store.commitRuntimeState(commit(1, { Append: { nodes: [node('b', 'a')], leaf_node_id: 'b' } },
    { session_id: 's', turn_id: 't1', turn_commit_hash: 'h1' }));
  check('append is revision 2', r2.head_revision === 2, r2);
  const again = await store.commitRuntimeState(commit(1, { Append: { nodes: [node('b', 'a')], leaf_node_id: 'b' } },
    { session_id: 's', turn_id: 't1', turn_commit_hash: 'h1' }));
  check('same stamp and hash is idempotent', again.head_revision === 2 && (await store.headRevision()) === 2, again);
  try {
    await store.commitRuntimeState(commit(2, { Append: { nodes: [node('c', 'b')], leaf_node_id: 'c' } },
      { session_id: 's', turn_id: 't1', turn_commit_hash: 'other' }));
    check('changed hash conflicts', false, 'no error');
  } catch (e) { check('changed hash conflicts', e.code === 'RuntimeTurnCommitConflict', e.code); }
  try {
    await store.commitRuntimeState(commit(1, { Append: { nodes: [node('c', 'b')], leaf_node_id: 'c' } }));
    check('stale expected revision conflicts', false, 'no error');
  } catch (e) { check('stale expected revision conflicts', e.code === 'HeadRevisionConflict', e.code); }
  const reopened = await new IndexedDbSessionStoreFactory({ dbName }).openExistingStore({ session_id: 's' });
  const read = await reopened.loadSession({ type: 'full_graph' });
  check('reopen sees both nodes and the leaf', read.graph.nodes.map((n) => n.node_id).join() === 'a,b' && read.graph.leaf_node_id === 'b',
    read.graph);
  check('head survives reopen', read.head_revision === 2, read.head_revision);
  await factory.deleteSession('s');
  const gone = await (await factory.createStore({ session_id: 's', relation: { kind: 'root' }, policy: { model: { id: 'm' } } }))
    .loadSession({ type: 'full_graph' });
  check('deleted session loads null', gone === null, gone);
  report({ checks });
}

async function turn() {
  const db = params.get('db');
  const phase = params.get('phase');
  const provider = new ScriptedProvider(phase === '1'
    ? [{ toolCalls: [{ id: 'c1', name: 'wait', arguments: {} }] }]
    : [{ text: 'back after reload' }], { kind: 'browser-test' });
  const tools = defineTools([{ name: 'wait', description: 'never returns', inputSchema: { type: 'object' },
    execute: () => { window.__lash = { toolRunning: true }; return new Promise(() => {}); } }]);
  const core = await StandardCore.builder().provider(provider).model(ModelSpec.fromTokenLimits('m', null, 100000))
    .effectHost(new InlineEffectHost())
    .storeFactory(new IndexedDbSessionStoreFactory({ dbName: db }))
    .attachmentStore(new IndexedDbAttachmentStore({ dbName: `${db}-att` }))
    .processEnvStore(new IndexedDbProcessExecutionEnvStore({ dbName: `${db}-env` }))
    .tools(tools).build();
  const session = await core.session('tab').open();
  if (phase === '1') {
    session.turn('please wait').run(); // the page reloads while the tool runs
    return;
  }
  const before = await session.readView();
  const { result } = await session.turn('still there?').run();
  const after = await session.readView();
  report({
    before: before.messages.map((m) => `${m.role}:${m.parts.map((p) => p.kind).join('+')}`),
    beforeTurnIndex: before.turn_index,
    outcome: result.outcome,
    after: after.messages.map((m) => m.role),
  });
}

(params.get('mode') === 'turn' ? turn() : conformance()).catch((e) => report({ error: `${e?.code ?? ''} ${e?.message ?? e}` }));
