#!/usr/bin/env node
// Generates js/core/ops.js, the JavaScript half of the host-boundary contract, from
// the C headers that define it: the status table and size limits (include/lash/lash.h),
// op completion statuses and data channels (lash_host.h), and the op table (lash_ops.h).
//
//   node scripts/gen-ops.mjs              write js/core/ops.js
//   node scripts/gen-ops.mjs --out FILE   write FILE instead (the test command compares)
//
// The parser reads only the X-macro tables, `#define LASH_MAX_*` and the named enums
// below; anything it does not recognise there is an error, never silently skipped.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const header = (name) => readFileSync(join(ROOT, 'include', 'lash', name), 'utf8');

function fail(msg) {
  throw new Error(`gen-ops: ${msg}`);
}

// The body of `#define NAME(X) ...` with its line continuations joined and comments dropped.
function macroBody(text, name) {
  const start = text.indexOf(`#define ${name}(X)`);
  if (start < 0) fail(`no #define ${name}(X)`);
  const lines = [];
  for (const line of text.slice(start).split('\n')) {
    const cont = /\\\s*$/.test(line);
    lines.push(line.replace(/\\\s*$/, ''));
    if (!cont) break;
  }
  return stripComments(lines.join('\n').slice(`#define ${name}(X)`.length));
}

function stripComments(s) {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '"') {
      const end = stringEnd(s, i);
      out += s.slice(i, end);
      i = end - 1;
    } else if (s.startsWith('/*', i)) {
      const end = s.indexOf('*/', i + 2);
      if (end < 0) fail('unterminated comment');
      i = end + 1;
      out += ' ';
    } else out += s[i];
  }
  return out;
}

// Index just past the closing quote of the C string literal starting at s[i].
function stringEnd(s, i) {
  for (let j = i + 1; j < s.length; j++) {
    if (s[j] === '\\') j++;
    else if (s[j] === '"') return j + 1;
    else if (s[j] === '\n') break;
  }
  fail(`unterminated string literal near ${JSON.stringify(s.slice(i, i + 40))}`);
}

const ESCAPES = { n: '\n', t: '\t', '"': '"', '\\': '\\', "'": "'" };
function cString(lit) {
  return lit.slice(1, -1).replace(/\\(.)/g, (_, c) => ESCAPES[c] ?? fail(`unsupported escape \\${c}`));
}

// X(a, "b" "c", d) ... -> [['a', 'bc', 'd'], ...]: identifiers, or adjacent string literals joined.
function xRows(body) {
  const rows = [];
  let i = 0;
  const skipSpace = () => {
    while (i < body.length && /\s/.test(body[i])) i++;
  };
  for (skipSpace(); i < body.length; skipSpace()) {
    if (!body.startsWith('X(', i)) fail(`expected X( at ${JSON.stringify(body.slice(i, i + 40))}`);
    i += 2;
    const args = [];
    for (;;) {
      skipSpace();
      let arg;
      if (body[i] === '"') {
        arg = '';
        while (body[i] === '"') {
          const end = stringEnd(body, i);
          arg += cString(body.slice(i, end));
          i = end;
          skipSpace();
        }
      } else {
        const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(body.slice(i));
        if (!m) fail(`unexpected argument at ${JSON.stringify(body.slice(i, i + 40))}`);
        arg = m[0];
        i += arg.length;
        skipSpace();
      }
      args.push(arg);
      if (body[i] === ',') i++;
      else if (body[i] === ')') {
        i++;
        break;
      } else fail(`expected , or ) at ${JSON.stringify(body.slice(i, i + 40))}`);
    }
    rows.push(args);
  }
  return rows;
}

// `enum { PREFIX_A = 0, PREFIX_B = 1 };` -> { A: 0, B: 1 }
function namedEnum(text, prefix) {
  const m = new RegExp(`enum\\s*\\{([^}]*\\b${prefix}[A-Z_]+\\s*=[^}]*)\\}`).exec(text);
  if (!m) fail(`no enum of ${prefix}*`);
  const out = {};
  for (const item of stripComments(m[1]).split(',')) {
    const e = /^\s*([A-Z_]+)\s*=\s*(\d+)\s*$/.exec(item);
    if (!e || !e[1].startsWith(prefix)) fail(`unexpected enum item ${JSON.stringify(item)}`);
    out[e[1].slice(prefix.length)] = Number(e[2]);
  }
  return out;
}

