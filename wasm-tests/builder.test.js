// Black-box tests for the core builders: validation order (spec §1.4), store
// peer-coherence by durability tier (§1.5), exact EmbedError texts (§1.6) and
// process work runner setups (§1.7). Expected values follow lash's
// crates/lash/src/core.rs and error.rs at the pinned commit.
import {
  StandardCore,
  RlmCore,
  LashCore,
  protocols,
  LashError,
  ModelSpec,
  EchoProvider,
  ScriptedProvider,
  InMemorySessionStoreFactory,
  InMemoryAttachmentStore,
  InMemoryProcessExecutionEnvStore,
  InMemoryTriggerStore,
  InMemoryProcessRegistry,
  InMemoryLiveReplayStore,
  InMemoryLashlangArtifactStore,
  InlineEffectHost,
} from '../js/index.js';

// ---------------------------------------------------------------------------
// Exact messages (spec §1.6 == lash error.rs)
// ---------------------------------------------------------------------------
const MSG = {
  MissingProtocolPlugin:
    'protocol plugin is required; call .protocol_plugin(...) or use StandardCore::builder()/RlmCore::builder()',
  MissingModelSpec: 'model spec is required; hosts must supply explicit model metadata',
  MissingEffectHost:
    'effect host is required; provide an explicit effect host with .effect_host(...)',
  MissingLashlangArtifactStore:
    'lashlang artifact store is required; provide an explicit Lashlang artifact store with .lashlang_artifact_store(...)',
  MissingAttachmentStore:
    'attachment store is required; provide an explicit attachment store with .attachment_store(...)',
  MissingProcessEnvStore:
    'process execution environment store is required; provide an explicit process env store with .process_env_store(...)',
  DurableProcessRegistryRequiresStoreFactory:
    'durable process registry requires a durable session store factory; call .store_factory(...) with a durable store',
  ProcessRegistryRequiresStoreFactory:
    'a process registry is configured for the default inline process work runner but no session store factory is wired; the runner rebuilds a session runtime per process and cannot do so without one. Wire .store_factory(...) - InMemorySessionStoreFactory::new() for ephemeral process execution, or a durable factory - or use .process_work_driver(...) for an externally driven durable runner.',
};
const peerMsg = (facet) =>
  `durable session store requires a durable ${facet}; an ephemeral ${facet} cannot back a durable session store`;

const F_ATTACH = 'attachment store';
const F_PENV = 'process execution environment store';
const F_TRIGGER = 'trigger store';
const F_SESSION = 'session store factory';
const F_REGISTRY = 'process registry';
const F_ARTIFACT = 'artifact store';

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------
const MODEL = { id: 'test-model', limits: { context_window_tokens: 8192 } };
const durable = () => ({ durabilityTier: 'durable' }); // caller-made durable store/host
const inlineStore = () => ({ durabilityTier: 'inline' }); // caller-made inline store/host
const driver = (processRegistry, poke = () => {}) => ({ processRegistry, poke });

// StandardCore builder with provider, model and the three required facets, all inline.
const base = () =>
  StandardCore.builder()
    .provider(new EchoProvider())
    .model(MODEL)
    .effectHost(new InlineEffectHost())
    .attachmentStore(new InMemoryAttachmentStore())
    .processEnvStore(new InMemoryProcessExecutionEnvStore());

// StandardCore builder with provider + model only (no facets).
const bare = () => StandardCore.builder().provider(new EchoProvider()).model(MODEL);

// RlmCore builder equivalent of base(), with an inline artifact store.
const rlmBase = () =>
  RlmCore.builder()
    .provider(new EchoProvider())
    .model(MODEL)
    .effectHost(new InlineEffectHost())
    .attachmentStore(new InMemoryAttachmentStore())
    .processEnvStore(new InMemoryProcessExecutionEnvStore())
    .lashlangArtifactStore(new InMemoryLashlangArtifactStore());

async function closeQuietly(core) {
  if (core && typeof core.close === 'function') {
    try {
      await core.close();
    } catch {
      /* ignore */
    }
  }
}

// Builds and expects a rejection with exactly the given LashError fields.
async function expectBuildError(builder, expected) {
  let core;
  let err;
  try {
    core = await builder.build();
  } catch (e) {
    err = e;
  }
  if (err === undefined) {
    await closeQuietly(core);
    throw new Error(`expected build() to reject with ${expected.code}, but it resolved`);
  }
  expect(err).toBeInstanceOf(LashError);
  expect(err).toBeInstanceOf(Error);
  expect(err.code).toBe(expected.code);
  if (expected.message !== undefined) expect(err.message).toBe(expected.message);
  if (expected.facet !== undefined) expect(err.facet).toBe(expected.facet);
  if (expected.argument !== undefined) {
    expect(err.argument).toBe(expected.argument);
    expect(err.message).toContain(expected.argument);
  }
  return err;
}

const expectPeer = (builder, facet) =>
  expectBuildError(builder, { code: 'DurableStorePeerRequired', facet, message: peerMsg(facet) });
const expectMissing = (builder, code) => expectBuildError(builder, { code, message: MSG[code] });
const expectInvalid = (builder, argument) =>
  expectBuildError(builder, { code: 'InvalidArgument', argument });

// Builds, runs `check(core)`, always closes.
async function expectBuilds(builder, check = () => {}) {
  const core = await builder.build();
  try {
    expect(core).toBeTruthy();
    await check(core);
  } finally {
    await closeQuietly(core);
  }
  return core;
}

