// Tracing (LASH-SPEC §8): standard-level TraceRecords for standard turns, handed to
// the builder's traceSink. Expected shapes and values come from lash at the pinned
// commit (22bad569f):
//   crates/lash-trace/src/lib.rs        TraceRecord (:98-126, schema 2 at :21), TraceContext (:37-69),
//                                       TraceEvent (:128-206), TraceContentBlock (:284-314), TraceError (:589-599)
//   crates/lash-core/src/trace.rs       emit_trace / merge_context (:15-85), trace_llm_request (:122-147),
//                                       trace_tool_call_output (:149-168), blocks (:182-230), output parts (:285-317)
//   crates/lash-core/src/runtime/turn_loop.rs          turn_started (:817-839), turn_completed (:341-373),
//                                                      status/done_reason (:3-42)
//   crates/lash-core/src/runtime/turn_driver/trace.rs  context + llm_call_id (:4-19), tool records (:21-62)
//   crates/lash-core/src/runtime/turn_driver/streaming.rs  llm_call_started/completed/failed (:199-209, :374-399),
//                                                      the cancel branch (:246-255)
//   crates/lash-core/src/runtime/turn_driver/handlers.rs   tool_call_started/completed (:126-157)
//   crates/lash-core/src/runtime/turn_driver/tool_catalog.rs prompt_built (:133-152)
//   crates/lash-core/src/runtime/effect/outcome.rs     llm_call_completed/failed bodies (:40-120)
//   crates/lash-core/src/runtime/assembly.rs           stream_summary (:77-153)
import * as lash from '../js/node.js';
import { startProviderServer } from './provider-server.js';

const {
  StandardCore, ModelSpec, ScriptedProvider, InMemorySessionStoreFactory, InMemoryAttachmentStore,
  InMemoryProcessExecutionEnvStore, InlineEffectHost, defineTools, toolFinish,
} = lash;

const opened = [];
afterEach(async () => {
  while (opened.length) {
    try {
      await opened.pop().close();
    } catch {
      /* ignore */
    }
  }
});

const ADD = {
  name: 'add',
  description: 'Add two numbers',
  inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
  execute: async ({ a, b }) => a + b,
};
const FINISH = { name: 'finish_now', description: 'End the turn', inputSchema: { type: 'object' }, execute: async () => toolFinish({ ok: true }) };

async function makeCore({ provider, tools = [ADD], sink, context, level, maxTurns, model = 'm' } = {}) {
  let b = StandardCore.builder()
    .provider(provider)
    .model(ModelSpec.fromTokenLimits(model, null, 128000))
    .effectHost(new InlineEffectHost())
    .attachmentStore(new InMemoryAttachmentStore())
    .processEnvStore(new InMemoryProcessExecutionEnvStore())
    .storeFactory(new InMemorySessionStoreFactory())
    .tools(defineTools(tools));
  if (sink) b = b.traceSink(sink);
  if (context) b = b.traceContext(context);
  if (level) b = b.traceLevel(level);
  if (maxTurns) b = b.maxTurns(maxTurns);
  const core = await b.build();
  opened.push(core);
  return core;
}

async function traced(responses, opts = {}) {
  const records = [];
  const provider = new ScriptedProvider(responses);
  const core = await makeCore({ provider, sink: (r) => records.push(r), ...opts });
  const session = await core.session('s1').open();
  opened.push(session);
  return { records, provider, core, session };
}

