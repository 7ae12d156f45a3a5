// The official clients as oracles for the wire dialects (issue 5).
//
// Every transcript in wasm-tests/fixtures/providers/<dialect>/ is served by the loopback test server
// (provider-server.js) to the official SDK of its dialect (openai: Chat Completions and Responses;
// @anthropic-ai/sdk: Messages). What the SDK assembles (text, reasoning, tool calls, usage, or the
// error it throws) is the expected value; lash's rules then map it to what a lash turn must report:
//   - usage (LASH-SPEC §7.4; lash-provider-openai/src/responses_shared.rs usage_from_usage_value,
//     lash-provider-anthropic/src/stream.rs parse_usage): OpenAI input = prompt/input tokens, cached from
//     *_tokens_details.cached_tokens (less cache_write_tokens), reasoning from *_tokens_details.reasoning_tokens;
//     Anthropic input = input + cache_read + cache_creation, cached = cache_read, reasoning 0.
//   - failures: the turn ends {stopped:'provider_error'} with an `error` activity "LLM error: {failure}", where
//     the failure message of an in-stream error is the provider's message (chat.rs process_chat_sse_event,
//     responses_shared.rs process_sse_event) or "Anthropic stream error: {message}" (anthropic stream.rs).
// The same transcript then goes through a lash-wasm turn with the matching provider class, and the two
// are compared. Expected values never come from our own output.
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as lash from '../js/index.js';
import { startProviderServer, transcript, splitPoints } from './provider-server.js';

const {
  StandardCore, ModelSpec, InlineEffectHost, InMemoryAttachmentStore, InMemoryProcessExecutionEnvStore,
  InMemorySessionStoreFactory, defineTools,
} = lash;

const FIXTURES = fileURLToPath(new URL('./fixtures/providers/', import.meta.url));
const DIALECTS = ['chat', 'responses', 'anthropic'];
const transcriptsOf = (dialect) =>
  readdirSync(`${FIXTURES}${dialect}`).filter((f) => f.endsWith('.sse')).map((f) => f.slice(0, -4)).sort();


let server;
beforeAll(async () => {
  server = await startProviderServer();
});
afterAll(async () => {
  await server.close();
});

const opened = [];
afterEach(async () => {
  while (opened.length > 0) {
    try {
      await opened.pop().close();
    } catch {
      /* ignore */
    }
  }
});

// ---------------------------------------------------------------------------
// lash's usage rules applied to the SDKs' usage objects
// ---------------------------------------------------------------------------
const lashUsage = {
  chat(u) {
    const cached = u.prompt_tokens_details?.cached_tokens ?? u.cached_input_tokens ?? u.cached_tokens ?? u.prompt_cache_hit_tokens ?? 0;
    const written = u.prompt_tokens_details?.cache_write_tokens ?? 0;
    return {
      input_tokens: u.prompt_tokens,
      output_tokens: u.completion_tokens,
      cached_input_tokens: written > 0 ? Math.max(cached - written, 0) : cached,
      reasoning_tokens: u.completion_tokens_details?.reasoning_tokens ?? 0,
    };
  },
  responses(u) {
    return {
      input_tokens: u.input_tokens,
      output_tokens: u.output_tokens,
      cached_input_tokens: u.input_tokens_details?.cached_tokens ?? 0,
      reasoning_tokens: u.output_tokens_details?.reasoning_tokens ?? 0,
    };
  },
  anthropic(u) {
    const read = u.cache_read_input_tokens ?? 0;
    const written = u.cache_creation_input_tokens ?? 0;
    return { input_tokens: u.input_tokens + read + written, output_tokens: u.output_tokens, cached_input_tokens: read, reasoning_tokens: 0 };
  },
};

// ---------------------------------------------------------------------------
// The official clients
// ---------------------------------------------------------------------------
const WEATHER_PARAMETERS = {
  type: 'object',
  properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
  required: ['city'],
};
const openai = () => new OpenAI({ apiKey: 'test', baseURL: `${server.url}/v1`, maxRetries: 0, logLevel: 'off' });
const anthropic = () => new Anthropic({ apiKey: 'test', baseURL: server.url, maxRetries: 0, logLevel: 'off' });

