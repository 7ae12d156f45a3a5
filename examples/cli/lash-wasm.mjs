#!/usr/bin/env node
// lash-wasm: an agent in your terminal. Sessions persist in durable file stores.
//   lash-wasm                      interactive chat (a new session)
//   lash-wasm --session ID         resume (or start) session ID
//   lash-wasm run "question"       one turn, then exit (combine with --session)
//   options: --data DIR (default ./.lash-wasm), --provider, --model, --help
// The model comes from the environment (see providers.js); without any, the offline demo model.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import {
  StandardCore, InlineEffectHost, FileSessionStoreFactory, FileAttachmentStore,
  FileProcessExecutionEnvStore, LashError,
} from '../../js/node.js';
import { demoTools } from './demo-model.js';
import { chooseProvider, choiceForKind, PROVIDER_CHOICES, UsageError } from './providers.js';

const HELP = `lash-wasm: an agent session in your terminal

usage: lash-wasm [--session ID] [options]                 interactive chat
       lash-wasm run "question" [--session ID] [options]  one turn, then exit

options:
  --session ID      resume (or start) session ID; sessions are saved under DIR
  --data DIR        where sessions live (default ./.lash-wasm)
  --provider NAME   ${PROVIDER_CHOICES.join(' | ')} (default: from the environment)
  --model ID        the model name (default: LASH_MODEL, else the provider's default)

The model, from the environment (the first one set wins):
  LASH_BASE_URL + LASH_MODEL [+ LASH_API_KEY]   an OpenAI-compatible Chat Completions server
                                                (llama.cpp, vLLM, OpenRouter: e.g. http://127.0.0.1:8080/v1)
  ANTHROPIC_API_KEY [+ ANTHROPIC_BASE_URL]      Anthropic Messages (default model claude-sonnet-4-5)
  OPENAI_API_KEY [+ OPENAI_BASE_URL]            OpenAI Responses (default model gpt-4.1-mini)
  none of them                                  the offline demo model (deterministic, no LLM)
A session stays bound to the provider it was started with.

In the chat: Ctrl-C cancels a running turn (at the prompt it leaves), /quit or Ctrl-D leaves.`;

function parseArgs(argv) {
  const opts = { data: '.lash-wasm', session: null, run: null, provider: null, model: null };
  const words = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') { console.log(HELP); process.exit(0); }
    else if (['--session', '--data', '--provider', '--model'].includes(a)) {
      if (!argv[i + 1]) usage(`${a} needs a value`);
      opts[a.slice(2)] = argv[++i];
    } else if (a.startsWith('--')) usage(`unknown option ${a}\n\n${HELP}`);
    else words.push(a);
  }
  if (words[0] === 'run') {
    opts.run = words.slice(1).join(' ').trim();
    if (!opts.run) usage('run needs a question');
  } else if (words.length) usage(`unexpected ${words[0]}\n\n${HELP}`);
  return opts;
}

function usage(message) { console.error(message); process.exit(2); }

const oneLine = (s) => String(s).replace(/\s+/g, ' ').trim();

// The session's recorded provider id (null for a session with no commit yet).
async function recordedProvider(factory, sessionId) {
  const store = await factory.openExistingStore({ session_id: sessionId });
  const read = store && await store.loadSession({ type: 'active_path', leaf_node_id: null });
  return read?.config?.provider_id ?? null;
}

function bindingHint(sessionId, recorded, live) {
  const flag = choiceForKind(recorded);
  return `session ${sessionId} was started with provider \`${recorded}\`, but this run uses \`${live}\`; ` +
    `a session stays bound to its provider. Resume it with the same provider${flag ? ` (--provider ${flag})` : ''}, or start a new --session.`;
}

// lash's turn-start refusal, should the session be bound to another provider after all.
const isBindingError = (e) => e instanceof LashError && e.runtimeCode === 'llm_provider' && /is bound to provider/.test(e.message);

const tty = process.stdout.isTTY;
function spinner() {
  if (!tty) return () => {};
  const frames = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏';
  let i = 0;
  const t = setInterval(() => process.stdout.write(`\r${frames[i++ % frames.length]} thinking…`), 80);
  return () => { clearInterval(t); process.stdout.write('\r\x1b[K'); };
}

function outcomeText(outcome) {
  if (outcome.finished !== undefined) return 'done';
  if (outcome.stopped === 'cancelled') return 'cancelled';
  if (outcome.stopped === 'provider_error') return 'stopped: provider error';
  return `stopped: ${oneLine(JSON.stringify(outcome.stopped ?? outcome))}`;
}

// The turn running now (its AbortController), for Ctrl-C.
let running = null;

