#!/usr/bin/env node
// lash-wasm: an agent in your terminal. Sessions persist in durable file stores.
//   lash-wasm                      interactive chat (a new session)
//   lash-wasm --session ID         resume (or start) session ID
//   lash-wasm run "question"       one turn, then exit (combine with --session)
//   options: --data DIR (default ./.lash-wasm), --help
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import {
  StandardCore, ModelSpec, InlineEffectHost, FileSessionStoreFactory, FileAttachmentStore,
  FileProcessExecutionEnvStore, LashError,
} from '../../js/node.js';
import { OfflineDemoModel, demoTools } from './demo-model.js';

const HELP = `lash-wasm: an agent session in your terminal (offline demo model unless a provider is configured)

usage: lash-wasm [--session ID] [--data DIR]            interactive chat
       lash-wasm run "question" [--session ID] [--data DIR]   one turn, then exit

Sessions are saved under DIR (default ./.lash-wasm); --session ID resumes one.
Type /quit (or Ctrl-D) to leave the chat.`;

function parseArgs(argv) {
  const opts = { data: '.lash-wasm', session: null, run: null };
  const words = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') { console.log(HELP); process.exit(0); }
    else if (a === '--session' || a === '--data') {
      if (!argv[i + 1]) { console.error(`${a} needs a value`); process.exit(2); }
      opts[a.slice(2)] = argv[++i];
    } else if (a.startsWith('--')) { console.error(`unknown option ${a}\n\n${HELP}`); process.exit(2); }
    else words.push(a);
  }
  if (words[0] === 'run') {
    opts.run = words.slice(1).join(' ').trim();
    if (!opts.run) { console.error('run needs a question'); process.exit(2); }
  } else if (words.length) { console.error(`unexpected ${words[0]}\n\n${HELP}`); process.exit(2); }
  return opts;
}

function providerFromEnv() {
  const configured = ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'LASH_BASE_URL'].filter((k) => process.env[k]);
  if (configured.length) {
    console.error(`note: ${configured.join(', ')} set, but real providers are not in this build yet; using the offline demo model.`);
  }
  return new OfflineDemoModel();
}

const tty = process.stdout.isTTY;
function spinner() {
  if (!tty) return () => {};
  const frames = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏';
  let i = 0;
  const t = setInterval(() => process.stdout.write(`\r${frames[i++ % frames.length]} thinking…`), 80);
  return () => { clearInterval(t); process.stdout.write('\r\x1b[K'); };
}

async function runTurn(session, text) {
  let stop = spinner(), prose = false;
  const result = await session.turn(text).streamTo((a) => {
    if (a.type === 'model_request_started') { stop(); stop = spinner(); }
    else if (a.type === 'assistant_prose_delta') { stop(); stop = () => {}; if (!prose) process.stdout.write('assistant: '); prose = true; process.stdout.write(a.text); }
    else if (a.type === 'tool_call_completed') {
      stop();
      const out = a.output.outcome;
      const shown = out.status === 'success' ? JSON.stringify(out.payload) : `${out.status}: ${out.payload?.message ?? ''}`;
      console.log(`  ⚙ ${a.name}(${JSON.stringify(a.args)}) → ${shown} (${a.duration_ms} ms)`);
    } else if (a.type === 'error') { stop(); console.log(`  ! ${a.message}`); }
  });
  stop();
  if (prose) process.stdout.write('\n');
  const u = result.usage;
  console.log(`  [${Object.keys(result.outcome)[0] === 'finished' ? 'done' : JSON.stringify(result.outcome)}; tokens in ${u.input_tokens}, out ${u.output_tokens}; turn ${result.state.turn_index}]`);
  return result;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const dir = resolve(opts.data);
  mkdirSync(dir, { recursive: true });
  const sessionId = opts.session ?? `chat-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const core = await StandardCore.builder()
    .provider(providerFromEnv())
    .model(ModelSpec.fromTokenLimits('offline-demo', null, 128000))
    .instructions('You are a helpful assistant in a terminal. Use tools for arithmetic and the clock.')
    .effectHost(new InlineEffectHost())
    .storeFactory(new FileSessionStoreFactory({ dir: `${dir}/sessions` }))
    .attachmentStore(new FileAttachmentStore({ dir: `${dir}/attachments` }))
    .processEnvStore(new FileProcessExecutionEnvStore({ dir: `${dir}/env` }))
    .tools(demoTools)
    .build();
  const session = await core.session(sessionId).open();
  const view = await session.readView();
  console.log(`session ${sessionId} (${view.messages.length} messages so far; data in ${dir})`);
  if (opts.run !== null) {
    console.log(`you: ${opts.run}`);
    await runTurn(session, opts.run);
    core.close();
    return;
  }
  for (const m of view.messages.slice(-6)) {
    const text = m.parts.filter((p) => p.kind === 'Text' || p.kind === 'Prose').map((p) => p.content).join(' ');
    if (text) console.log(`  ${m.role === 'User' ? 'you' : 'assistant'}: ${text}`);
  }
  // The line iterator buffers input, so piped lines are not lost while a turn runs.
  const rl = createInterface({ input: process.stdin, output: tty ? process.stdout : undefined, terminal: tty });
  rl.setPrompt('you: ');
  const prompt = () => (tty ? rl.prompt() : process.stdout.write('you: '));
  prompt();
  for await (const line of rl) { // ends on Ctrl-D / end of input
    if (/^\/(quit|exit)$/.test(line.trim())) break;
    if (line.trim()) {
      if (!tty) console.log(line); // echo piped input so the transcript reads naturally
      try { await runTurn(session, line); } catch (e) { console.log(`  ! ${e instanceof LashError ? `${e.code}: ` : ''}${e.message}`); }
    }
    prompt();
  }
  if (!tty) process.stdout.write('\n');
  rl.close();
  console.log(`bye. Resume with: lash-wasm --session ${sessionId}`);
  core.close();
}

main().catch((e) => { console.error(e instanceof LashError ? `${e.code}: ${e.message}` : e); process.exit(1); });
