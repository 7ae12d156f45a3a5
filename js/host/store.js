// Session commits (src/turn: store.commit): the final and progress commits of a
// turn go to the session's store, which applies lash's store contract (js/stores/commit.js).
import { OP_STORE_COMMIT } from '../core/ops.js';
import { utf8 } from '../util/bytes.js';

export function installStoreOps(state) {
  const { instance, turns } = state;
  instance.onOp(OP_STORE_COMMIT, async (msg) => {
    const run = turns.get(msg.turn);
    const entry = run && state.sessions.get(run.session.sessionId);
    if (!entry?.store) throw new Error('this session has no store');
    const result = await entry.store.commitRuntimeState(JSON.parse(utf8.decode(msg.body)));
    if (result && typeof result.head_revision === 'number') { entry.head = result.head_revision; entry.fresh = false; }
    return result;
  });
}