// { accepted: true, text, reasoning, toolCalls: [{id, name, args}], usage (lash rules) } or { accepted: false, error }
async function sdkRun(dialect, name) {
  server.script([{ sse: `${dialect}/${name}` }]);
  try {
    if (dialect === 'chat') {
      const chunks = [];
      const stream = openai().chat.completions.stream({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'What is the weather in Paris and São Paulo?' }],
        tools: [{ type: 'function', function: { name: 'get_weather', description: 'Get the current weather for a city.', parameters: WEATHER_PARAMETERS } }],
        stream_options: { include_usage: true },
      });
      stream.on('chunk', (chunk) => chunks.push(chunk));
      const final = await stream.finalChatCompletion();
      const message = final.choices[0].message;
      return {
        accepted: true,
        text: message.content ?? '',
        // the SDK keeps no reasoning in its snapshot; it is the concatenation of the chunks' deltas
        reasoning: chunks.map((c) => c.choices[0]?.delta?.reasoning_content ?? '').join(''),
        toolCalls: (message.tool_calls ?? []).map((c) => ({ id: c.id, name: c.function.name, args: JSON.parse(c.function.arguments) })),
        usage: lashUsage.chat(final.usage),
        finish: final.choices[0].finish_reason,
      };
    }
    if (dialect === 'responses') {
      const final = await openai()
        .responses.stream({
          model: 'gpt-4.1',
          input: 'What is the weather in Paris and São Paulo?',
          tools: [{ type: 'function', name: 'get_weather', description: 'Get the current weather for a city.', parameters: WEATHER_PARAMETERS, strict: false }],
        })
        .finalResponse();
      if (final.status !== 'completed') return { accepted: false, error: { message: final.error?.message }, status: final.status };
      return {
        accepted: true,
        text: final.output_text,
        reasoning: final.output.filter((o) => o.type === 'reasoning').flatMap((o) => o.summary.map((s) => s.text)).join(''),
        toolCalls: final.output.filter((o) => o.type === 'function_call').map((o) => ({ id: o.call_id, name: o.name, args: JSON.parse(o.arguments) })),
        usage: lashUsage.responses(final.usage),
        finish: final.status,
      };
    }
    const final = await anthropic()
      .messages.stream({
        model: 'claude-sonnet-5-5',
        max_tokens: 1024,
        messages: [{ role: 'user', content: 'What is the weather in Paris and São Paulo?' }],
        tools: [{ name: 'get_weather', description: 'Get the current weather for a city.', input_schema: WEATHER_PARAMETERS }],
      })
      .finalMessage();
    return {
      accepted: true,
      text: final.content.filter((b) => b.type === 'text').map((b) => b.text).join(''),
      reasoning: final.content.filter((b) => b.type === 'thinking').map((b) => b.thinking).join(''),
      toolCalls: final.content.filter((b) => b.type === 'tool_use').map((b) => ({ id: b.id, name: b.name, args: b.input })),
      usage: lashUsage.anthropic(final.usage),
      finish: final.stop_reason,
    };
  } catch (error) {
    return { accepted: false, error };
  }
}

// The failure message lash reports for an in-stream error event the SDK surfaced as an APIError.
function lashFailureMessage(dialect, sdk) {
  const e = sdk.error;
  if (dialect === 'anthropic') {
    const message = e?.error?.error?.message;
    return message === undefined ? undefined : `Anthropic stream error: ${message}`;
  }
  if (sdk.status === 'failed') return e.message;
  return e instanceof OpenAI.APIError ? e.message : undefined;
}

// ---------------------------------------------------------------------------
// lash-wasm turns through the provider classes
// ---------------------------------------------------------------------------
const MODEL = { chat: 'gpt-4o-mini', responses: 'gpt-4.1', anthropic: 'claude-sonnet-5-5' };

function providerFor(dialect, options = {}) {
  const common = { apiKey: 'test-key', exposeThinking: true, reliability: { maxAttempts: 1, baseDelayMs: 10 }, ...options };
  if (dialect === 'chat') return new lash.OpenAiCompatibleProvider({ baseUrl: `${server.url}/v1`, ...common });
  if (dialect === 'responses') return new lash.OpenAiResponsesProvider({ baseUrl: `${server.url}/v1`, ...common });
  return new lash.AnthropicProvider({ baseUrl: server.url, ...common });
}

const weatherTools = () =>
  defineTools([
    {
      name: 'get_weather',
      description: 'Get the current weather for a city.',
      inputSchema: WEATHER_PARAMETERS,
      execute: async ({ city }) => ({ city, temperature_c: city === 'Paris' ? 18 : 24, conditions: 'sunny' }),
    },
  ]);

