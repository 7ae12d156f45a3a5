// The JavaScript host's state for one core, shared by the op handlers (js/host/)
// and the API objects (js/api/). One per built core, passed to both explicitly.
export class HostState {
  constructor(instance, live) {
    this.instance = instance; // the core's wasm instance (./driver.js)
    this.live = live;         // what the builder wired: provider, facets, tools, trace, residency, ...
    this.turns = new Map();   // core turn no -> run (js/api/turn.js)
    this.sessions = new Map(); // session id -> { store, head, handles, fresh, history }
    this.tools = new Map();   // tool name -> definition (defineTools)
    for (const provider of live.tools) for (const t of provider.tools) this.tools.set(t.name, t);
  }

  // A session's entry, created on first use (the core's history.reset may come before open() returns).
  session(id) {
    let entry = this.sessions.get(id);
    if (!entry) this.sessions.set(id, (entry = { store: null, head: null, handles: 0, fresh: false }));
    entry.history ??= [];
    return entry;
  }

  attachmentStore() {
    return this.live.facets.attachment_store ?? this.live.runtimeHostConfig?.attachmentStore;
  }
}
