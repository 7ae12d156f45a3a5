// IndexedDB stores, tier 'durable', for browsers (and Node with fake-indexeddb via
// the `indexedDB` option). A commit is ONE readwrite transaction over the head row,
// the commit's node rows, its ledger rows and its turn stamp; nothing but IndexedDB
// requests is awaited inside it (hashes are computed before a transaction opens).
// Nodes are rows keyed [session_id, node_id], so a commit writes what the turn
// added, never the history (ReplaceFull deletes the session's rows and writes the
// new ones). The commit rules themselves are commit.js's planCommit().
import { invalidArgument } from '../errors.js';
import {
  planCommit, readSession, checkScope, checkpointRef, asStoreError, checkNodeIds, checkSessionId,
  toBytes, sha256Hex, attachmentRef, attachmentNotFound,
} from './commit.js';
import { upgradeProcessRegistry } from './indexeddb-processes.js';

// Schema history: 1 = nodes keyed [sid, seq] (pre-release); 2 = nodes keyed
// [sid, node_id] with { seq, tombstoned } (v1 rows are migrated in place);
// 3 = the process registry's object stores (indexeddb-processes.js) added.
export const SCHEMA_VERSION = 3;
const SESSION_STORES = ['heads', 'nodes', 'ledger', 'stamps', 'meta'];

function upgrade(db, tx, oldVersion) {
  const ensure = (name, indexed) => {
    if (db.objectStoreNames.contains(name)) return tx.objectStore(name);
    const s = db.createObjectStore(name);
    if (indexed) s.createIndex('by_sid', 'sid', { unique: false });
    return s;
  };
  ensure('heads');                // sid -> { head_revision, leaf, rest, next_seq, ledger_seq }
  ensure('ledger', true);         // [sid, seq] -> { sid, seq, entry }
  ensure('stamps', true);         // [sid, turn_id] -> { sid, hash, result }
  ensure('meta');                 // sid -> SessionMeta
  ensure('attachments');          // sha256 hex -> { meta: AttachmentRef, bytes }
  ensure('envs');                 // process env ref -> bytes
  upgradeProcessRegistry(db, tx);
  if (oldVersion >= 1 && oldVersion < 2 && db.objectStoreNames.contains('nodes')) {
    // v1 -> v2: re-key node rows from [sid, seq] to [sid, node_id], keeping their order
    const getAll = tx.objectStore('nodes').getAll();
    getAll.onsuccess = () => {
      const rows = getAll.result;
      db.deleteObjectStore('nodes');
      const nodes = ensure('nodes', true);
      const seqs = new Map();
      for (const r of rows) {
        const seq = seqs.get(r.sid) ?? 0;
        seqs.set(r.sid, seq + 1);
        nodes.put({ sid: r.sid, node_id: r.node_id, seq, tombstoned: 0, node: r.node }, [r.sid, r.node_id]);
      }
    };
  } else {
    ensure('nodes', true);        // [sid, node_id] -> { sid, node_id, seq, tombstoned: 0|1, node }
  }
}

// One connection per (IDBFactory, dbName), shared by every store over it; dropped
// when another connection upgrades the schema (onversionchange) or it closes.
const connections = new WeakMap();
function openDb(idb, name) {
  let byName = connections.get(idb);
  if (!byName) connections.set(idb, (byName = new Map()));
  let p = byName.get(name);
  if (p) return p;
  const forget = () => { if (byName.get(name) === p) byName.delete(name); };
  p = new Promise((resolve, reject) => {
    const r = idb.open(name, SCHEMA_VERSION);
    r.onupgradeneeded = (ev) => upgrade(r.result, r.transaction, ev.oldVersion);
    r.onsuccess = () => {
      const db = r.result;
      db.onversionchange = () => { forget(); db.close(); };
      db.onclose = forget;
      resolve(db);
    };
    r.onerror = () => reject(r.error);
  });
  byName.set(name, p);
  p.catch(forget);
  return p;
}

export const req = (r) => new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
const rowsOf = (store, sid) => req(store.index('by_sid').getAll(sid));

// Run body(tx) in one transaction and wait for it to commit. A throw (a contract
// error, a failed request, DataCloneError) aborts it: nothing is written.
export async function transact(o, names, mode, body) {
  let tx;
  for (let attempt = 0; ; attempt++) {
    const db = await openDb(o.idb, o.dbName).catch((e) => { throw asStoreError(e); });
    try {
      tx = mode === 'readwrite' ? db.transaction(names, mode, { durability: o.durability }) : db.transaction(names, mode);
      break;
    } catch (e) {
      // the connection closed under us (a schema upgrade elsewhere): reopen once
      if (e?.name !== 'InvalidStateError' || attempt > 0) throw asStoreError(e);
      connections.get(o.idb)?.delete(o.dbName);
    }
  }
  const finished = new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new DOMException('the transaction was aborted', 'AbortError'));
  });
  finished.catch(() => {});
  let value;
  try {
    value = await body(tx);
  } catch (e) {
    try { tx.abort(); } catch { /* already finished */ }
    throw asStoreError(e);
  }
  try { await finished; } catch (e) { throw asStoreError(e); } // e.g. QuotaExceededError: nothing applied
  return value;
}

