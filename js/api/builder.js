// The core builders: LashCore.builder(), StandardCore.builder(), RlmCore.builder().
// Options are recorded in JavaScript (argument checks: the first bad argument is
// remembered and build() rejects with it); build() hands the configuration to
// the C core, which applies lash's validation order and peer-coherence rules.
import { CoreInstance } from '../core/driver.js';
import { HostState } from '../core/host-state.js';
import { STATUS_WASM_LOAD_FAILED } from '../core/ops.js';
import { LashError, invalidArgument, statusError } from '../errors.js';
import { installHost } from '../host/index.js';
import { defaultRuntimeStack } from '../plugins.js';
import { PromptLayerEditor, withPromptMethods } from '../prompt.js';
import {
  checkEnum, checkFunction, checkObject, checkPositiveInt, checkProvider, checkString, checkTiered, describe,
} from '../validate.js';
import { SessionBuilder, storeFactoryError } from './session.js';

const INTERNAL = Symbol('lash.internal');

function checkModel(argument, m) {
  // Shape only; the core checks fields and limits exactly (deny unknown, non-zero).
  return checkObject(argument, m);
}

class CoreBuilder {
  #kind;
  #error = null;
  #spec = {};                 // lash SessionSpec: provider_id, model, max_turns, prompt
  #facets = {};               // tiered objects by config key
  #provider = null;
  #protocol = null;
  #tools = [];
  #plugins;
  prompt = new PromptLayerEditor(); // core prompt layer
  #trace = {};
  #termination = null;
  #residency = null;
  #rhc = null;
  #workSource = { kind: 'none' };
  #queuedWorkPoke = null;
  #rlm = {};

  constructor(kind) {
    this.#kind = kind;
    this.#plugins = kind === 'lash' ? [] : defaultRuntimeStack();
  }

