// The web demo in headless Chromium, as a user would use it: send a message, see
// streamed text and a tool row, stop a running turn, reload and find the
// transcript, delete a session, and talk to a real provider (an OpenAI-compatible
// loopback server started by this test). Screenshots go to build/screenshots/.
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
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

// A loopback OpenAI-compatible Chat Completions server (with CORS, as a browser needs).
// Each answer streams its first words, then waits for `release()` before the rest.
async function fakeChatServer(text) {
  const requests = [];
  let release;
  const gate = new Promise((r) => { release = r; });
  const cors = { 'access-control-allow-origin': '*' };
  const server = createServer((req, res) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...cors, 'access-control-allow-methods': 'POST, OPTIONS',
        'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '*', 'access-control-max-age': '600' });
      return res.end();
    }
    let raw = '';
    req.on('data', (d) => { raw += d; });
    req.on('end', async () => {
      requests.push({ url: req.url, headers: req.headers, body: JSON.parse(raw) });
      const chunk = (delta, finish = null) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 0,
        model: 'loopback-model', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      const [head, ...rest] = text.split(' ');
      res.writeHead(200, { ...cors, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(chunk({ role: 'assistant', content: head }));
      await gate;
      for (const w of rest) res.write(chunk({ content: ` ${w}` }));
      res.write(chunk({}, 'stop'));
      res.write(`data: ${JSON.stringify({ id: 'c1', choices: [], usage: { prompt_tokens: 40, completion_tokens: 9 } })}\n\n`);
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, requests, release,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

// Everything the page keeps: localStorage and every IndexedDB record, bytes decoded as text.
const pageStorage = () => page.evaluate(async () => {
  const texts = [];
  const walk = async (v) => {
    if (v instanceof Blob) texts.push(await v.text());
    else if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) texts.push(new TextDecoder().decode(v));
    else if (v && typeof v === 'object') for (const x of Object.values(v)) await walk(x);
    else texts.push(String(v));
  };
  const req = (r) => new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
  for (let i = 0; i < localStorage.length; i++) texts.push(localStorage.key(i), localStorage.getItem(localStorage.key(i)));
  let records = 0;
  for (const { name } of await indexedDB.databases()) {
    const db = await req(indexedDB.open(name));
    for (const store of db.objectStoreNames) {
      const tx = db.transaction(store);
      const [keys, values] = [await req(tx.objectStore(store).getAllKeys()), await req(tx.objectStore(store).getAll())];
      records += values.length;
      await walk(keys);
      await walk(values);
    }
    db.close();
  }
  return { text: texts.join('\n'), records };
});

test('an OpenAI-compatible provider from the panel: streamed answer, key kept in page memory only', async () => {
  const KEY = 'sk-web-loopback-3e1d9a7c42';
  const llm = await fakeChatServer('Hello from the loopback model, streamed word by word.');
  try {
    await page.click('#settings summary');
    await page.selectOption('#provider', 'compatible');
    await page.fill('#base-url', `${llm.url}/v1`);
    await page.fill('#model', 'loopback-model');
    await page.fill('#api-key', KEY);
    await expect(page.getAttribute('#api-key', 'type')).resolves.toBe('password');
    await page.click('#new-session');
    await page.waitForSelector('#session-provider:has-text("OpenAI-compatible · loopback-model")');
    await send('hello loopback');
    // the first words arrive while the turn is still running: streamed, not all at once
    await page.waitForSelector('li.assistant:has-text("Hello")');
    await expect(page.isEnabled('#stop')).resolves.toBe(true);
    llm.release();
    await page.waitForSelector('li.assistant:has-text("Hello from the loopback model, streamed word by word.")');
    await page.waitForSelector('#status:has-text("turn 1 · tokens in 40, out 9")');
    await page.screenshot({ path: `${SHOTS}web-demo-provider.png` });

    expect(llm.requests).toHaveLength(1);
    const [req] = llm.requests;
    expect(req.url).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req.body.model).toBe('loopback-model');
    expect(JSON.stringify(req.body.messages)).toContain('hello loopback');

    // The key is in no storage the page has, and not in its URL.
    const stored = await pageStorage();
    expect(stored.records).toBeGreaterThan(0);
    expect(stored.text).toContain('hello loopback'); // the dump does see the session
    expect(stored.text).not.toContain(KEY);
    expect(page.url()).not.toContain(KEY);

    // Switching the panel back affects new sessions; this one stays on its provider.
    await page.selectOption('#provider', 'offline');
    await page.waitForSelector('#provider-hint:has-text("This session stays on OpenAI-compatible · loopback-model")');
    await send('and again');
    await page.waitForFunction(() => document.querySelectorAll('li.assistant').length === 2);
    expect(llm.requests).toHaveLength(2);
    expect(llm.requests[1].headers.authorization).toBe(`Bearer ${KEY}`);
    await page.click('#new-session');
    await page.waitForSelector('#session-provider:has-text("offline demo")');
    await send('what is 3*3?');
    await page.waitForSelector('li.assistant:has-text("The answer is 9.")');
    expect(llm.requests).toHaveLength(2);

    // A provider that needs a key says so before calling anything.
    await page.selectOption('#provider', 'anthropic');
    await expect(page.inputValue('#api-key')).resolves.toBe(''); // keys are per provider
    await page.click('#new-session');
    await send('hi claude');
    await page.waitForSelector('li.note:has-text("Anthropic needs an API key: enter it in the Provider panel")');
    await expect(page.inputValue('#input')).resolves.toBe('hi claude');
  } finally {
    llm.release();
    await llm.close();
  }
}, 60000);
