// The store conformance suite on every shipped backend — memory, files (Node) and
// IndexedDB (fake-indexeddb here; Chromium's own in browser.test.js) — plus what is
// particular to each: the file log's torn-tail recovery and cross-process writers,
// IndexedDB's one-transaction commit, schema versioning and per-commit write counts.
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { jest } from '@jest/globals';
import { runNodeModule } from './fixtures/node-module.js';
import { IDBFactory, IDBDatabase, IDBObjectStore, indexedDB } from 'fake-indexeddb';
import {
  InMemorySessionStoreFactory, InMemoryAttachmentStore, InMemoryProcessExecutionEnvStore,
  IndexedDbSessionStoreFactory, IndexedDbAttachmentStore, IndexedDbProcessExecutionEnvStore,
  FileSessionStoreFactory, FileAttachmentStore, FileProcessExecutionEnvStore, LashError,
} from '../js/node.js';
import * as browserEntry from '../js/index.js';
import { runSessionStoreConformance, runAttachmentStoreConformance, runProcessEnvStoreConformance } from './store-conformance.js';

const dirs = [];
const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'lash-store-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
let n = 0;
const dbName = () => `conformance-${process.pid}-${n++}`;

// ---- the suite on each backend ----

runSessionStoreConformance('in-memory', () => new InMemorySessionStoreFactory());
runSessionStoreConformance('files', () => {
  const dir = tmp();
  return { factory: new FileSessionStoreFactory({ dir }), reopen: () => new FileSessionStoreFactory({ dir }) };
});
runSessionStoreConformance('IndexedDB (fake-indexeddb)', () => {
  const name = dbName();
  return { factory: new IndexedDbSessionStoreFactory({ dbName: name, indexedDB }),
    reopen: () => new IndexedDbSessionStoreFactory({ dbName: name, indexedDB, durability: 'relaxed' }) };
});
runAttachmentStoreConformance('in-memory', () => new InMemoryAttachmentStore());
runAttachmentStoreConformance('files', () => {
  const dir = tmp();
  return { store: new FileAttachmentStore({ dir }), reopen: () => new FileAttachmentStore({ dir }) };
});
runAttachmentStoreConformance('IndexedDB (fake-indexeddb)', () => {
  const name = dbName();
  return { store: new IndexedDbAttachmentStore({ dbName: name, indexedDB }), reopen: () => new IndexedDbAttachmentStore({ dbName: name, indexedDB }) };
});
runProcessEnvStoreConformance('in-memory', () => new InMemoryProcessExecutionEnvStore());
runProcessEnvStoreConformance('files', () => {
  const dir = tmp();
  return { store: new FileProcessExecutionEnvStore({ dir }), reopen: () => new FileProcessExecutionEnvStore({ dir }) };
});
runProcessEnvStoreConformance('IndexedDB (fake-indexeddb)', () => {
  const name = dbName();
  return { store: new IndexedDbProcessExecutionEnvStore({ dbName: name, indexedDB }), reopen: () => new IndexedDbProcessExecutionEnvStore({ dbName: name, indexedDB }) };
});

// ---- fixtures for the backend-specific tests ----

const nd = (id, parent) => ({ node_id: id, ...(parent ? { parent_node_id: parent } : {}), timestamp: 't', kind: 'event',
  event: { Conversation: { id: `m-${id}`, role: 'User', parts: [{ id: `m-${id}.p0`, kind: 'Text', content: id, prune_state: 'Intact' }] } } });
const c = (expected, graph, extra = {}) => ({ session_id: 's', expected_head_revision: expected, config: { provider_id: 'p', model: { id: 'm' } },
  agent_frames: [], current_agent_frame_id: '', graph, checkpoint: { turn_state: { turn_index: 0, token_usage: {}, protocol_turn_options: {} } },
  usage_deltas: [], turn_commit: null, completed_queue_claims: [], committed_attachment_ids: [], ...extra });