const typesOf = (records) => records.map((r) => r.type);
const ofType = (records, type) => records.filter((r) => r.type === type);
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
// chrono DateTime<Utc>::to_rfc3339(): offset "+00:00" (lib.rs:121)
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+00:00$/;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// lash-core/src/trace.rs:170-230 applied to a provider's LlmRequest JSON (what the
// ScriptedProvider saw), for comparison with the record's TraceLlmRequest.
function expectedMessages(request) {
  return request.messages.map((m) => ({
    role: m.role.toLowerCase(),
    blocks: m.blocks.map((b) => {
      if (b.Text) return { kind: 'text', text: b.Text.text, ...(b.Text.cache_breakpoint ? { cache_breakpoint: true } : {}) };
      if (b.ToolCall) {
        let input;
        try { input = JSON.parse(b.ToolCall.input_json); } catch { input = b.ToolCall.input_json; }
        return { kind: 'tool_call', call_id: b.ToolCall.call_id, tool_name: b.ToolCall.tool_name, input_json: input,
          item_id: b.ToolCall.replay?.item_id ?? null, has_signature: b.ToolCall.replay?.opaque != null };
      }
      if (b.ToolResult) return { kind: 'tool_result', call_id: b.ToolResult.call_id, tool_name: b.ToolResult.tool_name ?? null, content: b.ToolResult.content };
      if (b.Image) return { kind: 'image', attachment_idx: b.Image.attachment_idx };
      throw new Error(`unexpected block ${JSON.stringify(b)}`);
    }),
  }));
}
const materialize = (req) => JSON.parse(JSON.stringify(req));

// ---------------------------------------------------------------------------

describe('record order', () => {
  test('plain turn: turn_started, prompt_built, llm_call_started, llm_call_completed, turn_completed', async () => {
    const { records, session } = await traced([{ text: 'hi there', usage: { input_tokens: 3, output_tokens: 2 } }]);
    const { result } = await session.turn('hello').run();
    expect(result.assistantMessage()).toBe('hi there');
    // turn_loop.rs:835, tool_catalog.rs:141, streaming.rs:202/378, turn_loop.rs:341
    expect(typesOf(records)).toEqual(['turn_started', 'prompt_built', 'llm_call_started', 'llm_call_completed', 'turn_completed']);
  });

  test('tool turn: tool records sit between the two model calls', async () => {
    const { records, session } = await traced([
      { toolCalls: [{ id: 'c1', name: 'add', arguments: { a: 1, b: 2 } }] },
      { text: 'three' },
    ]);
    await session.turn('add them').run();
    // handlers.rs:126-157: every started record before the tools run, completed after they all finished
    expect(typesOf(records)).toEqual([
      'turn_started', 'prompt_built',
      'llm_call_started', 'llm_call_completed',
      'tool_call_started', 'tool_call_completed',
      'llm_call_started', 'llm_call_completed',
      'turn_completed',
    ]);
  });

  test('two parallel calls: both started records precede both completed records', async () => {
    const { records, session } = await traced([
      { toolCalls: [{ id: 'c1', name: 'add', arguments: { a: 1, b: 2 } }, { id: 'c2', name: 'add', arguments: { a: 3, b: 4 } }] },
      { text: 'done' },
    ]);
    await session.turn('go').run();
    const tools = records.filter((r) => r.type.startsWith('tool_call'));
    expect(tools.map((r) => [r.type, r.call_id])).toEqual([
      ['tool_call_started', 'c1'], ['tool_call_started', 'c2'],
      ['tool_call_completed', 'c1'], ['tool_call_completed', 'c2'],
    ]);
  });
});

