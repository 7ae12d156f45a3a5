// Argument checks shared by every entry point: they return a LashError (never
// throw) so builders can record the first one and reject at build().
import { MAX_ID_BYTES } from './core/ops.js';
import { invalidArgument } from './errors.js';

const encoder = new TextEncoder();

const byteLength = (s) => encoder.encode(s).length;

export function checkString(argument, value, { maxBytes = MAX_ID_BYTES, nonEmpty = false } = {}) {
  if (typeof value !== 'string') return invalidArgument(argument, `expected a string, got ${describe(value)}`);
  if (nonEmpty && value.trim() === '') return invalidArgument(argument, 'must not be empty');
  if (value.length > maxBytes || byteLength(value) > maxBytes)
    return invalidArgument(argument, `exceeds ${maxBytes} bytes`);
  return null;
}

export function checkPositiveInt(argument, value) {
  if (!Number.isSafeInteger(value) || value <= 0)
    return invalidArgument(argument, `expected a positive integer, got ${describe(value)}`);
  return null;
}

export function checkEnum(argument, value, allowed) {
  if (!allowed.includes(value))
    return invalidArgument(argument, `expected one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`);
  return null;
}

export function checkFunction(argument, value) {
  return typeof value === 'function' ? null : invalidArgument(argument, `expected a function, got ${describe(value)}`);
}

export function checkObject(argument, value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? null
    : invalidArgument(argument, `expected an object, got ${describe(value)}`);
}

// Every store, registry and host reports its durability tier (§1.5).
export function checkTiered(argument, value) {
  const err = checkObject(argument, value);
  if (err) return err;
  const tier = value.durabilityTier;
  if (tier !== 'inline' && tier !== 'durable')
    return invalidArgument(argument, `durabilityTier must be 'inline' or 'durable', got ${describe(tier)}`);
  return null;
}

// A provider is any object with a non-empty string `kind` (lash ProviderHandle::kind).
export function checkProvider(argument, p) {
  return checkObject(argument, p) ?? checkString(argument, p?.kind, { nonEmpty: true });
}

export function describe(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return v.length > 40 ? `a string of ${v.length} chars` : JSON.stringify(v);
  if (typeof v === 'number') return String(v);
  return typeof v;
}
