// Sessions over a store, through the public API: reopen, two handles, overlapping
// writers, openFresh, deleteSession, and faults injected at the store seam
// (lash §2.1, §2.9, §1.8). Any store works; these use the in-memory one.
import {
  StandardCore, ScriptedProvider, ModelSpec, InlineEffectHost, InMemoryAttachmentStore,
  InMemoryProcessExecutionEnvStore, InMemorySessionStoreFactory, defineTools, LashError,
} from '../js/index.js';

const cores = [];
afterEach(() => { while (cores.length) cores.pop().close(); });

async function core({ factory = new InMemorySessionStoreFactory(), provider, tools, noFactory } = {}) {
  let b = StandardCore.builder().provider(provider ?? new ScriptedProvider([], { kind: 'p' }))
    .model(ModelSpec.fromTokenLimits('m', null, 100000)).effectHost(new InlineEffectHost())
    .attachmentStore(new InMemoryAttachmentStore()).processEnvStore(new InMemoryProcessExecutionEnvStore());
  if (!noFactory) b = b.storeFactory(factory);
  if (tools) b = b.tools(tools);
  const c = await b.build();
  cores.push(c);
  return c;
}
const roles = async (s) => (await s.readView()).messages.map((m) => m.role);
const text = (s) => ({ text: s });

// Wrap a factory's stores to watch or break commits (fault injection at the seam).
function instrument(factory, hook) {
  const create = factory.createStore.bind(factory);
  factory.createStore = async (req) => {
    const store = await create(req);
    if (!store.__wrapped) {
      const commit = store.commitRuntimeState.bind(store);
      store.commitRuntimeState = (c) => hook(c, commit);
      store.__wrapped = true;
    }
    return store;
  };
  return factory;
}

test('a closed session reopens from its store with the full transcript and counters', async () => {
  const provider = new ScriptedProvider([text('one'), text('two')], { kind: 'p' });
  const c = await core({ provider });
  let s = await c.session('s').open();
  await s.turn('first').run();
  s.close();
  s = await c.session('s').open();
  expect(await roles(s)).toEqual(['User', 'Assistant']);
  const { result } = await s.turn('second').run();
  expect(result.state.turn_index).toBe(2);
  expect(await roles(s)).toEqual(['User', 'Assistant', 'User', 'Assistant']);
  // the model saw the reopened history
  expect(provider.requests[1].messages.map((m) => m.role)).toEqual(['System', 'User', 'Assistant', 'User']);
});

test('sequential turns from two cores over one store both succeed and see each other', async () => {
  const factory = new InMemorySessionStoreFactory();
  const a = await core({ factory, provider: new ScriptedProvider([text('a1'), text('a2')], { kind: 'p' }) });
  const b = await core({ factory, provider: new ScriptedProvider([text('b1')], { kind: 'p' }) });
  const sa = await a.session('shared').open();
  const sb = await b.session('shared').open();
  await sa.turn('from a').run();
  await sb.turn('from b').run(); // re-reads the head first
  const { result } = await sa.turn('from a again').run();
  expect(result.state.turn_index).toBe(3);
  expect((await sa.readView()).messages.map((m) => m.parts[0].content))
    .toEqual(['from a', 'a1', 'from b', 'b1', 'from a again', 'a2']);
});