describe('envelope and context', () => {
  test('schema_version 2, a fresh uuid id, an RFC 3339 UTC timestamp, type', async () => {
    const { records, session } = await traced([{ text: 'ok' }]);
    const before = Date.now();
    await session.turn('hello').run();
    const after = Date.now();
    const ids = new Set();
    for (const r of records) {
      expect(r.schema_version).toBe(2); // lib.rs:21
      expect(r.id).toMatch(UUID_V4); // uuid::Uuid::new_v4 (lib.rs:120)
      ids.add(r.id);
      expect(r.timestamp).toMatch(RFC3339_UTC);
      const t = Date.parse(r.timestamp);
      expect(t).toBeGreaterThanOrEqual(before - 1000);
      expect(t).toBeLessThanOrEqual(after + 1000);
      expect(typeof r.type).toBe('string');
      expect(typeof r.context).toBe('object');
    }
    expect(ids.size).toBe(records.length);
  });

  test('per-event contexts: turn records carry no protocol_iteration; model calls carry llm_call_id', async () => {
    const { records, session } = await traced([
      { toolCalls: [{ id: 'c1', name: 'add', arguments: { a: 1, b: 2 } }] },
      { text: 'three' },
      { text: 'second turn' },
    ]);
    await session.turn('first').turnId('turn-A').run();
    await session.turn('second').turnId('turn-B').run();
    const ctx = (r) => r.context;
    const [started, prompt, llm0s, llm0c, toolS, toolC, llm1s, llm1c, completed, ...second] = records;
    // turn_loop.rs:831-834 (session, turn_index = state.turn_index + 1, turn id)
    expect(ctx(started)).toEqual({ session_id: 's1', turn_id: 'turn-A', turn_index: 1 });
    expect(started.metadata).toEqual({ input_item_count: 1 });
    // tool_catalog.rs:140: the driver context at protocol_run_offset 0
    expect(ctx(prompt)).toEqual({ session_id: 's1', turn_id: 'turn-A', turn_index: 1, protocol_iteration: 0 });
    // streaming.rs:205-206 + trace.rs:12-19: llm_call_id "{session}:{turn_index}:{protocol_iteration}:{ordinal}"
    expect(ctx(llm0s)).toEqual({ session_id: 's1', turn_id: 'turn-A', turn_index: 1, protocol_iteration: 0, llm_call_id: 's1:1:0:0' });
    expect(ctx(llm0c)).toEqual(ctx(llm0s));
    // turn_driver/trace.rs:4-10
    expect(ctx(toolS)).toEqual({ session_id: 's1', turn_id: 'turn-A', turn_index: 1, protocol_iteration: 0 });
    expect(ctx(toolC)).toEqual(ctx(toolS));
    expect(ctx(llm1s)).toEqual({ session_id: 's1', turn_id: 'turn-A', turn_index: 1, protocol_iteration: 1, llm_call_id: 's1:1:1:1' });
    expect(ctx(llm1c)).toEqual(ctx(llm1s));
    // turn_loop.rs:363-366: the returned state's turn index
    expect(ctx(completed)).toEqual({ session_id: 's1', turn_id: 'turn-A', turn_index: 1 });
    // the next turn: index 2, the ordinal starts again (turn_loop.rs:1223)
    expect(typesOf(second)).toEqual(['turn_started', 'prompt_built', 'llm_call_started', 'llm_call_completed', 'turn_completed']);
    expect(ctx(second[0])).toEqual({ session_id: 's1', turn_id: 'turn-B', turn_index: 2 });
    expect(ctx(second[2]).llm_call_id).toBe('s1:2:0:0');
    expect(ctx(second[4]).turn_index).toBe(2);
  });

  test('the base traceContext is overlaid field by field; metadata extends (trace.rs:41-85)', async () => {
    const { records, session } = await traced([{ text: 'ok' }], {
      context: {
        run_id: 'run-7', experiment_id: 'exp-1', split: 'dev',
        session_id: 'base-session', turn_index: 99, protocol_iteration: 42,
        metadata: { zeta: 1, alpha: { nested: true } },
        not_a_context_field: 'dropped', // serde ignores unknown fields of TraceContext
      },
    });
    await session.turn('hello').turnId('t-1').run();
    const [started, , llmStarted] = records;
    expect(started.context).toEqual({
      run_id: 'run-7', experiment_id: 'exp-1', split: 'dev',
      session_id: 's1', turn_id: 't-1', turn_index: 1,
      protocol_iteration: 42, // the overlay has none: the base value stays
      metadata: { alpha: { nested: true }, zeta: 1 },
    });
    expect(llmStarted.context).toMatchObject({ run_id: 'run-7', session_id: 's1', turn_index: 1, protocol_iteration: 0, llm_call_id: 's1:1:0:0' });
    // metadata is a BTreeMap: keys sorted
    expect(Object.keys(started.context.metadata)).toEqual(['alpha', 'zeta']);
  });

  test('a mistyped traceContext field fails the build (TraceContext is typed)', async () => {
    await expect(makeCore({ provider: new ScriptedProvider([]), sink: () => {}, context: { run_id: 5 } }))
      .rejects.toMatchObject({ code: 'InvalidArgument', argument: 'traceContext' });
  });
});

