// lash SessionUsageReport over a session's token ledger.
function totals(u) {
  const total = u.input_tokens + u.output_tokens + u.reasoning_tokens;
  return { input_tokens: u.input_tokens, output_tokens: u.output_tokens, cached_input_tokens: u.cached_input_tokens,
    reasoning_tokens: u.reasoning_tokens, total_tokens: total, context_total_tokens: total + u.cached_input_tokens };
}
const zero = () => ({ input_tokens: 0, output_tokens: 0, cached_input_tokens: 0, reasoning_tokens: 0 });
const add = (a, b) => { for (const k of Object.keys(a)) a[k] += b[k] ?? 0; return a; };

export function usageReport(entries) {
  const total = zero(), bySource = {}, byModel = {};
  for (const e of entries) {
    add(total, e.usage);
    add((bySource[e.source] ??= zero()), e.usage);
    add((byModel[e.model] ??= zero()), e.usage);
  }
  const sorted = (o) => Object.fromEntries(Object.keys(o).sort().map((k) => [k, totals(o[k])]));
  return {
    entry_count: entries.length, usage: totals(total), by_source: sorted(bySource), by_model: sorted(byModel),
    by_source_model: entries.map((e) => ({ source: e.source, model: e.model, usage: totals(add(zero(), e.usage)) })),
  };
}
