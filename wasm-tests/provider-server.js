// A loopback HTTP server that plays the part of an LLM provider in tests.
//
//   const server = await startProviderServer();
//   server.script([{ sse: 'chat/tools' }, { status: 429, headers: { 'retry-after': '1' }, json: {...} }, { sse: 'chat/text' }]);
//   ... point a provider at server.url (OpenAI: server.url + '/v1'; Anthropic: server.url) ...
//   server.requests   // [{ method, path, dialect, headers, body (parsed JSON), rawBody, reply, receivedAt, aborted, closed }]
//   server.problems   // request-validation problems, [{ index, path, problem }]
//   await server.close();
//
// Each request takes the next queued reply. Replies:
//   { sse: 'chat/text' }             the transcript wasm-tests/fixtures/providers/chat/text.sse, as text/event-stream,
//                                    written in several pieces split at arbitrary byte offsets (some inside UTF-8
//                                    sequences) with small delays. Options: pieces (default 7), delayMs (default 1),
//                                    seed, whole: true (one write).
//   { status: 429, headers: {...}, json: {...} }   a plain reply; `body` (string) instead of `json` for raw text;
//                                    neither: empty body. Status defaults to 200.
//   { status: 500 }                  empty 500.
//   { garbage: true }                200 text/event-stream with random bytes and junk lines (seeded).
//   { endless: true, intervalMs }    200 text/event-stream that keeps sending valid keep-alive events (SSE comments
//                                    for OpenAI dialects, `ping` events for Anthropic) until the client disconnects.
//   { hugeEvent: n }                 one valid data event of about n bytes for the dialect (a text delta of 'a's).
//   { closeMidEvent: true, sse? }    writes a transcript (default: the dialect's text) up to the middle of an event,
//                                    then destroys the socket.
//   { stallMs, sse?, stallAt? }      stallAt 'headers' (default): wait stallMs before answering at all;
//                                    'body': send headers and the first piece of the transcript, then wait stallMs.
// A request with no reply queued gets a 500 and is recorded as a problem.
//
// Loopback only (127.0.0.1, port 0). close() ends every socket and timer, so Jest exits cleanly.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FIXTURES = fileURLToPath(new URL('./fixtures/providers/', import.meta.url));

/** The bytes of a transcript, e.g. transcript('anthropic/tools'). */
export function transcript(name) {
  return readFileSync(`${FIXTURES}${name}.sse`);
}

// dialect of a request path (the endpoints of the three wire dialects, LASH-SPEC §7.4)
export function dialectOf(path) {
  const p = path.split('?')[0];
  if (p.endsWith('/chat/completions')) return 'chat';
  if (p.endsWith('/v1/messages')) return 'anthropic';
  if (p.endsWith('/responses')) return 'responses';
  return null;
}

// A small deterministic PRNG (tests must be reproducible).
function prng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

// Split points for `bytes`: `pieces - 1` pseudo-random offsets, plus one inside a multi-byte UTF-8
// sequence when the bytes have one (a continuation byte is 10xxxxxx).
export function splitPoints(bytes, pieces, seed = 1) {
  const rand = prng(seed);
  const cuts = new Set();
  for (let i = 0; i < pieces - 1 && bytes.length > 1; i++) cuts.add(1 + Math.floor(rand() * (bytes.length - 1)));
  const continuation = [];
  for (let i = 1; i < bytes.length; i++) if ((bytes[i] & 0xc0) === 0x80) continuation.push(i);
  if (continuation.length > 0) cuts.add(continuation[Math.floor(rand() * continuation.length)]);
  return [...cuts].sort((a, b) => a - b);
}

function splitBytes(bytes, pieces, seed) {
  const out = [];
  let at = 0;
  for (const cut of splitPoints(bytes, pieces, seed)) {
    out.push(bytes.subarray(at, cut));
    at = cut;
  }
  out.push(bytes.subarray(at));
  return out.filter((b) => b.length > 0);
}