describe('event fields', () => {
  test('prompt_built: sha256 and char count of the system prompt, one rendered_prompt component', async () => {
    const { records, provider, session } = await traced([{ text: 'ok' }]);
    await session.turn('hello').run();
    const prompt = ofType(records, 'prompt_built')[0];
    const req = materialize(provider.requests[0]);
    const system = req.messages.find((m) => m.role === 'System').blocks.map((b) => b.Text.text).join('');
    const { createHash } = await import('node:crypto');
    const hash = createHash('sha256').update(system).digest('hex');
    expect(prompt.prompt_hash).toBe(hash);
    expect(prompt.prompt_chars).toBe([...system].length);
    expect(prompt.components).toEqual([{ id: 'system_prompt', kind: 'rendered_prompt', hash, chars: [...system].length }]);
  });

  test('llm_call_started carries the neutral request (TraceLlmRequest)', async () => {
    const { records, provider, session } = await traced([
      { toolCalls: [{ id: 'c1', name: 'add', arguments: { a: 1, b: 2 } }] },
      { text: 'three' },
    ]);
    await session.turn('add them').run();
    const started = ofType(records, 'llm_call_started');
    expect(started).toHaveLength(2);
    for (let i = 0; i < 2; i++) {
      const req = materialize(provider.requests[i]);
      const tr = started[i].request;
      expect(tr.model).toBe('m');
      expect('model_variant' in tr).toBe(false); // None: skipped
      expect('attachments' in tr).toBe(false); // empty: skipped
      expect('output_spec' in tr).toBe(false);
      expect(tr.tool_choice).toBe('auto');
      expect(tr.stream).toBe(false); // the machine's request has no stream sender (streaming.rs:199-220)
      expect(tr.messages).toEqual(expectedMessages(req));
      expect(tr.tools).toEqual(req.tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.input_schema, output_schema: t.output_schema })));
    }
    expect(started[0].request.tools.map((t) => t.name)).toEqual(['batch', 'add']);
    // the second request: the assistant's call and its result
    const msgs = started[1].request.messages;
    expect(msgs.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(msgs[2].blocks).toEqual([{ kind: 'tool_call', call_id: 'c1', tool_name: 'add', input_json: { a: 1, b: 2 }, item_id: null, has_signature: false }]);
    expect(msgs[3].blocks[0]).toMatchObject({ kind: 'tool_result', call_id: 'c1', tool_name: 'add' });
  });

  test('a later turn\'s request carries the whole history', async () => {
    const { records, provider, session } = await traced([{ text: 'one' }, { text: 'two' }]);
    await session.turn('first').run();
    await session.turn('second').run();
    const second = ofType(records, 'llm_call_started')[1].request;
    expect(second.messages).toEqual(expectedMessages(materialize(provider.requests[1])));
    expect(second.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
  });

  test('llm_call_completed: response text/terminal_reason/parts, usage equal to the usage activity', async () => {
    const usage0 = { input_tokens: 11, output_tokens: 5, cached_input_tokens: 2, reasoning_tokens: 1 };
    const usage1 = { input_tokens: 20, output_tokens: 7, cached_input_tokens: 0, reasoning_tokens: 0 };
    const { records, session } = await traced([
      { toolCalls: [{ id: 'c1', name: 'add', arguments: { a: 1, b: 2 } }], usage: usage0 },
      { text: 'three', reasoning: 'thinking', usage: usage1 },
    ]);
    const { activities } = await session.turn('go').run();
    const done = ofType(records, 'llm_call_completed');
    const usageActivities = activities.filter((a) => a.type === 'usage');
    expect(done.map((r) => r.usage)).toEqual(usageActivities.map((a) => a.usage));
    expect(done.map((r) => r.usage)).toEqual([usage0, usage1]);
    // outcome.rs:53-58 + trace.rs:285-317
    expect(done[0].response).toMatchObject({
      text: '',
      terminal_reason: 'tool_use',
      parts: [{ type: 'tool_call', call_id: 'c1', tool_name: 'add', input_json: '{"a":1,"b":2}', id: null, has_opaque: false }],
    });
    expect(done[1].response).toMatchObject({
      text: 'three',
      terminal_reason: 'stop',
      parts: [
        { type: 'reasoning', id: null, summary: null, text: 'thinking', has_encrypted: false, redacted: false },
        { type: 'text', text: 'three' },
      ],
    });
    for (const r of done) {
      expect(Number.isInteger(r.response.duration_ms)).toBe(true);
      expect(r.response.duration_ms).toBeGreaterThanOrEqual(0);
      expect('provider_usage' in r).toBe(false); // None: skipped
      // nothing streamed: the summary of an empty stream (assembly.rs:127-152)
      expect(r.stream_summary).toEqual({
        first_visible_token_latency_ms: null, stream_duration_ms: null, text_delta_count: 0,
        visible_chunk_count: 0, avg_visible_chunk_chars: null, max_visible_chunk_chars: null,
      });
    }
  });

  test('tool_call_completed: output {outcome, control?} and the record\'s duration_ms', async () => {
    const { records, session } = await traced(
      [
        { toolCalls: [{ id: 'c1', name: 'add', arguments: { a: 1, b: 2 } }, { id: 'c2', name: 'nope', arguments: {} }] },
        { toolCalls: [{ id: 'c3', name: 'finish_now', arguments: {} }] },
      ],
      { tools: [ADD, FINISH] },
    );
    const { result, activities } = await session.turn('go').run();
    const started = ofType(records, 'tool_call_started');
    expect(started.map(({ call_id, name, args }) => ({ call_id, name, args }))).toEqual([
      { call_id: 'c1', name: 'add', args: { a: 1, b: 2 } },
      { call_id: 'c2', name: 'nope', args: {} },
      { call_id: 'c3', name: 'finish_now', args: {} },
    ]);
    const completed = ofType(records, 'tool_call_completed');
    expect(completed.map((r) => r.call_id)).toEqual(['c1', 'c2', 'c3']);
    // trace.rs:149-168: the ToolCallOutput's outcome as is; control only when present
    const activityOf = (id) => activities.find((a) => a.type === 'tool_call_completed' && a.call_id === id);
    for (const r of completed) {
      const record = result.tool_calls.find((t) => t.call_id === r.call_id);
      expect(r.output).toEqual(record.output);
      expect(r.output).toEqual(activityOf(r.call_id).output);
      expect(r.duration_ms).toBe(record.duration_ms); // ToolCallRecord.duration_ms (handlers.rs:148-154)
      expect(r.args).toEqual(record.args);
    }
    expect(completed[0].output).toEqual({ outcome: { status: 'success', payload: 3 } });
    expect('control' in completed[0].output).toBe(false);
    expect(completed[1].output.outcome.status).toBe('failure');
    expect(completed[2].output.control).toEqual({ type: 'finish', value: { ok: true } });
    // turn_loop.rs:17: a tool value finishes the turn
    expect(ofType(records, 'turn_completed')[0]).toMatchObject({ status: 'completed', done_reason: 'tool_value' });
  });
});

