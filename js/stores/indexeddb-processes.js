// IndexedDbProcessRegistry, tier 'durable': lash's process registry
// (process-registry.js) over IndexedDB object stores in the same database as the
// session stores (schema version 3). Each write operation is ONE readwrite
// transaction over the registry's stores: its reads are IndexedDB requests inside
// the transaction and its writes are queued in it, and nothing else is awaited
// there (the hashes are synchronous), so a failure aborts the whole operation.
import { ProcessRegistryBase, WRITES } from './process-registry.js';
import { options, req, transact } from './indexeddb.js';

const STORES = ['proc_processes', 'proc_events', 'proc_replays', 'proc_grants', 'proc_leases'];

/** Create the registry's object stores (called from indexeddb.js's onupgradeneeded). */
export function upgradeProcessRegistry(db, tx) {
  const ensure = (name, indexes = []) => {
    if (db.objectStoreNames.contains(name)) return;
    const s = db.createObjectStore(name);
    for (const [index, path] of indexes) s.createIndex(index, path, { unique: false });
  };
  ensure('proc_processes', [['by_wake_sid', 'wake_sid']]);        // id -> process row
  ensure('proc_events', [['by_pid', 'process_id']]);             // [id, sequence] -> event row
  ensure('proc_replays');                                         // [id, replay key] -> replay row
  ensure('proc_grants', [['by_scope', 'scope_id'], ['by_pid', 'process_id'], ['by_session', 'session_id']]); // [scope_id, id]
  ensure('proc_leases');                                          // id -> ProcessLease
  void tx;
}

// The registry's row interface over one IndexedDB transaction.
function rows(tx) {
  const s = (name) => tx.objectStore(name);
  const byIndex = (name, index, key) => req(s(name).index(index).getAll(key));
  return {
    getProcess: (id) => req(s('proc_processes').get(id)),
    allProcesses: () => req(s('proc_processes').getAll()),
    events: (id) => byIndex('proc_events', 'by_pid', id), // index order: then by [id, sequence]
    getReplay: (id, key) => req(s('proc_replays').get([id, key])),
    getGrant: (scopeId, id) => req(s('proc_grants').get([scopeId, id])),
    grantsByScope: (scopeId) => byIndex('proc_grants', 'by_scope', scopeId),
    grantsByProcess: (id) => byIndex('proc_grants', 'by_pid', id),
    grantsBySession: (sid) => byIndex('proc_grants', 'by_session', sid),
    processesByWakeSession: (sid) => (sid === '' ? [] : byIndex('proc_processes', 'by_wake_sid', sid)),
    getLease: (id) => req(s('proc_leases').get(id)),
    putProcess: (row) => { s('proc_processes').put(row, row.id); },
    putEvent: (row) => { s('proc_events').put(row, [row.process_id, row.sequence]); },
    putReplay: (row) => { s('proc_replays').put(row, [row.process_id, row.key]); },
    putGrant: (row) => { s('proc_grants').put(row, [row.scope_id, row.process_id]); },
    delGrant: (scopeId, id) => { s('proc_grants').delete([scopeId, id]); },
    putLease: (lease) => { s('proc_leases').put(lease, lease.process_id); },
  };
}

export class IndexedDbProcessRegistry extends ProcessRegistryBase {
  #o;
  /** options: { dbName = 'lash-wasm', indexedDB = globalThis.indexedDB, durability = 'strict' | 'relaxed' } */
  constructor(opts) { super(); this.#o = options(opts); }
  get durabilityTier() { return 'durable'; }
  // other tabs and workers write the same database: waiters re-read this often
  get _pollMs() { return 100; }
  _run(record) { return transact(this.#o, STORES, 'readwrite', (tx) => WRITES[record.op](rows(tx), record.args, record.now)); }
  _read(fn) { return transact(this.#o, STORES, 'readonly', (tx) => fn(rows(tx))); }
}
