// lash's commit contract (§2.9, lash-core store/mod.rs + runtime/in_memory_store.rs),
// shared by every store backend so they all agree, in lash's order:
//   binding check -> turn-stamp idempotency -> CAS on the head revision -> queue
//   completions -> apply the graph delta, usage deltas and checkpoint ->
//   head_revision = actual + 1 -> record the stamp.
// planCommit() is pure: it validates a commit against a backend's current head and
// describes the change; the backend applies that plan atomically (in memory: in
// place; IndexedDB: one transaction; files: one log record). SessionState is the
// plain in-memory head the memory and file backends apply plans to.
import { LashError, invalidArgument } from '../errors.js';

// ---- errors: lash StoreError Display texts (crates/lash-core/src/store/mod.rs) ----

export function bindingMismatch(bound, attempted) {
  return new LashError('SessionBindingMismatch',
    `store is already bound to session \`${bound}\` and cannot be reused for \`${attempted}\``, { bound, attempted });
}
export function headRevisionConflict(expected, actual) {
  // `expected {expected:?}` formats an Option<u64>: the conflict only exists for Some(n)
  return new LashError('HeadRevisionConflict',
    `store head revision conflict: expected ${expected == null ? 'None' : `Some(${expected})`}, actual ${actual}`,
    { expected, actual });
}
export function turnCommitConflict(sessionId, turnId) {
  return new LashError('RuntimeTurnCommitConflict',
    `runtime turn \`${turnId}\` for session \`${sessionId}\` was already committed with a different commit hash`,
    { sessionId, turnId });
}
export function queuedWorkClaimExpired(sessionId, claimId) {
  return new LashError('QueuedWorkClaimExpired',
    `queued work claim \`${claimId}\` for session \`${sessionId}\` is missing or expired`, { sessionId, claimId });
}
export function backendError(detail) {
  return new LashError('Backend', `store backend error: ${detail}`);
}
/** Any non-LashError failure of a backend (I/O, IndexedDB, JSON) becomes StoreError::Backend. */
export function asStoreError(e) {
  if (e instanceof LashError) return e;
  return backendError(`${e?.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e?.message ?? e}`);
}

// ---- validation ----

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isLeaf = (v) => v === null || v === undefined || typeof v === 'string';

function checkNodes(nodes, where) {
  if (!Array.isArray(nodes)) throw backendError(`commit.graph.${where}.nodes must be an array`);
  for (const n of nodes) {
    if (!isObj(n) || typeof n.node_id !== 'string') throw backendError(`commit.graph.${where}.nodes[] must be session node records with a string node_id`);
  }
}

function graphOf(graph) {
  const keys = isObj(graph) ? Object.keys(graph) : [];
  if (keys.length !== 1 || !isObj(graph[keys[0]])) {
    throw backendError('commit.graph must be exactly one of Unchanged, Append, ReplaceFull');
  }
  const [kind] = keys;
  const body = graph[kind];
  if (!isLeaf(body.leaf_node_id)) throw backendError(`commit.graph.${kind}.leaf_node_id must be a string or null`);
  const leaf = body.leaf_node_id ?? null;
  if (kind === 'Unchanged') return { kind: 'unchanged', nodes: [], leaf };
  if (kind === 'Append') { checkNodes(body.nodes, kind); return { kind: 'append', nodes: body.nodes, leaf }; }
  if (kind === 'ReplaceFull') {
    checkNodes(body.nodes, kind);
    const seen = new Set();
    for (const n of body.nodes) {
      if (seen.has(n.node_id)) throw backendError(`commit.graph.ReplaceFull repeats node \`${n.node_id}\``);
      seen.add(n.node_id);
    }
    return { kind: 'replace', nodes: body.nodes, leaf };
  }
  throw backendError('commit.graph must be exactly one of Unchanged, Append, ReplaceFull');
}

// lash SessionCheckpoint: the refs-only manifest of a HydratedSessionCheckpoint
// (fields with skip_serializing_if = "Option::is_none" are left out when absent).
function manifestOf(checkpoint) {
  const c = checkpoint ?? {};
  const m = { turn_state: c.turn_state ?? null };
  for (const k of ['tool_state_ref', 'plugin_snapshot_ref', 'plugin_snapshot_revision', 'execution_state_ref']) {
    if (c[k] != null) m[k] = c[k];
  }
  return m;
}

export const recordingCheckpointRef = (revision) => `recording-checkpoint-${revision}`; // lash InMemorySessionStore
export const checkpointRef = (revision) => `checkpoint-${revision}`;

/**
 * Validate `commit` against a backend's head and describe the change.
 * head: { head_revision: number|null, stamps: Map<turn_id, {hash, result}> } — `stamps`
 *   needs to hold at least the stamp for commit.turn_commit.turn_id, if one exists.
 * Returns { replay: result } for an idempotent re-delivery (nothing to write), else
 * { base, revision, graph: {kind:'append'|'replace'|'unchanged', nodes, leaf}, usage,
 *   rest: {config, agent_frames, current_agent_frame_id, checkpoint}, result, stamp }.
 * Throws the LashError lash's store would return; the head is untouched either way.
 */
