// The offline demo model: a small deterministic stand-in for an LLM, honest about
// what it is. It exercises the real pipeline (tool calls, results, a final answer)
// with two tools: `calculator` for arithmetic and `now` for the clock.
import { defineTools } from '../../js/index.js';

const textOf = (m) => m.blocks.filter((b) => b.Text).map((b) => b.Text.text).join('\n');
const ARITH = /(-?\d+(?:\.\d+)?(?:\s*[-+*/%^]\s*\(*\s*-?\d+(?:\.\d+)?\s*\)*)+)/;

export class OfflineDemoModel {
  get kind() { return 'offline-demo'; }

  async complete(request) {
    const messages = request.messages;
    const last = messages[messages.length - 1];
    const result = last?.blocks.find((b) => b.ToolResult)?.ToolResult;
    const usage = { input_tokens: JSON.stringify(messages).length >> 2, output_tokens: 12, cached_input_tokens: 0, reasoning_tokens: 0 };
    if (result) {
      const text = result.tool_name === 'calculator'
        ? (result.content.startsWith('[Tool execution failed]') ? `I could not compute that: ${result.content.split('\n')[1] ?? ''}` : `The answer is ${result.content}.`)
        : result.tool_name === 'wait' ? `Done waiting (${result.content}).` : `It is ${result.content} (UTC).`;
      return reply(text, usage);
    }
    const ask = [...messages].reverse().find((m) => m.role === 'User');
    const question = ask ? textOf(ask) : '';
    const expr = question.match(ARITH)?.[1];
    if (expr) return call('calculator', { expression: expr.trim() }, usage);
    if (/\b(time|date|clock|today|now)\b/i.test(question)) return call('now', {}, usage);
    const wait = question.match(/\b(?:wait|sleep)\s+(\d+(?:\.\d+)?)/i);
    if (wait) return call('wait', { seconds: Number(wait[1]) }, usage);
    const turns = messages.filter((m) => m.role === 'User' && m.blocks.some((b) => b.Text)).length;
    return reply(
      `(offline demo model, no LLM) You said: "${question.trim()}". I can add, multiply and so on with my calculator tool (try "what is 12*(3+4)?") and read the clock with my now tool ("what time is it?"). This conversation has ${turns} user message${turns === 1 ? '' : 's'} so far. For a real model, configure a provider (CLI: OPENAI_API_KEY, ANTHROPIC_API_KEY, or LASH_BASE_URL with LASH_MODEL; web demo: the Provider panel).`,
      usage,
    );
  }
}

let calls = 0;
const call = (name, args, usage) => ({
  parts: [{ ToolCall: { call_id: `demo-${Date.now().toString(36)}-${calls++}`, tool_name: name, input_json: JSON.stringify(args), replay: null } }],
  usage, terminal_reason: 'tool_use',
});
const reply = (text, usage) => ({ full_text: text, parts: [{ Text: { text, response_meta: null } }], usage, terminal_reason: 'stop' });

// A small arithmetic evaluator (no eval): + - * / % ^ and parentheses.
export function calculate(expression) {
  const tokens = String(expression).match(/\d+(?:\.\d+)?|[-+*/%^()]/g) ?? [];
  if (tokens.join('') !== String(expression).replace(/\s+/g, '')) throw new Error(`not an arithmetic expression: ${expression}`);
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const primary = () => {
    const t = next();
    if (t === '(') { const v = sum(); if (next() !== ')') throw new Error('missing )'); return v; }
    if (t === '-') return -primary();
    if (t === undefined || Number.isNaN(Number(t))) throw new Error(`unexpected ${t ?? 'end'}`);
    return Number(t);
  };
  const power = () => { const b = primary(); return peek() === '^' ? (next(), b ** power()) : b; };
  const product = () => {
    let v = power();
    while (['*', '/', '%'].includes(peek())) {
      const op = next(), r = power();
      if ((op === '/' || op === '%') && r === 0) throw new Error('division by zero');
      v = op === '*' ? v * r : op === '/' ? v / r : v % r;
    }
    return v;
  };
  const sum = () => { let v = product(); while (peek() === '+' || peek() === '-') v = next() === '+' ? v + product() : v - product(); return v; };
  const value = sum();
  if (i !== tokens.length) throw new Error(`unexpected ${tokens[i]}`);
  return Number.isInteger(value) ? value : Number(value.toPrecision(12));
}

export const demoTools = defineTools([
  {
    name: 'calculator', description: 'Evaluate an arithmetic expression (+ - * / % ^ and parentheses).',
    inputSchema: { type: 'object', properties: { expression: { type: 'string' } }, required: ['expression'] },
    execute: async ({ expression }) => calculate(expression),
  },
  {
    name: 'wait', description: 'Wait for some seconds (cancellable); for trying the stop button.',
    inputSchema: { type: 'object', properties: { seconds: { type: 'number' } }, required: ['seconds'] },
    execute: ({ seconds }, ctx) => new Promise((resolve, reject) => {
      const t = setTimeout(() => resolve(`${seconds} s`), Math.min(seconds, 600) * 1000);
      ctx.signal.addEventListener('abort', () => { clearTimeout(t); reject(new Error('cancelled')); }, { once: true });
    }),
  },
  {
    name: 'now', description: 'The current date and time (UTC, ISO 8601).',
    inputSchema: { type: 'object', properties: {} },
    execute: async () => new Date().toISOString(),
  },
]);
