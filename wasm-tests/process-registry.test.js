// The process registry contract (process-registry-conformance.js) on every shipped
// backend: in memory, IndexedDB (fake-indexeddb here; Chromium's own in
// browser.test.js) and files; plus what is specific to a backend.
import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { jest } from '@jest/globals';
import { runNodeModule } from './fixtures/node-module.js';
import { spawn } from 'node:child_process';
import { IDBFactory, IDBDatabase } from 'fake-indexeddb';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemoryProcessRegistry, IndexedDbProcessRegistry, FileProcessRegistry } from '../js/node.js';
import { runProcessRegistryConformance } from './process-registry-conformance.js';

const dirs = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
const ids = (records) => records.map((r) => r.id);
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

// ---- beyond lash's suite: what the port promises on top ----

const reg = (id, extra = {}) => ({ id, input: { type: 'external', metadata: null }, provenance: { originator: { type: 'host' } }, ...extra });
const refusal = (detail) => ({ code: 'PluginSession', message: `plugin session error: ${detail}` });
const backends = [
  ['in-memory', () => ({ a: new InMemoryProcessRegistry() })],
  ['IndexedDB', () => { const indexedDB = new IDBFactory(); return { a: new IndexedDbProcessRegistry({ indexedDB }), b: new IndexedDbProcessRegistry({ indexedDB }) }; }],
  ['files', () => { const dir = tempDir(); return { a: new FileProcessRegistry({ dir }), b: new FileProcessRegistry({ dir }) }; }],
];

describe.each(backends)('%s registry', (_name, make) => {
  test('a write that fails changes nothing (a transfer naming one ungranted process moves none)', async () => {
    const { a } = make();
    for (const id of ['p1', 'p2']) await a.registerProcess(reg(id));
    await a.grantHandle({ session_id: 's1' }, 'p1', { kind: 'k' });
    await expect(a.transferHandleGrants({ session_id: 's1' }, { session_id: 's2' }, ['p1', 'p2']))
      .rejects.toMatchObject(refusal('process handle `p2` is not granted to session `s1`'));
    expect((await a.listHandleGrants({ session_id: 's1' })).map(([g]) => g.process_id)).toEqual(['p1']);
    expect(await a.listHandleGrants({ session_id: 's2' })).toEqual([]);
  });

  test('a terminal write on a terminal process is refused and appends nothing', async () => {
    const { a } = make();
    await a.registerProcess(reg('p'));
    await a.completeProcess('p', { type: 'success', value: 1 });
    await a.completeProcess('p', { type: 'success', value: 1 }); // the same output replays
    await expect(a.completeProcess('p', { type: 'failure', class: 'execution', code: 'x', message: 'late' }))
      .rejects.toMatchObject(refusal('process `p` is already terminal'));
    expect((await a.eventsAfter('p')).map((e) => e.event_type)).toEqual(['process.completed']);
    expect(await a.awaitProcess('p')).toEqual({ type: 'success', value: 1 });
  });

  test('awaitProcess and waitEventAfter wake on a write made through another handle', async () => {
    const { a, b = a } = make();
    await a.registerProcess(reg('p', { event_types: [{ name: 'tick' }] }));
    const waited = a.waitEventAfter('p', 'tick', 0);
    const awaited = a.awaitProcess('p');
    await b.appendEvent('p', { event_type: 'tick', payload: { n: 1 } });
    await b.completeProcess('p', { type: 'cancelled', message: 'stop' });
    expect((await waited).payload).toEqual({ n: 1 });
    expect(await awaited).toEqual({ type: 'cancelled', message: 'stop' });
  });
});

