// The JavaScript half of the host boundary (include/lash/lash_host.h).
// One wasm instance per core: a trap poisons that instance only.
//
// - The core starts host operations through the imported relay `call(opId, ptr, len)`;
//   opId 0 is a notification. Handlers run later (never inside the core call), so
//   the core is never re-entered; their results are queued and delivered by
//   flush(): lash_op_complete for each, then lash_run until idle.
// - Cancellation: the core sends {"op":"cancel","id":N}; the op's AbortSignal fires.
// - Streaming ops (an HTTP response): a handler's third argument push(channel, bytes)
//   queues progress (DATA_HEAD: the head as JSON text, DATA_BODY: body bytes) in order
//   with the completions; flush() hands each to lash_op_data and lets the core run.
// - Op names, statuses and channels come from ./ops.js (generated from the C headers);
//   the handlers themselves live in js/host/, one file per op family.
import { LashError, errorFromCore, statusError } from '../errors.js';
import { loadModule } from '../loader.js';
import {
  DATA_BODY, E_NOMEM, E_UNKNOWN_OP, OK, OP_CANCEL, OP_CANCELLED, OP_ERROR, OP_OK, STATUS_CANCELLED, STATUS_CORE_CLOSED,
  STATUS_CORE_POISONED, STATUS_NOMEM,
} from './ops.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
// The core's clock: epoch milliseconds (node and trace timestamps are wall time),
// monotonic where performance.now is (timer waits and durations are differences).
const now = () => (globalThis.performance?.now && performance.timeOrigin ? performance.timeOrigin + performance.now() : Date.now());

export class CoreInstance {
  static async create() {
    const module = await loadModule();
    const self = new CoreInstance();
    const instance = await WebAssembly.instantiate(module, {
      lash_host: { call: (op, ptr, len, bodyPtr, bodyLen) => self.#relay(op, ptr, len, bodyPtr, bodyLen) },
      env: { emscripten_notify_memory_growth: () => {} },
    });
    self.#x = instance.exports;
    self.#guard(() => {
      self.#x._initialize?.();
      self.#core = self.#x.lash_core_new();
    });
    if (!self.#core) throw new LashError(STATUS_NOMEM.code, 'could not allocate a core');
    return self;
  }

  #x = null;
  #core = 0;
  #handlers = new Map();      // op name -> async (msg, signal, push) => result (js/host/)
  #notify = new Map();        // notification name -> (msg) => void
  #inflight = new Map();      // opId -> AbortController
  #queue = [];                // completions waiting for the core
  #flushScheduled = false;
  #running = false;
  poisoned = null;            // LashError once the instance trapped or was closed