export function planCommit(boundSessionId, head, commit, { ref = checkpointRef } = {}) {
  if (!isObj(commit)) throw backendError('commit must be a RuntimeCommit object');
  if (typeof commit.session_id !== 'string') throw backendError('commit.session_id must be a string');
  // 1. binding
  if (commit.session_id !== boundSessionId) throw bindingMismatch(boundSessionId, commit.session_id);
  // 2. turn stamp: an identical re-delivery returns the stored result unchanged
  const tc = commit.turn_commit ?? null;
  if (tc !== null) {
    if (!isObj(tc) || typeof tc.turn_id !== 'string' || typeof tc.turn_commit_hash !== 'string' || typeof tc.session_id !== 'string') {
      throw backendError('commit.turn_commit must be null or { session_id, turn_id, turn_commit_hash }');
    }
    if (tc.session_id !== commit.session_id) throw turnCommitConflict(tc.session_id, tc.turn_id);
    const prior = head.stamps?.get(tc.turn_id);
    if (prior) {
      if (prior.hash === tc.turn_commit_hash) return { replay: prior.result };
      throw turnCommitConflict(tc.session_id, tc.turn_id);
    }
  }
  // 3. CAS (null/absent = create or force)
  const actual = head.head_revision ?? 0;
  const expected = commit.expected_head_revision ?? null;
  if (expected !== null && !(Number.isSafeInteger(expected) && expected >= 0)) {
    throw backendError('commit.expected_head_revision must be null or a non-negative integer');
  }
  if (expected !== null && expected !== actual) throw headRevisionConflict(expected, actual);
  // 4. queue completions: this store holds no queued work, so a completion owns its
  //    batches only when it names none (lash in-memory: matches != batch_ids.len()).
  const claims = commit.completed_queue_claims ?? [];
  if (!Array.isArray(claims)) throw backendError('commit.completed_queue_claims must be an array');
  for (const c of claims) {
    if (!isObj(c)) throw backendError('commit.completed_queue_claims[] must be objects');
    if (c.session_id !== commit.session_id || (c.batch_ids ?? []).length) throw queuedWorkClaimExpired(c.session_id, c.claim_id);
  }
  // 5. the change
  const graph = graphOf(commit.graph);
  const usage = commit.usage_deltas ?? [];
  if (!Array.isArray(usage) || usage.some((e) => !isObj(e))) throw backendError('commit.usage_deltas must be an array of ledger entries');
  if (commit.checkpoint != null && !isObj(commit.checkpoint)) throw backendError('commit.checkpoint must be an object');
  const revision = actual + 1;
  const checkpoint_ref = ref(revision);
  const result = { head_revision: revision, checkpoint_ref, manifest: manifestOf(commit.checkpoint) };
  return {
    base: head.head_revision ?? null, revision, graph, usage,
    rest: { config: commit.config ?? null, agent_frames: commit.agent_frames ?? [],
      current_agent_frame_id: commit.current_agent_frame_id ?? '', checkpoint: commit.checkpoint ?? null },
    result, stamp: tc && { turn_id: tc.turn_id, hash: tc.turn_commit_hash },
  };
}

// ---- reads ----

const USAGE_KEYS = ['input_tokens', 'output_tokens', 'cached_input_tokens', 'reasoning_tokens'];
const num = (v) => (typeof v === 'number' ? v : 0);

/** lash merge_usage_delta_entries: one row per (source, model), counts summed; a row
 * with no tokens at all (total() == 0 and no cached input) is dropped. */
export function mergeLedger(entries) {
  const merged = [];
  for (const e of entries) {
    const u = e.usage ?? {};
    if (num(u.input_tokens) + num(u.output_tokens) + num(u.reasoning_tokens) === 0 && num(u.cached_input_tokens) === 0) continue;
    const row = merged.find((m) => m.source === e.source && m.model === e.model);
    if (row) for (const k of USAGE_KEYS) row.usage[k] = num(row.usage[k]) + num(u[k]);
    else merged.push(structuredClone(e));
  }
  return merged;
}

/** The ancestry of `leaf` via parent_node_id, root first (walks through every node;
 * the caller hides tombstoned ones). Duplicate ids: the last record wins (lash by_id). */
export function activePath(nodes, leaf) {
  const byId = new Map(nodes.map((n) => [n.node_id, n]));
  const path = [];
  const seen = new Set();
  for (let id = leaf; id != null && byId.has(id) && !seen.has(id); id = byId.get(id).parent_node_id) {
    seen.add(id);
    path.push(byId.get(id));
  }
  return path.reverse();
}

/**
 * lash load_session over a head: FullGraph = every node not tombstoned, with the
 * persisted leaf; ActivePath = the ancestry of leaf_node_id ?? persisted leaf, with
 * that leaf. Tombstoned nodes are hidden and a tombstoned leaf reads as null.
 */
export function checkScope(scope) {
  const type = scope?.type ?? 'full_graph';
  if (type !== 'full_graph' && type !== 'active_path') {
    throw new LashError('UnsupportedReadScope', `store does not support read scope ${JSON.stringify(scope)}`);
  }
  if (type === 'active_path' && !isLeaf(scope.leaf_node_id)) throw backendError('scope.leaf_node_id must be a string or null');
  return type;
}