describe('turn_completed status and done_reason (turn_loop.rs:3-42)', () => {
  test('finished with an assistant message: completed / assistant_message', async () => {
    const { records, session } = await traced([{ text: 'ok' }]);
    await session.turn('hello').run();
    const done = ofType(records, 'turn_completed');
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ status: 'completed', done_reason: 'assistant_message' });
    expect('agent_frame_switch' in done[0]).toBe(false);
  });

  test('provider error: llm_call_failed, then failed / provider_error', async () => {
    const { records, session } = await traced([{ error: { message: 'upstream exploded' } }]);
    const { result } = await session.turn('hello').run();
    expect(result.outcome).toEqual({ stopped: 'provider_error' });
    expect(typesOf(records)).toEqual(['turn_started', 'prompt_built', 'llm_call_started', 'llm_call_failed', 'turn_completed']);
    const failed = ofType(records, 'llm_call_failed')[0];
    // outcome.rs:98-120: the transport error's message (no "LLM error:" prefix), retryable, terminal_reason code
    expect(failed.error).toEqual({ message: 'upstream exploded', retryable: false, terminal_reason: 'provider_error' });
    expect(failed.context.llm_call_id).toBe('s1:1:0:0');
    expect(failed.stream_summary).toMatchObject({ text_delta_count: 0 });
    expect(ofType(records, 'turn_completed')[0]).toMatchObject({ status: 'failed', done_reason: 'provider_error' });
  });

  test('cancelled during the model call: llm_call_failed "cancelled", then failed / cancelled', async () => {
    const { records, session } = await traced([{ text: 'late', delayMs: 5000 }]);
    const controller = new AbortController();
    const running = session.turn('hello').signal(controller.signal).run();
    while (!records.some((r) => r.type === 'llm_call_started')) await sleep(5);
    controller.abort();
    const { result } = await running;
    expect(result.outcome).toEqual({ stopped: 'cancelled' });
    // streaming.rs:246-255
    const failed = ofType(records, 'llm_call_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0].error).toEqual({ message: 'cancelled', retryable: false, terminal_reason: 'cancelled', code: 'cancelled' });
    expect(ofType(records, 'llm_call_completed')).toHaveLength(0);
    expect(ofType(records, 'turn_completed')[0]).toMatchObject({ status: 'failed', done_reason: 'cancelled' });
    expect(ofType(records, 'turn_completed')[0].context.turn_index).toBe(1); // a cancelled turn still commits
  });

  test('turn limit: failed / max_turns', async () => {
    const { records, session } = await traced([{ toolCalls: [{ id: 'c1', name: 'add', arguments: { a: 1, b: 2 } }] }], { maxTurns: 1 });
    const { result } = await session.turn('go').run();
    expect(result.outcome).toEqual({ stopped: 'max_turns' });
    expect(ofType(records, 'turn_completed')[0]).toMatchObject({ status: 'failed', done_reason: 'max_turns' });
  });
});

