// Sessions and turns: SessionBuilder, LashSession, TurnBuilder. The C core runs
// the turn (src/turn/turn.c); this file performs the host operations it starts
// (model calls, tool runs, attachment writes) and delivers activities and results.
import { LashError, errorFromCore, invalidArgument } from './errors.js';
import { PromptLayerEditor, withPromptMethods } from './prompt.js';
import { toolOutputFrom } from './tools.js';
import { checkObject, checkProvider, checkString, describe } from './validate.js';

const SIGNAL = Symbol('lash.signal');

// Per-core host state: installed once on the instance at build.
export function attachCoreHost(instance, live) {
  const turns = new Map(); // turn no -> run
  const tools = new Map();
  for (const provider of live.tools) for (const t of provider.tools) tools.set(t.name, t);
  const host = { turns, live, sessions: new Map() }; // sessions: id -> { store, head }
  const attachmentStore = () => live.facets.attachment_store ?? live.runtimeHostConfig?.attachmentStore;

  instance.onOp('llm.call', async (msg, signal) => {
    const run = turns.get(msg.turn);
    if (!run) throw new Error('unknown turn');
    const provider = run.provider;
    if (typeof provider.complete !== 'function')
      throw new Error(`provider \`${provider.kind}\` cannot be called from this runtime`);
    const entry = host.sessions.get(run.session.sessionId);
    const history = typeof msg.history === 'number' ? { items: entry?.history ?? [], count: msg.history, at: msg.history_at } : null;
    return provider.complete(lazyJson(msg.body, history), { signal, sessionId: run.session.sessionId });
  });

  // A wire provider's request attempt: the core built the body; the provider fetches.
  instance.onOp('http.stream', (msg, signal, push) => {
    const run = turns.get(msg.turn);
    if (!run || typeof run.provider.send !== 'function') throw new Error('unknown turn');
    return run.provider.send(msg, signal, push);
  });

  // Image bytes for a wire request: {mime, data: base64}.
  instance.onOp('attachment.get', async (msg) => {
    const store = attachmentStore();
    if (typeof store?.get !== 'function') throw new Error('the attachment store cannot read images');
    const { meta, bytes } = await store.get(msg.id);
    const type = meta?.media_type?.type ?? 'png';
    return { mime: `${meta?.media_type?.kind ?? 'image'}/${type}`, data: base64(bytes) };
  });

  instance.onOp('tool.call', async (msg, signal) => {
    const run = turns.get(msg.turn);
    const tool = tools.get(msg.name);
    const start = performance.now();
    if (!tool || !run) throw new Error('Tool is unavailable in this session');
    const ctx = {
      sessionId: msg.session_id,
      toolCallId: msg.call_id,
      signal,
      completionKey: () => ({ scope: { type: 'turn', session_id: msg.session_id, turn_id: run.turnId }, wait: { type: 'tool_completion', tool_call_id: msg.call_id } }),
    };
    let output;
    try {
      output = toolOutputFrom(await tool.execute(msg.args, ctx));
    } catch (err) {
      if (signal.aborted) throw err;
      const message = err?.message ?? String(err);
      output = { outcome: { status: 'failure', payload: { class: 'execution', code: 'tool_error', message, source: 'tool', retry: { type: 'never' }, raw: message } } };
    }
    return { output, duration_ms: Math.max(0, Math.round(performance.now() - start)) };
  });

  instance.onOp('attachment.put', async (msg) => {
    const run = turns.get(msg.turn);
    const bytes = run?.blobs?.[msg.label];
    const store = attachmentStore();
    if (!bytes) throw new Error(`missing blob for id '${msg.label}'`);
    if (typeof store?.put !== 'function') throw new Error('the attachment store cannot store images');
    return store.put(bytes, { media_type: { kind: 'image', type: 'png' }, label: msg.label });
  });

  // The final (and progress) commits of a turn go to the session's store.
  instance.onOp('store.commit', async (msg) => {
    const run = turns.get(msg.turn);
    const entry = run && host.sessions.get(run.session.sessionId);
    if (!entry?.store) throw new Error('this session has no store');
    const result = await entry.store.commitRuntimeState(JSON.parse(utf8.decode(msg.body)));
    if (result && typeof result.head_revision === 'number') { entry.head = result.head_revision; entry.fresh = false; }
    return result;
  });

  // The core's renderings of committed messages, mirrored so requests can name them.
  instance.onNotify('history.reset', (msg) => { mirrorOf(host, msg.session).history = []; });
  instance.onNotify('history.push', (msg) => { mirrorOf(host, msg.session).history.push(utf8.decode(msg.body)); });

  instance.onNotify('activity', (msg) => turns.get(msg.turn)?.activity(msg.activity));
  // TraceRecords (only sent when the core was built with a sink). lash logs a failed
  // append and carries on: a sink that throws or rejects never fails the turn.
  const traceSink = live.trace?.sink;
  if (traceSink) {
    const append = typeof traceSink === 'function' ? (r) => traceSink(r) : (r) => traceSink.append(r);
    instance.onNotify('trace', (msg) => {
      try {
        const p = append(msg.record);
        if (p && typeof p.then === 'function') p.then(undefined, () => {});
      } catch { /* ignored, as lash ignores a failed append */ }
    });
  }
  instance.onNotify('turn.done', (msg) => {
    const run = turns.get(msg.turn);
    if (!run) return;
    turns.delete(msg.turn);
    const entry = host.sessions.get(run.session.sessionId);
    if (entry && typeof msg.done.head_revision === 'number') entry.head = msg.done.head_revision;
    if (msg.done.error) run.fail(errorFromCore(msg.done.error));
    else run.done(msg.done.result);
  });
  instance.onPoison((err) => {
    for (const run of turns.values()) run.fail(err);
    turns.clear();
  });
  instance.host = host;
  return host;
}

