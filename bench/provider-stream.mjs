// Streamed provider responses over loopback HTTP: lash-wasm's provider classes vs. the
// official SDKs, reading the same bytes from the same server in the same process.
// Run: `node bench/provider-stream.mjs`.
//
// Server: wasm-tests/provider-server.js on 127.0.0.1, one instance for everything. Every
// response is served from memory in one write (no pieces, no delays), so the time is the
// client's: request, fetch, SSE framing, JSON parsing, accumulation (plus the loopback
// round trip and the server's own handling, the same for every client).
//
// Transcripts, per dialect (chat = Chat Completions, responses = Responses, anthropic = Messages):
//   text      the recorded wasm-tests/fixtures/providers/<dialect>/text.sse (a short text reply)
//   text-2k   synthetic: one text reply streamed as BENCH_DELTAS (default 2,000) text deltas
//   tool-2k   synthetic: one tool call whose JSON arguments (~20 KB) arrive in BENCH_DELTAS pieces
// The synthetic transcripts follow the recorded ones event for event (same envelopes and fields).
//
// Timed, per response (performance.now() around the one awaited call):
//   lash-wasm  `session.turn(prompt).run()` on a fresh in-memory session, through
//              OpenAiCompatibleProvider / OpenAiResponsesProvider / AnthropicProvider: the core
//              builds the request body, JS fetches, the core parses the stream, emits activities
//              (one per delta) and commits the turn to the session store (hashing it). One model
//              call: maxTurns(1), so for tool-2k the tool runs once (a no-op) and the turn stops.
//   SDK        openai: `client.chat.completions.stream(...).finalChatCompletion()` and
//              `client.responses.stream(...).finalResponse()`; @anthropic-ai/sdk:
//              `client.messages.stream(...).finalMessage()`. The SDKs only parse and accumulate.
//   fetch      plain `fetch` + `arrayBuffer()` of the same reply: the transport floor, no parsing.
// So lash does more per response than the SDKs (a whole agent turn, committed to a store).
// Opening/closing/deleting the lash session and checking every result happen outside the timing.
// lash, SDK and fetch samples are interleaved run by run.
//
// The `ai` package (v6) is run only if @ai-sdk/openai-compatible or @ai-sdk/openai is installed
// (`ai` alone ships only the Vercel gateway provider); otherwise the output says it was skipped.
//
// Env: BENCH_RUNS (timed responses per cell and client, default 50), BENCH_WARMUP (untimed
//      responses per cell and client before those, default 10), BENCH_DELTAS (default 2000),
//      BENCH_DIALECTS (comma list, default "chat,responses,anthropic"),
//      BENCH_NO_WARM_PASS=1 (skip the throwaway pass over every cell),
//      BENCH_WASM=path (load this lash.wasm instead, e.g. a build with --profiling-funcs for node --cpu-prof).
// No assertions, no thresholds; always exits 0.

import { performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';

const RUNS = Math.max(1, Number(process.env.BENCH_RUNS) || 50);
const WARMUP = Math.max(0, Number(process.env.BENCH_WARMUP ?? 10) || 0);
const DELTAS = Math.max(10, Number(process.env.BENCH_DELTAS) || 2000);

const DIALECTS = (process.env.BENCH_DIALECTS || 'chat,responses,anthropic').split(',').map((s) => s.trim())
  .filter((d) => ['chat', 'responses', 'anthropic'].includes(d));
const MODEL = { chat: 'gpt-4o-mini', responses: 'gpt-4.1', anthropic: 'claude-sonnet-5-5' }; // a name the SDK has no deprecation warning for
const PROMPT = 'Write the release notes to notes/release.md.';
const TOOL = {
  name: 'write_note',
  description: 'Write a text file.',
  parameters: { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' } }, required: ['path', 'content'] },
};
// the reply every recorded <dialect>/text.sse spells out
const RECORDED_TEXT = 'Bonjour! The café on Rue Cler opens at 8 h — see you there ☕🙂';
const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };

// ------------------------------------------------------------------ synthetic transcripts
const WORDS = [' the', ' café', ' opens', ' at', ' 8', ' h', ' —', ' see', ' you', ' there', ' ☕', ' and', ' we',
  ' ship', ' naïve', ' fixes', ',', ' résumé', ' parsing', ' tests', '.', ' 🙂', ' streams', ' now', ' stay', ' bounded'];
const textPieces = (n) => Array.from({ length: n }, (_, i) => (i === 0 ? 'Bonjour' : WORDS[(i * 7) % WORDS.length]));

// A long JSON argument split into n pieces at code-point boundaries (never inside a surrogate pair).
function argPieces(n) {
  const lines = [];
  for (let i = 0; lines.join('\n').length < n * 10; i++) lines.push(`- item ${i}: "quoted" naïve café fix \\ path/${i}.c`);
  const args = JSON.stringify({ path: 'notes/release.md', content: lines.join('\n') });
  const cps = Array.from(args);
  const pieces = [];
  for (let k = 0; k < n; k++) pieces.push(cps.slice(Math.floor((k * cps.length) / n), Math.floor(((k + 1) * cps.length) / n)).join(''));
  return { args, pieces };
}

const data = (obj) => `data: ${JSON.stringify(obj)}\n\n`;
const event = (obj) => `event: ${obj.type}\n${data(obj)}`;

function chatTranscript(kind, n) {
  const base = { id: 'chatcmpl-bench0000000000000000000000', object: 'chat.completion.chunk', created: 1756382400,
    model: 'gpt-4o-mini-2024-07-18', service_tier: 'default', system_fingerprint: 'fp_560af6e559' };
  const chunk = (delta, finish = null) => data({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage: null });
  const out = [];
  let expect;
  if (kind === 'text') {
    const pieces = textPieces(n);
    out.push(chunk({ role: 'assistant', content: '', refusal: null }));
    for (const p of pieces) out.push(chunk({ content: p }));
    out.push(chunk({}, 'stop'));
    expect = { text: pieces.join('') };
  } else {
    const { args, pieces } = argPieces(n);
    out.push(chunk({ role: 'assistant', content: null, refusal: null,
      tool_calls: [{ index: 0, id: 'call_bench0000000000000000', type: 'function', function: { name: TOOL.name, arguments: '' } }] }));
    for (const p of pieces) out.push(chunk({ tool_calls: [{ index: 0, function: { arguments: p } }] }));
    out.push(chunk({}, 'tool_calls'));
    expect = { args };
  }
  out.push(data({ ...base, choices: [], usage: { prompt_tokens: 91, completion_tokens: n, total_tokens: 91 + n,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 } } }));
  out.push('data: [DONE]\n\n');
  return { body: out.join(''), expect };
}

function responsesTranscript(kind, n) {
  let seq = 0;
  const ev = (type, fields) => event({ type, sequence_number: seq++, ...fields });
  const response = (status, output, usage) => ({
    id: 'resp_bench00000000000000000000000000000000000000', object: 'response', created_at: 1756382400, status,
    background: false, error: null, incomplete_details: null, instructions: null, max_output_tokens: null, max_tool_calls: null,
    model: 'gpt-4.1-2025-04-14', output, parallel_tool_calls: true, previous_response_id: null, prompt_cache_key: null,
    reasoning: { effort: null, summary: null }, safety_identifier: null, service_tier: 'auto', store: false, temperature: 1,
    text: { format: { type: 'text' }, verbosity: 'medium' }, tool_choice: 'auto',
    tools: [{ type: 'function', ...TOOL, strict: false }], top_logprobs: 0, top_p: 1, truncation: 'disabled', usage, user: null, metadata: {},
  });
  const usage = { input_tokens: 91, input_tokens_details: { cached_tokens: 0 }, output_tokens: n,
    output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 91 + n };
  const out = [ev('response.created', { response: response('in_progress', [], null) }),
    ev('response.in_progress', { response: response('in_progress', [], null) })];
  let expect, item;
  if (kind === 'text') {
    const pieces = textPieces(n);
    const text = pieces.join('');
    const id = 'msg_bench00000000000000000000000000000000000000';
    const part = (t) => ({ type: 'output_text', annotations: [], logprobs: [], text: t });
    out.push(ev('response.output_item.added', { output_index: 0, item: { id, type: 'message', status: 'in_progress', content: [], role: 'assistant' } }));
    out.push(ev('response.content_part.added', { item_id: id, output_index: 0, content_index: 0, part: part('') }));
    for (const p of pieces) out.push(ev('response.output_text.delta', { item_id: id, output_index: 0, content_index: 0, delta: p, logprobs: [], obfuscation: 'JCmvfBMk' }));
    out.push(ev('response.output_text.done', { item_id: id, output_index: 0, content_index: 0, text, logprobs: [] }));
    out.push(ev('response.content_part.done', { item_id: id, output_index: 0, content_index: 0, part: part(text) }));
    item = { id, type: 'message', status: 'completed', content: [part(text)], role: 'assistant' };
    expect = { text };
  } else {
    const { args, pieces } = argPieces(n);
    const id = 'fc_bench000000000000000000000000000000000000000';
    const call = { id, type: 'function_call', call_id: 'call_bench0000000000000000', name: TOOL.name };
    out.push(ev('response.output_item.added', { output_index: 0, item: { ...call, status: 'in_progress', arguments: '' } }));
    for (const p of pieces) out.push(ev('response.function_call_arguments.delta', { item_id: id, output_index: 0, delta: p, obfuscation: 'UYy59d6V' }));
    out.push(ev('response.function_call_arguments.done', { item_id: id, output_index: 0, arguments: args }));
    item = { ...call, status: 'completed', arguments: args };
    expect = { args };
  }
  out.push(ev('response.output_item.done', { output_index: 0, item }));
  out.push(ev('response.completed', { response: response('completed', [item], usage) }));
  return { body: out.join(''), expect };
}

