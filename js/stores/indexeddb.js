// IndexedDB stores, tier 'durable', for browsers (and Node with fake-indexeddb via
// the `indexedDB` option). A commit is ONE readwrite transaction over the head,
// the new node rows, the ledger rows and the turn stamp; nothing but IndexedDB
// requests happens inside it. Rows are per node, so a commit writes what the turn
// added, never the history.
import { LashError } from '../errors.js';
import { activePath, planCommit } from './commit.js';

const VERSION = 1;
const STORES = ['heads', 'nodes', 'ledger', 'stamps', 'meta', 'attachments', 'envs'];
const dbs = new Map(); // dbName -> Promise<IDBDatabase>, per factory realm

function openDb(idb, name) {
  const key = name;
  if (!dbs.has(key)) {
    dbs.set(key, new Promise((resolve, reject) => {
      const req = idb.open(name, VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        if (!db.objectStoreNames.contains('heads')) db.createObjectStore('heads');            // sid -> head
        for (const name of ['nodes', 'ledger', 'stamps']) { // rows keyed [sid, seq|turn_id], found by sid
          if (db.objectStoreNames.contains(name)) continue;
          const s = db.createObjectStore(name);
          s.createIndex('by_sid', 'sid', { unique: false });
          if (name === 'nodes') s.createIndex('by_node', ['sid', 'node_id'], { unique: false });
        }
        if (!db.objectStoreNames.contains('meta')) db.createObjectStore('meta');              // sid -> meta
        if (!db.objectStoreNames.contains('attachments')) db.createObjectStore('attachments'); // id -> {meta, bytes}
        if (!db.objectStoreNames.contains('envs')) db.createObjectStore('envs');              // ref -> bytes
      };
      req.onsuccess = () => {
        const db = req.result;
        db.onversionchange = () => { db.close(); dbs.delete(key); };
        resolve(db);
      };
      req.onerror = () => { dbs.delete(key); reject(req.error); };
      req.onblocked = () => { dbs.delete(key); reject(new Error(`IndexedDB ${name} is blocked by another connection`)); };
    }));
  }
  return dbs.get(key);
}

const req = (r) => new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
const done = (tx) => new Promise((resolve, reject) => {
  tx.oncomplete = () => resolve();
  tx.onerror = () => reject(tx.error);
  tx.onabort = () => reject(tx.error ?? new Error('transaction aborted'));
});
// Every row of a session, in key order (no IDBKeyRange: Node passes only a factory).
const rowsOf = (store, sid) => req(store.index('by_sid').getAll(sid));
async function deleteRows(store, sid) {
  for (const key of await req(store.index('by_sid').getAllKeys(sid))) store.delete(key);
}

function backend(e) {
  return e instanceof LashError ? e : new LashError('Backend', `store backend error: ${e?.name ? `${e.name}: ` : ''}${e?.message ?? e}`);
}

function options({ dbName = 'lash-wasm', indexedDB = globalThis.indexedDB, durability = 'strict' } = {}) {
  if (!indexedDB) throw new LashError('InvalidArgument', 'invalid argument `indexedDB`: no IndexedDB in this realm; pass { indexedDB }', { argument: 'indexedDB' });
  if (durability !== 'strict' && durability !== 'relaxed')
    throw new LashError('InvalidArgument', "invalid argument `durability`: expected 'strict' or 'relaxed'", { argument: 'durability' });
  return { dbName, idb: indexedDB, durability };
}

