// Test providers (lash's echo and scripted test providers). They stand in for
// the LLM only; everything else in a turn is real. complete(request) takes a
// lash LlmRequest and returns a lash LlmResponse (JSON).

const textBlocks = (m) => m.blocks.filter((b) => b.Text).map((b) => b.Text.text);

function lastUserText(request) {
  for (let i = request.messages.length - 1; i >= 0; i--) {
    if (request.messages[i].role === 'User') return textBlocks(request.messages[i]).join('\n');
  }
  return '';
}

function abortError(signal) {
  const e = new Error('model call cancelled');
  e.code = 'cancelled';
  e.cause = signal?.reason;
  return e;
}

export class EchoProvider {
  get kind() { return 'embed-test'; }

  async complete(request, { signal } = {}) {
    if (signal?.aborted) throw abortError(signal);
    const userText = lastUserText(request);
    const reply = `echo: ${userText}`;
    const words = userText.split(/\s+/).filter(Boolean).length;
    return {
      full_text: reply,
      parts: [{ Text: { text: reply, response_meta: null } }],
      usage: { input_tokens: words, output_tokens: 2, cached_input_tokens: 0, reasoning_tokens: 0 },
      terminal_reason: 'stop',
    };
  }
}

export class ScriptedProvider {
  #kind;
  constructor(responses = [], { kind = 'scripted' } = {}) {
    if (!Array.isArray(responses)) throw new TypeError('ScriptedProvider: responses must be an array');
    if (typeof kind !== 'string' || !kind.trim()) throw new TypeError('ScriptedProvider: kind must be a non-empty string');
    this.#kind = kind;
    this.responses = [...responses];
    this.requests = [];
  }
  get kind() { return this.#kind; }

  async complete(request, { signal } = {}) {
    this.requests.push(request);
    if (signal?.aborted) throw abortError(signal);
    const next = this.responses.shift();
    if (!next) throw new Error('ScriptedProvider has no scripted response left');
    if (next.delayMs) await new Promise((resolve, reject) => {
      const t = setTimeout(resolve, next.delayMs);
      signal?.addEventListener('abort', () => { clearTimeout(t); reject(abortError(signal)); }, { once: true });
    });
    if (next.error) {
      const e = new Error(next.error.message ?? 'scripted provider error');
      e.retryable = !!next.error.retryable;
      throw e;
    }
    const parts = [];
    if (next.reasoning) parts.push({ Reasoning: { text: next.reasoning, replay: null } });
    if (next.text) parts.push({ Text: { text: next.text, response_meta: null } });
    for (const c of next.toolCalls ?? []) {
      parts.push({ ToolCall: { call_id: c.id, tool_name: c.name,
        input_json: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments ?? {}), replay: null } });
    }
    const usage = { input_tokens: 0, output_tokens: 0, cached_input_tokens: 0, reasoning_tokens: 0, ...(next.usage ?? {}) };
    return {
      full_text: next.text ?? '',
      parts,
      usage,
      terminal_reason: next.terminalReason ?? (next.toolCalls?.length ? 'tool_use' : 'stop'),
    };
  }
}
