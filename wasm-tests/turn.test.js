// Black-box tests for the turn API (issue 3): running turns, the standard
// protocol's tool loop, stop reasons, cancellation, the `batch` tool, the
// tool-output budget and prompt rendering. Expected strings and JSON shapes
// follow lash at the pinned commit (22bad569f):
//   crates/lash-protocol-standard/src/{lib.rs,batch.rs}
//   crates/lash-sansio/src/{tool_output.rs, sansio/sections/turn_machine.rs,
//     session_model/{prompt.rs,message.rs}, tool_contract/schema_validation.rs}
//   crates/lash-plugin-tool-output-budget/src/lib.rs
//   crates/lash-core/src/{tool_dispatch/preparation.rs, runtime/io.rs,
//     runtime/turn_loop.rs, runtime/turn_driver/tools.rs}
//   crates/lash/src/{turn.rs, tests/turn_streaming.rs}
//
// The module is imported as a namespace so that a missing export shows up as a
// failing test, not as a file that cannot load.
import * as lash from '../js/index.js';

const {
  StandardCore,
  ModelSpec,
  EchoProvider,
  ScriptedProvider,
  InMemorySessionStoreFactory,
  InMemoryAttachmentStore,
  InMemoryProcessExecutionEnvStore,
  InlineEffectHost,
  defineTools,
} = lash;

// ---------------------------------------------------------------------------
// Exact strings from lash
// ---------------------------------------------------------------------------

// lash-sansio/src/tool_output.rs:632 (format_failure_message)
const failed = (message) => `[Tool execution failed]\n${message}`;
// lash-core/src/tool_dispatch/preparation.rs:77
const TOOL_UNAVAILABLE = 'Tool is unavailable in this session';
// lash-protocol-standard/src/lib.rs:139
const turnLimit = (n) => `Turn limit reached (${n}) before a final assistant response.`;
// lash-protocol-standard/src/lib.rs:458 / :493
const EMPTY_RESPONSE = 'Model returned no assistant text or tool calls.';
// lash-sansio/src/sansio/sections/turn_machine.rs:789
const llmError = (message) => `LLM error: ${message}`;
// lash-sansio/src/sansio/sections/turn_machine.rs:687 (Debug name of LlmTerminalReason)
const terminalDiagnostic = (debugName) => `Model call ended with terminal reason ${debugName}.`;
// lash-core/src/runtime/io.rs:20 / :23
const IMAGE_REF_EMPTY_ID = 'Invalid image_ref: id cannot be empty';
const imageRefMissingBlob = (id) => `Invalid image_ref: missing blob for id '${id}'`;
// lash-plugin-tool-output-budget/src/lib.rs:599 (no spill path: spec §6.3 says a WASM port omits the spill file)
const TRUNCATION_HINT =
  'The tool output was truncated. Use `read_file` with `offset`/`limit` or `grep` to inspect specific sections instead of reading the whole file at once.';
// lash-protocol-standard/src/lib.rs:196
const NESTED_BATCH = "Tool 'batch' is not allowed inside batch";
// lash-protocol-standard/src/lib.rs:316
const batchToolNotString = (i) => `Invalid tool_calls[${i}].tool: expected non-empty string`;

// Default system prompt of a standard session without extra prompt layers:
// lash-sansio/src/session_model/prompt.rs:242-270 (default template), :273 (intro),
// :281-285 (core guidance, no `ask` tool), :352 (`## {title}`), sections joined by "\n\n";
// execution section = lash-protocol-standard/src/lib.rs:43-57.
const INTRO = 'You are an AI coding assistant piloting the lash harness.';
const STANDARD_EXECUTION_SECTION = `Use direct tool calls.

- Use \`batch\` (up to 25 calls) for two or more independent tool calls. Serialize calls when later arguments depend on earlier results.
- For direct conversational requests that need no tools, respond in prose only.

Example — two independent reads in one \`batch\` call:

\`\`\`json
{
  "tool_calls": [
    { "tool": "read_file", "parameters": { "path": "src/main.rs" } },
    { "tool": "grep", "parameters": { "query": "ToolProvider", "path": "crates/lash/src/" } }
  ]
}
\`\`\``;
const CORE_GUIDANCE = [
  '- Be concise. Avoid filler, hedging, and performative tone.',
  '- Do not restate a conclusion you already stated. Once a fix location is identified, act on it in the same turn.',
  '- Prefer the simplest correct solution over cleverness or unnecessary abstraction.',
].join('\n');
const DEFAULT_SYSTEM_PROMPT = [
  INTRO,
  `## Execution\n\n${STANDARD_EXECUTION_SECTION}`,
  `## Guidance\n\n${CORE_GUIDANCE}`,
].join('\n\n');
// lash-sansio/src/plugin.rs:132-137 (title) + session_model/prompt.rs:384 (`### {title}\n\n{content}`)
const projectInstructions = (text) => `### Project Instructions\n\n${text}`;

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

const opened = [];

afterEach(async () => {
  while (opened.length > 0) {
    const closable = opened.pop();
    try {
      await closable.close();
    } catch {
      /* ignore */
    }
  }
});

// A StandardCore with in-memory stores. `tools` is a list for defineTools.
async function makeCore({ provider = new EchoProvider(), tools, maxTurns, configure } = {}) {
  let builder = StandardCore.builder()
    .provider(provider)
    .model(ModelSpec.fromTokenLimits('m', null, 128000))
    .effectHost(new InlineEffectHost())
    .attachmentStore(new InMemoryAttachmentStore())
    .processEnvStore(new InMemoryProcessExecutionEnvStore())
    .storeFactory(new InMemorySessionStoreFactory());
  if (tools) builder = builder.tools(defineTools(tools));
  if (maxTurns !== undefined) builder = builder.maxTurns(maxTurns);
  if (configure) builder = configure(builder);
  const core = await builder.build();
  opened.push(core);
  return core;
}

