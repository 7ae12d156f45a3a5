// In-memory stores and registries, tier 'inline' (lash's InMemory* types): their
// data lives in this JavaScript realm and a crash loses it. Today they carry the
// tier the builder validates; session, attachment and queue operations join these
// same classes with the turn and persistence work.

class InlineTiered {
  get durabilityTier() { return 'inline'; }
}

export class InMemorySessionStoreFactory extends InlineTiered {}
export class InMemoryAttachmentStore extends InlineTiered {}
export class InMemoryProcessExecutionEnvStore extends InlineTiered {}
export class InMemoryTriggerStore extends InlineTiered {}
export class InMemoryProcessRegistry extends InlineTiered {}
export class InMemoryLashlangArtifactStore extends InlineTiered {}

// Live replay buffer bounds (lash: 2048 events, 120 s per session).
export class InMemoryLiveReplayStore extends InlineTiered {
  constructor({ maxEvents = 2048, ttlMs = 120000 } = {}) {
    super();
    if (!Number.isSafeInteger(maxEvents) || maxEvents <= 0) throw new RangeError('maxEvents must be a positive integer');
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError('ttlMs must be a positive number');
    this.maxEvents = maxEvents;
    this.ttlMs = ttlMs;
  }
}
