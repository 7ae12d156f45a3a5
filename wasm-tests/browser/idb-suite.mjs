// Runs in headless Chromium against the real IndexedDB. The page reports what it
// saw on window.__lash; the Node side (browser.test.js) asserts. (The store contract
// itself runs as the full conformance suite in conformance.html.)
//   ?mode=turn&db=NAME&phase=1   start a turn whose tool never returns (the test reloads mid-turn)
//   ?mode=turn&db=NAME&phase=2   reopen from IndexedDB, report the transcript, run the next turn
import {
  StandardCore, ModelSpec, InlineEffectHost, ScriptedProvider, defineTools,
  IndexedDbSessionStoreFactory, IndexedDbAttachmentStore, IndexedDbProcessExecutionEnvStore,
} from '../../js/index.js';

const params = new URLSearchParams(location.search);
const report = (value) => { window.__lash = value; };

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

turn().catch((e) => report({ error: `${e?.code ?? ''} ${e?.message ?? e}` }));