async function openSession(dialect, options) {
  const core = await StandardCore.builder()
    .provider(providerFor(dialect, options))
    .model(ModelSpec.fromTokenLimits(MODEL[dialect], null, 200000))
    .effectHost(new InlineEffectHost())
    .attachmentStore(new InMemoryAttachmentStore())
    .processEnvStore(new InMemoryProcessExecutionEnvStore())
    .storeFactory(new InMemorySessionStoreFactory())
    .tools(weatherTools())
    .build();
  opened.push(core);
  const session = await core.session(`oracle-${dialect}`).open();
  opened.push(session);
  return session;
}

// activities split at each model_request_started: one segment per LLM call
function segments(activities) {
  const out = [];
  for (const a of activities) {
    if (a.type === 'model_request_started' || out.length === 0) out.push([]);
    out[out.length - 1].push(a);
  }
  return out;
}
const joined = (acts, type) => acts.filter((a) => a.type === type).map((a) => a.text).join('');

async function oursRun(dialect, name, sdk) {
  const before = server.requests.length;
  const replies = [{ sse: `${dialect}/${name}` }];
  if (sdk.accepted && sdk.toolCalls.length > 0) replies.push({ sse: `${dialect}/text` });
  server.script(replies);
  const session = await openSession(dialect);
  const { result, activities } = await session.turn('What is the weather in Paris and São Paulo?').run();
  const first = segments(activities).find((s) => s[0]?.type === 'model_request_started') ?? [];
  const view = await session.readView();
  return {
    result,
    activities,
    requests: server.requests.length - before,
    text: joined(first, 'assistant_prose_delta'),
    reasoning: joined(first, 'reasoning_delta'),
    toolCalls: first.filter((a) => a.type === 'tool_call_started').map((a) => ({ id: a.call_id, name: a.name, args: a.args })),
    viewToolCalls: (view.messages[1]?.parts ?? [])
      .filter((p) => p.kind === 'ToolCall')
      .map((p) => ({ id: p.tool_call_id, name: p.tool_name, args: JSON.parse(p.content) })),
    usage: first.filter((a) => a.type === 'usage').map((a) => a.usage),
    errors: activities.filter((a) => a.type === 'error').map((a) => a.message),
  };
}

// ===========================================================================
// The transcripts, as the official clients read them
// ===========================================================================

// What each transcript is meant to be (the SDK must agree).
const KIND = { text: 'ok', 'usage-cached': 'ok', 'usage-cache-write': 'ok', tools: 'ok', reasoning: 'ok', error: 'fails', failed: 'fails', truncated: 'fails', malformed: 'fails' };