// Calls a builder method and asserts it does not throw (errors are recorded for build()).
function recorded(fn) {
  let b;
  expect(() => {
    b = fn();
  }).not.toThrow();
  return b;
}

// ---------------------------------------------------------------------------
// §1.6 sanity: durability tiers of shipped stores
// ---------------------------------------------------------------------------
describe('shipped stores report the inline tier', () => {
  test('in-memory stores and InlineEffectHost have durabilityTier "inline"', () => {
    for (const s of [
      new InMemorySessionStoreFactory(),
      new InMemoryAttachmentStore(),
      new InMemoryProcessExecutionEnvStore(),
      new InMemoryTriggerStore(),
      new InMemoryProcessRegistry(),
      new InMemoryLiveReplayStore(),
      new InMemoryLashlangArtifactStore(),
      new InlineEffectHost(),
    ]) {
      expect(s.durabilityTier).toBe('inline');
    }
  });
});

// ---------------------------------------------------------------------------
// §1.4 validation order
// ---------------------------------------------------------------------------
describe('§1.4 build() validation order', () => {
  test('build() returns a promise that rejects (never throws synchronously)', async () => {
    let p;
    expect(() => {
      p = bare().build();
    }).not.toThrow();
    expect(p).toBeDefined();
    expect(typeof p.then).toBe('function');
    await expect(p).rejects.toBeInstanceOf(LashError);
  });

  test('StandardCore with only provider+model -> MissingEffectHost', async () => {
    await expectMissing(bare(), 'MissingEffectHost');
  });

  test('StandardCore with effect host but no attachment store -> MissingAttachmentStore', async () => {
    await expectMissing(bare().effectHost(new InlineEffectHost()), 'MissingAttachmentStore');
  });

  test('StandardCore with effect host + attachment store but no process env store -> MissingProcessEnvStore', async () => {
    await expectMissing(
      bare().effectHost(new InlineEffectHost()).attachmentStore(new InMemoryAttachmentStore()),
      'MissingProcessEnvStore',
    );
  });

  test('missing effect host is reported before missing attachment/process env stores even when those are set', async () => {
    await expectMissing(
      bare()
        .attachmentStore(new InMemoryAttachmentStore())
        .processEnvStore(new InMemoryProcessExecutionEnvStore()),
      'MissingEffectHost',
    );
  });

  test('no model -> MissingModelSpec before MissingEffectHost', async () => {
    await expectMissing(StandardCore.builder().provider(new EchoProvider()), 'MissingModelSpec');
  });

  test('no model and no provider -> MissingModelSpec', async () => {
    await expectMissing(StandardCore.builder(), 'MissingModelSpec');
  });

  test('no model with all facets wired -> MissingModelSpec', async () => {
    await expectMissing(
      StandardCore.builder()
        .provider(new EchoProvider())
        .effectHost(new InlineEffectHost())
        .attachmentStore(new InMemoryAttachmentStore())
        .processEnvStore(new InMemoryProcessExecutionEnvStore()),
      'MissingModelSpec',
    );
  });

  test('LashCore without protocol plugin -> MissingProtocolPlugin', async () => {
    await expectMissing(
      LashCore.builder()
        .provider(new EchoProvider())
        .model(MODEL)
        .effectHost(new InlineEffectHost())
        .attachmentStore(new InMemoryAttachmentStore())
        .processEnvStore(new InMemoryProcessExecutionEnvStore()),
      'MissingProtocolPlugin',
    );
  });

  test('LashCore without protocol plugin and without model -> MissingProtocolPlugin before MissingModelSpec', async () => {
    await expectMissing(LashCore.builder(), 'MissingProtocolPlugin');
  });

  test('peer-coherence errors come before MissingProtocolPlugin', async () => {
    await expectPeer(
      LashCore.builder().storeFactory(durable()).attachmentStore(new InMemoryAttachmentStore()),
      F_ATTACH,
    );
  });

  test('peer-coherence errors come before MissingModelSpec', async () => {
    await expectPeer(
      StandardCore.builder().effectHost(durable()).attachmentStore(new InMemoryAttachmentStore()),
      F_ATTACH,
    );
  });

  test('LashCore with protocol but no model -> MissingModelSpec', async () => {
    await expectMissing(
      LashCore.builder().protocolPlugin(protocols.standard()).provider(new EchoProvider()),
      'MissingModelSpec',
    );
  });

  test('LashCore with protocol + model but no facets -> MissingEffectHost', async () => {
    await expectMissing(
      LashCore.builder().protocolPlugin(protocols.standard()).provider(new EchoProvider()).model(MODEL),
      'MissingEffectHost',
    );
  });

  test('MissingEffectHost comes before ProcessRegistryRequiresStoreFactory', async () => {
    await expectMissing(bare().processRegistry(new InMemoryProcessRegistry()), 'MissingEffectHost');
  });

  test('MissingProcessEnvStore comes before ProcessRegistryRequiresStoreFactory', async () => {
    await expectMissing(
      bare()
        .effectHost(new InlineEffectHost())
        .attachmentStore(new InMemoryAttachmentStore())
        .processRegistry(new InMemoryProcessRegistry()),
      'MissingProcessEnvStore',
    );
  });

  test('RlmCore without artifact store -> MissingLashlangArtifactStore', async () => {
    await expectMissing(
      RlmCore.builder().provider(new EchoProvider()).model(MODEL),
      'MissingLashlangArtifactStore',
    );
  });

  test('RlmCore without artifact store and nothing else -> MissingLashlangArtifactStore before MissingModelSpec', async () => {
    await expectMissing(RlmCore.builder(), 'MissingLashlangArtifactStore');
  });

  test('RlmCore without artifact store -> MissingLashlangArtifactStore before peer-coherence errors', async () => {
    await expectMissing(
      RlmCore.builder()
        .provider(new EchoProvider())
        .model(MODEL)
        .storeFactory(durable())
        .attachmentStore(new InMemoryAttachmentStore())
        .processRegistry(durable()),
      'MissingLashlangArtifactStore',
    );
  });

  test('RlmCore with artifact store but no facets -> MissingEffectHost', async () => {
    await expectMissing(
      RlmCore.builder()
        .provider(new EchoProvider())
        .model(MODEL)
        .lashlangArtifactStore(new InMemoryLashlangArtifactStore()),
      'MissingEffectHost',
    );
  });

  test('RlmCore with artifact store but no model -> MissingModelSpec', async () => {
    await expectMissing(
      RlmCore.builder().lashlangArtifactStore(new InMemoryLashlangArtifactStore()),
      'MissingModelSpec',
    );
  });

  test('RlmCore durable session factory + inline artifact store -> DurableStorePeerRequired "artifact store"', async () => {
    await expectPeer(
      rlmBase()
        .storeFactory(durable())
        .attachmentStore(durable())
        .processEnvStore(durable()),
      F_ARTIFACT,
    );
  });

  test('RlmCore artifact-store check runs before §1.5 rules (inline attachment too)', async () => {
    await expectPeer(rlmBase().storeFactory(durable()), F_ARTIFACT);
  });

  test('RlmCore artifact-store check reads the child factory tier (durable child, inline root)', async () => {
    await expectPeer(
      rlmBase()
        .storeFactory(new InMemorySessionStoreFactory())
        .childStoreFactory(durable())
        .attachmentStore(durable())
        .processEnvStore(durable()),
      F_ARTIFACT,
    );
  });

  test('RlmCore inline child factory + durable root + inline artifact store builds', async () => {
    await expectBuilds(
      rlmBase().storeFactory(durable()).childStoreFactory(new InMemorySessionStoreFactory()),
    );
  });

  test('RlmCore durable session factory + durable artifact store + inline attachment -> "attachment store"', async () => {
    await expectPeer(
      rlmBase().storeFactory(durable()).lashlangArtifactStore(durable()),
      F_ATTACH,
    );
  });

  test('RlmCore all-durable wiring builds', async () => {
    await expectBuilds(
      rlmBase()
        .storeFactory(durable())
        .lashlangArtifactStore(durable())
        .attachmentStore(durable())
        .processEnvStore(durable())
        .triggerStore(durable())
        .processRegistry(durable()),
      (core) => expect(core.processWorkRunnerSetup).toBe('lazy'),
    );
  });

  test('RlmCore inline registry without store factory -> ProcessRegistryRequiresStoreFactory', async () => {
    await expectMissing(
      rlmBase().processRegistry(new InMemoryProcessRegistry()),
      'ProcessRegistryRequiresStoreFactory',
    );
  });
});

