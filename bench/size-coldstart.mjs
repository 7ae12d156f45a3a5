// Size and cold-start comparison: lash-wasm vs. the Vercel AI SDK (`ai`) and
// `@openai/agents-core`. Run from anywhere: `node bench/size-coldstart.mjs`.
// BENCH_RUNS=N sets the number of cold-start runs per subject (default 15).
// Sizes are in KB = 1024 bytes; gzip is zlib level 9.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH_DIR, '..');
const WASM_PATH = join(ROOT, 'js', 'wasm', 'lash.wasm');
const INDEX_PATH = join(ROOT, 'js', 'index.js');
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS) || 15);
const BUILT = existsSync(WASM_PATH) && existsSync(INDEX_PATH);
const NOT_BUILT = 'lash-wasm not built: run npm run build';

const kb = (n) => (n / 1024).toFixed(1);
const gz = (buf) => gzipSync(buf, { level: 9 }).length;
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
const ratio = (a, b) => (a != null && b ? (a / b).toFixed(2) + 'x' : '-');

function listJs(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listJs(p));
    else if (e.name.endsWith('.js')) out.push(p); // .d.ts files are not matched
  }
  return out.sort();
}

// Bundle a one-line entry with esbuild; returns { raw, gzip } or { error }.
async function bundle(contents) {
  try {
    const r = await esbuild.build({
      stdin: { contents, resolveDir: BENCH_DIR, loader: 'js' },
      bundle: true, write: false, format: 'esm', platform: 'browser',
      minify: true, logLevel: 'silent',
    });
    const code = r.outputFiles[0].contents;
    return { raw: code.length, gzip: gz(code) };
  } catch (e) {
    const first = e.errors?.[0];
    return { error: first ? `${first.text}${first.location ? ` (${first.location.file})` : ''}` : String(e) };
  }
}

// ---------------------------------------------------------------- 1. size
const size = {};
if (BUILT) {
  const wasm = readFileSync(WASM_PATH);
  const jsFiles = listJs(join(ROOT, 'js'));
  const js = Buffer.concat(jsFiles.map((f) => readFileSync(f)));
  size.wasm = { raw: wasm.length, gzip: gz(wasm) };
  size.js = { raw: js.length, gzip: gz(js), files: jsFiles.length };
  size.pkg = { raw: wasm.length + js.length, gzip: size.wasm.gzip + size.js.gzip };
  // one real provider (Chat Completions over fetch), as a minimal embedding would ship
  const b = await bundle(`export { StandardCore, OpenAiCompatibleProvider, InlineEffectHost, InMemoryAttachmentStore,
    InMemoryProcessExecutionEnvStore, InMemorySessionStoreFactory, ModelSpec } from '../js/index.js';`);
  size.oursBundle = b.error ? b : { raw: b.raw + size.wasm.raw, gzip: b.gzip + size.wasm.gzip, js: b };
}
size.ai = await bundle(`export { generateText } from 'ai';`);
size.agents = await bundle(`export { Agent, run } from '@openai/agents-core';`);

console.log(`\n== Size (KB, gzip -9) ==`);
const ref = size.oursBundle && !size.oursBundle.error ? size.oursBundle : size.pkg;
console.log(`${pad('', 44)}${lpad('raw', 10)}${lpad('gzip', 10)}${lpad('raw/ours', 10)}${lpad('gz/ours', 10)}`);
const row = (name, s, withRatio = false) => {
  if (!s) return;
  if (s.error) return console.log(`${pad(name, 44)}bundle failed: ${s.error}`);
  const r = withRatio && ref ? lpad(ratio(s.raw, ref.raw), 10) + lpad(ratio(s.gzip, ref.gzip), 10) : '';
  console.log(`${pad(name, 44)}${lpad(kb(s.raw), 10)}${lpad(kb(s.gzip), 10)}${r}`);
};
if (!BUILT) console.log(`${pad('lash-wasm', 44)}${NOT_BUILT}`);
row('lash-wasm js/wasm/lash.wasm', size.wasm);
row(`lash-wasm js/**/*.js (${size.js?.files ?? 0} files, concat)`, size.js);
row('lash-wasm package total (wasm + js)', size.pkg);
if (size.oursBundle?.js) row('lash-wasm minimal entry bundle (js only)', size.oursBundle.js);
row('lash-wasm minimal bundle + wasm  [ours]', size.oursBundle);
row('ai: { generateText } bundle', size.ai, true);
row('@openai/agents-core: { Agent, run } bundle', size.agents, true);
if (BUILT) console.log(`(ratios are peer / ours, ours = ${ref === size.pkg ? 'package total' : 'minimal bundle + wasm'})`);

