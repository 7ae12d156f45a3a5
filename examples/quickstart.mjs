// Quickstart: build a StandardCore on embedded defaults (in-memory stores, the
// inline effect host), show what the builder checks, then run an offline agent turn.
// Run: node examples/quickstart.mjs
import {
  StandardCore, EchoProvider, ModelSpec, InlineEffectHost, InMemorySessionStoreFactory,
  InMemoryAttachmentStore, InMemoryProcessExecutionEnvStore, LashError, ScriptedProvider, defineTools,
} from '../js/index.js';

const builder = () => StandardCore.builder()
  .provider(new EchoProvider())
  .model(ModelSpec.fromTokenLimits('echo', null, 8192))
  .maxTurns(8)
  .instructions('Answer briefly.');

const t0 = performance.now();
const core = await builder()
  .effectHost(new InlineEffectHost())
  .attachmentStore(new InMemoryAttachmentStore())
  .processEnvStore(new InMemoryProcessExecutionEnvStore())
  .storeFactory(new InMemorySessionStoreFactory())
  .build();
console.log(`core built in ${(performance.now() - t0).toFixed(1)} ms (wasm compile + instantiate + validation)`);
console.log('policy:', JSON.stringify(core.policy));
console.log('process work runner:', core.processWorkRunnerSetup);
core.close();

// The builder validates exactly as lash does; errors carry lash's variant and text.
for (const [label, make] of [
  ['no effect host', () => builder()],
  ['durable session store beside an in-memory attachment store', () => builder()
    .effectHost(new InlineEffectHost())
    .storeFactory({ durabilityTier: 'durable' })
    .attachmentStore(new InMemoryAttachmentStore())],
]) {
  try {
    await make().build();
  } catch (e) {
    if (!(e instanceof LashError)) throw e;
    console.log(`\n${label}:\n  ${e.code}${e.facet ? ` (facet: ${e.facet})` : ''}\n  ${e.message}`);
  }
}

// An agent session on embedded defaults, offline. The model is a scripted stand-in
// (no network): it calls the `add` tool, then answers with the result it was given.
const tools = defineTools([{
  name: 'add', description: 'Add two numbers',
  inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
  execute: async ({ a, b }) => a + b,
}]);
const model = new ScriptedProvider([
  { toolCalls: [{ id: 'call-1', name: 'add', arguments: { a: 2, b: 3 } }], usage: { input_tokens: 12, output_tokens: 8 } },
  { text: '2 + 3 = 5', usage: { input_tokens: 20, output_tokens: 6 } },
], { kind: 'offline-demo' });
const agent = await StandardCore.builder()
  .provider(model).model(ModelSpec.fromTokenLimits('offline-demo', null, 8192)).instructions('Use tools for arithmetic.')
  .effectHost(new InlineEffectHost()).attachmentStore(new InMemoryAttachmentStore())
  .processEnvStore(new InMemoryProcessExecutionEnvStore()).storeFactory(new InMemorySessionStoreFactory())
  .tools(tools).build();
const session = await agent.session('quickstart').open();
console.log('\nuser: what is 2 + 3?');
const result = await session.turn('what is 2 + 3?').streamTo((a) => {
  if (a.type === 'tool_call_started') console.log(`  tool ${a.name}(${JSON.stringify(a.args)})`);
  if (a.type === 'tool_call_completed') console.log(`  -> ${JSON.stringify(a.output.outcome.payload)} (${a.duration_ms} ms)`);
  if (a.type === 'assistant_prose_delta') process.stdout.write(`assistant: ${a.text}\n`);
});
console.log(`outcome: ${JSON.stringify(result.outcome)}; usage: ${JSON.stringify(result.usage)}`);
console.log(`transcript: ${(await session.readView()).messages.map((m) => m.role).join(' -> ')}`);
agent.close();
