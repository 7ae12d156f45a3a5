// The standalone Lashlang entry: run a program in the C interpreter with async
// JS tools, no agent or provider involved (tooling, tests, the playground).
//
//   const { submitted, printed, globals, error } =
//     await lashlang.run('r = await tools.add({ a: 1, b: 2 })\nsubmit r.value', {
//       tools: { add: async ({ a, b }) => a + b },
//     });
//
// The VM parks at every `await` (LASH_LL_PENDING); all calls it has in flight
// start at once (aggregate await runs them in parallel) and each result is handed
// back as lash's wrapper ({ok, value} / {ok: false, error}). Every `yieldEvery`
// instructions it yields; this driver gives the event loop a turn at most every
// few milliseconds, so a long loop never freezes the page.
import { LashError, invalidArgument } from './errors.js';
import { loadModule } from './loader.js';

const DONE = 0, SUBMITTED = 1, PENDING = 2, YIELD = 3, ERROR = 4;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const LIMIT_KEYS = ['maxSteps', 'maxMemory', 'maxOutput', 'yieldEvery'];

let instancePromise = null;

// One instance for every standalone run: runs are independent VMs inside it,
// and the module never calls the host relay for them.
function instance() {
  if (!instancePromise) {
    instancePromise = (async () => {
      const module = await loadModule();
      const inst = await WebAssembly.instantiate(module, {
        lash_host: { call: () => { throw new LashError('Internal', 'lashlang does not use the host relay'); } },
        env: { emscripten_notify_memory_growth: () => {} },
      });
      inst.exports._initialize?.();
      return inst.exports;
    })();
    instancePromise.catch(() => { instancePromise = null; });
  }
  return instancePromise;
}

// Copy bytes into the instance; the caller frees with lash_free.
function put(x, text) {
  const bytes = encoder.encode(text);
  const ptr = x.lash_alloc(bytes.length || 1);
  if (!ptr) throw new LashError('OutOfMemory', 'could not allocate in the lashlang instance');
  new Uint8Array(x.memory.buffer, ptr, bytes.length).set(bytes);
  return [ptr, bytes.length];
}

function withInput(x, text, fn) {
  const [ptr, len] = put(x, text);
  try { return fn(ptr, len); } finally { x.lash_free(ptr); }
}

// Call an export returning (char *, uint32 *len_out) and take the string.
function takeString(x, fn) {
  const lenPtr = x.lash_alloc(4);
  if (!lenPtr) throw new LashError('OutOfMemory', 'could not allocate in the lashlang instance');
  try {
    const ptr = fn(lenPtr);
    if (!ptr) return null;
    const len = new Uint32Array(x.memory.buffer, lenPtr, 1)[0];
    const text = decoder.decode(new Uint8Array(x.memory.buffer, ptr, len));
    x.lashlang_str_free(ptr);
    return text;
  } finally {
    x.lash_free(lenPtr);
  }
}

function checkLimits(limits) {
  if (limits === undefined) return {};
  if (limits === null || typeof limits !== 'object') throw invalidArgument('limits', 'expected an object');
  for (const [k, v] of Object.entries(limits)) {
    if (!LIMIT_KEYS.includes(k)) throw invalidArgument('limits', `unknown limit \`${k}\` (expected one of ${LIMIT_KEYS.join(', ')})`);
    if (!Number.isSafeInteger(v) || v <= 0) throw invalidArgument(`limits.${k}`, 'expected a positive integer');
  }
  if (limits.yieldEvery !== undefined && limits.yieldEvery > 0xffffffff) throw invalidArgument('limits.yieldEvery', 'too large');
  return limits;
}

const macrotask = () => new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));

async function callTool(tools, call) {
  if (call.module !== 'tools') return { ok: false, error: `unknown module \`${call.module}\`` };
  const fn = Object.hasOwn(tools, call.tool) ? tools[call.tool] : undefined;
  if (typeof fn !== 'function') return { ok: false, error: `module \`tools\` does not expose operation \`${call.tool}\`` };
  try {
    const value = await fn(call.args);
    return { ok: true, value: value === undefined ? null : value };
  } catch (err) {
    return { ok: false, error: String(err?.message ?? err) };
  }
}