describe('the transcripts, read by the official clients', () => {
  test('each dialect has the full set of cases', () => {
    for (const dialect of DIALECTS) {
      expect(transcriptsOf(dialect)).toEqual(expect.arrayContaining(['text', 'reasoning', 'tools', 'usage-cached', 'error', 'truncated', 'malformed']));
      for (const name of transcriptsOf(dialect)) expect(Object.keys(KIND)).toContain(name);
    }
  });

  const cases = DIALECTS.flatMap((dialect) => transcriptsOf(dialect).map((name) => [dialect, name]));

  test.each(cases)('%s/%s: the official client reads it as intended', async (dialect, name) => {
    const sdk = await sdkRun(dialect, name);
    if (KIND[name] === 'ok') {
      if (!sdk.accepted) throw sdk.error;
      expect(sdk.text.length + sdk.toolCalls.length).toBeGreaterThan(0);
      expect(sdk.usage.input_tokens).toBeGreaterThan(0);
      expect(sdk.usage.output_tokens).toBeGreaterThan(0);
    } else {
      expect(sdk.accepted).toBe(false);
    }
  });

  test('text: one assistant text, with multi-byte characters intact', async () => {
    for (const dialect of DIALECTS) {
      const sdk = await sdkRun(dialect, 'text');
      expect(sdk).toMatchObject({ accepted: true, text: 'Bonjour! The café on Rue Cler opens at 8 h — see you there ☕🙂', toolCalls: [] });
    }
  });

  test('tools: two parallel calls whose arguments arrive in pieces', async () => {
    for (const dialect of DIALECTS) {
      const sdk = await sdkRun(dialect, 'tools');
      expect(sdk.toolCalls.map((c) => [c.name, c.args])).toEqual([
        ['get_weather', { city: 'Paris', unit: 'celsius' }],
        ['get_weather', { city: 'São Paulo', unit: 'celsius' }],
      ]);
      expect(new Set(sdk.toolCalls.map((c) => c.id)).size).toBe(2);
    }
  });

  test('reasoning: each dialect carries reasoning text next to the answer', async () => {
    for (const dialect of DIALECTS) {
      const sdk = await sdkRun(dialect, 'reasoning');
      expect(sdk.text).toBe('17 × 23 = **391**.');
      expect(sdk.reasoning).toMatch(/391/);
    }
  });

  test('usage-cached: cached prompt tokens, by each dialect\'s own fields', async () => {
    const chat = await sdkRun('chat', 'usage-cached');
    expect(chat.usage).toEqual({ input_tokens: 2048, output_tokens: 13, cached_input_tokens: 1920, reasoning_tokens: 0 });
    const responses = await sdkRun('responses', 'usage-cached');
    expect(responses.usage).toEqual({ input_tokens: 2048, output_tokens: 13, cached_input_tokens: 1920, reasoning_tokens: 0 });
    // OpenRouter also reports cache writes inside cached_tokens; lash does not count them as reads.
    const written = await sdkRun('chat', 'usage-cache-write');
    expect(written.usage).toEqual({ input_tokens: 2060, output_tokens: 13, cached_input_tokens: 2048 - 248, reasoning_tokens: 0 });
    // Anthropic's input_tokens excludes the cache; lash adds reads and writes back.
    const anth = await sdkRun('anthropic', 'usage-cached');
    expect(anth.usage).toEqual({ input_tokens: 12 + 1800 + 248, output_tokens: 13, cached_input_tokens: 1800, reasoning_tokens: 0 });
  });

  test('error: the in-stream error surfaces with the provider\'s message', async () => {
    expect(lashFailureMessage('chat', await sdkRun('chat', 'error'))).toBe('Provider disconnected unexpectedly');
    expect(lashFailureMessage('responses', await sdkRun('responses', 'error'))).toBe(
      'The server had an error while processing your request. Sorry about that!',
    );
    expect(lashFailureMessage('responses', await sdkRun('responses', 'failed'))).toBe('The model failed to generate a response.');
    expect(lashFailureMessage('anthropic', await sdkRun('anthropic', 'error'))).toBe('Anthropic stream error: Overloaded');
  });

  test('every data line of a well-formed transcript is JSON (or [DONE]); the bad ones break exactly once', () => {
    for (const dialect of DIALECTS) {
      for (const name of transcriptsOf(dialect)) {
        const lines = transcript(`${dialect}/${name}`).toString('utf8').split('\n');
        const bad = lines.filter((l) => l.startsWith('data: ') && l !== 'data: [DONE]').filter((l) => {
          try {
            JSON.parse(l.slice(6));
            return false;
          } catch {
            return true;
          }
        });
        expect([dialect, name, bad.length]).toEqual([dialect, name, name === 'malformed' || name === 'truncated' ? 1 : 0]);
      }
    }
  });
});

// ===========================================================================
// The test server itself
// ===========================================================================