function anthropicTranscript(kind, n) {
  const out = [event({ type: 'message_start', message: { model: 'claude-sonnet-4-5-20250929', id: 'msg_01BenchBenchBenchBenchBe',
    type: 'message', role: 'assistant', content: [], stop_reason: null, stop_sequence: null,
    usage: { input_tokens: 91, cache_creation_input_tokens: 0, cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 }, output_tokens: 1, service_tier: 'standard' } } })];
  let expect, stop;
  if (kind === 'text') {
    const pieces = textPieces(n);
    out.push(event({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }));
    for (const p of pieces) out.push(event({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: p } }));
    expect = { text: pieces.join('') };
    stop = 'end_turn';
  } else {
    const { args, pieces } = argPieces(n);
    out.push(event({ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_01BenchBenchBenchBenchBe', name: TOOL.name, input: {} } }));
    for (const p of pieces) out.push(event({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: p } }));
    expect = { args };
    stop = 'tool_use';
  }
  out.push(event({ type: 'content_block_stop', index: 0 }));
  out.push(event({ type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: n } }));
  out.push(event({ type: 'message_stop' }));
  return { body: out.join(''), expect };
}

const SYNTH = { chat: chatTranscript, responses: responsesTranscript, anthropic: anthropicTranscript };

// ------------------------------------------------------------------ helpers
function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  return { median: q(0.5), p90: q(0.9), n: s.length };
}
const sameJson = (a, b) => { try { return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b)); } catch { return false; } };

// ------------------------------------------------------------------ setup
const { startProviderServer, transcript } = await import('../wasm-tests/provider-server.js');
const server = await startProviderServer();

// The transcripts, with the server reply that serves each (always one write, no delay).
const transcripts = {};
for (const d of DIALECTS) {
  const recordedBytes = transcript(`${d}/text`);
  transcripts[d] = [
    { name: 'text', bytes: recordedBytes.length, reply: () => ({ sse: `${d}/text`, whole: true, delayMs: 0 }), expect: { text: RECORDED_TEXT } },
    ...['text', 'tool'].map((kind) => {
      const t = SYNTH[d](kind, DELTAS);
      const bytes = Buffer.byteLength(t.body);
      return { name: `${kind}-${DELTAS >= 1000 ? `${DELTAS / 1000}k` : DELTAS}`, bytes,
        reply: () => ({ body: t.body, headers: SSE_HEADERS }), expect: t.expect };
    }),
  ];
}

// lash-wasm
let lash = null, lashNa = null;
try {
  lash = await import('../js/index.js');
  if (process.env.BENCH_WASM) lash.configureWasm(readFileSync(process.env.BENCH_WASM));
  if (!lash.OpenAiCompatibleProvider || !lash.AnthropicProvider || !lash.OpenAiResponsesProvider) lashNa = 'lash-wasm: provider classes not available';
} catch (e) {
  lashNa = `lash-wasm: import failed (${e.message}); run npm run build`;
}

