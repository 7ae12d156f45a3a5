// Process registry write/read cost per backend: N processes, each registered,
// given one replay-keyed event, leased, completed and released (5 writes), then
// listNonTerminal() and one process's events read back. In-memory, IndexedDB
// (fake-indexeddb in Node: measures our transaction shape, not a browser's disk)
// and files (one fsync per write). Run: node bench/process-registry.mjs  (BENCH_N, default 200)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IDBFactory } from 'fake-indexeddb';
import { InMemoryProcessRegistry, IndexedDbProcessRegistry, FileProcessRegistry } from '../js/node.js';

const N = Number(process.env.BENCH_N ?? 200);
const reg = (id) => ({ id, input: { type: 'external', metadata: null }, provenance: { originator: { type: 'host' } },
  event_types: [{ name: 'step' }] });

async function measure(name, registry) {
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const id = `p${i}`;
    await registry.registerProcess(reg(id));
    await registry.appendEvent(id, { event_type: 'step', payload: { i }, replay: { key: `step:${i}` } });
    const lease = await registry.claimProcessLease(id, 'bench', 60000);
    await registry.completeProcess(id, { type: 'success', value: i });
    await registry.completeProcessLease({ process_id: id, lease_token: lease.lease_token });
  }
  const t1 = performance.now();
  await registry.listNonTerminal();
  await registry.eventsAfter(`p${N - 1}`, 0);
  const t2 = performance.now();
  const writes = N * 5;
  console.log(`${name.padEnd(22)} ${writes} writes ${(t1 - t0).toFixed(0).padStart(6)} ms  ${((t1 - t0) / writes).toFixed(3).padStart(7)} ms/write  reads ${(t2 - t1).toFixed(1)} ms`);
}

const dir = mkdtempSync(join(tmpdir(), 'lash-bench-procreg-'));
try {
  await measure('in-memory', new InMemoryProcessRegistry());
  await measure('IndexedDB (fake)', new IndexedDbProcessRegistry({ indexedDB: new IDBFactory() }));
  await measure('files (fsync)', new FileProcessRegistry({ dir }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
