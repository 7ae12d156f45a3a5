// defineTools: JavaScript tools as a ToolProvider for builder.tools(...).
import { MAX_TEXT_BYTES } from './core/ops.js';
import { invalidArgument } from './errors.js';
import { checkEnum, checkFunction, checkObject, checkString } from './validate.js';

const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/; // what every provider dialect accepts

export function defineTools(definitions) {
  if (!Array.isArray(definitions)) throw invalidArgument('definitions', 'expected an array of tool definitions');
  const seen = new Set();
  const tools = definitions.map((d, i) => {
    const at = `definitions[${i}]`;
    const err =
      checkObject(at, d) ??
      checkString(`${at}.name`, d.name) ??
      (TOOL_NAME.test(d.name) ? null : invalidArgument(`${at}.name`, 'must match [A-Za-z0-9_-]{1,64}')) ??
      checkString(`${at}.description`, d.description ?? '', { maxBytes: MAX_TEXT_BYTES }) ??
      checkObject(`${at}.inputSchema`, d.inputSchema ?? { type: 'object' }) ??
      (d.outputSchema != null ? checkObject(`${at}.outputSchema`, d.outputSchema) : null) ??
      checkEnum(`${at}.scheduling`, d.scheduling ?? 'parallel', ['parallel', 'serial']) ??
      checkFunction(`${at}.execute`, d.execute);
    if (err) throw err;
    if (seen.has(d.name)) throw invalidArgument(`${at}.name`, `duplicate plugin tool name \`${d.name}\``);
    seen.add(d.name);
    return Object.freeze({
      name: d.name,
      description: d.description ?? '',
      inputSchema: d.inputSchema ?? { type: 'object' },
      outputSchema: d.outputSchema ?? null,
      scheduling: d.scheduling ?? 'parallel',
      execute: d.execute,
    });
  });
  return Object.freeze({ kind: 'tool_provider', tools: Object.freeze(tools) });
}

// Tool control (lash ToolControl): return toolFinish(value) to end the turn with
// that value, toolFail(failure) to stop it with a tool error.
const CONTROL = Symbol.for('lash.tool.control');
export function toolFinish(value) {
  return { [CONTROL]: { type: 'finish', value: value ?? null } };
}
export function toolFail(failure) {
  const f = typeof failure === 'string' ? { message: failure } : { ...failure };
  return {
    [CONTROL]: {
      type: 'fail',
      failure: { class: f.class ?? 'execution', code: f.code ?? 'tool_failed', message: f.message ?? '', source: 'tool',
        retry: { type: 'never' }, ...(f.raw !== undefined ? { raw: f.raw } : {}) },
    },
  };
}

// A tool's return value as lash's ToolCallOutput JSON.
export function toolOutputFrom(value) {
  const control = value && typeof value === 'object' ? value[CONTROL] : undefined;
  if (control) {
    const payload = control.type === 'finish' ? control.value : null;
    return { outcome: { status: 'success', payload: toJson(payload) }, control: toJson(control) };
  }
  return { outcome: { status: 'success', payload: toJson(value) } };
}

function toJson(v) {
  if (v === undefined) return null;
  return JSON.parse(JSON.stringify(v) ?? 'null');
}