class IndexedDbSessionStore {
  #o; #sid;
  constructor(o, sid) { this.#o = o; this.#sid = sid; this.sessionId = sid; }
  get durabilityTier() { return 'durable'; }

  async #tx(names, mode) {
    const db = await openDb(this.#o.idb, this.#o.dbName);
    return mode === 'readwrite' ? db.transaction(names, mode, { durability: this.#o.durability }) : db.transaction(names, mode);
  }

  async headRevision() {
    const tx = await this.#tx(['heads'], 'readonly');
    const head = await req(tx.objectStore('heads').get(this.#sid));
    return head?.head_revision ?? null;
  }

  async loadSession(scope = { type: 'full_graph' }) {
    try {
      const tx = await this.#tx(['heads', 'nodes', 'ledger'], 'readonly');
      const head = await req(tx.objectStore('heads').get(this.#sid));
      if (!head || head.head_revision == null) return null;
      const [rows, ledgerRows] = await Promise.all([rowsOf(tx.objectStore('nodes'), this.#sid),
        rowsOf(tx.objectStore('ledger'), this.#sid)]);
      const all = rows.map((r) => r.node);
      const ledger = ledgerRows.map((r) => r.entry);
      const nodes = scope.type === 'active_path' ? activePath(all, scope.leaf_node_id ?? head.leaf) : all;
      return { session_id: this.#sid, head_revision: head.head_revision, config: head.rest.config,
        agent_frames: head.rest.agent_frames, current_agent_frame_id: head.rest.current_agent_frame_id,
        graph: { nodes, leaf_node_id: head.leaf }, checkpoint_ref: `checkpoint-${head.head_revision}`,
        checkpoint: head.rest.checkpoint, token_ledger: ledger };
    } catch (e) { throw backend(e); }
  }

  async loadNode(id) {
    const tx = await this.#tx(['nodes'], 'readonly');
    const row = await req(tx.objectStore('nodes').index('by_node').get([this.#sid, id]));
    return row?.node ?? null;
  }

  async commitRuntimeState(commit) {
    const stampId = commit?.turn_commit?.turn_id;
    const tx = await this.#tx(['heads', 'nodes', 'ledger', 'stamps'], 'readwrite');
    const finished = done(tx);
    finished.catch(() => {});
    let plan;
    try {
      const heads = tx.objectStore('heads');
      const head = (await req(heads.get(this.#sid))) ?? { head_revision: null, next_seq: 0, ledger_seq: 0, leaf: null, rest: null };
      const stamps = new Map();
      if (stampId != null) {
        const s = await req(tx.objectStore('stamps').get([this.#sid, stampId]));
        if (s) stamps.set(stampId, s);
      }
      plan = planCommit(this.#sid, { head_revision: head.head_revision, stamps }, commit);
      if (plan.replay) { tx.abort(); return plan.replay; } // idempotent: nothing written
      const nodes = tx.objectStore('nodes');
      if (plan.graph.kind === 'replace') { await deleteRows(nodes, this.#sid); head.next_seq = 0; }
      for (const node of plan.graph.nodes) nodes.put({ sid: this.#sid, node_id: node.node_id, node }, [this.#sid, head.next_seq++]);
      const ledger = tx.objectStore('ledger');
      for (const entry of commit.usage_deltas ?? []) ledger.put({ sid: this.#sid, entry }, [this.#sid, head.ledger_seq++]);
      if (plan.stamp) tx.objectStore('stamps').put({ sid: this.#sid, hash: plan.stamp.hash, result: plan.result }, [this.#sid, plan.stamp.turn_id]);
      head.head_revision = plan.revision;
      head.leaf = plan.graph.leaf;
      head.rest = { config: commit.config, agent_frames: commit.agent_frames ?? [],
        current_agent_frame_id: commit.current_agent_frame_id ?? '', checkpoint: commit.checkpoint ?? null };
      heads.put(head, this.#sid);
    } catch (e) {
      try { tx.abort(); } catch { /* already finished */ }
      throw backend(e);
    }
    try { await finished; } catch (e) { throw backend(e); } // e.g. QuotaExceededError: nothing applied
    return plan.result;
  }

  async saveSessionMeta(meta) {
    const tx = await this.#tx(['meta'], 'readwrite');
    tx.objectStore('meta').put(meta, this.#sid);
    await done(tx);
  }

  async loadSessionMeta() {
    const tx = await this.#tx(['meta'], 'readonly');
    return (await req(tx.objectStore('meta').get(this.#sid))) ?? null;
  }
}

export class IndexedDbSessionStoreFactory {
  #o;
  constructor(opts) { this.#o = options(opts); }
  get durabilityTier() { return 'durable'; }

  async createStore({ session_id, relation = { kind: 'root' }, policy } = {}) {
    const store = new IndexedDbSessionStore(this.#o, session_id);
    if (!(await store.loadSessionMeta())) {
      await store.saveSessionMeta({ session_id, session_name: session_id, created_at: new Date().toISOString(),
        model: policy?.model?.id ?? '', relation });
    }
    return store;
  }

  async openExistingStore({ session_id } = {}) {
    const store = new IndexedDbSessionStore(this.#o, session_id);
    return (await store.loadSessionMeta()) ? store : null;
  }

  async deleteSession(sid) {
    const db = await openDb(this.#o.idb, this.#o.dbName);
    const tx = db.transaction(['heads', 'nodes', 'ledger', 'stamps', 'meta'], 'readwrite', { durability: this.#o.durability });
    const finished = done(tx);
    tx.objectStore('heads').delete(sid);
    tx.objectStore('meta').delete(sid);
    for (const name of ['nodes', 'ledger', 'stamps']) await deleteRows(tx.objectStore(name), sid);
    await finished;
  }
}

const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');

export class IndexedDbAttachmentStore {
  #o;
  constructor(opts) { this.#o = options(opts); }
  get durabilityTier() { return 'durable'; }

  async put(bytes, { media_type = { kind: 'image', type: 'png' }, width, height, label } = {}) {
    const data = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
    const id = hex(await crypto.subtle.digest('SHA-256', data)); // before the transaction
    const ref = { id, media_type, byte_len: data.length };
    if (width != null) ref.width = width;
    if (height != null) ref.height = height;
    if (label != null) ref.label = label;
    const db = await openDb(this.#o.idb, this.#o.dbName);
    const tx = db.transaction(['attachments'], 'readwrite', { durability: this.#o.durability });
    tx.objectStore('attachments').put({ meta: ref, bytes: data.slice() }, id);
    await done(tx);
    return ref;
  }

  async get(id) {
    const db = await openDb(this.#o.idb, this.#o.dbName);
    const row = await req(db.transaction(['attachments'], 'readonly').objectStore('attachments').get(id));
    if (!row) throw new LashError('NotFound', `attachment \`${id}\` not found`);
    return { meta: row.meta, bytes: new Uint8Array(row.bytes) };
  }
}

export class IndexedDbProcessExecutionEnvStore {
  #o;
  constructor(opts) { this.#o = options(opts); }
  get durabilityTier() { return 'durable'; }
  async putProcessExecutionEnv(ref, bytes) {
    const db = await openDb(this.#o.idb, this.#o.dbName);
    const tx = db.transaction(['envs'], 'readwrite', { durability: this.#o.durability });
    tx.objectStore('envs').put(Uint8Array.from(bytes), ref);
    await done(tx);
  }
  async getProcessExecutionEnv(ref) {
    const db = await openDb(this.#o.idb, this.#o.dbName);
    const b = await req(db.transaction(['envs'], 'readonly').objectStore('envs').get(ref));
    return b ? new Uint8Array(b) : null;
  }
}
