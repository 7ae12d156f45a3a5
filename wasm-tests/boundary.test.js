// The host boundary and the cooperative scheduler, driven from JavaScript through
// the real wasm module: many interleaved tasks whose host operations complete out
// of order, synchronously (already-settled) and asynchronously, some with errors;
// parallel operations in flight at once; a trap poisoning only its own instance.
import { CoreInstance } from '../js/core/driver.js';
import { LashError, StandardCore, EchoProvider, ModelSpec, InlineEffectHost, InMemoryAttachmentStore,
  InMemoryProcessExecutionEnvStore, configureWasm } from '../js/index.js';

// The diag exports (and the deliberate trap) exist only in the test build of the
// module (CMake target lash-test), never in the shipped js/wasm/lash.wasm.
configureWasm(new URL('../build/wasm/lash-test.wasm', import.meta.url));

const MOD = 1000000007;
const valueOf = ({ task, step, slot }) => (task * 7919 + step * 104729 + slot * 13) % 1000;
const failsFor = ({ task, step, slot }) => (task * 3 + step + slot * 5) % 13 === 0;

// A deterministic pseudo-random sequence so failures reproduce.
function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function expectedFor(task, steps, width) {
  let acc = 0, errors = 0;
  for (let step = 0; step < steps; step++)
    for (let slot = 0; slot < width; slot++) {
      const op = { task, step, slot };
      if (failsFor(op)) errors++;
      else acc = (acc * 31 + valueOf(op)) % MOD;
    }
  return { acc, errors };
}

async function runDiag({ tasks, steps, width, seed, maxDelayMs = 3 }) {
  const inst = await CoreInstance.create();
  const random = rng(seed);
  let inflight = 0, maxInflight = 0, started = 0;
  inst.onOp('diag.echo', (op) => {
    started++;
    inflight++;
    maxInflight = Math.max(maxInflight, inflight);
    const settle = () => {
      inflight--;
      if (failsFor(op)) throw new Error(`host failure for ${op.task}/${op.step}/${op.slot}`);
      return { value: valueOf(op) };
    };
    const r = random();
    if (r < 0.3) return settle(); // synchronous answer (still delivered after the core returns)
    return new Promise((resolve, reject) => setTimeout(() => {
      try { resolve(settle()); } catch (e) { reject(e); }
    }, Math.floor(r * maxDelayMs)));
  });
  const done = new Map();
  const allDone = new Promise((resolve) => inst.onNotify('diag.done', (msg) => {
    done.set(msg.task, msg);
    if (done.size === tasks) resolve();
  }));
  expect(inst.call('lash_diag_spawn', tasks, steps, width)).toBe(0);
  inst.flush();
  await allDone;
  return { inst, done, maxInflight, started };
}

test('hundreds of interleaved tasks see their own results in order despite out-of-order completion', async () => {
  const tasks = 120, steps = 4, width = 3;
  const { inst, done, started } = await runDiag({ tasks, steps, width, seed: 7 });
  expect(started).toBe(tasks * steps * width);
  for (const [task, msg] of done) expect({ acc: msg.acc, errors: msg.errors }).toEqual(expectedFor(task, steps, width));
  expect(inst.call('lash_run', 0)).toBe(0); // nothing left alive
  inst.close();
});

test('a task with a wide step has all its host operations in flight at once', async () => {
  const { done, maxInflight } = await runDiag({ tasks: 2, steps: 2, width: 64, seed: 11, maxDelayMs: 5 });
  expect(maxInflight).toBeGreaterThanOrEqual(64);
  for (const [task, msg] of done) expect({ acc: msg.acc, errors: msg.errors }).toEqual(expectedFor(task, 2, 64));
});

test('errors thrown by host handlers reach the waiting task as failed operations', async () => {
  const { done } = await runDiag({ tasks: 30, steps: 3, width: 2, seed: 3 });
  const totalErrors = [...done.values()].reduce((n, m) => n + m.errors, 0);
  const expectedErrors = [...done.keys()].reduce((n, t) => n + expectedFor(t, 3, 2).errors, 0);
  expect(expectedErrors).toBeGreaterThan(0);
  expect(totalErrors).toBe(expectedErrors);
});

test('wake-ups coalesce: many pokes before a run resume the task once', async () => {
  const inst = await CoreInstance.create();
  const counts = [];
  inst.onNotify('diag.woken', (m) => counts.push(m.count));
  const id = inst.call('lash_diag_spawn_waiter', 3);
  inst.flush();
  for (let i = 0; i < 20; i++) expect(inst.exports.lash_diag_poke(inst.corePtr, id)).toBe(0);
  inst.flush();
  await new Promise((r) => setTimeout(r, 0));
  expect(counts).toEqual([1, 2]);
  inst.close();
});

test('a trap poisons only its own core; pending work is dropped and a new core builds', async () => {
  const inst = await CoreInstance.create();
  inst.onOp('diag.echo', () => new Promise((r) => setTimeout(() => r({ value: 1 }), 5)));
  inst.call('lash_diag_spawn', 3, 1, 1);
  inst.flush();
  const other = await CoreInstance.create();
  expect(() => inst.call('lash_diag_trap')).toThrow(LashError);
  expect(inst.poisoned.code).toBe('CorePoisoned');
  expect(() => inst.call('lash_run', 0)).toThrow(/trapped/);
  await new Promise((r) => setTimeout(r, 20)); // late completions are ignored, not delivered
  expect(other.call('lash_run', 0)).toBe(0);
  const core = await StandardCore.builder().provider(new EchoProvider()).model(ModelSpec.fromTokenLimits('m', null, 100))
    .effectHost(new InlineEffectHost()).attachmentStore(new InMemoryAttachmentStore())
    .processEnvStore(new InMemoryProcessExecutionEnvStore()).build();
  expect(core.policy.provider_id).toBe('embed-test');
  core.close();
});

test('garbage from the host never traps: unknown op ids and non-JSON results', async () => {
  const inst = await CoreInstance.create();
  // completions for ops that never existed are refused with a status, not a trap
  const rc = inst.withBytes('{"value":1}', (p, n) => inst.call('lash_op_complete', 0xdeadbeef, 0, p, n));
  expect(rc).toBe(4); // LASH_E_UNKNOWN_OP
  inst.onOp('diag.echo', () => '\u0000not json at all');
  const done = new Promise((r) => inst.onNotify('diag.done', r));
  inst.call('lash_diag_spawn', 1, 2, 1);
  inst.flush();
  const msg = await done;
  expect(msg.errors).toBe(2);
  inst.close();
});

test('the wasm heap returns to its baseline after many rounds of tasks', async () => {
  const inst = await CoreInstance.create();
  inst.onOp('diag.echo', (op) => ({ value: valueOf(op) }));
  const warm = new Promise((r) => inst.onNotify('diag.done', r));
  inst.call('lash_diag_spawn', 1, 1, 16);
  inst.flush();
  await warm; // first use sizes the op table; later rounds must not grow anything
  const before = inst.exports.lash_heap_in_use();
  expect(before).toBeGreaterThan(0);
  for (let i = 0; i < 50; i++) {
    const done = new Promise((r) => inst.onNotify('diag.done', r));
    inst.call('lash_diag_spawn', 4, 20, 4);
    inst.flush();
    await done;
  }
  expect(inst.exports.lash_heap_in_use()).toBe(before);
  inst.close();
});
