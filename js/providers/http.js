// Providers that speak a model API over HTTP. The C core builds each request
// body and parses the streamed response (src/provider/); this file only performs
// fetch: it joins the base URL and the endpoint the core names, adds the
// credentials (which therefore never enter wasm memory, traces or stores),
// enforces the core's timeouts and streams the response bytes back.
import { DATA_BODY, DATA_HEAD } from '../core/ops.js';
import { invalidArgument } from '../errors.js';
import { checkString, checkFunction, checkObject, checkPositiveInt, checkEnum } from '../validate.js';

const RELIABILITY_KEYS = {
  maxAttempts: 'max_attempts', baseDelayMs: 'base_delay_ms', maxDelayMs: 'max_delay_ms',
  retryAfterCapMs: 'retry_after_cap_ms', requestTimeoutMs: 'request_timeout_ms', chunkTimeoutMs: 'chunk_timeout_ms',
  maxResponseBytes: 'max_response_bytes',
};
const REASONING_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'];

function fail(err) { if (err) throw err; }

class HttpProvider {
  #apiKey;
  #fetch;
  #headers;
  #baseUrl;
  #config;

  constructor(kind, defaultBaseUrl, options, authHeaders) {
    fail(checkObject('options', options));
    const { apiKey, baseUrl = defaultBaseUrl, fetch, headers = {}, reliability = {}, exposeThinking = false,
      maxOutputTokens, reasoningEffort, cacheRetention } = options;
    if (apiKey !== undefined && apiKey !== null) fail(checkString('apiKey', apiKey, { maxBytes: 16384 }));
    if (baseUrl === undefined) throw invalidArgument('baseUrl', 'this provider needs a baseUrl (e.g. http://127.0.0.1:8080/v1)');
    fail(checkString('baseUrl', baseUrl, { nonEmpty: true, maxBytes: 4096 }));
    try { new URL(baseUrl); } catch { throw invalidArgument('baseUrl', `not an absolute URL: ${baseUrl}`); }
    if (fetch !== undefined) fail(checkFunction('fetch', fetch));
    fail(checkObject('headers', headers));
    fail(checkObject('reliability', reliability));
    const rel = {};
    for (const [key, value] of Object.entries(reliability)) {
      const wire = RELIABILITY_KEYS[key];
      if (!wire) throw invalidArgument(`reliability.${key}`, `unknown option (known: ${Object.keys(RELIABILITY_KEYS).join(', ')})`);
      if (value === undefined) continue;
      const positive = key === 'maxAttempts' || key.endsWith('TimeoutMs') || key === 'maxResponseBytes';
      if (!Number.isSafeInteger(value) || value < 0 || (positive && value === 0))
        throw invalidArgument(`reliability.${key}`, positive ? 'must be greater than 0' : 'must be a non-negative integer');
      rel[wire] = value;
    }
    if (maxOutputTokens !== undefined) fail(checkPositiveInt('maxOutputTokens', maxOutputTokens));
    if (reasoningEffort !== undefined) fail(checkEnum('reasoningEffort', reasoningEffort, REASONING_EFFORTS));
    if (cacheRetention !== undefined) fail(checkEnum('cacheRetention', cacheRetention, ['none', 'short', 'long']));
    this.#apiKey = apiKey ?? '';
    this.#fetch = fetch;
    this.#headers = { ...headers };
    this.#baseUrl = baseUrl.replace(/\/+$/, '');
    this.authHeaders = authHeaders;
    // what the core needs to speak the dialect; no secret in here
    this.#config = {
      kind, base_url: this.#baseUrl, expose_thinking: !!exposeThinking, reliability: rel,
      ...(maxOutputTokens !== undefined ? { max_output_tokens: maxOutputTokens } : {}),
      ...(reasoningEffort !== undefined ? { reasoning_effort: reasoningEffort } : {}),
      ...(cacheRetention !== undefined ? { cache_retention: cacheRetention } : {}),
    };
    Object.defineProperty(this, 'kind', { value: kind, enumerable: true });
  }

  get baseUrl() { return this.#baseUrl; }

  // The provider's settings for the core (sent with every turn).
  get wireConfig() { return this.#config; }

  // One request attempt (host op "http.stream"): POST the core's body, push the
  // response head and body chunks, and resolve when the body ends. Failures
  // reject with { kind: 'timeout' | 'transport' | 'stream', phase?, message }.
  async send(msg, signal, push) {
    const url = `${this.#baseUrl}/${msg.path}`;
    const timeoutMs = Number(msg.timeout_ms) || 0;
    const chunkMs = Number(msg.chunk_timeout_ms) || 0;
    const ac = new AbortController();
    let timedOut = null;
    const onAbort = () => ac.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const timers = new Set();
    const arm = (ms, phase) => {
      if (!ms) return null;
      const t = setTimeout(() => { timedOut = phase; ac.abort(new Error(`${phase} timeout`)); }, ms);
      timers.add(t);
      return t;
    };
    const disarm = (t) => { if (t) { clearTimeout(t); timers.delete(t); } };
    // a failure the core classifies (src/provider/http.c)
    const failure = (kind, message, extra = {}) => Object.assign(new Error(message), { wire: { kind, message, ...extra } });
    try {
      // lash's timeouts: the response start waits min(request, chunk timeout); a
      // streaming body only the chunk timeout between reads; an error body the
      // request timeout. (A stream that never ends is cut by the core's byte cap.)
      const start = arm(timeoutMs && chunkMs ? Math.min(timeoutMs, chunkMs) : timeoutMs || chunkMs, 'start');
      let response;
      try {
        const doFetch = this.#fetch ?? globalThis.fetch;
        if (typeof doFetch !== 'function') throw new TypeError('no fetch is available; pass options.fetch');
        response = await doFetch(url, {
          method: 'POST',
          headers: { ...msg.headers, ...this.authHeaders(this.#apiKey), ...this.#headers },
          body: msg.body,
          signal: ac.signal,
        });
      } catch (err) {
        if (signal.aborted) throw err;
        if (timedOut) throw failure('timeout', 'timed out', { phase: 'start' });
        throw failure('transport', describe(err), { retryable: !(err instanceof TypeError && /URL|url|Invalid/.test(err.message)) });
      }
      disarm(start);
      push(DATA_HEAD, JSON.stringify({ status: response.status, retry_after: response.headers.get('retry-after') ?? undefined }));
      if (!response.body) return {};
      const reader = response.body.getReader();
      const ok = response.status >= 200 && response.status < 300;
      if (!ok) arm(timeoutMs, 'body');
      for (;;) {
        const chunkTimer = ok ? arm(chunkMs, 'chunk') : null;
        let step;
        try {
          step = await reader.read();
        } catch (err) {
          if (signal.aborted) throw err;
          if (timedOut) throw failure('timeout', 'timed out', { phase: timedOut });
          throw failure('stream', describe(err));
        } finally {
          disarm(chunkTimer);
        }
        if (step.done) break;
        if (step.value?.length && !push(DATA_BODY, step.value)) { ac.abort(); break; } // the core abandoned this request
      }
      return {};
    } finally {
      for (const t of timers) clearTimeout(t);
      signal.removeEventListener('abort', onAbort);
    }
  }
}

function describe(err) {
  const cause = err?.cause?.code ?? err?.cause?.message;
  const m = err?.message ?? String(err);
  return cause && !m.includes(cause) ? `${m} (${cause})` : m;
}

/** OpenAI Chat Completions and compatible servers (llama.cpp, vLLM, OpenRouter, ...). */
export class OpenAiCompatibleProvider extends HttpProvider {
  constructor(options = {}) {
    super('openai-compatible', undefined, options, (key) => (key ? { authorization: `Bearer ${key}` } : {}));
  }
}

/** OpenAI Responses API. */
export class OpenAiResponsesProvider extends HttpProvider {
  constructor(options = {}) {
    super('openai', 'https://api.openai.com/v1', options, (key) => (key ? { authorization: `Bearer ${key}` } : {}));
  }
}

/** Anthropic Messages API. */
export class AnthropicProvider extends HttpProvider {
  constructor(options = {}) {
    super('anthropic', 'https://api.anthropic.com', options, (key) => (key ? { 'x-api-key': key } : {}));
  }
}
