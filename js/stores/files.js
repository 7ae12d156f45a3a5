// File stores for Node, tier 'durable' (exported from js/node.js only, so browser
// bundles never see node: modules).
//
// A session is a directory holding `meta.json` and an append-only log,
// `commits.log`, of self-checking records, one a line:
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
import { createHash, randomUUID } from 'node:crypto';
import { link, mkdir, open, readFile, rename, rm, stat, truncate, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { LashError, invalidArgument } from '../errors.js';
import {
  SessionState, planCommit, checkpointRef, asStoreError, backendError, checkNodeIds, checkSessionId, checkScope,
  toBytes, attachmentRef, attachmentNotFound,
} from './commit.js';

const RECORD_VERSION = 1;
const LOG = 'commits.log';
const META = 'meta.json';
const sha256 = (data) => createHash('sha256').update(data).digest('hex');
const isMissing = (e) => e?.code === 'ENOENT';

// ---- framing ----

function frame(payload) {
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  return Buffer.concat([Buffer.from(`${JSON.stringify({ len: body.length, sha256: sha256(body) })}\t`, 'utf8'), body, Buffer.from('\n')]);
}

// Yields { end, payload } for each whole, checksum-clean record of buf (offsets
// relative to buf); stops at the first partial or damaged one.
function* records(buf) {
  let at = 0;
  while (at < buf.length) {
    const tab = buf.indexOf(0x09, at);
    if (tab < 0 || tab - at > 128) return;
    let head;
    try { head = JSON.parse(buf.toString('utf8', at, tab)); } catch { return; }
    if (!Number.isSafeInteger(head?.len) || head.len < 0 || typeof head.sha256 !== 'string') return;
    const end = tab + 1 + head.len;
    if (end >= buf.length || buf[end] !== 0x0a) return;
    const body = buf.subarray(tab + 1, end);
    if (sha256(body) !== head.sha256) return;
    let payload;
    try { payload = JSON.parse(body.toString('utf8')); } catch { return; }
    yield { end: end + 1, payload };
    at = end + 1;
  }
}

// ---- small fs helpers ----

async function syncDir(dir) {
  let fh;
  try { fh = await open(dir, 'r'); await fh.sync(); } catch { /* not supported here (e.g. Windows) */ } finally { await fh?.close(); }
}

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

// One operation at a time per session directory within this process (every handle
// and factory over the same path shares the queue).
const queues = new Map();
function exclusive(key, fn) {
  const p = (queues.get(key) ?? Promise.resolve()).then(fn);
  const tail = p.then(() => {}, () => {});
  queues.set(key, tail);
  tail.then(() => { if (queues.get(key) === tail) queues.delete(key); });
  return p;
}

// A directory name for a session id: readable, portable, and unique even on
// case-insensitive file systems (the hash suffix).
function dirName(id) {
  const readable = encodeURIComponent(id).replace(/[!'()*.~%]/g, '_').slice(0, 80);
  return `${readable}-${sha256(id).slice(0, 16)}`;
}

// ---- sessions ----

class FileSessionStore {
  #dir; #log;
  #state = new SessionState();
  #logId = null;  // the log this state was read from
  #offset = 0;    // bytes of whole, replayed records
  #size = 0;      // file size at the last look (> #offset: a torn or corrupt tail)
  #seen = null;   // inode:size:mtime at the last look

  constructor(dir, sessionId) {
    this.sessionId = sessionId;
    this.#dir = dir;
    this.#log = join(dir, LOG);
  }
  get durabilityTier() { return 'durable'; }

  #reset() {
    this.#state = new SessionState();
    this.#logId = null;
    this.#offset = 0;
    this.#size = 0;
    this.#seen = null;
  }

  // Replay one record into the state; returns its outcome for the writer.
  #replay(rec) {
    if (rec?.v !== RECORD_VERSION) {
      throw new LashError('UnsupportedRecordSchemaVersion',
        `commit log record schema_version ${rec?.v} is not supported by this binary (expected ${RECORD_VERSION})`,
        { recordKind: 'commit log record', actual: rec?.v, expected: RECORD_VERSION });
    }
    switch (rec.t) {
      case 'log': if (this.#logId === null) this.#logId = rec.log_id; return {};
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

  // Bring the state up to the file: read only what was appended since last time.
  // Returns the outcome of the record tagged `waitFor`, if it was replayed now.
  async #sync(waitFor = null) {
    let st;
    try { st = await stat(this.#log); } catch (e) { if (!isMissing(e)) throw e; st = null; }
    if (!st) { if (this.#seen) this.#reset(); return null; } // deleted (or never written)
    const seen = `${st.ino}:${st.size}:${st.mtimeMs}`;
    if (seen === this.#seen) return null; // nothing moved: one stat
    const fh = await open(this.#log, 'r');
    let buf;
    try {
      if (this.#offset && (st.size < this.#offset || !(await this.#sameLog(fh)))) this.#reset(); // replaced or recreated
      buf = Buffer.alloc(st.size - this.#offset);
      let got = 0;
      while (got < buf.length) {
        const { bytesRead } = await fh.read(buf, got, buf.length - got, this.#offset + got);
        if (!bytesRead) break;
        got += bytesRead;
      }
      buf = buf.subarray(0, got);
    } finally {
      await fh.close();
    }
    const base = this.#offset;
    let found = null;
    for (const { end, payload } of records(buf)) {
      const outcome = this.#replay(payload);
      this.#offset = base + end;
      if (waitFor !== null && payload.w === waitFor) found = outcome;
    }
    this.#size = base + buf.length;
    this.#seen = seen;
    return found;
  }

  // Is the file still the log our state came from? (Its first record names it.)
  async #sameLog(fh) {
    const head = Buffer.alloc(512);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    for (const { payload } of records(head.subarray(0, bytesRead))) return payload?.t === 'log' && payload.log_id === this.#logId;
    return false;
  }

  // Append one record (after cutting any torn tail) and fsync it.
  async #append(payload) {
    await mkdir(this.#dir, { recursive: true });
    if (this.#size > this.#offset) {
      // a torn tail goes now — unless the file moved since we looked (another
      // process's record may have been mid-write): then look again first
      const st = await stat(this.#log).catch(() => null);
      if (st && st.size !== this.#size) await this.#sync();
      if (this.#size > this.#offset) await truncate(this.#log, this.#offset);
    }
    const creating = this.#offset === 0; // no whole record yet: (re)start the log with its name
    let bytes = frame(payload);
    if (creating) bytes = Buffer.concat([frame({ v: RECORD_VERSION, t: 'log', log_id: randomUUID(), session_id: this.sessionId }), bytes]);
    const start = this.#offset;
    const fh = await open(this.#log, 'a');
    try {
      await fh.write(bytes);
      await fh.sync();
    } catch (e) {
      // leave no record whose commit reported failure (if nobody appended after it)
      const { size } = await fh.stat().catch(() => ({ size: -1 }));
      if (size >= start && size <= start + bytes.length) await fh.truncate(start).catch(() => {});
      throw e;
    } finally {
      await fh.close();
    }
    if (creating) { await syncDir(this.#dir); await syncDir(dirname(this.#dir)); }
  }

  // Write a record and return its outcome as replayed from the file.
  async #write(payload) {
    payload.w = randomUUID();
    try { await this.#append(payload); } catch (e) { throw asStoreError(e); }
    const outcome = await this.#sync(payload.w);
    if (!outcome) throw backendError('the record just written was not found in the commit log (was the session deleted?)');
    if (outcome.error) throw outcome.error;
    return outcome;
  }

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
