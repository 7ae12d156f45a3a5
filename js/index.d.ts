// Types for lash-wasm's public JavaScript API (see docs/api.md).
// Data shapes are lash's serde JSON (snake_case fields).

export type DurabilityTier = 'inline' | 'durable';

/** Anything the builder wires as a store, registry or host reports its tier. */
export interface Tiered {
  readonly durabilityTier: DurabilityTier;
}

export class LashError extends Error {
  /** lash's EmbedError variant name, e.g. 'MissingEffectHost', or 'InvalidArgument'. */
  readonly code: string;
  /** DurableStorePeerRequired: the facet, e.g. 'attachment store'. */
  readonly facet?: string;
  /** InvalidArgument: the argument (builder method or field) that was wrong. */
  readonly argument?: string;
  readonly sessionId?: string;
  readonly loaded?: string;
  readonly requested?: string;
  readonly pluginId?: string;
  readonly operation?: string;
  /** code === 'Runtime': lash's RuntimeError code, e.g. 'store_commit_failed'. */
  readonly runtimeCode?: string;
}

export interface ModelLimits {
  context_window_tokens: number;
  output_token_capacity?: number;
}
export interface ModelSpecJson {
  id: string;
  variant?: string;
  limits: ModelLimits;
}
export const ModelSpec: {
  fromTokenLimits(id: string, variant: string | null | undefined, contextWindowTokens: number,
    outputTokenCapacity?: number | null): ModelSpecJson;
};

export type PromptSlot = 'intro' | 'execution' | 'guidance' | 'project_instructions' | 'runtime_context' | 'environment';
export interface PromptContribution {
  slot: PromptSlot;
  title?: string;
  priority?: number;
  gate?: { tools?: string[]; minimum_availability?: string };
  content: string;
}
export type PromptTemplateEntry =
  | { kind: 'text'; content: string }
  | { kind: 'builtin'; builtin: 'main_agent_intro' | 'execution_instructions' | 'core_guidance' }
  | { kind: 'slot'; slot: PromptSlot };
export interface PromptTemplate {
  sections: { title?: string; entries?: PromptTemplateEntry[] }[];
}
export interface PromptLayer {
  template?: PromptTemplate;
  slots?: Partial<Record<PromptSlot, { reset: boolean; contributions: PromptContribution[] }>>;
}

/** lash SessionSpec (replaces the builder's provider/model/maxTurns when set). */
export interface SessionSpec {
  provider_id?: string;
  model?: ModelSpecJson;
  max_turns?: number | null;
  prompt?: PromptLayer;
}
export interface SessionPolicy {
  model: ModelSpecJson;
  provider_id: string;
  session_id: string | null;
  autonomous: boolean;
  max_turns: number | null;
  prompt?: PromptLayer;
}
export interface TerminationPolicy {
  treat_missing_done_as_failure: boolean;
}

export interface Provider {
  readonly kind: string;
}
export class EchoProvider implements Provider {
  readonly kind: 'embed-test';
}
export interface ScriptedResponse {
  text?: string;
  reasoning?: string;
  toolCalls?: { id: string; name: string; arguments: unknown }[];
  terminalReason?: string;
  usage?: Partial<{ input_tokens: number; output_tokens: number; cached_input_tokens: number; reasoning_tokens: number }>;
}
export class ScriptedProvider implements Provider {
  constructor(responses: (ScriptedResponse | { error: { message: string; retryable?: boolean } })[], options?: { kind?: string });
  readonly kind: string;
  readonly requests: unknown[];
}

export interface ToolContext {
  sessionId: string;
  toolCallId: string;
  signal: AbortSignal;
  completionKey(): unknown;
}
export interface ToolDefinition {
  name: string;
  description?: string;
  inputSchema?: object;
  outputSchema?: object;
  scheduling?: 'parallel' | 'serial';
  execute(args: any, ctx: ToolContext): unknown | Promise<unknown>;
}
export interface ToolProvider {
  readonly kind: 'tool_provider';
  readonly tools: readonly Required<Omit<ToolDefinition, 'outputSchema'>>[] & { outputSchema: object | null }[];
}
export function defineTools(definitions: ToolDefinition[]): ToolProvider;