// ---------------------------------------------------------------------------
// Request validation: the shape every dialect's request must have (LASH-SPEC §7.4). The full
// type check against the official SDKs' request types is in providers.test.js.
// ---------------------------------------------------------------------------
function validate(dialect, req) {
  const problems = [];
  const h = req.headers;
  if (req.method !== 'POST') problems.push(`method ${req.method}, expected POST`);
  if (!/^application\/json\b/i.test(h['content-type'] ?? '')) problems.push(`content-type ${h['content-type']}, expected application/json`);
  if (dialect === null) {
    problems.push(`unknown endpoint ${req.path}`);
    return problems;
  }
  if (dialect === 'anthropic') {
    // lash sends x-api-key (the official SDK now sends a Bearer token); providers.test.js pins lash's headers
    if (!h['x-api-key'] && !/^Bearer \S+/.test(h.authorization ?? '')) problems.push('missing x-api-key header');
    if (!/^\d{4}-\d{2}-\d{2}$/.test(h['anthropic-version'] ?? '')) problems.push(`anthropic-version ${h['anthropic-version']}, expected a date`);
  } else if (!/^Bearer \S+/.test(h.authorization ?? '')) {
    problems.push(`authorization header ${h.authorization === undefined ? 'missing' : 'not a Bearer token'}`);
  }
  const b = req.body;
  if (b === undefined) {
    problems.push(`body is not JSON: ${String(req.rawBody).slice(0, 80)}`);
    return problems;
  }
  if (b === null || typeof b !== 'object' || Array.isArray(b)) {
    problems.push('body is not a JSON object');
    return problems;
  }
  if (typeof b.model !== 'string' || b.model === '') problems.push('model missing');
  if (b.stream !== true) problems.push('stream is not true');
  const isObj = (x) => x !== null && typeof x === 'object' && !Array.isArray(x);
  if (dialect === 'chat') {
    if (!Array.isArray(b.messages) || b.messages.length === 0) problems.push('messages missing or empty');
    else {
      b.messages.forEach((m, i) => {
        if (!['system', 'developer', 'user', 'assistant', 'tool'].includes(m?.role)) problems.push(`messages[${i}].role ${m?.role}`);
        if (m?.role === 'tool' && typeof m.tool_call_id !== 'string') problems.push(`messages[${i}] tool message without tool_call_id`);
        for (const [k, call] of (m?.tool_calls ?? []).entries()) {
          if (call?.type !== 'function' || typeof call?.id !== 'string' || typeof call?.function?.name !== 'string' || typeof call?.function?.arguments !== 'string')
            problems.push(`messages[${i}].tool_calls[${k}] malformed`);
        }
      });
    }
    for (const [i, t] of (b.tools ?? []).entries()) {
      if (t?.type !== 'function' || typeof t?.function?.name !== 'string' || !isObj(t?.function?.parameters)) problems.push(`tools[${i}] malformed`);
    }
    if (b.stream_options !== undefined && !isObj(b.stream_options)) problems.push('stream_options not an object');
  } else if (dialect === 'responses') {
    if (!(typeof b.input === 'string' || Array.isArray(b.input))) problems.push('input missing');
    for (const [i, item] of (Array.isArray(b.input) ? b.input : []).entries()) {
      const type = item?.type ?? (item?.role ? 'message' : undefined);
      if (!['message', 'function_call', 'function_call_output', 'reasoning'].includes(type)) problems.push(`input[${i}] has type ${type}`);
      if (type === 'function_call_output' && typeof item.call_id !== 'string') problems.push(`input[${i}] function_call_output without call_id`);
      if (type === 'function_call' && (typeof item.call_id !== 'string' || typeof item.name !== 'string' || typeof item.arguments !== 'string'))
        problems.push(`input[${i}] function_call malformed`);
    }
    for (const [i, t] of (b.tools ?? []).entries()) {
      if (t?.type === 'function' && (typeof t.name !== 'string' || !isObj(t.parameters))) problems.push(`tools[${i}] malformed`);
    }
  } else {
    if (!Number.isInteger(b.max_tokens) || b.max_tokens < 1) problems.push('max_tokens missing');
    if (!Array.isArray(b.messages) || b.messages.length === 0) problems.push('messages missing or empty');
    else {
      b.messages.forEach((m, i) => {
        if (m?.role !== 'user' && m?.role !== 'assistant') problems.push(`messages[${i}].role ${m?.role}`);
        if (i > 0 && b.messages[i - 1]?.role === m?.role) problems.push(`messages[${i}] repeats role ${m?.role}`);
      });
      if (b.messages[0]?.role !== 'user') problems.push('first message is not from the user');
    }
    if (b.system !== undefined && !(typeof b.system === 'string' || Array.isArray(b.system))) problems.push('system malformed');
    for (const [i, t] of (b.tools ?? []).entries()) {
      if (typeof t?.name !== 'string' || t?.input_schema?.type !== 'object') problems.push(`tools[${i}] malformed`);
    }
  }
  return problems;
}