// ---------------------------------------------------------- 2. cold start
const oursUrl = pathToFileURL(INDEX_PATH).href;
const CHILDREN = {
  'lash-wasm': `
    const t0 = performance.now();
    const m = await import(${JSON.stringify(oursUrl)});
    const t1 = performance.now();
    const core = await m.StandardCore.builder().provider(new m.EchoProvider())
      .model(m.ModelSpec.fromTokenLimits('echo', null, 8192))
      .effectHost(new m.InlineEffectHost()).attachmentStore(new m.InMemoryAttachmentStore())
      .processEnvStore(new m.InMemoryProcessExecutionEnvStore())
      .storeFactory(new m.InMemorySessionStoreFactory()).build();
    const t2 = performance.now();
    console.log(JSON.stringify({ import: t1 - t0, total: t2 - t0 }));
    process.exit(0); // don't wait for anything the core may keep alive`,
  'ai': `
    const t0 = performance.now();
    const m = await import('ai');
    const t1 = performance.now();
    console.log(JSON.stringify({ import: t1 - t0, total: t1 - t0 }));`,
  '@openai/agents-core': `
    const t0 = performance.now();
    const m = await import('@openai/agents-core');
    const t1 = performance.now();
    new m.Agent({ name: 'a', instructions: 'x' });
    const t2 = performance.now();
    console.log(JSON.stringify({ import: t1 - t0, total: t2 - t0 }));`,
  // Optional: raw wasm compile and instantiate (stub no-op imports), outside the JS package.
  'wasm-raw': `
    const bytes = (await import('node:fs')).readFileSync(${JSON.stringify(WASM_PATH)});
    const t0 = performance.now();
    const mod = await WebAssembly.compile(bytes);
    const t1 = performance.now();
    const imports = {};
    for (const i of WebAssembly.Module.imports(mod)) {
      const ns = (imports[i.module] ??= {});
      if (i.kind === 'function') ns[i.name] = () => 0;
      else if (i.kind === 'memory') ns[i.name] = new WebAssembly.Memory({ initial: 256, maximum: 65536 });
      else if (i.kind === 'table') ns[i.name] = new WebAssembly.Table({ initial: 0, element: 'anyfunc' });
      else if (i.kind === 'global') ns[i.name] = new WebAssembly.Global({ value: 'i32', mutable: true }, 0);
    }
    let inst = null, error = null;
    try { await WebAssembly.instantiate(mod, imports); inst = performance.now() - t1; }
    catch (e) { error = String(e.message || e).slice(0, 120); }
    console.log(JSON.stringify({ compile: t1 - t0, instantiate: inst, error }));`,
};

function runChild(code) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  const line = r.stdout.trim().split('\n').pop();
  try { return JSON.parse(line); } catch {
    const lines = (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n');
    return { failed: lines.find((l) => /Error/.test(l)) ?? lines[0] };
  }
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  const p90 = s[Math.min(s.length - 1, Math.ceil(0.9 * s.length) - 1)]; // nearest rank
  return { median, p90 };
};

const subjects = Object.keys(CHILDREN).filter((k) => BUILT || (k !== 'lash-wasm' && k !== 'wasm-raw'));
const results = Object.fromEntries(subjects.map((k) => [k, []]));
const failures = {};
process.stdout.write(`\n== Cold start in Node ${process.version} (${RUNS} fresh processes each) `);
for (let i = 0; i < RUNS; i++) {
  for (const k of subjects) { // interleave subjects to spread machine noise evenly
    const r = runChild(CHILDREN[k]);
    if (r.failed) failures[k] ??= r.failed; else results[k].push(r);
  }
  process.stdout.write('.');
}
console.log(' ==');

const med = {};
console.log(`${pad('', 44)}${lpad('median', 10)}${lpad('p90', 10)}${lpad('import', 10)}${lpad('vs ours', 10)}`);
for (const k of ['lash-wasm', 'ai', '@openai/agents-core']) {
  const label = { 'lash-wasm': 'lash-wasm import + first build()  [ours]', ai: 'ai import', '@openai/agents-core': '@openai/agents-core import + new Agent()' }[k];
  if (!results[k]) { console.log(`${pad(label, 44)}${NOT_BUILT}`); continue; }
  if (!results[k].length) { console.log(`${pad(label, 44)}failed: ${failures[k]}`); continue; }
  const t = stats(results[k].map((r) => r.total));
  const imp = stats(results[k].map((r) => r.import));
  med[k] = t.median;
  const vs = k === 'lash-wasm' ? '' : lpad(ratio(t.median, med['lash-wasm']), 10);
  console.log(`${pad(label, 44)}${lpad(t.median.toFixed(1), 10)}${lpad(t.p90.toFixed(1), 10)}${lpad(imp.median.toFixed(1), 10)}${vs}`);
}
if (results['wasm-raw']?.length) {
  const c = stats(results['wasm-raw'].map((r) => r.compile));
  const ok = results['wasm-raw'].filter((r) => r.instantiate != null);
  const inst = ok.length ? stats(ok.map((r) => r.instantiate)) : null;
  console.log(`${pad('  lash.wasm WebAssembly.compile', 44)}${lpad(c.median.toFixed(1), 10)}${lpad(c.p90.toFixed(1), 10)}`);
  if (inst) console.log(`${pad('  lash.wasm instantiate (stub imports)', 44)}${lpad(inst.median.toFixed(1), 10)}${lpad(inst.p90.toFixed(1), 10)}`);
  else console.log(`${pad('  lash.wasm instantiate (stub imports)', 44)}n/a: ${results['wasm-raw'][0].error}`);
} else if (failures['wasm-raw']) console.log(`  lash.wasm compile: failed: ${failures['wasm-raw']}`);
console.log('(ms; median/p90 = total; "import" = median of the import step alone; vs ours = peer median / ours median)');

// ---------------------------------------------------------------- 3. target
console.log('');
if (BUILT) {
  console.log(`standard wasm gzip: ${kb(size.wasm.gzip)} KB (${size.wasm.gzip} bytes)`);
  console.log(`target: standard wasm gzip < 150 KB: ${size.wasm.gzip < 150 * 1024 ? 'yes' : 'no'}`);
} else {
  console.log(NOT_BUILT);
  console.log('target: standard wasm gzip < 150 KB: no (lash-wasm not built)');
}
