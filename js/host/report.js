// A turn's reports (src/turn: activity, turn.done): activities go to the running
// turn's sink; turn.done settles it. A poisoned core fails every running turn.
import { errorFromCore } from '../errors.js';
import { OP_ACTIVITY, OP_TURN_DONE } from '../core/ops.js';

export function installReportNotes(state) {
  const { instance, turns } = state;
  instance.onNotify(OP_ACTIVITY, (msg) => turns.get(msg.turn)?.activity(msg.activity));
  instance.onNotify(OP_TURN_DONE, (msg) => {
    const run = turns.get(msg.turn);
    if (!run) return;
    turns.delete(msg.turn);
    const entry = state.sessions.get(run.session.sessionId);
    if (entry && typeof msg.done.head_revision === 'number') entry.head = msg.done.head_revision;
    if (msg.done.error) run.fail(errorFromCore(msg.done.error));
    else run.done(msg.done.result);
  });
  instance.onPoison((err) => {
    for (const run of turns.values()) run.fail(err);
    turns.clear();
  });
}
