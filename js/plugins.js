// Plugin factories and the protocol plugins. The work itself runs in the core;
// a factory here names the plugin and carries its configuration.
import { invalidArgument } from './errors.js';
import { checkEnum, checkObject, checkPositiveInt } from './validate.js';

// lash's tool-output budget plugin (default in both presets): {mode, limit, max_lines}.
export function toolOutputBudget({ mode = 'bytes', limit = 16384, max_lines = 400 } = {}) {
  const err =
    checkEnum('toolOutputBudget.mode', mode, ['bytes', 'tokens']) ??
    (Number.isSafeInteger(limit) && limit >= 0 ? null : invalidArgument('toolOutputBudget.limit', 'expected a non-negative integer')) ??
    checkPositiveInt('toolOutputBudget.max_lines', max_lines);
  if (err) throw err;
  return Object.freeze({ id: 'tool_output_budget', config: Object.freeze({ mode, limit, max_lines }) });
}

export const defaultRuntimeStack = () => [toolOutputBudget()];

export const protocols = Object.freeze({
  standard: () => Object.freeze({ id: 'standard_protocol', protocol: 'standard' }),
  rlm: (config = {}) => {
    const err = checkObject('protocols.rlm(config)', config);
    if (err) throw err;
    return Object.freeze({ id: 'rlm_protocol', protocol: 'rlm', config: structuredClone(config) });
  },
});
