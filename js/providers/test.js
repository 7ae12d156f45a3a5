// Test providers (lash's echo and scripted test providers). They stand in for
// the LLM only; everything else in a turn is real.

export class EchoProvider {
  get kind() { return 'embed-test'; }
}

export class ScriptedProvider {
  #kind;
  constructor(responses = [], { kind = 'scripted' } = {}) {
    if (!Array.isArray(responses)) throw new TypeError('ScriptedProvider: responses must be an array');
    if (typeof kind !== 'string' || !kind.trim()) throw new TypeError('ScriptedProvider: kind must be a non-empty string');
    this.#kind = kind;
    this.responses = [...responses];
    this.requests = [];
  }
  get kind() { return this.#kind; }
}
