// Per-turn runtime overhead: lash-wasm vs. the Vercel AI SDK (`ai`) and
// `@openai/agents-core`, with the model replaced by an in-process mock so that
// only the agent runtime is measured. Run: `node bench/turn-overhead.mjs`.
//
// The turn (identical for all three):
//   user: "what is 2+3 and what time is it?"
//   model call 1 -> two tool calls: add{a:2,b:3}, now{}
//   both tools execute (add -> 5, now -> "2026-01-01T00:00:00Z")
//   model call 2 -> final text
// at 0, 100 and 1,000 messages of prior history (alternating user/assistant
// text). Every model call reports usage.
//
// Env: BENCH_TURNS (timed turns per cell, default 200), BENCH_WARMUP (default 200: JIT tiering for JS and wasm needs a few hundred turns, for every library alike),
//      BENCH_HISTORY (comma list, default "0,100,1000"),
//      BENCH_LASH_TURNS_PER_SESSION (lash turns per prepared session, default 10).
// No assertions, no thresholds; always exits 0.

import { performance } from 'node:perf_hooks';
import { z } from 'zod';

const TURNS = Math.max(1, Number(process.env.BENCH_TURNS) || 200);
const WARMUP = Math.max(0, Number(process.env.BENCH_WARMUP ?? 200) || 0);
const HISTORY = (process.env.BENCH_HISTORY || '0,100,1000')
  .split(',').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n >= 0);
const LASH_PER_SESSION = Math.max(1, Number(process.env.BENCH_LASH_TURNS_PER_SESSION) || 10);

const PROMPT = 'what is 2+3 and what time is it?';
const NOW = '2026-01-01T00:00:00Z';
const FINAL = `2+3 = 5, and it is ${NOW}.`;
const HIST_USER = (i) => `earlier question number ${i}: tell me something short`;
const HIST_ASSISTANT = 'ok';

// Plausible usage, the same numbers for every framework: input grows with history.
const usageFor = (call, n) => (call === 1
  ? { input: 60 + 12 * n, output: 24 }
  : { input: 100 + 12 * n, output: 16 });

// History as plain {role, text} pairs; each framework maps it to its own shape.
const historyPairs = (n) => Array.from({ length: n }, (_, i) =>
  (i % 2 === 0 ? { role: 'user', text: HIST_USER(i / 2) } : { role: 'assistant', text: HIST_ASSISTANT }));

// ------------------------------------------------------------------ stats
function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  return { median: q(0.5), p90: q(0.9), n: s.length };
}

// Per-turn tool bookkeeping, shared by all three (each framework's tool calls it).
const toolLog = { add: 0, now: 0, addArgsOk: true };
const addImpl = ({ a, b }) => { toolLog.add++; if (a !== 2 || b !== 3) toolLog.addArgsOk = false; return a + b; };
const nowImpl = () => { toolLog.now++; return NOW; };
function resetLog() { toolLog.add = 0; toolLog.now = 0; toolLog.addArgsOk = true; }

// Run warmup + timed turns for one cell. `prepare()` (untimed) returns the
// function to time; `check(out)` (untimed) returns null or a problem string.
async function measure(prepare, check) {
  const samples = [];
  let bad = 0, firstProblem = null;
  for (let i = 0; i < WARMUP + TURNS; i++) {
    const turn = await prepare(i);
    resetLog();
    const t0 = performance.now();
    const out = await turn();
    const dt = performance.now() - t0;
    const problem = check(out) ??
      (toolLog.add !== 1 || toolLog.now !== 1 || !toolLog.addArgsOk
        ? `tools ran add×${toolLog.add} now×${toolLog.now}${toolLog.addArgsOk ? '' : ' (wrong add args)'}` : null);
    if (problem) { bad++; firstProblem ??= problem; }
    if (i >= WARMUP) samples.push(dt * 1000); // µs
  }
  return { ...stats(samples), bad, firstProblem };
}

// ------------------------------------------------------------------ (1) lash-wasm
const LASH_NA = 'lash-wasm: turn API not available yet';

