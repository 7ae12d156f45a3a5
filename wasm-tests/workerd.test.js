// examples/workerd/worker.js under real workerd (the npm package `workerd`):
// bundled with esbuild as a user's build would (platform neutral, the wasm left
// to the runtime as a separate Wasm module), served from a generated config
// (wasm-tests/fixtures/workerd/config.capnp), and asked over HTTP.
//   offline     no bindings: the offline demo model
//   compatible  LASH_BASE_URL / LASH_MODEL / LASH_API_KEY bindings: an OpenAI-compatible
//               provider, here a loopback fake started by this test
import { build } from 'esbuild';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const WORKERD = join(root, 'node_modules/.bin/workerd');
const SECRET = 'sk-workerd-SECRET';
const MODEL = 'workerd-test-model'; // LASH_MODEL in the config

// Skip only when workerd cannot run here at all (and say why).
function probeWorkerd() {
  if (!existsSync(WORKERD)) return `${WORKERD} is missing (npm install: the workerd devDependency)`;
  const r = spawnSync(WORKERD, ['--version'], { encoding: 'utf8', timeout: 20000 });
  if (r.error) return `\`${WORKERD} --version\` failed: ${r.error.message}`;
  if (r.status !== 0) return `\`${WORKERD} --version\` exited ${r.status}: ${(r.stderr || r.stdout).trim().slice(0, 500)}`;
  return null;
}
const unavailable = probeWorkerd();
if (unavailable) console.warn(`SKIPPING workerd tests: workerd cannot run on this machine: ${unavailable}`);
const suite = unavailable ? describe.skip : describe;

// A loopback OpenAI Chat Completions server: every POST .../chat/completions gets a
// streamed, tool-free text reply "Hello" ", " "workerd" in separate writes.
function chunk(delta, finish = null) {
  return `data: ${JSON.stringify({
    id: 'chatcmpl-workerd', object: 'chat.completion.chunk', created: 1756382400, model: MODEL,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage: null,
  })}\n\n`;
}
const USAGE = `data: ${JSON.stringify({
  id: 'chatcmpl-workerd', object: 'chat.completion.chunk', created: 1756382400, model: MODEL, choices: [],
  usage: { prompt_tokens: 21, completion_tokens: 3, total_tokens: 24 },
})}\n\n`;
const REPLY = [
  chunk({ role: 'assistant', content: '' }), chunk({ content: 'Hello' }), chunk({ content: ', ' }),
  chunk({ content: 'workerd' }), chunk({}, 'stop'), USAGE, 'data: [DONE]\n\n',
];

