// The web demo: sessions in IndexedDB, streaming turns, tool rows, a stop button,
// and a provider panel (offline demo model, OpenAI Responses, OpenAI-compatible,
// Anthropic). Plain ES modules from the package, no bundler. The offline demo model
// is the same deterministic stand-in the CLI uses, and the default.
//
// API keys live in one place: the `keys` object below, in page memory. They are never
// written to localStorage, IndexedDB or the URL; a reload forgets them.
import {
  StandardCore, ModelSpec, InlineEffectHost, IndexedDbSessionStoreFactory, IndexedDbAttachmentStore,
  IndexedDbProcessExecutionEnvStore, OpenAiCompatibleProvider, OpenAiResponsesProvider, AnthropicProvider,
} from '../js/index.js';
import { OfflineDemoModel, demoTools } from '../examples/cli/demo-model.js';

const $ = (id) => document.getElementById(id);
const DB = new URLSearchParams(location.search).get('db') ?? 'lash-web-demo';
// The session list lives in localStorage: ids and each session's provider settings (no keys).
const INDEX_KEY = `${DB}:sessions`;
const state = { core: null, session: null, id: null, running: null, openedWith: null };

// The provider choices; `kind` is the provider id a session is bound to.
const PROVIDERS = {
  offline: { kind: 'offline-demo', label: 'offline demo', baseUrl: '', model: 'offline-demo', context: 128000 },
  openai: { kind: 'openai', label: 'OpenAI Responses', baseUrl: 'https://api.openai.com/v1', model: 'gpt-4.1-mini', context: 128000, needsKey: true },
  compatible: { kind: 'openai-compatible', label: 'OpenAI-compatible', baseUrl: 'http://127.0.0.1:8080/v1', model: '', context: 128000 },
  anthropic: { kind: 'anthropic', label: 'Anthropic', baseUrl: 'https://api.anthropic.com', model: 'claude-sonnet-4-5', context: 200000, needsKey: true },
};
const OFFLINE = { choice: 'offline', baseUrl: '', model: 'offline-demo' };
const keys = {}; // choice -> API key, page memory only
const drafts = {}; // choice -> { baseUrl, model } typed in the panel (page memory)

// Entries: { id, provider: { choice, baseUrl, model } }; a bare id (older demo) is an offline session.
const listSessions = () => JSON.parse(localStorage.getItem(INDEX_KEY) ?? '[]')
  .map((e) => (typeof e === 'string' ? { id: e, provider: OFFLINE } : e));
const saveSessions = (entries) => localStorage.setItem(INDEX_KEY, JSON.stringify(entries));
const entryOf = (id) => listSessions().find((e) => e.id === id) ?? { id, provider: OFFLINE };
const updateEntry = (id, provider) => saveSessions(listSessions().map((e) => (e.id === id ? { id, provider } : e)));
const status = (text) => { $('status').textContent = text; };
const describe = (cfg) => `${PROVIDERS[cfg.choice].label}${cfg.choice === 'offline' ? '' : ` · ${cfg.model}`}`;
const sameConfig = (a, b) => a.choice === b.choice && a.baseUrl === b.baseUrl && a.model === b.model;

// The panel's settings (what a new session gets).
function panelConfig() {
  const choice = $('provider').value;
  if (choice === 'offline') return OFFLINE;
  return { choice, baseUrl: $('base-url').value.trim() || PROVIDERS[choice].baseUrl, model: $('model').value.trim() };
}

function makeProvider(cfg) {
  const apiKey = keys[cfg.choice] ?? '';
  const baseUrl = cfg.baseUrl || undefined;
  switch (cfg.choice) {
    case 'openai': return new OpenAiResponsesProvider({ apiKey, baseUrl });
    case 'compatible': return new OpenAiCompatibleProvider({ apiKey, baseUrl });
    // Anthropic answers a browser's cross-origin request only when asked to explicitly.
    case 'anthropic': return new AnthropicProvider({ apiKey, baseUrl, headers: { 'anthropic-dangerous-direct-browser-access': 'true' } });
    default: return new OfflineDemoModel();
  }
}

// Why a configuration cannot run yet (null when it can).
function missing(cfg) {
  const p = PROVIDERS[cfg.choice];
  if (cfg.choice === 'offline') return null;
  if (!cfg.model) return `${p.label} needs a model name: set it in the Provider panel.`;
  try { new URL(cfg.baseUrl); } catch { return `${p.label} needs a base URL such as ${p.baseUrl}.`; }
  if (p.needsKey && !keys[cfg.choice]) return `${p.label} needs an API key: enter it in the Provider panel (it stays in this page's memory).`;
  return null;
}

function renderProviderPanel() {
  const choice = $('provider').value;
  const p = PROVIDERS[choice];
  const offline = choice === 'offline';
  for (const id of ['base-url', 'model', 'api-key']) $(id).disabled = offline;
  $('base-url').value = offline ? '' : drafts[choice]?.baseUrl ?? p.baseUrl;
  $('model').value = offline ? '' : drafts[choice]?.model ?? p.model;
  $('base-url').placeholder = p.baseUrl;
  $('model').placeholder = choice === 'compatible' ? 'the served model, e.g. llama-3.1-8b' : p.model;
  $('api-key').value = offline ? '' : keys[choice] ?? '';
  $('api-key').placeholder = choice === 'compatible' ? 'optional; kept in page memory only' : 'kept in page memory only';
  renderProviderHint();
}

