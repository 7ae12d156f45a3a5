// In-memory stores and registries, tier 'inline' (lash's InMemory* types): their
// data lives in this JavaScript realm and a crash loses it.

import { activePath, planCommit } from './commit.js';

class InlineTiered {
  get durabilityTier() { return 'inline'; }
}

// One session's committed state (lash InMemorySessionStore).
class InMemorySessionStore {
  #head = { head_revision: null, stamps: new Map() };
  #nodes = [];
  #leaf = null;
  #rest = null; // config, frames, checkpoint of the head
  #ledger = [];
  #tombstones = new Set();
  meta = null;

  constructor(sessionId) { this.sessionId = sessionId; }
  get durabilityTier() { return 'inline'; }

  async headRevision() { return this.#head.head_revision; }

  async loadSession(scope = { type: 'full_graph' }) {
    if (this.#head.head_revision === null) return null;
    const nodes = scope.type === 'active_path'
      ? activePath(this.#nodes, scope.leaf_node_id ?? this.#leaf, this.#tombstones)
      : this.#nodes.filter((n) => !this.#tombstones.has(n.node_id));
    return structuredClone({
      session_id: this.sessionId, head_revision: this.#head.head_revision, config: this.#rest.config,
      agent_frames: this.#rest.agent_frames, current_agent_frame_id: this.#rest.current_agent_frame_id,
      graph: { nodes, leaf_node_id: this.#leaf }, checkpoint_ref: `checkpoint-${this.#head.head_revision}`,
      checkpoint: this.#rest.checkpoint, token_ledger: this.#ledger,
    });
  }

  async loadNode(id) {
    const n = this.#nodes.find((x) => x.node_id === id && !this.#tombstones.has(id));
    return n ? structuredClone(n) : null;
  }

  async commitRuntimeState(commit) {
    const plan = planCommit(this.sessionId, this.#head, commit);
    if (plan.replay) return structuredClone(plan.replay);
    // validated: apply in place (nothing below can fail)
    const nodes = structuredClone(plan.graph.nodes);
    if (plan.graph.kind === 'replace') { this.#nodes = nodes; this.#tombstones.clear(); }
    else for (const n of nodes) { this.#nodes.push(n); this.#tombstones.delete(n.node_id); }
    this.#leaf = plan.graph.leaf;
    this.#ledger.push(...structuredClone(commit.usage_deltas ?? []));
    this.#rest = structuredClone({ config: commit.config, agent_frames: commit.agent_frames ?? [],
      current_agent_frame_id: commit.current_agent_frame_id ?? '', checkpoint: commit.checkpoint ?? null });
    this.#head.head_revision = plan.revision;
    if (plan.stamp) this.#head.stamps.set(plan.stamp.turn_id, { hash: plan.stamp.hash, result: plan.result });
    return structuredClone(plan.result);
  }

  async saveSessionMeta(meta) { this.meta = structuredClone(meta); }
  async loadSessionMeta() { return this.meta && structuredClone(this.meta); }
  async tombstoneNodes(ids) { for (const id of ids) this.#tombstones.add(id); }
  async vacuum() {
    const before = this.#nodes.length;
    this.#nodes = this.#nodes.filter((n) => !this.#tombstones.has(n.node_id));
    this.#tombstones.clear();
    return { removed_node_count: before - this.#nodes.length };
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
    if (!item) throw new Error(`attachment \`${id}\` not found`);
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
