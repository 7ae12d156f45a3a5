// The web demo in headless Chromium, as a user would use it: send a message, see
// streamed text and a tool row, stop a running turn, reload and find the
// transcript, delete a session. Screenshots go to build/screenshots/.
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { startServer } from '../web-demo/server.mjs';

const SHOTS = new URL('../build/screenshots/', import.meta.url).pathname;
let server, browser, page;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startServer();
  browser = await chromium.launch({ executablePath: process.env.LASH_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  page = await (await browser.newContext({ viewport: { width: 1100, height: 700 } })).newPage();
  await page.goto(`${server.url}/web-demo/?db=demo-${Date.now()}`);
  await page.waitForFunction(() => window.__demoReady === true, null, { timeout: 30000 });
}, 60000);
afterAll(async () => { await browser?.close(); await server?.close(); });

const send = async (text) => { await page.fill('#input', text); await page.click('#send'); };

test('send a message: the tool row and the streamed answer appear', async () => {
  await send('what is 12*(3+4)?');
  await page.waitForSelector('li.assistant:has-text("The answer is 84.")');
  const tool = page.locator('li.tool summary').first();
  await expect(tool.textContent()).resolves.toMatch(/⚙ calculator → success \(\d+ ms\)/);
  await tool.click(); // opens to show arguments and output
  await expect(page.locator('li.tool pre').first().textContent()).resolves.toContain('"expression": "12*(3+4)"');
  await expect(page.locator('#status').textContent()).resolves.toMatch(/turn 1 · tokens in \d+, out \d+/);
  await page.screenshot({ path: `${SHOTS}web-demo-answer.png` });
}, 30000);

test('stop cancels a running turn, tools included', async () => {
  await send('please wait 30 seconds');
  await page.waitForSelector('li.tool summary:has-text("wait")');
  await expect(page.isEnabled('#stop')).resolves.toBe(true);
  await page.click('#stop');
  await page.waitForSelector('li.note:has-text("stopped: \\"cancelled\\"")', { timeout: 10000 });
  await expect(page.isEnabled('#send')).resolves.toBe(true);
  await page.screenshot({ path: `${SHOTS}web-demo-stopped.png` });
}, 30000);

test('reloading the page reopens the session from IndexedDB with its transcript', async () => {
  const before = await page.locator('#transcript li.user').allTextContents();
  await page.reload();
  await page.waitForFunction(() => window.__demoReady === true, null, { timeout: 30000 });
  expect(await page.locator('#transcript li.user').allTextContents()).toEqual(before);
  await page.waitForSelector('li.assistant:has-text("The answer is 84.")');
  await page.screenshot({ path: `${SHOTS}web-demo-reloaded.png` });
}, 30000);

test('deleting a session removes it from the list and from IndexedDB', async () => {
  const id = await page.locator('#title').textContent();
  await page.click('#delete');
  await page.waitForSelector('#status:has-text("deleted")');
  expect(await page.locator(`#sessions li[data-id="${id}"]`).count()).toBe(0);
  await page.click('#new-session');
  await page.waitForFunction((old) => document.querySelector('#title').textContent !== old, id);
  expect(await page.locator('#transcript li').count()).toBe(0);
  await page.screenshot({ path: `${SHOTS}web-demo-after-delete.png` });
}, 30000);
