// The wasm heap returns to its baseline once sessions close: turn scratch,
// transcripts and cached renderings are all released (a leak would grow it).
import { StandardCore, EchoProvider, ScriptedProvider, ModelSpec, InlineEffectHost, InMemoryAttachmentStore,
  InMemoryProcessExecutionEnvStore, defineTools } from '../js/index.js';

const build = (provider, tools) => {
  let b = StandardCore.builder().provider(provider).model(ModelSpec.fromTokenLimits('m', null, 8192))
    .effectHost(new InlineEffectHost()).attachmentStore(new InMemoryAttachmentStore())
    .processEnvStore(new InMemoryProcessExecutionEnvStore());
  if (tools) b = b.tools(tools);
  return b.build();
};

// Run a turn and cancel it after ms; resolves to its outcome.
async function cancelledAfter(turn, ms) {
  const ac = new AbortController();
  const running = turn.signal(ac.signal).run();
  await new Promise((r) => setTimeout(r, ms));
  ac.abort();
  return (await running).result.outcome;
}

test('open, run turns, close: the heap comes back to its baseline', async () => {
  const core = await build(new EchoProvider());
  const warm = await core.session('warm').open(); // first use sizes the core's tables
  await warm.turn('hello').run();
  warm.close();
  await new Promise((r) => setTimeout(r, 0));
  const baseline = core.memoryStats().heapBytesInUse;
  for (let i = 0; i < 20; i++) {
    const s = await core.session(`s${i}`).open();
    for (let k = 0; k < 5; k++) await s.turn(`message ${k} of session ${i}`).run();
    s.close();
  }
  await new Promise((r) => setTimeout(r, 0));
  expect(core.memoryStats().heapBytesInUse).toBe(baseline);
  core.close();
});

test('tool turns, batch and cancelled turns leave nothing behind either', async () => {
  const tools = defineTools([
    { name: 'add', description: 'add', inputSchema: { type: 'object' }, execute: async ({ a, b }) => a + b },
    { name: 'wait', description: 'waits', inputSchema: { type: 'object' },
      execute: (_args, ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')))) },
  ]);
  const provider = new ScriptedProvider([], { kind: 'scripted' });
  const core = await build(provider, tools);
  const script = () => provider.responses.push(
    { toolCalls: [{ id: 'a', name: 'add', arguments: { a: 1, b: 2 } },
      { id: 'b', name: 'batch', arguments: { tool_calls: [{ tool: 'add', parameters: { a: 3, b: 4 } }] } }] },
    { text: 'done' },
  );
  const warm = await core.session('warm').open();
  script();
  await warm.turn('go').run();
  warm.close();
  await new Promise((r) => setTimeout(r, 0));
  const baseline = core.memoryStats().heapBytesInUse;
  for (let i = 0; i < 10; i++) {
    const s = await core.session(`t${i}`).open();
    script();
    await s.turn('go').run();
    provider.responses.push({ toolCalls: [{ id: 'w', name: 'wait', arguments: {} }] });
    expect(await cancelledAfter(s.turn('wait'), 5)).toEqual({ stopped: 'cancelled' });
    s.close();
  }
  await new Promise((r) => setTimeout(r, 0));
  expect(core.memoryStats().heapBytesInUse).toBe(baseline);
  core.close();
});

test('turns over HTTP (every dialect, retries, bad streams, a 10 MB event, cancel) leave nothing behind', async () => {
  const { startProviderServer } = await import('./provider-server.js');
  const { OpenAiCompatibleProvider, OpenAiResponsesProvider, AnthropicProvider } = await import('../js/index.js');
  const server = await startProviderServer();
  const reliability = { baseDelayMs: 1, maxDelayMs: 1, retryAfterCapMs: 1 };
  const dialects = [
    ['chat', new OpenAiCompatibleProvider({ apiKey: 'k', baseUrl: `${server.url}/v1`, reliability })],
    ['responses', new OpenAiResponsesProvider({ apiKey: 'k', baseUrl: `${server.url}/v1`, reliability })],
    ['anthropic', new AnthropicProvider({ apiKey: 'k', baseUrl: server.url, reliability })],
  ];
  try {
    for (const [dialect, provider] of dialects) {
      const core = await build(provider);
      const warm = await core.session('warm').open();
      server.script([{ sse: `${dialect}/text` }]);
      expect((await warm.turn('hello').run()).result.outcome).toHaveProperty('finished');
      warm.close();
      await new Promise((r) => setTimeout(r, 0));
      const baseline = core.memoryStats().heapBytesInUse;
      for (let i = 0; i < 4; i++) {
        const s = await core.session(`h${i}`).open();
        server.script([
          { sse: `${dialect}/text` },
          { status: 429, headers: { 'retry-after': '0' }, json: { error: { message: 'slow down' } } }, { sse: `${dialect}/usage-cached` },
          { sse: `${dialect}/malformed` },
          { garbage: true },
          { hugeEvent: 10 * 1024 * 1024 },
          { sse: `${dialect}/reasoning` },
        ]);
        expect((await s.turn('one').run()).result.outcome).toHaveProperty('finished');
        expect((await s.turn('two').run()).result.outcome).toHaveProperty('finished');
        expect((await s.turn('three').run()).result.outcome).toEqual({ stopped: 'provider_error' });
        expect((await s.turn('four').run()).result.outcome).toEqual({ stopped: 'provider_error' });
        expect((await s.turn('five').run()).result.outcome).toEqual({ stopped: 'provider_error' });
        expect((await s.turn('six').run()).result.outcome).toHaveProperty('finished');
        server.script([{ endless: true, intervalMs: 5 }]);
        expect(await cancelledAfter(s.turn('seven'), 30)).toEqual({ stopped: 'cancelled' });
        s.close();
      }
      await new Promise((r) => setTimeout(r, 0));
      expect(core.memoryStats().heapBytesInUse).toBe(baseline);
      core.close();
    }
  } finally {
    await server.close();
  }
}, 120000);