// `#define LASH_MAX_X (8u << 20) /* why */` -> [['CONFIG_BYTES', 8388608, 'why'], ...]
function limits(text) {
  const out = [];
  for (const m of text.matchAll(/^#define LASH_MAX_([A-Z_]+)[ \t]+([^/\n]+?)[ \t]*(?:\/\*[ \t]*(.*?)[ \t]*\*\/)?[ \t]*$/gm)) {
    const expr = m[2].replace(/(\d+)[uUlL]+/g, '$1');
    if (!/^[\d\s()<>+*-]+$/.test(expr)) fail(`LASH_MAX_${m[1]}: cannot evaluate ${m[2]}`);
    const value = Function(`return (${expr});`)();
    if (!Number.isSafeInteger(value) || value <= 0) fail(`LASH_MAX_${m[1]}: bad value ${value}`);
    out.push([m[1], value, m[3] ?? '']);
  }
  if (!out.length) fail('no LASH_MAX_* limits');
  return out;
}

// ---------------------------------------------------------------- read
const lashH = header('lash.h');
const hostH = header('lash_host.h');
const opsH = header('lash_ops.h');

const statuses = xRows(macroBody(lashH, 'LASH_STATUS_TABLE')).map((r, id) => {
  if (r.length !== 3) fail(`status row ${r[0]}: expected (symbol, name, template)`);
  return { id, sym: r[0], name: r[1], template: r[2] };
});
const opKinds = namedEnum(opsH, 'LASH_OPKIND_');
const ops = xRows(macroBody(opsH, 'LASH_OPS_TABLE')).map((r) => {
  if (r.length !== 4) fail(`op row ${r[0]}: expected (symbol, name, kind, doc)`);
  if (!(r[2] in opKinds)) fail(`op ${r[1]}: unknown kind ${r[2]}`);
  return { sym: r[0], name: r[1], kind: r[2].toLowerCase(), doc: r[3] };
});
const opStatus = namedEnum(hostH, 'LASH_OP_');
const dataChannel = namedEnum(hostH, 'LASH_DATA_');
const maxes = limits(lashH);

for (const list of [statuses.map((s) => s.name), statuses.map((s) => s.sym), ops.map((o) => o.name)]) {
  const dup = list.find((x, i) => list.indexOf(x) !== i);
  if (dup) fail(`duplicate entry ${dup}`);
}

// ---------------------------------------------------------------- write
const q = (s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
const comment = (s) => s.replace(/\*\//g, '* /');
const descriptor = (sym) => `STATUS_${sym.replace(/^E_/, '')}`;
const out = [];
out.push(
  '// GENERATED by scripts/gen-ops.mjs from include/lash/lash.h, lash_host.h and lash_ops.h.',
  '// Do not edit: change the headers and run `npm run gen:ops` (the test command fails when',
  '// this file is stale). Every export is a constant, so bundles keep only what they use.',
  '',
  '// ---- host operations and notifications (lash_ops.h: name, kind, payload shape) ----',
);
for (const o of ops) out.push(`/** ${o.kind}: ${comment(o.doc)} */`, `export const OP_${o.sym} = ${q(o.name)};`);
out.push(
  '',
  '/** Op name -> kind: an `op` is answered with lash_op_complete, a `note` (op id 0) is not. */',
  'export const OP_KINDS = /* @__PURE__ */ Object.freeze({',
  ...ops.map((o) => `  ${q(o.name)}: ${q(o.kind)},`),
  '});',
  '',
  '// ---- completion status of a host operation, and lash_op_data channels (lash_host.h) ----',
  ...Object.entries(opStatus).map(([k, v]) => `export const OP_${k} = ${v};`),
  ...Object.entries(dataChannel).map(([k, v]) => `export const DATA_${k} = ${v};`),
  '',
  '// ---- bounds on what a caller may pass in (lash.h LASH_MAX_*) ----',
  ...maxes.map(([k, v, why]) => `export const MAX_${k} = ${v};${why ? ` // ${why}` : ''}`),
  '',
  '// ---- statuses (lash.h LASH_STATUS_TABLE) ----',
  '// E_*: the C lash_status number (a core entry point returns it).',
  ...statuses.map((s) => `export const ${s.sym} = ${s.id};`),
  '',
  '/** lash_status number -> lash variant name (LashError.code). */',
  'export const STATUS_NAMES = /* @__PURE__ */ Object.freeze([',
  ...statuses.map((s) => `  ${q(s.name)},`),
  ']);',
  '',
  '// STATUS_*: variant name (LashError.code) and message template ({facet}, {argument},',
  '// {detail} are filled in, as src/core/core.c does); errors.js statusError() builds the error.',
  ...statuses.map((s) => `export const ${descriptor(s.sym)} = { code: ${q(s.name)}, template: ${q(s.template)} };`),
  '',
);
const text = out.join('\n');

const args = process.argv.slice(2);
const outIdx = args.indexOf('--out');
const target = outIdx >= 0 ? args[outIdx + 1] : join(ROOT, 'js', 'core', 'ops.js');
if (!target) fail('--out needs a file name');
writeFileSync(target, text);