describe('sinks', () => {
  test('an object sink receives records through append(record)', async () => {
    const records = [];
    const core = await makeCore({ provider: new ScriptedProvider([{ text: 'ok' }]), sink: { append: (r) => records.push(r) } });
    const session = await core.session('s1').open();
    opened.push(session);
    await session.turn('hello').run();
    expect(typesOf(records)).toContain('turn_completed');
  });

  test('records reach the sink before the turn resolves', async () => {
    const { records, session } = await traced([{ text: 'ok' }]);
    await session.turn('hello').run();
    expect(records[records.length - 1].type).toBe('turn_completed');
  });

  test('a sink that throws, or rejects, never fails the turn (append failures are only logged)', async () => {
    let calls = 0;
    const throwing = await makeCore({ provider: new ScriptedProvider([{ text: 'still fine' }]), sink: () => { calls++; throw new Error('disk full'); } });
    const s1 = await throwing.session('s1').open();
    opened.push(s1);
    const a = await s1.turn('hello').run();
    expect(a.result.assistantMessage()).toBe('still fine');
    expect(calls).toBe(5);

    let rejected = 0;
    const rejecting = await makeCore({
      provider: new ScriptedProvider([{ text: 'also fine' }]),
      sink: { append: () => { rejected++; return Promise.reject(new Error('no')); } },
    });
    const s2 = await rejecting.session('s2').open();
    opened.push(s2);
    const b = await s2.turn('hello').run();
    expect(b.result.assistantMessage()).toBe('also fine');
    expect(rejected).toBe(5);
  });

  test('extended level still emits the standard records', async () => {
    const { records, session } = await traced([{ text: 'ok' }], { level: 'extended' });
    await session.turn('hello').run();
    expect(typesOf(records)).toEqual(['turn_started', 'prompt_built', 'llm_call_started', 'llm_call_completed', 'turn_completed']);
  });

  test('without a sink the core sends no trace records at all', async () => {
    // every host message the core sends is JSON the driver parses: watch for op "trace"
    const seen = [];
    const parse = JSON.parse;
    JSON.parse = function watched(...args) {
      const v = parse.apply(this, args);
      if (v && typeof v === 'object' && v.op === 'trace') seen.push(v);
      return v;
    };
    try {
      const core = await makeCore({ provider: new ScriptedProvider([{ toolCalls: [{ id: 'c1', name: 'add', arguments: { a: 1, b: 2 } }] }, { text: 'x' }]), level: 'standard', context: { run_id: 'r' } });
      const session = await core.session('s1').open();
      opened.push(session);
      const { result } = await session.turn('hello').run();
      expect(result.assistantMessage()).toBe('x');
    } finally {
      JSON.parse = parse;
    }
    expect(seen).toEqual([]);
  });
});