test('overlapping writers: the loser gets Runtime/store_commit_failed and its turn leaves no final state', async () => {
  const factory = new InMemorySessionStoreFactory();
  let release;
  const gate = new Promise((r) => { release = r; });
  const tools = defineTools([{ name: 'slow', description: 'waits', inputSchema: { type: 'object' }, execute: async () => { await gate; return 'ok'; } }]);
  const a = await core({ factory, tools, provider: new ScriptedProvider([{ toolCalls: [{ id: 'c1', name: 'slow', arguments: {} }] }, text('a done')], { kind: 'p' }) });
  const b = await core({ factory, provider: new ScriptedProvider([text('b done')], { kind: 'p' }) });
  const sa = await a.session('race').open();
  const sb = await b.session('race').open();
  const loser = sa.turn('slow one').run();
  await new Promise((r) => setTimeout(r, 20)); // a is inside its tool
  await sb.turn('quick one').run(); // b commits first
  release();
  const err = await loser.catch((e) => e);
  expect(err).toBeInstanceOf(LashError);
  expect(err.code).toBe('Runtime');
  expect(err.runtimeCode).toBe('store_commit_failed');
  const store = await factory.openExistingStore({ session_id: 'race' });
  const read = await store.loadSession({ type: 'full_graph' });
  expect(read.checkpoint.turn_state.turn_index).toBe(1); // only b's turn completed
  expect(read.token_ledger.length).toBeLessThanOrEqual(1);
  // the loser's handle still works: its next turn re-reads the head and commits
  const again = await core({ factory, provider: new ScriptedProvider([text('later')], { kind: 'p' }) });
  const s3 = await again.session('race').open();
  expect((await s3.turn('after the race').run()).result.state.turn_index).toBe(2);
});

test('openFresh ignores stored data and its first commit replaces the whole graph', async () => {
  const commits = [];
  const factory = instrument(new InMemorySessionStoreFactory(), (c, commit) => { commits.push(c); return commit(c); });
  const c = await core({ factory, provider: new ScriptedProvider([text('old'), text('new')], { kind: 'p' }) });
  let s = await c.session('f').open();
  await s.turn('before').run();
  s.close();
  s = await c.session('f').openFresh();
  expect(await roles(s)).toEqual([]);
  commits.length = 0;
  await s.turn('after').run();
  // the turn's first commit (the prepared progress commit) replaces the graph, unconditionally
  expect(Object.keys(commits[0].graph)).toEqual(['ReplaceFull']);
  expect(commits[0].expected_head_revision).toBeNull();
  expect(Object.keys(commits.at(-1).graph)).toEqual(['Append']);
  const read = await (await factory.openExistingStore({ session_id: 'f' })).loadSession({ type: 'full_graph' });
  expect(read.graph.nodes.map((n) => n.event.Conversation.parts[0].content)).toEqual(['after', 'new']);
});

test('an explicit store bound to another session: StoreSessionMismatch', async () => {
  const factory = new InMemorySessionStoreFactory();
  const c = await core({ factory, provider: new ScriptedProvider([text('x')], { kind: 'p' }) });
  const s = await c.session('owner').open();
  await s.turn('hi').run();
  const store = await factory.openExistingStore({ session_id: 'owner' });
  const err = await c.session('intruder').store(store).open().catch((e) => e);
  expect(err.code).toBe('StoreSessionMismatch');
  expect(err.message).toBe('store is bound to session `owner` but builder requested `intruder`');
  expect(err.loaded).toBe('owner');
  expect(err.requested).toBe('intruder');
});

test('deleteSession: the report, the store gone, and MissingSessionStoreFactory without a root factory', async () => {
  const factory = new InMemorySessionStoreFactory();
  const c = await core({ factory, provider: new ScriptedProvider([text('x')], { kind: 'p' }) });
  const s = await c.session('doomed').open();
  await s.turn('hi').run();
  expect(await c.deleteSession('doomed')).toEqual({ session_id: 'doomed', process: null });
  expect(await factory.openExistingStore({ session_id: 'doomed' })).toBeNull();
  expect(await c.deleteSession('doomed')).toEqual({ session_id: 'doomed', process: null }); // idempotent
  const bare = await core({ noFactory: true });
  const err = await bare.deleteSession('x').catch((e) => e);
  expect(err.code).toBe('MissingSessionStoreFactory');
  expect(err.message).toBe('session deletion requires a LashCore store factory');
});

test('a duplicated delivery of the final commit is idempotent (same stamp, same hash)', async () => {
  const results = [];
  const factory = instrument(new InMemorySessionStoreFactory(), async (c, commit) => {
    const r = await commit(c);
    if (c.turn_commit) results.push(r, await commit(structuredClone(c))); // delivered twice
    return r;
  });
  const c = await core({ factory, provider: new ScriptedProvider([text('once')], { kind: 'p' }) });
  const s = await c.session('dup').open();
  await s.turn('hi').run();
  expect(results[1]).toEqual(results[0]);
  const store = await factory.openExistingStore({ session_id: 'dup' });
  expect(await store.headRevision()).toBe(results[0].head_revision);
  expect((await store.loadSession({ type: 'full_graph' })).graph.nodes).toHaveLength(2);
});