// a keep-alive event that every client must ignore
const keepAlive = (dialect) =>
  dialect === 'anthropic' ? 'event: ping\ndata: {"type": "ping"}\n\n' : ': keep-alive\n\n';

// one valid data event with `size` bytes of text content
function hugeEventFor(dialect, size) {
  const text = 'a'.repeat(size);
  if (dialect === 'anthropic')
    return `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"${text}"}}\n\n`;
  if (dialect === 'responses')
    return `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":3,"item_id":"msg_huge","output_index":0,"content_index":0,"delta":"${text}","logprobs":[]}\n\n`;
  return `data: {"id":"chatcmpl-huge","object":"chat.completion.chunk","created":1756382400,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"${text}"},"logprobs":null,"finish_reason":null}]}\n\n`;
}

// the part of a transcript that opens the stream before the huge event (so the huge event is "in place")
function hugePrefixFor(dialect) {
  if (dialect === 'anthropic') {
    const t = transcript('anthropic/text').toString('utf8');
    return t.slice(0, t.indexOf('event: content_block_delta'));
  }
  if (dialect === 'responses') {
    const t = transcript('responses/text').toString('utf8');
    return t.slice(0, t.indexOf('event: response.output_text.delta'));
  }
  return '';
}

const defaultTranscript = (dialect) => `${dialect ?? 'chat'}/text`;