// ---------------------------------------------------------------------------
// §1.5 peer coherence
// ---------------------------------------------------------------------------
describe('§1.5 rule 1: durable session store factory', () => {
  test('durable factory + inline attachment store -> "attachment store"', async () => {
    await expectPeer(base().storeFactory(durable()), F_ATTACH);
  });

  test('durable factory + durable attachment + inline process env store -> "process execution environment store"', async () => {
    await expectPeer(base().storeFactory(durable()).attachmentStore(durable()), F_PENV);
  });

  test('durable factory: attachment facet is checked before process env facet', async () => {
    await expectPeer(
      base().storeFactory(durable()).processEnvStore(new InMemoryProcessExecutionEnvStore()),
      F_ATTACH,
    );
  });

  test('durable factory + missing attachment passes rule 1 then fails MissingAttachmentStore', async () => {
    await expectMissing(
      bare().storeFactory(durable()).effectHost(new InlineEffectHost()).processEnvStore(durable()),
      'MissingAttachmentStore',
    );
  });

  test('durable factory + missing process env passes rule 1 then fails MissingProcessEnvStore', async () => {
    await expectMissing(
      bare().storeFactory(durable()).effectHost(new InlineEffectHost()).attachmentStore(durable()),
      'MissingProcessEnvStore',
    );
  });

  test('durable factory + missing effect host/attachment/process env -> MissingEffectHost', async () => {
    await expectMissing(bare().storeFactory(durable()), 'MissingEffectHost');
  });

  test('durable factory + durable attachment + durable process env builds', async () => {
    await expectBuilds(
      base().storeFactory(durable()).attachmentStore(durable()).processEnvStore(durable()),
      (core) => expect(core.processWorkRunnerSetup).toBe('none'),
    );
  });

  test('durable child factory + inline root factory makes S durable', async () => {
    await expectPeer(
      base().storeFactory(new InMemorySessionStoreFactory()).childStoreFactory(durable()),
      F_ATTACH,
    );
  });

  test('durable child factory alone makes S durable', async () => {
    await expectPeer(base().childStoreFactory(durable()).attachmentStore(durable()), F_PENV);
  });

  test('inline child factory + durable root factory makes S inline (builds with inline peers)', async () => {
    await expectBuilds(
      base().storeFactory(durable()).childStoreFactory(new InMemorySessionStoreFactory()),
    );
  });

  test('inline session factory with inline peers builds', async () => {
    await expectBuilds(base().storeFactory(new InMemorySessionStoreFactory()));
  });
});

