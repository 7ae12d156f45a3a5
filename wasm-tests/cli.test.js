// The CLI a newcomer runs (examples/cli/lash-wasm.mjs), as a user would: one-shot
// turns resumed with --session, an interactive chat fed on stdin, and real providers
// chosen from the environment, talking to a loopback HTTP server in this test that
// speaks the provider's wire format (OpenAI Chat Completions, OpenAI Responses,
// Anthropic Messages; all streamed as server-sent events).
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { calculate } from '../examples/cli/demo-model.js';

const cli = fileURLToPath(new URL('../examples/cli/lash-wasm.mjs', import.meta.url));
const PROVIDER_ENV = ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL',
  'LASH_BASE_URL', 'LASH_MODEL', 'LASH_API_KEY', 'LASH_CONTEXT_WINDOW'];
let dir;
const children = new Set(); // CLI processes still running (killed after a failed test)
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'lash-cli-')); });
afterEach(async () => {
  for (const p of children) p.kill('SIGKILL');
  children.clear();
  await rm(dir, { recursive: true, force: true });
});

// The CLI as a child process; `extraEnv` is the provider environment (all else cleared).
function start(args, extraEnv = {}) {
  const env = { ...process.env };
  for (const k of PROVIDER_ENV) delete env[k];
  Object.assign(env, extraEnv);
  const p = spawn(process.execPath, [cli, ...args, '--data', dir], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(p);
  p.on('exit', () => children.delete(p));
  const io = { proc: p, out: '', err: '' };
  const watchers = new Set();
  const poke = () => { for (const w of watchers) w(); };
  p.stdout.on('data', (d) => { io.out += d; poke(); });
  p.stderr.on('data', (d) => { io.err += d; poke(); });
  io.exited = new Promise((resolve, reject) => {
    p.on('error', reject);
    p.on('exit', (code, signal) => resolve({ code, signal, out: io.out, err: io.err }));
  });
  io.waitFor = (pattern, ms = 20000) => new Promise((resolve, reject) => {
    const fail = (why) => { if (watchers.delete(check)) reject(new Error(`${why} before ${pattern}:\n${io.out}\n${io.err}`)); };
    const timer = setTimeout(() => fail(`${ms} ms passed`), ms);
    const check = () => {
      if (pattern.test(io.out)) { watchers.delete(check); clearTimeout(timer); resolve(); }
    };
    watchers.add(check);
    io.exited.then(() => { clearTimeout(timer); fail('the CLI exited'); });
    check();
  });
  return io;
}

function run(args, input, extraEnv) {
  const io = start(args, extraEnv);
  io.proc.stdin.end(input ?? '');
  return io.exited;
}

test('one-shot turns call tools and a session resumes across runs', async () => {
  const first = await run(['run', 'what is 12*(3+4)?', '--session', 'demo']);
  expect(first.code).toBe(0);
  expect(first.out).toContain('session demo (0 messages so far');
  expect(first.out).toMatch(/⚙ calculator\(\{"expression":"12\*\(3\+4\)"\}\) → 84 \(\d+ ms\)/);
  expect(first.out).toContain('assistant: The answer is 84.');
  const second = await run(['run', 'what', 'time', 'is', 'it?', '--session', 'demo']);
  expect(second.out).toContain('session demo (4 messages so far'); // user, tool call, tool result, answer
  expect(second.out).toMatch(/⚙ now\(\{\}\) → "\d{4}-\d\d-\d\dT/);
  expect(second.out).toContain('turn 2]');
});

test('interactive chat: type, see a tool call, quit, come back with --session and see the history', async () => {
  const chat = await run(['--session', 'talk'], 'what is 2^10?\nhello\n/quit\n');
  expect(chat.code).toBe(0);
  expect(chat.out).toContain('assistant: The answer is 1024.');
  expect(chat.out).toContain('(offline demo model, no LLM) You said: "hello"');
  expect(chat.out).toContain('bye. Resume with: lash-wasm --session talk');
  const again = await run(['--session', 'talk'], '/quit\n');
  expect(again.out).toContain('session talk (6 messages so far');
  expect(again.out).toContain('you: what is 2^10?');
  expect(again.out).toContain('assistant: The answer is 1024.');
});

test('bad usage is explained, not a stack trace', async () => {
  const bad = await run(['--frobnicate']);
  expect(bad.code).toBe(2);
  expect(bad.err).toContain('unknown option --frobnicate');
  expect(bad.err).toContain('usage: lash-wasm');
});

test('the demo calculator evaluates arithmetic without eval and refuses anything else', () => {
  expect(calculate('12*(3+4)')).toBe(84);
  expect(calculate('2^3^2')).toBe(512);
  expect(calculate('-3 + 10 % 4')).toBe(-1);
  expect(calculate('1/4')).toBe(0.25);
  expect(() => calculate('1/0')).toThrow('division by zero');
  expect(() => calculate('process.exit()')).toThrow('not an arithmetic expression');
  expect(() => calculate('(1+2')).toThrow('missing )');
});

// ---- real providers, against a loopback server --------------------------------------------

// A loopback HTTP server: records each request ({method, url, headers, body}) and answers
// with reply(request, res, index). `closedEarly` counts responses the client abandoned.
async function fakeLlm(reply) {
  const requests = [];
  const stats = { closedEarly: 0 };
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d) => { raw += d; });
    req.on('end', () => {
      let body = null;
      try { body = JSON.parse(raw); } catch { /* recorded as null */ }
      const rec = { method: req.method, url: req.url, headers: req.headers, body };
      requests.push(rec);
      res.on('close', () => { if (!res.writableFinished) stats.closedEarly++; });
      reply(rec, res, requests.length - 1);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`, requests, stats,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}

const pieces = (text) => text.match(/.{1,6}/gsu);
function sse(res, frames) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const f of frames) res.write(f);
  res.end();
}
const data = (obj) => `data: ${JSON.stringify(obj)}\n\n`;
const event = (obj) => `event: ${obj.type}\ndata: ${JSON.stringify(obj)}\n\n`;

// OpenAI Chat Completions streams.
const chunk = (delta, finish = null) => data({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1700000000,
  model: 'test-model', choices: [{ index: 0, delta, finish_reason: finish }] });
const chatUsage = data({ id: 'chatcmpl-1', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 21, completion_tokens: 7, total_tokens: 28 } });
const chatText = (text) => [chunk({ role: 'assistant', content: '' }), ...pieces(text).map((t) => chunk({ content: t })),
  chunk({}, 'stop'), chatUsage, 'data: [DONE]\n\n'];
const chatToolCall = (id, name, args) => {
  const json = JSON.stringify(args);
  return [chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id, type: 'function', function: { name, arguments: '' } }] }),
    ...pieces(json).map((a) => chunk({ tool_calls: [{ index: 0, function: { arguments: a } }] })),
    chunk({}, 'tool_calls'), chatUsage, 'data: [DONE]\n\n'];
};

// Anthropic Messages streams.
const messageStart = event({ type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5',
  content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 30, output_tokens: 1 } } });
const messageEnd = (stop) => [event({ type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: 9 } }),
  event({ type: 'message_stop' })];
const anthropicText = (text) => [messageStart,
  event({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  ...pieces(text).map((t) => event({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: t } })),
  event({ type: 'content_block_stop', index: 0 }), ...messageEnd('end_turn')];
const anthropicToolUse = (id, name, args) => [messageStart,
  event({ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id, name, input: {} } }),
  ...pieces(JSON.stringify(args)).map((p) => event({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: p } })),
  event({ type: 'content_block_stop', index: 0 }), ...messageEnd('tool_use')];

// OpenAI Responses stream.
const responsesText = (text) => [
  event({ type: 'response.created', sequence_number: 0, response: { id: 'resp_1', object: 'response', status: 'in_progress', output: [], usage: null } }),
  event({ type: 'response.output_item.added', sequence_number: 1, output_index: 0, item: { id: 'msg_1', type: 'message', status: 'in_progress', role: 'assistant', content: [] } }),
  event({ type: 'response.content_part.added', sequence_number: 2, item_id: 'msg_1', output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } }),
  ...pieces(text).map((t, i) => event({ type: 'response.output_text.delta', sequence_number: 3 + i, item_id: 'msg_1', output_index: 0, content_index: 0, delta: t })),
  event({ type: 'response.output_text.done', sequence_number: 90, item_id: 'msg_1', output_index: 0, content_index: 0, text }),
  event({ type: 'response.output_item.done', sequence_number: 91, output_index: 0,
    item: { id: 'msg_1', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] } }),
  event({ type: 'response.completed', sequence_number: 92, response: { id: 'resp_1', object: 'response', status: 'completed',
    output: [{ id: 'msg_1', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] }],
    usage: { input_tokens: 36, input_tokens_details: { cached_tokens: 0 }, output_tokens: 8, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 44 } } }),
];

// Every file under root, as bytes.
async function filesUnder(root) {
  const found = [];
  for (const e of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) found.push(await readFile(join(e.parentPath ?? e.path, e.name)));
  }
  return found;
}
async function expectNowhereOnDisk(secret) {
  const files = await filesUnder(dir);
  expect(files.length).toBeGreaterThan(0);
  expect(files.filter((b) => b.includes(secret)).length).toBe(0);
}

const lastUserText = (messages) => JSON.stringify([...messages].reverse().find((m) => m.role === 'user')?.content);

describe('real providers from the environment (a loopback server in this test)', () => {
  let llm;
  afterEach(async () => { await llm?.close(); llm = null; });

  test('LASH_BASE_URL + LASH_MODEL + LASH_API_KEY: OpenAI-compatible Chat Completions, streamed text, then a tool call resumed', async () => {
    const KEY = 'sk-loopback-7f3a9c1e55d2';
    llm = await fakeLlm((req, res, i) => {
      if (i === 0) return sse(res, chatText('Hello from the loopback model.'));
      if (i === 1) return sse(res, chatToolCall('call_1', 'calculator', { expression: '6*7' }));
      return sse(res, chatText('The answer is 42.'));
    });
    const env = { LASH_BASE_URL: `${llm.url}/v1`, LASH_MODEL: 'test-model', LASH_API_KEY: KEY };
    const first = await run(['run', 'hello there', '--session', 'compat'], '', env);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toContain(`provider: OpenAI-compatible Chat Completions at ${llm.url}/v1, model test-model`);
    expect(first.out).toContain('assistant: Hello from the loopback model.');
    expect(first.out).toMatch(/\[done; tokens in 21, out 7; turn 1\]/);
    const [req] = llm.requests;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req.body.model).toBe('test-model');
    expect(req.body.stream).toBe(true);
    expect(lastUserText(req.body.messages)).toContain('hello there');
    expect(req.body.tools.map((t) => t.function.name)).toEqual(expect.arrayContaining(['calculator', 'now', 'wait']));

    // Resumed: the history goes back to the model; a tool call runs and its result goes back too.
    const second = await run(['run', 'what is 6 times 7?', '--session', 'compat'], '', env);
    expect(second.code).toBe(0);
    expect(second.out).toContain('session compat (2 messages so far');
    expect(second.out).toMatch(/⚙ calculator\(\{"expression":"6\*7"\}\) → 42 \(\d+ ms\)/);
    expect(second.out).toContain('assistant: The answer is 42.');
    expect(second.out).toContain('turn 2]');
    expect(llm.requests).toHaveLength(3);
    const resumed = JSON.stringify(llm.requests[1].body.messages);
    expect(resumed).toContain('hello there');
    expect(resumed).toContain('Hello from the loopback model.');
    const toolMessage = llm.requests[2].body.messages.find((m) => m.role === 'tool');
    expect(toolMessage.tool_call_id).toBe('call_1');
    expect(JSON.stringify(toolMessage.content)).toContain('42');
    for (const r of llm.requests) expect(r.headers.authorization).toBe(`Bearer ${KEY}`);

    // The key was sent, never printed, never stored.
    for (const o of [first, second]) expect(o.out + o.err).not.toContain(KEY);
    await expectNowhereOnDisk(KEY);
  }, 60000);

  test('ANTHROPIC_API_KEY + ANTHROPIC_BASE_URL: Anthropic Messages, a tool call then text, default model', async () => {
    const KEY = 'sk-ant-loopback-0b9e4d2a71';
    llm = await fakeLlm((req, res, i) => sse(res, i === 0
      ? anthropicToolUse('toolu_01', 'calculator', { expression: '2^10' })
      : anthropicText('2^10 is 1024.')));
    const env = { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: llm.url };
    const o = await run(['run', 'what is two to the tenth?', '--session', 'claude'], '', env);
    expect(o.err).toBe('');
    expect(o.code).toBe(0);
    expect(o.out).toContain(`provider: Anthropic Messages at ${llm.url}, model claude-sonnet-4-5`);
    expect(o.out).toMatch(/⚙ calculator\(\{"expression":"2\^10"\}\) → 1024 \(\d+ ms\)/);
    expect(o.out).toContain('assistant: 2^10 is 1024.');
    expect(llm.requests).toHaveLength(2);
    for (const r of llm.requests) {
      expect(r.url).toBe('/v1/messages');
      expect(r.headers['x-api-key']).toBe(KEY);
      expect(r.headers['anthropic-version']).toBe('2023-06-01');
      expect(r.headers.authorization).toBeUndefined();
      expect(r.body.model).toBe('claude-sonnet-4-5');
      expect(r.body.stream).toBe(true);
    }
    const results = llm.requests[1].body.messages.flatMap((m) => (Array.isArray(m.content) ? m.content : []))
      .filter((b) => b.type === 'tool_result');
    expect(results).toHaveLength(1);
    expect(results[0].tool_use_id).toBe('toolu_01');
    expect(JSON.stringify(results[0].content)).toContain('1024');
    expect(o.out + o.err).not.toContain(KEY);
    await expectNowhereOnDisk(KEY);
  }, 60000);

  test('OPENAI_API_KEY + OPENAI_BASE_URL + LASH_MODEL: OpenAI Responses', async () => {
    const KEY = 'sk-proj-loopback-5c8d1f0a';
    llm = await fakeLlm((req, res) => sse(res, responsesText('Hi from Responses.')));
    const o = await run(['run', 'hi', '--session', 'resp'], '', { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: `${llm.url}/v1`, LASH_MODEL: 'gpt-test' });
    expect(o.err).toBe('');
    expect(o.code).toBe(0);
    expect(o.out).toContain(`provider: OpenAI Responses at ${llm.url}/v1, model gpt-test`);
    expect(o.out).toContain('assistant: Hi from Responses.');
    expect(o.out).toContain('[done; tokens in 36, out 8; turn 1]');
    const [req] = llm.requests;
    expect(req.url).toBe('/v1/responses');
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req.body.model).toBe('gpt-test');
    expect(o.out + o.err).not.toContain(KEY);
    await expectNowhereOnDisk(KEY);
  }, 60000);

  test('precedence: LASH_BASE_URL, then ANTHROPIC_API_KEY, then OPENAI_API_KEY; --provider overrides', async () => {
    llm = await fakeLlm((req, res) => sse(res, req.url === '/v1/messages' ? anthropicText('anthropic here') : chatText('compatible here')));
    const env = { LASH_BASE_URL: `${llm.url}/v1`, LASH_MODEL: 'm', ANTHROPIC_API_KEY: 'a-key', ANTHROPIC_BASE_URL: llm.url,
      OPENAI_API_KEY: 'o-key', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' };
    const all = await run(['run', 'who?', '--session', 'p1'], '', env);
    expect(all.out).toContain('assistant: compatible here');
    const forced = await run(['run', 'who?', '--session', 'p2', '--provider', 'anthropic', '--model', 'claude-x'], '', env);
    expect(forced.out).toContain(`provider: Anthropic Messages at ${llm.url}, model claude-x`);
    expect(forced.out).toContain('assistant: anthropic here');
    const noBase = { ...env };
    delete noBase.LASH_BASE_URL;
    delete noBase.LASH_MODEL;
    const anth = await run(['run', 'who?', '--session', 'p3'], '', noBase);
    expect(anth.out).toContain('assistant: anthropic here');
    expect(llm.requests.map((r) => r.url)).toEqual(['/v1/chat/completions', '/v1/messages', '/v1/messages']);
    const offline = await run(['run', 'what is 1+1', '--session', 'p4', '--provider', 'offline'], '', env);
    expect(offline.out).toContain('provider: offline demo model (no LLM)');
    expect(offline.out).toContain('assistant: The answer is 2.');
    expect(llm.requests).toHaveLength(3);
  }, 60000);

  test('a provider error prints one clear line and the chat goes on', async () => {
    llm = await fakeLlm((req, res, i) => {
      if (i === 0) {
        res.writeHead(401, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' } }));
      }
      return sse(res, chatText('Second time lucky.'));
    });
    const env = { LASH_BASE_URL: `${llm.url}/v1`, LASH_MODEL: 'test-model', LASH_API_KEY: 'wrong' };
    const o = await run(['--session', 'errs'], 'first try\nsecond try\n/quit\n', env);
    expect(o.code).toBe(0);
    const lines = o.out.split('\n');
    const errorLine = lines.findIndex((l) => l.includes('401'));
    expect(lines[errorLine]).toBe('  ! LLM error: OpenAI-compatible chat request failed with 401: Incorrect API key provided.');
    expect(lines[errorLine + 1]).toMatch(/^ {2}\[stopped: provider error; tokens in \d+, out \d+; turn 1\]$/);
    expect(o.out).toContain('assistant: Second time lucky.');
    expect(o.out).toContain('bye. Resume with: lash-wasm --session errs');
    expect(llm.requests).toHaveLength(2); // a 401 is not retried
  }, 60000);

  test('a retryable failure shows the retry, then the answer', async () => {
    llm = await fakeLlm((req, res, i) => {
      if (i === 0) {
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
        return res.end(JSON.stringify({ error: { message: 'The server is overloaded.' } }));
      }
      return sse(res, chatText('Made it.'));
    });
    const o = await run(['run', 'hi', '--session', 'retry'], '', { LASH_BASE_URL: `${llm.url}/v1`, LASH_MODEL: 'test-model' });
    expect(o.code).toBe(0);
    expect(o.out).toContain('  … attempt 1 of 4 failed (OpenAI-compatible chat request failed with 503: The server is overloaded.); retrying in 1 s\n');
    expect(o.out).toContain('assistant: Made it.');
    expect(llm.requests).toHaveLength(2);
  }, 60000);

  test('Ctrl-C cancels the running turn (the request is aborted) and the chat goes on', async () => {
    llm = await fakeLlm((req, res, i) => {
      if (i === 0) { // starts streaming, then stalls
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(chunk({ role: 'assistant', content: '' }));
        res.write(chunk({ content: 'Thinking very slowly' }));
        return;
      }
      sse(res, chatText('Back again.'));
    });
    const io = start(['--session', 'cancel'], { LASH_BASE_URL: `${llm.url}/v1`, LASH_MODEL: 'test-model' });
    io.proc.stdin.write('tell me a long story\n');
    await io.waitFor(/Thinking very slowly/);
    io.proc.kill('SIGINT');
    await io.waitFor(/\[cancelled; /);
    io.proc.stdin.end('and now?\n/quit\n');
    const o = await io.exited;
    expect(o.code).toBe(0);
    expect(o.out).toContain('assistant: Back again.');
    expect(o.out).toContain('bye. Resume with');
    expect(llm.stats.closedEarly).toBe(1);
    expect(llm.requests).toHaveLength(2);
  }, 60000);

  test('a session resumed with another provider is refused with a clear message', async () => {
    llm = await fakeLlm((req, res) => sse(res, chatText('unused')));
    const offline = await run(['run', 'what is 1+2', '--session', 'bound']);
    expect(offline.out).toContain('assistant: The answer is 3.');
    const other = await run(['run', 'hello', '--session', 'bound'], '', { LASH_BASE_URL: `${llm.url}/v1`, LASH_MODEL: 'test-model' });
    expect(other.code).toBe(2);
    expect(other.err).toContain('lash-wasm: session bound was started with provider `offline-demo`, but this run uses `openai-compatible`');
    expect(other.err).toContain('Resume it with the same provider (--provider offline), or start a new --session.');
    expect(llm.requests).toHaveLength(0);
    const back = await run(['run', 'what is 2+2', '--session', 'bound', '--provider', 'offline'], '', { LASH_BASE_URL: `${llm.url}/v1`, LASH_MODEL: 'test-model' });
    expect(back.code).toBe(0);
    expect(back.out).toContain('assistant: The answer is 4.');
  }, 60000);

  test('configuration mistakes are explained, not a stack trace', async () => {
    const noModel = await run(['run', 'hi'], '', { LASH_BASE_URL: 'http://127.0.0.1:9/v1' });
    expect(noModel.code).toBe(2);
    expect(noModel.err).toContain('LASH_BASE_URL is set but LASH_MODEL is not');
    const noKey = await run(['run', 'hi', '--provider', 'anthropic']);
    expect(noKey.code).toBe(2);
    expect(noKey.err).toContain('--provider anthropic needs ANTHROPIC_API_KEY');
    const badChoice = await run(['--provider', 'gemini']);
    expect(badChoice.code).toBe(2);
    expect(badChoice.err).toContain('--provider must be one of offline, openai, anthropic, compatible');
    const secretUrl = await run(['run', 'hi'], '', { LASH_BASE_URL: 'ftp://user:hunter2@example.com/v1', LASH_MODEL: 'm' });
    expect(secretUrl.code).toBe(2);
    expect(secretUrl.err).toContain('LASH_BASE_URL must be an http(s) URL');
    expect(secretUrl.err).not.toContain('hunter2');
  }, 30000);
});