// An LlmRequest that parses its JSON text on first access: a provider that never
// reads the request (or only keeps it) costs nothing per history message.
const REQUEST_KEYS = ['model', 'messages', 'attachments', 'tools', 'tool_choice', 'model_variant', 'generation',
  'session_id', 'output_spec'];
const utf8 = new TextDecoder();
function lazyJson(bytes, history) {
  // history: the mirrored renderings (the array is replaced on reset, so holding it is safe)
  const items = history?.items, count = history?.count ?? 0;
  let parsed = null;
  const get = () => {
    if (parsed) return parsed;
    parsed = JSON.parse(utf8.decode(bytes));
    if (history) {
      const past = [];
      for (let i = 0; i < count; i++) if (items[i]) past.push(JSON.parse(items[i]));
      parsed.messages.splice(history.at, 0, ...past);
    }
    return parsed;
  };
  const obj = {};
  for (const key of REQUEST_KEYS) {
    Object.defineProperty(obj, key, { enumerable: true, configurable: true, get: () => get()[key] });
  }
  Object.defineProperty(obj, 'toJSON', { value: () => get() });
  return obj;
}

// lash open(): load by residency; an empty active path heals to a full load.
async function loadForOpen(store, residency) {
  try {
    if (residency === 'active_path_only') {
      const read = await store.loadSession({ type: 'active_path', leaf_node_id: null });
      if (read && read.graph?.nodes?.length) return read;
      return await store.loadSession({ type: 'full_graph' });
    }
    return await store.loadSession({ type: 'full_graph' });
  } catch (e) {
    throw new LashError('Session', `runtime session error: failed to load store: ${e?.message ?? e}`);
  }
}

// Another handle (another core, another process) may have committed since we
// last looked: re-read the head before a turn (lash refresh_session_graph_from_store).
async function refreshIfStale(instance, live, sessionId) {
  const entry = instance.host.sessions.get(sessionId);
  if (!entry?.store || entry.fresh || typeof entry.store.headRevision !== 'function') return;
  const rev = await entry.store.headRevision();
  if ((rev ?? null) === (entry.head ?? null)) return;
  const loaded = await loadForOpen(entry.store, live.residency);
  if (callCore(instance, 'lash_session_open', { session_id: sessionId, refresh: true, loaded }) !== 0) throw instance.lastError();
  entry.head = loaded?.head_revision ?? null;
}

function mirrorOf(host, sessionId) {
  let entry = host.sessions.get(sessionId);
  if (!entry) host.sessions.set(sessionId, (entry = { store: null, head: null, handles: 0, fresh: false }));
  entry.history ??= [];
  return entry;
}