async function lashSetup() {
  let lash;
  try { lash = await import('../js/index.js'); } catch (e) { return { na: `${LASH_NA} (import failed: ${e.message})` }; }
  const { StandardCore, ScriptedProvider, ModelSpec, InlineEffectHost, InMemoryAttachmentStore,
    InMemoryProcessExecutionEnvStore, InMemorySessionStoreFactory, defineTools } = lash;
  if (!StandardCore || !ScriptedProvider || !defineTools) return { na: LASH_NA };
  const tools = defineTools([
    { name: 'add', description: 'add two numbers',
      inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
      execute: async (args) => addImpl(args) },
    { name: 'now', description: 'clock', inputSchema: { type: 'object', properties: {} },
      execute: async () => nowImpl() },
  ]);
  const buildCore = async () => {
    const provider = new ScriptedProvider([]);
    const core = await StandardCore.builder().provider(provider)
      .model(ModelSpec.fromTokenLimits('m', null, 1_000_000))
      .effectHost(new InlineEffectHost()).attachmentStore(new InMemoryAttachmentStore())
      .processEnvStore(new InMemoryProcessExecutionEnvStore()).storeFactory(new InMemorySessionStoreFactory())
      .tools(tools).build();
    return { core, provider };
  };
  try {
    const { core } = await buildCore();
    if (typeof core.session !== 'function') return { na: LASH_NA };
  } catch (e) {
    return { na: `${LASH_NA} (build failed: ${e.code ?? ''} ${e.message})` };
  }
  return { buildCore };
}

const lashText = (result) => {
  if (typeof result?.assistantMessage === 'function') {
    const m = result.assistantMessage();
    return typeof m === 'string' ? m : m?.text;
  }
  return result?.outcome?.finished?.assistant_message?.text;
};

// One cell: sessions with N prior messages made by N/2 untimed cheap turns
// (scripted {text:'ok'}), each serving LASH_PER_SESSION consecutive measured turns.
async function lashCell(setup, n) {
  const { core, provider } = await setup.buildCore();
  let session = null, used = 0, sessionNo = 0, perTurnMessages = null;
  const closeSession = async () => {
    if (!session) return;
    try { await session.close?.(); } catch {}
    try { await core.deleteSession?.(session.sessionId); } catch {}
    session = null;
  };
  const openSession = async () => {
    await closeSession();
    session = await core.session(`bench-${n}-${sessionNo++}`).open();
    for (let i = 0; i < n / 2; i++) {
      provider.responses.push({ text: HIST_ASSISTANT, usage: { input_tokens: 20 + 12 * 2 * i, output_tokens: 1 } });
      await session.turn(HIST_USER(i)).run();
      provider.requests.length = 0; // the test provider records every request; don't let it pile up
    }
    used = 0;
  };
  const scripted = () => {
    const u1 = usageFor(1, n), u2 = usageFor(2, n);
    provider.responses.push(
      { toolCalls: [{ id: 'call_add', name: 'add', arguments: { a: 2, b: 3 } }, { id: 'call_now', name: 'now', arguments: {} }],
        usage: { input_tokens: u1.input, output_tokens: u1.output } },
      { text: FINAL, usage: { input_tokens: u2.input, output_tokens: u2.output } });
  };
  try {
    const r = await measure(async () => {
      if (!session || used >= LASH_PER_SESSION) await openSession();
      used++;
      provider.requests.length = 0;
      provider.responses.length = 0;
      scripted();
      return () => session.turn(PROMPT).run();
    }, (out) => {
      const text = lashText(out?.result);
      if (text !== FINAL) return `final text ${JSON.stringify(text)}`;
      if (provider.responses.length !== 0) return `${provider.responses.length} scripted responses left over`;
      return null;
    });
    // How many transcript messages one measured turn adds (for the drift note).
    try {
      const before = (await session.readView()).messages.length;
      scripted();
      await session.turn(PROMPT).run();
      perTurnMessages = (await session.readView()).messages.length - before;
    } catch {}
    return { ...r, perTurnMessages };
  } finally {
    await closeSession();
  }
}

