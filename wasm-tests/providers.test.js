// Real providers over the wire (issue 5): whole turns through OpenAiCompatibleProvider (Chat
// Completions), OpenAiResponsesProvider (Responses) and AnthropicProvider (Messages) against the
// loopback test server (provider-server.js), which serves recorded-style transcripts and failures.
//
// Expected strings and rules are lash's, at the pinned commit (22bad569f):
//   crates/lash-core/src/provider/{handle.rs (retries, RetryStatus), traits.rs (failure classifier),
//     options.rs (delay_for_attempt)}, crates/lash-core/src/llm/transport.rs (Retry-After)
//   crates/lash-llm-transport/src/{streaming.rs (SSE framing; a broken read is "Stream read failed: …",
//     retryable), timeouts.rs (the response start is bounded by min(request, chunk) timeout; a stream
//     only by the chunk timeout), util.rs (extract_error_detail)}
//   crates/lash-provider-openai/src/{driver.rs (messages, timeouts), chat.rs, responses_shared.rs,
//     schema.rs (responses_error_is_retryable)}
//   crates/lash-provider-anthropic/src/{provider.rs, stream.rs, policy.rs (anthropic-beta)}
//   crates/lash-sansio/src/sansio/sections/turn_machine.rs (emit_llm_error: "LLM error: {message}")
import ts from 'typescript';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as lash from '../js/node.js';
import { startProviderServer, transcript } from './provider-server.js';

const {
  StandardCore, ModelSpec, InlineEffectHost, InMemoryAttachmentStore, InMemoryProcessExecutionEnvStore,
  InMemorySessionStoreFactory, FileSessionStoreFactory, FileAttachmentStore, FileProcessExecutionEnvStore, defineTools,
} = lash;

// The wasm instances the cores create, so a test can read their linear memory (the secrets test).
const instances = [];
const originalInstantiate = WebAssembly.instantiate;
WebAssembly.instantiate = async function instantiate(...args) {
  const result = await originalInstantiate.apply(this, args);
  instances.push(result instanceof WebAssembly.Instance ? result : result.instance);
  return result;
};