function callCore(instance, fn, request) {
  const rc = instance.withBytes(JSON.stringify(request), (p, n) => instance.call(fn, p, n));
  return rc;
}

export class SessionBuilder {
  #instance; #live; #info; #id;
  #provider = null;
  #spec = null;
  #parent = null;
  #store = null;
  #error = null;
  prompt = new PromptLayerEditor();

  constructor(instance, live, info, id) {
    this.#instance = instance;
    this.#live = live;
    this.#info = info;
    this.#id = id;
    this.#error = checkString('sessionId', id, { nonEmpty: true });
  }

  _fail(err) { this.#error ??= err; return this; }

  provider(p) {
    const err = checkProvider('provider', p);
    if (!err) this.#provider = p;
    return this._fail(err);
  }
  sessionSpec(spec) {
    const err = checkObject('sessionSpec', spec);
    if (!err) this.#spec = structuredClone(spec);
    return this._fail(err);
  }
  parent(id) {
    const err = checkString('parent', id, { nonEmpty: true });
    if (!err) this.#parent = id;
    return this._fail(err);
  }
  store(store) {
    const err = checkObject('store', store);
    if (!err) this.#store = store;
    return this._fail(err);
  }

  open() { return this.#open(false); }
  openFresh() { return this.#open(true); }

  async #open(fresh) {
    if (this.#error) throw this.#error;
    const instance = this.#instance;
    if (instance.poisoned) throw instance.poisoned;
    const id = this.#id;
    // lash create_store: an explicit store wins, else the root factory's store for this id
    let store = this.#store;
    const factory = this.#live.facets.store_factory;
    if (!store && factory) {
      const relation = this.#parent ? { kind: 'child', parent_session_id: this.#parent } : { kind: 'root' };
      try {
        store = await factory.createStore({ session_id: id, relation, policy: { ...this.#info.policy, session_id: id } });
      } catch (e) {
        throw new LashError('StoreFactory', `failed to create store for session \`${id}\`: ${e?.message ?? e}`, { sessionId: id });
      }
    }
    const loaded = store && !fresh ? await loadForOpen(store, this.#live.residency) : null;
    const spec = this.#spec ? { ...this.#spec } : {};
    if (this.prompt.layer) spec.prompt = this.prompt.layer;
    const req = { session_id: id, fresh, spec, has_store: !!store, loaded };
    if (this.#provider) req.provider_kind = this.#provider.kind;
    if (callCore(instance, 'lash_session_open', req) !== 0) throw instance.lastError();
    const entry = instance.host.sessions.get(id);
    // an open_fresh session ignores the stored head until its first commit replaces it
    const mirror = mirrorOf(instance.host, id); // created by the core's history.reset if new
    mirror.store = store;
    mirror.head = loaded?.head_revision ?? mirror.head ?? null;
    mirror.handles = (entry ? mirror.handles : 0) + 1;
    mirror.fresh = fresh;
    return new LashSession(instance, this.#live, id, this.#provider ?? this.#live.provider, this.#parent);
  }
}
withPromptMethods(SessionBuilder, (b) => b.prompt);

export class LashSession {
  #instance; #live; #provider; #parent;
  #tail = Promise.resolve(); // one writer at a time per handle
  #runs = new Set();
  #closed = false;

  constructor(instance, live, id, provider, parent) {
    this.#instance = instance;
    this.#live = live;
    this.sessionId = id;
    this.#provider = provider;
    this.#parent = parent;
  }

  get parentSessionId() { return this.#parent; }

  turn(input) { return new TurnBuilder(this, input); }

  cancelRunningTurns() {
    let n = 0;
    for (const run of this.#runs) if (run.cancel()) n++;
    return n;
  }

  async readView() {
    if (callCore(this.#instance, 'lash_session_read_view', { session_id: this.sessionId }) !== 0) throw this.#instance.lastError();
    return JSON.parse(this.#instance.readResult('lash_core_result'));
  }

  // lash SessionUsageReport over the session's token ledger (no transcript copied).
  async usageReport() {
    if (callCore(this.#instance, 'lash_session_read_view', { session_id: this.sessionId, messages: false }) !== 0) throw this.#instance.lastError();
    const view = JSON.parse(this.#instance.readResult('lash_core_result'));
    return usageReport(view.token_ledger ?? []);
  }

  /** Close this handle; when the last handle of the session closes, the core
   * releases its in-memory state (committed state stays in the store). */
  close() {
    if (this.#closed) return;
    this.#closed = true;
    const instance = this.#instance;
    const entry = instance.host.sessions.get(this.sessionId);
    if (!entry || --entry.handles > 0 || instance.poisoned) return;
    const release = () => {
      if (entry.handles > 0 || instance.poisoned) return;
      instance.host.sessions.delete(this.sessionId);
      callCore(instance, 'lash_session_close', { session_id: this.sessionId });
    };
    this.#tail.then(release, release); // after any turn still running on this handle
  }

  // Internal: run one turn after the previous one on this handle has finished.
  _run(request, { provider, sink, signal, blobs }) {
    if (this.#closed) return Promise.reject(new LashError('SessionClosed', `session \`${this.sessionId}\` is closed`));
    const go = () => refreshIfStale(this.#instance, this.#live, this.sessionId).then(() => new Promise((resolve, reject) => {
      const instance = this.#instance;
      if (instance.poisoned) return reject(instance.poisoned);
      const activeProvider = provider ?? this.#provider;
      if (!activeProvider) return reject(new LashError('Runtime', 'runtime turn error: llm_provider: no provider is configured for this session', { runtimeCode: 'llm_provider' }));
      const req = { session_id: this.sessionId, ...request, provider_kind: activeProvider.kind, turn_provider: !!provider,
        cancelled: !!signal?.aborted };
      if (typeof activeProvider.send === 'function' && activeProvider.wireConfig) req.provider_http = activeProvider.wireConfig;
      const activities = [];
      let no = 0;
      let sinkChain = Promise.resolve(); // lash awaits each emit: keep order, settle before the result
      const run = {
        session: this, provider: activeProvider, blobs, turnId: request.turn_id,
        activity: (a) => {
          activities.push(a);
          if (sink) {
            sinkChain = sinkChain.then(() => sink(a)).catch(() => {}); // a sink never aborts the turn
          }
        },
        done: (result) => { cleanup(); sinkChain.then(() => resolve({ result: wrapResult(result), activities })); },
        fail: (err) => { cleanup(); reject(err); },
        cancel: () => {
          if (!no || instance.poisoned) return false;
          const hit = instance.call('lash_turn_cancel', no) === 1;
          instance.flush();
          return hit;
        },
      };
      const onAbort = () => run.cancel();
      const cleanup = () => { this.#runs.delete(run); signal?.removeEventListener('abort', onAbort); };
      no = callCore(instance, 'lash_turn_start', req);
      if (no <= 0) return reject(instance.lastError());
      instance.host.turns.set(no, run);
      this.#runs.add(run);
      signal?.addEventListener('abort', onAbort, { once: true });
      instance.flush();
    }));
    const p = this.#tail.then(go, go);
    this.#tail = p.catch(() => {});
    return p;
  }
}

function wrapResult(result) {
  return Object.defineProperties(result, {
    assistantMessage: { value() { return result.outcome?.finished?.assistant_message?.text ?? null; } },
    isSuccess: { value() { return !!(result.outcome?.finished || result.outcome?.agent_frame_switch); } },
    submittedValue: { value() { return result.outcome?.finished?.submitted_value?.value; } },
    toolValue: { value() { return result.outcome?.finished?.tool_value; } },
  });
}

function totals(u) {
  const total = u.input_tokens + u.output_tokens + u.reasoning_tokens;
  return { input_tokens: u.input_tokens, output_tokens: u.output_tokens, cached_input_tokens: u.cached_input_tokens,
    reasoning_tokens: u.reasoning_tokens, total_tokens: total, context_total_tokens: total + u.cached_input_tokens };
}
const zero = () => ({ input_tokens: 0, output_tokens: 0, cached_input_tokens: 0, reasoning_tokens: 0 });
const add = (a, b) => { for (const k of Object.keys(a)) a[k] += b[k] ?? 0; return a; };

function usageReport(entries) {
  const total = zero(), bySource = {}, byModel = {};
  for (const e of entries) {
    add(total, e.usage);
    add((bySource[e.source] ??= zero()), e.usage);
    add((byModel[e.model] ??= zero()), e.usage);
  }
  const sorted = (o) => Object.fromEntries(Object.keys(o).sort().map((k) => [k, totals(o[k])]));
  return {
    entry_count: entries.length, usage: totals(total), by_source: sorted(bySource), by_model: sorted(byModel),
    by_source_model: entries.map((e) => ({ source: e.source, model: e.model, usage: totals(add(zero(), e.usage)) })),
  };
}

function normalizeInput(input) {
  if (typeof input === 'string') return [{ items: [{ type: 'text', text: input }] }, null];
  const err = checkObject('input', input);
  if (err) throw err;
  if (!Array.isArray(input.items)) throw invalidArgument('input', 'expected { items: [...] }');
  const blobs = input.image_blobs ?? {};
  if (checkObject('input.image_blobs', blobs)) throw invalidArgument('input.image_blobs', `expected an object, got ${describe(blobs)}`);
  const turnInput = { items: input.items };
  if (input.trace_turn_id != null) turnInput.trace_turn_id = input.trace_turn_id;
  const bytes = {};
  for (const [id, b] of Object.entries(blobs)) bytes[id] = b instanceof Uint8Array ? b : Uint8Array.from(b);
  return [turnInput, bytes];
}

export class TurnBuilder {
  #session; #input; #error = null;
  #signal = null; #turnId = null; #provider = null; #model = null;
  prompt = new PromptLayerEditor();

  constructor(session, input) {
    this.#session = session;
    try {
      this.#input = normalizeInput(input);
    } catch (e) {
      this.#error = e;
    }
  }

  _fail(err) { this.#error ??= err; return this; }

  signal(abortSignal) {
    const ok = abortSignal && typeof abortSignal.aborted === 'boolean' && typeof abortSignal.addEventListener === 'function';
    if (ok) this.#signal = abortSignal;
    return this._fail(ok ? null : invalidArgument('signal', 'expected an AbortSignal'));
  }
  turnId(id) {
    const err = checkString('turnId', id, { nonEmpty: true });
    if (!err) this.#turnId = id;
    return this._fail(err);
  }
  provider(p) {
    const err = checkProvider('provider', p);
    if (!err) this.#provider = p;
    return this._fail(err);
  }
  model(spec) {
    const err = checkObject('model', spec);
    if (!err) this.#model = structuredClone(spec);
    return this._fail(err);
  }

  #start(sink) {
    if (this.#error) return Promise.reject(this.#error);
    const [input, blobs] = this.#input;
    const request = { input, blob_ids: Object.keys(blobs ?? {}) };
    const turnId = this.#turnId ?? input.trace_turn_id;
    if (turnId) request.turn_id = turnId;
    if (this.#model) request.model = this.#model;
    if (this.prompt.layer) request.prompt = this.prompt.layer;
    return this.#session._run(request, { provider: this.#provider, sink, signal: this.#signal, blobs });
  }

  /** Run the turn: { result, activities }. */
  run() { return this.#start(null); }

  /** Run, handing every activity to sink (a function or { emit }); resolves to the TurnResult. */
  async streamTo(sink) {
    const fn = typeof sink === 'function' ? sink : typeof sink?.emit === 'function' ? (a) => sink.emit(a) : null;
    if (!fn) throw invalidArgument('sink', 'expected a function or an object with emit(activity)');
    return (await this.#start(fn)).result;
  }

  /** An async iterable of activities; `.result` resolves to the TurnResult. */
  stream() {
    const queue = [];
    let wake = null, finished = false, failure = null;
    const push = (a) => { queue.push(a); wake?.(); };
    const started = this.#start(push);
    const result = started.then((o) => o.result);
    started.then(() => { finished = true; wake?.(); }, (e) => { failure = e; finished = true; wake?.(); });
    result.catch(() => {}); // observed through .result or the iterator
    return {
      result,
      async *[Symbol.asyncIterator]() {
        for (;;) {
          if (queue.length) { yield queue.shift(); continue; }
          if (finished) { if (failure) throw failure; return; }
          await new Promise((r) => { wake = r; });
          wake = null;
        }
      },
    };
  }
}
withPromptMethods(TurnBuilder, (b) => b.prompt);

function base64(bytes) {
  if (typeof Buffer === 'function') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}
