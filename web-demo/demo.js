// The web demo: sessions in IndexedDB, streaming turns, tool rows, a stop button.
// Plain ES modules from the package, no bundler. The offline demo model is the
// same deterministic stand-in the CLI uses.
import {
  StandardCore, ModelSpec, InlineEffectHost, IndexedDbSessionStoreFactory, IndexedDbAttachmentStore,
  IndexedDbProcessExecutionEnvStore,
} from '../js/index.js';
import { OfflineDemoModel, demoTools } from '../examples/cli/demo-model.js';

const $ = (id) => document.getElementById(id);
const DB = new URLSearchParams(location.search).get('db') ?? 'lash-web-demo';
const INDEX_KEY = `${DB}:sessions`; // the session list (ids only) lives in localStorage
const state = { core: null, session: null, id: null, running: null };

const listSessions = () => JSON.parse(localStorage.getItem(INDEX_KEY) ?? '[]');
const saveSessions = (ids) => localStorage.setItem(INDEX_KEY, JSON.stringify(ids));
const status = (text) => { $('status').textContent = text; };

function renderSessions() {
  const ul = $('sessions');
  ul.replaceChildren(...listSessions().map((id) => {
    const li = document.createElement('li');
    li.textContent = id;
    li.dataset.id = id;
    if (id === state.id) li.className = 'active';
    li.onclick = () => openSession(id);
    return li;
  }));
}

function row(kind, text) {
  const li = document.createElement('li');
  li.className = kind;
  li.textContent = text;
  $('transcript').append(li);
  li.scrollIntoView({ block: 'end' });
  return li;
}

function toolRow(activity) {
  const li = document.createElement('li');
  li.className = 'tool';
  li.dataset.callId = activity.call_id;
  const details = document.createElement('details');
  const summary = document.createElement('summary');
  summary.textContent = `⚙ ${activity.name} …`;
  const body = document.createElement('pre');
  body.textContent = `arguments: ${JSON.stringify(activity.args, null, 2)}`;
  details.append(summary, body);
  li.append(details);
  $('transcript').append(li);
  return li;
}

function renderTranscript(view) {
  $('transcript').replaceChildren();
  for (const m of view.messages) {
    for (const p of m.parts) {
      if (p.kind === 'Text' && m.role === 'User') row('user', p.content);
      else if (p.kind === 'Prose') row('assistant', p.content);
      else if (p.kind === 'ToolCall') row('tool', `⚙ ${p.tool_name}(${p.content})`);
      else if (p.kind === 'ToolResult') row('tool', `→ ${p.content}`);
      else if (p.kind === 'Error') row('note', p.content);
    }
  }
}

function setBusy(busy) {
  $('input').disabled = busy || !state.session;
  $('send').disabled = busy || !state.session;
  $('stop').disabled = !busy;
  $('delete').disabled = busy || !state.session;
}

async function openSession(id) {
  if (state.running) return;
  state.session?.close();
  state.id = id;
  state.session = await state.core.session(id).open(); // reopens at its last commit
  $('title').textContent = id;
  renderSessions();
  renderTranscript(await state.session.readView());
  setBusy(false);
  $('input').focus();
  status(`session ${id}: ${(await state.session.readView()).turn_index} turns`);
}

async function newSession() {
  const id = `session-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}-${Math.random().toString(36).slice(2, 6)}`;
  saveSessions([id, ...listSessions()]);
  await openSession(id);
}

async function send(text) {
  row('user', text);
  const ac = new AbortController();
  state.running = ac;
  setBusy(true);
  let prose = null;
  const tools = new Map();
  status('thinking…');
  try {
    const result = await state.session.turn(text).signal(ac.signal).streamTo((a) => {
      if (a.type === 'assistant_prose_delta') {
        prose ??= row('assistant', '');
        prose.textContent += a.text;
      } else if (a.type === 'tool_call_started') {
        tools.set(a.call_id, toolRow(a));
        status(`running ${a.name}…`);
      } else if (a.type === 'tool_call_completed') {
        const li = tools.get(a.call_id) ?? toolRow(a);
        const out = a.output.outcome;
        li.querySelector('summary').textContent = `⚙ ${a.name} → ${out.status} (${a.duration_ms} ms)`;
        li.querySelector('pre').textContent += `\noutput: ${JSON.stringify(out.payload, null, 2)}`;
      } else if (a.type === 'error') {
        row('note', a.message);
      }
    });
    if (result.outcome.stopped) row('note', `stopped: ${JSON.stringify(result.outcome.stopped)}`);
    const u = result.usage;
    status(`turn ${result.state.turn_index} · tokens in ${u.input_tokens}, out ${u.output_tokens}`);
  } catch (e) {
    row('note', `${e.code ?? 'error'}: ${e.message}`);
  } finally {
    state.running = null;
    setBusy(false);
  }
}

async function main() {
  // A slow tool for trying the stop button: "wait 10" waits ten seconds (cancellable).
  const tools = demoTools;
  state.core = await StandardCore.builder()
    .provider(new OfflineDemoModel())
    .model(ModelSpec.fromTokenLimits('offline-demo', null, 128000))
    .effectHost(new InlineEffectHost())
    .storeFactory(new IndexedDbSessionStoreFactory({ dbName: DB }))
    .attachmentStore(new IndexedDbAttachmentStore({ dbName: DB }))
    .processEnvStore(new IndexedDbProcessExecutionEnvStore({ dbName: DB }))
    .tools(tools)
    .build();
  $('new-session').onclick = () => newSession();
  $('stop').onclick = () => state.running?.abort();
  $('delete').onclick = async () => {
    const id = state.id;
    state.session.close();
    await state.core.deleteSession(id);
    saveSessions(listSessions().filter((x) => x !== id));
    state.session = null;
    state.id = null;
    $('title').textContent = 'No session';
    $('transcript').replaceChildren();
    renderSessions();
    setBusy(false);
    status(`deleted ${id}`);
  };
  $('composer').onsubmit = (e) => {
    e.preventDefault();
    const text = $('input').value.trim();
    if (!text || state.running) return;
    $('input').value = '';
    send(text);
  };
  const ids = listSessions();
  if (ids.length) await openSession(ids[0]);
  else await newSession();
  status('ready');
  window.__demoReady = true;
}

main().catch((e) => status(`failed to start: ${e.code ?? ''} ${e.message}`));
