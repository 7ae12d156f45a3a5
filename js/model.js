// ModelSpec helpers (lash ModelSpec: {id, variant?, limits:{context_window_tokens, output_token_capacity?}}).
import { STATUS_INVALID_ARGUMENT } from './core/ops.js';
import { LashError, invalidArgument } from './errors.js';
import { checkString } from './validate.js';

function nonZero(name, value) {
  if (!Number.isSafeInteger(value) || value < 0)
    throw invalidArgument(name, `expected a non-negative integer, got ${value}`);
  if (value === 0) throw new LashError(STATUS_INVALID_ARGUMENT.code, `${name} must be greater than zero`, { argument: name });
  return value;
}

export const ModelSpec = Object.freeze({
  fromTokenLimits(id, variant, contextWindowTokens, outputTokenCapacity) {
    const err = checkString('id', id) ?? (variant != null ? checkString('variant', variant) : null);
    if (err) throw err;
    const limits = { context_window_tokens: nonZero('context_window_tokens', contextWindowTokens) };
    if (outputTokenCapacity != null) limits.output_token_capacity = nonZero('output_token_capacity', outputTokenCapacity);
    const spec = { id };
    if (variant != null) spec.variant = variant;
    spec.limits = limits;
    return spec;
  },
});