const app = (nodes, leaf) => ({ Append: { nodes, leaf_node_id: leaf } });
const rep = (nodes, leaf) => ({ ReplaceFull: { nodes, leaf_node_id: leaf } });
const req = (sid = 's') => ({ session_id: sid, relation: { kind: 'root' }, policy: { model: { id: 'm' } } });
const idsOf = (read) => read.graph.nodes.map((x) => x.node_id);

describe('in-memory specifics', () => {
  test('lash InMemorySessionStoreFactory meta and checkpoint refs', async () => {
    const f = new InMemorySessionStoreFactory();
    expect(f.durabilityTier).toBe('inline');
    const store = await f.createStore({ session_id: 's', relation: { kind: 'root' }, policy: { model: { id: 'gpt' } } });
    expect(await store.loadSessionMeta()).toEqual({ session_id: 's', session_name: 's', created_at: '1970-01-01T00:00:00Z', model: 'gpt', relation: { kind: 'root' } });
    const r = await store.commitRuntimeState(c(null, rep([nd('a')], 'a')));
    expect(r.checkpoint_ref).toBe('recording-checkpoint-1');
    expect((await store.loadSession()).checkpoint_ref).toBe('recording-checkpoint-1');
  });

  test('a commit the store cannot copy (a function inside) is Backend and changes nothing', async () => {
    const store = await new InMemorySessionStoreFactory().createStore(req());
    await store.commitRuntimeState(c(null, rep([nd('a')], 'a')));
    const err = await store.commitRuntimeState(c(1, app([{ ...nd('b', 'a'), fn: () => 1 }], 'b'))).catch((e) => e);
    expect(err).toBeInstanceOf(LashError);
    expect(err.code).toBe('Backend');
    expect(await store.headRevision()).toBe(1);
    expect(idsOf(await store.loadSession())).toEqual(['a']);
  });

  test('createStore needs a session id', async () => {
    const err = await new InMemorySessionStoreFactory().createStore({ relation: { kind: 'root' } }).catch((e) => e);
    expect(err.code).toBe('InvalidArgument');
  });
});

// ---- files ----

const logOf = (dir, sid = 's') => {
  const sub = readdirSync(dir).find((d) => existsSync(join(dir, d, 'commits.log')) && readFileSync(join(dir, d, 'meta.json'), 'utf8').includes(`"session_id":"${sid}"`));
  return join(dir, sub, 'commits.log');
};
const frame = (payload) => {
  const body = JSON.stringify(payload);
  return `${JSON.stringify({ len: Buffer.byteLength(body), sha256: createHash('sha256').update(body).digest('hex') })}\t${body}\n`;
};

