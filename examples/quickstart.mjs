// Quickstart: build a StandardCore on embedded defaults (in-memory stores, the
// inline effect host, the offline echo model) and show what the builder checks.
// Run: node examples/quickstart.mjs
import {
  StandardCore, EchoProvider, ModelSpec, InlineEffectHost, InMemorySessionStoreFactory,
  InMemoryAttachmentStore, InMemoryProcessExecutionEnvStore, LashError,
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
console.log('\nSessions and turns (core.session(id).open(), session.turn(...)) arrive with the next milestone; see docs/status.md.');