describe('§1.5 rule 2: durable process registry', () => {
  test('durable registry without any store factory -> DurableProcessRegistryRequiresStoreFactory', async () => {
    await expectMissing(
      base().processRegistry(durable()),
      'DurableProcessRegistryRequiresStoreFactory',
    );
  });

  test('durable registry with an inline store factory -> DurableProcessRegistryRequiresStoreFactory', async () => {
    await expectMissing(
      base().storeFactory(new InMemorySessionStoreFactory()).processRegistry(durable()),
      'DurableProcessRegistryRequiresStoreFactory',
    );
  });

  test('durable registry with durable root but inline child factory -> DurableProcessRegistryRequiresStoreFactory', async () => {
    await expectMissing(
      base()
        .storeFactory(durable())
        .childStoreFactory(new InMemorySessionStoreFactory())
        .processRegistry(durable()),
      'DurableProcessRegistryRequiresStoreFactory',
    );
  });

  test('durable registry via an external driver without store factory -> DurableProcessRegistryRequiresStoreFactory', async () => {
    await expectMissing(
      base().processWorkDriver(driver(durable())),
      'DurableProcessRegistryRequiresStoreFactory',
    );
  });

  test('durable registry + durable factory + missing trigger store -> "trigger store"', async () => {
    await expectPeer(
      base()
        .storeFactory(durable())
        .attachmentStore(durable())
        .processEnvStore(durable())
        .processRegistry(durable()),
      F_TRIGGER,
    );
  });

  test('durable registry + durable factory + inline trigger store -> "trigger store"', async () => {
    await expectPeer(
      base()
        .storeFactory(durable())
        .attachmentStore(durable())
        .processEnvStore(durable())
        .triggerStore(new InMemoryTriggerStore())
        .processRegistry(durable()),
      F_TRIGGER,
    );
  });

  test('durable registry + durable factory + durable trigger + missing process env -> "process execution environment store" (before MissingProcessEnvStore)', async () => {
    await expectPeer(
      bare()
        .effectHost(new InlineEffectHost())
        .attachmentStore(durable())
        .storeFactory(durable())
        .triggerStore(durable())
        .processRegistry(durable()),
      F_PENV,
    );
  });

  test('durable registry + missing trigger store fires before MissingEffectHost', async () => {
    await expectPeer(
      bare().storeFactory(durable()).processRegistry(durable()),
      F_TRIGGER,
    );
  });

  test('durable registry without factory fires before MissingEffectHost', async () => {
    await expectMissing(bare().processRegistry(durable()), 'DurableProcessRegistryRequiresStoreFactory');
  });

  test('rule 1 is checked before rule 2 (inline attachment beats missing trigger store)', async () => {
    await expectPeer(base().storeFactory(durable()).processRegistry(durable()), F_ATTACH);
  });

  test('durable registry + fully durable peers builds with lazy runner', async () => {
    await expectBuilds(
      base()
        .storeFactory(durable())
        .attachmentStore(durable())
        .processEnvStore(durable())
        .triggerStore(durable())
        .processRegistry(durable()),
      (core) => expect(core.processWorkRunnerSetup).toBe('lazy'),
    );
  });

  test('durable registry with only a durable child factory builds (child is the effective factory)', async () => {
    await expectBuilds(
      base()
        .childStoreFactory(durable())
        .attachmentStore(durable())
        .processEnvStore(durable())
        .triggerStore(durable())
        .processRegistry(durable()),
      (core) => expect(core.processWorkRunnerSetup).toBe('lazy'),
    );
  });
});

describe('§1.5 rule 3: durable trigger store', () => {
  test('durable trigger store without store factory -> "session store factory"', async () => {
    await expectPeer(base().triggerStore(durable()), F_SESSION);
  });

  test('durable trigger store with inline store factory -> "session store factory"', async () => {
    await expectPeer(
      base().storeFactory(new InMemorySessionStoreFactory()).triggerStore(durable()),
      F_SESSION,
    );
  });

  test('durable trigger store + durable factory + missing process env -> "process execution environment store"', async () => {
    await expectPeer(
      bare()
        .effectHost(new InlineEffectHost())
        .attachmentStore(durable())
        .storeFactory(durable())
        .triggerStore(durable()),
      F_PENV,
    );
  });

  test('durable trigger store + durable factory/peers + inline registry -> "process registry"', async () => {
    await expectPeer(
      base()
        .storeFactory(durable())
        .attachmentStore(durable())
        .processEnvStore(durable())
        .triggerStore(durable())
        .processRegistry(new InMemoryProcessRegistry()),
      F_REGISTRY,
    );
  });

  test('durable trigger store + inline registry from an external driver -> "process registry"', async () => {
    await expectPeer(
      base()
        .storeFactory(durable())
        .attachmentStore(durable())
        .processEnvStore(durable())
        .triggerStore(durable())
        .processWorkDriver(driver(new InMemoryProcessRegistry())),
      F_REGISTRY,
    );
  });

  test('durable trigger store + durable factory/peers and no registry builds', async () => {
    await expectBuilds(
      base()
        .storeFactory(durable())
        .attachmentStore(durable())
        .processEnvStore(durable())
        .triggerStore(durable()),
      (core) => expect(core.processWorkRunnerSetup).toBe('none'),
    );
  });

  test('rule 2 is checked before rule 3 (durable registry without factory beats "session store factory")', async () => {
    await expectMissing(
      base().triggerStore(durable()).processRegistry(durable()),
      'DurableProcessRegistryRequiresStoreFactory',
    );
  });

  test('durable trigger store without factory fires before MissingEffectHost', async () => {
    await expectPeer(bare().triggerStore(durable()), F_SESSION);
  });

  test('inline trigger store with inline everything builds', async () => {
    await expectBuilds(base().triggerStore(new InMemoryTriggerStore()));
  });
});