// ------------------------------------------------------------------ (2) ai (Vercel AI SDK v6)
async function aiSetup() {
  const { generateText, tool, jsonSchema, stepCountIs } = await import('ai');
  const { MockLanguageModelV3 } = await import('ai/test');
  let calls = 0, n = 0;
  const v3Usage = ({ input, output }) => ({
    inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: output, text: output, reasoning: 0 },
  });
  const model = new MockLanguageModelV3({
    doGenerate: async (options) => {
      calls++;
      const last = options.prompt[options.prompt.length - 1];
      if (last.role !== 'tool') {
        return {
          content: [
            { type: 'tool-call', toolCallId: 'call_add', toolName: 'add', input: JSON.stringify({ a: 2, b: 3 }) },
            { type: 'tool-call', toolCallId: 'call_now', toolName: 'now', input: '{}' },
          ],
          finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
          usage: v3Usage(usageFor(1, n)),
          warnings: [],
        };
      }
      return {
        content: [{ type: 'text', text: FINAL }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage: v3Usage(usageFor(2, n)),
        warnings: [],
      };
    },
  });
  const tools = {
    add: tool({ description: 'add two numbers', inputSchema: z.object({ a: z.number(), b: z.number() }),
      execute: async (args) => addImpl(args) }),
    now: tool({ description: 'clock', inputSchema: jsonSchema({ type: 'object', properties: {} }),
      execute: async () => nowImpl() }),
  };
  return async (histN) => {
    n = histN;
    const history = historyPairs(histN).map((m) => ({ role: m.role, content: m.text }));
    return measure(async () => {
      calls = 0;
      model.doGenerateCalls.length = 0; // the mock records every call; don't let it pile up
      const messages = [...history, { role: 'user', content: PROMPT }];
      return () => generateText({ model, tools, messages, stopWhen: stepCountIs(3) });
    }, (out) => (out.text !== FINAL ? `final text ${JSON.stringify(out.text)}`
      : calls !== 2 ? `${calls} model calls` : null));
  };
}

// ------------------------------------------------------------------ (3) @openai/agents-core
async function agentsSetup() {
  const { Agent, run, tool, Usage, setTracingDisabled } = await import('@openai/agents-core');
  // agents-core registers a batch trace processor with a console exporter on import
  // (it prints "[Exporter] Export span..." lines). lash-wasm runs with no trace sink and
  // ai with telemetry off (its default), so tracing is switched off here as well.
  setTracingDisabled(true);
  let calls = 0, n = 0;
  const usage = ({ input, output }) => new Usage({ requests: 1, inputTokens: input, outputTokens: output, totalTokens: input + output });
  const model = {
    async getResponse(request) {
      calls++;
      const input = request.input;
      const last = Array.isArray(input) ? input[input.length - 1] : null;
      if (last?.type !== 'function_call_result') {
        return {
          usage: usage(usageFor(1, n)),
          output: [
            { type: 'function_call', callId: 'call_add', name: 'add', arguments: JSON.stringify({ a: 2, b: 3 }), status: 'completed' },
            { type: 'function_call', callId: 'call_now', name: 'now', arguments: '{}', status: 'completed' },
          ],
        };
      }
      return {
        usage: usage(usageFor(2, n)),
        output: [{ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: FINAL }] }],
      };
    },
    async *getStreamedResponse() { throw new Error('not used'); },
  };
  const agent = new Agent({
    name: 'bench', instructions: 'answer using the tools', model,
    tools: [
      tool({ name: 'add', description: 'add two numbers', parameters: z.object({ a: z.number(), b: z.number() }),
        execute: async (args) => addImpl(args) }),
      tool({ name: 'now', description: 'clock', parameters: z.object({}), execute: async () => nowImpl() }),
    ],
  });
  return async (histN) => {
    n = histN;
    const history = historyPairs(histN).map((m) => (m.role === 'user'
      ? { role: 'user', content: m.text }
      : { role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: m.text }] }));
    return measure(async () => {
      calls = 0;
      const input = [...history, { role: 'user', content: PROMPT }];
      return () => run(agent, input);
    }, (out) => (out.finalOutput !== FINAL ? `final output ${JSON.stringify(out.finalOutput)}`
      : calls !== 2 ? `${calls} model calls` : null));
  };
}

// ------------------------------------------------------------------ main
const fmt = (r) => (r.error ? r.error : `${Math.round(r.median)} / ${Math.round(r.p90)}`);
const ratio = (a, b) => (a && !a.error && b && !b.error ? (a.median / b.median).toFixed(2) + 'x' : '-');

async function trySetup(name, fn) {
  try { return await fn(); } catch (e) { return { error: `${name} setup failed: ${e.message}` }; }
}