describe('provider-server', () => {
  test('serves a transcript byte for byte, split inside UTF-8 sequences', async () => {
    const bytes = transcript('anthropic/tools');
    const cuts = splitPoints(bytes, 7, 1);
    expect(cuts.some((c) => (bytes[c] & 0xc0) === 0x80)).toBe(true);
    server.script([{ sse: 'anthropic/tools' }]);
    const res = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'm', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    expect(server.requests.at(-1)).toMatchObject({ method: 'POST', path: '/v1/messages', dialect: 'anthropic', body: { model: 'm' } });
  });

  test('records validation problems of a request', async () => {
    const problemsBefore = server.problems.length;
    server.script([{ status: 400, json: { error: { message: 'bad' } } }]);
    const res = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"m"}' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { message: 'bad' } });
    const problems = server.problems.slice(problemsBefore).map((p) => p.problem);
    expect(problems).toEqual(
      expect.arrayContaining(['authorization header missing', 'stream is not true', 'messages missing or empty']),
    );
    server.problems.length = problemsBefore;
  });

  test('plain replies carry status, headers and body', async () => {
    server.script([{ status: 429, headers: { 'retry-after': '1' }, json: { error: { message: 'slow down' } } }, { status: 500 }]);
    const post = () => fetch(`${server.url}/v1/responses`, { method: 'POST', body: '{}' });
    const a = await post();
    expect([a.status, a.headers.get('retry-after'), await a.text()]).toEqual([429, '1', '{"error":{"message":"slow down"}}']);
    const b = await post();
    expect([b.status, await b.text()]).toEqual([500, '']);
  });

  test('endless keeps sending keep-alives until the client goes away, then stops', async () => {
    server.script([{ endless: true, intervalMs: 5 }]);
    const ac = new AbortController();
    const res = await fetch(`${server.url}/v1/messages`, { method: 'POST', body: '{}', signal: ac.signal });
    const reader = res.body.getReader();
    let received = '';
    while (received.split('event: ping').length < 4) received += new TextDecoder().decode((await reader.read()).value);
    const record = server.requests.at(-1);
    ac.abort();
    await record.closed;
    expect(record.aborted).toBe(true);
    expect(received).toMatch(/^event: ping\ndata: \{"type": "ping"\}\n\n/);
  });

  test('hugeEvent sends one data event of the asked size; closeMidEvent breaks the connection', async () => {
    server.script([{ hugeEvent: 10 * 1024 * 1024 }, { closeMidEvent: true }]);
    const res = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', body: '{}' });
    const text = await res.text();
    expect(text.length).toBeGreaterThan(10 * 1024 * 1024);
    expect(text.trimEnd().split('\n\n')).toHaveLength(1);
    const broken = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', body: '{}' });
    await expect(broken.text()).rejects.toThrow();
  });

  test('garbage is not SSE; stallMs delays the answer; an unscripted request gets a 500 and a problem', async () => {
    server.script([{ garbage: true }, { stallMs: 60, sse: 'chat/text' }]);
    const g = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', body: '{}' });
    expect((await g.arrayBuffer()).byteLength).toBeGreaterThan(4096);
    const start = Date.now();
    const s = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', body: '{}' });
    expect(Date.now() - start).toBeGreaterThanOrEqual(50);
    expect(await s.text()).toBe(transcript('chat/text').toString('utf8'));
    const problemsBefore = server.problems.length;
    const none = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', body: '{}' });
    expect(none.status).toBe(500);
    expect(server.problems.slice(problemsBefore).map((p) => p.problem)).toContain('no reply scripted for this request');
    server.problems.length = problemsBefore;
  });

  test('requests the official clients send pass the server\'s validation', async () => {
    const from = server.requests.length;
    const problemsBefore = server.problems.length;
    await sdkRun('chat', 'text');
    await sdkRun('responses', 'text');
    await sdkRun('anthropic', 'text');
    expect(server.requests.slice(from).map((r) => r.dialect)).toEqual(['chat', 'responses', 'anthropic']);
    expect(server.problems.slice(problemsBefore)).toEqual([]);
  });
});

// ===========================================================================
// lash-wasm against the oracles
// ===========================================================================

describe('lash-wasm turns agree with the official clients', () => {
  const cases = DIALECTS.flatMap((dialect) => transcriptsOf(dialect).map((name) => [dialect, name]));

  test.each(cases)('%s/%s', async (dialect, name) => {
    const sdk = await sdkRun(dialect, name);
    const ours = await oursRun(dialect, name, sdk);

    if (!sdk.accepted) {
      // The official client refused the stream: the turn fails cleanly, after one request (maxAttempts 1).
      expect(ours.result.outcome).toEqual({ stopped: 'provider_error' });
      expect(ours.errors.length).toBeGreaterThan(0);
      const failure = lashFailureMessage(dialect, sdk);
      if (failure !== undefined) expect(ours.errors).toContain(`LLM error: ${failure}`);
      expect(ours.requests).toBe(1);
      return;
    }

    expect(ours.errors).toEqual([]);
    expect(ours.text).toBe(sdk.text);
    expect(ours.toolCalls).toEqual(sdk.toolCalls);
    expect(ours.usage).toEqual([sdk.usage]);
    if (sdk.reasoning !== '') expect(ours.reasoning).toBe(sdk.reasoning);
    if (sdk.toolCalls.length > 0) {
      expect(ours.viewToolCalls).toEqual(sdk.toolCalls);
      expect(ours.result.outcome).toEqual({ finished: { assistant_message: { text: 'Bonjour! The café on Rue Cler opens at 8 h — see you there ☕🙂' } } });
    } else {
      expect(ours.result.outcome).toEqual({ finished: { assistant_message: { text: sdk.text } } });
    }
  });
});