let lastToolArgs = null;
async function lashCore(dialect) {
  const { StandardCore, ModelSpec, InlineEffectHost, InMemoryAttachmentStore, InMemoryProcessExecutionEnvStore,
    InMemorySessionStoreFactory, defineTools } = lash;
  const common = { apiKey: 'bench-key', reliability: { maxAttempts: 1 } };
  const provider = dialect === 'chat' ? new lash.OpenAiCompatibleProvider({ baseUrl: `${server.url}/v1`, ...common })
    : dialect === 'responses' ? new lash.OpenAiResponsesProvider({ baseUrl: `${server.url}/v1`, ...common })
      : new lash.AnthropicProvider({ baseUrl: server.url, ...common });
  const tools = defineTools([{ name: TOOL.name, description: TOOL.description, inputSchema: TOOL.parameters,
    execute: async (args) => { lastToolArgs = args; return 'written'; } }]);
  return StandardCore.builder().provider(provider)
    .model(ModelSpec.fromTokenLimits(MODEL[dialect], null, 200000))
    .maxTurns(1) // one model call per turn, also when it asks for a tool
    .effectHost(new InlineEffectHost()).attachmentStore(new InMemoryAttachmentStore())
    .processEnvStore(new InMemoryProcessExecutionEnvStore()).storeFactory(new InMemorySessionStoreFactory())
    .tools(tools).build();
}

// SDKs
const sdkNa = {};
let OpenAI = null, Anthropic = null;
try { OpenAI = (await import('openai')).default; } catch (e) { sdkNa.chat = sdkNa.responses = `openai not available (${e.message})`; }
try { Anthropic = (await import('@anthropic-ai/sdk')).default; } catch (e) { sdkNa.anthropic = `@anthropic-ai/sdk not available (${e.message})`; }
const version = (pkg) => { // package.json is not in every package's exports map: read it from node_modules
  try { return JSON.parse(readFileSync(new URL(`../node_modules/${pkg}/package.json`, import.meta.url), 'utf8')).version; } catch { return null; }
};
const openai = OpenAI && new OpenAI({ apiKey: 'bench-key', baseURL: `${server.url}/v1`, maxRetries: 0, logLevel: 'off' });
const anthropic = Anthropic && new Anthropic({ apiKey: 'bench-key', baseURL: server.url, maxRetries: 0, logLevel: 'off' });

// `ai`: only with an OpenAI-compatible provider package, which is not a dependency here.
const aiProviderPkg = ['@ai-sdk/openai-compatible', '@ai-sdk/openai'].find((p) => version(p));
const aiNote = aiProviderPkg
  ? `ai ${version('ai')}: ${aiProviderPkg} is installed but not wired into this bench yet`
  : `ai ${version('ai') ?? '(not installed)'}: skipped; neither @ai-sdk/openai-compatible nor @ai-sdk/openai is installed ` +
    '(ai alone ships only the Vercel gateway provider, which does not speak to an OpenAI-compatible URL), and none was installed for this bench';

// One SDK request; resolves to { text } or { args } for the check.
async function sdkCall(dialect) {
  if (dialect === 'chat') {
    const final = await openai.chat.completions.stream({
      model: MODEL.chat, messages: [{ role: 'user', content: PROMPT }],
      tools: [{ type: 'function', function: TOOL }], stream_options: { include_usage: true },
    }).finalChatCompletion();
    const m = final.choices[0].message;
    return { text: m.content ?? '', args: m.tool_calls?.[0]?.function.arguments };
  }
  if (dialect === 'responses') {
    const final = await openai.responses.stream({
      model: MODEL.responses, input: PROMPT, tools: [{ type: 'function', ...TOOL, strict: false }],
    }).finalResponse();
    return { text: final.output_text, args: final.output.find((o) => o.type === 'function_call')?.arguments };
  }
  const final = await anthropic.messages.stream({
    model: MODEL.anthropic, max_tokens: 4096, messages: [{ role: 'user', content: PROMPT }],
    tools: [{ name: TOOL.name, description: TOOL.description, input_schema: TOOL.parameters }],
  }).finalMessage();
  const tool = final.content.find((b) => b.type === 'tool_use');
  return { text: final.content.filter((b) => b.type === 'text').map((b) => b.text).join(''), args: tool && JSON.stringify(tool.input) };
}

