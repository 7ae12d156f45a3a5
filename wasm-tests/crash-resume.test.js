// Crash resume with a real process kill: a child process runs a turn on durable
// file stores and is SIGKILLed before the model call, during a tool, or right
// before the final commit. Reopening in a fresh process shows exactly the last
// committed state (resume-safe progress included, nothing torn) and the next
// turn succeeds (lash §2.9: progress commits on the inline tier; one atomic final commit).
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const child = fileURLToPath(new URL('./fixtures/crash-child.mjs', import.meta.url));

// Run the child until it prints `marker`, then SIGKILL it (or let it finish).
function runChild(dir, point, sessionId, marker) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, dir, point, sessionId], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d) => {
      out += d;
      if (marker && out.includes(marker)) p.kill('SIGKILL');
    });
    p.stderr.on('data', (d) => { err += d; });
    p.on('error', reject);
    p.on('exit', (code, signal) => resolve({ code, signal, out, err }));
  });
}

function kinds(view) {
  return view.messages.map((m) => `${m.role}:${m.parts.map((p) => p.kind).join('+')}`);
}

let dir;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'lash-crash-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

async function reopen(sessionId) {
  const { StandardCore, ModelSpec, InlineEffectHost, FileSessionStoreFactory, FileAttachmentStore,
    FileProcessExecutionEnvStore, ScriptedProvider } = await import('../js/node.js');
  const provider = new ScriptedProvider([{ text: 'resumed fine' }], { kind: 'crash-test' });
  const core = await StandardCore.builder().provider(provider).model(ModelSpec.fromTokenLimits('m', null, 100000))
    .effectHost(new InlineEffectHost())
    .storeFactory(new FileSessionStoreFactory({ dir: `${dir}/sessions` }))
    .attachmentStore(new FileAttachmentStore({ dir: `${dir}/attachments` }))
    .processEnvStore(new FileProcessExecutionEnvStore({ dir: `${dir}/env` }))
    .build();
  const session = await core.session(sessionId).open();
  return { core, session, provider };
}

test.each([
  // point, marker, what the store must hold afterwards
  ['before-model', 'model-called', ['User:Text']],
  ['during-tool', 'tool-running', ['User:Text', 'Assistant:ToolCall']],
  ['before-final-commit', 'final-commit', ['User:Text', 'Assistant:ToolCall', 'User:ToolResult']],
])('killed %s: reopening shows the last committed state and the next turn succeeds', async (point, marker, expected) => {
  const killed = await runChild(dir, point, 's1', marker);
  expect(killed.signal).toBe('SIGKILL');

  const { core, session, provider } = await reopen('s1');
  const view = await session.readView();
  expect(kinds(view)).toEqual(expected);
  expect(view.turn_index).toBe(0); // the interrupted turn never reached its final commit
  expect(view.messages[0].parts[0].content).toMatch(/^turn from pid \d+$/);

  const { result } = await session.turn('are you there?').run();
  expect(result.outcome).toEqual({ finished: { assistant_message: { text: 'resumed fine' } } });
  expect(result.state.turn_index).toBe(1);
  // the model saw the recovered history before the new question
  const roles = provider.requests[0].messages.map((m) => m.role);
  expect(roles.slice(1)).toEqual([...expected.map((k) => k.split(':')[0]), 'User']);
  const after = await session.readView();
  expect(kinds(after)).toEqual([...expected, 'User:Text', 'Assistant:Prose']);
  core.close();
}, 30000);

test('an uninterrupted run commits the whole turn once, and a fresh process sees it', async () => {
  const ran = await runChild(dir, 'none', 's2', null);
  expect(ran.code).toBe(0);
  expect(ran.out).toContain('done {"finished":{"assistant_message":{"text":"all done"}}}');
  const { core, session } = await reopen('s2');
  const view = await session.readView();
  expect(kinds(view)).toEqual(['User:Text', 'Assistant:ToolCall', 'User:ToolResult', 'Assistant:Prose']);
  expect(view.turn_index).toBe(1);
  expect(view.token_usage).toEqual({ input_tokens: 8, output_tokens: 3, cached_input_tokens: 0, reasoning_tokens: 0 });
  core.close();
}, 30000);