describe('§1.5 rule 4: durable effect host', () => {
  test('durable effect host + inline attachment store -> "attachment store"', async () => {
    await expectPeer(base().effectHost(durable()), F_ATTACH);
  });

  test('durable effect host + durable attachment + inline process env -> "process execution environment store"', async () => {
    await expectPeer(base().effectHost(durable()).attachmentStore(durable()), F_PENV);
  });

  test('durable effect host + missing attachment -> "attachment store" (before MissingAttachmentStore)', async () => {
    await expectPeer(bare().effectHost(durable()).processEnvStore(durable()), F_ATTACH);
  });

  test('durable effect host + durable attachment + missing process env -> "process execution environment store" (before MissingProcessEnvStore)', async () => {
    await expectPeer(bare().effectHost(durable()).attachmentStore(durable()), F_PENV);
  });

  test('durable effect host with durable attachment + process env builds (no session factory needed)', async () => {
    await expectBuilds(
      base().effectHost(durable()).attachmentStore(durable()).processEnvStore(durable()),
    );
  });

  test('rule 3 is checked before rule 4 ("session store factory" beats "attachment store")', async () => {
    await expectPeer(base().effectHost(durable()).triggerStore(durable()), F_SESSION);
  });

  test('a caller-made inline effect host behaves like InlineEffectHost', async () => {
    await expectBuilds(base().effectHost(inlineStore()));
  });
});

describe('§1.5 tiers read through runtimeHostConfig', () => {
  const cfg = (o = {}) => ({
    effectHost: new InlineEffectHost(),
    attachmentStore: new InMemoryAttachmentStore(),
    processEnvStore: new InMemoryProcessExecutionEnvStore(),
    ...o,
  });

  test('runtimeHostConfig supplies the three facets (no Missing* errors)', async () => {
    await expectBuilds(bare().runtimeHostConfig(cfg()));
  });

  test('runtimeHostConfig does not bypass MissingModelSpec', async () => {
    await expectMissing(
      StandardCore.builder().provider(new EchoProvider()).runtimeHostConfig(cfg()),
      'MissingModelSpec',
    );
  });

  test('durable factory + inline attachment from runtimeHostConfig -> "attachment store"', async () => {
    await expectPeer(
      bare().storeFactory(durable()).runtimeHostConfig(cfg({ processEnvStore: durable() })),
      F_ATTACH,
    );
  });

  test('durable factory + inline process env from runtimeHostConfig -> "process execution environment store"', async () => {
    await expectPeer(
      bare().storeFactory(durable()).runtimeHostConfig(cfg({ attachmentStore: durable() })),
      F_PENV,
    );
  });

  test('durable effect host from runtimeHostConfig + inline attachment -> "attachment store"', async () => {
    await expectPeer(bare().runtimeHostConfig(cfg({ effectHost: durable() })), F_ATTACH);
  });

  test('explicit durable attachment store overrides the inline one from runtimeHostConfig', async () => {
    await expectBuilds(
      bare()
        .storeFactory(durable())
        .runtimeHostConfig(cfg({ processEnvStore: durable() }))
        .attachmentStore(durable()),
    );
  });

  test('explicit inline attachment store overrides the durable one from runtimeHostConfig', async () => {
    await expectPeer(
      bare()
        .storeFactory(durable())
        .attachmentStore(new InMemoryAttachmentStore())
        .runtimeHostConfig(cfg({ attachmentStore: durable(), processEnvStore: durable() })),
      F_ATTACH,
    );
  });

  test('explicit inline effect host overrides the durable one from runtimeHostConfig', async () => {
    await expectBuilds(
      bare().runtimeHostConfig(cfg({ effectHost: durable() })).effectHost(new InlineEffectHost()),
    );
  });

  test('all-durable runtimeHostConfig with durable factory builds', async () => {
    await expectBuilds(
      bare()
        .storeFactory(durable())
        .runtimeHostConfig({
          effectHost: durable(),
          attachmentStore: durable(),
          processEnvStore: durable(),
        }),
    );
  });
});