function startFakeProvider() {
  const requests = [];
  const timers = new Set();
  const server = createServer((req, res) => {
    const parts = [];
    req.on('data', (d) => parts.push(d));
    req.on('end', () => {
      const rawBody = Buffer.concat(parts).toString('utf8');
      let body = null;
      try { body = JSON.parse(rawBody); } catch { /* recorded as null */ }
      requests.push({ method: req.method, path: req.url, headers: req.headers, body, rawBody });
      if (req.method !== 'POST' || !req.url.endsWith('/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}` } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      let i = 0;
      const next = () => {
        if (i === REPLY.length) { res.end(); return; }
        res.write(REPLY[i++]);
        const t = setTimeout(() => { timers.delete(t); next(); }, 5);
        timers.add(t);
      };
      next();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    close: () => new Promise((done) => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      server.close(() => done());
    }),
  })));
}

// The worker bundled as in wasm-tests/bundle.test.js; its wasm import (a path
// into js/wasm/) becomes "./lash.wasm", the config's Wasm module beside "worker".
async function bundleWorker() {
  const out = await build({
    entryPoints: [join(root, 'examples/workerd/worker.js')], bundle: true, format: 'esm', platform: 'neutral',
    write: false, logLevel: 'silent', minify: true, external: ['*.wasm'],
    plugins: [{
      name: 'lash-wasm-module',
      setup(b) { b.onResolve({ filter: /\/lash\.wasm$/ }, () => ({ path: './lash.wasm', external: true })); },
    }],
  });
  expect(out.errors).toEqual([]);
  return out.outputFiles.map((f) => f.text).join('\n');
}

// Spawns `workerd serve config.capnp --control-fd=3` in dir; resolves when every
// socket listens, with { ports: { socketName: port }, proc, log() }.
function startWorkerd(dir, socketNames) {
  const proc = spawn(WORKERD, ['serve', join(dir, 'config.capnp'), '--control-fd=3'], {
    cwd: dir, stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout.on('data', (d) => { output += d; });
  proc.stderr.on('data', (d) => { output += d; });
  const log = () => output.trim();
  return new Promise((resolve, reject) => {
    const ports = {};
    let control = '';
    const timer = setTimeout(() => fail(new Error(`workerd did not listen within 30 s:\n${log()}`)), 30000);
    function fail(err) { clearTimeout(timer); proc.kill('SIGKILL'); reject(err); }
    proc.on('error', (err) => fail(err));
    proc.on('exit', (code, signal) => fail(new Error(`workerd exited (${code ?? signal}) before listening:\n${log()}`)));
    proc.stdio[3].on('data', (d) => {
      control += d;
      let nl;
      while ((nl = control.indexOf('\n')) >= 0) {
        const line = control.slice(0, nl);
        control = control.slice(nl + 1);
        let msg;
        try { msg = JSON.parse(line); } catch { continue; }
        if (msg.event === 'listen') ports[msg.socket] = msg.port;
      }
      if (socketNames.every((n) => ports[n])) {
        clearTimeout(timer);
        proc.removeAllListeners('exit');
        resolve({ proc, ports, log });
      }
    });
  });
}

function stopWorkerd(proc) {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const hard = setTimeout(() => proc.kill('SIGKILL'), 5000);
    proc.once('exit', () => { clearTimeout(hard); resolve(); });
    proc.kill('SIGTERM');
  });
}

suite('examples/workerd/worker.js under workerd', () => {
  let dir;
  let fake;
  let workerd;

  beforeAll(async () => {
    fake = await startFakeProvider();
    dir = mkdtempSync(join(tmpdir(), 'lash-workerd-'));
    writeFileSync(join(dir, 'worker.js'), await bundleWorker());
    copyFileSync(join(root, 'js/wasm/lash.wasm'), join(dir, 'lash.wasm'));
    const template = readFileSync(join(root, 'wasm-tests/fixtures/workerd/config.capnp'), 'utf8');
    writeFileSync(join(dir, 'config.capnp'), template.replaceAll('{{LASH_BASE_URL}}', `${fake.url}/v1`));
    workerd = await startWorkerd(dir, ['offline', 'compatible']);
  }, 60000);

  afterAll(async () => {
    await stopWorkerd(workerd?.proc);
    await fake?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function ask(socket, q) {
    const res = await fetch(`http://127.0.0.1:${workerd.ports[socket]}/?q=${encodeURIComponent(q)}`);
    const text = await res.text();
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text}\nworkerd:\n${workerd.log()}`);
    return JSON.parse(text);
  }

  test('the offline demo model answers a turn (calculator tool) on workerd', async () => {
    const reply = await ask('offline', 'what is 2+3');
    expect(reply.model).toBe('offline-demo');
    expect(reply.answer).toMatch(/\b5\b/);
    expect(reply.outcome).toHaveProperty('finished');
    expect(reply.errors).toBeUndefined();
    expect(fake.requests).toHaveLength(0); // the offline worker never calls out
  }, 30000);

  test('bindings name an OpenAI-compatible provider: workerd fetch streams its reply', async () => {
    const before = fake.requests.length;
    const reply = await ask('compatible', 'say hello');
    expect(reply.errors).toBeUndefined();
    expect(reply.model).toBe(`openai-compatible:${MODEL}`);
    expect(reply.answer).toBe('Hello, workerd');
    expect(reply.outcome).toEqual({ finished: { assistant_message: { text: 'Hello, workerd' } } });
    expect(reply.usage).toMatchObject({ input_tokens: 21, output_tokens: 3 });

    const seen = fake.requests.slice(before);
    expect(seen).toHaveLength(1);
    const [req] = seen;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(req.headers['content-type']).toMatch(/^application\/json/);
    expect(req.body).toMatchObject({ model: MODEL, stream: true });
    expect(JSON.stringify(req.body.messages)).toContain('say hello');
    expect(req.rawBody).not.toContain(SECRET); // the key travels in the header only
  }, 30000);
});
