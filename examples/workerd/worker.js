// A Cloudflare Workers / workerd script: one agent turn per request.
// workerd hands the wasm over as a compiled module (no fetch of files).
//
// The model comes from the Worker's bindings (env):
//   LASH_BASE_URL + LASH_MODEL (+ LASH_API_KEY, a secret)   an OpenAI-compatible Chat Completions server
//   (LASH_CONTEXT_WINDOW, optional: the model's context window in tokens, default 128000)
//   none of them                                            the offline demo model (no LLM)
//
//   GET /?q=what+is+2%2B3&session=demo   ->   { answer, outcome, usage, model, errors? }
import wasm from '../../js/wasm/lash.wasm';
import {
  configureWasm, StandardCore, ModelSpec, InlineEffectHost, InMemorySessionStoreFactory, InMemoryAttachmentStore,
  InMemoryProcessExecutionEnvStore, OpenAiCompatibleProvider,
} from '../../js/index.js';
import { OfflineDemoModel, demoTools } from '../cli/demo-model.js';

configureWasm(wasm);
let corePromise = null;

/** { provider, model, label } for the Worker's bindings. */
function chooseModel(env = {}) {
  if (!env.LASH_BASE_URL) {
    return { provider: new OfflineDemoModel(), model: ModelSpec.fromTokenLimits('offline-demo', null, 128000), label: 'offline-demo' };
  }
  if (!env.LASH_MODEL) throw new Error('LASH_BASE_URL is set but LASH_MODEL is not: name the model the server serves');
  const contextWindow = env.LASH_CONTEXT_WINDOW ? Number(env.LASH_CONTEXT_WINDOW) : 128000;
  if (!Number.isSafeInteger(contextWindow) || contextWindow <= 0) throw new Error('LASH_CONTEXT_WINDOW must be a positive integer');
  return {
    // the key stays in JavaScript: the core never sees it
    provider: new OpenAiCompatibleProvider({ baseUrl: env.LASH_BASE_URL, apiKey: env.LASH_API_KEY ?? '' }),
    model: ModelSpec.fromTokenLimits(env.LASH_MODEL, null, contextWindow),
    label: `openai-compatible:${env.LASH_MODEL}`,
  };
}

// One core per isolate (a Worker's bindings do not change between its requests).
function coreFor(env) {
  if (!corePromise) {
    corePromise = (async () => {
      const { provider, model, label } = chooseModel(env);
      const core = await StandardCore.builder().provider(provider).model(model).effectHost(new InlineEffectHost())
        .storeFactory(new InMemorySessionStoreFactory()).attachmentStore(new InMemoryAttachmentStore())
        .processEnvStore(new InMemoryProcessExecutionEnvStore()).tools(demoTools).build();
      return { core, label };
    })();
    corePromise.catch(() => { corePromise = null; }); // a failed build is retried on the next request
  }
  return corePromise;
}

export default {
  async fetch(request, env) {
    let built;
    try {
      built = await coreFor(env);
    } catch (err) {
      return Response.json({ error: String(err?.message ?? err) }, { status: 500 });
    }
    const url = new URL(request.url);
    const session = await built.core.session(url.searchParams.get('session') ?? 'default').open();
    const { result, activities } = await session.turn(url.searchParams.get('q') ?? 'hello').run();
    const errors = activities.filter((a) => a.type === 'error').map((a) => a.message);
    return Response.json({
      answer: result.assistantMessage(), outcome: result.outcome, usage: result.usage, model: built.label,
      ...(errors.length ? { errors } : {}),
    });
  },
};