describe('file session store: the commit log', () => {
  async function twoCommits() {
    const dir = tmp();
    const store = await new FileSessionStoreFactory({ dir }).createStore(req());
    await store.commitRuntimeState(c(null, rep([nd('a')], 'a')));
    await store.commitRuntimeState(c(1, app([nd('b', 'a')], 'b')));
    return { dir, log: logOf(dir) };
  }
  const reopen = (dir) => new FileSessionStoreFactory({ dir }).openExistingStore({ session_id: 's' });

  test('one self-checking line per record: {"len","sha256"}\\t<json>\\n, the first naming the log', async () => {
    const { log } = await twoCommits();
    const lines = readFileSync(log, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.length).toBe(3);
    for (const line of lines) {
      const [head, body] = line.split('\t');
      const { len, sha256 } = JSON.parse(head);
      expect(len).toBe(Buffer.byteLength(body));
      expect(sha256).toBe(createHash('sha256').update(body).digest('hex'));
    }
    expect(JSON.parse(lines[0].split('\t')[1])).toMatchObject({ v: 1, t: 'log', session_id: 's' });
    expect(JSON.parse(lines[2].split('\t')[1]).commit.graph).toEqual(app([nd('b', 'a')], 'b'));
  });

  test.each([
    ['half a record (a crash mid-append)', (log) => appendFileSync(log, '{"len":999,"sha256":"3f2a9c"}\t{"v":1,"t":"commit","commit":{"session_')],
    ['a whole line whose checksum does not match', (log) => appendFileSync(log, `{"len":2,"sha256":"${'0'.repeat(64)}"}\t{}\n`)],
    ['a line whose length does not match', (log) => appendFileSync(log, `{"len":5,"sha256":"${'0'.repeat(64)}"}\t{}\n`)],
    ['plain garbage', (log) => appendFileSync(log, 'garbage without a newline')],
  ])('torn tail — %s: reopen sees the last good commit, the tail is cut and the next commit lands', async (_label, damage) => {
    const { dir, log } = await twoCommits();
    const good = readFileSync(log);
    damage(log);
    const store = await reopen(dir);
    const read = await store.loadSession({ type: 'full_graph' });
    expect(idsOf(read)).toEqual(['a', 'b']);
    expect(read.head_revision).toBe(2);
    expect(await store.headRevision()).toBe(2);
    expect((await store.commitRuntimeState(c(2, app([nd('c', 'b')], 'c')))).head_revision).toBe(3);
    const after = readFileSync(log);
    expect(after.subarray(0, good.length).equals(good)).toBe(true); // good records untouched, the tail replaced
    expect(after.toString('utf8')).not.toMatch(/garbage|3f2a9c|"len":5|"len":2,/);
    expect(idsOf(await (await reopen(dir)).loadSession({ type: 'full_graph' }))).toEqual(['a', 'b', 'c']);
  });

  test('a corrupted last record (one flipped byte): its commit is dropped, the one before stands', async () => {
    const { dir, log } = await twoCommits();
    const text = readFileSync(log, 'utf8');
    const at = text.lastIndexOf('"m-b"');
    writeFileSync(log, `${text.slice(0, at)}"m-X"${text.slice(at + 5)}`);
    const store = await reopen(dir);
    const read = await store.loadSession({ type: 'full_graph' });
    expect(idsOf(read)).toEqual(['a']);
    expect(read.head_revision).toBe(1);
    // the lost commit's CAS revision is free again
    expect((await store.commitRuntimeState(c(1, app([nd('c', 'a')], 'c')))).head_revision).toBe(2);
    expect(idsOf(await (await reopen(dir)).loadSession({ type: 'full_graph' }))).toEqual(['a', 'c']);
  });

  test('a log torn inside its very first record restarts cleanly', async () => {
    const dir = tmp();
    const f = new FileSessionStoreFactory({ dir });
    const store = await f.createStore(req());
    await store.commitRuntimeState(c(null, rep([nd('a')], 'a')));
    const log = logOf(dir);
    writeFileSync(log, readFileSync(log).subarray(0, 20));
    const again = await reopen(dir);
    expect(await again.loadSession({ type: 'full_graph' })).toBeNull();
    expect(await again.headRevision()).toBeNull();
    expect((await again.commitRuntimeState(c(null, rep([nd('z')], 'z')))).head_revision).toBe(1);
    expect(idsOf(await (await reopen(dir)).loadSession({ type: 'full_graph' }))).toEqual(['z']);
  });

  test('a record from a newer log format is refused, not skipped', async () => {
    const { dir, log } = await twoCommits();
    appendFileSync(log, frame({ v: 2, t: 'commit', commit: {} }));
    const err = await (await reopen(dir)).loadSession({ type: 'full_graph' }).catch((e) => e);
    expect(err.code).toBe('UnsupportedRecordSchemaVersion');
    expect(err.message).toBe('commit log record schema_version 2 is not supported by this binary (expected 1)');
  });

  test('replay is the contract: a record that lost a race (stale CAS) has no effect', async () => {
    const { dir, log } = await twoCommits();
    // what a second process appends after losing the race to revision 2
    appendFileSync(log, frame({ v: 1, t: 'commit', w: 'other-writer', commit: c(1, app([nd('loser', 'a')], 'loser')) }));
    const store = await reopen(dir);
    expect(idsOf(await store.loadSession({ type: 'full_graph' }))).toEqual(['a', 'b']);
    expect((await store.commitRuntimeState(c(2, app([nd('c', 'b')], 'c')))).head_revision).toBe(3);
  });

  test('a commit that cannot be serialized (a BigInt) is Backend and writes nothing', async () => {
    const { dir, log } = await twoCommits();
    const size = readFileSync(log).length;
    const store = await reopen(dir);
    const err = await store.commitRuntimeState(c(2, app([{ ...nd('c', 'b'), big: 1n }], 'c'))).catch((e) => e);
    expect(err.code).toBe('Backend');
    expect(readFileSync(log).length).toBe(size);
    expect(await store.headRevision()).toBe(2);
  });

  test('tombstones and vacuum are log records: they survive a reopen', async () => {
    const { dir } = await twoCommits();
    const store = await reopen(dir);
    await store.tombstoneNodes(['b']);
    expect(idsOf(await (await reopen(dir)).loadSession({ type: 'full_graph' }))).toEqual(['a']);
    expect(await store.vacuum()).toEqual({ removed_node_count: 1 });
    const again = await reopen(dir);
    expect(idsOf(await again.loadSession({ type: 'full_graph' }))).toEqual(['a']);
    expect(await again.vacuum()).toEqual({ removed_node_count: 0 });
  });

  test('session ids map to distinct directories inside dir, whatever their characters', async () => {
    const dir = tmp();
    const f = new FileSessionStoreFactory({ dir });
    const sids = ['../escape', 'a/b', 'A', 'a', '.', 'x'.repeat(300)];
    for (const sid of sids) {
      const store = await f.createStore(req(sid));
      await store.commitRuntimeState({ ...c(null, rep([nd(sid)], sid)), session_id: sid });
    }
    expect(readdirSync(dir).length).toBe(sids.length);
    for (const sid of sids) expect(idsOf(await (await f.openExistingStore({ session_id: sid })).loadSession())).toEqual([sid]);
    expect(existsSync(join(dir, '..', 'escape'))).toBe(false);
  });

  test('a stale handle after delete + recreate reads the new log, never the old offsets', async () => {
    const dir = tmp();
    const f = new FileSessionStoreFactory({ dir });
    const old = await f.createStore(req());
    await old.commitRuntimeState(c(null, rep([nd('a'), nd('b', 'a')], 'b')));
    await f.deleteSession('s');
    const fresh = await new FileSessionStoreFactory({ dir }).createStore(req());
    await fresh.commitRuntimeState(c(null, rep([nd('new-1'), nd('new-2', 'new-1'), nd('new-3', 'new-2')], 'new-3')));
    expect(idsOf(await old.loadSession())).toEqual(['new-1', 'new-2', 'new-3']);
    expect((await old.commitRuntimeState(c(1, app([nd('new-4', 'new-3')], 'new-4')))).head_revision).toBe(2);
  });

  test('writers in separate processes: every acknowledged commit is in the log, exactly once, in order', async () => {
    const dir = tmp();
    await (await new FileSessionStoreFactory({ dir }).createStore(req())).commitRuntimeState(c(null, rep([nd('root')], 'root')));
    const storesUrl = new URL('../js/stores/files.js', import.meta.url).href;
    const code = `
      const { FileSessionStoreFactory } = await import(${JSON.stringify(storesUrl)});
      const [dir, who] = process.argv.slice(1);
      const store = await new FileSessionStoreFactory({ dir }).openExistingStore({ session_id: 's' });
      const won = [];
      for (let i = 0; won.length < 20 && i < 1000; i++) {
        const head = await store.headRevision();
        const read = await store.loadSession({ type: 'full_graph' });
        const id = who + '-' + i;
        try {
          await store.commitRuntimeState({ session_id: 's', expected_head_revision: head, config: {}, agent_frames: [], current_agent_frame_id: '',
            graph: { Append: { nodes: [{ node_id: id, parent_node_id: read.graph.leaf_node_id }], leaf_node_id: id } },
            checkpoint: { turn_state: {} }, usage_deltas: [], turn_commit: null, completed_queue_claims: [], committed_attachment_ids: [] });
          won.push(id);
        } catch (e) { if (e.code !== 'HeadRevisionConflict') throw e; }
      }
      process.stdout.write(JSON.stringify(won));`;
    const run = (who) => runNodeModule(code, [dir, who]);
    const [x, y, z] = await Promise.all([run('x'), run('y'), run('z')]);
    const read = await (await new FileSessionStoreFactory({ dir }).openExistingStore({ session_id: 's' })).loadSession();
    const stored = idsOf(read).slice(1);
    expect(new Set(stored)).toEqual(new Set([...x, ...y, ...z]));
    expect(stored.length).toBe(x.length + y.length + z.length);
    expect(read.head_revision).toBe(1 + stored.length);
    // a single chain: every node's parent is the node committed before it
    read.graph.nodes.slice(1).forEach((node, i) => expect(node.parent_node_id).toBe(read.graph.nodes[i].node_id));
  }, 60000);
});

