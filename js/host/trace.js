// TraceRecords (src/turn/trace.c: trace), only sent when the core was built with a
// sink. lash logs a failed append and carries on: a sink that throws or rejects never
// fails the turn.
import { OP_TRACE } from '../core/ops.js';

export function installTraceNotes(state) {
  const traceSink = state.live.trace?.sink;
  if (!traceSink) return;
  const append = typeof traceSink === 'function' ? (r) => traceSink(r) : (r) => traceSink.append(r);
  state.instance.onNotify(OP_TRACE, (msg) => {
    try {
      const p = append(msg.record);
      if (p && typeof p.then === 'function') p.then(undefined, () => {});
    } catch { /* ignored, as lash ignores a failed append */ }
  });
}
