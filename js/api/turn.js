// TurnBuilder and the run of one turn: the core runs it (src/turn/); this side
// starts it, relays cancellation and settles when the core reports turn.done
// (js/host/report.js).
import { STATUS_RUNTIME } from '../core/ops.js';
import { invalidArgument, statusError } from '../errors.js';
import { PromptLayerEditor, withPromptMethods } from '../prompt.js';
import { checkObject, checkProvider, checkString, describe } from '../validate.js';

// Start a turn in the core; resolves to { result, activities } once it is done.
// session: the LashSession; runs: its set of running turns (for cancelRunningTurns).
export function startTurn(state, session, sessionProvider, runs, request, { provider, sink, signal, blobs }) {
  return new Promise((resolve, reject) => {
    const { instance } = state;
    if (instance.poisoned) return reject(instance.poisoned);
    const activeProvider = provider ?? sessionProvider;
    if (!activeProvider) return reject(statusError(STATUS_RUNTIME, { detail: 'llm_provider: no provider is configured for this session' }, { runtimeCode: 'llm_provider' }));
    const req = { session_id: session.sessionId, ...request, provider_kind: activeProvider.kind, turn_provider: !!provider,
      cancelled: !!signal?.aborted };
    if (typeof activeProvider.send === 'function' && activeProvider.wireConfig) req.provider_http = activeProvider.wireConfig;
    const activities = [];
    let no = 0;
    let sinkChain = Promise.resolve(); // lash awaits each emit: keep order, settle before the result
    const run = {
      session, provider: activeProvider, blobs, turnId: request.turn_id,
      activity: (a) => {
        activities.push(a);
        if (sink) {
          sinkChain = sinkChain.then(() => sink(a)).catch(() => {}); // a sink never aborts the turn
        }
      },
      done: (result) => { cleanup(); sinkChain.then(() => resolve({ result: wrapResult(result), activities })); },
      fail: (err) => { cleanup(); reject(err); },
      cancel: () => {
        if (!no || instance.poisoned) return false;
        const hit = instance.call('lash_turn_cancel', no) === 1;
        instance.flush();
        return hit;
      },
    };
    const onAbort = () => run.cancel();
    const cleanup = () => { runs.delete(run); signal?.removeEventListener('abort', onAbort); };
    no = instance.callJson('lash_turn_start', req);
    if (no <= 0) return reject(instance.lastError());
    state.turns.set(no, run);
    runs.add(run);
    signal?.addEventListener('abort', onAbort, { once: true });
    instance.flush();
  });
}

function wrapResult(result) {
  return Object.defineProperties(result, {
    assistantMessage: { value() { return result.outcome?.finished?.assistant_message?.text ?? null; } },
    isSuccess: { value() { return !!(result.outcome?.finished || result.outcome?.agent_frame_switch); } },
    submittedValue: { value() { return result.outcome?.finished?.submitted_value?.value; } },
    toolValue: { value() { return result.outcome?.finished?.tool_value; } },
  });
}

function normalizeInput(input) {
  if (typeof input === 'string') return [{ items: [{ type: 'text', text: input }] }, null];
  const err = checkObject('input', input);
  if (err) throw err;
  if (!Array.isArray(input.items)) throw invalidArgument('input', 'expected { items: [...] }');
  const blobs = input.image_blobs ?? {};
  if (checkObject('input.image_blobs', blobs)) throw invalidArgument('input.image_blobs', `expected an object, got ${describe(blobs)}`);
  const turnInput = { items: input.items };
  if (input.trace_turn_id != null) turnInput.trace_turn_id = input.trace_turn_id;
  const bytes = {};
  for (const [id, b] of Object.entries(blobs)) bytes[id] = b instanceof Uint8Array ? b : Uint8Array.from(b);
  return [turnInput, bytes];
}

export class TurnBuilder {
  #session; #input; #error = null;
  #signal = null; #turnId = null; #provider = null; #model = null;
  prompt = new PromptLayerEditor();

  constructor(session, input) {
    this.#session = session;
    try {
      this.#input = normalizeInput(input);
    } catch (e) {
      this.#error = e;
    }
  }

  _fail(err) { this.#error ??= err; return this; }

  signal(abortSignal) {
    const ok = abortSignal && typeof abortSignal.aborted === 'boolean' && typeof abortSignal.addEventListener === 'function';
    if (ok) this.#signal = abortSignal;
    return this._fail(ok ? null : invalidArgument('signal', 'expected an AbortSignal'));
  }
  turnId(id) {
    const err = checkString('turnId', id, { nonEmpty: true });
    if (!err) this.#turnId = id;
    return this._fail(err);
  }
  provider(p) {
    const err = checkProvider('provider', p);
    if (!err) this.#provider = p;
    return this._fail(err);
  }
  model(spec) {
    const err = checkObject('model', spec);
    if (!err) this.#model = structuredClone(spec);
    return this._fail(err);
  }

  #start(sink) {
    if (this.#error) return Promise.reject(this.#error);
    const [input, blobs] = this.#input;
    const request = { input, blob_ids: Object.keys(blobs ?? {}) };
    const turnId = this.#turnId ?? input.trace_turn_id;
    if (turnId) request.turn_id = turnId;
    if (this.#model) request.model = this.#model;
    if (this.prompt.layer) request.prompt = this.prompt.layer;
    return this.#session._run(request, { provider: this.#provider, sink, signal: this.#signal, blobs });
  }

  /** Run the turn: { result, activities }. */
  run() { return this.#start(null); }

  /** Run, handing every activity to sink (a function or { emit }); resolves to the TurnResult. */
  async streamTo(sink) {
    const fn = typeof sink === 'function' ? sink : typeof sink?.emit === 'function' ? (a) => sink.emit(a) : null;
    if (!fn) throw invalidArgument('sink', 'expected a function or an object with emit(activity)');
    return (await this.#start(fn)).result;
  }

  /** An async iterable of activities; `.result` resolves to the TurnResult. */
  stream() {
    const queue = [];
    let wake = null, finished = false, failure = null;
    const push = (a) => { queue.push(a); wake?.(); };
    const started = this.#start(push);
    const result = started.then((o) => o.result);
    started.then(() => { finished = true; wake?.(); }, (e) => { failure = e; finished = true; wake?.(); });
    result.catch(() => {}); // observed through .result or the iterator
    return {
      result,
      async *[Symbol.asyncIterator]() {
        for (;;) {
          if (queue.length) { yield queue.shift(); continue; }
          if (finished) { if (failure) throw failure; return; }
          await new Promise((r) => { wake = r; });
          wake = null;
        }
      },
    };
  }
}
withPromptMethods(TurnBuilder, (b) => b.prompt);