describe('file attachment and env stores', () => {
  test('bytes at {dir}/{sha256} and metadata beside them; no temp files left behind', async () => {
    const dir = tmp();
    const store = new FileAttachmentStore({ dir });
    const ref = await store.put(new Uint8Array([9, 8, 7, 6]), { media_type: { kind: 'image', type: 'png' }, label: 'l' });
    await store.put(new Uint8Array([9, 8, 7, 6]), { media_type: { kind: 'image', type: 'png' }, label: 'l' });
    expect(readdirSync(dir).sort()).toEqual([ref.id, `${ref.id}.json`]);
    expect(Array.from(readFileSync(join(dir, ref.id)))).toEqual([9, 8, 7, 6]);
    expect(JSON.parse(readFileSync(join(dir, `${ref.id}.json`), 'utf8'))).toEqual(ref);
  });

  test('an id that is not a sha256 hex is NotFound without touching the file system', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'secret'), 'x');
    const store = new FileAttachmentStore({ dir: join(dir, 'att') });
    for (const id of ['../secret', '/etc/passwd', 'ABC']) expect((await store.get(id).catch((e) => e)).code).toBe('NotFound');
  });

  test('bytes without their metadata: MissingMeta', async () => {
    const dir = tmp();
    const store = new FileAttachmentStore({ dir });
    const ref = await store.put(new Uint8Array([1]), {});
    rmSync(join(dir, `${ref.id}.json`));
    const err = await store.get(ref.id).catch((e) => e);
    expect(err.code).toBe('MissingMeta');
    expect(err.message).toBe(`attachment store metadata is unavailable for \`${ref.id}\``);
  });

  test('tiers and constructor checks', () => {
    const dir = tmp();
    for (const S of [FileSessionStoreFactory, FileAttachmentStore, FileProcessExecutionEnvStore]) {
      expect(new S({ dir }).durabilityTier).toBe('durable');
      expect(() => new S({})).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
    }
  });
});

