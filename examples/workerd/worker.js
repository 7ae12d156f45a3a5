// A Cloudflare Workers / workerd script: one agent turn per request on the offline
// demo model. workerd hands the wasm over as a compiled module (no fetch of files).
import wasm from '../../js/wasm/lash.wasm';
import {
  configureWasm, StandardCore, ModelSpec, InlineEffectHost, InMemorySessionStoreFactory, InMemoryAttachmentStore,
  InMemoryProcessExecutionEnvStore,
} from '../../js/index.js';
import { OfflineDemoModel, demoTools } from '../cli/demo-model.js';

configureWasm(wasm);
let core;

export default {
  async fetch(request) {
    core ??= await StandardCore.builder().provider(new OfflineDemoModel())
      .model(ModelSpec.fromTokenLimits('offline-demo', null, 128000)).effectHost(new InlineEffectHost())
      .storeFactory(new InMemorySessionStoreFactory()).attachmentStore(new InMemoryAttachmentStore())
      .processEnvStore(new InMemoryProcessExecutionEnvStore()).tools(demoTools).build();
    const url = new URL(request.url);
    const session = await core.session(url.searchParams.get('session') ?? 'default').open();
    const { result } = await session.turn(url.searchParams.get('q') ?? 'hello').run();
    return Response.json({ answer: result.assistantMessage(), outcome: result.outcome, usage: result.usage });
  },
};
