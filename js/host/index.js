// Every host op family, installed on a core's instance at build(). Each file pairs
// with the C code that starts its ops (wa-sqlite style); names come from
// js/core/ops.js, generated from include/lash/lash_ops.h.
import { installAttachmentOps } from './attachments.js';
import { installHistoryNotes } from './history.js';
import { installModelOps } from './model.js';
import { installReportNotes } from './report.js';
import { installStoreOps } from './store.js';
import { installToolOps } from './tools.js';
import { installTraceNotes } from './trace.js';

export function installHost(state) {
  installModelOps(state);
  installAttachmentOps(state);
  installToolOps(state);
  installStoreOps(state);
  installHistoryNotes(state);
  installReportNotes(state);
  installTraceNotes(state);
}
