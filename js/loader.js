// Loads lash.wasm once per realm. No emscripten glue: the module imports only
// lash_host.call (the relay) and emscripten's memory-growth notice.
//
// Sources, in order: configureWasm(...) if called; Node: the file beside this
// module; elsewhere: fetch() of the same URL (browsers, or workerd with a
// bundled URL). Workers that import the .wasm as a module pass it to configureWasm.

let configured = null;
let modulePromise = null;

export function configureWasm(source) {
  configured = source;
  modulePromise = null;
}

async function compileFrom(source) {
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return WebAssembly.compile(source);
  if (typeof Response !== 'undefined' && source instanceof Response) return WebAssembly.compile(await source.arrayBuffer());
  if (typeof source === 'string' || source instanceof URL) return compileFromUrl(new URL(source, import.meta.url));
  throw new TypeError('configureWasm: expected a WebAssembly.Module, bytes, a Response or a URL');
}

async function compileFromUrl(url) {
  if (url.protocol === 'file:') {
    // Hidden from bundlers (a computed specifier is not folded into a static one):
    // browser bundles never see a Node module.
    const fsName = ['node', 'fs/promises'].join(':');
    const fs = await import(/* webpackIgnore: true */ /* @vite-ignore */ fsName);
    return WebAssembly.compile(await fs.readFile(url));
  }
  const res = await fetch(url);
  if (!res.ok) throw new Error(`failed to fetch ${url}: HTTP ${res.status}`);
  if (WebAssembly.compileStreaming && (res.headers.get('content-type') ?? '').startsWith('application/wasm'))
    return WebAssembly.compileStreaming(res);
  return WebAssembly.compile(await res.arrayBuffer());
}

export function loadModule() {
  if (!modulePromise) {
    modulePromise = compileFrom(configured ?? new URL('./wasm/lash.wasm', import.meta.url));
    modulePromise.catch(() => { modulePromise = null; }); // a failed load may be retried
  }
  return modulePromise;
}
