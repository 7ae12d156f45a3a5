// Types for lash-wasm's public JavaScript API (see docs/api.md).
// Data shapes are lash's serde JSON (snake_case fields).

export type DurabilityTier = 'inline' | 'durable';

/** Anything the builder wires as a store, registry or host reports its tier. */
export interface Tiered {
  readonly durabilityTier: DurabilityTier;
}

export class LashError extends Error {
  /** lash's EmbedError variant name, e.g. 'MissingEffectHost', or 'InvalidArgument'; raised by
   * the JavaScript side only: 'Cancelled', 'CorePoisoned', 'CoreClosed', 'SessionClosed',
   * 'WasmLoadFailed', 'Internal' (all listed in include/lash/lash.h's status table). */
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
  /** Providers implemented in JavaScript answer lash LlmRequest JSON with LlmResponse JSON. */
  complete?(request: object, ctx: { signal: AbortSignal; sessionId: string }): Promise<object>;
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
/** lash ProviderOptions.reliability (defaults in brackets). */
export interface ProviderReliability {
  /** Attempts in all, first included [4]. */
  maxAttempts?: number;
  /** Exponential delay: baseDelayMs * 2^retry, capped at maxDelayMs [2000, 10000]. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Cap on a server's Retry-After [60000]. */
  retryAfterCapMs?: number;
  /** The whole request; the response start waits min(this, chunkTimeoutMs) [300000]. */
  requestTimeoutMs?: number;
  /** Between two body chunks [120000]. */
  chunkTimeoutMs?: number;
  /** One response's bytes; a stream that never ends fails past this [67108864]. lash-wasm only. */
  maxResponseBytes?: number;
}
export interface HttpProviderOptions {
  /** Added to each request in JavaScript; never enters wasm memory, traces or stores. */
  apiKey?: string;
  baseUrl?: string;
  /** The fetch to use (default globalThis.fetch). */
  fetch?: typeof fetch;
  /** Extra request headers (e.g. OpenRouter's HTTP-Referer). */
  headers?: Record<string, string>;
  reliability?: ProviderReliability;
  /** Stream reasoning/thinking as reasoning_delta activities [false]. */
  exposeThinking?: boolean;
  /** Per-request output-token cap (the dialect's max_tokens / max_output_tokens). */
  maxOutputTokens?: number;
  reasoningEffort?: 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh';
  cacheRetention?: 'none' | 'short' | 'long';
}
/** OpenAI Chat Completions or a compatible server: POST {baseUrl}/chat/completions. */
export class OpenAiCompatibleProvider implements Provider {
  constructor(options: HttpProviderOptions & { baseUrl: string });
  readonly kind: 'openai-compatible';
  readonly baseUrl: string;
}
/** OpenAI Responses: POST {baseUrl = https://api.openai.com/v1}/responses. */
export class OpenAiResponsesProvider implements Provider {
  constructor(options?: HttpProviderOptions);
  readonly kind: 'openai';
  readonly baseUrl: string;
}
/** Anthropic Messages: POST {baseUrl = https://api.anthropic.com}/v1/messages. */
export class AnthropicProvider implements Provider {
  constructor(options?: HttpProviderOptions);
  readonly kind: 'anthropic';
  readonly baseUrl: string;
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
export class InMemorySessionStoreFactory implements SessionStoreFactory {
  readonly durabilityTier: 'inline';
  createStore(req: Parameters<SessionStoreFactory['createStore']>[0]): Promise<SessionStore>;
  openExistingStore(req: { session_id: string }): Promise<SessionStore | null>;
  deleteSession(sessionId: string): Promise<void>;
}
export class InMemoryAttachmentStore implements Tiered {
  readonly durabilityTier: 'inline';
  put(bytes: Uint8Array, meta?: { media_type?: AttachmentRef['media_type']; width?: number; height?: number; label?: string }): Promise<AttachmentRef>;
  get(id: string): Promise<{ meta: AttachmentRef; bytes: Uint8Array }>;
}
export class InMemoryProcessExecutionEnvStore implements ProcessExecutionEnvStore {
  readonly durabilityTier: 'inline';
  putProcessExecutionEnv(ref: string, bytes: Uint8Array): Promise<void>;
  getProcessExecutionEnv(ref: string): Promise<Uint8Array | null>;
}
export class InMemoryTriggerStore implements Tiered { readonly durabilityTier: 'inline'; }
/** lash's reference in-memory process registry: storage only (nothing runs processes yet). */
export class InMemoryProcessRegistry implements ProcessRegistry {
  readonly durabilityTier: 'inline';
}
export interface InMemoryProcessRegistry extends ProcessRegistry {}
export class InMemoryLashlangArtifactStore implements Tiered { readonly durabilityTier: 'inline'; }
export class InMemoryLiveReplayStore implements Tiered {
  constructor(options?: { maxEvents?: number; ttlMs?: number });
  readonly durabilityTier: 'inline';
  readonly maxEvents: number;
  readonly ttlMs: number;
}

/** TraceContext (lash-trace): the builder's base context, overlaid field by field by each record's own. */
export interface TraceContext {
  run_id?: string;
  experiment_id?: string;
  candidate_id?: string;
  candidate_parent_id?: string;
  example_id?: string;
  split?: string;
  session_id?: string;
  turn_id?: string;
  graph_node_id?: string;
  parent_graph_node_id?: string;
  turn_index?: number;
  protocol_iteration?: number;
  effect_id?: string;
  llm_call_id?: string;
  metadata?: { [key: string]: unknown };
}

export interface TraceTokenUsage { input_tokens: number; output_tokens: number; cached_input_tokens: number; reasoning_tokens: number }

export type TraceContentBlock =
  | { kind: 'text'; text: string; cache_breakpoint?: true }
  | { kind: 'image'; attachment_idx: number }
  | { kind: 'tool_call'; call_id: string | null; tool_name: string; input_json: unknown; item_id: string | null; has_signature: boolean }
  | { kind: 'tool_result'; call_id: string | null; tool_name: string | null; content: string }
  | { kind: 'reasoning'; text: string; item_id: string | null; summary: string[]; has_encrypted: boolean; redacted: boolean };

/** The neutral model request (never a provider's HTTP body or headers). */
export interface TraceLlmRequest {
  model: string;
  model_variant?: string;
  messages: { role: 'system' | 'user' | 'assistant'; blocks: TraceContentBlock[] }[];
  attachments?: { mime: string; filename?: string; bytes_sha256?: string; bytes_len?: number }[];
  tools?: { name: string; description: string; input_schema: unknown; output_schema: unknown }[];
  tool_choice: 'auto' | 'none' | 'required';
  output_spec?: unknown;
  stream: boolean;
}

export interface TraceStreamSummary {
  first_visible_token_latency_ms: number | null;
  stream_duration_ms: number | null;
  text_delta_count: number;
  visible_chunk_count: number;
  avg_visible_chunk_chars: number | null;
  max_visible_chunk_chars: number | null;
}

/** The standard-level events a standard turn emits (docs/tracing.md). */
export type TraceEvent =
  | { type: 'turn_started'; metadata?: { input_item_count?: number; [key: string]: unknown } }
  | { type: 'prompt_built'; prompt_hash: string; prompt_chars: number; components?: { id: string; kind: string; hash: string; chars?: number }[] }
  | { type: 'llm_call_started'; request: TraceLlmRequest }
  | {
      type: 'llm_call_completed';
      response: { text: string; duration_ms: number; terminal_reason?: string; parts?: unknown[] };
      usage?: TraceTokenUsage;
      provider_usage?: unknown;
      stream_summary?: TraceStreamSummary;
    }
  | {
      type: 'llm_call_failed';
      error: { message: string; retryable: boolean; terminal_reason?: string; code?: string; raw?: string };
      stream_summary?: TraceStreamSummary;
    }
  | { type: 'tool_call_started'; call_id: string | null; name: string; args: unknown }
  | {
      type: 'tool_call_completed';
      call_id: string | null;
      name: string;
      args: unknown;
      output: { outcome: { status: 'success' | 'failure' | 'cancelled'; payload: unknown }; control?: unknown };
      duration_ms: number;
    }
  | { type: 'turn_completed'; status: 'completed' | 'failed'; done_reason: string; agent_frame_switch?: { frame_id: string } };

/** lash-trace TraceRecord, schema version 2: the envelope with the event's fields flattened in. */
export type TraceRecord = {
  schema_version: 2;
  /** uuid v4 */
  id: string;
  /** RFC 3339, UTC ("+00:00") */
  timestamp: string;
  context: TraceContext;
} & TraceEvent;

/** Receives every TraceRecord; a throw or a rejected promise is ignored (never fails a turn). */
export type TraceSink = ((record: TraceRecord) => void | Promise<void>) | { append(record: TraceRecord): void | Promise<void> };
export type LashlangExecutionSink = ((record: object) => void) | { append(record: object): void };

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
  traceContext(ctx: TraceContext): this;
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
  /** The protocol plugin (needed by LashCore.builder(); the presets bring their own). */
  protocolPlugin(p: PluginFactory & { protocol: 'standard' | 'rlm' }): this;
  /** Validates as lash's build() does; rejects with a LashError. */
  build(): Promise<C>;
}
export type LashCoreBuilder = CoreBuilder<LashCore>;
export interface RlmCoreBuilder extends CoreBuilder<RlmCore> {
  lashlangArtifactStore(s: Tiered): this;
  lashlangArtifactStores(s: Tiered): this;
  rlmProtocolConfig(cfg: object): this;
  projectionResolver(r: ((ref: unknown) => unknown) | { resolve(ref: unknown): unknown }): this;
  lashlangExecutionSink(sink: LashlangExecutionSink): this;
}

// ---- sessions and turns -------------------------------------------------

export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  reasoning_tokens: number;
}
export interface Part {
  id: string;
  kind: 'Text' | 'Image' | 'Code' | 'Output' | 'Error' | 'Prose' | 'ToolCall' | 'ToolResult' | 'Reasoning';
  content: string;
  attachment?: { reference: AttachmentRef };
  tool_call_id?: string;
  tool_name?: string;
  tool_replay?: object;
  prune_state: 'Intact' | 'Cleared' | object;
  reasoning_meta?: object;
  response_meta?: object;
}
export interface Message {
  id: string;
  role: 'User' | 'Assistant' | 'System' | 'Event';
  parts: Part[];
  origin?: object;
}
export interface AttachmentRef {
  id: string;
  media_type: { kind: 'image'; type: 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp' };
  byte_len: number;
  width?: number;
  height?: number;
  label?: string;
}
export interface ToolCallOutput {
  outcome: { status: 'success'; payload: unknown } | { status: 'failure'; payload: ToolFailure } | { status: 'cancelled'; payload: { message: string } };
  control?: object;
}
export interface ToolFailure {
  class: string;
  code: string;
  message: string;
  source: string;
  retry: { type: string };
  raw?: unknown;
}
export type TurnOutcome =
  | { finished: { assistant_message: { text: string } } | { submitted_value: { value: unknown } } | { tool_value: { tool_name: string; value: unknown } } }
  | { agent_frame_switch: { frame_id: string; task: string } }
  | { stopped: 'cancelled' | 'incomplete' | 'invalid_input' | 'max_turns' | 'tool_failure' | 'provider_error' | 'plugin_abort' | 'runtime_error' | { submitted_error: { value: unknown } } | { tool_error: { tool_name: string; value: unknown } } };
export interface TurnResult {
  state: { session_id: string; policy: SessionPolicy; turn_index: number; token_usage: TokenUsage; [k: string]: unknown };
  outcome: TurnOutcome;
  assistant_output: { safe_text: string; raw_text: string; state: 'usable' | 'empty_output' | 'traceback_only' | 'recovered_from_error' };
  usage: TokenUsage;
  children_usage: { source: string; model: string; usage: TokenUsage }[];
  tool_calls: { call_id?: string; tool: string; args: unknown; output: ToolCallOutput; duration_ms: number }[];
  execution: { had_tool_calls: boolean; had_code_execution: boolean };
  errors: { kind: string; code?: string; terminal_reason?: string; message: string; raw?: string }[];
  assistantMessage(): string | null;
  isSuccess(): boolean;
}
/** lash TurnActivity: `type` selects the fields. */
export interface TurnActivity {
  id: string;
  correlation_id: string;
  type: 'model_request_started' | 'assistant_prose_delta' | 'reasoning_delta' | 'tool_call_started' | 'tool_call_completed'
    | 'usage' | 'error' | 'retry_status' | string;
  [field: string]: unknown;
}
export type TurnInput = string | {
  items: ({ type: 'text'; text: string } | { type: 'image_ref'; id: string })[];
  image_blobs?: Record<string, Uint8Array | number[]>;
  trace_turn_id?: string;
};
export interface PromptLayerMethods<T> {
  instructions(text: string): T;
  promptContribution(c: PromptContribution): T;
  replacePromptSlot(slot: PromptSlot, contributions: PromptContribution | PromptContribution[]): T;
  clearPromptSlot(slot: PromptSlot): T;
  promptTemplate(t: PromptTemplate): T;
}
export interface TurnBuilder extends PromptLayerMethods<TurnBuilder> {
  signal(signal: AbortSignal): this;
  turnId(id: string): this;
  provider(p: Provider): this;
  model(spec: ModelSpecJson): this;
  run(): Promise<{ result: TurnResult; activities: TurnActivity[] }>;
  stream(): AsyncIterable<TurnActivity> & { result: Promise<TurnResult> };
  streamTo(sink: ((a: TurnActivity) => void | Promise<void>) | { emit(a: TurnActivity): void | Promise<void> }): Promise<TurnResult>;
}
export interface SessionReadView {
  session_id: string;
  policy: SessionPolicy;
  turn_index: number;
  token_usage: TokenUsage;
  token_ledger?: { source: string; model: string; usage: TokenUsage }[];
  messages: Message[];
}
export interface LashSession {
  readonly sessionId: string;
  readonly parentSessionId: string | null;
  turn(input: TurnInput): TurnBuilder;
  cancelRunningTurns(): number;
  readView(): Promise<SessionReadView>;
  usageReport(): Promise<object>;
  close(): void;
}
export interface SessionBuilder extends PromptLayerMethods<SessionBuilder> {
  provider(p: Provider): this;
  sessionSpec(spec: SessionSpec): this;
  parent(id: string): this;
  store(store: object): this;
  open(): Promise<LashSession>;
  openFresh(): Promise<LashSession>;
}

/** Return from a tool's execute to end the turn with this value (lash ToolControl::Finish). */
export function toolFinish(value: unknown): object;
/** Return from a tool's execute to stop the turn with a tool error (lash ToolControl::Fail). */
export function toolFail(failure: string | Partial<ToolFailure>): object;

export class LashCore {
  static builder(): LashCoreBuilder;
  session(id: string): SessionBuilder;
  /** lash delete_session: forgets the session and deletes its store (root store factory required). */
  deleteSession(id: string): Promise<{ session_id: string; process: null | object }>;
  /** Bytes the core has allocated, and the wasm linear memory size. */
  memoryStats(): { heapBytesInUse: number; memoryBytes: number };
  /** Audit helper: whether the core's wasm memory (free space included) holds these bytes, e.g. an API key. */
  memoryContains(needle: string | Uint8Array): boolean;
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
export { lashlang } from './lashlang.js';

// ---- stores (see docs/stores.md for the interface a custom store implements) ----
// Stores are plain objects the core calls through the host, in lash's JSON shapes.
// Errors are LashError: SessionBindingMismatch {bound, attempted},
// HeadRevisionConflict {expected, actual}, RuntimeTurnCommitConflict {sessionId, turnId},
// QueuedWorkClaimExpired {sessionId, claimId}, UnsupportedReadScope,
// UnsupportedRecordSchemaVersion, Backend; attachments: NotFound {id}, MissingMeta,
// MetadataDecode, Io.

/** lash SessionNodeRecord: an event ({ kind: 'event', event }) or plugin ({ kind: 'plugin', plugin_type, body }) node. */
export interface SessionNodeRecord {
  node_id: string;
  parent_node_id?: string;
  caused_by?: object;
  agent_frame_id?: string;
  timestamp: string;
  kind: 'event' | 'plugin';
  [k: string]: unknown;
}
export interface SessionGraph { nodes: SessionNodeRecord[]; leaf_node_id: string | null }
export interface TokenLedgerEntry { source: string; model: string; usage: TokenUsage }
export interface PersistedTurnState {
  turn_index: number;
  token_usage: TokenUsage;
  last_prompt_usage?: object | null;
  protocol_turn_options: object;
}
/** lash HydratedSessionCheckpoint: the turn state plus refs and hydrated snapshots. */
export interface HydratedSessionCheckpoint {
  turn_state: PersistedTurnState;
  tool_state_ref?: string | null;
  tool_state?: object | null;
  plugin_snapshot_ref?: string | null;
  plugin_snapshot?: object | null;
  plugin_snapshot_revision?: number | null;
  execution_state_ref?: string | null;
  execution_state?: number[] | null;
}
/** lash SessionCheckpoint: the refs-only manifest of a commit. */
export interface SessionCheckpoint {
  turn_state: PersistedTurnState;
  tool_state_ref?: string;
  plugin_snapshot_ref?: string;
  plugin_snapshot_revision?: number;
  execution_state_ref?: string;
}
export type GraphCommitDelta =
  | { Unchanged: { leaf_node_id: string | null } }
  | { Append: { nodes: SessionNodeRecord[]; leaf_node_id: string | null } }
  | { ReplaceFull: SessionGraph };
/** lash RuntimeCommit: the single atomic store write (§2.9). */
export interface RuntimeCommit {
  session_id: string;
  /** null = create or force; otherwise the head revision the commit was built on (CAS). */
  expected_head_revision: number | null;
  config: { provider_id: string; model: ModelSpecJson };
  agent_frames: object[];
  current_agent_frame_id: string;
  graph: GraphCommitDelta;
  checkpoint: HydratedSessionCheckpoint;
  usage_deltas: TokenLedgerEntry[];
  turn_commit: { session_id: string; turn_id: string; turn_commit_hash: string } | null;
  completed_queue_claims: { session_id: string; claim_id: string; lease_token: string; batch_ids: string[] }[];
  committed_attachment_ids: string[];
}
export interface RuntimeCommitResult { head_revision: number; checkpoint_ref: string; manifest: SessionCheckpoint }
export interface PersistedSessionRead {
  session_id: string;
  head_revision: number;
  config: RuntimeCommit['config'];
  agent_frames: object[];
  current_agent_frame_id: string;
  graph: SessionGraph;
  checkpoint_ref: string | null;
  checkpoint: HydratedSessionCheckpoint | null;
  /** One row per (source, model), counts summed. */
  token_ledger: TokenLedgerEntry[];
}
export type SessionReadScope = { type: 'full_graph' } | { type: 'active_path'; leaf_node_id?: string | null };
export type SessionRelation = { kind: 'root' } | { kind: 'child'; parent_session_id: string; caused_by?: object | null };
export interface SessionMeta {
  session_id: string;
  session_name: string;
  created_at: string;
  model: string;
  cwd?: string | null;
  relation: SessionRelation;
}
/** lash RuntimePersistence: one store per session, bound to its id. */
export interface SessionStore extends Partial<Tiered> {
  readonly sessionId: string;
  /** null when nothing was committed yet. */
  loadSession(scope?: SessionReadScope): Promise<PersistedSessionRead | null>;
  loadNode(nodeId: string): Promise<SessionNodeRecord | null>;
  /** The stored head revision (cheap): lets a handle notice another writer's commit. */
  headRevision(): Promise<number | null>;
  /** binding -> turn stamp -> CAS -> apply -> head + 1 -> stamp; all or nothing. */
  commitRuntimeState(commit: RuntimeCommit): Promise<RuntimeCommitResult>;
  saveSessionMeta(meta: SessionMeta): Promise<void>;
  loadSessionMeta(): Promise<SessionMeta | null>;
  tombstoneNodes(nodeIds: string[]): Promise<void>;
  vacuum(): Promise<{ removed_node_count: number }>;
}
export interface SessionStoreCreateRequest { session_id: string; relation: SessionRelation; policy: { model: { id: string }; [k: string]: unknown } }
export interface SessionStoreFactory extends Tiered {
  /** The session's store; seeds meta on first use and never overwrites it. */
  createStore(req: SessionStoreCreateRequest): Promise<SessionStore>;
  openExistingStore(req: { session_id: string }): Promise<SessionStore | null>;
  /** Idempotent. */
  deleteSession(sessionId: string): Promise<void>;
}
export interface AttachmentCreateMeta { media_type?: AttachmentRef['media_type']; width?: number; height?: number; label?: string }
export interface AttachmentStore extends Tiered {
  /** Content-addressed: id = sha256 hex of the bytes; idempotent. */
  put(bytes: Uint8Array, meta?: AttachmentCreateMeta): Promise<AttachmentRef>;
  /** Rejects with LashError NotFound for an unknown id. */
  get(id: string): Promise<{ meta: AttachmentRef; bytes: Uint8Array }>;
}
export interface ProcessExecutionEnvStore extends Tiered {
  putProcessExecutionEnv(ref: string, bytes: Uint8Array): Promise<void>;
  getProcessExecutionEnv(ref: string): Promise<Uint8Array | null>;
}
export interface IndexedDbOptions {
  /** Default 'lash-wasm'. One database can hold every store kind. */
  dbName?: string;
  /** Defaults to globalThis.indexedDB; Node passes fake-indexeddb's. */
  indexedDB?: IDBFactory;
  /** Passed to every readwrite transaction. Default 'strict'. */
  durability?: 'strict' | 'relaxed';
}
export class IndexedDbSessionStoreFactory implements SessionStoreFactory {
  constructor(options?: IndexedDbOptions);
  readonly durabilityTier: 'durable';
  createStore(req: SessionStoreCreateRequest): Promise<SessionStore>;
  openExistingStore(req: { session_id: string }): Promise<SessionStore | null>;
  deleteSession(sessionId: string): Promise<void>;
}
export class IndexedDbAttachmentStore implements AttachmentStore {
  constructor(options?: IndexedDbOptions);
  readonly durabilityTier: 'durable';
  put(bytes: Uint8Array, meta?: AttachmentCreateMeta): Promise<AttachmentRef>;
  get(id: string): Promise<{ meta: AttachmentRef; bytes: Uint8Array }>;
}
export class IndexedDbProcessExecutionEnvStore implements ProcessExecutionEnvStore {
  constructor(options?: IndexedDbOptions);
  readonly durabilityTier: 'durable';
  putProcessExecutionEnv(ref: string, bytes: Uint8Array): Promise<void>;
  getProcessExecutionEnv(ref: string): Promise<Uint8Array | null>;
}

// ---- process registry (lash ProcessRegistry; JSON in lash's serde shapes) ----
// Storage only: the registries record processes, events, grants, waits and leases;
// no runner executes processes yet, and there is no core.processes() yet.

export interface SessionScope { session_id: string; agent_frame_id?: string }
export type ProcessInput =
  | { type: 'tool_call'; call: object }
  | { type: 'engine'; kind: string; payload: unknown }
  | { type: 'session_turn'; create_request: unknown; turn_input: unknown; output_contract: unknown }
  | { type: 'external'; metadata: unknown };
/** "payload" | { pointer } | { const } | { template: { template, fields } } | { present } */
export type ProcessValueSelector =
  | 'payload' | { pointer: string } | { const: unknown } | { present: string }
  | { template: { template: string; fields?: Record<string, ProcessValueSelector> } };
export interface ProcessEventType {
  name: string;
  /** LashSchema: { schema: JSON-schema subset }; default { schema: {} } (any). */
  payload_schema?: { schema: object };
  semantics?: {
    terminal?: { state: 'completed' | 'failed' | 'cancelled'; await_output?: ProcessValueSelector };
    wake?: { when?: ProcessValueSelector; input: ProcessValueSelector;
      dedupe_key?: 'event_identity' | { selector: ProcessValueSelector } | { const: string } };
  };
}
export type ProcessOriginator = { type: 'host' } | { type: 'session'; scope: SessionScope };
export interface ProcessRegistration {
  id: string;
  input: ProcessInput;
  /** Default: derived from the input as lash's ProcessIdentity::from_process_input. */
  identity?: { kind: string; label?: string; definition?: unknown };
  /** Default: the core types; the core types are always added when missing. */
  event_types?: ProcessEventType[];
  provenance: { originator: ProcessOriginator; caused_by?: object };
  /** Required for tool_call and engine inputs, refused for the others. */
  env_ref?: string;
  wake_target?: SessionScope;
}
export type ProcessAwaitOutput =
  | { type: 'success'; value: unknown; control?: unknown }
  | { type: 'failure'; class: string; code: string; message: string; raw?: unknown; control?: unknown }
  | { type: 'cancelled'; message: string; raw?: unknown; control?: unknown };
export interface WaitState {
  kind: { kind: 'signal'; name: string; event_type: string; key: string; ordinal: number };
  since_ms: number;
}
export interface ProcessRecord {
  id: string;
  /** sha256 hex of the normalized registration (sorted-key JSON). */
  registration_hash: string;
  input: ProcessInput;
  identity: { kind: string; label?: string; definition?: unknown };
  event_types: ProcessEventType[];
  provenance: { originator: ProcessOriginator; caused_by?: object };
  env_ref?: string;
  wake_target?: SessionScope;
  created_at_ms: number;
  updated_at_ms: number;
  external_ref?: { backend: string; id: string; metadata?: unknown };
  wait?: WaitState;
  status: { state: 'running' } | { state: 'completed' | 'failed' | 'cancelled'; await_output: ProcessAwaitOutput };
}
export interface ProcessEvent {
  process_id: string;
  sequence: number;
  event_type: string;
  payload: unknown;
  invocation: object;
  semantics: { terminal?: { state: string; await_output: ProcessAwaitOutput }; wake?: { input: string; dedupe_key: string } };
  occurred_at: { secs_since_epoch: number; nanos_since_epoch: number };
}
export interface ProcessWakeDelivery {
  wake_id: string; target_session_id: string; target_scope_id: string; process_id: string; sequence: number;
  event_type: string; event_invocation: object; process_caused_by?: object; dedupe_key: string; input: string; created_at_ms: number;
}
export interface ProcessEventAppendRequest {
  event_type: string;
  payload: unknown;
  /** Same key + same payload: the stored event again; another payload: refused. */
  replay?: { key: string };
  wake_target_scope?: SessionScope;
}
export interface ProcessHandleGrant { session_id: string; process_id: string; descriptor: { kind?: string; label?: string } }
export interface ProcessSessionDeleteReport {
  session_id: string; revoked_handle_count: number; deleted_wake_count: number;
  orphaned_process_ids: string[]; preserved_process_ids: string[];
}
export interface ProcessLease {
  schema_version: 1; process_id: string; owner_id: string; lease_token: string;
  /** Grows with every claim, even across release. */
  fencing_token: number; claimed_at_epoch_ms: number; expires_at_epoch_ms: number;
}
export interface ProcessListFilter { definition?: unknown; status?: 'running' | 'completed' | 'failed' | 'cancelled' | 'any'; waiting?: boolean }
/** Errors: LashError code 'PluginSession' (message `plugin session error: {lash's text}`, field detail), 'InvalidArgument', 'Backend'. */
export interface ProcessRegistry extends Tiered {
  registerProcess(registration: ProcessRegistration): Promise<ProcessRecord>;
  setExternalRef(processId: string, ref: { backend: string; id: string; metadata?: unknown }): Promise<ProcessRecord>;
  grantHandle(scope: SessionScope, processId: string, descriptor?: { kind?: string; label?: string }): Promise<ProcessHandleGrant>;
  revokeHandle(scope: SessionScope, processId: string): Promise<void>;
  transferHandleGrants(from: SessionScope, to: SessionScope, processIds: string[]): Promise<void>;
  listHandleGrants(scope: SessionScope): Promise<[ProcessHandleGrant, ProcessRecord][]>;
  listLiveHandleGrants(scope: SessionScope): Promise<[ProcessHandleGrant, ProcessRecord][]>;
  hasHandleGrant(scope: SessionScope, processId: string): Promise<boolean>;
  handleGrantsForProcess(processId: string): Promise<ProcessHandleGrant[]>;
  deleteSessionProcessState(sessionId: string): Promise<ProcessSessionDeleteReport>;
  appendEvent(processId: string, request: ProcessEventAppendRequest): Promise<{ event: ProcessEvent; wake_delivery?: ProcessWakeDelivery }>;
  eventsAfter(processId: string, afterSequence?: number): Promise<ProcessEvent[]>;
  countEventsThrough(processId: string, eventType: string, upToSequence: number): Promise<number>;
  recentEvents(processId: string, limit: number): Promise<ProcessEvent[]>;
  wakeEventsAfter(processId: string, afterSequence?: number): Promise<ProcessEvent[]>;
  waitEventAfter(processId: string, eventType: string, afterSequence?: number): Promise<ProcessEvent>;
  awaitProcess(processId: string): Promise<ProcessAwaitOutput>;
  completeProcess(processId: string, output: ProcessAwaitOutput): Promise<ProcessRecord>;
  setProcessWait(processId: string, wait: WaitState): Promise<ProcessRecord>;
  clearProcessWait(processId: string): Promise<ProcessRecord>;
  getProcess(processId: string): Promise<ProcessRecord | null>;
  listProcesses(filter?: ProcessListFilter): Promise<ProcessRecord[]>;
  ackWake(processId: string, sequence: number): Promise<void>;
  listNonTerminal(): Promise<ProcessRecord[]>;
  claimProcessLease(processId: string, ownerId: string, leaseTtlMs: number): Promise<ProcessLease>;
  renewProcessLease(lease: ProcessLease, leaseTtlMs: number): Promise<ProcessLease>;
  completeProcessLease(completion: { process_id: string; lease_token: string }): Promise<void>;
}
/** Each write is one readwrite transaction over the proc_* object stores (schema version 3). */
export class IndexedDbProcessRegistry {
  constructor(options?: IndexedDbOptions);
  readonly durabilityTier: 'durable';
}
export interface IndexedDbProcessRegistry extends ProcessRegistry {}
