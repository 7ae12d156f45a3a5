// Lashlang interpreter throughput: each program runs through lashlang.run (the C
// VM in lash.wasm) and as the same program in plain JavaScript; prints programs
// per second and the ratio. `node bench/lashlang.mjs` (BENCH_RUNS=N, default 5).
import { lashlang } from '../js/lashlang.js';

const RUNS = Math.max(1, Number(process.env.BENCH_RUNS) || 5);

const PROGRAMS = [
  {
    name: 'loop: sum 0..100k',
    lash: 'total = 0\nfor i in range(100000) {\n  total = total + i\n}\nsubmit total',
    js: () => { let total = 0; for (let i = 0; i < 100000; i++) total += i; return total; },
  },
  {
    name: 'while: count to 100k',
    lash: 'n = 0\nwhile n < 100000 {\n  n = n + 1\n}\nsubmit n',
    js: () => { let n = 0; while (n < 100000) n += 1; return n; },
  },
  {
    name: 'strings: build 10k',
    lash: 'parts = []\nfor i in range(10000) {\n  parts = push(parts, format("item-{}", i))\n}\nsubmit len(join(parts, ","))',
    // push returns a new list in Lashlang; the baseline copies too
    js: () => { let parts = []; for (let i = 0; i < 10000; i++) parts = [...parts, `item-${i}`]; return parts.join(',').length; },
  },
  {
    name: 'records: histogram 50k',
    lash: 'counts = {}\nfor i in range(50000) {\n  k = to_string(i % 7)\n  counts[k] = counts[k] + 1\n}\nsubmit counts',
    js: () => { const counts = {}; for (let i = 0; i < 50000; i++) { const k = String(i % 7); counts[k] = (counts[k] ?? 0) + 1; } return counts; },
  },
  {
    name: 'lists: index 100k-item list',
    lash: 'xs = range(100000)\nacc = 0\nfor i in range(0, 100000, 3) {\n  acc = acc + xs[i]\n}\nsubmit acc',
    js: () => { const xs = Array.from({ length: 100000 }, (_, i) => i); let acc = 0; for (let i = 0; i < 100000; i += 3) acc += xs[i]; return acc; },
  },
];

async function time(fn) {
  const t0 = performance.now();
  for (let i = 0; i < RUNS; i++) await fn();
  return (performance.now() - t0) / RUNS;
}

console.log(`lashlang bench (${RUNS} runs each; ms per program run)`);
console.log('program'.padEnd(30), 'lashlang ms'.padStart(12), 'runs/s'.padStart(9), 'JS ms'.padStart(9), 'slowdown'.padStart(9));
for (const p of PROGRAMS) {
  const first = await lashlang.run(p.lash, { limits: { maxSteps: 100_000_000 } });
  if (first.error) throw new Error(`${p.name}: ${first.error}`);
  const expected = JSON.stringify(p.js());
  if (JSON.stringify(first.submitted) !== expected) throw new Error(`${p.name}: lashlang ${JSON.stringify(first.submitted)} != JS ${expected}`);
  const lashMs = await time(() => lashlang.run(p.lash, { limits: { maxSteps: 100_000_000 } }));
  const jsMs = await time(() => p.js());
  console.log(p.name.padEnd(30), lashMs.toFixed(2).padStart(12), (1000 / lashMs).toFixed(1).padStart(9),
    jsMs.toFixed(3).padStart(9), `${(lashMs / Math.max(jsMs, 0.001)).toFixed(0)}x`.padStart(9));
}
