// LashError: the one error type the package throws or rejects with.
// `.code` is lash's EmbedError variant name; variant fields are properties.

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

// The single place a core error JSON ({code, message, ...fields}) becomes a LashError.
const FIELD_NAMES = { session_id: 'sessionId', plugin_id: 'pluginId', runtime_code: 'runtimeCode' };
export function errorFromCore(json) {
  let data;
  try {
    data = typeof json === 'string' ? JSON.parse(json) : json;
  } catch {
    return new LashError('Internal', `core returned an unreadable error: ${String(json).slice(0, 200)}`);
  }
  const fields = {};
  for (const [k, v] of Object.entries(data ?? {})) fields[FIELD_NAMES[k] ?? k] = v;
  return new LashError(data?.code ?? 'Internal', data?.message ?? 'unknown core error', fields);
}

export function invalidArgument(argument, detail) {
  return new LashError('InvalidArgument', `invalid argument \`${argument}\`: ${detail}`, { argument });
}