function toJson(value, what) {
  try {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError('not JSON-serialisable');
    return text;
  } catch (err) {
    throw invalidArgument(what, `must be JSON-serialisable (${err.message})`);
  }
}

/**
 * Run a Lashlang program. Resolves with { submitted?, printed, globals, error? }:
 * `submitted` is present when the program ran `submit`; `error` holds lash's
 * diagnostic text for parse, link and runtime errors (printed output and the
 * globals so far are still returned).
 */
async function run(source, options = {}) {
  if (typeof source !== 'string') throw invalidArgument('source', 'expected a string');
  if (options === null || typeof options !== 'object') throw invalidArgument('options', 'expected an object');
  for (const k of Object.keys(options))
    if (!['globals', 'tools', 'limits'].includes(k)) throw invalidArgument('options', `unknown option \`${k}\``);
  const tools = options.tools ?? {};
  if (tools === null || typeof tools !== 'object') throw invalidArgument('tools', 'expected an object of async functions');
  for (const [name, fn] of Object.entries(tools))
    if (typeof fn !== 'function') throw invalidArgument(`tools.${name}`, 'expected a function');
  const limits = checkLimits(options.limits);
  let globalsJson = null;
  if (options.globals !== undefined) {
    if (options.globals === null || typeof options.globals !== 'object' || Array.isArray(options.globals))
      throw invalidArgument('globals', 'expected an object');
    globalsJson = toJson(options.globals, 'globals');
  }

  const x = await instance();
  const vm = x.lashlang_new(limits.maxSteps ?? 0, limits.maxMemory ?? 0, limits.maxOutput ?? 0, limits.yieldEvery ?? 0);
  if (!vm) throw new LashError('OutOfMemory', 'could not allocate a lashlang VM');
  try {
    if (globalsJson !== null && withInput(x, globalsJson, (p, n) => x.lashlang_globals_import(vm, p, n)) !== 0)
      throw invalidArgument('globals', 'could not be imported (too large or nested too deeply)');
    let status = withInput(x, source, (p, n) => x.lashlang_load(vm, p, n));
    let lastBreak = Date.now();
    while (status === YIELD || status === PENDING) {
      if (status === PENDING) {
        const calls = JSON.parse(takeString(x, (lp) => x.lashlang_pending(vm, lp)));
        const results = await Promise.all(calls.map((call) => callTool(tools, call)));
        calls.forEach((call, i) => {
          const r = results[i];
          let ok = r.ok;
          let payload = ok ? toJsonResult(r.value) : JSON.stringify(r.error);
          if (payload === null) {
            ok = false;
            payload = JSON.stringify(`tool \`${call.tool}\` returned a value that is not JSON-serialisable`);
          }
          if (withInput(x, payload, (p, n) => x.lashlang_resolve(vm, call.id, ok ? 1 : 0, p, n)) !== 0)
            throw new LashError('Internal', `could not hand the result of \`${call.tool}\` to the VM`);
        });
        lastBreak = Date.now();
      } else if (Date.now() - lastBreak > 8) {
        await macrotask(); // let other work (and cancellation) in
        lastBreak = Date.now();
      }
      status = x.lashlang_run(vm);
    }
    const result = JSON.parse(takeString(x, (lp) => x.lashlang_result(vm, lp)));
    const globals = JSON.parse(takeString(x, (lp) => x.lashlang_globals(vm, lp)) ?? '{}');
    const out = { printed: result.printed, globals };
    if (status === SUBMITTED) out.submitted = result.submitted;
    if (status === ERROR) out.error = result.error;
    else if (status !== DONE && status !== SUBMITTED) out.error = `lashlang VM returned unexpected status ${status}`;
    return out;
  } finally {
    x.lashlang_free(vm);
  }
}

function toJsonResult(value) {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? 'null' : text;
  } catch {
    return null;
  }
}

/** Parse and link only: [] when the program is valid, else [lash's diagnostic text]. */
async function check(source) {
  if (typeof source !== 'string') throw invalidArgument('source', 'expected a string');
  const x = await instance();
  const diag = withInput(x, source, (p, n) => takeString(x, (lp) => x.lashlang_check(p, n, lp)));
  return diag === null ? [] : [diag];
}

export const lashlang = Object.freeze({ run, check });