describe('secrets', () => {
  let server;
  beforeAll(async () => {
    server = await startProviderServer();
  });
  afterAll(async () => {
    await server.close();
  });

  test('an HTTP provider\'s API key never appears in a trace, though the server saw it', async () => {
    const SECRET = 'sk-trace-SECRET';
    server.script([{ sse: 'chat/text' }]);
    const records = [];
    const provider = new lash.OpenAiCompatibleProvider({ baseUrl: `${server.url}/v1`, apiKey: SECRET });
    const core = await makeCore({ provider, sink: (r) => records.push(r), model: 'gpt-4o-mini' });
    const session = await core.session('s1').open();
    opened.push(session);
    const { result, activities } = await session.turn('hello').run();
    expect(result.isSuccess()).toBe(true);

    expect(server.requests).toHaveLength(1);
    expect(server.requests[0].headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(typesOf(records)).toEqual(['turn_started', 'prompt_built', 'llm_call_started', 'llm_call_completed', 'turn_completed']);
    const all = JSON.stringify(records);
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain('Bearer');
    // the neutral request, not the Chat Completions body (no "stream_options", no wire "messages[].content")
    const req = ofType(records, 'llm_call_started')[0].request;
    expect(Object.keys(req).sort()).toEqual(['messages', 'model', 'stream', 'tool_choice', 'tools']);
    expect(req.model).toBe('gpt-4o-mini');

    // the streamed prose fed the stream summary (assembly.rs:108-125): one text chunk per prose delta
    const done = ofType(records, 'llm_call_completed')[0];
    const deltas = activities.filter((a) => a.type === 'assistant_prose_delta').map((a) => [...a.text].length).filter((n) => n > 0);
    expect(done.stream_summary.text_delta_count).toBe(deltas.length);
    expect(done.stream_summary.visible_chunk_count).toBe(deltas.length);
    expect(done.stream_summary.max_visible_chunk_chars).toBe(Math.max(...deltas));
    expect(done.stream_summary.avg_visible_chunk_chars).toBeCloseTo(deltas.reduce((x, y) => x + y, 0) / deltas.length, 10);
    expect(done.usage).toEqual(activities.find((a) => a.type === 'usage').usage);
    expect(done.response.text).toBe(result.assistantMessage());
  });
});