const ENDPOINT = { chat: '/v1/chat/completions', responses: '/v1/responses', anthropic: '/v1/messages' };
const fetchBody = (dialect) => JSON.stringify(dialect === 'chat' ? { model: MODEL.chat, stream: true, messages: [{ role: 'user', content: PROMPT }] }
  : dialect === 'responses' ? { model: MODEL.responses, stream: true, input: PROMPT }
    : { model: MODEL.anthropic, stream: true, max_tokens: 4096, messages: [{ role: 'user', content: PROMPT }] });

// ------------------------------------------------------------------ one cell
// Runs `warmup + runs` responses for each client, interleaved; returns stats per client.
async function cell(dialect, tr, core, warmup, runs) {
  const samples = { lash: [], sdk: [], fetch: [] };
  const bad = { lash: 0, sdk: 0 };
  const first = {};
  const problem = (who, msg) => { bad[who]++; first[who] ??= msg; };
  let peakHeap = 0;
  const want = tr.expect;
  for (let i = 0; i < warmup + runs; i++) {
    const timed = i >= warmup;
    // lash-wasm
    if (core) {
      const session = await core.session(`bench-${dialect}-${tr.name}-${i}`).open();
      server.script([tr.reply()]);
      lastToolArgs = null;
      const t0 = performance.now();
      let out, err;
      try { out = await session.turn(PROMPT).run(); } catch (e) { err = e; }
      const dt = performance.now() - t0;
      peakHeap = Math.max(peakHeap, core.memoryStats().heapBytesInUse);
      if (err) problem('lash', `threw ${err.code ?? ''} ${err.message}`);
      else if (want.args !== undefined) {
        if (!lastToolArgs || JSON.stringify(lastToolArgs) !== JSON.stringify(JSON.parse(want.args))) problem('lash', 'tool arguments differ');
      } else {
        const text = out.result.assistantMessage();
        if (want.text != null ? text !== want.text : !text) problem('lash', `text ${JSON.stringify(String(text).slice(0, 60))}`);
      }
      const errs = (out?.activities ?? []).filter((a) => a.type === 'error');
      if (errs.length && want.args === undefined) problem('lash', `error activity: ${errs[0].message}`);
      session.close();
      await core.deleteSession(session.sessionId);
      if (timed) samples.lash.push(dt);
    }
    // SDK
    if (!sdkNa[dialect]) {
      server.script([tr.reply()]);
      const t0 = performance.now();
      let out, err;
      try { out = await sdkCall(dialect); } catch (e) { err = e; }
      const dt = performance.now() - t0;
      if (err) problem('sdk', `threw ${err.message}`);
      else if (want.args !== undefined ? !sameJson(out.args, want.args) : (want.text != null ? out.text !== want.text : !out.text))
        problem('sdk', want.args !== undefined ? 'tool arguments differ' : `text ${JSON.stringify(String(out.text).slice(0, 60))}`);
      if (timed) samples.sdk.push(dt);
    }
    // plain fetch: the transport floor
    {
      server.script([tr.reply()]);
      const t0 = performance.now();
      const res = await fetch(`${server.url}${ENDPOINT[dialect]}`, { method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer bench-key', 'x-api-key': 'bench-key', 'anthropic-version': '2023-06-01' },
        body: fetchBody(dialect) });
      await res.arrayBuffer();
      const dt = performance.now() - t0;
      if (timed) samples.fetch.push(dt);
    }
    server.requests.length = 0; // the server records every request; don't let it pile up
  }
  return {
    lash: core ? { ...stats(samples.lash), bad: bad.lash, first: first.lash } : null,
    sdk: sdkNa[dialect] ? null : { ...stats(samples.sdk), bad: bad.sdk, first: first.sdk },
    fetch: stats(samples.fetch),
    peakHeap,
  };
}

// ------------------------------------------------------------------ main
const cores = {};
const heap = {};
if (!lashNa) {
  for (const d of DIALECTS) {
    try {
      cores[d] = await lashCore(d);
      heap[d] = { before: cores[d].memoryStats().heapBytesInUse, peak: 0 };
    } catch (e) {
      lashNa = `lash-wasm: build failed (${e.code ?? ''} ${e.message})`;
      break;
    }
  }
}
if (lashNa) for (const d of DIALECTS) cores[d] = null;