  #fail(err) {
    this.#error ??= err;
    return this;
  }
  _fail(err) { return err ? this.#fail(err) : this; }
  #check(err, apply) {
    if (err) return this.#fail(err);
    apply();
    return this;
  }
  #facet(argument, key, value) {
    return this.#check(checkTiered(argument, value), () => { this.#facets[key] = value; });
  }
  provider(p) {
    const err = checkProvider('provider', p);
    return this.#check(err, () => {
      this.#provider = p;
      this.#spec.provider_id = p.kind; // lash: provider() also sets spec.provider_id
    });
  }
  model(spec) { return this.#check(checkModel('model', spec), () => { this.#spec.model = structuredClone(spec); }); }
  maxTurns(n) { return this.#check(checkPositiveInt('maxTurns', n), () => { this.#spec.max_turns = n; }); }
  sessionSpec(spec) {
    // Replaces the whole spec: earlier provider/model/maxTurns are dropped (as in lash).
    return this.#check(checkObject('sessionSpec', spec), () => { this.#spec = structuredClone(spec); });
  }
  storeFactory(f) { return this.#facet('storeFactory', 'store_factory', f); }
  childStoreFactory(f) { return this.#facet('childStoreFactory', 'child_store_factory', f); }
  attachmentStore(s) { return this.#facet('attachmentStore', 'attachment_store', s); }
  processEnvStore(s) { return this.#facet('processEnvStore', 'process_env_store', s); }
  effectHost(h) { return this.#facet('effectHost', 'effect_host', h); }
  triggerStore(s) { return this.#facet('triggerStore', 'trigger_store', s); }
  liveReplayStore(s) { return this.#facet('liveReplayStore', 'live_replay_store', s); }
  tools(provider) {
    const err = checkObject('tools', provider) ??
      (Array.isArray(provider?.tools) ? null : invalidArgument('tools', 'expected a ToolProvider (see defineTools)'));
    return this.#check(err, () => { this.#tools.push(provider); });
  }
  plugin(f) { return this.#check(checkPlugin('plugin', f), () => { this.#plugins.push(f); }); }
  plugins(stack) {
    const err = Array.isArray(stack)
      ? stack.reduce((e, f, i) => e ?? checkPlugin(`plugins[${i}]`, f), null)
      : invalidArgument('plugins', `expected an array of plugin factories, got ${describe(stack)}`);
    return this.#check(err, () => { this.#plugins = [...stack]; }); // replaces, as lash does
  }
  configurePlugins(fn) {
    const err = checkFunction('configurePlugins', fn);
    if (err) return this.#fail(err);
    const stack = [...this.#plugins];
    try {
      fn(stack);
    } catch (e) {
      return this.#fail(invalidArgument('configurePlugins', `callback threw: ${e?.message ?? e}`));
    }
    return this.plugins(stack);
  }
  traceSink(sink) {
    const ok = typeof sink === 'function' || typeof sink?.append === 'function';
    return this.#check(ok ? null : invalidArgument('traceSink', 'expected a function or an object with append(record)'),
      () => { this.#trace.sink = sink; });
  }
  traceLevel(level) { return this.#check(checkEnum('traceLevel', level, ['standard', 'extended']), () => { this.#trace.level = level; }); }
  traceContext(ctx) { return this.#check(checkObject('traceContext', ctx), () => { this.#trace.context = structuredClone(ctx); }); }
  termination(policy) {
    const err = checkObject('termination', policy) ??
      (typeof policy.treat_missing_done_as_failure === 'boolean' ? null
        : invalidArgument('termination', 'expected { treat_missing_done_as_failure: boolean }'));
    return this.#check(err, () => { this.#termination = { treat_missing_done_as_failure: policy.treat_missing_done_as_failure }; });
  }
  residency(r) { return this.#check(checkEnum('residency', r, ['keep_all', 'active_path_only']), () => { this.#residency = r; }); }
  processRegistry(r) {
    // shares one slot with processWorkDriver: last write wins
    return this.#check(checkTiered('processRegistry', r), () => { this.#workSource = { kind: 'inline', registry: r }; });
  }
  processWorkDriver(d) {
    const err = checkObject('processWorkDriver', d) ?? checkTiered('processWorkDriver.processRegistry', d.processRegistry) ??
      (d.poke != null ? checkFunction('processWorkDriver.poke', d.poke) : null);
    return this.#check(err, () => { this.#workSource = { kind: 'external', registry: d.processRegistry, driver: d }; });
  }
  queuedWorkPoke(fn) { return this.#check(checkFunction('queuedWorkPoke', fn), () => { this.#queuedWorkPoke = fn; }); }
  runtimeHostConfig(cfg) {
    const err = checkObject('runtimeHostConfig', cfg) ??
      checkTiered('runtimeHostConfig.effectHost', cfg.effectHost) ??
      checkTiered('runtimeHostConfig.attachmentStore', cfg.attachmentStore) ??
      checkTiered('runtimeHostConfig.processEnvStore', cfg.processEnvStore);
    return this.#check(err, () => { this.#rhc = { ...cfg }; });
  }

  // LashCore.builder() only: the protocol plugin.
  protocolPlugin(p) {
    const err = checkObject('protocolPlugin', p) ?? checkEnum('protocolPlugin', p?.protocol, ['standard', 'rlm']);
    return this.#check(err, () => { this.#protocol = p; });
  }

  // RlmCore.builder() options.
  lashlangArtifactStore(s) { return this.#facet('lashlangArtifactStore', 'lashlang_artifact_store', s); }
  lashlangArtifactStores(s) { return this.lashlangArtifactStore(s); }
  rlmProtocolConfig(cfg) { return this.#check(checkObject('rlmProtocolConfig', cfg), () => { this.#rlm.config = structuredClone(cfg); }); }
  projectionResolver(r) {
    const ok = typeof r === 'function' || typeof r?.resolve === 'function';
    return this.#check(ok ? null : invalidArgument('projectionResolver', 'expected a function or an object with resolve(ref)'),
      () => { this.#rlm.projectionResolver = r; });
  }
  lashlangExecutionSink(sink) {
    const ok = typeof sink === 'function' || typeof sink?.append === 'function';
    return this.#check(ok ? null : invalidArgument('lashlangExecutionSink', 'expected a function or an object with append(record)'),
      () => { this.#rlm.executionSink = sink; });
  }

  // The JSON the core validates (see src/core/builder.c).
  #config() {
    const tier = (o) => (o ? { tier: o.durabilityTier } : null);
    const cfg = {
      kind: this.#kind,
      protocol: this.#protocol?.protocol ?? null,
      provider: this.#provider ? { kind: this.#provider.kind } : null,
      session_spec: this.#spec,
      runtime_host_config: this.#rhc && {
        effect_host: tier(this.#rhc.effectHost),
        attachment_store: tier(this.#rhc.attachmentStore),
        process_env_store: tier(this.#rhc.processEnvStore),
      },
      process_work_source: { kind: this.#workSource.kind, registry: tier(this.#workSource.registry) },
      residency: this.#residency,
      trace_level: this.#trace.level ?? null,
      // Only with a sink: the core then emits TraceRecords (docs/tracing.md); without
      // one it builds none. (The driver's clock is already epoch time: no offset.)
      trace: this.#trace.sink ? { context: this.#trace.context ?? null } : null,
      termination: this.#termination,
      prompt: this.prompt.layer,
      seed: Math.floor(Math.random() * 2 ** 32),
      plugins: this.#plugins.map((p) => ({ id: p.id, config: p.config ?? null })),
      tools: this.#tools.flatMap((t) => t.tools.map((d) => ({
        name: d.name, description: d.description, input_schema: d.inputSchema,
        output_schema: d.outputSchema, scheduling: d.scheduling,
      }))),
    };
    for (const [key, value] of Object.entries(this.#facets)) cfg[key] = tier(value);
    return cfg;
  }

  async build() {
    if (this.#error) throw this.#error;
    let instance;
    try {
      instance = await CoreInstance.create();
    } catch (e) {
      throw e instanceof LashError ? e : statusError(STATUS_WASM_LOAD_FAILED, { detail: `${e?.message ?? e}` });
    }
    if (instance.callJson('lash_core_build', this.#config()) !== 0) {
      const err = instance.lastError();
      instance.close();
      throw err;
    }
    const info = JSON.parse(instance.readResult('lash_core_info'));
    const live = {
      provider: this.#provider, facets: { ...this.#facets }, tools: [...this.#tools], plugins: [...this.#plugins],
      trace: { ...this.#trace }, runtimeHostConfig: this.#rhc, workSource: this.#workSource,
      queuedWorkPoke: this.#queuedWorkPoke, rlm: { ...this.#rlm }, residency: this.#residency ?? 'keep_all',
    };
    const state = new HostState(instance, live);
    installHost(state);
    const Core = this.#kind === 'standard' ? StandardCore : this.#kind === 'rlm' ? RlmCore : LashCore;
    return new Core(INTERNAL, { state, info });
  }
}

withPromptMethods(CoreBuilder, (b) => b.prompt);

function checkPlugin(argument, f) {
  return checkObject(argument, f) ?? checkString(`${argument}.id`, f?.id, { nonEmpty: true });
}

export class LashCore {
  #state; // the core's HostState: its wasm instance, wiring, sessions and running turns
  #instance;
  #info;

  constructor(token, { state, info } = {}) {
    if (token !== INTERNAL) throw new TypeError('use LashCore.builder() / StandardCore.builder() / RlmCore.builder()');
    this.#state = state;
    this.#instance = state.instance;
    this.#info = info;
  }

  static builder() { return new CoreBuilder('lash'); }

  /** The resolved base SessionPolicy (lash JSON). */
  get policy() { return structuredClone(this.#info.policy); }
  /** How background processes are driven: 'none' | 'lazy' (inline runner, started on first open) | 'external'. */
  get processWorkRunnerSetup() { return this.#info.process_work_runner; }
  get closed() { return this.#instance.poisoned !== null; }

  /** lash delete_session: forget the session and delete its store; SessionDeleteReport JSON. */
  async deleteSession(id) {
    const instance = this.#instance;
    if (instance.poisoned) throw instance.poisoned;
    const factory = this.#state.live.facets.store_factory; // the root factory only (children can't delete)
    const req = { session_id: id, has_root_factory: !!factory };
    if (instance.callJson('lash_session_delete', req) !== 0) throw instance.lastError();
    this.#state.sessions.delete(id);
    try {
      await factory.deleteSession(id);
    } catch (e) {
      throw storeFactoryError(id, e);
    }
    return { session_id: id, process: null };
  }

  /** The wasm instance's memory: bytes allocated by the core, and the linear memory size. */
  memoryStats() {
    const x = this.#instance.exports;
    return { heapBytesInUse: x.lash_heap_in_use(), memoryBytes: x.memory.buffer.byteLength };
  }

  /** Audit: does the core's linear memory hold these bytes anywhere (e.g. an
   * API key, which must stay in JavaScript)? Scans all of memory, free space included. */
  memoryContains(needle) {
    const n = typeof needle === 'string' ? new TextEncoder().encode(needle) : needle;
    if (!(n instanceof Uint8Array) || !n.length) throw new TypeError('memoryContains: expected a non-empty string or Uint8Array');
    const mem = new Uint8Array(this.#instance.exports.memory.buffer);
    for (let i = mem.indexOf(n[0]); i !== -1 && i <= mem.length - n.length; i = mem.indexOf(n[0], i + 1)) {
      let k = 1;
      while (k < n.length && mem[i + k] === n[k]) k++;
      if (k === n.length) return true;
    }
    return false;
  }

  /** A SessionBuilder for `id` (lash: core.session(id)). */
  session(id) { return new SessionBuilder(this.#state, this.#info, id); }

  close() { this.#instance.close(); }
}

export class StandardCore extends LashCore {
  static builder() { return new CoreBuilder('standard'); }
}

export class RlmCore extends LashCore {
  static builder() { return new CoreBuilder('rlm'); }
}