  get exports() { return this.#x; }
  get corePtr() { return this.#core; }

  onOp(name, handler) { this.#handlers.set(name, handler); }
  onNotify(name, handler) { this.#notify.set(name, handler); }

  // Call into wasm; a trap marks the instance poisoned and surfaces a LashError.
  #guard(fn) {
    if (this.poisoned) throw this.poisoned;
    try {
      return fn();
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) {
        this.#poison(statusError(STATUS_CORE_POISONED, { detail: e.message }));
        throw this.poisoned;
      }
      throw e;
    }
  }

  #poison(err) {
    this.poisoned = err;
    for (const ac of this.#inflight.values()) ac.abort(err);
    this.#inflight.clear();
    this.#queue.length = 0;
    for (const fn of this.#poisonListeners) fn(err);
  }
  #poisonListeners = new Set();
  onPoison(fn) { this.#poisonListeners.add(fn); return () => this.#poisonListeners.delete(fn); }

  call(name, ...args) {
    return this.#guard(() => this.#x[name](this.#core, ...args));
  }

  // Copy a string into wasm memory for the duration of fn(ptr, len).
  withBytes(str, fn) {
    const bytes = typeof str === 'string' ? encoder.encode(str) : str;
    const ptr = this.#guard(() => this.#x.lash_alloc(bytes.length));
    if (!ptr) throw new LashError(STATUS_NOMEM.code, `could not allocate ${bytes.length} bytes in the core`);
    try {
      new Uint8Array(this.#x.memory.buffer, ptr, bytes.length).set(bytes);
      return fn(ptr, bytes.length);
    } finally {
      if (!this.poisoned) this.#x.lash_free(ptr);
    }
  }

  // Read a (ptr, len) string result from an export that writes len to a u32 cell.
  readResult(name) {
    return this.#guard(() => {
      const cell = this.#x.lash_alloc(4);
      try {
        const ptr = this.#x[name](this.#core, cell);
        const len = new Uint32Array(this.#x.memory.buffer, cell, 1)[0];
        return decoder.decode(new Uint8Array(this.#x.memory.buffer, ptr, len));
      } finally {
        this.#x.lash_free(cell);
      }
    });
  }

  // Call a core entry point that takes one JSON request: returns its status code.
  callJson(name, request) {
    return this.withBytes(JSON.stringify(request), (ptr, len) => this.call(name, ptr, len));
  }

  lastError() { return errorFromCore(this.readResult('lash_core_last_error')); }

  #relay(opId, ptr, len, bodyPtr, bodyLen) {
    // Inside a core call: decode, then act later.
    opId >>>= 0; // wasm i32 -> the core's u32 op id
    const text = decoder.decode(new Uint8Array(this.#x.memory.buffer, ptr, len));
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return; // the core only emits JSON; nothing sensible to answer
    }
    // The body (e.g. a model request) is copied out now (a memcpy) and decoded
    // only by a handler that reads it.
    if (bodyLen) {
      msg.body = new Uint8Array(bodyLen >>> 0); // new+set: about 3x cheaper than slice() in V8
      msg.body.set(new Uint8Array(this.#x.memory.buffer, bodyPtr, bodyLen >>> 0));
    }
    if (opId === 0) {
      if (msg.op === OP_CANCEL) this.#inflight.get(msg.id)?.abort(statusError(STATUS_CANCELLED, { detail: 'cancelled' }));
      else this.#note(msg);
      return;
    }
    const ac = new AbortController();
    this.#inflight.set(opId, ac);
    const handler = this.#handlers.get(msg.op);
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`no host handler for operation '${msg.op}'`);
        return handler(msg, ac.signal, (channel, bytes) => this.#push(opId, channel, bytes));
      })
      .then(
        (result) => this.complete(opId, OP_OK, result),
        (err) => this.complete(opId, ac.signal.aborted ? OP_CANCELLED : OP_ERROR, err?.wire ?? {
          message: err?.message ?? String(err),
          ...(err?.code ? { code: err.code } : {}),
        }),
      );
  }

  // Notifications (activities, mirror updates) are delivered in order after the
  // core call that emitted them, all in one microtask.
  #notes = [];
  #note(msg) {
    if (this.#notes.push(msg) > 1) return;
    queueMicrotask(() => {
      const notes = this.#notes;
      this.#notes = [];
      for (const m of notes) this.#notify.get(m.op)?.(m);
    });
  }

  // Queue streamed progress of a pending op; false once the op is gone (stop reading).
  #push(opId, channel, bytes) {
    if (!this.#inflight.has(opId) || this.poisoned) return false;
    this.#queue.push([opId, -1 - channel, typeof bytes === 'string' ? encoder.encode(bytes) : bytes]);
    this.#scheduleFlush();
    return true;
  }

  // Queue a completion; delivered by flush() once the core is not running.
  complete(opId, status, result) {
    if (!this.#inflight.delete(opId) || this.poisoned) return; // cancelled or late
    this.#queue.push([opId, status, JSON.stringify(result ?? null)]);
    this.#scheduleFlush();
  }

  #scheduleFlush() {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      this.flush();
    });
  }

  // Deliver queued completions and run the core until idle.
  flush() {
    if (this.#running || this.poisoned) return;
    this.#running = true;
    try {
      while (this.#queue.length) {
        const [opId, status, payload] = this.#queue.shift();
        if (status >= 0) {
          this.withBytes(payload, (ptr, len) => this.call('lash_op_complete', opId, status, ptr, len));
          continue;
        }
        // progress: deliver, then let the core consume it so it never runs far behind
        let rc = this.withBytes(payload, (ptr, len) => this.call('lash_op_data', opId, -1 - status, ptr, len));
        if (rc === E_NOMEM) {
          this.call('lash_run', now());
          rc = this.withBytes(payload, (ptr, len) => this.call('lash_op_data', opId, -1 - status, ptr, len));
        }
        if (rc === E_UNKNOWN_OP) this.#inflight.get(opId)?.abort(statusError(STATUS_CANCELLED, { detail: 'abandoned by the core' }));
        else if (rc !== OK) this.#inflight.get(opId)?.abort(new LashError(STATUS_NOMEM.code, 'the core could not take the streamed data'));
        if (status === -1 - DATA_BODY) this.call('lash_run', now());
      }
      this.call('lash_run', now());
    } finally {
      this.#running = false;
    }
    if (this.#queue.length) this.#scheduleFlush();
  }

  close() {
    if (this.poisoned) return;
    const x = this.#x, core = this.#core;
    this.#poison(statusError(STATUS_CORE_CLOSED));
    try { x.lash_core_free(core); } catch { /* a trapped instance is simply dropped */ }
  }
}