// ---------------------------------------------------------------------------
// §1.7 process work runner setups
// ---------------------------------------------------------------------------
describe('§1.7 process work runner setup', () => {
  test('no registry -> "none"', async () => {
    await expectBuilds(base(), (core) => expect(core.processWorkRunnerSetup).toBe('none'));
  });

  test('inline registry without store factory -> ProcessRegistryRequiresStoreFactory (exact message)', async () => {
    await expectMissing(
      base().processRegistry(new InMemoryProcessRegistry()),
      'ProcessRegistryRequiresStoreFactory',
    );
  });

  test('inline registry with root store factory -> "lazy"', async () => {
    await expectBuilds(
      base().storeFactory(new InMemorySessionStoreFactory()).processRegistry(new InMemoryProcessRegistry()),
      (core) => expect(core.processWorkRunnerSetup).toBe('lazy'),
    );
  });

  test('inline registry with child store factory only -> "lazy"', async () => {
    await expectBuilds(
      base()
        .childStoreFactory(new InMemorySessionStoreFactory())
        .processRegistry(new InMemoryProcessRegistry()),
      (core) => expect(core.processWorkRunnerSetup).toBe('lazy'),
    );
  });

  test('inline registry + inline trigger store + store factory -> "lazy"', async () => {
    await expectBuilds(
      base()
        .storeFactory(new InMemorySessionStoreFactory())
        .triggerStore(new InMemoryTriggerStore())
        .processRegistry(new InMemoryProcessRegistry()),
      (core) => expect(core.processWorkRunnerSetup).toBe('lazy'),
    );
  });

  test('external driver without any store factory builds -> "external" and is not poked at build', async () => {
    let pokes = 0;
    await expectBuilds(
      base().processWorkDriver(driver(new InMemoryProcessRegistry(), () => { pokes += 1; })),
      (core) => {
        expect(core.processWorkRunnerSetup).toBe('external');
        expect(pokes).toBe(0);
      },
    );
  });

  test('external driver with durable registry and durable peers -> "external"', async () => {
    await expectBuilds(
      base()
        .storeFactory(durable())
        .attachmentStore(durable())
        .processEnvStore(durable())
        .triggerStore(durable())
        .processWorkDriver(driver(durable())),
      (core) => expect(core.processWorkRunnerSetup).toBe('external'),
    );
  });

  test('last call wins: processWorkDriver after processRegistry -> "external" without factory', async () => {
    await expectBuilds(
      base()
        .processRegistry(new InMemoryProcessRegistry())
        .processWorkDriver(driver(new InMemoryProcessRegistry())),
      (core) => expect(core.processWorkRunnerSetup).toBe('external'),
    );
  });

  test('last call wins: processRegistry after processWorkDriver -> inline runner needs a factory', async () => {
    await expectMissing(
      base()
        .processWorkDriver(driver(new InMemoryProcessRegistry()))
        .processRegistry(new InMemoryProcessRegistry()),
      'ProcessRegistryRequiresStoreFactory',
    );
  });

  test('last call wins: inline registry replaces a durable driver registry for rule 2', async () => {
    await expectBuilds(
      base()
        .storeFactory(new InMemorySessionStoreFactory())
        .processWorkDriver(driver(durable()))
        .processRegistry(new InMemoryProcessRegistry()),
      (core) => expect(core.processWorkRunnerSetup).toBe('lazy'),
    );
  });
});

// ---------------------------------------------------------------------------
// Policy: provider id, model, max_turns, sessionSpec
// ---------------------------------------------------------------------------
describe('policy resolution', () => {
  test('policy.provider_id comes from the provider kind (EchoProvider -> "embed-test")', async () => {
    await expectBuilds(base(), (core) => {
      expect(core.policy.provider_id).toBe('embed-test');
    });
  });

  test('policy.provider_id comes from a ScriptedProvider custom kind', async () => {
    await expectBuilds(base().provider(new ScriptedProvider([], { kind: 'x' })), (core) => {
      expect(core.policy.provider_id).toBe('x');
    });
  });

  test('no provider -> policy.provider_id is ""', async () => {
    await expectBuilds(
      StandardCore.builder()
        .model(MODEL)
        .effectHost(new InlineEffectHost())
        .attachmentStore(new InMemoryAttachmentStore())
        .processEnvStore(new InMemoryProcessExecutionEnvStore()),
      (core) => expect(core.policy.provider_id).toBe(''),
    );
  });

  test('policy.model carries the model spec; session_id unset', async () => {
    await expectBuilds(base(), (core) => {
      expect(core.policy.model.id).toBe('test-model');
      expect(core.policy.model.limits.context_window_tokens).toBe(8192);
      expect(core.policy.session_id ?? null).toBeNull();
      expect(typeof core.policy.autonomous).toBe('boolean');
    });
  });

  test('policy.max_turns is unset without maxTurns()', async () => {
    await expectBuilds(base(), (core) => expect(core.policy.max_turns ?? null).toBeNull());
  });

  test('maxTurns(n) -> policy.max_turns', async () => {
    await expectBuilds(base().maxTurns(3), (core) => expect(core.policy.max_turns).toBe(3));
  });

  test('maxTurns: the last call wins', async () => {
    await expectBuilds(base().maxTurns(3).maxTurns(9), (core) =>
      expect(core.policy.max_turns).toBe(9),
    );
  });

  test('ModelSpec.fromTokenLimits model is used in the policy', async () => {
    const m = ModelSpec.fromTokenLimits('limits-model', undefined, 200000, 4096);
    await expectBuilds(base().model(m), (core) => {
      expect(core.policy.model.id).toBe('limits-model');
      expect(core.policy.model.limits.context_window_tokens).toBe(200000);
      expect(core.policy.model.limits.output_token_capacity).toBe(4096);
    });
  });

  test('sessionSpec({}) after provider/model drops the model -> MissingModelSpec', async () => {
    await expectMissing(
      StandardCore.builder()
        .provider(new EchoProvider())
        .model(MODEL)
        .sessionSpec({})
        .effectHost(new InlineEffectHost())
        .attachmentStore(new InMemoryAttachmentStore())
        .processEnvStore(new InMemoryProcessExecutionEnvStore()),
      'MissingModelSpec',
    );
  });

  test('sessionSpec({}) on a full builder -> MissingModelSpec', async () => {
    await expectMissing(base().sessionSpec({}), 'MissingModelSpec');
  });

  test('sessionSpec({}) drops max_turns; provider_id falls back to the provider kind', async () => {
    await expectBuilds(base().maxTurns(4).sessionSpec({}).model(MODEL), (core) => {
      expect(core.policy.max_turns ?? null).toBeNull();
      expect(core.policy.provider_id).toBe('embed-test');
      expect(core.policy.model.id).toBe('test-model');
    });
  });

  test('model() after sessionSpec({}) builds', async () => {
    await expectBuilds(base().sessionSpec({}).model(MODEL), (core) =>
      expect(core.policy.model.id).toBe('test-model'),
    );
  });
});