const started = performance.now();
console.log(`provider streams over loopback HTTP: ${RUNS} timed responses per cell and client after ${WARMUP} warm-up; ` +
  `Node ${process.version}; openai ${version('openai') ?? '-'}, @anthropic-ai/sdk ${version('@anthropic-ai/sdk') ?? '-'}`);
console.log('every reply is written by the server in one piece from memory; times are per response, request to final result');
console.log('lash-wasm = a whole turn (request body, fetch, SSE parse in wasm, one activity per delta, commit to the in-memory');
console.log('session store with hashing); SDK = parse + accumulate only. lash does more work per response than the SDKs.');
console.log('');

if (!process.env.BENCH_NO_WARM_PASS) {
  for (const d of DIALECTS) for (const tr of transcripts[d]) await cell(d, tr, cores[d], 0, 2);
  process.stderr.write('  warm-up pass: done\n');
}

const rows = [];
for (const d of DIALECTS) {
  for (const tr of transcripts[d]) {
    const r = await cell(d, tr, cores[d], WARMUP, RUNS);
    if (heap[d]) {
      heap[d].peak = Math.max(heap[d].peak, r.peakHeap);
      heap[d].afterFirstCell ??= cores[d].memoryStats().heapBytesInUse;
    }
    rows.push({ d, tr, ...r });
    process.stderr.write(`  ${d} ${tr.name}: done\n`);
  }
}
if (!lashNa) for (const d of DIALECTS) heap[d].after = cores[d].memoryStats().heapBytesInUse;

const ms = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const fmt = (r) => (r ? `${ms(r.median)} / ${ms(r.p90)}` : '-');
const mbs = (bytes, r) => (r ? (bytes / 1e6 / (r.median / 1e3)).toFixed(1) : '-');
const cols = ['dialect', 'transcript', 'KB', 'lash ms med / p90', 'SDK ms med / p90', 'SDK/lash', 'lash MB/s', 'SDK MB/s', 'fetch-only ms med'];
const table = rows.map((r) => [r.d, r.tr.name, (r.tr.bytes / 1024).toFixed(1), r.lash ? fmt(r.lash) : 'n/a', r.sdk ? fmt(r.sdk) : 'n/a',
  r.lash && r.sdk ? `${(r.sdk.median / r.lash.median).toFixed(2)}x` : '-', mbs(r.tr.bytes, r.lash), mbs(r.tr.bytes, r.sdk), ms(r.fetch.median)]);
const widths = cols.map((c, i) => Math.max(c.length, ...table.map((t) => t[i].length)));
const line = (cells) => cells.map((c, i) => (i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ');
console.log(line(cols));
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
for (const t of table) console.log(line(t));
console.log('');
console.log('SDK/lash > 1 means lash-wasm is faster. MB/s = transcript bytes / median. fetch-only = plain fetch + arrayBuffer() of the');
console.log('same reply (no parsing): the loopback floor both columns include. SDK: openai for chat/responses, @anthropic-ai/sdk for anthropic.');
console.log('Each lash turn runs on a fresh session that is closed and deleted afterwards (untimed); heap = core.memoryStats().heapBytesInUse.');
if (lashNa) console.log(lashNa);
else {
  const kb = (b) => `${(b / 1024).toFixed(1)} KB`;
  for (const d of DIALECTS) {
    const turns = (WARMUP + RUNS) * transcripts[d].length + (process.env.BENCH_NO_WARM_PASS ? 0 : 2 * transcripts[d].length);
    console.log(`lash-wasm heap in use (${d}): before the first turn ${kb(heap[d].before)}, after the first measured cell ` +
      `${kb(heap[d].afterFirstCell)}, after all ${turns} turns ${kb(heap[d].after)}; peak right after a turn ${kb(heap[d].peak)}`);
  }
}
for (const d of DIALECTS) if (sdkNa[d]) console.log(`${d}: ${sdkNa[d]}`);
console.log(aiNote);
for (const r of rows) {
  for (const [who, c] of [['lash-wasm', r.lash], ['SDK', r.sdk]]) {
    if (c?.bad) console.log(`warning: ${who} ${r.d} ${r.tr.name}: ${c.bad} response(s) failed the check (first: ${c.first})`);
  }
}
if (server.problems.length) console.log(`warning: the server flagged ${server.problems.length} request(s) (first: ${server.problems[0].problem})`);
console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);

for (const d of DIALECTS) cores[d]?.close();
await server.close();
process.exitCode = 0;
