// Sessions: SessionBuilder and LashSession. The core keeps a session's committed
// state (src/session/); this side opens it from its store, keeps handles and runs
// one turn at a time per handle (./turn.js).
import { STATUS_SESSION, STATUS_SESSION_CLOSED, STATUS_STORE_FACTORY } from '../core/ops.js';
import { statusError } from '../errors.js';
import { PromptLayerEditor, withPromptMethods } from '../prompt.js';
import { checkObject, checkProvider, checkString } from '../validate.js';
import { TurnBuilder, startTurn } from './turn.js';

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
    throw statusError(STATUS_SESSION, { detail: `failed to load store: ${e?.message ?? e}` });
  }
}

// Another handle (another core, another process) may have committed since we
// last looked: re-read the head before a turn (lash refresh_session_graph_from_store).
async function refreshIfStale(state, sessionId) {
  const entry = state.sessions.get(sessionId);
  if (!entry?.store || entry.fresh || typeof entry.store.headRevision !== 'function') return;
  const rev = await entry.store.headRevision();
  if ((rev ?? null) === (entry.head ?? null)) return;
  const loaded = await loadForOpen(entry.store, state.live.residency);
  const { instance } = state;
  if (instance.callJson('lash_session_open', { session_id: sessionId, refresh: true, loaded }) !== 0) throw instance.lastError();
  entry.head = loaded?.head_revision ?? null;
}

// lash StoreFactory error: the factory could not create (or delete) a session's store.
export function storeFactoryError(id, e) {
  return statusError(STATUS_STORE_FACTORY, { argument: id, detail: `${e?.message ?? e}` }, { sessionId: id });
}

export class SessionBuilder {
  #state; #info; #id;
  #provider = null;
  #spec = null;
  #parent = null;
  #store = null;
  #error = null;
  prompt = new PromptLayerEditor();

  constructor(state, info, id) {
    this.#state = state;
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
    const state = this.#state, { instance, live } = state;
    if (instance.poisoned) throw instance.poisoned;
    const id = this.#id;
    // lash create_store: an explicit store wins, else the root factory's store for this id
    let store = this.#store;
    const factory = live.facets.store_factory;
    if (!store && factory) {
      const relation = this.#parent ? { kind: 'child', parent_session_id: this.#parent } : { kind: 'root' };
      try {
        store = await factory.createStore({ session_id: id, relation, policy: { ...this.#info.policy, session_id: id } });
      } catch (e) {
        throw storeFactoryError(id, e);
      }
    }
    const loaded = store && !fresh ? await loadForOpen(store, live.residency) : null;
    const spec = this.#spec ? { ...this.#spec } : {};
    if (this.prompt.layer) spec.prompt = this.prompt.layer;
    const req = { session_id: id, fresh, spec, has_store: !!store, loaded };
    if (this.#provider) req.provider_kind = this.#provider.kind;
    if (instance.callJson('lash_session_open', req) !== 0) throw instance.lastError();
    const known = state.sessions.has(id);
    // an open_fresh session ignores the stored head until its first commit replaces it
    const entry = state.session(id); // created by the core's history.reset if new
    entry.store = store;
    entry.head = loaded?.head_revision ?? entry.head ?? null;
    entry.handles = (known ? entry.handles : 0) + 1;
    entry.fresh = fresh;
    return new LashSession(state, id, this.#provider ?? live.provider, this.#parent);
  }
}
withPromptMethods(SessionBuilder, (b) => b.prompt);

export class LashSession {
  #state; #provider; #parent;
  #tail = Promise.resolve(); // one writer at a time per handle
  #runs = new Set();
  #closed = false;

  constructor(state, id, provider, parent) {
    this.#state = state;
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

  #readView(request) {
    const { instance } = this.#state;
    if (instance.callJson('lash_session_read_view', request) !== 0) throw instance.lastError();
    return JSON.parse(instance.readResult('lash_core_result'));
  }

  async readView() { return this.#readView({ session_id: this.sessionId }); }

  // lash SessionUsageReport over the session's token ledger (no transcript copied).
  async usageReport() {
    const view = this.#readView({ session_id: this.sessionId, messages: false });
    return usageReport(view.token_ledger ?? []);
  }

  /** Close this handle; when the last handle of the session closes, the core
   * releases its in-memory state (committed state stays in the store). */
  close() {
    if (this.#closed) return;
    this.#closed = true;
    const state = this.#state, { instance } = state;
    const entry = state.sessions.get(this.sessionId);
    if (!entry || --entry.handles > 0 || instance.poisoned) return;
    const release = () => {
      if (entry.handles > 0 || instance.poisoned) return;
      state.sessions.delete(this.sessionId);
      instance.callJson('lash_session_close', { session_id: this.sessionId });
    };
    this.#tail.then(release, release); // after any turn still running on this handle
  }

  // Internal: run one turn after the previous one on this handle has finished.
  _run(request, options) {
    if (this.#closed) return Promise.reject(statusError(STATUS_SESSION_CLOSED, { argument: this.sessionId }));
    const go = () => refreshIfStale(this.#state, this.sessionId)
      .then(() => startTurn(this.#state, this, this.#provider, this.#runs, request, options));
    const p = this.#tail.then(go, go);
    this.#tail = p.catch(() => {});
    return p;
  }
}

// lash SessionUsageReport over a session's token ledger.
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