function renderProviderHint() {
  const cfg = panelConfig();
  $('provider-summary').textContent = describe(cfg);
  const current = state.id ? entryOf(state.id).provider : null;
  const hint = $('provider-hint');
  if (current && !sameConfig(current, cfg)) {
    hint.className = 'hint warn';
    hint.textContent = `New sessions will use ${describe(cfg)}. This session stays on ${describe(current)} ` +
      '(a session is bound to the provider it started with; an empty session switches on its first message).';
  } else {
    hint.className = 'hint';
    hint.textContent = 'The key stays in this page\'s memory: never stored, never in the URL; a reload forgets it. ' +
      'A new session uses these settings; a session stays bound to the provider it started with.';
  }
}

function renderSessions() {
  const ul = $('sessions');
  ul.replaceChildren(...listSessions().map(({ id, provider }) => {
    const li = document.createElement('li');
    li.textContent = id;
    li.dataset.id = id;
    li.title = describe(provider);
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

// A session handle runs with its own provider (built from the session's settings and
// the key in memory); sessions are bound to their provider's id.
async function openHandle(id) {
  const cfg = entryOf(id).provider;
  const p = PROVIDERS[cfg.choice];
  state.session = await state.core.session(id).provider(makeProvider(cfg))
    .sessionSpec({ model: ModelSpec.fromTokenLimits(cfg.model || p.model, null, p.context) })
    .open(); // reopens at its last commit
  state.openedWith = { ...cfg, key: keys[cfg.choice] ?? '' };
  $('session-provider').textContent = describe(cfg);
}

async function closeHandle() {
  state.session?.close();
  state.session = null;
  await new Promise((r) => setTimeout(r)); // the core releases a closed session right after
}

async function openSession(id) {
  if (state.running) return;
  await closeHandle();
  state.id = id;
  await openHandle(id);
  $('title').textContent = id;
  renderSessions();
  renderProviderHint();
  const view = await state.session.readView();
  renderTranscript(view);
  setBusy(false);
  $('input').focus();
  status(`session ${id}: ${view.turn_index} turns`);
}

async function newSession() {
  const id = `session-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}-${Math.random().toString(36).slice(2, 6)}`;
  saveSessions([{ id, provider: panelConfig() }, ...listSessions()]);
  await openSession(id);
}

// Before a turn: an empty session takes the panel's settings; a changed key reopens the handle.
async function readyToSend() {
  let cfg = entryOf(state.id).provider;
  const panel = panelConfig();
  if (!sameConfig(cfg, panel) && (await state.session.readView()).messages.length === 0) {
    updateEntry(state.id, panel);
    cfg = panel;
    renderSessions();
  }
  const why = missing(cfg);
  if (why) return why;
  const opened = state.openedWith;
  if (!sameConfig(opened, cfg) || opened.key !== (keys[cfg.choice] ?? '')) {
    await closeHandle();
    await openHandle(state.id);
  }
  renderProviderHint();
  return null;
}

async function send(text) {
  const ac = new AbortController();
  state.running = ac;
  setBusy(true);
  try {
    const why = await readyToSend();
    if (why) {
      row('note', why);
      $('settings').open = true;
      $('input').value = text;
      state.running = null;
      setBusy(false);
      return;
    }
  } catch (e) {
    row('note', `${e.code ?? 'error'}: ${e.message}`);
    state.running = null;
    setBusy(false);
    return;
  }
  row('user', text);
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
      } else if (a.type === 'retry_status') {
        status(`attempt ${a.attempt} of ${a.max_attempts} failed (${a.reason}); retrying in ${a.wait_seconds} s…`);
      } else if (a.type === 'error') {
        row('note', a.message);
      }
    });
    if (result.outcome.stopped) row('note', `stopped: ${JSON.stringify(result.outcome.stopped)}`);
    const u = result.usage;
    status(`turn ${result.state.turn_index} · tokens in ${u.input_tokens}, out ${u.output_tokens}`);
  } catch (e) {
    const bound = e.runtimeCode === 'llm_provider' && /bound to provider `([^`]*)`/.exec(e.message)?.[1];
    row('note', bound
      ? `This session is bound to provider \`${bound}\`; pick that provider for it, or start a new session. (${e.message})`
      : `${e.code ?? 'error'}: ${e.message}`);
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
  $('provider').onchange = () => renderProviderPanel();
  for (const id of ['base-url', 'model']) {
    $(id).oninput = () => {
      drafts[$('provider').value] = { baseUrl: $('base-url').value, model: $('model').value };
      renderProviderHint();
    };
  }
  $('api-key').oninput = () => { keys[$('provider').value] = $('api-key').value; };
  renderProviderPanel();
  $('new-session').onclick = () => { if (!state.running) newSession(); };
  $('stop').onclick = () => state.running?.abort();
  $('delete').onclick = async () => {
    const id = state.id;
    state.session.close();
    await state.core.deleteSession(id);
    saveSessions(listSessions().filter((x) => x.id !== id));
    state.session = null;
    state.id = null;
    $('title').textContent = 'No session';
    $('session-provider').textContent = '';
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
  const entries = listSessions();
  if (entries.length) await openSession(entries[0].id);
  else await newSession();
  status('ready');
  window.__demoReady = true;
}

main().catch((e) => status(`failed to start: ${e.code ?? ''} ${e.message}`));