export interface PluginFactory {
  readonly id: string;
  readonly config?: unknown;
}
export function toolOutputBudget(config?: { mode?: 'bytes' | 'tokens'; limit?: number; max_lines?: number }): PluginFactory;
export const protocols: {
  standard(): PluginFactory & { protocol: 'standard' };
  rlm(config?: object): PluginFactory & { protocol: 'rlm' };
};

export class InlineEffectHost implements Tiered {
  readonly durabilityTier: 'inline';
}
export class InMemorySessionStoreFactory implements Tiered { readonly durabilityTier: 'inline'; }
export class InMemoryAttachmentStore implements Tiered { readonly durabilityTier: 'inline'; }
export class InMemoryProcessExecutionEnvStore implements Tiered { readonly durabilityTier: 'inline'; }
export class InMemoryTriggerStore implements Tiered { readonly durabilityTier: 'inline'; }
export class InMemoryProcessRegistry implements Tiered { readonly durabilityTier: 'inline'; }
export class InMemoryLashlangArtifactStore implements Tiered { readonly durabilityTier: 'inline'; }
export class InMemoryLiveReplayStore implements Tiered {
  constructor(options?: { maxEvents?: number; ttlMs?: number });
  readonly durabilityTier: 'inline';
  readonly maxEvents: number;
  readonly ttlMs: number;
}

export type TraceSink = ((record: object) => void) | { append(record: object): void };

export interface ProcessWorkDriver {
  processRegistry: Tiered;
  poke?: () => void;
}

export interface CoreBuilder<C> {
  provider(p: Provider): this;
  model(spec: ModelSpecJson): this;
  maxTurns(n: number): this;
  sessionSpec(spec: SessionSpec): this;
  storeFactory(f: Tiered): this;
  childStoreFactory(f: Tiered): this;
  attachmentStore(s: Tiered): this;
  processEnvStore(s: Tiered): this;
  effectHost(h: Tiered): this;
  tools(provider: ToolProvider): this;
  plugin(f: PluginFactory): this;
  plugins(stack: PluginFactory[]): this;
  configurePlugins(fn: (stack: PluginFactory[]) => void): this;
  traceSink(sink: TraceSink): this;
  traceLevel(level: 'standard' | 'extended'): this;
  traceContext(ctx: object): this;
  termination(policy: TerminationPolicy): this;
  residency(r: 'keep_all' | 'active_path_only'): this;
  liveReplayStore(s: Tiered): this;
  processRegistry(r: Tiered): this;
  triggerStore(s: Tiered): this;
  processWorkDriver(d: ProcessWorkDriver): this;
  queuedWorkPoke(fn: () => void): this;
  runtimeHostConfig(cfg: { effectHost: Tiered; attachmentStore: Tiered; processEnvStore: Tiered }): this;
  instructions(text: string): this;
  promptContribution(c: PromptContribution): this;
  replacePromptSlot(slot: PromptSlot, contributions: PromptContribution | PromptContribution[]): this;
  clearPromptSlot(slot: PromptSlot): this;
  promptTemplate(t: PromptTemplate): this;
  /** Validates as lash's build() does; rejects with a LashError. */
  build(): Promise<C>;
}
export interface LashCoreBuilder extends CoreBuilder<LashCore> {
  protocolPlugin(p: PluginFactory & { protocol: 'standard' | 'rlm' }): this;
}
export interface RlmCoreBuilder extends CoreBuilder<RlmCore> {
  lashlangArtifactStore(s: Tiered): this;
  lashlangArtifactStores(s: Tiered): this;
  rlmProtocolConfig(cfg: object): this;
  projectionResolver(r: ((ref: unknown) => unknown) | { resolve(ref: unknown): unknown }): this;
  lashlangExecutionSink(sink: TraceSink): this;
}

export class LashCore {
  static builder(): LashCoreBuilder;
  /** The resolved base SessionPolicy. */
  readonly policy: SessionPolicy;
  /** 'lazy': inline runner started on the first session open; 'external': a driver you own. */
  readonly processWorkRunnerSetup: 'none' | 'lazy' | 'external';
  readonly closed: boolean;
  close(): void;
}
export class StandardCore extends LashCore {
  static builder(): CoreBuilder<StandardCore>;
}
export class RlmCore extends LashCore {
  static builder(): RlmCoreBuilder;
}

/** Supply the wasm module yourself (e.g. workerd: `import wasm from 'lash-wasm/wasm'`). */
export function configureWasm(source: WebAssembly.Module | BufferSource | Response | string | URL): void;
