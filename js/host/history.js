// The history mirror (src/session: history.reset, history.push): the core's renderings
// of committed messages, kept here so a model request can name them by count.
import { OP_HISTORY_PUSH, OP_HISTORY_RESET } from '../core/ops.js';
import { utf8 } from '../util/bytes.js';

export function installHistoryNotes(state) {
  const { instance } = state;
  instance.onNotify(OP_HISTORY_RESET, (msg) => { state.session(msg.session).history = []; });
  instance.onNotify(OP_HISTORY_PUSH, (msg) => { state.session(msg.session).history.push(utf8.decode(msg.body)); });
}
