// Tool runs (src/turn: tool.call): the JavaScript tool's execute() with lash's ToolContext.
import { OP_TOOL_CALL } from '../core/ops.js';
import { toolOutputFrom } from '../tools.js';

export function installToolOps(state) {
  const { instance, turns, tools } = state;
  instance.onOp(OP_TOOL_CALL, async (msg, signal) => {
    const run = turns.get(msg.turn);
    const tool = tools.get(msg.name);
    const start = performance.now();
    if (!tool || !run) throw new Error('Tool is unavailable in this session');
    const ctx = {
      sessionId: msg.session_id,
      toolCallId: msg.call_id,
      signal,
      completionKey: () => ({ scope: { type: 'turn', session_id: msg.session_id, turn_id: run.turnId }, wait: { type: 'tool_completion', tool_call_id: msg.call_id } }),
    };
    let output;
    try {
      output = toolOutputFrom(await tool.execute(msg.args, ctx));
    } catch (err) {
      if (signal.aborted) throw err;
      const message = err?.message ?? String(err);
      output = { outcome: { status: 'failure', payload: { class: 'execution', code: 'tool_error', message, source: 'tool', retry: { type: 'never' }, raw: message } } };
    }
    return { output, duration_ms: Math.max(0, Math.round(performance.now() - start)) };
  });
}