test('an idle registry holds no timer: durable backends poll only while a wait is pending', async () => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  for (const [name, make] of backends) {
    const { a } = make();
    await a.registerProcess(reg('p'));
    const created = [];
    const real = globalThis.setTimeout;
    const spy = jest.spyOn(globalThis, 'setTimeout').mockImplementation((...args) => { const t = real(...args); created.push(t); return t; });
    let awaited;
    try {
      awaited = a.awaitProcess('p');
      await new Promise((r) => real(r, 150)); // long enough for a durable backend to poll once
    } finally { spy.mockRestore(); }
    if (name === 'in-memory') expect(created).toHaveLength(0); // woken by its own writes only
    else expect(created.length).toBeGreaterThan(0);
    await a.completeProcess('p', { type: 'success', value: null });
    await awaited;
    await sleep(0);
    // every poll timer has fired or been cleared (Node marks both as destroyed)
    expect(created.filter((t) => !t._destroyed)).toHaveLength(0);
  }
});

describe('registry rules (lash validation.rs texts)', () => {
  const r = () => new InMemoryProcessRegistry();
  test.each([
    [reg(' '), 'process id must be a non-empty string'],
    [{ ...reg('e'), input: { type: 'engine', kind: 'lashlang', payload: {} } }, 'process `e` requires a captured execution env'],
    [reg('x', { env_ref: 'process-env:sha256:00' }), 'process `x` must not capture an execution env for this input kind'],
    [reg('d', { event_types: [{ name: 'a' }, { name: 'a' }] }), 'process `d` declares duplicate event type `a`'],
    [reg('m', { event_types: [{ name: '' }] }), 'process `m` declares an empty event type'],
    [reg('t', { event_types: [{ name: 'boom', semantics: { terminal: { state: 'failed' } } }] }),
      'terminal event `boom` for process `t` must declare await output'],
  ])('registration %# is refused', async (registration, detail) => {
    await expect(r().registerProcess(registration)).rejects.toMatchObject(refusal(detail));
  });

  test('undeclared event types, unknown processes and mistyped payloads are refused', async () => {
    const registry = r();
    await registry.registerProcess(reg('p', { event_types: [{ name: 'n', payload_schema: { schema: { type: 'object', properties: { x: { type: 'integer' } } } } }] }));
    await expect(registry.appendEvent('p', { event_type: 'nope', payload: {} })).rejects.toMatchObject(refusal('process `p` emitted undeclared event type `nope`'));
    await expect(registry.appendEvent('q', { event_type: 'n', payload: {} })).rejects.toMatchObject(refusal('unknown process `q`'));
    await expect(registry.appendEvent('p', { event_type: 'n', payload: { x: 'one' } }))
      .rejects.toMatchObject(refusal('invalid `n` payload: x: expected integer, got "one"'));
    await expect(registry.appendEvent('p', { event_type: 'n', payload: { x: 1.5 } }))
      .rejects.toMatchObject(refusal('invalid `n` payload: x: expected integer, got 1.5'));
    await expect(registry.eventsAfter('p', -1)).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(registry.listProcesses({ status: 'done' })).rejects.toMatchObject({ code: 'InvalidArgument',
      message: 'invalid argument `filter`: processes.list status must be `running`, `completed`, `failed`, `cancelled`, or `any`, got `done`' });
  });

  test('records and events carry lash serde field names in serde order', async () => {
    const registry = r();
    const before = Date.now();
    const record = await registry.registerProcess(reg('p', { wake_target: { session_id: 's' } }));
    expect(Object.keys(record)).toEqual(['id', 'registration_hash', 'input', 'identity', 'event_types', 'provenance', 'wake_target',
      'created_at_ms', 'updated_at_ms', 'status']);
    expect(record.identity).toEqual({ kind: 'external' });
    expect(record.status).toEqual({ state: 'running' });
    expect(record.created_at_ms).toBeGreaterThanOrEqual(before);
    const { event } = await registry.appendEvent('p', { event_type: 'process.waiting', payload: null });
    expect(Object.keys(event)).toEqual(['process_id', 'sequence', 'event_type', 'payload', 'invocation', 'semantics', 'occurred_at']);
    expect(event.occurred_at.secs_since_epoch * 1000 + event.occurred_at.nanos_since_epoch / 1e6).toBeGreaterThanOrEqual(before);
    // identity labels come from external metadata as in lash (label, then name, then title)
    expect((await registry.registerProcess({ ...reg('named'), input: { type: 'external', metadata: { name: 'nightly' } } })).identity)
      .toEqual({ kind: 'external', label: 'nightly' });
  });

  test("a wake id is lash's `wake:` + sha256 of the JSON [target scope id, dedupe key]", async () => {
    const registry = r();
    await registry.registerProcess(reg('p', { event_types: [{ name: 'w', semantics: { wake: { input: 'payload' } } }] }));
    const { wake_delivery } = await registry.appendEvent('p', { event_type: 'w', payload: 'hi', wake_target_scope: { session_id: 'root' } });
    const expected = createHash('sha256').update('["session:root","p:1"]').digest('hex');
    expect(wake_delivery.wake_id).toBe(`wake:${expected}`);
  });

  test("event types are stored in serde's shape: defaults filled, so equal specs register idempotently", async () => {
    const registry = r();
    const wake = (extra) => reg('w', { event_types: [{ name: 'w', semantics: { wake: { input: 'payload', ...extra } } }] });
    const first = await registry.registerProcess(wake({}));
    expect(first.event_types[0]).toEqual({ name: 'w', payload_schema: { schema: {} },
      semantics: { wake: { input: 'payload', dedupe_key: 'event_identity' } } });
    expect((await registry.registerProcess(wake({ dedupe_key: 'event_identity' }))).registration_hash).toBe(first.registration_hash);
    await expect(registry.registerProcess(reg('bad', { event_types: [{ name: 'x', semantics: { terminal: { state: 'done' } } }] })))
      .rejects.toMatchObject({ code: 'InvalidArgument', argument: 'registration.event_types[0].semantics.terminal' });
  });

  test('registry results are copies: mutating one does not change the store', async () => {
    const registry = r();
    const record = await registry.registerProcess(reg('p'));
    record.status.state = 'completed';
    expect((await registry.getProcess('p')).status.state).toBe('running');
  });
});

