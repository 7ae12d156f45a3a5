// In-memory stores and registries, tier 'inline' (lash's InMemory* types): their
// data lives in this JavaScript realm and a crash loses it.

import { LashError } from '../errors.js';
import { SessionHead } from './replay.js';

class InlineTiered {
  get durabilityTier() { return 'inline'; }
}

// One session's committed state (lash InMemorySessionStore).
class InMemorySessionStore {
  #model = new SessionHead();
  #tombstones = new Set();
  meta = null;

  constructor(sessionId) { this.sessionId = sessionId; }
  get durabilityTier() { return 'inline'; }

  async headRevision() { return this.#model.head.head_revision; }

  async loadSession(scope = { type: 'full_graph' }) {
    const read = this.#model.read(this.sessionId, scope);
    if (read) read.graph.nodes = read.graph.nodes.filter((n) => !this.#tombstones.has(n.node_id));
    return read;
  }

  async loadNode(id) {
    const n = this.#model.nodes.find((x) => x.node_id === id && !this.#tombstones.has(id));
    return n ? structuredClone(n) : null;
  }

  async commitRuntimeState(commit) {
    const plan = this.#model.plan(this.sessionId, commit);
    if (plan.replay) return structuredClone(plan.replay);
    const copy = structuredClone(commit); // validated: apply in place (nothing below can fail)
    if (plan.graph.kind === 'replace') this.#tombstones.clear();
    this.#model.apply({ ...plan, graph: { ...plan.graph, nodes: copy.graph.Append?.nodes ?? copy.graph.ReplaceFull?.nodes ?? [] } }, copy);
    for (const n of plan.graph.nodes) this.#tombstones.delete(n.node_id);
    return structuredClone(plan.result);
  }

  async saveSessionMeta(meta) { this.meta = structuredClone(meta); }
  async loadSessionMeta() { return this.meta && structuredClone(this.meta); }
  async tombstoneNodes(ids) { for (const id of ids) this.#tombstones.add(id); }
  async vacuum() {
    const before = this.#model.nodes.length;
    this.#model.nodes = this.#model.nodes.filter((n) => !this.#tombstones.has(n.node_id));
    this.#tombstones.clear();
    return { removed_node_count: before - this.#model.nodes.length };
  }
}

// lash InMemorySessionStoreFactory: a store per session id, created on first use.
export class InMemorySessionStoreFactory extends InlineTiered {
  #stores = new Map();

  async createStore({ session_id, relation = { kind: 'root' }, policy } = {}) {
    let store = this.#stores.get(session_id);
    if (!store) {
      store = new InMemorySessionStore(session_id);
      store.meta = { session_id, session_name: session_id, created_at: '1970-01-01T00:00:00Z',
        model: policy?.model?.id ?? '', relation };
      this.#stores.set(session_id, store);
    }
    return store;
  }

  async openExistingStore({ session_id } = {}) { return this.#stores.get(session_id) ?? null; }
  async deleteSession(sessionId) { this.#stores.delete(sessionId); }
}

export class InMemoryProcessExecutionEnvStore extends InlineTiered {
  #envs = new Map();
  async putProcessExecutionEnv(ref, bytes) { this.#envs.set(ref, Uint8Array.from(bytes)); }
  async getProcessExecutionEnv(ref) { const b = this.#envs.get(ref); return b ? b.slice() : null; }
}
export class InMemoryTriggerStore extends InlineTiered {}
export class InMemoryProcessRegistry extends InlineTiered {}
export class InMemoryLashlangArtifactStore extends InlineTiered {}

const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');

// Content-addressed attachments: id = sha256(bytes) hex (lash AttachmentStore).
export class InMemoryAttachmentStore extends InlineTiered {
  #items = new Map();

  async put(bytes, { media_type = { kind: 'image', type: 'png' }, width, height, label } = {}) {
    const data = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
    const id = hex(await crypto.subtle.digest('SHA-256', data));
    const ref = { id, media_type, byte_len: data.length };
    if (width != null) ref.width = width;
    if (height != null) ref.height = height;
    if (label != null) ref.label = label;
    if (!this.#items.has(id)) this.#items.set(id, { ref, bytes: data.slice() });
    return ref;
  }

  async get(id) {
    const item = this.#items.get(id);
    if (!item) throw new LashError('NotFound', `attachment \`${id}\` not found`);
    return { meta: item.ref, bytes: item.bytes.slice() };
  }
}

// Live replay buffer bounds (lash: 2048 events, 120 s per session).
export class InMemoryLiveReplayStore extends InlineTiered {
  constructor({ maxEvents = 2048, ttlMs = 120000 } = {}) {
    super();
    if (!Number.isSafeInteger(maxEvents) || maxEvents <= 0) throw new RangeError('maxEvents must be a positive integer');
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError('ttlMs must be a positive number');
    this.maxEvents = maxEvents;
    this.ttlMs = ttlMs;
  }
}
