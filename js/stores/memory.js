// In-memory stores and registries, tier 'inline' (lash's InMemory* types): their
// data lives in this JavaScript realm and a crash loses it. Session state is
// held by the core today; the store operations the persistence work needs join
// these same classes.

class InlineTiered {
  get durabilityTier() { return 'inline'; }
}

export class InMemorySessionStoreFactory extends InlineTiered {}
export class InMemoryProcessExecutionEnvStore extends InlineTiered {}
export class InMemoryTriggerStore extends InlineTiered {}
export class InMemoryProcessRegistry extends InlineTiered {}
export class InMemoryLashlangArtifactStore extends InlineTiered {}

const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');

// Content-addressed attachments: id = sha256(bytes) hex (lash AttachmentStore).
export class InMemoryAttachmentStore extends InlineTiered {
  #items = new Map();

  async put(bytes, { media_type = { kind: 'image', type: 'png' }, width, height, label } = {}) {
    const data = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
    const id = hex(await crypto.subtle.digest('SHA-256', data));
    const ref = { id, media_type, byte_len: data.length };
    if (width != null) ref.width = width;
    if (height != null) ref.height = height;
    if (label != null) ref.label = label;
    if (!this.#items.has(id)) this.#items.set(id, { ref, bytes: data.slice() });
    return ref;
  }

  async get(id) {
    const item = this.#items.get(id);
    if (!item) throw new Error(`attachment \`${id}\` not found`);
    return { meta: item.ref, bytes: item.bytes.slice() };
  }
}

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
