// lash-wasm: lash's durable agent runtime as one small WebAssembly core.
// See API.md-style docs in docs/ and the types in index.d.ts.
export { LashError } from './errors.js';
export { LashCore, StandardCore, RlmCore } from './api/builder.js';
export { ModelSpec } from './model.js';
export { defineTools, toolFinish, toolFail } from './tools.js';
export { lashlang } from './lashlang.js';
export { protocols, toolOutputBudget } from './plugins.js';
export { configureWasm } from './loader.js';
export { InlineEffectHost } from './host/effects.js';
export { EchoProvider, ScriptedProvider } from './providers/test.js';
export { OpenAiCompatibleProvider, OpenAiResponsesProvider, AnthropicProvider } from './providers/http.js';
export {
  InMemorySessionStoreFactory, InMemoryAttachmentStore, InMemoryProcessExecutionEnvStore, InMemoryTriggerStore,
  InMemoryProcessRegistry, InMemoryLiveReplayStore, InMemoryLashlangArtifactStore,
} from './stores/memory.js';
export {
  IndexedDbSessionStoreFactory, IndexedDbAttachmentStore, IndexedDbProcessExecutionEnvStore,
} from './stores/indexeddb.js';
export { IndexedDbProcessRegistry } from './stores/indexeddb-processes.js';
