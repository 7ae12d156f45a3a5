// Model calls (src/turn: llm.call; src/provider/http.c: http.stream, timer): the
// provider performs them; the core builds the request and reads the response.
import { OP_HTTP_STREAM, OP_LLM_CALL, OP_TIMER } from '../core/ops.js';
import { utf8 } from '../util/bytes.js';

export function installModelOps(state) {
  const { instance, turns } = state;

  instance.onOp(OP_LLM_CALL, async (msg, signal) => {
    const run = turns.get(msg.turn);
    if (!run) throw new Error('unknown turn');
    const provider = run.provider;
    if (typeof provider.complete !== 'function')
      throw new Error(`provider \`${provider.kind}\` cannot be called from this runtime`);
    const entry = state.sessions.get(run.session.sessionId);
    const history = typeof msg.history === 'number' ? { items: entry?.history ?? [], count: msg.history, at: msg.history_at } : null;
    return provider.complete(lazyJson(msg.body, history), { signal, sessionId: run.session.sessionId });
  });

  // A wire provider's request attempt: the core built the body; the provider fetches.
  instance.onOp(OP_HTTP_STREAM, (msg, signal, push) => {
    const run = turns.get(msg.turn);
    if (!run || typeof run.provider.send !== 'function') throw new Error('unknown turn');
    return run.provider.send(msg, signal, push);
  });

  // Host timers: the core's clock-driven waits (retry delays; later polls and leases).
  instance.onOp(OP_TIMER, (msg, signal) => new Promise((resolve) => {
    const t = setTimeout(resolve, Math.max(0, Number(msg.ms) || 0));
    signal.addEventListener('abort', () => clearTimeout(t), { once: true });
  }));
}

// An LlmRequest that parses its JSON text on first access: a provider that never
// reads the request (or only keeps it) costs nothing per history message.
const REQUEST_KEYS = ['model', 'messages', 'attachments', 'tools', 'tool_choice', 'model_variant', 'generation',
  'session_id', 'output_spec'];
function lazyJson(bytes, history) {
  // history: the mirrored renderings (the array is replaced on reset, so holding it is safe)
  const items = history?.items, count = history?.count ?? 0;
  let parsed = null;
  const get = () => {
    if (parsed) return parsed;
    parsed = JSON.parse(utf8.decode(bytes));
    if (history) {
      const past = [];
      for (let i = 0; i < count; i++) if (items[i]) past.push(JSON.parse(items[i]));
      parsed.messages.splice(history.at, 0, ...past);
    }
    return parsed;
  };
  const obj = {};
  for (const key of REQUEST_KEYS) {
    Object.defineProperty(obj, key, { enumerable: true, configurable: true, get: () => get()[key] });
  }
  Object.defineProperty(obj, 'toJSON', { value: () => get() });
  return obj;
}
