// Which model the CLI talks to, from the environment (and --provider / --model).
//   LASH_BASE_URL + LASH_MODEL (+ LASH_API_KEY)   OpenAI-compatible Chat Completions (llama.cpp, vLLM, OpenRouter…)
//   ANTHROPIC_API_KEY (+ ANTHROPIC_BASE_URL)      Anthropic Messages
//   OPENAI_API_KEY (+ OPENAI_BASE_URL)            OpenAI Responses
//   none of them                                  the offline demo model
// The first one set wins, in that order; --provider picks one explicitly.
import {
  ModelSpec, OpenAiCompatibleProvider, OpenAiResponsesProvider, AnthropicProvider,
} from '../../js/index.js';
import { OfflineDemoModel } from './demo-model.js';

export const PROVIDER_CHOICES = ['offline', 'openai', 'anthropic', 'compatible'];
export const DEFAULT_MODELS = { openai: 'gpt-4.1-mini', anthropic: 'claude-sonnet-4-5' };

export class UsageError extends Error {}

// A base URL as shown to the user: no user:password@, no query (either may hold a secret).
export function displayUrl(url) {
  try {
    const u = new URL(url);
    u.username = ''; u.password = ''; u.search = ''; u.hash = '';
    return u.href.replace(/\/$/, '');
  } catch {
    return '(unparsable URL)';
  }
}

function contextWindow(env, fallback) {
  const raw = env.LASH_CONTEXT_WINDOW;
  if (raw == null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`LASH_CONTEXT_WINDOW must be a positive integer, got ${raw}`);
  return n;
}

function checkUrl(name, url) {
  let u;
  try { u = new URL(url); } catch { throw new UsageError(`${name} is not a URL: ${displayUrl(url)}`); }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`${name} must be an http(s) URL`);
  return url;
}

/** { kind, provider, model: ModelSpec, label } for the environment and the --provider/--model options. */
export function chooseProvider(env, { provider: forced = null, model: modelFlag = null } = {}) {
  if (forced && !PROVIDER_CHOICES.includes(forced))
    throw new UsageError(`--provider must be one of ${PROVIDER_CHOICES.join(', ')}, not ${forced}`);
  const choice = forced ?? (env.LASH_BASE_URL ? 'compatible' : env.ANTHROPIC_API_KEY ? 'anthropic' : env.OPENAI_API_KEY ? 'openai' : 'offline');
  const modelId = modelFlag || env.LASH_MODEL || DEFAULT_MODELS[choice] || null;
  if (choice === 'offline') {
    return { kind: 'offline-demo', provider: new OfflineDemoModel(),
      model: ModelSpec.fromTokenLimits('offline-demo', null, 128000), label: 'offline demo model (no LLM)' };
  }
  if (choice === 'compatible') {
    if (!env.LASH_BASE_URL) throw new UsageError('--provider compatible needs LASH_BASE_URL (e.g. http://127.0.0.1:8080/v1) and LASH_MODEL');
    if (!modelId) throw new UsageError(`LASH_BASE_URL is set but LASH_MODEL is not: name the model ${displayUrl(env.LASH_BASE_URL)} serves (or pass --model)`);
    const baseUrl = checkUrl('LASH_BASE_URL', env.LASH_BASE_URL);
    return { kind: 'openai-compatible', provider: new OpenAiCompatibleProvider({ apiKey: env.LASH_API_KEY ?? '', baseUrl }),
      model: ModelSpec.fromTokenLimits(modelId, null, contextWindow(env, 128000)),
      label: `OpenAI-compatible Chat Completions at ${displayUrl(baseUrl)}, model ${modelId}${env.LASH_API_KEY ? '' : ' (no LASH_API_KEY)'}` };
  }
  if (choice === 'anthropic') {
    if (!env.ANTHROPIC_API_KEY) throw new UsageError('--provider anthropic needs ANTHROPIC_API_KEY');
    const baseUrl = env.ANTHROPIC_BASE_URL ? checkUrl('ANTHROPIC_BASE_URL', env.ANTHROPIC_BASE_URL) : undefined;
    return { kind: 'anthropic', provider: new AnthropicProvider({ apiKey: env.ANTHROPIC_API_KEY, ...(baseUrl ? { baseUrl } : {}) }),
      model: ModelSpec.fromTokenLimits(modelId, null, contextWindow(env, 200000)),
      label: `Anthropic Messages${baseUrl ? ` at ${displayUrl(baseUrl)}` : ''}, model ${modelId}` };
  }
  if (!env.OPENAI_API_KEY) throw new UsageError('--provider openai needs OPENAI_API_KEY');
  const baseUrl = env.OPENAI_BASE_URL ? checkUrl('OPENAI_BASE_URL', env.OPENAI_BASE_URL) : undefined;
  return { kind: 'openai', provider: new OpenAiResponsesProvider({ apiKey: env.OPENAI_API_KEY, ...(baseUrl ? { baseUrl } : {}) }),
    model: ModelSpec.fromTokenLimits(modelId, null, contextWindow(env, 128000)),
    label: `OpenAI Responses${baseUrl ? ` at ${displayUrl(baseUrl)}` : ''}, model ${modelId}` };
}

// The --provider value that selects a recorded provider id, for hints.
export const choiceForKind = (kind) =>
  ({ 'offline-demo': 'offline', openai: 'openai', anthropic: 'anthropic', 'openai-compatible': 'compatible' })[kind] ?? null;
