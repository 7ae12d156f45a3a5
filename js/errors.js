// LashError: the one error type the package throws or rejects with.
// `.code` is lash's EmbedError variant name; variant fields are properties.
import { STATUS_INTERNAL, STATUS_INVALID_ARGUMENT } from './core/ops.js';

export class LashError extends Error {
  constructor(code, message, fields = {}) {
    super(message);
    this.name = 'LashError';
    this.code = code;
    for (const [k, v] of Object.entries(fields)) {
      if (v !== undefined && k !== 'code' && k !== 'message') this[k] = v;
    }
  }
}

// A LashError of one status of the shared table (js/core/ops.js, from lash.h): its
// message template filled as the core fills it (src/core/core.c render_message).
export function statusError(status, vars = {}, fields = {}) {
  const message = status.template.replace(/\{(facet|argument|detail)\}/g, (_, k) => vars[k] ?? '');
  return new LashError(status.code, message, fields);
}

// The single place a core error JSON ({code, message, ...fields}) becomes a LashError.
const FIELD_NAMES = { session_id: 'sessionId', plugin_id: 'pluginId', runtime_code: 'runtimeCode' };
export function errorFromCore(json) {
  let data;
  try {
    data = typeof json === 'string' ? JSON.parse(json) : json;
  } catch {
    return statusError(STATUS_INTERNAL, { detail: String(json).slice(0, 200) });
  }
  const fields = {};
  for (const [k, v] of Object.entries(data ?? {})) fields[FIELD_NAMES[k] ?? k] = v;
  return new LashError(data?.code ?? STATUS_INTERNAL.code, data?.message ?? 'unknown core error', fields);
}

export function invalidArgument(argument, detail) {
  return statusError(STATUS_INVALID_ARGUMENT, { argument, detail }, { argument });
}
