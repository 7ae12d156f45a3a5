// Tool control (lash ToolControl): a tool can end the turn with a value (finish) or
// stop it with a tool error (fail); the first successful output with control decides
// (lash-protocol-standard handle_tool_results).
import { StandardCore, ScriptedProvider, ModelSpec, InlineEffectHost, InMemoryAttachmentStore,
  InMemoryProcessExecutionEnvStore, defineTools, toolFinish, toolFail } from '../js/index.js';

async function turnWith(tools, calls) {
  const provider = new ScriptedProvider([{ toolCalls: calls }, { text: 'should not be asked' }], { kind: 'p' });
  const core = await StandardCore.builder().provider(provider).model(ModelSpec.fromTokenLimits('m', null, 8192))
    .effectHost(new InlineEffectHost()).attachmentStore(new InMemoryAttachmentStore())
    .processEnvStore(new InMemoryProcessExecutionEnvStore()).tools(defineTools(tools)).build();
  const session = await core.session('s').open();
  const out = await session.turn('go').run();
  return { ...out, provider, core };
}

test('toolFinish ends the turn with finished.tool_value and no further model call', async () => {
  const { result, activities, provider, core } = await turnWith(
    [{ name: 'done', description: 'd', inputSchema: { type: 'object' }, execute: async () => toolFinish({ answer: 42 }) }],
    [{ id: 'c1', name: 'done', arguments: {} }],
  );
  expect(result.outcome).toEqual({ finished: { tool_value: { tool_name: 'done', value: { answer: 42 } } } });
  expect(result.isSuccess()).toBe(true);
  expect(provider.requests).toHaveLength(1);
  expect(activities.find((a) => a.type === 'tool_call_completed').output.control).toEqual({ type: 'finish', value: { answer: 42 } });
  core.close();
});

test('toolFail stops the turn with stopped.tool_error carrying the failure', async () => {
  const { result, provider, core } = await turnWith(
    [{ name: 'guard', description: 'g', inputSchema: { type: 'object' }, execute: async () => toolFail({ message: 'not allowed', code: 'policy' }) }],
    [{ id: 'c1', name: 'guard', arguments: {} }],
  );
  expect(result.outcome.stopped.tool_error.tool_name).toBe('guard');
  expect(result.outcome.stopped.tool_error.value).toMatchObject({ code: 'policy', message: 'not allowed' });
  expect(result.isSuccess()).toBe(false);
  expect(provider.requests).toHaveLength(1);
  core.close();
});

test('the first successful output with control decides, in call order', async () => {
  const { result, core } = await turnWith([
    { name: 'plain', description: 'p', inputSchema: { type: 'object' }, execute: async () => 'just a value' },
    { name: 'first', description: 'f', inputSchema: { type: 'object' }, execute: async () => toolFinish('one') },
    { name: 'second', description: 's', inputSchema: { type: 'object' }, execute: async () => toolFinish('two') },
  ], [{ id: 'a', name: 'plain', arguments: {} }, { id: 'b', name: 'first', arguments: {} }, { id: 'c', name: 'second', arguments: {} }]);
  expect(result.outcome).toEqual({ finished: { tool_value: { tool_name: 'first', value: 'one' } } });
  expect(result.tool_calls.map((r) => r.tool)).toEqual(['plain', 'first', 'second']);
  core.close();
});