// ---------------------------------------------------------------------------
// Successful builds
// ---------------------------------------------------------------------------
describe('successful builds', () => {
  test('StandardCore all-inline builds and closes', async () => {
    const core = await base().build();
    expect(core).toBeTruthy();
    expect(core.processWorkRunnerSetup).toBe('none');
    await core.close();
  });

  test('RlmCore all-inline builds', async () => {
    await expectBuilds(rlmBase(), (core) => {
      expect(core.processWorkRunnerSetup).toBe('none');
      expect(core.policy.provider_id).toBe('embed-test');
    });
  });

  test('LashCore with protocols.standard() builds', async () => {
    await expectBuilds(
      LashCore.builder()
        .protocolPlugin(protocols.standard())
        .provider(new EchoProvider())
        .model(MODEL)
        .effectHost(new InlineEffectHost())
        .attachmentStore(new InMemoryAttachmentStore())
        .processEnvStore(new InMemoryProcessExecutionEnvStore()),
      (core) => {
        expect(core.processWorkRunnerSetup).toBe('none');
        expect(core.policy.provider_id).toBe('embed-test');
      },
    );
  });

  test('StandardCore with valid residency, traceLevel, instructions and live replay store builds', async () => {
    await expectBuilds(
      base()
        .residency('active_path_only')
        .traceLevel('extended')
        .instructions('be brief')
        .liveReplayStore(new InMemoryLiveReplayStore()),
    );
  });

  test('caller-made inline stores build like the shipped ones', async () => {
    await expectBuilds(
      bare()
        .effectHost(inlineStore())
        .attachmentStore(inlineStore())
        .processEnvStore(inlineStore())
        .storeFactory(inlineStore())
        .triggerStore(inlineStore()),
    );
  });
});

