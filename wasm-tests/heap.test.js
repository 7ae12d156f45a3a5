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
    const ac = new AbortController();
    const running = s.turn('wait').signal(ac.signal).run();
    await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    expect((await running).result.outcome).toEqual({ stopped: 'cancelled' });
    s.close();
  }
  await new Promise((r) => setTimeout(r, 0));
  expect(core.memoryStats().heapBytesInUse).toBe(baseline);
  core.close();
});