export function options({ dbName = 'lash-wasm', indexedDB = globalThis.indexedDB, durability = 'strict' } = {}) {
  if (!indexedDB || typeof indexedDB.open !== 'function') {
    throw invalidArgument('indexedDB', 'no IndexedDB in this realm; pass { indexedDB }');
  }
  if (typeof dbName !== 'string' || !dbName) {
    throw invalidArgument('dbName', 'expected a non-empty string');
  }
  if (durability !== 'strict' && durability !== 'relaxed') {
    throw invalidArgument('durability', "expected 'strict' or 'relaxed'");
  }
  return { dbName, idb: indexedDB, durability };
}

class IndexedDbSessionStore {
  #o;
  constructor(o, sessionId) { this.#o = o; this.sessionId = sessionId; }
  get durabilityTier() { return 'durable'; }

  async headRevision() {
    const head = await transact(this.#o, ['heads'], 'readonly', (tx) => req(tx.objectStore('heads').get(this.sessionId)));
    return head?.head_revision ?? null;
  }

  async loadSession(scope = { type: 'full_graph' }) {
    checkScope(scope);
    const sid = this.sessionId;
    return transact(this.#o, ['heads', 'nodes', 'ledger'], 'readonly', async (tx) => {
      const head = await req(tx.objectStore('heads').get(sid));
      if (!head || head.head_revision == null) return null;
      const [rows, ledgerRows] = await Promise.all([rowsOf(tx.objectStore('nodes'), sid), rowsOf(tx.objectStore('ledger'), sid)]);
      rows.sort((a, b) => a.seq - b.seq); // ledger rows come in key ([sid, seq]) order
      const dead = new Set(rows.filter((r) => r.tombstoned).map((r) => r.node_id));
      return readSession({ sessionId: sid, head_revision: head.head_revision, leaf: head.leaf, rest: head.rest,
        nodes: rows.map((r) => r.node), ledger: ledgerRows.map((r) => r.entry), tombstoned: (id) => dead.has(id),
        checkpoint_ref: checkpointRef(head.head_revision) }, scope);
    });
  }

  async loadNode(nodeId) {
    const row = await transact(this.#o, ['nodes'], 'readonly', (tx) => req(tx.objectStore('nodes').get([this.sessionId, String(nodeId)])));
    return row && !row.tombstoned ? row.node : null;
  }

  async commitRuntimeState(commit) {
    const sid = this.sessionId;
    const turnId = typeof commit?.turn_commit?.turn_id === 'string' ? commit.turn_commit.turn_id : null;
    return transact(this.#o, ['heads', 'nodes', 'ledger', 'stamps'], 'readwrite', async (tx) => {
      const heads = tx.objectStore('heads');
      const [stored, stampRow] = await Promise.all([req(heads.get(sid)),
        turnId === null ? null : req(tx.objectStore('stamps').get([sid, turnId]))]);
      const head = stored ?? { head_revision: null, leaf: null, rest: null, next_seq: 0, ledger_seq: 0 };
      const plan = planCommit(sid, { head_revision: head.head_revision, stamps: new Map(stampRow ? [[turnId, stampRow]] : []) }, commit);
      if (plan.replay) return plan.replay; // idempotent re-delivery: nothing written
      const nodes = tx.objectStore('nodes');
      const row = (n, seq) => nodes.put({ sid, node_id: n.node_id, seq, tombstoned: 0, node: n }, [sid, n.node_id]);
      if (plan.graph.kind === 'replace') {
        for (const key of await req(nodes.index('by_sid').getAllKeys(sid))) nodes.delete(key);
        head.next_seq = 0;
        for (const n of plan.graph.nodes) row(n, head.next_seq++);
      } else if (plan.graph.nodes.length) {
        // Append: a stored node id is replaced in place (keeps its position), a new one goes last
        const prior = await Promise.all(plan.graph.nodes.map((n) => req(nodes.get([sid, n.node_id]))));
        const seqs = new Map();
        plan.graph.nodes.forEach((n, i) => {
          if (!seqs.has(n.node_id)) seqs.set(n.node_id, prior[i]?.seq ?? head.next_seq++);
          row(n, seqs.get(n.node_id));
        });
      }
      const ledger = tx.objectStore('ledger');
      for (const entry of plan.usage) { const seq = head.ledger_seq++; ledger.put({ sid, seq, entry }, [sid, seq]); }
      if (plan.stamp) tx.objectStore('stamps').put({ sid, hash: plan.stamp.hash, result: plan.result }, [sid, plan.stamp.turn_id]);
      head.head_revision = plan.revision;
      head.leaf = plan.graph.leaf;
      head.rest = plan.rest;
      heads.put(head, sid);
      return structuredClone(plan.result);
    });
  }

  async saveSessionMeta(meta) {
    await transact(this.#o, ['meta'], 'readwrite', (tx) => { tx.objectStore('meta').put(meta, this.sessionId); });
  }

  async loadSessionMeta() {
    return (await transact(this.#o, ['meta'], 'readonly', (tx) => req(tx.objectStore('meta').get(this.sessionId)))) ?? null;
  }

  async tombstoneNodes(ids) {
    checkNodeIds(ids);
    const sid = this.sessionId;
    await transact(this.#o, ['nodes'], 'readwrite', async (tx) => {
      const nodes = tx.objectStore('nodes');
      const rows = await Promise.all(ids.map((id) => req(nodes.get([sid, id]))));
      for (const r of rows) if (r && !r.tombstoned) { r.tombstoned = 1; nodes.put(r, [sid, r.node_id]); }
    });
  }

  async vacuum() {
    const sid = this.sessionId;
    return transact(this.#o, ['nodes'], 'readwrite', async (tx) => {
      const nodes = tx.objectStore('nodes');
      let removed = 0;
      for (const r of await rowsOf(nodes, sid)) if (r.tombstoned) { nodes.delete([sid, r.node_id]); removed++; }
      return { removed_node_count: removed };
    });
  }
}

export class IndexedDbSessionStoreFactory {
  #o;
  constructor(opts) { this.#o = options(opts); }
  get durabilityTier() { return 'durable'; }

  async createStore({ session_id, relation = { kind: 'root' }, policy } = {}) {
    checkSessionId(session_id);
    await transact(this.#o, ['meta'], 'readwrite', async (tx) => {
      const meta = tx.objectStore('meta');
      if ((await req(meta.get(session_id))) === undefined) { // never overwrite existing meta/relation
        meta.put({ session_id, session_name: session_id, created_at: new Date().toISOString(),
          model: policy?.model?.id ?? '', relation }, session_id);
      }
    });
    return new IndexedDbSessionStore(this.#o, session_id);
  }

  async openExistingStore({ session_id } = {}) {
    if (typeof session_id !== 'string' || !session_id) return null;
    const found = await transact(this.#o, ['meta', 'heads'], 'readonly', async (tx) =>
      (await req(tx.objectStore('meta').count(session_id))) + (await req(tx.objectStore('heads').count(session_id))));
    return found ? new IndexedDbSessionStore(this.#o, session_id) : null;
  }

  async deleteSession(sessionId) {
    await transact(this.#o, SESSION_STORES, 'readwrite', async (tx) => {
      tx.objectStore('heads').delete(sessionId);
      tx.objectStore('meta').delete(sessionId);
      for (const name of ['nodes', 'ledger', 'stamps']) {
        const store = tx.objectStore(name);
        for (const key of await req(store.index('by_sid').getAllKeys(sessionId))) store.delete(key);
      }
    });
  }
}

export class IndexedDbAttachmentStore {
  #o;
  constructor(opts) { this.#o = options(opts); }
  get durabilityTier() { return 'durable'; }

  async put(bytes, meta = {}) {
    const data = toBytes(bytes).slice(); // a compact copy: IndexedDB clones a view's whole buffer
    const ref = attachmentRef(await sha256Hex(data), data, meta); // hashed before the transaction
    await transact(this.#o, ['attachments'], 'readwrite', (tx) => { tx.objectStore('attachments').put({ meta: ref, bytes: data }, ref.id); });
    return ref;
  }

  async get(id) {
    const row = await transact(this.#o, ['attachments'], 'readonly', (tx) => req(tx.objectStore('attachments').get(String(id))));
    if (!row) throw attachmentNotFound(id);
    return { meta: row.meta, bytes: new Uint8Array(row.bytes) };
  }
}

export class IndexedDbProcessExecutionEnvStore {
  #o;
  constructor(opts) { this.#o = options(opts); }
  get durabilityTier() { return 'durable'; }

  async putProcessExecutionEnv(ref, bytes) {
    const data = toBytes(bytes).slice();
    await transact(this.#o, ['envs'], 'readwrite', (tx) => { tx.objectStore('envs').put(data, String(ref)); });
  }

  async getProcessExecutionEnv(ref) {
    const b = await transact(this.#o, ['envs'], 'readonly', (tx) => req(tx.objectStore('envs').get(String(ref))));
    return b ? new Uint8Array(b) : null;
  }
}