export function readSession({ sessionId, head_revision, leaf, rest, nodes, ledger, tombstoned, checkpoint_ref }, scope) {
  const type = checkScope(scope);
  let readLeaf = leaf;
  let picked = nodes;
  if (type === 'active_path') {
    readLeaf = scope.leaf_node_id ?? leaf;
    picked = activePath(nodes, readLeaf);
  }
  return structuredClone({
    session_id: sessionId, head_revision, config: rest.config, agent_frames: rest.agent_frames,
    current_agent_frame_id: rest.current_agent_frame_id,
    graph: { nodes: picked.filter((n) => !tombstoned(n.node_id)), leaf_node_id: readLeaf != null && tombstoned(readLeaf) ? null : readLeaf ?? null },
    checkpoint_ref, checkpoint: rest.checkpoint, token_ledger: mergeLedger(ledger),
  });
}

// ---- the plain head model (memory; files replay their log into it) ----

export class SessionState {
  head_revision = null;
  stamps = new Map(); // turn_id -> { hash, result }
  nodes = [];
  #index = new Map(); // node_id -> position in nodes
  tombstones = new Set();
  leaf = null;
  rest = null;
  ledger = []; // raw usage deltas, merged on read

  /** Apply a plan from planCommit (already validated; cannot fail). Takes ownership of `plan`. */
  apply(plan) {
    if (plan.graph.kind === 'replace') {
      this.nodes = [...plan.graph.nodes];
      this.#reindex();
    } else {
      // Append: a node id already stored is replaced in place (lash-postgres
      // ON CONFLICT (session_id, node_id) DO UPDATE), a new one goes to the end
      for (const n of plan.graph.nodes) {
        const at = this.#index.get(n.node_id);
        if (at === undefined) { this.#index.set(n.node_id, this.nodes.length); this.nodes.push(n); }
        else this.nodes[at] = n;
      }
    }
    for (const n of plan.graph.nodes) this.tombstones.delete(n.node_id); // committed ids are un-tombstoned
    this.leaf = plan.graph.leaf;
    for (const e of plan.usage) this.ledger.push(e);
    this.rest = plan.rest;
    this.head_revision = plan.revision;
    if (plan.stamp) this.stamps.set(plan.stamp.turn_id, { hash: plan.stamp.hash, result: plan.result });
  }

  node(id) {
    const at = this.#index.get(id);
    return at === undefined || this.tombstones.has(id) ? null : this.nodes[at];
  }

  tombstone(ids) { for (const id of ids) this.tombstones.add(id); }

  /** Physically drop tombstoned nodes; returns how many node records this call removed. */
  vacuum() {
    if (!this.tombstones.size) return 0;
    const before = this.nodes.length;
    this.nodes = this.nodes.filter((n) => !this.tombstones.has(n.node_id));
    this.tombstones.clear();
    this.#reindex();
    return before - this.nodes.length;
  }

  read(sessionId, scope, ref = checkpointRef) {
    checkScope(scope);
    if (this.head_revision === null) return null;
    return readSession({ sessionId, head_revision: this.head_revision, leaf: this.leaf, rest: this.rest, nodes: this.nodes,
      ledger: this.ledger, tombstoned: (id) => this.tombstones.has(id), checkpoint_ref: ref(this.head_revision) }, scope);
  }

  #reindex() {
    this.#index = new Map();
    this.nodes.forEach((n, i) => this.#index.set(n.node_id, i));
  }
}

// ---- small helpers shared by the backends ----

export function checkSessionId(id, argument = 'session_id') {
  if (typeof id !== 'string' || !id) {
    throw invalidArgument(argument, 'expected a non-empty session id string');
  }
  return id;
}

export function checkNodeIds(ids) {
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) throw backendError('node ids must be an array of strings');
  return ids;
}

/** Bytes as a Uint8Array view (any realm's typed array, ArrayBuffer, or array of numbers). */
export function toBytes(bytes, argument = 'bytes') {
  if (ArrayBuffer.isView(bytes)) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes instanceof ArrayBuffer || Object.prototype.toString.call(bytes) === '[object ArrayBuffer]') return new Uint8Array(bytes);
  if (Array.isArray(bytes)) return Uint8Array.from(bytes);
  throw invalidArgument(argument, 'expected a Uint8Array');
}

export const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
export const sha256Hex = async (data) => hex(await crypto.subtle.digest('SHA-256', data));

/** lash AttachmentRef { id, media_type, byte_len, width?, height?, label? } for content `id`. */
export function attachmentRef(id, data, { media_type = { kind: 'image', type: 'png' }, width, height, label } = {}) {
  const ref = { id, media_type, byte_len: data.length };
  if (width != null) ref.width = width;
  if (height != null) ref.height = height;
  if (label != null) ref.label = label;
  return ref;
}

// lash AttachmentStoreError::NotFound (crates/lash-core/src/attachments.rs)
export const attachmentNotFound = (id) => new LashError('NotFound', `attachment \`${id}\` was not found`, { id });
