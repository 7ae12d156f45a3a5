// Runs bench/idb-latency.html in headless Chromium (Debian's) and prints the
// per-turn and per-commit latency with IndexedDB durability strict vs relaxed.
// Run: node bench/idb-latency.mjs  (BENCH_TURNS, default 40)
import { chromium } from 'playwright-core';
import { startServer } from '../web-demo/server.mjs';

const server = await startServer();
const browser = await chromium.launch({ executablePath: process.env.LASH_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
try {
  const page = await browser.newPage();
  await page.goto(`${server.url}/bench/idb-latency.html?turns=${process.env.BENCH_TURNS ?? 40}`);
  const rows = await page.evaluate(() => window.__bench);
  if (rows.error) throw new Error(rows.error);
  console.log('IndexedDB in Chromium: one tool-call turn (2 model calls, 4 commits) per row');
  console.log('durability | turn median ms | turn p90 ms | mean ms per commit | commits per turn');
  for (const r of rows) {
    console.log(`${r.durability.padEnd(10)} | ${r.turnMedianMs.toFixed(2).padStart(14)} | ${r.turnP90Ms.toFixed(2).padStart(11)} | ${r.commitMeanMs.toFixed(2).padStart(18)} | ${r.commitsPerTurn}`);
  }
  console.log(`ratio strict/relaxed (turn median): ${(rows[0].turnMedianMs / rows[1].turnMedianMs).toFixed(2)}`);
} finally {
  await browser.close();
  await server.close();
}
