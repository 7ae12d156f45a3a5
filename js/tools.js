// defineTools: JavaScript tools as a ToolProvider for builder.tools(...).
import { invalidArgument } from './errors.js';
import { checkEnum, checkFunction, checkObject, checkString, MAX_TEXT_BYTES } from './validate.js';

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
