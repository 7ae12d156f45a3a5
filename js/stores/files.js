// File stores for Node, tier 'durable' (exported from js/node.js only, so browser
// bundles never see node: modules). A session is a directory holding an
// append-only commit log: one record per commit, `<sha256 of json> <json>\n`,
// appended and fsync'ed, so a commit is on disk whole or not at all. On open a
// torn or corrupt tail (a crash mid-append) is detected, ignored and cut off.
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LashError } from '../errors.js';
import { SessionHead } from './replay.js';

const sha256 = (data) => createHash('sha256').update(data).digest('hex');
const safeName = (id) => encodeURIComponent(id).replace(/\./g, '%2E');

function backend(e) {
  return e instanceof LashError ? e : new LashError('Backend', `store backend error: ${e?.message ?? e}`);
}

class FileSessionStore {
  #dir; #log; #model = null; #size = -1; #queue = Promise.resolve();

  constructor(dir, sessionId) {
    this.sessionId = sessionId;
    this.#dir = dir;
    this.#log = join(dir, 'commits.log');
  }
  get durabilityTier() { return 'durable'; }

  // Re-read the log when its size moved (another process or a fresh open).
  async #load() {
    let size = 0;
    try { size = (await stat(this.#log)).size; } catch { size = 0; }
    if (this.#model && size === this.#size) return this.#model;
    const model = new SessionHead();
    let good = 0;
    if (size) {
      const text = await readFile(this.#log, 'utf8');
      let at = 0;
      for (;;) {
        const nl = text.indexOf('\n', at);
        if (nl < 0) break; // a partial last line: torn tail
        const line = text.slice(at, nl);
        const sp = line.indexOf(' ');
        const json = line.slice(sp + 1);
        if (sp !== 64 || sha256(json) !== line.slice(0, 64)) break; // corrupt: stop here
        let record;
        try { record = JSON.parse(json); } catch { break; }
        model.apply(model.plan(this.sessionId, record.commit), record.commit);
        at = nl + 1;
        good = Buffer.byteLength(text.slice(0, at));
      }
      if (good < size) await truncate(this.#log, good); // cut the torn tail before the next append
    }
    this.#model = model;
    this.#size = good;
    return model;
  }

  #serial(fn) {
    const p = this.#queue.then(fn, fn);
    this.#queue = p.catch(() => {});
    return p;
  }

  async headRevision() { return this.#serial(async () => (await this.#load()).head.head_revision); }

  async loadSession(scope) {
    return this.#serial(async () => (await this.#load()).read(this.sessionId, scope));
  }

  async loadNode(id) {
    return this.#serial(async () => structuredClone((await this.#load()).nodes.find((n) => n.node_id === id) ?? null));
  }

  async commitRuntimeState(commit) {
    return this.#serial(async () => {
      const model = await this.#load();
      const plan = model.plan(this.sessionId, commit);
      if (plan.replay) return structuredClone(plan.replay);
      const json = JSON.stringify({ commit, revision: plan.revision });
      const record = `${sha256(json)} ${json}\n`;
      try {
        await mkdir(this.#dir, { recursive: true });
        const fh = await open(this.#log, 'a');
        try {
          await fh.write(record);
          await fh.sync();
        } finally {
          await fh.close();
        }
      } catch (e) {
        this.#model = null; // whatever reached the disk is judged by the next load
        throw backend(e);
      }
      model.apply(plan, structuredClone(commit));
      this.#size += Buffer.byteLength(record);
      return structuredClone(plan.result);
    });
  }

  async saveSessionMeta(meta) {
    await mkdir(this.#dir, { recursive: true });
    const tmp = join(this.#dir, `meta.json.${process.pid}.tmp`);
    await writeFile(tmp, JSON.stringify(meta));
    await rename(tmp, join(this.#dir, 'meta.json'));
  }

  async loadSessionMeta() {
    try { return JSON.parse(await readFile(join(this.#dir, 'meta.json'), 'utf8')); } catch { return null; }
  }
}

export class FileSessionStoreFactory {
  #dir; #stores = new Map();
  constructor({ dir } = {}) {
    if (typeof dir !== 'string' || !dir) throw new LashError('InvalidArgument', 'invalid argument `dir`: expected a directory path', { argument: 'dir' });
    this.#dir = dir;
  }
  get durabilityTier() { return 'durable'; }

  #store(id) {
    let s = this.#stores.get(id);
    if (!s) { s = new FileSessionStore(join(this.#dir, safeName(id)), id); this.#stores.set(id, s); }
    return s;
  }

  async createStore({ session_id, relation = { kind: 'root' }, policy } = {}) {
    const store = this.#store(session_id);
    if (!(await store.loadSessionMeta())) { // never overwrite existing meta/relation
      await store.saveSessionMeta({ session_id, session_name: session_id, created_at: new Date().toISOString(),
        model: policy?.model?.id ?? '', relation });
    }
    return store;
  }

  async openExistingStore({ session_id } = {}) {
    const store = this.#store(session_id);
    return (await store.loadSessionMeta()) ? store : null;
  }

  async deleteSession(sessionId) {
    this.#stores.delete(sessionId);
    await rm(join(this.#dir, safeName(sessionId)), { recursive: true, force: true });
  }
}

// Content-addressed attachments: {dir}/{sha256}, written then renamed into place.
export class FileAttachmentStore {
  #dir;
  constructor({ dir } = {}) { this.#dir = dir; }
  get durabilityTier() { return 'durable'; }

  async put(bytes, { media_type = { kind: 'image', type: 'png' }, width, height, label } = {}) {
    const data = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
    const id = sha256(data);
    const ref = { id, media_type, byte_len: data.length };
    if (width != null) ref.width = width;
    if (height != null) ref.height = height;
    if (label != null) ref.label = label;
    await mkdir(this.#dir, { recursive: true });
    const tmp = join(this.#dir, `${id}.${process.pid}.tmp`);
    await writeFile(tmp, data);
    await rename(tmp, join(this.#dir, id));
    await writeFile(join(this.#dir, `${id}.json`), JSON.stringify(ref));
    return ref;
  }

  async get(id) {
    if (!/^[0-9a-f]{64}$/.test(id)) throw new LashError('NotFound', `attachment \`${id}\` not found`);
    try {
      const [bytes, meta] = await Promise.all([readFile(join(this.#dir, id)), readFile(join(this.#dir, `${id}.json`), 'utf8')]);
      return { meta: JSON.parse(meta), bytes: new Uint8Array(bytes) };
    } catch {
      throw new LashError('NotFound', `attachment \`${id}\` not found`);
    }
  }
}

export class FileProcessExecutionEnvStore {
  #dir;
  constructor({ dir } = {}) { this.#dir = dir; }
  get durabilityTier() { return 'durable'; }
  async putProcessExecutionEnv(ref, bytes) {
    await mkdir(this.#dir, { recursive: true });
    const name = join(this.#dir, sha256(ref));
    await writeFile(`${name}.tmp`, bytes);
    await rename(`${name}.tmp`, name);
  }
  async getProcessExecutionEnv(ref) {
    try { return new Uint8Array(await readFile(join(this.#dir, sha256(ref)))); } catch { return null; }
  }
}
