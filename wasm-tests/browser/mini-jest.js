// Just enough of Jest's globals (describe/test/beforeEach/afterEach/expect) to run
// the store conformance suite inside a browser page against real IndexedDB.
const suites = [];
let current = null;

function deepEqual(a, b) {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) return a.length === b.length && a.every((x, i) => x === b[i]);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => a[k] !== undefined), kb = Object.keys(b).filter((k) => b[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
}

const show = (v) => { try { return JSON.stringify(v); } catch { return String(v); } };
function matchers(actual, negate) {
  const check = (ok, what) => { if (ok === negate) throw new Error(`expected ${show(actual)} ${negate ? 'not ' : ''}${what}`); };
  return {
    toBe: (e) => check(Object.is(actual, e), `to be ${show(e)}`),
    toEqual: (e) => check(deepEqual(actual, e), `to equal ${show(e)}`),
    toStrictEqual: (e) => check(deepEqual(actual, e), `to equal ${show(e)}`),
    toBeNull: () => check(actual === null, 'to be null'),
    toBeUndefined: () => check(actual === undefined, 'to be undefined'),
    toBeDefined: () => check(actual !== undefined, 'to be defined'),
    toBeTruthy: () => check(!!actual, 'to be truthy'),
    toBeFalsy: () => check(!actual, 'to be falsy'),
    toContain: (e) => check(actual?.includes?.(e), `to contain ${show(e)}`),
    toMatch: (re) => check(typeof re === 'string' ? String(actual).includes(re) : re.test(String(actual)), `to match ${re}`),
    toBeGreaterThan: (e) => check(actual > e, `to be > ${e}`),
    toBeGreaterThanOrEqual: (e) => check(actual >= e, `to be >= ${e}`),
    toBeLessThan: (e) => check(actual < e, `to be < ${e}`),
    toBeLessThanOrEqual: (e) => check(actual <= e, `to be <= ${e}`),
    toHaveLength: (n) => check(actual?.length === n, `to have length ${n}`),
    toBeInstanceOf: (C) => check(actual instanceof C, `to be an instance of ${C?.name}`),
    toMatchObject: (e) => check(Object.entries(e).every(([k, v]) => deepEqual(actual?.[k], v)), `to match ${show(e)}`),
    toThrow: (m) => { let err = null; try { actual(); } catch (x) { err = x; } check(!!err && (!m || String(err.message).includes(m)), `to throw ${m ?? ''}`); },
  };
}

export function install(g = globalThis) {
  g.describe = (name, fn) => {
    const parent = current;
    current = { name: parent ? `${parent.name} › ${name}` : name, tests: [], before: [...(parent?.before ?? [])], after: [...(parent?.after ?? [])] };
    suites.push(current);
    fn();
    current = parent;
  };
  const test = (name, fn) => current.tests.push({ name, fn });
  test.each = (rows) => (name, fn) => rows.forEach((row) => test(name.replace(/%s/g, () => String(Array.isArray(row) ? row[0] : row)), () => fn(...(Array.isArray(row) ? row : [row]))));
  test.skip = () => {};
  g.test = g.it = test;
  g.beforeEach = (fn) => current.before.push(fn);
  g.afterEach = (fn) => current.after.push(fn);
  g.beforeAll = (fn) => current.before.push(fn);
  g.afterAll = () => {};
  g.expect = (actual) => {
    const m = matchers(actual, false);
    m.not = matchers(actual, true);
    m.resolves = Object.fromEntries(Object.keys(m).map((k) => [k, async (...a) => matchers(await actual, false)[k](...a)]));
    m.rejects = Object.fromEntries(Object.keys(m).map((k) => [k, async (...a) => {
      let err; try { await actual; } catch (e) { err = e; }
      if (!err) throw new Error('expected a rejection');
      return matchers(err, false)[k](...a);
    }]));
    return m;
  };
}

export async function run() {
  const results = [];
  for (const s of suites) {
    for (const t of s.tests) {
      try {
        for (const b of s.before) await b();
        await t.fn();
        for (const a of s.after) await a();
        results.push({ name: `${s.name} › ${t.name}`, ok: true });
      } catch (e) {
        results.push({ name: `${s.name} › ${t.name}`, ok: false, error: String(e?.message ?? e) });
      }
    }
  }
  return results;
}
