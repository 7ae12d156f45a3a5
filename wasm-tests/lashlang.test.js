// The standalone Lashlang entry (lashlang.run / lashlang.check) over the real wasm
// core: programs from lash's language tests, async JS tools driven through the
// VM's suspend/resume loop, limits, globals across runs, and lash's diagnostics.
import { lashlang, LashError } from '../js/index.js';
import { lashlang as fromSubpath } from '../js/lashlang.js';

test('the package exports one lashlang entry', () => {
  expect(fromSubpath).toBe(lashlang);
});

// lash language.rs executes_if_for_and_list_concat
test('runs loops, builtins and submit', async () => {
  const out = await lashlang.run(`
nums = [1, 2, 3, 4]
sum = 0
labels = []
for n in nums {
  sum = sum + n
  labels = labels + [format("n={}", n)]
}
if sum == 10 {
  result = join(labels, ",")
} else {
  result = "bad"
}
submit result`);
  expect(out.submitted).toBe('n=1,n=2,n=3,n=4');
  expect(out.error).toBeUndefined();
  expect(out.globals.sum).toBe(10);
});

// lash language.rs tool_calls_return_result_records, with async JS tools
test('await tools.x(...) returns lash result wrappers from async tools', async () => {
  const out = await lashlang.run(`
found = await tools.read({ path: "src/lib.rs" })
missing = await tools.read({ path: "src/missing.rs" })
submit { found: found, missing: missing }`, {
    tools: {
      read: async ({ path }) => {
        await new Promise((r) => setTimeout(r, 5));
        if (path === 'src/lib.rs') return 'pub fn main() {}';
        throw new Error(`missing file: ${path}`);
      },
    },
  });
  expect(out.submitted).toEqual({
    found: { ok: true, value: 'pub fn main() {}' },
    missing: { ok: false, error: 'missing file: src/missing.rs' },
  });
});

// lash language.rs aggregate_await_resource_calls_run_concurrently_and_preserve_record_shape
test('aggregate await runs its tool calls concurrently and keeps the record shape', async () => {
  let active = 0, maxActive = 0;
  const sleepEcho = async ({ value }) => {
    active++; maxActive = Math.max(maxActive, active);
    await new Promise((r) => setTimeout(r, 20));
    active--;
    return value;
  };
  const out = await lashlang.run(`
results = await {
  left: tools.sleep_echo({ value: "a" })?,
  right: tools.sleep_echo({ value: "b" })?
}
submit results`, { tools: { sleep_echo: sleepEcho } });
  expect(out.submitted).toEqual({ left: 'a', right: 'b' });
  expect(maxActive).toBe(2);
});

// lash language.rs observe_captures_intermediate_values_without_ending_execution
test('print feeds values back as lash renders them', async () => {
  const out = await lashlang.run('item = { ok: true, count: 2 }\nprint item\nprint "step done"\nprint 0.1 + 0.2\nsubmit "final"');
  expect(out.printed).toEqual(['{"count":2,"ok":true}', 'step done', '0.30000000000000004']);
  expect(out.submitted).toBe('final');
});

// lash language.rs snapshot_round_trip_preserves_repl_like_state
test('globals carry one run into the next', async () => {
  const first = await lashlang.run('counter = 1\nsubmit counter');
  const second = await lashlang.run('counter = counter + 1\nsubmit counter', { globals: first.globals });
  expect(second.submitted).toBe(2);
  expect(second.globals).toEqual({ counter: 2 });
});

// lash's diagnostic corpus (runtime_bad_wrapper_unwrap, runtime_unknown_name)
test('runtime errors come back as lash diagnostics', async () => {
  const out = await lashlang.run('print "before"\nsubmit ({ ok: false, error: "boom" })?');
  expect(out.submitted).toBeUndefined();
  expect(out.printed).toEqual(['before']);
  expect(out.error).toBe('`?` unwrapped failed tool result: boom\n--> line 2, column 1\n'
    + 'submit ({ ok: false, error: "boom" })?\n^\n'
    + 'hint: remove `?` and inspect `.ok` or `.error` when you need to handle failures');
  const missing = await lashlang.run('submit missing');
  expect(missing.error).toBe('unknown name `missing`\n--> line 1, column 1\nsubmit missing\n^');
});