// ---------------------------------------------------------------------------
// InvalidArgument
// ---------------------------------------------------------------------------
describe('InvalidArgument', () => {
  test('maxTurns("3") -> InvalidArgument maxTurns', async () => {
    await expectInvalid(recorded(() => base().maxTurns('3')), 'maxTurns');
  });

  test('maxTurns(-1) -> InvalidArgument maxTurns', async () => {
    await expectInvalid(recorded(() => base().maxTurns(-1)), 'maxTurns');
  });

  test('maxTurns(1.5) -> InvalidArgument maxTurns', async () => {
    await expectInvalid(recorded(() => base().maxTurns(1.5)), 'maxTurns');
  });

  test('storeFactory(42) -> InvalidArgument storeFactory', async () => {
    await expectInvalid(recorded(() => base().storeFactory(42)), 'storeFactory');
  });

  test('instructions(123) -> InvalidArgument instructions', async () => {
    await expectInvalid(recorded(() => base().instructions(123)), 'instructions');
  });

  test('residency("bogus") -> InvalidArgument residency', async () => {
    await expectInvalid(recorded(() => base().residency('bogus')), 'residency');
  });

  test('traceLevel("loud") -> InvalidArgument traceLevel', async () => {
    await expectInvalid(recorded(() => base().traceLevel('loud')), 'traceLevel');
  });

  test('store object without durabilityTier -> InvalidArgument naming the builder argument', async () => {
    await expectInvalid(recorded(() => base().attachmentStore({})), 'attachmentStore');
  });

  test('store object with an unknown durabilityTier -> InvalidArgument naming the builder argument', async () => {
    await expectInvalid(
      recorded(() => base().processEnvStore({ durabilityTier: 'sometimes' })),
      'processEnvStore',
    );
  });

  test('effect host with an unknown durabilityTier -> InvalidArgument effectHost', async () => {
    await expectInvalid(
      recorded(() => base().effectHost({ durabilityTier: 'Durable' })),
      'effectHost',
    );
  });

  test('trigger store without durabilityTier -> InvalidArgument triggerStore', async () => {
    await expectInvalid(recorded(() => base().triggerStore({})), 'triggerStore');
  });

  test('process registry without durabilityTier -> InvalidArgument processRegistry', async () => {
    await expectInvalid(recorded(() => base().processRegistry({})), 'processRegistry');
  });

  test('child store factory with an unknown durabilityTier -> InvalidArgument childStoreFactory', async () => {
    await expectInvalid(
      recorded(() => base().childStoreFactory({ durabilityTier: 'forever' })),
      'childStoreFactory',
    );
  });

  test('RlmCore artifact store without durabilityTier -> InvalidArgument lashlangArtifactStore', async () => {
    await expectInvalid(recorded(() => rlmBase().lashlangArtifactStore({})), 'lashlangArtifactStore');
  });

  test('model id over 1024 bytes -> InvalidArgument model', async () => {
    await expectInvalid(
      recorded(() => base().model({ id: 'x'.repeat(1025), limits: { context_window_tokens: 8192 } })),
      'model',
    );
  });

  test('model id over 1024 bytes in UTF-8 (but under 1024 chars) -> InvalidArgument model', async () => {
    await expectInvalid(
      recorded(() => base().model({ id: 'é'.repeat(513), limits: { context_window_tokens: 8192 } })),
      'model',
    );
  });

  test('model id of exactly 1024 bytes is accepted', async () => {
    await expectBuilds(
      base().model({ id: 'x'.repeat(1024), limits: { context_window_tokens: 8192 } }),
      (core) => expect(core.policy.model.id).toBe('x'.repeat(1024)),
    );
  });

  test('plain model with an unknown top-level field -> InvalidArgument model', async () => {
    await expectInvalid(
      recorded(() => base().model({ id: 'm', limits: { context_window_tokens: 8192 }, bogus: 1 })),
      'model',
    );
  });

  test('plain model with an unknown limits field -> InvalidArgument model', async () => {
    await expectInvalid(
      recorded(() => base().model({ id: 'm', limits: { context_window_tokens: 8192, extra: 1 } })),
      'model',
    );
  });

  test('plain model with a non-string id -> InvalidArgument model', async () => {
    await expectInvalid(
      recorded(() => base().model({ id: 42, limits: { context_window_tokens: 8192 } })),
      'model',
    );
  });

  test('plain model without limits -> InvalidArgument model', async () => {
    await expectInvalid(recorded(() => base().model({ id: 'm' })), 'model');
  });

  test('plain model with zero context window -> InvalidArgument model', async () => {
    await expectInvalid(
      recorded(() => base().model({ id: 'm', limits: { context_window_tokens: 0 } })),
      'model',
    );
  });

  test('plain model with negative context window -> InvalidArgument model', async () => {
    await expectInvalid(
      recorded(() => base().model({ id: 'm', limits: { context_window_tokens: -5 } })),
      'model',
    );
  });

  test('plain model with fractional context window -> InvalidArgument model', async () => {
    await expectInvalid(
      recorded(() => base().model({ id: 'm', limits: { context_window_tokens: 1.5 } })),
      'model',
    );
  });

  test('plain model with string context window -> InvalidArgument model', async () => {
    await expectInvalid(
      recorded(() => base().model({ id: 'm', limits: { context_window_tokens: '8192' } })),
      'model',
    );
  });

  test('plain model with zero output capacity -> InvalidArgument model', async () => {
    await expectInvalid(
      recorded(() =>
        base().model({ id: 'm', limits: { context_window_tokens: 8192, output_token_capacity: 0 } }),
      ),
      'model',
    );
  });

  test('ModelSpec.fromTokenLimits with zero context window throws lash\'s message', () => {
    let err;
    try {
      ModelSpec.fromTokenLimits('m', undefined, 0);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LashError);
    expect(err.code).toBe('InvalidArgument');
    expect(err.message).toBe('context_window_tokens must be greater than zero');
  });

  test('ModelSpec.fromTokenLimits with zero output capacity throws lash\'s message', () => {
    let err;
    try {
      ModelSpec.fromTokenLimits('m', undefined, 8192, 0);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LashError);
    expect(err.code).toBe('InvalidArgument');
    expect(err.message).toBe('output_token_capacity must be greater than zero');
  });
});

// ---------------------------------------------------------------------------
// Independence
// ---------------------------------------------------------------------------
describe('independence of builds', () => {
  test('a core built after a failed build works', async () => {
    await expectMissing(bare().maxTurns(3), 'MissingEffectHost');
    await expectInvalid(base().maxTurns('x'), 'maxTurns');
    await expectBuilds(base(), (core) => {
      expect(core.processWorkRunnerSetup).toBe('none');
      expect(core.policy.max_turns ?? null).toBeNull();
      expect(core.policy.provider_id).toBe('embed-test');
    });
  });

  test('two cores built from separate builders have independent policies', async () => {
    const a = await base().maxTurns(2).build();
    const b = await base().provider(new ScriptedProvider([], { kind: 'x' })).build();
    try {
      expect(a.policy.max_turns).toBe(2);
      expect(a.policy.provider_id).toBe('embed-test');
      expect(b.policy.max_turns ?? null).toBeNull();
      expect(b.policy.provider_id).toBe('x');
    } finally {
      await closeQuietly(a);
      await closeQuietly(b);
    }
  });

  test('concurrent builds (one failing, one succeeding) do not interfere', async () => {
    const [bad, good] = await Promise.allSettled([
      base().storeFactory(durable()).build(),
      base().maxTurns(5).build(),
    ]);
    expect(bad.status).toBe('rejected');
    expect(bad.reason).toBeInstanceOf(LashError);
    expect(bad.reason.code).toBe('DurableStorePeerRequired');
    expect(bad.reason.facet).toBe(F_ATTACH);
    expect(good.status).toBe('fulfilled');
    try {
      expect(good.value.policy.max_turns).toBe(5);
    } finally {
      await closeQuietly(good.value);
    }
  });
});