// ---- IndexedDB ----

describe('IndexedDB specifics', () => {
  const spies = [];
  afterEach(() => { while (spies.length) spies.pop().mockRestore(); });

  test('one readwrite transaction per commit over heads/nodes/ledger/stamps, with the durability option', async () => {
    const idb = new IDBFactory();
    const store = await new IndexedDbSessionStoreFactory({ dbName: 'tx', indexedDB: idb, durability: 'relaxed' }).createStore(req());
    const calls = [];
    const orig = IDBDatabase.prototype.transaction;
    spies.push(jest.spyOn(IDBDatabase.prototype, 'transaction').mockImplementation(function (names, mode, opts) {
      calls.push({ names: [].concat(names).sort(), mode, durability: opts?.durability });
      return orig.call(this, names, mode, opts);
    }));
    await store.commitRuntimeState(c(null, rep([nd('a')], 'a'), { usage_deltas: [{ source: 'turn', model: 'm', usage: { input_tokens: 1, output_tokens: 0, cached_input_tokens: 0, reasoning_tokens: 0 } }],
      turn_commit: { session_id: 's', turn_id: 't', turn_commit_hash: 'h' } }));
    expect(calls).toEqual([{ names: ['heads', 'ledger', 'nodes', 'stamps'], mode: 'readwrite', durability: 'relaxed' }]);
  });

  test('writes per commit grow with the commit, never with the history', async () => {
    const store = await new IndexedDbSessionStoreFactory({ dbName: 'writes', indexedDB: new IDBFactory() }).createStore(req());
    const puts = [];
    const deletes = [];
    const put = IDBObjectStore.prototype.put;
    const del = IDBObjectStore.prototype.delete;
    spies.push(jest.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (...a) { puts.push(this.name); return put.apply(this, a); }));
    spies.push(jest.spyOn(IDBObjectStore.prototype, 'delete').mockImplementation(function (...a) { deletes.push(this.name); return del.apply(this, a); }));
    const history = Array.from({ length: 200 }, (_, i) => nd(`h${i}`, i ? `h${i - 1}` : null));
    await store.commitRuntimeState(c(null, rep(history, 'h199')));
    expect(puts.filter((s) => s === 'nodes').length).toBe(200);
    puts.length = 0;
    await store.commitRuntimeState(c(1, app([nd('n1', 'h199'), nd('n2', 'n1')], 'n2'), { usage_deltas: [{ source: 'turn', model: 'm', usage: {} }] }));
    expect(puts.sort()).toEqual(['heads', 'ledger', 'nodes', 'nodes']);
    expect(deletes).toEqual([]);
    puts.length = 0;
    await store.commitRuntimeState(c(2, { Unchanged: { leaf_node_id: 'n1' } }));
    expect(puts).toEqual(['heads']);
    // ReplaceFull deletes the session's rows and writes the new ones
    await store.commitRuntimeState(c(3, rep([nd('only')], 'only')));
    expect(deletes.length).toBe(202);
    expect(idsOf(await store.loadSession())).toEqual(['only']);
  });

  test('a failing write aborts the transaction: Backend, nothing applied', async () => {
    const store = await new IndexedDbSessionStoreFactory({ dbName: 'abort', indexedDB: new IDBFactory() }).createStore(req());
    await store.commitRuntimeState(c(null, rep([nd('a')], 'a')));
    const err = await store.commitRuntimeState(c(1, app([nd('b', 'a'), { ...nd('bad', 'b'), fn: () => 1 }], 'bad'),
      { usage_deltas: [{ source: 'turn', model: 'm', usage: { input_tokens: 5 } }] })).catch((e) => e);
    expect(err.code).toBe('Backend');
    expect(err.message).toMatch(/^store backend error: DataCloneError/);
    expect(await store.headRevision()).toBe(1);
    const read = await store.loadSession();
    expect(idsOf(read)).toEqual(['a']);
    expect(read.token_ledger).toEqual([]);
    expect(await store.loadNode('b')).toBeNull();
  });

  test('the schema is versioned: a v1 database (nodes keyed [sid, seq]) is migrated on open', async () => {
    const idb = new IDBFactory();
    await new Promise((resolve, reject) => {
      const r = idb.open('legacy', 1);
      r.onupgradeneeded = () => {
        const db = r.result;
        db.createObjectStore('heads');
        for (const s of ['nodes', 'ledger', 'stamps']) db.createObjectStore(s).createIndex('by_sid', 'sid');
        db.createObjectStore('meta');
        const tx = r.transaction;
        tx.objectStore('heads').put({ head_revision: 2, next_seq: 2, ledger_seq: 0, leaf: 'b',
          rest: { config: {}, agent_frames: [], current_agent_frame_id: '', checkpoint: null } }, 's');
        tx.objectStore('nodes').put({ sid: 's', node_id: 'b', node: nd('b', 'a') }, ['s', 1]);
        tx.objectStore('nodes').put({ sid: 's', node_id: 'a', node: nd('a') }, ['s', 0]);
        tx.objectStore('meta').put({ session_id: 's', relation: { kind: 'root' } }, 's');
      };
      r.onsuccess = () => { r.result.close(); resolve(); };
      r.onerror = () => reject(r.error);
    });
    const store = await new IndexedDbSessionStoreFactory({ dbName: 'legacy', indexedDB: idb }).openExistingStore({ session_id: 's' });
    const read = await store.loadSession();
    expect(idsOf(read)).toEqual(['a', 'b']);
    expect(read.head_revision).toBe(2);
    expect(await store.loadNode('b')).toEqual(nd('b', 'a'));
    expect((await store.commitRuntimeState(c(2, app([nd('c', 'b')], 'c')))).head_revision).toBe(3);
    const db = await new Promise((resolve) => { const r = idb.open('legacy'); r.onsuccess = () => resolve(r.result); });
    expect(db.version).toBe(3); // v3 adds the process registry's stores
    expect([...db.objectStoreNames].sort()).toEqual(['attachments', 'envs', 'heads', 'ledger', 'meta', 'nodes',
      'proc_events', 'proc_grants', 'proc_leases', 'proc_processes', 'proc_replays', 'stamps']);
    db.close();
  });

  test('options are checked', () => {
    for (const S of [IndexedDbSessionStoreFactory, IndexedDbAttachmentStore, IndexedDbProcessExecutionEnvStore]) {
      expect(new S({ dbName: 'x', indexedDB }).durabilityTier).toBe('durable');
      expect(() => new S({ dbName: 'x', indexedDB, durability: 'eventually' })).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
      expect(() => new S({ dbName: '', indexedDB })).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
    }
    expect(() => new IndexedDbSessionStoreFactory({ dbName: 'x', indexedDB: null })).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
  });
});

