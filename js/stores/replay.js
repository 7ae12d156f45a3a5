// One session's committed head as a plain in-memory model, shared by the durable
// backends: they persist commits their own way and rebuild this on open.
import { activePath, planCommit } from './commit.js';

export class SessionHead {
  head = { head_revision: null, stamps: new Map() };
  nodes = [];
  leaf = null;
  rest = null; // config, frames, checkpoint of the head
  ledger = [];

  plan(sessionId, commit) { return planCommit(sessionId, this.head, commit); }

  // Apply a validated plan (also used when replaying a log).
  apply(plan, commit) {
    if (plan.graph.kind === 'replace') this.nodes = [...plan.graph.nodes];
    else this.nodes.push(...plan.graph.nodes);
    this.leaf = plan.graph.leaf;
    this.ledger.push(...(commit.usage_deltas ?? []));
    this.rest = { config: commit.config, agent_frames: commit.agent_frames ?? [],
      current_agent_frame_id: commit.current_agent_frame_id ?? '', checkpoint: commit.checkpoint ?? null };
    this.head.head_revision = plan.revision;
    if (plan.stamp) this.head.stamps.set(plan.stamp.turn_id, { hash: plan.stamp.hash, result: plan.result });
  }

  read(sessionId, scope = { type: 'full_graph' }) {
    if (this.head.head_revision === null) return null;
    const nodes = scope.type === 'active_path' ? activePath(this.nodes, scope.leaf_node_id ?? this.leaf) : this.nodes;
    return structuredClone({
      session_id: sessionId, head_revision: this.head.head_revision, config: this.rest.config,
      agent_frames: this.rest.agent_frames, current_agent_frame_id: this.rest.current_agent_frame_id,
      graph: { nodes, leaf_node_id: this.leaf }, checkpoint_ref: `checkpoint-${this.head.head_revision}`,
      checkpoint: this.rest.checkpoint, token_ledger: this.ledger,
    });
  }
}