export async function startProviderServer() {
  const requests = [];
  const problems = [];
  const queue = [];
  const sockets = new Set();
  const timers = new Set();
  let closed = false;

  const later = (ms) =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body;
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = undefined;
      }
      const path = req.url;
      const dialect = dialectOf(path);
      let onClosed;
      const record = {
        method: req.method,
        path,
        dialect,
        headers: { ...req.headers },
        body,
        rawBody,
        reply: null,
        receivedAt: Date.now(),
        aborted: false, // the client went away before the reply was complete
        closed: new Promise((r) => {
          onClosed = r;
        }),
      };
      const index = requests.push(record) - 1;
      for (const problem of validate(dialect, record)) problems.push({ index, path, problem });
      res.on('close', () => {
        if (!res.writableFinished) record.aborted = true;
        onClosed();
      });
      const reply = queue.shift();
      record.reply = reply ?? null;
      if (reply === undefined) {
        problems.push({ index, path, problem: 'no reply scripted for this request' });
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'provider-server: no reply scripted', type: 'server_error' } }));
        return;
      }
      serve(reply, dialect, req, res).catch(() => res.destroy());
    });
  });

  const gone = (res) => closed || res.destroyed || res.writableEnded;

  // write `data`, waiting for drain when the socket buffer is full
  const write = (res, data) =>
    new Promise((resolve) => {
      if (gone(res)) return resolve(false);
      const ok = res.write(data);
      if (ok) return resolve(true);
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve(!gone(res));
      };
      res.on('drain', done);
      res.on('close', done);
    });

  const sseHeaders = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' };

  async function streamPieces(res, bytes, { pieces = 7, delayMs = 1, seed = 1, whole = false } = {}) {
    const parts = whole ? [bytes] : splitBytes(bytes, pieces, seed);
    for (const part of parts) {
      if (!(await write(res, part))) return false;
      if (delayMs > 0) await later(delayMs);
      if (gone(res)) return false;
    }
    return true;
  }

  async function serve(reply, dialect, req, res) {
    if (reply.stallMs !== undefined && (reply.stallAt ?? 'headers') === 'headers') {
      await later(reply.stallMs);
      if (gone(res)) return;
    }
    if (reply.garbage) {
      res.writeHead(200, sseHeaders);
      const rand = prng(reply.seed ?? 99);
      const junk = Buffer.alloc(4096);
      for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(rand() * 256);
      const text = Buffer.from('<html><body>502 Bad Gateway</body></html>\n{"not sse": true\ndata: \u0000\u0001 not json\n\n');
      await streamPieces(res, Buffer.concat([junk, text, junk]), { pieces: 5 });
      if (!gone(res)) res.end();
      return;
    }
    if (reply.endless) {
      res.writeHead(200, sseHeaders);
      const event = keepAlive(dialect);
      while (await write(res, event)) await later(reply.intervalMs ?? 10);
      return;
    }
    if (reply.hugeEvent !== undefined) {
      res.writeHead(200, sseHeaders);
      const bytes = Buffer.from(hugePrefixFor(dialect) + hugeEventFor(dialect, reply.hugeEvent));
      const step = 256 * 1024;
      for (let at = 0; at < bytes.length; at += step) if (!(await write(res, bytes.subarray(at, at + step)))) return;
      if (!gone(res)) res.end();
      return;
    }
    if (reply.closeMidEvent) {
      res.writeHead(200, sseHeaders);
      const bytes = transcript(reply.sse ?? defaultTranscript(dialect));
      // cut inside the data line of an event past the middle of the transcript
      const text = bytes.toString('latin1');
      const cut = text.indexOf('data: ', Math.floor(text.length / 2)) + 20;
      await streamPieces(res, bytes.subarray(0, cut), { pieces: 3 });
      await later(5);
      res.destroy();
      return;
    }
    if (reply.sse !== undefined) {
      const bytes = transcript(reply.sse);
      res.writeHead(reply.status ?? 200, { ...sseHeaders, ...(reply.headers ?? {}) });
      if (reply.stallMs !== undefined && reply.stallAt === 'body') {
        const first = bytes.subarray(0, bytes.indexOf('\n\n') + 2);
        if (!(await write(res, first))) return;
        await later(reply.stallMs);
        if (!(await streamPieces(res, bytes.subarray(first.length), reply))) return;
      } else if (!(await streamPieces(res, bytes, reply))) return;
      if (!gone(res)) res.end();
      return;
    }
    const headers = { ...(reply.headers ?? {}) };
    let body = '';
    if (reply.json !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(reply.json);
    } else if (reply.body !== undefined) {
      body = reply.body;
    }
    res.writeHead(reply.status ?? 200, headers);
    res.end(body);
  }

  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    problems,
    /** Queue replies (appended to what is still queued). */
    script(replies) {
      queue.push(...replies);
      return this;
    },
    /** Replies still queued. */
    get pending() {
      return queue.length;
    },
    /** Resolves once `n` requests have arrived. */
    async waitForRequests(n, timeoutMs = 5000) {
      const start = Date.now();
      while (requests.length < n) {
        if (Date.now() - start > timeoutMs) throw new Error(`provider-server: ${requests.length} of ${n} requests after ${timeoutMs} ms`);
        await later(2);
      }
      return requests[n - 1];
    },
    async close() {
      if (closed) return;
      closed = true;
      queue.length = 0;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