describe('IndexedDB registry specifics', () => {
  test('one readwrite transaction over the proc_* stores per write, with the durability option', async () => {
    const registry = new IndexedDbProcessRegistry({ indexedDB: new IDBFactory(), durability: 'relaxed' });
    await registry.registerProcess(reg('p', { event_types: [{ name: 'e' }] }));
    const calls = [];
    const orig = IDBDatabase.prototype.transaction;
    const spy = jest.spyOn(IDBDatabase.prototype, 'transaction').mockImplementation(function (names, mode, opts) {
      calls.push({ names: [].concat(names).sort(), mode, durability: opts?.durability });
      return orig.call(this, names, mode, opts);
    });
    try {
      await registry.appendEvent('p', { event_type: 'e', payload: 1, replay: { key: 'k' } });
    } finally { spy.mockRestore(); }
    expect(calls).toEqual([{ names: ['proc_events', 'proc_grants', 'proc_leases', 'proc_processes', 'proc_replays'], mode: 'readwrite', durability: 'relaxed' }]);
  });
});

describe('file registry specifics', () => {
  test('one fsync-ed log record per write; a torn tail is ignored and cut off before the next append', async () => {
    const dir = tempDir();
    const registry = new FileProcessRegistry({ dir });
    await registry.registerProcess(reg('p'));
    await registry.claimProcessLease('p', 'owner', 60000);
    const log = join(dir, 'registry.log');
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l.slice(l.indexOf('\t') + 1))).map((r) => r.t === 'op' ? r.op : r.t))
      .toEqual(['log', 'register_process', 'claim_process_lease']);
    appendFileSync(log, '{"len":999,"sha256":"00"}\t{"v":1,"t":"op","op":"register_proc');
    const reopened = new FileProcessRegistry({ dir });
    expect((await reopened.getProcess('p')).id).toBe('p');
    await reopened.registerProcess(reg('q'));
    const after = readFileSync(log, 'utf8');
    expect(after.includes('register_proc"')).toBe(false);
    expect(ids(await new FileProcessRegistry({ dir }).listNonTerminal())).toEqual(['p', 'q']);
  });

  test('processes sharing a directory: of concurrent lease claims on one process exactly one wins', async () => {
    const dir = tempDir();
    await new FileProcessRegistry({ dir }).registerProcess(reg('p'));
    const url = new URL('../js/stores/files-processes.js', import.meta.url).href;
    const code = `
      const { FileProcessRegistry } = await import(${JSON.stringify(url)});
      const [dir, who] = process.argv.slice(1);
      const r = new FileProcessRegistry({ dir });
      try { const l = await r.claimProcessLease('p', who, 60000); process.stdout.write(JSON.stringify({ won: l.fencing_token })); }
      catch (e) { process.stdout.write(JSON.stringify({ lost: e.message })); }`;
    const run = (who) => runNodeModule(code, [dir, who]);
    const outcomes = await Promise.all(['w1', 'w2', 'w3', 'w4'].map(run));
    const winners = outcomes.filter((o) => o.won);
    expect(winners).toEqual([{ won: 1 }]);
    for (const o of outcomes.filter((x) => x.lost)) expect(o.lost).toMatch(/^plugin session error: process `p` is already leased by `w[1-4]` until \d+$/);
  }, 60000);

  test('SIGKILL mid-write: every acknowledged write is there after reopen, nothing half-applied', async () => {
    const dir = tempDir();
    const url = new URL('../js/stores/files-processes.js', import.meta.url).href;
    // registers p0, p1, ... and appends one event to each, acknowledging both on stdout
    const code = `
      const { FileProcessRegistry } = await import(${JSON.stringify(url)});
      const r = new FileProcessRegistry({ dir: process.argv[1] });
      for (let i = 0; ; i++) {
        await r.registerProcess({ id: 'p' + i, input: { type: 'external', metadata: null }, provenance: { originator: { type: 'host' } },
          event_types: [{ name: 'step' }] });
        await r.appendEvent('p' + i, { event_type: 'step', payload: { i }, replay: { key: 'step:' + i } });
        process.stdout.write('acked:' + i + '\\n');
      }`;
    const acked = await new Promise((resolve, reject) => {
      const p = spawn(process.execPath, ['--input-type=module', '-e', code, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '', err = '';
      p.stdout.on('data', (d) => { out += d; if ((out.match(/acked:/g) ?? []).length >= 25) p.kill('SIGKILL'); });
      p.stderr.on('data', (d) => { err += d; });
      p.on('error', reject);
      p.on('exit', (status, signal) => (signal === 'SIGKILL' ? resolve(out.match(/acked:\d+/g).map((m) => Number(m.slice(6)))) : reject(new Error(err))));
    });
    expect(acked.length).toBeGreaterThanOrEqual(25);
    const reopened = new FileProcessRegistry({ dir });
    const records = await reopened.listNonTerminal();
    // acknowledged ones are all there; at most one more (registered, killed before its ack)
    const n = Math.max(...acked) + 1;
    expect(ids(records).slice().sort((x, y) => Number(x.slice(1)) - Number(y.slice(1))).slice(0, n))
      .toEqual(Array.from({ length: n }, (_, i) => `p${i}`));
    expect(records.length).toBeLessThanOrEqual(n + 1);
    for (const i of acked) expect((await reopened.eventsAfter(`p${i}`)).map((e) => e.payload)).toEqual([{ i }]);
    // the registry still takes writes after the crash
    await reopened.registerProcess(reg('after-crash'));
    expect((await new FileProcessRegistry({ dir }).getProcess('after-crash')).id).toBe('after-crash');
  }, 60000);
});

