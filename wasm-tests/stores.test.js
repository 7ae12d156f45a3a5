// The store conformance suite on every shipped backend: memory, files (Node) and
// IndexedDB (fake-indexeddb in Node; Chromium's runs in browser.test.js).
import { mkdtempSync, rmSync, readdirSync, appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { indexedDB } from 'fake-indexeddb';
import {
  InMemorySessionStoreFactory, InMemoryAttachmentStore, IndexedDbSessionStoreFactory, IndexedDbAttachmentStore,
  FileSessionStoreFactory, FileAttachmentStore,
} from '../js/node.js';
import { runSessionStoreConformance, runAttachmentStoreConformance } from './store-conformance.js';

const dirs = [];
const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'lash-store-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
let n = 0;
const dbName = () => `conformance-${process.pid}-${n++}`;

runSessionStoreConformance('in-memory', () => ({ factory: new InMemorySessionStoreFactory() }));
runSessionStoreConformance('files', () => {
  const dir = tmp();
  return { factory: new FileSessionStoreFactory({ dir }), reopen: () => new FileSessionStoreFactory({ dir }) };
});
runSessionStoreConformance('IndexedDB (fake-indexeddb)', () => {
  const name = dbName();
  return { factory: new IndexedDbSessionStoreFactory({ dbName: name, indexedDB }),
    reopen: () => new IndexedDbSessionStoreFactory({ dbName: name, indexedDB }) };
});
runAttachmentStoreConformance('in-memory', () => ({ store: new InMemoryAttachmentStore() }));
runAttachmentStoreConformance('files', () => {
  const dir = tmp();
  return { store: new FileAttachmentStore({ dir }), reopen: () => new FileAttachmentStore({ dir }) };
});
runAttachmentStoreConformance('IndexedDB (fake-indexeddb)', () => {
  const name = dbName();
  return { store: new IndexedDbAttachmentStore({ dbName: name, indexedDB }),
    reopen: () => new IndexedDbAttachmentStore({ dbName: name, indexedDB }) };
});

describe('file store crash safety', () => {
  const c = (expected, nodes, leaf) => ({ session_id: 's', expected_head_revision: expected, config: {}, agent_frames: [],
    current_agent_frame_id: '', graph: expected === null ? { ReplaceFull: { nodes, leaf_node_id: leaf } } : { Append: { nodes, leaf_node_id: leaf } },
    checkpoint: { turn_state: { turn_index: 0, token_usage: {}, protocol_turn_options: {} } }, usage_deltas: [], turn_commit: null,
    completed_queue_claims: [], committed_attachment_ids: [] });
  const nd = (id, p) => ({ node_id: id, ...(p ? { parent_node_id: p } : {}), timestamp: 't', kind: 'event', event: { Conversation: { id, role: 'User', parts: [] } } });
  const logOf = (dir) => { const sub = readdirSync(dir)[0]; return join(dir, sub, 'commits.log'); };

  test.each([
    ['half a record appended (a crash mid-write)', (log) => appendFileSync(log, '3f2a9c {"commit":{"session_id":"s"')],
    ['a record whose checksum does not match', (log) => appendFileSync(log, `${'0'.repeat(64)} {"commit":{},"revision":3}\n`)],
    ['a flipped byte inside the last record', (log) => {
      const text = readFileSync(log, 'utf8');
      const at = text.lastIndexOf('"b"');
      writeFileSync(log, `${text.slice(0, at)}"X"${text.slice(at + 3)}`);
    }],
  ])('%s: reopen sees the last good commit and the next commit lands', async (_label, damage) => {
    const dir = tmp();
    const f = new FileSessionStoreFactory({ dir });
    const store = await f.createStore({ session_id: 's', relation: { kind: 'root' }, policy: {} });
    await store.commitRuntimeState(c(null, [nd('a')], 'a'));
    await store.commitRuntimeState(c(1, [nd('b', 'a')], 'b'));
    damage(logOf(dir));
    const reopened = await new FileSessionStoreFactory({ dir }).openExistingStore({ session_id: 's' });
    const read = await reopened.loadSession({ type: 'full_graph' });
    const flipped = _label.startsWith('a flipped');
    expect(read.graph.nodes.map((x) => x.node_id)).toEqual(flipped ? ['a'] : ['a', 'b']);
    const head = read.head_revision;
    expect(head).toBe(flipped ? 1 : 2);
    expect((await reopened.commitRuntimeState(c(head, [nd('c', flipped ? 'a' : 'b')], 'c'))).head_revision).toBe(head + 1);
    const again = await new FileSessionStoreFactory({ dir }).openExistingStore({ session_id: 's' });
    expect((await again.loadSession({ type: 'full_graph' })).graph.nodes.map((x) => x.node_id)).toEqual(flipped ? ['a', 'c'] : ['a', 'b', 'c']);
  });
});