test('check reports parse and link diagnostics without running', async () => {
  expect(await lashlang.check('x = 1\nsubmit x')).toEqual([]);
  expect(await lashlang.check('submit if true { 1 }')).toEqual([
    'unexpected `if`\n--> line 1, column 8\nsubmit if true { 1 }\n       ^\nhint: use `cond ? yes : no` for inline conditionals',
  ]);
  expect(await lashlang.check('h = start worker(x: 1)')).toEqual([
    'lashlang feature `processes` is disabled by this host\n--> line 1, column 5\nh = start worker(x: 1)\n    ^',
  ]);
  expect(await lashlang.check('submit nope(1)')).toEqual(['unknown builtin `nope`\n--> line 1, column 8\nsubmit nope(1)\n       ^']);
});

test('an endless loop stops at the step limit and yields to the event loop meanwhile', async () => {
  let ticks = 0;
  const timer = setInterval(() => { ticks++; }, 1);
  const out = await lashlang.run('n = 0\nwhile true {\n  n = n + 1\n}', { limits: { maxSteps: 3000000 } });
  clearInterval(timer);
  expect(out.error).toMatch(/^step limit exceeded \(3000000 instructions\)/);
  expect(out.globals.n).toBeGreaterThan(100000);
  expect(ticks).toBeGreaterThan(0);
});

test('memory and output limits are enforced', async () => {
  const mem = await lashlang.run('s = "xxxxxxxx"\nwhile true {\n  s = s + s\n}', { limits: { maxMemory: 1 << 20 } });
  expect(mem.error).toMatch(/^memory limit exceeded/);
  const printed = await lashlang.run('print "12345"\nprint "678901"', { limits: { maxOutput: 10 } });
  expect(printed.printed).toEqual(['12345']);
  expect(printed.error).toMatch(/^output limit exceeded/);
});

test('unknown tools and modules fail the call, not the run', async () => {
  const out = await lashlang.run('a = await tools.nope({})\nb = await web.fetch({})\nsubmit [a, b]', { tools: {} });
  expect(out.submitted).toEqual([
    { ok: false, error: 'module `tools` does not expose operation `nope`' },
    { ok: false, error: 'unknown module `web`' },
  ]);
});

test('tool results that are not JSON fail the call; undefined is null', async () => {
  const out = await lashlang.run('a = await tools.big({})\nb = await tools.nothing({})\nsubmit [a, b]', {
    tools: { big: async () => 10n, nothing: async () => undefined },
  });
  expect(out.submitted).toEqual([
    { ok: false, error: 'tool `big` returned a value that is not JSON-serialisable' },
    { ok: true, value: null },
  ]);
});

test('a tool receives the record argument itself, other shapes as { args }', async () => {
  const seen = [];
  const echo = async (args) => { seen.push(args); return null; };
  await lashlang.run('await tools.echo({ a: 1 })\nawait tools.echo(1, "x")\nawait tools.echo()', { tools: { echo } });
  expect(seen).toEqual([{ a: 1 }, { args: [1, 'x'] }, { args: [] }]);
});

test('bad arguments are clear LashErrors', async () => {
  await expect(lashlang.run(42)).rejects.toThrow(LashError);
  await expect(lashlang.run('x = 1', { limits: { maxSteps: -1 } })).rejects.toMatchObject({ code: 'InvalidArgument' });
  await expect(lashlang.run('x = 1', { limits: { steps: 1 } })).rejects.toMatchObject({ code: 'InvalidArgument' });
  await expect(lashlang.run('x = 1', { tools: { a: 1 } })).rejects.toMatchObject({ code: 'InvalidArgument' });
  await expect(lashlang.run('x = 1', { globals: [] })).rejects.toMatchObject({ code: 'InvalidArgument' });
  await expect(lashlang.run('x = 1', { bogus: true })).rejects.toMatchObject({ code: 'InvalidArgument' });
});
