// IndexedDB in a real browser: headless Chromium (Debian's) driven by
// playwright-core. The store contract holds on Chromium's IndexedDB, and a page
// reloaded mid-turn reopens the session at its last commit.
import { chromium } from 'playwright-core';
import { startServer } from '../web-demo/server.mjs';

const CHROMIUM = process.env.LASH_CHROMIUM ?? '/usr/bin/chromium';
let server, browser;

beforeAll(async () => {
  server = await startServer();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 60000);
afterAll(async () => { await browser?.close(); await server?.close(); });

async function result(page) {
  await page.waitForFunction(() => window.__lash && !window.__lash.toolRunning, null, { timeout: 20000 });
  return page.evaluate(() => window.__lash);
}

test('the full store and process registry conformance suites pass on Chromium IndexedDB', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/wasm-tests/browser/conformance.html`);
  await page.waitForFunction(() => window.__lash?.results, null, { timeout: 60000 });
  const { results } = await page.evaluate(() => window.__lash);
  expect(results.filter((r) => !r.ok)).toEqual([]);
  expect(results.length).toBeGreaterThan(30);
  // the process registry suite ran too: one test per lash conformance test (26)
  expect(results.filter((r) => r.name.startsWith('process registry conformance: IndexedDB (Chromium)')).length).toBe(26);
  await page.close();
}, 90000);

test('reloading mid-turn reopens the session at its last commit from IndexedDB', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const db = `reload-${Date.now()}`;
  await page.goto(`${server.url}/wasm-tests/browser/idb.html?mode=turn&db=${db}&phase=1`);
  await page.waitForFunction(() => window.__lash?.toolRunning === true, null, { timeout: 20000 });
  await page.goto(`${server.url}/wasm-tests/browser/idb.html?mode=turn&db=${db}&phase=2`); // the reload
  const seen = await result(page);
  expect(seen.error).toBeUndefined();
  // progress commits put the question and the assistant's tool call in the store
  expect(seen.before).toEqual(['User:Text', 'Assistant:ToolCall']);
  expect(seen.beforeTurnIndex).toBe(0);
  expect(seen.outcome).toEqual({ finished: { assistant_message: { text: 'back after reload' } } });
  expect(seen.after).toEqual(['User', 'Assistant', 'User', 'Assistant']);
  await context.close();
}, 60000);
