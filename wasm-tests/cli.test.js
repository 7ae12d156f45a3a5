// The CLI a newcomer runs (examples/cli/lash-wasm.mjs), as a user would: one-shot
// turns resumed with --session, and an interactive chat fed on stdin.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { calculate } from '../examples/cli/demo-model.js';

const cli = fileURLToPath(new URL('../examples/cli/lash-wasm.mjs', import.meta.url));
let dir;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'lash-cli-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

function run(args, input) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.OPENAI_API_KEY; delete env.ANTHROPIC_API_KEY; delete env.LASH_BASE_URL;
    const p = spawn(process.execPath, [cli, ...args, '--data', dir], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('error', reject);
    p.on('exit', (code) => resolve({ code, out, err }));
    p.stdin.end(input ?? '');
  });
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
