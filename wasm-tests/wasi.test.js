// Smoke test of the WASI reactor build (clang-14 + wasi-libc) under node:wasi:
// the same core, the same boundary, another toolchain and libc.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';

const wasmPath = new URL('../build/wasi/lash-wasi.wasm', import.meta.url);
const enc = new TextEncoder(), dec = new TextDecoder();

async function instantiate() {
  const wasi = new WASI({ version: 'preview1', args: [], env: {} });
  const calls = [];
  let exports;
  const { instance } = await WebAssembly.instantiate(await readFile(wasmPath), {
    wasi_snapshot_preview1: wasi.wasiImport,
    lash_host: {
      call: (op, ptr, len) => calls.push([op >>> 0, JSON.parse(dec.decode(new Uint8Array(exports.memory.buffer, ptr, len)))]),
      // (a fifth/sixth argument carries an optional body; the diag ops have none)
    },
  });
  exports = instance.exports;
  wasi.initialize(instance); // a reactor: _initialize, no _start
  return { x: exports, calls };
}

function put(x, s) {
  const b = enc.encode(s);
  const p = x.lash_alloc(b.length);
  new Uint8Array(x.memory.buffer, p, b.length).set(b);
  return [p, b.length];
}

function result(x, core, name) {
  const cell = x.lash_alloc(4);
  const p = x[name](core, cell);
  const n = new Uint32Array(x.memory.buffer, cell, 1)[0];
  x.lash_free(cell);
  return dec.decode(new Uint8Array(x.memory.buffer, p, n));
}

test('the WASI reactor validates a builder config exactly like the wasm build', async () => {
  const { x } = await instantiate();
  const core = x.lash_core_new();
  const [p, n] = put(x, JSON.stringify({
    kind: 'standard', provider: { kind: 'embed-test' }, session_spec: { provider_id: 'embed-test',
      model: { id: 'm', limits: { context_window_tokens: 10 } } },
  }));
  expect(x.lash_core_build(core, p, n)).not.toBe(0);
  expect(JSON.parse(result(x, core, 'lash_core_last_error'))).toEqual({
    code: 'MissingEffectHost',
    message: 'effect host is required; provide an explicit effect host with .effect_host(...)',
  });
  x.lash_free(p);
  x.lash_core_free(core);
});

test('the WASI reactor runs scheduler tasks against host completions', async () => {
  const { x, calls } = await instantiate();
  const core = x.lash_core_new();
  expect(x.lash_diag_spawn(core, 5, 3, 2)).toBe(0);
  x.lash_run(core, 0);
  const done = [];
  for (let round = 0; round < 100 && done.length < 5; round++) {
    const batch = calls.splice(0);
    for (const [op, msg] of batch.reverse()) { // answer newest first: out of order
      if (op === 0) { if (msg.op === 'diag.done') done.push(msg); continue; }
      const [p, n] = put(x, JSON.stringify({ value: msg.step + msg.slot }));
      expect(x.lash_op_complete(core, op, 0, p, n)).toBe(0);
      x.lash_free(p);
    }
    x.lash_run(core, round);
  }
  expect(done.map((d) => d.errors)).toEqual([0, 0, 0, 0, 0]);
  // per task: steps 0..2, slots 0..1 -> values step+slot folded as acc*31+v
  let acc = 0;
  for (let s = 0; s < 3; s++) for (let k = 0; k < 2; k++) acc = (acc * 31 + s + k) % 1000000007;
  expect(new Set(done.map((d) => d.acc))).toEqual(new Set([acc]));
  x.lash_core_free(core);
});
