// The host-op contract from the JavaScript side: js/core/ops.js (generated from
// include/lash/lash.h, lash_host.h, lash_ops.h) names every op the JS host answers,
// and the errors JavaScript raises itself carry the shared table's codes and texts.
import { CoreInstance } from '../js/core/driver.js';
import * as ops from '../js/core/ops.js';
import {
  StandardCore, ScriptedProvider, ModelSpec, InlineEffectHost, InMemoryAttachmentStore,
  InMemoryProcessExecutionEnvStore, InMemorySessionStoreFactory, LashError,
} from '../js/index.js';

const cores = [];
afterEach(() => { while (cores.length) cores.pop().close(); });

function builder(extra = (b) => b) {
  return extra(StandardCore.builder().provider(new ScriptedProvider([{ text: 'hi' }], { kind: 'p' }))
    .model(ModelSpec.fromTokenLimits('m', null, 100000)).effectHost(new InlineEffectHost())
    .attachmentStore(new InMemoryAttachmentStore()).processEnvStore(new InMemoryProcessExecutionEnvStore()));
}

test('the JS host answers every op of lash_ops.h and listens to every notification', async () => {
  // Record what build() installs on the instance (a trace sink makes the trace notes flow).
  const installed = { op: new Set(), note: new Set() };
  const { onOp, onNotify } = CoreInstance.prototype;
  CoreInstance.prototype.onOp = function (name, h) { installed.op.add(name); return onOp.call(this, name, h); };
  CoreInstance.prototype.onNotify = function (name, h) { installed.note.add(name); return onNotify.call(this, name, h); };
  try {
    cores.push(await builder((b) => b.traceSink(() => {})).build());
  } finally {
    Object.assign(CoreInstance.prototype, { onOp, onNotify });
  }
  const byKind = (kind) => Object.keys(ops.OP_KINDS).filter((n) => ops.OP_KINDS[n] === kind).sort();
  expect([...installed.op].sort()).toEqual(byKind('op'));
  // cancel is the driver's own: it aborts the op's signal
  expect([...installed.note, ops.OP_CANCEL].sort()).toEqual(byKind('note'));
});

test('the generated table keeps the C ids and lash variant names, JS-only codes after the C ones', () => {
  // ids are the C enum order (include/lash/lash.h); lash_status numbers are ABI
  expect([ops.OK, ops.E_INVALID_ARGUMENT, ops.E_NOMEM, ops.E_UNKNOWN_OP]).toEqual([0, 1, 2, 4]);
  expect(ops.STATUS_NAMES[ops.E_PROCESS_REGISTRY_REQUIRES_STORE_FACTORY]).toBe('ProcessRegistryRequiresStoreFactory');
  expect(ops.E_SESSION).toBeGreaterThan(ops.E_PROCESS_REGISTRY_REQUIRES_STORE_FACTORY);
  expect(ops.STATUS_NAMES.slice(ops.E_SESSION)).toEqual(
    ['Session', 'Cancelled', 'CorePoisoned', 'CoreClosed', 'SessionClosed', 'WasmLoadFailed', 'Internal']);
  // lash's EmbedError::StoreFactory text (crates/lash/src/error.rs)
  expect(ops.STATUS_STORE_FACTORY.template).toBe('failed to create store for session `{argument}`: {detail}');
  expect(ops.MAX_ID_BYTES).toBe(1024);
  expect(ops.MAX_TEXT_BYTES).toBe(1 << 20);
});

test('a store factory that fails: StoreFactory with lash\'s message and the session id', async () => {
  const factory = new InMemorySessionStoreFactory();
  factory.createStore = async () => { throw new Error('disk on fire'); };
  const core = await builder((b) => b.storeFactory(factory)).build();
  cores.push(core);
  const err = await core.session('s1').open().catch((e) => e);
  expect(err).toBeInstanceOf(LashError);
  expect(err.code).toBe('StoreFactory');
  expect(err.message).toBe('failed to create store for session `s1`: disk on fire');
  expect(err.sessionId).toBe('s1');
});

test('a store that cannot load: Session, lash\'s "runtime session error: ..."', async () => {
  const factory = new InMemorySessionStoreFactory();
  const create = factory.createStore.bind(factory);
  factory.createStore = async (req) => {
    const store = await create(req);
    store.loadSession = async () => { throw new Error('unreadable'); };
    return store;
  };
  const core = await builder((b) => b.storeFactory(factory)).build();
  cores.push(core);
  const err = await core.session('s1').open().catch((e) => e);
  expect(err.code).toBe('Session');
  expect(err.message).toBe('runtime session error: failed to load store: unreadable');
});

test('a closed session handle and a closed core reject with their codes', async () => {
  const core = await builder().build();
  const s = await core.session('s1').open();
  s.close();
  const closed = await s.turn('hello').run().catch((e) => e);
  expect([closed.code, closed.message]).toEqual(['SessionClosed', 'session `s1` is closed']);
  core.close();
  const gone = await core.session('s2').open().catch((e) => e);
  expect([gone.code, gone.message]).toEqual(['CoreClosed', 'this core is closed']);
  expect(core.closed).toBe(true);
});
