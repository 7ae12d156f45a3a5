// Bytes written per turn: the commits a turn sends to its store, on a fresh
// session and on one with ~1,000 messages of history. lash's rule: writes grow
// with the turn's new items, never with the history (goal: ratio < 2x).
// Run: node bench/commit-bytes.mjs   (BENCH_TURNS, default 50 measured turns)
import {
  StandardCore, ScriptedProvider, ModelSpec, InlineEffectHost, InMemoryAttachmentStore,
  InMemoryProcessExecutionEnvStore, InMemorySessionStoreFactory, defineTools,
} from '../js/index.js';

const TURNS = Number(process.env.BENCH_TURNS ?? 50);
const enc = new TextEncoder();

// Count what reaches the store (the serialized RuntimeCommit of every commit).
function countingFactory() {
  const factory = new InMemorySessionStoreFactory();
  const stats = { bytes: 0, commits: 0 };
  const create = factory.createStore.bind(factory);
  factory.createStore = async (req) => {
    const store = await create(req);
    if (!store.__counted) {
      const commit = store.commitRuntimeState.bind(store);
      store.commitRuntimeState = (c) => { stats.bytes += enc.encode(JSON.stringify(c)).length; stats.commits++; return commit(c); };
      store.__counted = true;
    }
    return store;
  };
  return { factory, stats };
}

const tools = defineTools([{ name: 'add', description: 'add two numbers', inputSchema: { type: 'object' },
  execute: async ({ a, b }) => a + b }]);

async function measure(historyMessages) {
  const { factory, stats } = countingFactory();
  const provider = new ScriptedProvider([], { kind: 'bench' });
  const core = await StandardCore.builder().provider(provider).model(ModelSpec.fromTokenLimits('m', null, 1e6))
    .effectHost(new InlineEffectHost()).attachmentStore(new InMemoryAttachmentStore())
    .processEnvStore(new InMemoryProcessExecutionEnvStore()).storeFactory(factory).tools(tools).build();
  const session = await core.session('bench').open();
  for (let i = 0; i < historyMessages / 2; i++) { // each cheap turn adds user + assistant
    provider.responses.push({ text: `answer ${i} with a little text to make it realistic` });
    await session.turn(`question ${i} with some words in it`).run();
  }
  const start = { ...stats };
  for (let i = 0; i < TURNS; i++) {
    provider.responses.push({ toolCalls: [{ id: `c${i}`, name: 'add', arguments: { a: i, b: 1 } }] }, { text: `the sum is ${i + 1}` });
    await session.turn(`what is ${i} + 1?`).run();
  }
  core.close();
  return { bytesPerTurn: (stats.bytes - start.bytes) / TURNS, commitsPerTurn: (stats.commits - start.commits) / TURNS };
}

// the first commit of a session is a ReplaceFull: start both after it
const fresh = await measure(2);
const long = await measure(1000);
console.log(`commit bytes per turn (tool round trip: 1 tool call, 2 model calls; ${TURNS} turns)`);
console.log(`  fresh session (2 messages):      ${fresh.bytesPerTurn.toFixed(0)} bytes in ${fresh.commitsPerTurn} commits`);
console.log(`  long session (1,000 messages):   ${long.bytesPerTurn.toFixed(0)} bytes in ${long.commitsPerTurn} commits`);
console.log(`  ratio long/fresh: ${(long.bytesPerTurn / fresh.bytesPerTurn).toFixed(3)} (goal < 2)`);