const lash = await lashSetup();
const ai = await trySetup('ai', aiSetup);
const agents = await trySetup('agents-core', agentsSetup);

console.log(`turn overhead: ${TURNS} timed turns per cell after ${WARMUP} warmup turns; Node ${process.version}`);
console.log('turn = 1 model call -> add{a:2,b:3} + now{} -> 1 model call -> final text (mock models, no network)');
console.log('');

// A throwaway pass over the 0-history cell for every library first: the first cell a
// process runs also pays for JIT tiering (JS and wasm), whatever its own warmup.
if (!process.env.BENCH_NO_WARM_PASS) {
  if (!lash.na) await lashCell(lash, 0).catch(() => {});
  if (!ai.error) await ai(0).catch(() => {});
  if (!agents.error) await agents(0).catch(() => {});
  process.stderr.write('  warm-up pass: done\n');
}

const rows = [];
for (const n of HISTORY) {
  const cell = async (name, fn) => {
    try { return await fn(); } catch (e) { return { error: `${name} failed: ${e.code ? e.code + ': ' : ''}${e.message}` }; }
  };
  const r = { n };
  r.lash = lash.na ? { error: lash.na } : await cell('lash-wasm', () => lashCell(lash, n));
  r.ai = ai.error ? ai : await cell('ai', () => ai(n));
  r.agents = agents.error ? agents : await cell('agents-core', () => agents(n));
  rows.push(r);
  process.stderr.write(`  history ${n}: done\n`);
}

const cols = ['history', 'lash-wasm µs med / p90', 'ai µs med / p90', 'agents-core µs med / p90', 'ai/lash', 'agents/lash'];
const table = rows.map((r) => [String(r.n), fmt(r.lash), fmt(r.ai), fmt(r.agents), ratio(r.ai, r.lash), ratio(r.agents, r.lash)]);
const widths = cols.map((c, i) => Math.max(c.length, ...table.map((t) => t[i].length)));
const line = (cells) => cells.map((c, i) => (i === 0 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ');
console.log(line(cols));
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
for (const t of table) console.log(line(t));
console.log('');

for (const r of rows) {
  for (const [name, c] of [['lash-wasm', r.lash], ['ai', r.ai], ['agents-core', r.agents]]) {
    if (c && !c.error && c.bad) console.log(`warning: ${name} at history ${r.n}: ${c.bad} turn(s) did not do the scripted work (first: ${c.firstProblem})`);
  }
}
const lashRow = rows.find((r) => r.lash && !r.lash.error && r.lash.perTurnMessages != null);
if (lashRow) {
  console.log(`note: lash-wasm history is built in the session (N/2 untimed turns answered 'ok'); each session then serves ` +
    `${LASH_PER_SESSION} measured turns, each adding ${lashRow.lash.perTurnMessages} transcript messages, ` +
    `so a measured turn sees N to N+${(LASH_PER_SESSION - 1) * lashRow.lash.perTurnMessages} prior messages.`);
}

const at = (key, n) => rows.find((r) => r.n === n)?.[key];
const flat = (key) => {
  const a = at(key, 0), b = at(key, 1000);
  return a && b && !a.error && !b.error ? (b.median / a.median).toFixed(2) : null;
};
const lf = flat('lash');
console.log(`lash-wasm flatness t(1000)/t(0): ${lf ?? 'n/a'} (goal <= 1.5)` +
  `; peers: ai ${flat('ai') ?? 'n/a'}, agents-core ${flat('agents') ?? 'n/a'}`);
const l0 = at('lash', 0);
const peers0 = [['ai', at('ai', 0)], ['agents-core', at('agents', 0)]].filter(([, c]) => c && !c.error);
if (l0 && !l0.error && peers0.length) {
  const [fname, fc] = peers0.reduce((a, b) => (b[1].median < a[1].median ? b : a));
  console.log(`lash-wasm below the fastest peer at 0 history (${fname} ${Math.round(fc.median)} µs): ` +
    `${l0.median < fc.median ? 'yes' : 'no'} (lash-wasm ${Math.round(l0.median)} µs)`);
} else {
  console.log(`lash-wasm below the fastest peer at 0 history: n/a`);
}
process.exitCode = 0;