let server;
beforeAll(async () => {
  server = await startProviderServer();
});
afterAll(async () => {
  WebAssembly.instantiate = originalInstantiate;
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
  // every scripted reply was used, and every request passed the server's validation
  expect(server.pending).toBe(0);
  const problems = server.problems.splice(0);
  expect(problems).toEqual([]);
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------
// The three dialects
// ---------------------------------------------------------------------------
const D = {
  chat: {
    path: '/v1/chat/completions',
    model: 'gpt-4o-mini',
    label: 'OpenAI-compatible chat', // driver.rs CompletionEndpoint::ChatCompletions
    failed: 'OpenAI-compatible chat request failed',
    invalid: 'Invalid Chat Completions SSE payload', // chat.rs process_chat_sse_event
    make: (o) => new lash.OpenAiCompatibleProvider({ baseUrl: `${server.url}/v1`, ...o }),
    unauthorized: {
      status: 401,
      json: { error: { message: 'Incorrect API key provided: sk-bad-***0000. You can find your API key at https://platform.openai.com/account/api-keys.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } },
    },
    rateLimited: {
      status: 429,
      json: { error: { message: 'Rate limit reached for gpt-4o-mini in organization org-Xk2Pq9 on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.', type: 'requests', param: null, code: 'rate_limit_exceeded' } },
    },
    overflow: {
      status: 400,
      json: { error: { message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens. Please reduce the length of the messages.", type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } },
    },
  },
  responses: {
    path: '/v1/responses',
    model: 'gpt-4.1',
    label: 'OpenAI-compatible',
    failed: 'OpenAI-compatible request failed',
    invalid: 'Invalid OpenAI-compatible SSE payload', // responses_shared.rs process_sse_event (PROVIDER)
    make: (o) => new lash.OpenAiResponsesProvider({ baseUrl: `${server.url}/v1`, ...o }),
    unauthorized: {
      status: 401,
      json: { error: { message: 'Incorrect API key provided: sk-bad-***0000. You can find your API key at https://platform.openai.com/account/api-keys.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } },
    },
    rateLimited: {
      status: 429,
      json: { error: { message: 'Rate limit reached for gpt-4.1 in organization org-Xk2Pq9 on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.', type: 'requests', param: null, code: 'rate_limit_exceeded' } },
    },
    overflow: {
      status: 400,
      json: { error: { message: 'Your input exceeds the context window of this model. Please adjust your input and try again.', type: 'invalid_request_error', param: 'input', code: 'context_length_exceeded' } },
    },
  },
  anthropic: {
    path: '/v1/messages',
    model: 'claude-sonnet-4-5-20250929',
    label: 'Anthropic',
    failed: 'Anthropic request failed',
    invalid: 'Invalid Anthropic SSE payload', // stream.rs process_sse_event (no detail)
    make: (o) => new lash.AnthropicProvider({ baseUrl: server.url, ...o }),
    unauthorized: {
      status: 401,
      json: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' }, request_id: 'req_011CSHoEeqs5C35K2UUqR7Fy' },
    },
    rateLimited: {
      status: 429,
      json: { type: 'error', error: { type: 'rate_limit_error', message: 'Number of requests has exceeded your per-minute rate limit' }, request_id: 'req_011CSHoFq1n2Jk5UXp7Wz9Rb' },
    },
    overflow: {
      status: 400,
      json: { type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long: 215000 tokens > 200000 maximum' }, request_id: 'req_011CSHoGm8t4Lw2VYq3Xa6Sc' },
    },
  },
};
const DIALECTS = Object.keys(D);
const errorMessageOf = (reply) => reply.json.error.message;

const WEATHER_PARAMETERS = {
  type: 'object',
  properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
  required: ['city'],
};
const TEXT = 'Bonjour! The café on Rue Cler opens at 8 h — see you there ☕🙂'; // every dialect's text.sse
const toolSeen = [];
const weatherTools = () =>
  defineTools([
    {
      name: 'get_weather',
      description: 'Get the current weather for a city.',
      inputSchema: WEATHER_PARAMETERS,
      execute: async (args) => {
        toolSeen.push(args);
        return { city: args.city, temperature_c: args.city === 'Paris' ? 18 : 24, conditions: 'sunny' };
      },
    },
  ]);

// reliability defaults to lash's, with short delays so retries stay fast
async function open(dialect, { provider = {}, stores, sessionId = `s-${dialect}`, model = D[dialect].model, variant = null } = {}) {
  const p = D[dialect].make({ apiKey: 'test-key', ...provider, reliability: { baseDelayMs: 10, ...(provider.reliability ?? {}) } });
  const core = await StandardCore.builder()
    .provider(p)
    .model(ModelSpec.fromTokenLimits(model, variant, 200000))
    .effectHost(new InlineEffectHost())
    .attachmentStore(stores?.attachments ?? new InMemoryAttachmentStore())
    .processEnvStore(stores?.processEnv ?? new InMemoryProcessExecutionEnvStore())
    .storeFactory(stores?.sessions ?? new InMemorySessionStoreFactory())
    .tools(weatherTools())
    .build();
  opened.push(core);
  const session = await core.session(sessionId).open();
  opened.push(session);
  return { core, session };
}

const errorsOf = (activities) => activities.filter((a) => a.type === 'error').map((a) => a.message);
const retriesOf = (activities) =>
  activities.filter((a) => a.type === 'retry_status').map(({ wait_seconds, attempt, max_attempts, reason }) => ({ wait_seconds, attempt, max_attempts, reason }));
const proseOf = (activities) => activities.filter((a) => a.type === 'assistant_prose_delta').map((a) => a.text).join('');
const FINISHED = { finished: { assistant_message: { text: TEXT } } };

// After a failure the session still works: the next turn answers from the text transcript.
async function stillUsable(session, dialect) {
  server.script([{ sse: `${dialect}/text` }]);
  const { result, activities } = await session.turn('Are you still there?').run();
  expect(result.outcome).toEqual(FINISHED);
  expect(errorsOf(activities)).toEqual([]);
}

// The turn failed cleanly: stopped provider_error, an error activity, nothing retried unless asked.
function expectProviderError({ result, activities }, message) {
  expect(result.outcome).toEqual({ stopped: 'provider_error' });
  const errors = errorsOf(activities);
  expect(errors).toHaveLength(1);
  if (typeof message === 'string') expect(errors[0]).toBe(message);
  else if (message instanceof RegExp) expect(errors[0]).toMatch(message);
  expect(result.errors).toContainEqual(expect.objectContaining({ kind: 'llm_provider', message: errors[0] }));
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// ===========================================================================
// Whole turns
// ===========================================================================

describe.each(DIALECTS)('%s: whole turns', (dialect) => {
  const d = D[dialect];

  test('a tool-call transcript, then a text transcript: the tools run and the turn finishes', async () => {
    const { session } = await open(dialect);
    const from = server.requests.length;
    toolSeen.length = 0;
    server.script([{ sse: `${dialect}/tools` }, { sse: `${dialect}/text` }]);

    const { result, activities } = await session.turn('What is the weather in Paris and São Paulo?').run();

    expect(result.outcome).toEqual(FINISHED);
    expect(errorsOf(activities)).toEqual([]);
    expect(toolSeen).toEqual([{ city: 'Paris', unit: 'celsius' }, { city: 'São Paulo', unit: 'celsius' }]);
    expect(result.tool_calls.map((c) => [c.tool, c.args, c.output.outcome.status])).toEqual([
      ['get_weather', { city: 'Paris', unit: 'celsius' }, 'success'],
      ['get_weather', { city: 'São Paulo', unit: 'celsius' }, 'success'],
    ]);
    const usage = activities.filter((a) => a.type === 'usage');
    expect(usage.map((u) => u.protocol_iteration)).toEqual([0, 1]);

    const reqs = server.requests.slice(from);
    expect(reqs).toHaveLength(2);
    for (const r of reqs) {
      expect(r.method).toBe('POST');
      expect(r.path).toBe(d.path);
      expect(r.body).toMatchObject({ model: d.model, stream: true });
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect(r.headers.accept).toBe('text/event-stream');
      if (dialect === 'anthropic') {
        expect(r.headers['x-api-key']).toBe('test-key');
        expect(r.headers.authorization).toBeUndefined();
        expect(r.headers['anthropic-version']).toBe('2023-06-01');
        // policy.rs: fine-grained tool streaming, plus interleaved thinking on a non-adaptive model
        expect(r.headers['anthropic-beta']).toBe('fine-grained-tool-streaming-2025-05-14,interleaved-thinking-2025-05-14');
      } else {
        expect(r.headers.authorization).toBe('Bearer test-key');
        expect(r.headers['x-api-key']).toBeUndefined();
      }
    }
    expect(server.problems.filter((p) => p.index >= from)).toEqual([]);

    // the second request carries the calls and their results (LASH-SPEC §7.4)
    const second = reqs[1].body;
    const ids = {
      chat: ['call_Jq7Ov4cX9e1tWmZ0pB3nK8sR', 'call_a4Lr2VdQ8yN6sT1uX5eH0kFj'],
      responses: ['call_Jq7Ov4cX9e1tWmZ0pB3nK8sR', 'call_a4Lr2VdQ8yN6sT1uX5eH0kFj'],
      anthropic: ['toolu_01T1x1fJ34qAmk2tNTrN7Up6', 'toolu_01B9kLmN2pQ3rS4tU5vW6xY7'],
    }[dialect];
    if (dialect === 'chat') {
      const assistant = second.messages.find((m) => m.role === 'assistant');
      expect(assistant.content).toBeNull();
      expect(assistant.tool_calls.map((c) => [c.id, c.type, c.function.name, JSON.parse(c.function.arguments)])).toEqual([
        [ids[0], 'function', 'get_weather', { city: 'Paris', unit: 'celsius' }],
        [ids[1], 'function', 'get_weather', { city: 'São Paulo', unit: 'celsius' }],
      ]);
      const results = second.messages.filter((m) => m.role === 'tool');
      expect(results.map((m) => m.tool_call_id)).toEqual(ids);
      expect(JSON.parse(results[0].content)).toMatchObject({ city: 'Paris', temperature_c: 18 });
      expect(second).toMatchObject({ stream_options: { include_usage: true }, parallel_tool_calls: true, tool_choice: 'auto' });
    } else if (dialect === 'responses') {
      const calls = second.input.filter((i) => i.type === 'function_call');
      expect(calls.map((c) => [c.call_id, c.name, JSON.parse(c.arguments)])).toEqual([
        [ids[0], 'get_weather', { city: 'Paris', unit: 'celsius' }],
        [ids[1], 'get_weather', { city: 'São Paulo', unit: 'celsius' }],
      ]);
      const outputs = second.input.filter((i) => i.type === 'function_call_output');
      expect(outputs.map((o) => o.call_id)).toEqual(ids);
      expect(second).toMatchObject({ store: false, include: ['reasoning.encrypted_content'] });
      expect(typeof second.instructions).toBe('string');
    } else {
      const assistant = second.messages.find((m) => m.role === 'assistant');
      const uses = assistant.content.filter((b) => b.type === 'tool_use');
      expect(uses.map((b) => [b.id, b.name, b.input])).toEqual([
        [ids[0], 'get_weather', { city: 'Paris', unit: 'celsius' }],
        [ids[1], 'get_weather', { city: 'São Paulo', unit: 'celsius' }],
      ]);
      const results = second.messages.at(-1).content.filter((b) => b.type === 'tool_result');
      expect(results.map((b) => b.tool_use_id)).toEqual(ids);
      expect(second.max_tokens).toBeGreaterThan(0);
    }
  });

  test('two turns: the second request carries the first exchange', async () => {
    const { session } = await open(dialect);
    server.script([{ sse: `${dialect}/text` }, { sse: `${dialect}/usage-cached` }]);
    const first = await session.turn('When does the café open?').run();
    const second = await session.turn('Anything new?').run();
    expect(first.result.outcome).toEqual(FINISHED);
    expect(second.result.assistantMessage()).toBe('The summary above still holds: nothing changed since your last message.');
    const body = server.requests.at(-1).body;
    expect(JSON.stringify(body)).toContain('When does the café open?');
    expect(JSON.stringify(body)).toContain('Rue Cler opens at 8 h');
  });

  test('reasoning is streamed as reasoning_delta only with exposeThinking', async () => {
    const shown = await open(dialect, { provider: { exposeThinking: true }, sessionId: 'shown' });
    server.script([{ sse: `${dialect}/reasoning` }]);
    const a = await shown.session.turn('17 × 23?').run();
    expect(a.result.assistantMessage()).toBe('17 × 23 = **391**.');
    expect(a.activities.filter((x) => x.type === 'reasoning_delta').map((x) => x.text).join('')).toMatch(/391/);

    const hidden = await open(dialect, { sessionId: 'hidden' });
    server.script([{ sse: `${dialect}/reasoning` }]);
    const b = await hidden.session.turn('17 × 23?').run();
    expect(b.result.assistantMessage()).toBe('17 × 23 = **391**.');
    expect(b.activities.filter((x) => x.type === 'reasoning_delta')).toEqual([]);
  });

  // ---- HTTP failures ----

  test('429 with Retry-After: 1, then success: one retry_status with wait_seconds 1', async () => {
    const { session } = await open(dialect);
    const from = server.requests.length;
    server.script([{ ...d.rateLimited, headers: { 'retry-after': '1' } }, { sse: `${dialect}/text` }]);
    const { result, activities } = await session.turn('hi').run();
    expect(result.outcome).toEqual(FINISHED);
    expect(retriesOf(activities)).toEqual([
      { wait_seconds: 1, attempt: 1, max_attempts: 4, reason: `${d.failed} with 429: ${errorMessageOf(d.rateLimited)}` },
    ]);
    const [a, b] = server.requests.slice(from);
    expect(b.receivedAt - a.receivedAt).toBeGreaterThanOrEqual(950);
    expect(errorsOf(activities)).toEqual([]);
  });

  test('500 then success: retried after baseDelayMs, the reason has no detail for an empty body', async () => {
    const { session } = await open(dialect);
    server.script([{ status: 500 }, { sse: `${dialect}/text` }]);
    const { result, activities } = await session.turn('hi').run();
    expect(result.outcome).toEqual(FINISHED);
    expect(retriesOf(activities)).toEqual([{ wait_seconds: 0, attempt: 1, max_attempts: 4, reason: `${d.failed} with 500` }]);
  });

  test('401 is not retried: provider_error with the provider\'s message; the session stays usable', async () => {
    const { session } = await open(dialect);
    const from = server.requests.length;
    server.script([d.unauthorized]);
    const out = await session.turn('hi').run();
    expectProviderError(out, `LLM error: ${d.failed} with 401: ${errorMessageOf(d.unauthorized)}`);
    expect(retriesOf(out.activities)).toEqual([]);
    expect(server.requests.length - from).toBe(1);
    expect(out.result.errors).toContainEqual(expect.objectContaining({ kind: 'llm_provider', code: '401' }));
    await stillUsable(session, dialect);
  });

  test('a context-overflow 400 is not retried and is classified context_overflow', async () => {
    const { session } = await open(dialect);
    const from = server.requests.length;
    server.script([d.overflow]);
    const out = await session.turn('hi').run();
    expectProviderError(out, `LLM error: ${d.failed} with 400: ${errorMessageOf(d.overflow)}`);
    expect(server.requests.length - from).toBe(1);
    expect(out.result.errors).toContainEqual(expect.objectContaining({ kind: 'llm_provider', terminal_reason: 'context_overflow' }));
    await stillUsable(session, dialect);
  });

  test('context-overflow text makes even a 503 non-retryable (traits.rs classify)', async () => {
    const { session } = await open(dialect);
    const from = server.requests.length;
    server.script([{ ...d.overflow, status: 503 }]);
    const out = await session.turn('hi').run();
    expectProviderError(out, `LLM error: ${d.failed} with 503: ${errorMessageOf(d.overflow)}`);
    expect(server.requests.length - from).toBe(1);
    await stillUsable(session, dialect);
  });

  test('retries run out: maxAttempts requests, maxAttempts - 1 retry_status, then provider_error', async () => {
    const { session } = await open(dialect, { provider: { reliability: { maxAttempts: 3 } } });
    const from = server.requests.length;
    server.script([{ status: 502 }, { status: 503 }, { status: 504 }]);
    const out = await session.turn('hi').run();
    expectProviderError(out, `LLM error: ${d.failed} with 504`);
    expect(retriesOf(out.activities)).toEqual([
      { wait_seconds: 0, attempt: 1, max_attempts: 3, reason: `${d.failed} with 502` },
      { wait_seconds: 0, attempt: 2, max_attempts: 3, reason: `${d.failed} with 503` },
    ]);
    expect(server.requests.length - from).toBe(3);
    await stillUsable(session, dialect);
  });

  // ---- broken streams ----

  test('truncated stream (cut mid-event): the partial event fails to parse, not retried', async () => {
    const { session } = await open(dialect);
    const from = server.requests.length;
    server.script([{ sse: `${dialect}/truncated` }]);
    const out = await session.turn('hi').run();
    expectProviderError(out, new RegExp(`^LLM error: ${escape(d.invalid)}`));
    expect(server.requests.length - from).toBe(1);
    await stillUsable(session, dialect);
  });

  test('a stream that ends cleanly at an event boundary before its terminal event keeps what arrived', async () => {
    // lash finalizes whatever state the stream built (drive_sse_response + finalize): no terminal event
    // is required; the usage is whatever had arrived (Anthropic: message_start's).
    const cut = { chat: '"finish_reason":"stop"', responses: 'event: response.output_text.done', anthropic: 'event: content_block_stop' }[dialect];
    const text = transcript(`${dialect}/text`).toString('utf8');
    const body = text.slice(0, text.lastIndexOf('\n\n', text.indexOf(cut)) + 2);
    const { session } = await open(dialect);
    server.script([{ status: 200, headers: { 'content-type': 'text/event-stream' }, body }]);
    const { result, activities } = await session.turn('hi').run();
    expect(result.outcome).toEqual(FINISHED);
    expect(proseOf(activities)).toBe(TEXT);
    const expectedUsage = dialect === 'anthropic'
      ? { input_tokens: 57, output_tokens: 1, cached_input_tokens: 0, reasoning_tokens: 0 }
      : { input_tokens: 0, output_tokens: 0, cached_input_tokens: 0, reasoning_tokens: 0 };
    expect(activities.filter((a) => a.type === 'usage').map((a) => a.usage)).toEqual([expectedUsage]);
  });

  test('malformed JSON chunk: provider_error, not retried', async () => {
    const { session } = await open(dialect);
    const from = server.requests.length;
    server.script([{ sse: `${dialect}/malformed` }]);
    const out = await session.turn('hi').run();
    expectProviderError(out, new RegExp(`^LLM error: ${escape(d.invalid)}`));
    expect(server.requests.length - from).toBe(1);
    await stillUsable(session, dialect);
  });

  test('garbage bytes: provider_error (the junk data line is not JSON), no trap', async () => {
    const { core, session } = await open(dialect);
    server.script([{ garbage: true }]);
    const out = await session.turn('hi').run();
    expectProviderError(out, new RegExp(`^LLM error: ${escape(d.invalid)}`));
    expect(core.closed).toBe(false);
    await stillUsable(session, dialect);
  });

  test('a 10 MB single event: provider_error, no trap, no hang', async () => {
    const { core, session } = await open(dialect, { provider: { reliability: { maxAttempts: 1 } } });
    server.script([{ hugeEvent: 10 * 1024 * 1024 }]);
    const out = await session.turn('hi').run();
    expectProviderError(out);
    expect(core.closed).toBe(false);
    await stillUsable(session, dialect);
  }, 30000);

  test('connection closed mid-event: "Stream read failed", retryable, so the retry succeeds', async () => {
    const { session } = await open(dialect);
    server.script([{ closeMidEvent: true }, { sse: `${dialect}/text` }]);
    const { result, activities } = await session.turn('hi').run();
    expect(result.outcome).toEqual(FINISHED);
    const retries = retriesOf(activities);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ attempt: 1, max_attempts: 4 });
    expect(retries[0].reason).toMatch(/^Stream read failed/);
  });

  test('connection closed mid-event with maxAttempts 1: provider_error', async () => {
    const { session } = await open(dialect, { provider: { reliability: { maxAttempts: 1 } } });
    server.script([{ closeMidEvent: true }]);
    const out = await session.turn('hi').run();
    expectProviderError(out, /^LLM error: Stream read failed/);
    await stillUsable(session, dialect);
  });

  // ---- in-stream error events: lash's retryability ----

  test('an in-stream error event: provider_error with the provider\'s message (maxAttempts 1)', async () => {
    const { session } = await open(dialect, { provider: { reliability: { maxAttempts: 1 } } });
    server.script([{ sse: `${dialect}/error` }]);
    const out = await session.turn('hi').run();
    const message = {
      chat: 'Provider disconnected unexpectedly',
      responses: 'The server had an error while processing your request. Sorry about that!',
      anthropic: 'Anthropic stream error: Overloaded',
    }[dialect];
    expectProviderError(out, `LLM error: ${message}`);
    await stillUsable(session, dialect);
  });

  test('an in-stream error event is retried exactly when lash deems it retryable', async () => {
    // chat: error.code "server_error" -> retryable (schema.rs responses_error_is_retryable);
    // responses: a top-level `error` event has no nested `error` object -> not retryable (responses_shared.rs);
    // anthropic: overloaded_error -> retryable (stream.rs is_retryable_error_event).
    const retryable = { chat: true, responses: false, anthropic: true }[dialect];
    const { session } = await open(dialect);
    const from = server.requests.length;
    server.script([{ sse: `${dialect}/error` }, ...(retryable ? [{ sse: `${dialect}/text` }] : [])]);
    const { result, activities } = await session.turn('hi').run();
    if (retryable) {
      expect(result.outcome).toEqual(FINISHED);
      expect(retriesOf(activities)).toHaveLength(1);
      expect(server.requests.length - from).toBe(2);
    } else {
      expect(result.outcome).toEqual({ stopped: 'provider_error' });
      expect(retriesOf(activities)).toEqual([]);
      expect(server.requests.length - from).toBe(1);
    }
  });

  // ---- timeouts and cancellation ----

  test('no response head within the chunk timeout: "response start timed out", retried', async () => {
    const { session } = await open(dialect, { provider: { reliability: { chunkTimeoutMs: 150 } } });
    server.script([{ stallMs: 1000, sse: `${dialect}/text` }, { sse: `${dialect}/text` }]);
    const { result, activities } = await session.turn('hi').run();
    expect(result.outcome).toEqual(FINISHED);
    expect(retriesOf(activities)).toEqual([{ wait_seconds: 0, attempt: 1, max_attempts: 4, reason: `${d.label} response start timed out` }]);
  });

  test('a stream that stalls longer than the chunk timeout: "stream chunk timed out"', async () => {
    const { session } = await open(dialect, { provider: { reliability: { chunkTimeoutMs: 150, maxAttempts: 1 } } });
    server.script([{ stallMs: 1000, stallAt: 'body', sse: `${dialect}/text` }]);
    const out = await session.turn('hi').run();
    expectProviderError(out, `LLM error: ${d.label} stream chunk timed out`);
    await stillUsable(session, dialect);
  });

  test('cancel mid-stream: the turn stops cancelled and the server sees the request go away', async () => {
    const { session } = await open(dialect);
    const from = server.requests.length;
    server.script([{ endless: true, intervalMs: 10 }]);
    const ac = new AbortController();
    const running = session.turn('hi').signal(ac.signal).run();
    const record = await server.waitForRequests(from + 1);
    await sleep(100);
    ac.abort();
    const { result } = await running;
    expect(result.outcome).toEqual({ stopped: 'cancelled' });
    await record.closed;
    expect(record.aborted).toBe(true);
    expect(server.requests.length - from).toBe(1);
    await stillUsable(session, dialect);
  });
});

describe('cancellation and timeouts (one dialect; the host side is shared)', () => {
  test('cancelRunningTurns() during a stream aborts the request', async () => {
    const { session } = await open('chat');
    const from = server.requests.length;
    server.script([{ endless: true, intervalMs: 10 }]);
    const running = session.turn('hi').run();
    const record = await server.waitForRequests(from + 1);
    await sleep(50);
    expect(session.cancelRunningTurns()).toBe(1);
    const { result } = await running;
    expect(result.outcome).toEqual({ stopped: 'cancelled' });
    await record.closed;
    expect(record.aborted).toBe(true);
  });

  test('cancel while prose is streaming: the partial answer stops and the request is aborted', async () => {
    const { session } = await open('anthropic');
    const from = server.requests.length;
    server.script([{ sse: 'anthropic/text', pieces: 60, delayMs: 15 }]);
    const ac = new AbortController();
    const seen = [];
    const result = await session
      .turn('hi')
      .signal(ac.signal)
      .streamTo((activity) => {
        seen.push(activity);
        if (activity.type === 'assistant_prose_delta') ac.abort();
      });
    expect(result.outcome).toEqual({ stopped: 'cancelled' });
    expect(proseOf(seen).length).toBeGreaterThan(0);
    expect(proseOf(seen).length).toBeLessThan(TEXT.length);
    const record = server.requests[from];
    await record.closed;
    expect(record.aborted).toBe(true);
    await stillUsable(session, 'anthropic');
  });

  test('a stream that never ends is cut at maxResponseBytes: provider_error, not retried, request aborted', async () => {
    const { session } = await open('chat', { provider: { reliability: { maxResponseBytes: 16384 } } });
    const from = server.requests.length;
    server.script([{ endless: true, intervalMs: 1 }]);
    const out = await session.turn('hi').run();
    expectProviderError(out, 'LLM error: Provider response exceeds the 16384-byte limit');
    expect(server.requests.length - from).toBe(1);
    const record = server.requests[from];
    await record.closed;
    expect(record.aborted).toBe(true);
    await stillUsable(session, 'chat');
  });

  test('a live stream is bounded only by the chunk timeout, not by the request timeout (timeouts.rs)', async () => {
    // lash: send_request bounds the response start by min(request, chunk) timeout; drive_sse_response
    // bounds each chunk read by the chunk timeout; nothing bounds a stream that keeps producing bytes.
    const { session } = await open('anthropic', { provider: { reliability: { requestTimeoutMs: 300, chunkTimeoutMs: 250, maxAttempts: 1 } } });
    const from = server.requests.length;
    server.script([{ endless: true, intervalMs: 20 }]);
    const ac = new AbortController();
    const running = session.turn('hi').signal(ac.signal).run();
    const record = await server.waitForRequests(from + 1);
    await sleep(900);
    ac.abort();
    const { result, activities } = await running;
    expect(errorsOf(activities)).toEqual([]);
    expect(result.outcome).toEqual({ stopped: 'cancelled' });
    await record.closed;
    expect(record.aborted).toBe(true);
  });

  test('Retry-After above retryAfterCapMs waits the cap', async () => {
    const { session } = await open('chat', { provider: { reliability: { retryAfterCapMs: 1000 } } });
    server.script([{ ...D.chat.rateLimited, headers: { 'retry-after': '30' } }, { sse: 'chat/text' }]);
    const { result, activities } = await session.turn('hi').run();
    expect(result.outcome).toEqual(FINISHED);
    expect(retriesOf(activities).map((r) => r.wait_seconds)).toEqual([1]);
  });

  test('exponential backoff: baseDelayMs * 2^retry, capped at maxDelayMs', async () => {
    const { session } = await open('chat', { provider: { reliability: { baseDelayMs: 600, maxDelayMs: 1000, maxAttempts: 3 } } });
    const from = server.requests.length;
    server.script([{ status: 500 }, { status: 500 }, { sse: 'chat/text' }]);
    const { result, activities } = await session.turn('hi').run();
    expect(result.outcome).toEqual(FINISHED);
    // 600 ms -> 0 s, min(1200, 1000) ms -> 1 s
    expect(retriesOf(activities).map((r) => [r.attempt, r.wait_seconds])).toEqual([[1, 0], [2, 1]]);
    const [a, b, c] = server.requests.slice(from);
    expect(b.receivedAt - a.receivedAt).toBeGreaterThanOrEqual(570);
    expect(c.receivedAt - b.receivedAt).toBeGreaterThanOrEqual(950);
  }, 15000);

  test('429 insufficient_quota is not retried (quota text is non-retryable)', async () => {
    const { session } = await open('chat');
    const from = server.requests.length;
    const quota = { status: 429, json: { error: { message: 'You exceeded your current quota, please check your plan and billing details.', type: 'insufficient_quota', param: null, code: 'insufficient_quota' } } };
    server.script([quota]);
    const out = await session.turn('hi').run();
    expectProviderError(out, `LLM error: OpenAI-compatible chat request failed with 429: ${quota.json.error.message}`);
    expect(server.requests.length - from).toBe(1);
  });

  test('a non-JSON error body: the detail is its first 200 characters', async () => {
    const { session } = await open('chat');
    const body = `<html><head><title>502 Bad Gateway</title></head><body>${'x'.repeat(300)}</body></html>`;
    server.script([{ status: 400, headers: { 'content-type': 'text/html' }, body }]);
    const out = await session.turn('hi').run();
    expectProviderError(out, `LLM error: OpenAI-compatible chat request failed with 400: ${body.slice(0, 200)}`);
  });
});

// ===========================================================================
// Secrets
// ===========================================================================

function filesUnder(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe.each(DIALECTS)('%s: the API key', (dialect) => {
  test('reaches the server, never the wasm memory or the stored session', async () => {
    const SECRET = 'sk-test-SECRET-1234';
    const dir = mkdtempSync(join(tmpdir(), 'lash-secret-'));
    try {
      const first = instances.length;
      const stores = {
        sessions: new FileSessionStoreFactory({ dir: `${dir}/sessions` }),
        attachments: new FileAttachmentStore({ dir: `${dir}/attachments` }),
        processEnv: new FileProcessExecutionEnvStore({ dir: `${dir}/env` }),
      };
      const { core, session } = await open(dialect, { provider: { apiKey: SECRET }, stores });
      const instance = instances.slice(first).at(-1);
      expect(instance).toBeDefined();
      const from = server.requests.length;
      server.script([{ sse: `${dialect}/tools` }, { sse: `${dialect}/text` }, D[dialect].unauthorized]);
      const ok = await session.turn('What is the weather in Paris and São Paulo?').run();
      expect(ok.result.outcome).toEqual(FINISHED);
      const failed = await session.turn('again').run();
      expect(failed.result.outcome).toEqual({ stopped: 'provider_error' });

      for (const r of server.requests.slice(from)) {
        if (dialect === 'anthropic') expect(r.headers['x-api-key']).toBe(SECRET);
        else expect(r.headers.authorization).toBe(`Bearer ${SECRET}`);
        expect(r.rawBody).not.toContain(SECRET);
      }

      const memory = Buffer.from(instance.exports.memory.buffer);
      expect(memory.indexOf(Buffer.from(SECRET))).toBe(-1);
      expect(memory.indexOf(Buffer.from('SECRET-1234'))).toBe(-1);
      expect(JSON.stringify([ok, failed])).not.toContain(SECRET);
      expect(JSON.stringify(await session.readView())).not.toContain('SECRET-1234');

      core.close();
      const files = filesUnder(dir);
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) expect([file, readFileSync(file).indexOf('SECRET-1234')]).toEqual([file, -1]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ===========================================================================
// Request bodies against the official SDKs' request types
// ===========================================================================

const FIXTURES = fileURLToPath(new URL('./fixtures/providers/', import.meta.url));
const REQUEST_TYPE = { chat: 'ChatCompletionCreateParamsStreaming', responses: 'ResponseCreateParamsStreaming', anthropic: 'MessageCreateParamsStreaming' };

// Type-check each body as an object literal of its dialect's request type (excess properties are
// errors). Returns the diagnostics of each entry: [[message...], ...].
function typeCheckBodies(entries) {
  const file = `${FIXTURES}__request_bodies__.ts`;
  const lines = [`import type { ${Object.values(REQUEST_TYPE).join(', ')} } from './request-types.js';`];
  const starts = [];
  entries.forEach(({ dialect, body }, i) => {
    starts.push(lines.length);
    lines.push(...`export const body${i}: ${REQUEST_TYPE[dialect]} = ${JSON.stringify(body, null, 2)};`.split('\n'));
  });
  const source = `${lines.join('\n')}\n`;
  const options = {
    strict: true, noEmit: true, skipLibCheck: true, types: [],
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, language, ...rest) =>
    name === file ? ts.createSourceFile(name, source, language) : getSourceFile.call(host, name, language, ...rest);
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  host.readFile = (name) => (name === file ? source : readFile.call(host, name));
  const program = ts.createProgram([file], options, host);
  const out = entries.map(() => []);
  const general = [];
  for (const diag of ts.getPreEmitDiagnostics(program)) {
    const text = ts.flattenDiagnosticMessageText(diag.messageText, '\n');
    if (diag.file?.fileName !== file || diag.start === undefined) {
      general.push(text);
      continue;
    }
    const line = diag.file.getLineAndCharacterOfPosition(diag.start).line;
    let index = starts.length - 1;
    while (index > 0 && starts[index] > line) index--;
    if (line < starts[0]) general.push(text);
    else out[index].push(`line ${line - starts[index] + 1}: ${text}`);
  }
  return { perBody: out, general };
}

// Fields lash sends that the SDKs' current request types do not declare: check they are exactly
// lash's, then leave them out of the type check.
//   chat: `name` on a tool message (lash-provider-openai chat.rs:102-111; openai@7's
//         ChatCompletionToolMessageParam has no `name`);
//   anthropic: `temperature: 0` when thinking is off (lash-provider-anthropic request.rs:357-359;
//         @anthropic-ai/sdk@1.12's MessageCreateParams has no `temperature`).
function withoutLashOnlyFields(dialect, body) {
  const copy = structuredClone(body);
  if (dialect === 'chat') {
    for (const m of copy.messages) {
      if (m.role !== 'tool' || !('name' in m)) continue;
      expect(typeof m.name).toBe('string');
      expect(m.name.length).toBeGreaterThan(0);
      delete m.name;
    }
  }
  if (dialect === 'anthropic') {
    if (copy.thinking) expect(copy).not.toHaveProperty('temperature');
    else expect(copy.temperature).toBe(0);
    delete copy.temperature;
  }
  return copy;
}

describe('request bodies type-check against the official SDKs\' request types', () => {
  test('the checker: SDK-shaped bodies pass, an excess property fails', () => {
    const { perBody, general } = typeCheckBodies([
      { dialect: 'chat', body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } } },
      { dialect: 'responses', body: { model: 'gpt-4.1', input: [{ role: 'user', content: [{ type: 'input_text', text: 'hi' }] }], stream: true, store: false } },
      { dialect: 'anthropic', body: { model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'hi' }], stream: true } },
      { dialect: 'chat', body: { model: 'gpt-4o-mini', messages: [], stream: true, not_a_field: 1 } },
    ]);
    expect(general).toEqual([]);
    expect(perBody.slice(0, 3)).toEqual([[], [], []]);
    expect(perBody[3].join('\n')).toMatch(/not_a_field/);
  }, 60000);

  // A tool round trip, a reasoning answer, then a plain turn: four requests whose histories carry tool
  // calls, tool results and replayed reasoning.
  test.each(DIALECTS)('%s: every body of a multi-turn tool conversation', async (dialect) => {
    const { session } = await open(dialect, { provider: { exposeThinking: true, maxOutputTokens: 4096 }, sessionId: `types-${dialect}` });
    const from = server.requests.length;
    server.script([{ sse: `${dialect}/tools` }, { sse: `${dialect}/text` }, { sse: `${dialect}/reasoning` }, { sse: `${dialect}/usage-cached` }]);
    expect((await session.turn('What is the weather in Paris and São Paulo?').run()).result.outcome).toEqual(FINISHED);
    expect((await session.turn('17 × 23?').run()).result.assistantMessage()).toBe('17 × 23 = **391**.');
    await session.turn('Anything new?').run();
    const entries = server.requests.slice(from).map((r) => ({ dialect, body: withoutLashOnlyFields(dialect, r.body) }));
    expect(entries).toHaveLength(4);
    const { perBody, general } = typeCheckBodies(entries);
    expect(general).toEqual([]);
    const failures = perBody.map((errors, i) => ({ request: i, errors })).filter((x) => x.errors.length > 0);
    expect(failures).toEqual([]);
  }, 60000);

  // A model variant turns on reasoning: Responses `reasoning`, Anthropic `thinking` (budget or adaptive,
  // with `output_config.effort`) instead of `temperature` (lash-provider-anthropic request.rs, policy.rs).
  test.each([
    ['responses', 'gpt-5-mini', 'high'],
    ['anthropic', 'claude-sonnet-4-5-20250929', 'high'],
    ['anthropic', 'claude-opus-4-6', 'high'],
  ])('%s %s, variant %s: the bodies of a tool round trip', async (dialect, model, variant) => {
    const { session } = await open(dialect, { provider: { exposeThinking: true }, model, variant, sessionId: `variant-${dialect}` });
    const from = server.requests.length;
    server.script([{ sse: `${dialect}/tools` }, { sse: `${dialect}/text` }]);
    expect((await session.turn('What is the weather in Paris and São Paulo?').run()).result.outcome).toEqual(FINISHED);
    const entries = server.requests.slice(from).map((r) => ({ dialect, body: withoutLashOnlyFields(dialect, r.body) }));
    expect(entries).toHaveLength(2);
    expect(entries[0].body.reasoning ?? entries[0].body.thinking).toBeDefined();
    const { perBody, general } = typeCheckBodies(entries);
    expect(general).toEqual([]);
    expect(perBody.map((errors, i) => ({ request: i, errors })).filter((x) => x.errors.length > 0)).toEqual([]);
  }, 60000);
});

// ---------------------------------------------------------------------------
// Chunk-split invariance through the whole stack: however the network cuts the
// body (one write, single bytes at the start, inside UTF-8 sequences, many random
// cuts), a transcript yields the same turn: prose, the assistant's parts, usage.
// ---------------------------------------------------------------------------
describe('chunk-split invariance: the same transcript split anywhere gives the same turn', () => {
  const observe = async (session, reply) => {
    server.script([reply, ...(reply.sse.endsWith('/tools') ? [{ sse: reply.sse.replace('/tools', '/text'), whole: true }] : [])]);
    const { result, activities } = await session.turn('go').run();
    const view = await session.readView();
    return {
      outcome: result.outcome,
      prose: proseOf(activities),
      usage: activities.filter((a) => a.type === 'usage').map((a) => a.usage),
      // the committed assistant parts (tool-call ids and names, arguments, text), without generated message ids
      parts: view.messages.slice(-4).map((m) => [m.role, m.parts.map((p) => [p.kind, p.content, p.tool_call_id ?? null, p.tool_name ?? null])]),
    };
  };
  test.each(DIALECTS.flatMap((d) => ['text', 'tools', 'reasoning', 'usage-cached'].map((t) => [d, t])))(
    '%s/%s under 12 different splits',
    async (dialect, name) => {
      const splits = [{ whole: true }, { pieces: 2, seed: 1 }, { pieces: 3, seed: 9 }];
      for (let seed = 2; seed <= 10; seed++) splits.push({ pieces: 5 + seed * 7, seed, delayMs: 0 });
      let reference = null;
      for (const [i, split] of splits.entries()) {
        const { session } = await open(dialect, { sessionId: `split-${dialect}-${name}-${i}` });
        const seen = await observe(session, { sse: `${dialect}/${name}`, ...split });
        if (!reference) reference = seen;
        else expect(seen).toEqual(reference);
      }
      expect(reference.outcome).toHaveProperty('finished');
      if (name === 'text') expect(reference.prose).toBe(TEXT);
      if (name === 'tools') expect(reference.parts.flatMap(([, parts]) => parts).filter(([kind]) => kind === 'ToolCall')).toHaveLength(2);
    },
    60000,
  );
});