test('a store failure at the final commit (quota) fails the turn cleanly; the next turn commits', async () => {
  let failNext = true;
  const factory = instrument(new InMemorySessionStoreFactory(), async (c, commit) => {
    if (c.turn_commit && failNext) { failNext = false; throw new LashError('Backend', 'store backend error: QuotaExceededError'); }
    return commit(c);
  });
  const c = await core({ factory, provider: new ScriptedProvider([text('lost'), text('kept')], { kind: 'p' }) });
  const s = await c.session('q').open();
  const err = await s.turn('first').run().catch((e) => e);
  expect(err.code).toBe('Runtime');
  expect(err.runtimeCode).toBe('store_commit_failed');
  expect(err.message).toContain('QuotaExceededError');
  const store = await factory.openExistingStore({ session_id: 'q' });
  const before = await store.loadSession({ type: 'full_graph' });
  expect(before.checkpoint.turn_state.turn_index).toBe(0); // only the progress commit landed
  const { result } = await s.turn('second').run();
  expect(result.state.turn_index).toBe(1);
});

test('failed progress commits are ignored: the final commit carries every node', async () => {
  const factory = instrument(new InMemorySessionStoreFactory(), async (c, commit) => {
    if (!c.turn_commit) throw new Error('progress write refused');
    return commit(c);
  });
  const tools = defineTools([{ name: 't', description: 't', inputSchema: { type: 'object' }, execute: async () => 'r' }]);
  const c = await core({ factory, tools, provider: new ScriptedProvider([{ toolCalls: [{ id: 'c', name: 't', arguments: {} }] }, text('fine')], { kind: 'p' }) });
  const s = await c.session('p').open();
  const { result } = await s.turn('go').run();
  expect(result.outcome).toEqual({ finished: { assistant_message: { text: 'fine' } } });
  const read = await (await factory.openExistingStore({ session_id: 'p' })).loadSession({ type: 'full_graph' });
  expect(read.graph.nodes.map((n) => n.event.Conversation.role)).toEqual(['User', 'Assistant', 'User', 'Assistant']);
  expect(read.head_revision).toBe(1);
});

test('the turn stamp hash ignores ids and timestamps: two runs of the same turn hash alike', async () => {
  const stamps = [];
  const mk = async () => {
    const factory = instrument(new InMemorySessionStoreFactory(), async (c, commit) => {
      if (c.turn_commit) stamps.push(c.turn_commit.turn_commit_hash);
      return commit(c);
    });
    const c = await core({ factory, provider: new ScriptedProvider([text('same')], { kind: 'p' }) });
    const s = await c.session('h').open();
    await s.turn('identical').turnId('turn-1').run();
  };
  await mk();
  await new Promise((r) => setTimeout(r, 5)); // a different clock
  await mk();
  expect(stamps).toHaveLength(2);
  expect(stamps[0]).toMatch(/^[0-9a-f]{64}$/);
  expect(stamps[1]).toBe(stamps[0]);
});

test('committed nodes carry wall-clock RFC 3339 timestamps (the time the turn ran)', async () => {
  const factory = new InMemorySessionStoreFactory();
  const c = await core({ factory, provider: new ScriptedProvider([text('ok')], { kind: 'p' }) });
  const s = await c.session('clock').open();
  const before = Date.now();
  await s.turn('what time is it').run();
  const after = Date.now();
  const read = await (await factory.openExistingStore({ session_id: 'clock' })).loadSession({ type: 'full_graph' });
  expect(read.graph.nodes.length).toBeGreaterThan(0);
  for (const node of read.graph.nodes) {
    expect(node.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
    const t = Date.parse(node.timestamp);
    expect(t).toBeGreaterThanOrEqual(before - 1000); // the core's clock is the host's, to the millisecond
    expect(t).toBeLessThanOrEqual(after + 1000);
  }
});