describe('module boundaries', () => {
  test('the browser entry exports the IndexedDB and memory stores but no file stores', () => {
    for (const name of ['IndexedDbSessionStoreFactory', 'IndexedDbAttachmentStore', 'IndexedDbProcessExecutionEnvStore', 'IndexedDbProcessRegistry',
      'InMemorySessionStoreFactory', 'InMemoryProcessRegistry']) {
      expect(typeof browserEntry[name]).toBe('function');
    }
    for (const name of ['FileSessionStoreFactory', 'FileAttachmentStore', 'FileProcessExecutionEnvStore', 'FileProcessRegistry']) expect(browserEntry[name]).toBeUndefined();
  });

  test('no browser-reachable module imports node: builtins or the file stores', () => {
    const root = fileURLToPath(new URL('../js/', import.meta.url));
    const seen = new Set();
    const visit = (file) => {
      if (seen.has(file)) return;
      seen.add(file);
      const src = readFileSync(file, 'utf8');
      for (const [, spec] of src.matchAll(/(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]/g)) {
        expect(spec.startsWith('node:')).toBe(false);
        if (spec.startsWith('.')) visit(join(file, '..', spec));
      }
    };
    visit(join(root, 'index.js'));
    expect([...seen].some((f) => /(files|files-processes|append-log|node)\.js$/.test(f))).toBe(false);
    expect(seen.has(join(root, 'stores', 'indexeddb.js'))).toBe(true);
  });
});
