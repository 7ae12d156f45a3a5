// File stores for Node, tier 'durable' (exported from js/node.js only, so browser
// bundles never see node: modules).
//
// A session is a directory holding `meta.json` and an append-only log,
// `commits.log`, of self-checking records (append-log.js), one a line:
//     {"len":N,"sha256":"<hex of the N payload bytes>"}\t<payload JSON>\n
// The first record names the log ({"t":"log","log_id"}); then one record per commit
// (the RuntimeCommit as received), per tombstoneNodes call and per vacuum. A record
// is written with one append and fsync'ed before the call returns, so a commit is on
// disk whole or not at all. Load = replay the log through the same commit contract
// (commit.js planCommit), which makes the log the arbiter between writers: a record
// that loses a race (its CAS no longer holds when replayed) changes nothing and its
// writer gets the error. On open, a torn or corrupt tail (a partial line, a bad
// length or checksum) ends the replay; it is ignored and cut off before the next
// append. Reads are incremental: a handle re-reads only bytes appended since it
// last looked, so headRevision() costs one stat when nothing moved.
import { randomUUID } from 'node:crypto';
import { link, mkdir, open, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { LashError, invalidArgument } from '../errors.js';
import {
  SessionState, planCommit, checkpointRef, asStoreError, backendError, checkNodeIds, checkSessionId, checkScope,
  toBytes, attachmentRef, attachmentNotFound,
} from './commit.js';
import { AppendLog, RECORD_VERSION, exclusive, isMissing, sha256, syncDir } from './append-log.js';

const LOG = 'commits.log';
const META = 'meta.json';

// ---- small fs helpers ----

// Stage into a unique sibling temp file, fsync, rename into place (atomic on POSIX).
async function writeAtomic(path, bytes) {
  const tmp = `${path}.${randomUUID()}.tmp`;
  try {
    const fh = await open(tmp, 'w');
    try { await fh.write(bytes); await fh.sync(); } finally { await fh.close(); }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await syncDir(dirname(path));
}

// Create `path` with `bytes` only if it does not exist yet (link fails on EEXIST).
async function createExclusive(path, bytes) {
  const tmp = `${path}.${randomUUID()}.tmp`;
  const fh = await open(tmp, 'w');
  try { await fh.write(bytes); await fh.sync(); } finally { await fh.close(); }
  try {
    await link(tmp, path);
    await syncDir(dirname(path));
    return true;
  } catch (e) {
    if (e?.code === 'EEXIST') return false;
    throw e;
  } finally {
    await unlink(tmp).catch(() => {});
  }
}

// A directory name for a session id: readable, portable, and unique even on
// case-insensitive file systems (the hash suffix).
function dirName(id) {
  const readable = encodeURIComponent(id).replace(/[!'()*.~%]/g, '_').slice(0, 80);
  return `${readable}-${sha256(id).slice(0, 16)}`;
}

// ---- sessions ----

class FileSessionStore {
  #dir;
  #state = new SessionState();
  #log;

  constructor(dir, sessionId) {
    this.sessionId = sessionId;
    this.#dir = dir;
    this.#log = new AppendLog({ dir, path: join(dir, LOG), kind: 'commit log', header: { session_id: sessionId },
      onReset: () => { this.#state = new SessionState(); }, onRecord: (rec) => this.#replay(rec) });
  }
  get durabilityTier() { return 'durable'; }

  // Replay one record into the state; returns its outcome for the writer.
  #replay(rec) {
    switch (rec.t) {
      case 'commit': {
        let plan;
        try { plan = planCommit(this.sessionId, this.#state, rec.commit); } catch (error) { return { error }; } // lost a race: no effect
        if (plan.replay) return { result: plan.replay };
        this.#state.apply(plan);
        return { result: plan.result };
      }
      case 'tombstone': this.#state.tombstone(rec.ids); return {};
      case 'vacuum': return { removed: this.#state.vacuum() };
      default: throw backendError(`unknown commit log record type \`${rec.t}\``);
    }
  }

  #sync() { return this.#log.sync(); }
  #write(payload) { return this.#log.write(payload); }

  #run(fn) {
    return exclusive(resolve(this.#dir), async () => {
      try { return await fn(); } catch (e) { throw asStoreError(e); }
    });
  }

  async headRevision() { return this.#run(async () => { await this.#sync(); return this.#state.head_revision; }); }

  async loadSession(scope = { type: 'full_graph' }) {
    checkScope(scope);
    return this.#run(async () => { await this.#sync(); return this.#state.read(this.sessionId, scope, checkpointRef); });
  }

  async loadNode(nodeId) {
    return this.#run(async () => { await this.#sync(); const n = this.#state.node(nodeId); return n ? structuredClone(n) : null; });
  }

  async commitRuntimeState(commit) {
    return this.#run(async () => {
      await this.#sync();
      const plan = planCommit(this.sessionId, this.#state, commit); // contract errors: nothing written
      if (plan.replay) return structuredClone(plan.replay);
      const { result } = await this.#write({ v: RECORD_VERSION, t: 'commit', commit });
      return structuredClone(result);
    });
  }

  async tombstoneNodes(ids) {
    checkNodeIds(ids);
    if (!ids.length) return;
    await this.#run(() => this.#write({ v: RECORD_VERSION, t: 'tombstone', ids }));
  }

  async vacuum() {
    return this.#run(async () => {
      await this.#sync();
      if (!this.#state.tombstones.size) return { removed_node_count: 0 };
      const { removed } = await this.#write({ v: RECORD_VERSION, t: 'vacuum' });
      return { removed_node_count: removed };
    });
  }

  async saveSessionMeta(meta) {
    await this.#run(async () => {
      await mkdir(this.#dir, { recursive: true });
      await writeAtomic(join(this.#dir, META), JSON.stringify(meta));
    });
  }

  async loadSessionMeta() {
    let text;
    try { text = await readFile(join(this.#dir, META), 'utf8'); } catch (e) { if (isMissing(e)) return null; throw asStoreError(e); }
    try { return JSON.parse(text); } catch (e) { throw backendError(`session meta is unreadable: ${e.message}`); }
  }

  // Internal (factory): seed meta unless some meta already exists.
  async _seedMeta(meta) {
    await this.#run(async () => {
      await mkdir(this.#dir, { recursive: true });
      if (await createExclusive(join(this.#dir, META), JSON.stringify(meta))) await syncDir(dirname(this.#dir));
    });
  }

  async _exists() {
    for (const name of [META, LOG]) {
      try { await stat(join(this.#dir, name)); return true; } catch (e) { if (!isMissing(e)) throw asStoreError(e); }
    }
    return false;
  }
}

export class FileSessionStoreFactory {
  #dir; #stores = new Map();
  constructor({ dir } = {}) {
    if (typeof dir !== 'string' || !dir) throw invalidArgument('dir', 'expected a directory path');
    this.#dir = dir;
  }
  get durabilityTier() { return 'durable'; }

  #store(id) {
    let s = this.#stores.get(id);
    if (!s) { s = new FileSessionStore(join(this.#dir, dirName(id)), id); this.#stores.set(id, s); }
    return s;
  }

  async createStore({ session_id, relation = { kind: 'root' }, policy } = {}) {
    checkSessionId(session_id);
    const store = this.#store(session_id);
    await store._seedMeta({ session_id, session_name: session_id, created_at: new Date().toISOString(),
      model: policy?.model?.id ?? '', relation }); // never overwrites existing meta/relation
    return store;
  }

  async openExistingStore({ session_id } = {}) {
    if (typeof session_id !== 'string' || !session_id) return null;
    const store = this.#store(session_id);
    return (await store._exists()) ? store : null;
  }

  async deleteSession(sessionId) {
    if (typeof sessionId !== 'string' || !sessionId) return;
    const dir = join(this.#dir, dirName(sessionId));
    this.#stores.delete(sessionId);
    await exclusive(resolve(dir), async () => {
      try { await rm(dir, { recursive: true, force: true }); } catch (e) { throw asStoreError(e); }
      await syncDir(this.#dir);
    });
  }
}

// ---- attachments and process environments ----

// lash AttachmentStoreError texts (crates/lash-core/src/attachments.rs)
const ioError = (path, e) => new LashError('Io', `attachment store I/O failed at ${path}: ${e?.message ?? e}`, { path });

// Content-addressed attachments: bytes at {dir}/{sha256}, metadata at {dir}/{sha256}.json,
// each written to a temp file, fsync'ed and renamed into place.
export class FileAttachmentStore {
  #dir;
  constructor({ dir } = {}) {
    if (typeof dir !== 'string' || !dir) throw invalidArgument('dir', 'expected a directory path');
    this.#dir = dir;
  }
  get durabilityTier() { return 'durable'; }

  async put(bytes, meta = {}) {
    const data = toBytes(bytes);
    const ref = attachmentRef(sha256(data), data, meta);
    const path = join(this.#dir, ref.id);
    try {
      await mkdir(this.#dir, { recursive: true });
      try { await stat(path); } catch (e) { if (!isMissing(e)) throw e; await writeAtomic(path, data); } // same bytes: one copy
      await writeAtomic(`${path}.json`, JSON.stringify(ref)); // like lash's file store, the latest put's metadata
    } catch (e) {
      throw ioError(path, e);
    }
    return ref;
  }

  async get(id) {
    if (typeof id !== 'string' || !/^[0-9a-f]{64}$/.test(id)) throw attachmentNotFound(id); // never a path outside dir
    const path = join(this.#dir, id);
    let bytes, text;
    try { bytes = await readFile(path); } catch (e) { throw isMissing(e) ? attachmentNotFound(id) : ioError(path, e); }
    try { text = await readFile(`${path}.json`, 'utf8'); } catch (e) {
      if (isMissing(e)) throw new LashError('MissingMeta', `attachment store metadata is unavailable for \`${id}\``, { id });
      throw ioError(`${path}.json`, e);
    }
    let metaJson;
    try { metaJson = JSON.parse(text); } catch (e) {
      throw new LashError('MetadataDecode', `attachment store metadata decode failed for \`${id}\`: ${e.message}`, { id });
    }
    return { meta: metaJson, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
  }
}

// Process execution environments: {dir}/{sha256(ref)}, written then renamed.
export class FileProcessExecutionEnvStore {
  #dir;
  constructor({ dir } = {}) {
    if (typeof dir !== 'string' || !dir) throw invalidArgument('dir', 'expected a directory path');
    this.#dir = dir;
  }
  get durabilityTier() { return 'durable'; }

  async putProcessExecutionEnv(ref, bytes) {
    const data = toBytes(bytes);
    try {
      await mkdir(this.#dir, { recursive: true });
      await writeAtomic(join(this.#dir, sha256(String(ref))), data);
    } catch (e) { throw asStoreError(e); }
  }

  async getProcessExecutionEnv(ref) {
    try {
      const b = await readFile(join(this.#dir, sha256(String(ref))));
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (e) {
      if (isMissing(e)) return null;
      throw asStoreError(e);
    }
  }
}
