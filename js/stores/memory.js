// In-memory stores and registries, tier 'inline' (lash's InMemory* types): their
// data lives in this JavaScript realm and a crash loses it.

import { ProcessRegistryBase, RegistryTables, WRITES } from './process-registry.js';
import {
  SessionState, planCommit, recordingCheckpointRef, asStoreError, checkNodeIds, checkSessionId,
  toBytes, sha256Hex, attachmentRef, attachmentNotFound,
} from './commit.js';

class InlineTiered {
  get durabilityTier() { return 'inline'; }
}

// One session's committed state (lash InMemorySessionStore), bound to its session id.
class InMemorySessionStore {
  #state = new SessionState();
  #meta = null;

  constructor(sessionId) { this.sessionId = sessionId; }
  get durabilityTier() { return 'inline'; }

  async headRevision() { return this.#state.head_revision; }

  async loadSession(scope = { type: 'full_graph' }) {
    return this.#state.read(this.sessionId, scope, recordingCheckpointRef);
  }

  async loadNode(nodeId) {
    const n = this.#state.node(nodeId);
    return n ? structuredClone(n) : null;
  }

  async commitRuntimeState(commit) {
    const plan = planCommit(this.sessionId, this.#state, commit, { ref: recordingCheckpointRef });
    if (plan.replay) return structuredClone(plan.replay);
    let owned;
    try { owned = structuredClone(plan); } catch (e) { throw asStoreError(e); } // before anything changes
    this.#state.apply(owned); // cannot fail: the commit lands whole
    return structuredClone(owned.result);
  }

  async saveSessionMeta(meta) { this.#meta = structuredClone(meta); }
  async loadSessionMeta() { return this.#meta && structuredClone(this.#meta); }
  async tombstoneNodes(ids) { this.#state.tombstone(checkNodeIds(ids)); }
  async vacuum() { return { removed_node_count: this.#state.vacuum() }; }
}

// lash InMemorySessionStoreFactory: a store per session id, created on first use
// with seeded meta that a later createStore never overwrites.
export class InMemorySessionStoreFactory extends InlineTiered {
  #stores = new Map();

  async createStore({ session_id, relation = { kind: 'root' }, policy } = {}) {
    checkSessionId(session_id);
    let store = this.#stores.get(session_id);
    if (!store) {
      store = new InMemorySessionStore(session_id);
      await store.saveSessionMeta({ session_id, session_name: session_id, created_at: '1970-01-01T00:00:00Z',
        model: policy?.model?.id ?? '', relation });
      this.#stores.set(session_id, store);
    }
    return store;
  }

  async openExistingStore({ session_id } = {}) { return this.#stores.get(session_id) ?? null; }
  async deleteSession(sessionId) { this.#stores.delete(sessionId); }
}

export class InMemoryProcessExecutionEnvStore extends InlineTiered {
  #envs = new Map();
  async putProcessExecutionEnv(ref, bytes) { this.#envs.set(ref, toBytes(bytes).slice()); }
  async getProcessExecutionEnv(ref) { const b = this.#envs.get(ref); return b ? b.slice() : null; }
}
export class InMemoryTriggerStore extends InlineTiered {}

// lash's reference in-memory ProcessRegistry: the rules are process-registry.js's;
// an operation's writes are applied together after it succeeds.
export class InMemoryProcessRegistry extends ProcessRegistryBase {
  #tables = new RegistryTables();
  get durabilityTier() { return 'inline'; }
  get _pollMs() { return null; } // every write goes through this object
  _run(record) { return this.#tables.transact((tx) => WRITES[record.op](tx, record.args, record.now)); }
  _read(fn) { return this.#tables.read(fn); }
}

export class InMemoryLashlangArtifactStore extends InlineTiered {}

// Content-addressed attachments: id = sha256(bytes) hex (lash InMemoryAttachmentStore:
// a put of the same bytes keeps one copy; its metadata is the latest put's).
export class InMemoryAttachmentStore extends InlineTiered {
  #items = new Map();

  async put(bytes, meta = {}) {
    const data = toBytes(bytes);
    const ref = attachmentRef(await sha256Hex(data), data, meta);
    const prior = this.#items.get(ref.id);
    this.#items.set(ref.id, { ref, bytes: prior?.bytes ?? data.slice() });
    return structuredClone(ref);
  }

  async get(id) {
    const item = this.#items.get(id);
    if (!item) throw attachmentNotFound(id);
    return { meta: structuredClone(item.ref), bytes: item.bytes.slice() };
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