async function openSession(options = {}, sessionId = 's1') {
  const core = await makeCore(options);
  const session = await core.session(sessionId).open();
  opened.push(session);
  return session;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function deferred() {
  let resolve;
  const promise = new Promise((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const waitForAbort = (signal) =>
  new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });

// A scripted tool call as the model would emit it.
const call = (id, name, args = {}) => ({ id, name, arguments: args });

const OBJECT_SCHEMA = { type: 'object', properties: {}, additionalProperties: true };

// ---- LlmRequest JSON helpers (lash-sansio/src/llm/types.rs:130-184) ----
const blockKind = (block) => Object.keys(block)[0];
// [[role, blockKind...], ...] for each message of a request
const shapeOf = (request) => request.messages.map((m) => [m.role, ...m.blocks.map(blockKind)]);
const systemText = (request) => {
  const system = request.messages.find((m) => m.role === 'System');
  return system ? system.blocks.map((b) => b.Text.text).join('') : null;
};
const lastMessage = (request) => request.messages[request.messages.length - 1];
const toolResultsOf = (request) =>
  lastMessage(request)
    .blocks.filter((b) => blockKind(b) === 'ToolResult')
    .map((b) => b.ToolResult);

// ---- activity helpers ----
const typesOf = (activities) => activities.map((a) => a.type);
const proseOf = (activities) =>
  activities
    .filter((a) => a.type === 'assistant_prose_delta')
    .map((a) => a.text)
    .join('');
// activity types with consecutive repeats collapsed (a provider may stream prose in several deltas)
const collapsedTypes = (activities) =>
  typesOf(activities).filter((type, i, all) => i === 0 || all[i - 1] !== type);
const errorsOf = (activities) => activities.filter((a) => a.type === 'error').map((a) => a.message);

const partsSummary = (message) => ({
  role: message.role,
  parts: message.parts.map((p) => ({ kind: p.kind, content: p.content })),
});

// ===========================================================================
// Plain turns
// ===========================================================================

describe('echo turn', () => {
  test('answers "echo: hello", commits user + assistant, and is turn index 1', async () => {
    const session = await openSession();

    const { result, activities } = await session.turn('hello').run();

    expect(result.outcome).toEqual({ finished: { assistant_message: { text: 'echo: hello' } } });
    expect(result.assistantMessage()).toBe('echo: hello');
    expect(result.isSuccess()).toBe(true);
    expect(result.state.turn_index).toBe(1);
    expect(result.state.session_id).toBe('s1');
    expect(result.assistant_output).toMatchObject({
      safe_text: 'echo: hello',
      raw_text: 'echo: hello',
      state: 'usable',
    });
    expect(result.tool_calls).toEqual([]);
    expect(result.execution).toEqual({ had_tool_calls: false, had_code_execution: false });
    expect(result.errors).toEqual([]);

    expect(proseOf(activities)).toBe('echo: hello');
    expect(typesOf(activities)).toContain('model_request_started');
    expect(typesOf(activities)).not.toContain('tool_call_completed');

    // Terminal output is materialized as an assistant Prose message at commit
    // (lash-core/src/runtime/turn_boundary.rs:571-600).
    const view = await session.readView();
    expect(view.messages.map(partsSummary)).toEqual([
      { role: 'User', parts: [{ kind: 'Text', content: 'hello' }] },
      { role: 'Assistant', parts: [{ kind: 'Prose', content: 'echo: hello' }] },
    ]);
    for (const message of view.messages) {
      expect(typeof message.id).toBe('string');
      expect(message.id.length).toBeGreaterThan(0);
    }
  });

  test('activity order of a plain turn: request started, prose, then usage', async () => {
    const session = await openSession();

    const { activities } = await session.turn('hello').run();

    // Prose (streamed, or emitted from the response parts) precedes the usage record:
    // lash-core/src/runtime/turn_driver/handlers.rs:53-60 emits the parts before the
    // machine records usage (lash-sansio/src/sansio/sections/turn_machine.rs:745-751).
    expect(collapsedTypes(activities)).toEqual(['model_request_started', 'assistant_prose_delta', 'usage']);
  });

  test('TurnInput JSON: consecutive text items concatenate without a separator', async () => {
    const session = await openSession();

    const { result } = await session
      .turn({ items: [{ type: 'text', text: 'hel' }, { type: 'text', text: '' }, { type: 'text', text: 'lo' }] })
      .run();

    expect(result.assistantMessage()).toBe('echo: hello');
    const view = await session.readView();
    expect(partsSummary(view.messages[0])).toEqual({ role: 'User', parts: [{ kind: 'Text', content: 'hello' }] });
  });

  test('usage: echo reports input = word count, output = 2, in the result and a usage activity', async () => {
    const session = await openSession();

    const { result, activities } = await session.turn('hello there big world').run();

    const expected = { input_tokens: 4, output_tokens: 2, cached_input_tokens: 0, reasoning_tokens: 0 };
    expect(result.usage).toEqual(expected);
    expect(result.children_usage).toEqual([]);
    const usage = activities.filter((a) => a.type === 'usage');
    expect(usage).toHaveLength(1);
    expect(usage[0]).toMatchObject({ usage: expected, cumulative: expected });
    expect(typeof usage[0].protocol_iteration).toBe('number');
  });
});

describe('two turns in a row', () => {
  test('the second model request carries both prior messages, and turn index becomes 2', async () => {
    const provider = new ScriptedProvider([{ text: 'one' }, { text: 'two' }]);
    const session = await openSession({ provider });

    const first = await session.turn('first').run();
    const second = await session.turn('second').run();

    expect(first.result.assistantMessage()).toBe('one');
    expect(second.result.assistantMessage()).toBe('two');
    expect(first.result.state.turn_index).toBe(1);
    expect(second.result.state.turn_index).toBe(2);

    expect(provider.requests).toHaveLength(2);
    const [r1, r2] = provider.requests;
    expect(shapeOf(r1)).toEqual([
      ['System', 'Text'],
      ['User', 'Text'],
    ]);
    expect(shapeOf(r2)).toEqual([
      ['System', 'Text'],
      ['User', 'Text'],
      ['Assistant', 'Text'],
      ['User', 'Text'],
    ]);
    expect(r2.messages.slice(1).map((m) => m.blocks[0].Text.text)).toEqual(['first', 'one', 'second']);

    const view = await session.readView();
    expect(view.messages.map((m) => m.role)).toEqual(['User', 'Assistant', 'User', 'Assistant']);
  });
});

// ===========================================================================
// Tools in the standard protocol
// ===========================================================================

describe('tool round trip', () => {
  const weatherTool = (seen) => ({
    name: 'lookup',
    description: 'Look up the weather for a city.',
    inputSchema: {
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
      additionalProperties: false,
    },
    execute: async (args, ctx) => {
      seen.push({ args, sessionId: ctx.sessionId, toolCallId: ctx.toolCallId, signal: ctx.signal });
      return `sunny in ${args.city}`;
    },
  });

  test('the model sees system + user, then + assistant ToolCall + user ToolResult with the output', async () => {
    const seen = [];
    const provider = new ScriptedProvider([
      { toolCalls: [call('call-1', 'lookup', { city: 'Paris' })], terminalReason: 'tool_use' },
      { text: 'done' },
    ]);
    const session = await openSession({ provider, tools: [weatherTool(seen)] });

    const { result } = await session.turn('use tool').run();

    expect(result.assistantMessage()).toBe('done');
    expect(provider.requests).toHaveLength(2);
    const [r1, r2] = provider.requests;

    expect(shapeOf(r1)).toEqual([
      ['System', 'Text'],
      ['User', 'Text'],
    ]);
    expect(r1.messages[1].blocks[0].Text.text).toBe('use tool');
    expect(r1.tool_choice).toBe('Auto');
    const toolNames = r1.tools.map((t) => t.name);
    expect(toolNames).toEqual(expect.arrayContaining(['batch', 'lookup']));
    expect(r1.tools.find((t) => t.name === 'lookup')).toMatchObject({
      description: 'Look up the weather for a city.',
      input_schema: { type: 'object', required: ['city'] },
    });

    expect(shapeOf(r2)).toEqual([
      ['System', 'Text'],
      ['User', 'Text'],
      ['Assistant', 'ToolCall'],
      ['User', 'ToolResult'],
    ]);
    expect(systemText(r2)).toBe(systemText(r1));
    const toolCall = r2.messages[2].blocks[0].ToolCall;
    expect(toolCall).toMatchObject({ call_id: 'call-1', tool_name: 'lookup' });
    expect(JSON.parse(toolCall.input_json)).toEqual({ city: 'Paris' });
    expect(r2.messages[3].blocks[0].ToolResult).toEqual({
      call_id: 'call-1',
      content: 'sunny in Paris',
      tool_name: 'lookup',
    });

    // The tool ran once with the parsed args and its context.
    expect(seen).toHaveLength(1);
    expect(seen[0].args).toEqual({ city: 'Paris' });
    expect(seen[0].sessionId).toBe('s1');
    expect(seen[0].toolCallId).toBe('call-1');
    expect(seen[0].signal).toBeInstanceOf(AbortSignal);
    expect(seen[0].signal.aborted).toBe(false);
  });

  test('tool_call_started / tool_call_completed activities are correlated as tool:{call_id}', async () => {
    const provider = new ScriptedProvider([
      { toolCalls: [call('call-1', 'lookup', { city: 'Paris' })] },
      { text: 'done' },
    ]);
    const session = await openSession({ provider, tools: [weatherTool([])] });

    const { activities } = await session.turn('use tool').run();

    const started = activities.findIndex((a) => a.type === 'tool_call_started');
    const completed = activities.findIndex((a) => a.type === 'tool_call_completed');
    expect(started).toBeGreaterThanOrEqual(0);
    expect(completed).toBeGreaterThan(started);
    expect(activities[started]).toMatchObject({
      type: 'tool_call_started',
      correlation_id: 'tool:call-1',
      call_id: 'call-1',
      name: 'lookup',
      args: { city: 'Paris' },
    });
    expect(activities[completed]).toMatchObject({
      type: 'tool_call_completed',
      correlation_id: 'tool:call-1',
      call_id: 'call-1',
      name: 'lookup',
      args: { city: 'Paris' },
      output: { outcome: { status: 'success', payload: 'sunny in Paris' } },
    });
    expect(typeof activities[completed].duration_ms).toBe('number');
    // The tool output never leaks into assistant prose.
    expect(proseOf(activities)).toBe('done');
  });

  test('activity order of a tool round trip, with protocol iterations 0 and 1', async () => {
    const provider = new ScriptedProvider([
      { toolCalls: [call('call-1', 'lookup', { city: 'Paris' })] },
      { text: 'done' },
    ]);
    const session = await openSession({ provider, tools: [weatherTool([])] });

    const { activities } = await session.turn('use tool').run();

    expect(collapsedTypes(activities)).toEqual([
      'model_request_started',
      'usage',
      'tool_call_started',
      'tool_call_completed',
      'model_request_started',
      'assistant_prose_delta',
      'usage',
    ]);
    const iterations = (type) => activities.filter((a) => a.type === type).map((a) => a.protocol_iteration);
    expect(iterations('model_request_started')).toEqual([0, 1]);
    expect(iterations('usage')).toEqual([0, 1]);
  });

  test('result.tool_calls records the call and execution.had_tool_calls is set', async () => {
    const provider = new ScriptedProvider([
      { toolCalls: [call('call-1', 'lookup', { city: 'Paris' })] },
      { text: 'done' },
    ]);
    const session = await openSession({ provider, tools: [weatherTool([])] });

    const { result } = await session.turn('use tool').run();

    expect(result.tool_calls).toEqual([
      {
        call_id: 'call-1',
        tool: 'lookup',
        args: { city: 'Paris' },
        output: { outcome: { status: 'success', payload: 'sunny in Paris' } },
        duration_ms: expect.any(Number),
      },
    ]);
    expect(result.execution.had_tool_calls).toBe(true);

    const view = await session.readView();
    expect(view.messages.map((m) => m.role)).toEqual(['User', 'Assistant', 'User', 'Assistant']);
    const [, assistantCall, userResult, final] = view.messages;
    expect(assistantCall.parts).toEqual([
      expect.objectContaining({ kind: 'ToolCall', tool_call_id: 'call-1', tool_name: 'lookup' }),
    ]);
    expect(JSON.parse(assistantCall.parts[0].content)).toEqual({ city: 'Paris' });
    expect(userResult.parts).toEqual([
      expect.objectContaining({
        kind: 'ToolResult',
        content: 'sunny in Paris',
        tool_call_id: 'call-1',
        tool_name: 'lookup',
      }),
    ]);
    expect(partsSummary(final)).toEqual({ role: 'Assistant', parts: [{ kind: 'Prose', content: 'done' }] });
  });

  test('a non-string tool value reaches the model as compact JSON', async () => {
    const provider = new ScriptedProvider([{ toolCalls: [call('c1', 'temp')] }, { text: 'ok' }]);
    const session = await openSession({
      provider,
      tools: [
        {
          name: 'temp',
          description: 'Temperature.',
          inputSchema: OBJECT_SCHEMA,
          execute: async () => ({ temp: 21, unit: 'C' }),
        },
      ],
    });

    const { result } = await session.turn('go').run();

    expect(toolResultsOf(provider.requests[1])).toEqual([
      { call_id: 'c1', content: '{"temp":21,"unit":"C"}', tool_name: 'temp' },
    ]);
    expect(result.tool_calls[0].output).toEqual({
      outcome: { status: 'success', payload: { temp: 21, unit: 'C' } },
    });
  });
});

describe('tool failures are fed back and the turn goes on', () => {
  test('unknown tool: model sees "[Tool execution failed]\\nTool is unavailable in this session"', async () => {
    const provider = new ScriptedProvider([
      { toolCalls: [call('call-x', 'does_not_exist', { a: 1 })] },
      { text: 'recovered' },
    ]);
    const session = await openSession({ provider });

    const { result } = await session.turn('try it').run();

    expect(result.outcome).toEqual({ finished: { assistant_message: { text: 'recovered' } } });
    expect(provider.requests).toHaveLength(2);
    expect(toolResultsOf(provider.requests[1])).toEqual([
      { call_id: 'call-x', content: failed(TOOL_UNAVAILABLE), tool_name: 'does_not_exist' },
    ]);
    // lash-core/src/tool_dispatch/preparation.rs:71-80 + tool_output.rs:405-460 (ToolFailure serde)
    expect(result.tool_calls).toHaveLength(1);
    expect(result.tool_calls[0]).toMatchObject({
      call_id: 'call-x',
      tool: 'does_not_exist',
      output: {
        outcome: {
          status: 'failure',
          payload: {
            class: 'unavailable',
            code: 'tool_unavailable',
            message: TOOL_UNAVAILABLE,
            source: 'runtime',
            retry: { type: 'never' },
          },
        },
      },
    });
  });

  test('a thrown error becomes "[Tool execution failed]\\n{message}"', async () => {
    const provider = new ScriptedProvider([{ toolCalls: [call('c1', 'explode')] }, { text: 'recovered' }]);
    const session = await openSession({
      provider,
      tools: [
        {
          name: 'explode',
          description: 'Always fails.',
          inputSchema: OBJECT_SCHEMA,
          execute: async () => {
            throw new Error('disk on fire');
          },
        },
      ],
    });

    const { result, activities } = await session.turn('go').run();

    expect(result.outcome).toEqual({ finished: { assistant_message: { text: 'recovered' } } });
    expect(toolResultsOf(provider.requests[1])).toEqual([
      { call_id: 'c1', content: failed('disk on fire'), tool_name: 'explode' },
    ]);
    expect(result.tool_calls[0].output.outcome).toMatchObject({
      status: 'failure',
      payload: { message: 'disk on fire' },
    });
    const completed = activities.find((a) => a.type === 'tool_call_completed');
    expect(completed).toMatchObject({ correlation_id: 'tool:c1', output: { outcome: { status: 'failure' } } });
  });

  // Messages: lash-sansio/src/tool_contract/schema_validation.rs:42-318
  // Failure class/code: lash-core/src/tool_dispatch/preparation.rs:130-136
  test.each([
    ['a missing required property', {}, 'city: required property missing'],
    ['a wrongly typed property', { city: 5 }, 'city: expected string, got 5'],
    ['an unexpected property', { city: 'Paris', extra: true }, 'extra: unexpected property'],
  ])('JSON-schema validation of %s is fed back as invalid_request/invalid_tool_args', async (_label, args, message) => {
    let executed = false;
    const provider = new ScriptedProvider([{ toolCalls: [call('c1', 'lookup', args)] }, { text: 'fixed' }]);
    const session = await openSession({
      provider,
      tools: [
        {
          name: 'lookup',
          description: 'Weather.',
          inputSchema: {
            type: 'object',
            properties: { city: { type: 'string' } },
            required: ['city'],
            additionalProperties: false,
          },
          execute: async () => {
            executed = true;
            return 'should not run';
          },
        },
      ],
    });

    const { result } = await session.turn('go').run();

    expect(executed).toBe(false);
    expect(result.assistantMessage()).toBe('fixed');
    expect(toolResultsOf(provider.requests[1])).toEqual([
      { call_id: 'c1', content: failed(message), tool_name: 'lookup' },
    ]);
    expect(result.tool_calls[0].output).toEqual({
      outcome: {
        status: 'failure',
        payload: {
          class: 'invalid_request',
          code: 'invalid_tool_args',
          message,
          source: 'runtime',
          retry: { type: 'never' },
        },
      },
    });
  });
});

// ===========================================================================
// Stop reasons
// ===========================================================================

describe('stop reasons', () => {
  const noopTool = {
    name: 'noop',
    description: 'Does nothing.',
    inputSchema: OBJECT_SCHEMA,
    execute: async () => 'ok',
  };

  test('max turns: {stopped:"max_turns"} and the exact system message in the transcript', async () => {
    const provider = new ScriptedProvider([
      { toolCalls: [call('c1', 'noop')] },
      { toolCalls: [call('c2', 'noop')] },
      { text: 'never reached' },
    ]);
    const session = await openSession({ provider, tools: [noopTool], maxTurns: 2 });

    const { result } = await session.turn('loop').run();

    expect(result.outcome).toEqual({ stopped: 'max_turns' });
    expect(result.assistantMessage()).toBeNull();
    expect(result.isSuccess()).toBe(false);
    // The limit is hit after the second tool round: no third model call.
    expect(provider.requests).toHaveLength(2);

    const view = await session.readView();
    expect(view.messages.map((m) => m.role)).toEqual(['User', 'Assistant', 'User', 'Assistant', 'User', 'System']);
    expect(partsSummary(view.messages[5])).toEqual({
      role: 'System',
      parts: [{ kind: 'Error', content: turnLimit(2) }],
    });
  });

  test('empty response before any tool result: provider_error with lash\'s empty_response error', async () => {
    const provider = new ScriptedProvider([{ text: '' }]);
    const session = await openSession({ provider });

    const { result, activities } = await session.turn('say nothing').run();

    expect(result.outcome).toEqual({ stopped: 'provider_error' });
    expect(result.isSuccess()).toBe(false);
    expect(errorsOf(activities)).toEqual([EMPTY_RESPONSE]);
    expect(result.errors).toContainEqual(
      expect.objectContaining({ kind: 'llm_provider', code: 'empty_response', message: EMPTY_RESPONSE }),
    );
  });

  test('empty response after a tool result: finished with an empty assistant message', async () => {
    const provider = new ScriptedProvider([{ toolCalls: [call('c1', 'noop')] }, { text: '' }]);
    const session = await openSession({ provider, tools: [noopTool] });

    const { result, activities } = await session.turn('do it and say nothing').run();

    expect(result.outcome).toEqual({ finished: { assistant_message: { text: '' } } });
    expect(result.assistantMessage()).toBe('');
    expect(result.isSuccess()).toBe(true);
    expect(errorsOf(activities)).toEqual([]);
  });

  test('provider error: {stopped:"provider_error"} and an error activity "LLM error: …"', async () => {
    const provider = new ScriptedProvider([{ error: { message: 'upstream exploded', retryable: false } }]);
    const session = await openSession({ provider });

    const { result, activities } = await session.turn('hi').run();

    expect(result.outcome).toEqual({ stopped: 'provider_error' });
    expect(errorsOf(activities)).toEqual([llmError('upstream exploded')]);
    expect(result.errors).toContainEqual(
      expect.objectContaining({ kind: 'llm_provider', message: llmError('upstream exploded') }),
    );
  });

  test('running out of scripted responses is a provider error', async () => {
    const provider = new ScriptedProvider([]);
    const session = await openSession({ provider });

    const { result, activities } = await session.turn('hi').run();

    expect(result.outcome).toEqual({ stopped: 'provider_error' });
    expect(errorsOf(activities)).toHaveLength(1);
    expect(errorsOf(activities)[0].startsWith('LLM error: ')).toBe(true);
  });

  test('terminal reason output_limit: {stopped:"incomplete"}', async () => {
    const provider = new ScriptedProvider([
      { text: 'partial answer', terminalReason: 'output_limit', usage: { input_tokens: 5, output_tokens: 7 } },
    ]);
    const session = await openSession({ provider });

    const { result, activities } = await session.turn('write a lot').run();

    expect(result.outcome).toEqual({ stopped: 'incomplete' });
    expect(result.isSuccess()).toBe(false);
    expect(proseOf(activities)).toBe('partial answer');
    expect(errorsOf(activities)).toEqual([terminalDiagnostic('OutputLimit')]);
    expect(result.errors).toContainEqual(
      expect.objectContaining({
        kind: 'llm_provider',
        code: 'output_limit',
        terminal_reason: 'output_limit',
        message: terminalDiagnostic('OutputLimit'),
      }),
    );
  });

  test.each([
    ['context_overflow', 'ContextOverflow'],
    ['content_filter', 'ContentFilter'],
    ['provider_error', 'ProviderError'],
  ])('terminal reason %s: {stopped:"provider_error"}', async (reason, debugName) => {
    const provider = new ScriptedProvider([
      { text: 'x', terminalReason: reason, usage: { input_tokens: 5, output_tokens: 1 } },
    ]);
    const session = await openSession({ provider });

    const { result, activities } = await session.turn('hi').run();

    expect(result.outcome).toEqual({ stopped: 'provider_error' });
    expect(errorsOf(activities)).toEqual([terminalDiagnostic(debugName)]);
    expect(result.errors).toContainEqual(
      expect.objectContaining({ kind: 'llm_provider', code: reason, terminal_reason: reason }),
    );
  });
});

describe('invalid input', () => {
  test.each([
    ['an empty image_ref id', { items: [{ type: 'text', text: 'look' }, { type: 'image_ref', id: '' }] }, IMAGE_REF_EMPTY_ID],
    [
      'an image_ref without a blob',
      { items: [{ type: 'text', text: 'look' }, { type: 'image_ref', id: 'img1' }], image_blobs: {} },
      imageRefMissingBlob('img1'),
    ],
  ])('%s: {stopped:"invalid_input"}, an error activity, nothing committed', async (_label, input, message) => {
    const provider = new ScriptedProvider([{ text: 'first answer' }, { text: 'unused' }]);
    const session = await openSession({ provider });
    await session.turn('first').run();
    const before = await session.readView();
    expect(before.messages).toHaveLength(2);

    const { result, activities } = await session.turn(input).run();

    expect(result.outcome).toEqual({ stopped: 'invalid_input' });
    expect(result.isSuccess()).toBe(false);
    expect(errorsOf(activities)).toEqual([message]);
    // lash-core/src/runtime/turn_loop.rs:784-790
    expect(result.errors).toContainEqual(
      expect.objectContaining({ kind: 'input_validation', code: 'invalid_turn_input', message }),
    );
    // Rejected before turn_index increments and before any model call.
    expect(result.state.turn_index).toBe(1);
    expect(provider.requests).toHaveLength(1);
    const after = await session.readView();
    expect(after.messages.map((m) => m.id)).toEqual(before.messages.map((m) => m.id));
  });
});

// ===========================================================================
// Cancellation
// ===========================================================================

describe('cancellation', () => {
  test('a pre-cancelled signal stops the turn as cancelled without calling the provider', async () => {
    const provider = new ScriptedProvider([{ text: 'never' }]);
    const session = await openSession({ provider });
    const controller = new AbortController();
    controller.abort();

    const { result } = await session.turn('never runs').signal(controller.signal).run();

    expect(result.outcome).toEqual({ stopped: 'cancelled' });
    expect(result.isSuccess()).toBe(false);
    expect(provider.requests).toHaveLength(0);
  });

  // A tool that parks until its ctx.signal fires.
  function parkingTool(state) {
    return {
      name: 'wait_for_stop',
      description: 'Waits until cancelled.',
      inputSchema: OBJECT_SCHEMA,
      execute: async (_args, ctx) => {
        state.entered.resolve();
        await waitForAbort(ctx.signal);
        state.sawAbort = true;
        return 'stopped early';
      },
    };
  }

  test('aborting while a tool runs fires ctx.signal, ends the turn cancelled, and the session stays usable', async () => {
    const state = { entered: deferred(), sawAbort: false };
    const provider = new ScriptedProvider([
      { toolCalls: [call('c1', 'wait_for_stop')] },
      { text: 'after cancel' },
    ]);
    const session = await openSession({ provider, tools: [parkingTool(state)] });
    const controller = new AbortController();

    const running = session.turn('go').signal(controller.signal).run();
    await state.entered.promise;
    controller.abort();
    const { result } = await running;

    expect(state.sawAbort).toBe(true);
    expect(result.outcome).toEqual({ stopped: 'cancelled' });
    // No model call after the cancel.
    expect(provider.requests).toHaveLength(1);
    // A cancelled turn still commits (spec §2.12): the user message is in the transcript.
    const view = await session.readView();
    expect(partsSummary(view.messages[0])).toEqual({ role: 'User', parts: [{ kind: 'Text', content: 'go' }] });

    const again = await session.turn('again').run();
    expect(again.result.outcome).toEqual({ finished: { assistant_message: { text: 'after cancel' } } });
    expect(provider.requests).toHaveLength(2);
    expect(lastMessage(provider.requests[1])).toMatchObject({ role: 'User', blocks: [{ Text: { text: 'again' } }] });
  });

  test('cancelRunningTurns() returns 1 while a turn runs and 0 once it ended', async () => {
    const state = { entered: deferred(), sawAbort: false };
    const provider = new ScriptedProvider([{ toolCalls: [call('c1', 'wait_for_stop')] }]);
    const session = await openSession({ provider, tools: [parkingTool(state)] });

    expect(session.cancelRunningTurns()).toBe(0);
    const running = session.turn('go').run();
    await state.entered.promise;
    expect(session.cancelRunningTurns()).toBe(1);
    const { result } = await running;

    expect(state.sawAbort).toBe(true);
    expect(result.outcome).toEqual({ stopped: 'cancelled' });
    expect(session.cancelRunningTurns()).toBe(0);
  });
});

// ===========================================================================
// Concurrency: the batch tool and multi-call responses
// ===========================================================================

// Tools that log "start:{name}" / "end:{name}" around a short await.
function loggingTools(log, specs) {
  return specs.map(({ name, scheduling, ms = 20 }) => ({
    name,
    description: `Logs ${name}.`,
    inputSchema: OBJECT_SCHEMA,
    scheduling,
    execute: async (_args, ctx) => {
      log.push({ event: `start:${name}`, at: performance.now(), toolCallId: ctx.toolCallId });
      await sleep(ms);
      log.push({ event: `end:${name}`, at: performance.now() });
      return `${name} done`;
    },
  }));
}
const eventIndex = (log, event) => log.findIndex((entry) => entry.event === event);

describe('batch tool', () => {
  const batchCall = (id, toolCalls) => call(id, 'batch', { tool_calls: toolCalls });

  test('parallel tools overlap, serial ones run one at a time after them, results sorted by index', async () => {
    const log = [];
    const provider = new ScriptedProvider([
      {
        toolCalls: [
          batchCall('b1', [
            { tool: 's1', parameters: {} },
            { tool: 'p1', parameters: {} },
            { tool: 's2', parameters: {} },
            { tool: 'p2', parameters: {} },
          ]),
        ],
      },
      { text: 'batched' },
    ]);
    const session = await openSession({
      provider,
      tools: loggingTools(log, [
        { name: 's1', scheduling: 'serial' },
        { name: 'p1', scheduling: 'parallel' },
        { name: 's2', scheduling: 'serial' },
        { name: 'p2', scheduling: 'parallel' },
      ]),
    });

    const { result } = await session.turn('batch them').run();

    expect(result.assistantMessage()).toBe('batched');
    // Parallel tools overlap: each starts before the other ends.
    expect(eventIndex(log, 'start:p2')).toBeLessThan(eventIndex(log, 'end:p1'));
    expect(eventIndex(log, 'start:p1')).toBeLessThan(eventIndex(log, 'end:p2'));
    // Serial tools run afterwards, one at a time, in index order.
    expect(log.slice(4).map((e) => e.event)).toEqual(['start:s1', 'end:s1', 'start:s2', 'end:s2']);
    const at = (event) => log[eventIndex(log, event)].at;
    expect(at('start:s1')).toBeGreaterThanOrEqual(Math.max(at('end:p1'), at('end:p2')));
    expect(at('start:s2')).toBeGreaterThanOrEqual(at('end:s1'));
    // Inner call ids are `{batch call id}:{index:02}` (lash-protocol-standard/src/lib.rs:203-206).
    const idOf = (name) => log.find((e) => e.event === `start:${name}`).toolCallId;
    expect([idOf('s1'), idOf('p1'), idOf('s2'), idOf('p2')]).toEqual(['b1:00', 'b1:01', 'b1:02', 'b1:03']);

    // The model sees {"results":[...]} sorted by index (lash-protocol-standard/src/lib.rs:278-286).
    const [toolResult] = toolResultsOf(provider.requests[1]);
    expect(toolResult).toMatchObject({ call_id: 'b1', tool_name: 'batch' });
    const projected = JSON.parse(toolResult.content);
    expect(projected.results).toEqual([
      { index: 0, tool: 's1', success: true, duration_ms: expect.any(Number), result: 's1 done' },
      { index: 1, tool: 'p1', success: true, duration_ms: expect.any(Number), result: 'p1 done' },
      { index: 2, tool: 's2', success: true, duration_ms: expect.any(Number), result: 's2 done' },
      { index: 3, tool: 'p2', success: true, duration_ms: expect.any(Number), result: 'p2 done' },
    ]);

    const record = result.tool_calls.find((r) => r.tool === 'batch');
    expect(record).toMatchObject({ call_id: 'b1', output: { outcome: { status: 'success' } } });
    expect(record.output.outcome.payload.results.map((r) => [r.index, r.tool, r.success])).toEqual([
      [0, 's1', true],
      [1, 'p1', true],
      [2, 's2', true],
      [3, 'p2', true],
    ]);
  });

  test('a failing inner call is reported as success:false with lash\'s failure payload; nested batch is refused', async () => {
    const log = [];
    const provider = new ScriptedProvider([
      {
        toolCalls: [
          batchCall('b1', [
            { tool: 'p1', parameters: {} },
            { tool: 'nope', parameters: {} },
            { tool: 'batch', parameters: { tool_calls: [] } },
          ]),
        ],
      },
      { text: 'ok' },
    ]);
    const session = await openSession({ provider, tools: loggingTools(log, [{ name: 'p1', scheduling: 'parallel' }]) });

    await session.turn('go').run();

    const [toolResult] = toolResultsOf(provider.requests[1]);
    const { results } = JSON.parse(toolResult.content);
    expect(results.map((r) => [r.index, r.tool, r.success])).toEqual([
      [0, 'p1', true],
      [1, 'nope', false],
      [2, 'batch', false],
    ]);
    expect(results[0].result).toBe('p1 done');
    expect(results[1].error).toMatchObject({
      class: 'unavailable',
      code: 'tool_unavailable',
      message: TOOL_UNAVAILABLE,
    });
    expect(results[2]).toEqual({ index: 2, tool: 'batch', success: false, duration_ms: 0, error: NESTED_BATCH });
  });

  // Argument errors. The batch contract's input schema (lash-protocol-standard/src/batch.rs:8-27)
  // is checked before the tool runs (preparation.rs:130), so shape errors come from
  // schema_validation.rs; per-entry tool-name errors come from batch.rs's own parser (lib.rs:290-331).
  test.each([
    ['tool_calls missing', {}, 'tool_calls: required property missing'],
    ['tool_calls empty', { tool_calls: [] }, 'tool_calls: expected array items >= 1 items <= 25, got 0 items'],
    ['an entry that is not an object', { tool_calls: [5] }, 'tool_calls[0]: expected object, got 5'],
    ['an empty tool name', { tool_calls: [{ tool: '', parameters: {} }] }, batchToolNotString(0)],
    [
      'a blank tool name after a valid entry',
      { tool_calls: [{ tool: 'p1', parameters: {} }, { tool: '   ', parameters: {} }] },
      batchToolNotString(1),
    ],
  ])('validation: %s -> a failed batch (projected as empty results) and nothing runs', async (_label, args, message) => {
    const log = [];
    const provider = new ScriptedProvider([{ toolCalls: [call('b1', 'batch', args)] }, { text: 'ok' }]);
    const session = await openSession({ provider, tools: loggingTools(log, [{ name: 'p1', scheduling: 'parallel' }]) });

    const { result } = await session.turn('go').run();

    expect(result.assistantMessage()).toBe('ok');
    expect(log).toEqual([]);
    // Every outcome, preparation failures included, goes through the tool-result projector
    // (lash-core/src/session/tool_execution.rs:354). With the default tool_output_budget plugin a
    // `batch` result is projected structurally (lash-plugin-tool-output-budget/src/lib.rs:312-316,
    // 671-695): a failure object has no `results`, so the model sees an empty results list while
    // the turn's record keeps the failure and its message.
    expect(toolResultsOf(provider.requests[1])).toEqual([
      { call_id: 'b1', content: '{"results":[]}', tool_name: 'batch' },
    ]);
    expect(result.tool_calls[0].output.outcome).toMatchObject({ status: 'failure', payload: { message } });
  });
});

describe('several tool calls in one model response', () => {
  test('parallel tools overlap in time; results reach the model in call order', async () => {
    const log = [];
    const provider = new ScriptedProvider([
      { toolCalls: [call('c1', 'slow'), call('c2', 'fast'), call('c3', 'medium')] },
      { text: 'all done' },
    ]);
    const session = await openSession({
      provider,
      tools: loggingTools(log, [
        { name: 'slow', scheduling: 'parallel', ms: 40 },
        { name: 'fast', scheduling: 'parallel', ms: 5 },
        { name: 'medium', scheduling: 'parallel', ms: 20 },
      ]),
    });

    const { result, activities } = await session.turn('go').run();

    expect(result.assistantMessage()).toBe('all done');
    // Every call started before any finished.
    const firstEnd = log.findIndex((e) => e.event.startsWith('end:'));
    expect(log.slice(0, firstEnd).map((e) => e.event).sort()).toEqual(['start:fast', 'start:medium', 'start:slow']);

    // One assistant message with the three ToolCall blocks, one user message with three
    // ToolResult blocks in call order, whatever the completion order was.
    const r2 = provider.requests[1];
    expect(shapeOf(r2).slice(2)).toEqual([
      ['Assistant', 'ToolCall', 'ToolCall', 'ToolCall'],
      ['User', 'ToolResult', 'ToolResult', 'ToolResult'],
    ]);
    expect(toolResultsOf(r2)).toEqual([
      { call_id: 'c1', content: 'slow done', tool_name: 'slow' },
      { call_id: 'c2', content: 'fast done', tool_name: 'fast' },
      { call_id: 'c3', content: 'medium done', tool_name: 'medium' },
    ]);
    expect(result.tool_calls.map((r) => r.call_id)).toEqual(['c1', 'c2', 'c3']);

    const started = activities.filter((a) => a.type === 'tool_call_started').map((a) => a.correlation_id);
    const completed = activities.filter((a) => a.type === 'tool_call_completed').map((a) => a.correlation_id);
    expect(started.sort()).toEqual(['tool:c1', 'tool:c2', 'tool:c3']);
    expect(completed.sort()).toEqual(['tool:c1', 'tool:c2', 'tool:c3']);
  });
});

// ===========================================================================
// Tool-output budget (lash-plugin-tool-output-budget, default in StandardCore)
// ===========================================================================

describe('tool-output budget', () => {
  test('a 500-line output is cut to 400 lines for the model; result.tool_calls keeps it whole', async () => {
    const lines = Array.from({ length: 500 }, (_, i) => `line ${i + 1}`);
    const full = lines.join('\n');
    const provider = new ScriptedProvider([{ toolCalls: [call('c1', 'dump')] }, { text: 'read it' }]);
    const session = await openSession({
      provider,
      tools: [{ name: 'dump', description: 'Dumps lines.', inputSchema: OBJECT_SCHEMA, execute: async () => full }],
    });

    const { result, activities } = await session.turn('dump').run();

    // Head window of max_lines = 400 (lib.rs:18), line cap hit -> unit "lines" (lib.rs:188-193),
    // format "{preview}\n\n...{N} {unit} truncated...\n\n{hint}" (lib.rs:199).
    const expected = `${lines.slice(0, 400).join('\n')}\n\n...100 lines truncated...\n\n${TRUNCATION_HINT}`;
    expect(toolResultsOf(provider.requests[1])).toEqual([{ call_id: 'c1', content: expected, tool_name: 'dump' }]);

    expect(result.tool_calls[0].output).toEqual({ outcome: { status: 'success', payload: full } });
    const completed = activities.find((a) => a.type === 'tool_call_completed');
    expect(completed.output).toEqual({ outcome: { status: 'success', payload: full } });
    // The committed graph keeps the projected ToolResult the model saw.
    const view = await session.readView();
    expect(view.messages[2].parts[0]).toMatchObject({ kind: 'ToolResult', content: expected });
  });

  test('output within 400 lines and 16 KiB passes through unchanged', async () => {
    const full = Array.from({ length: 400 }, (_, i) => `row ${i}`).join('\n');
    const provider = new ScriptedProvider([{ toolCalls: [call('c1', 'dump')] }, { text: 'ok' }]);
    const session = await openSession({
      provider,
      tools: [{ name: 'dump', description: 'Dumps lines.', inputSchema: OBJECT_SCHEMA, execute: async () => full }],
    });

    await session.turn('dump').run();

    expect(toolResultsOf(provider.requests[1])[0].content).toBe(full);
  });
});

// ===========================================================================
// Prompt rendering
// ===========================================================================

describe('system prompt', () => {
  test('the default standard prompt is lash\'s intro, execution and guidance sections', async () => {
    const provider = new ScriptedProvider([{ text: 'hi' }]);
    const session = await openSession({ provider });

    await session.turn('hello').run();

    expect(systemText(provider.requests[0])).toBe(DEFAULT_SYSTEM_PROMPT);
  });

  test('core .instructions() renders under "### Project Instructions" in the Guidance section', async () => {
    const provider = new ScriptedProvider([{ text: 'hi' }]);
    const session = await openSession({ provider, configure: (b) => b.instructions('Be terse.') });

    await session.turn('hello').run();

    const system = systemText(provider.requests[0]);
    expect(system).toBe(
      [INTRO, `## Execution\n\n${STANDARD_EXECUTION_SECTION}`, `## Guidance\n\n${CORE_GUIDANCE}\n\n${projectInstructions('Be terse.')}`].join(
        '\n\n',
      ),
    );
  });

  test('turn-level .instructions() apply to that turn only', async () => {
    const provider = new ScriptedProvider([{ text: 'one' }, { text: 'two' }]);
    const session = await openSession({ provider });

    await session.turn('first').instructions('Only this turn.').run();
    await session.turn('second').run();

    expect(systemText(provider.requests[0])).toContain(projectInstructions('Only this turn.'));
    expect(systemText(provider.requests[1])).toBe(DEFAULT_SYSTEM_PROMPT);
  });
});

// ===========================================================================
// Streaming surfaces
// ===========================================================================

describe('streaming', () => {
  test('stream() yields the same activity types, in order, as run() and .result resolves', async () => {
    const runSession = await openSession({}, 'run');
    const { activities: ranActivities } = await runSession.turn('hello').run();

    const streamSession = await openSession({}, 'stream');
    const stream = streamSession.turn('hello').stream();
    const streamed = [];
    for await (const activity of stream) streamed.push(activity);
    const result = await stream.result;

    expect(typesOf(streamed)).toEqual(typesOf(ranActivities));
    expect(proseOf(streamed)).toBe('echo: hello');
    expect(result.outcome).toEqual({ finished: { assistant_message: { text: 'echo: hello' } } });
    expect(result.assistantMessage()).toBe('echo: hello');
  });

  test('streamTo(fn) delivers every activity and returns the TurnResult', async () => {
    const session = await openSession();
    const seen = [];

    const result = await session.turn('hello').streamTo((activity) => {
      seen.push(activity);
    });

    expect(result.assistantMessage()).toBe('echo: hello');
    expect(proseOf(seen)).toBe('echo: hello');
    expect(typesOf(seen)).toContain('usage');
  });

  test('streamTo({ emit }) awaits an async sink: every emit has settled when the result arrives', async () => {
    const session = await openSession();
    const begun = [];
    const settled = [];

    const result = await session.turn('hello').streamTo({
      async emit(activity) {
        begun.push(activity.type);
        await sleep(1);
        settled.push(activity.type);
      },
    });

    expect(result.isSuccess()).toBe(true);
    expect(begun).toContain('assistant_prose_delta');
    expect(settled).toEqual(begun);
  });

  test('a throwing sink does not abort the turn', async () => {
    const session = await openSession();
    let calls = 0;

    const result = await session.turn('hello').streamTo(() => {
      calls += 1;
      throw new Error('sink broke');
    });

    expect(calls).toBeGreaterThan(0);
    expect(result.outcome).toEqual({ finished: { assistant_message: { text: 'echo: hello' } } });
    const view = await session.readView();
    expect(view.messages).toHaveLength(2);
  });

  test('a rejecting async sink does not abort the turn', async () => {
    const session = await openSession();

    const result = await session.turn('hello').streamTo({
      emit: async () => {
        throw new Error('sink broke');
      },
    });

    expect(result.assistantMessage()).toBe('echo: hello');
  });

  test('activity ids are unique non-empty strings and every activity has a correlation id', async () => {
    const provider = new ScriptedProvider([
      { toolCalls: [call('c1', 'noop'), call('c2', 'noop')] },
      { text: 'done' },
    ]);
    const session = await openSession({
      provider,
      tools: [{ name: 'noop', description: 'No-op.', inputSchema: OBJECT_SCHEMA, execute: async () => 'ok' }],
    });

    const { activities } = await session.turn('go').run();

    expect(activities.length).toBeGreaterThan(4);
    const ids = activities.map((a) => a.id);
    for (const activity of activities) {
      expect(typeof activity.id).toBe('string');
      expect(activity.id.length).toBeGreaterThan(0);
      expect(typeof activity.correlation_id).toBe('string');
      expect(activity.correlation_id.length).toBeGreaterThan(0);
      expect(typeof activity.type).toBe('string');
    }
    expect(new Set(ids).size).toBe(ids.length);
  });
});
