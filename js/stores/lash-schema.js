// lash's LashSchema::validate (lash-sansio tool_contract/schema_validation.rs): the
// JSON-schema subset lash checks process event payloads against, with its error
// texts. (The C core has its own copy for tool arguments; this one serves the
// JavaScript process registries, which validate before writing.)
import { canonicalJson } from './sha256.js';

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const num = (v) => (typeof v === 'number' ? v : undefined);
const uint = (v) => (Number.isSafeInteger(v) && v >= 0 ? v : undefined);
// Rust `{:?}` for a string, `Value::to_string()` otherwise
const show = (v) => (typeof v === 'string' ? JSON.stringify(v) : canonicalJson(v));
const at = (path) => (path === '' ? 'arguments' : path);
const join = (base, key) => (base === '' ? key : `${base}.${key}`);

function matchesSingle(ty, v) {
  switch (ty) {
    case 'null': return v === null;
    case 'boolean': return typeof v === 'boolean';
    case 'string': return typeof v === 'string';
    case 'integer': return Number.isInteger(v);
    case 'number': return typeof v === 'number';
    case 'array': return Array.isArray(v);
    case 'object': return isObj(v);
    default: return true;
  }
}
function matchesType(t, v) {
  if (typeof t === 'string') return matchesSingle(t, v);
  if (Array.isArray(t)) return t.filter((x) => typeof x === 'string').some((x) => matchesSingle(x, v));
  return true;
}

function typeDescription(t) {
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) return t.filter((x) => typeof x === 'string').join(' or ');
  return 'valid value';
}
function expected(schema) {
  const parts = [];
  if ('type' in schema) parts.push(typeDescription(schema.type));
  else if ('anyOf' in schema || 'oneOf' in schema) parts.push('matching schema');
  for (const [k, label] of [['minimum', '>= '], ['maximum', '<= '], ['minLength', 'length >= '], ['maxLength', 'length <= '],
    ['minItems', 'items >= '], ['maxItems', 'items <= ']]) {
    if (k in schema) parts.push(`${label}${show(schema[k])}`);
  }
  return parts.length ? parts.join(' ') : 'valid value';
}

function check(path, schema, v) {
  if (!isObj(schema)) return null;
  const mismatch = () => `${at(path)}: expected ${expected(schema)}, got ${show(v)}`;
  const anyOf = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : null;
  if (anyOf) return anyOf.some((s) => check(path, s, v) === null) ? null : mismatch();
  if (Array.isArray(schema.enum) && !schema.enum.some((c) => canonicalJson(c) === canonicalJson(v))) {
    return `${at(path)}: expected one of ${schema.enum.map(show).join(', ')}, got ${show(v)}`;
  }
  if ('type' in schema && !matchesType(schema.type, v)) return mismatch();
  if (num(schema.maximum) !== undefined && typeof v === 'number' && v > schema.maximum) return mismatch();
  if (num(schema.minimum) !== undefined && typeof v === 'number' && v < schema.minimum) return mismatch();
  if (typeof v === 'string') {
    const len = [...v].length;
    if (uint(schema.maxLength) !== undefined && len > schema.maxLength) return mismatch();
    if (uint(schema.minLength) !== undefined && len < schema.minLength) return mismatch();
  }
  if (Array.isArray(v)) {
    if (uint(schema.maxItems) !== undefined && v.length > schema.maxItems) return `${at(path)}: expected ${expected(schema)}, got ${v.length} items`;
    if (uint(schema.minItems) !== undefined && v.length < schema.minItems) return `${at(path)}: expected ${expected(schema)}, got ${v.length} items`;
    if ('items' in schema) {
      for (let i = 0; i < v.length; i++) { const e = check(`${path}[${i}]`, schema.items, v[i]); if (e) return e; }
    }
  }
  if (isObj(v)) {
    for (const p of Array.isArray(schema.required) ? schema.required : []) {
      if (typeof p === 'string' && !Object.hasOwn(v, p)) return `${join(path, p)}: required property missing`;
    }
    if (isObj(schema.properties)) {
      const props = schema.properties;
      for (const name of Object.keys(props).sort()) {
        if (Object.hasOwn(v, name)) { const e = check(join(path, name), props[name], v[name]); if (e) return e; }
      }
      const extra = Object.keys(v).sort().filter((n) => n !== '__session_id__' && !Object.hasOwn(props, n));
      if (isObj(schema.additionalProperties)) {
        for (const n of extra) { const e = check(join(path, n), schema.additionalProperties, v[n]); if (e) return e; }
      } else if (schema.additionalProperties !== true && extra.length) {
        return `${join(path, extra[0])}: unexpected property`;
      }
    }
  }
  return null;
}

/** Validate `value` against a LashSchema ({ schema }); returns lash's error text or null. */
export function validateLashSchema(lashSchema, value) {
  return check('', lashSchema?.schema ?? {}, value);
}