async function runTurn(session, text) {
  let stop = spinner(), prose = false;
  const endProse = () => { if (prose) { process.stdout.write('\n'); prose = false; } };
  const ac = new AbortController();
  running = ac;
  let result;
  try {
    result = await session.turn(text).signal(ac.signal).streamTo((a) => {
      if (a.type === 'model_request_started') { stop(); stop = spinner(); }
      else if (a.type === 'assistant_prose_delta') {
        stop(); stop = () => {};
        if (!prose) process.stdout.write('assistant: ');
        prose = true;
        process.stdout.write(a.text);
      } else if (a.type === 'tool_call_completed') {
        stop(); endProse();
        const out = a.output.outcome;
        const shown = out.status === 'success' ? JSON.stringify(out.payload) : `${out.status}: ${out.payload?.message ?? ''}`;
        console.log(`  ⚙ ${a.name}(${JSON.stringify(a.args)}) → ${shown} (${a.duration_ms} ms)`);
      } else if (a.type === 'retry_status') {
        stop(); endProse();
        console.log(`  … attempt ${a.attempt} of ${a.max_attempts} failed (${oneLine(a.reason)}); retrying in ${a.wait_seconds} s`);
        stop = spinner();
      } else if (a.type === 'error') { stop(); endProse(); console.log(`  ! ${oneLine(a.message)}`); }
    });
  } finally {
    running = null;
    stop();
  }
  endProse();
  const u = result.usage;
  console.log(`  [${outcomeText(result.outcome)}; tokens in ${u.input_tokens}, out ${u.output_tokens}; turn ${result.state.turn_index}]`);
  return result;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  let chosen;
  try {
    chosen = chooseProvider(process.env, opts);
  } catch (e) {
    if (e instanceof UsageError || e instanceof LashError) usage(`lash-wasm: ${e.message}`);
    throw e;
  }
  const dir = resolve(opts.data);
  mkdirSync(dir, { recursive: true });
  const sessionId = opts.session ?? `chat-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const storeFactory = new FileSessionStoreFactory({ dir: `${dir}/sessions` });
  const core = await StandardCore.builder()
    .provider(chosen.provider)
    .model(chosen.model)
    .instructions('You are a helpful assistant in a terminal. Use tools for arithmetic and the clock.')
    .effectHost(new InlineEffectHost())
    .storeFactory(storeFactory)
    .attachmentStore(new FileAttachmentStore({ dir: `${dir}/attachments` }))
    .processEnvStore(new FileProcessExecutionEnvStore({ dir: `${dir}/env` }))
    .tools(demoTools)
    .build();
  console.log(`provider: ${chosen.label}`);
  const recorded = await recordedProvider(storeFactory, sessionId);
  if (recorded !== null && recorded !== chosen.kind) {
    console.error(`lash-wasm: ${bindingHint(sessionId, recorded, chosen.kind)}`);
    core.close();
    process.exitCode = 2;
    return;
  }
  const session = await core.session(sessionId).open();
  const view = await session.readView();
  console.log(`session ${sessionId} (${view.messages.length} messages so far; data in ${dir})`);

  // Ctrl-C: cancel the running turn; with none running, leave.
  let rl = null;
  const interrupt = () => {
    if (running && !running.signal.aborted) { running.abort(); return; }
    if (running) process.exit(130); // a second Ctrl-C while the cancel settles
    if (rl) rl.close(); else process.exit(130);
  };
  process.on('SIGINT', interrupt);

  const turn = async (text) => {
    try {
      return await runTurn(session, text);
    } catch (e) {
      if (isBindingError(e)) console.log(`  ! ${bindingHint(sessionId, /bound to provider `([^`]*)`/.exec(e.message)?.[1] ?? '?', chosen.kind)}`);
      else console.log(`  ! ${e instanceof LashError ? `${e.code}: ` : ''}${oneLine(e.message)}`);
      return null;
    }
  };

  if (opts.run !== null) {
    console.log(`you: ${opts.run}`);
    const result = await turn(opts.run);
    core.close();
    if (result?.outcome.stopped === 'cancelled') process.exitCode = 130;
    else if (!result || result.outcome.stopped !== undefined) process.exitCode = 1;
    return;
  }
  for (const m of view.messages.slice(-6)) {
    const text = m.parts.filter((p) => p.kind === 'Text' || p.kind === 'Prose').map((p) => p.content).join(' ');
    if (text) console.log(`  ${m.role === 'User' ? 'you' : 'assistant'}: ${text}`);
  }
  // The line iterator buffers input, so piped lines are not lost while a turn runs.
  rl = createInterface({ input: process.stdin, output: tty ? process.stdout : undefined, terminal: tty });
  rl.on('SIGINT', interrupt); // a terminal's Ctrl-C reaches readline, not the process
  rl.setPrompt('you: ');
  const prompt = () => (tty ? rl.prompt() : process.stdout.write('you: '));
  prompt();
  for await (const line of rl) { // ends on Ctrl-D / end of input / Ctrl-C at the prompt
    if (/^\/(quit|exit)$/.test(line.trim())) break;
    if (line.trim()) {
      if (!tty) console.log(line); // echo piped input so the transcript reads naturally
      await turn(line);
    }
    prompt();
  }
  if (!tty) process.stdout.write('\n');
  rl.close();
  console.log(`bye. Resume with: lash-wasm --session ${sessionId}`);
  core.close();
}

main().catch((e) => { console.error(e instanceof LashError ? `${e.code}: ${e.message}` : e); process.exit(1); });
