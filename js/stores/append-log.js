// The append-only, self-checking log the file stores keep their writes in (Node
// only). One record a line:
//     {"len":N,"sha256":"<hex of the N payload bytes>"}\t<payload JSON>\n
// The first record names the log ({"v":1,"t":"log","log_id",...}); every other
// record is the owner's, replayed through onRecord(payload) -> outcome. A record is
// written with one append and fsync'ed before write() returns, so it is on disk
// whole or not at all. Replay makes the log the arbiter between writers in
// different processes: write() returns the outcome of ITS record as replayed in
// file order (a record that lost a race reports the error and changes nothing). A
// torn or corrupt tail (a partial line, a bad length or checksum) ends the replay;
// it is ignored and cut off before the next append. Reads are incremental: sync()
// re-reads only bytes appended since it last looked (one stat when nothing moved).
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, stat, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LashError } from '../errors.js';
import { asStoreError, backendError } from './commit.js';

export const RECORD_VERSION = 1;
export const sha256 = (data) => createHash('sha256').update(data).digest('hex');
export const isMissing = (e) => e?.code === 'ENOENT';

export function frame(payload) {
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  return Buffer.concat([Buffer.from(`${JSON.stringify({ len: body.length, sha256: sha256(body) })}\t`, 'utf8'), body, Buffer.from('\n')]);
}

// Yields { end, payload } for each whole, checksum-clean record of buf (offsets
// relative to buf); stops at the first partial or damaged one.
export function* records(buf) {
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

export async function syncDir(dir) {
  let fh;
  try { fh = await open(dir, 'r'); await fh.sync(); } catch { /* not supported here (e.g. Windows) */ } finally { await fh?.close(); }
}

// One operation at a time per key (a directory path) within this process: every
// handle and factory over the same path shares the queue.
const queues = new Map();
export function exclusive(key, fn) {
  const p = (queues.get(key) ?? Promise.resolve()).then(fn);
  const tail = p.then(() => {}, () => {});
  queues.set(key, tail);
  tail.then(() => { if (queues.get(key) === tail) queues.delete(key); });
  return p;
}

export class AppendLog {
  #dir; #path; #kind; #header; #onReset; #onRecord;
  #logId = null;  // the log the owner's state was read from
  #offset = 0;    // bytes of whole, replayed records
  #size = 0;      // file size at the last look (> #offset: a torn or corrupt tail)
  #seen = null;   // inode:size:mtime at the last look

  /**
   * dir/file: the log; kind: its name in errors ('commit log');
   * header: extra fields of the naming record; onReset(): drop the owner's state
   * (the log was deleted or replaced); onRecord(payload): replay one record (it may
   * return a promise: records replay one after another).
   */
  constructor({ dir, path, kind, header = {}, onReset, onRecord }) {
    this.#dir = dir;
    this.#path = path;
    this.#kind = kind;
    this.#header = header;
    this.#onReset = onReset;
    this.#onRecord = onRecord;
  }

  #reset() {
    this.#logId = null;
    this.#offset = 0;
    this.#size = 0;
    this.#seen = null;
    this.#onReset();
  }

  #replay(rec) {
    if (rec?.v !== RECORD_VERSION) {
      throw new LashError('UnsupportedRecordSchemaVersion',
        `${this.#kind} record schema_version ${rec?.v} is not supported by this binary (expected ${RECORD_VERSION})`,
        { recordKind: `${this.#kind} record`, actual: rec?.v, expected: RECORD_VERSION });
    }
    if (rec.t === 'log') { if (this.#logId === null) this.#logId = rec.log_id; return {}; }
    return this.#onRecord(rec);
  }

  /** Bring the owner up to the file; returns the outcome of the record tagged waitFor, if replayed now. */
  async sync(waitFor = null) {
    let st;
    try { st = await stat(this.#path); } catch (e) { if (!isMissing(e)) throw e; st = null; }
    if (!st) { if (this.#seen) this.#reset(); return null; } // deleted (or never written)
    const seen = `${st.ino}:${st.size}:${st.mtimeMs}`;
    if (seen === this.#seen) return null; // nothing moved: one stat
    const fh = await open(this.#path, 'r');
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
      const outcome = await this.#replay(payload);
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
      const st = await stat(this.#path).catch(() => null);
      if (st && st.size !== this.#size) await this.sync();
      if (this.#size > this.#offset) await truncate(this.#path, this.#offset);
    }
    const creating = this.#offset === 0; // no whole record yet: (re)start the log with its name
    let bytes = frame(payload);
    if (creating) bytes = Buffer.concat([frame({ v: RECORD_VERSION, t: 'log', log_id: randomUUID(), ...this.#header }), bytes]);
    const start = this.#offset;
    const fh = await open(this.#path, 'a');
    try {
      await fh.write(bytes);
      await fh.sync();
    } catch (e) {
      // leave no record whose write reported failure (if nobody appended after it)
      const { size } = await fh.stat().catch(() => ({ size: -1 }));
      if (size >= start && size <= start + bytes.length) await fh.truncate(start).catch(() => {});
      throw e;
    } finally {
      await fh.close();
    }
    if (creating) { await syncDir(this.#dir); await syncDir(dirname(this.#dir)); }
  }

  /** Append payload (tagged with a fresh `w`) and return its outcome as replayed from the file. */
  async write(payload) {
    payload.w = randomUUID();
    try { await this.#append(payload); } catch (e) { throw asStoreError(e); }
    const outcome = await this.sync(payload.w);
    if (!outcome) throw backendError(`the record just written was not found in the ${this.#kind} (was it deleted?)`);
    if (outcome.error) throw outcome.error;
    return outcome;
  }
}
