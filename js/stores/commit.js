// lash's commit contract (§2.9), shared by every store backend so they all agree:
// binding check -> turn-stamp idempotency -> CAS on the head revision -> apply the
// graph delta, usage deltas and checkpoint -> head_revision + 1 -> record the stamp.
// planCommit() only validates and describes the change; the backend applies it
// atomically (in memory: in place; IndexedDB: one transaction; files: one log record).
import { LashError } from '../errors.js';

export function bindingMismatch(bound, attempted) {
  return new LashError('SessionBindingMismatch',
    `store is already bound to session \`${bound}\` and cannot be reused for \`${attempted}\``, { bound, attempted });
}

/**
 * head: { head_revision: number|null, stamps: Map<turn_id, {hash, result}> } (the backend's current head)
 * Returns { replay: result } for an idempotent re-delivery, else
 * { revision, graph: {kind:'append'|'replace'|'unchanged', nodes, leaf}, result, stamp }.
 */
export function planCommit(boundSessionId, head, commit) {
  if (!commit || typeof commit !== 'object') throw new LashError('Backend', 'store backend error: commit must be an object');
  if (commit.session_id !== boundSessionId) throw bindingMismatch(boundSessionId, commit.session_id);
  const stamp = commit.turn_commit ?? null;
  if (stamp) {
    const prior = head.stamps.get(stamp.turn_id);
    if (prior) {
      if (prior.hash === stamp.turn_commit_hash) return { replay: prior.result };
      throw new LashError('RuntimeTurnCommitConflict',
        `runtime turn \`${stamp.turn_id}\` for session \`${stamp.session_id}\` was already committed with a different commit hash`,
        { sessionId: stamp.session_id, turnId: stamp.turn_id });
    }
  }
  const actual = head.head_revision ?? 0;
  const expected = commit.expected_head_revision;
  if (expected !== null && expected !== undefined && expected !== actual) {
    throw new LashError('HeadRevisionConflict',
      `store head revision conflict: expected Some(${expected}), actual ${actual}`, { expected, actual });
  }
  const g = commit.graph ?? {};
  let graph;
  if (g.Append) graph = { kind: 'append', nodes: g.Append.nodes ?? [], leaf: g.Append.leaf_node_id ?? null };
  else if (g.ReplaceFull) graph = { kind: 'replace', nodes: g.ReplaceFull.nodes ?? [], leaf: g.ReplaceFull.leaf_node_id ?? null };
  else if (g.Unchanged) graph = { kind: 'unchanged', nodes: [], leaf: g.Unchanged.leaf_node_id ?? null };
  else throw new LashError('Backend', 'store backend error: commit.graph must be Append, ReplaceFull or Unchanged');
  const revision = actual + 1;
  const result = { head_revision: revision, checkpoint_ref: `checkpoint-${revision}`, manifest: { checkpoint_ref: `checkpoint-${revision}` } };
  return { revision, graph, result, stamp: stamp && { turn_id: stamp.turn_id, hash: stamp.turn_commit_hash } };
}

// The active path: the leaf's ancestry, root first (tombstoned nodes hidden).
export function activePath(nodes, leaf, tombstones = new Set()) {
  const byId = new Map(nodes.map((n) => [n.node_id, n]));
  const path = [];
  const seen = new Set();
  for (let id = leaf; id && byId.has(id) && !seen.has(id); id = byId.get(id).parent_node_id) {
    seen.add(id);
    if (!tombstones.has(id)) path.push(byId.get(id));
  }
  return path.reverse();
}
