// The process registry contract (process-registry-conformance.js) on every shipped
// backend: in memory, IndexedDB (fake-indexeddb here; Chromium's own in
// browser.test.js) and files; plus what is specific to a backend.
import { IDBFactory } from 'fake-indexeddb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemoryProcessRegistry, IndexedDbProcessRegistry, FileProcessRegistry } from '../js/node.js';
import { runProcessRegistryConformance } from './process-registry-conformance.js';

const dirs = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
const tempDir = () => { const d = mkdtempSync(join(tmpdir(), 'lash-procreg-')); dirs.push(d); return d; };

runProcessRegistryConformance('in-memory', () => new InMemoryProcessRegistry(), { tier: 'inline' });
runProcessRegistryConformance('IndexedDB (fake-indexeddb)', () => {
  const indexedDB = new IDBFactory();
  return { registry: new IndexedDbProcessRegistry({ indexedDB }), reopen: () => new IndexedDbProcessRegistry({ indexedDB }) };
}, { tier: 'durable' });
runProcessRegistryConformance('files', () => {
  const dir = tempDir();
  return { registry: new FileProcessRegistry({ dir }), reopen: () => new FileProcessRegistry({ dir }) };
}, { tier: 'durable' });
