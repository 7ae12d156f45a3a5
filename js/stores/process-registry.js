// lash's ProcessRegistry (lash-core runtime/process/{registry,model,events,
// validation,materialization,wake}.rs and the reference in-memory registry
// runtime/process/testing.rs, at the commit the spec names), once, for every
// backend.
//
// The rules live here as WRITES: one function per write operation, run against a
// backend "transaction" (tx) that reads rows and queues row writes. Every write
// reads what it needs first and then writes, so a backend that applies a
// transaction's writes together (memory: after the function returns; IndexedDB: one
// readwrite transaction; files: one log record replayed through the same function)
// makes each operation atomic. A write operation is a plain record
// { op, args, now }: `now` is taken once, so replaying the record gives the same
// answer (the file backend relies on that). Errors carry lash's texts.
//
// Row shapes (what a backend stores):
//   process  { id, record: ProcessRecord, next_sequence, acked_wakes: [seq], wake_sid }
//   event    { process_id, sequence, event: ProcessEvent }
//   replay   { process_id, key, hash, event }            (events appended with a replay key)
//   grant    { scope_id, session_id, process_id, grant: ProcessHandleGrant }
//   lease    ProcessLease, keyed by process_id (a released lease keeps its fencing token)
import { LashError } from '../errors.js';
import { asStoreError } from './commit.js';
import { stableJsonSha256, sha256HexSync, canonicalJson } from './sha256.js';
import { validateLashSchema } from './lash-schema.js';

export const PROCESS_LEASE_SCHEMA_VERSION = 1;

// ---- errors (lash PluginError::Session, Display "plugin session error: {0}") ----

export function processRegistryError(detail) {
  return new LashError('PluginSession', `plugin session error: ${detail}`, { detail });
}
const unknownProcess = (id) => processRegistryError(`unknown process \`${id}\``);
const invalid = (argument, detail) => new LashError('InvalidArgument', `invalid argument \`${argument}\`: ${detail}`, { argument });

// ---- input shapes (lash serde names; optional fields left out when absent) ----

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v) => typeof v === 'string';
const clean = (o) => { for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k]; return o; };
const json = (v, argument) => {
  try { return v === undefined ? null : JSON.parse(JSON.stringify(v)); } catch (e) { throw invalid(argument, `not JSON: ${e.message}`); }
};
const seqArg = (v, argument) => {
  if (!Number.isSafeInteger(v) || v < 0) throw invalid(argument, 'expected a non-negative integer');
  return v;
};

export function sessionScope(scope, argument = 'scope') {
  if (!isObj(scope) || !str(scope.session_id)) throw invalid(argument, 'expected { session_id, agent_frame_id? }');
  if (scope.agent_frame_id != null && !str(scope.agent_frame_id)) throw invalid(argument, 'agent_frame_id must be a string');
  return clean({ session_id: scope.session_id, agent_frame_id: scope.agent_frame_id ?? undefined });
}
/** lash SessionScope::id(): `session:{id}` or `session:{id}/frame:{frame}`. */
export function sessionScopeId(scope) {
  return scope.agent_frame_id ? `session:${scope.session_id}/frame:${scope.agent_frame_id}` : `session:${scope.session_id}`;
}

const INPUT_TYPES = ['tool_call', 'engine', 'session_turn', 'external'];
function processInput(input) {
  if (!isObj(input) || !INPUT_TYPES.includes(input.type)) {
    throw invalid('registration.input', `expected { type: ${INPUT_TYPES.map((t) => `'${t}'`).join(' | ')}, ... }`);
  }
  switch (input.type) {
    case 'tool_call':
      if (!isObj(input.call)) throw invalid('registration.input.call', 'expected a PreparedToolCall object');
      return { type: 'tool_call', call: json(input.call, 'registration.input.call') };
    case 'engine':
      if (!str(input.kind)) throw invalid('registration.input.kind', 'expected a string');
      return { type: 'engine', kind: input.kind, payload: json(input.payload, 'registration.input.payload') };
    case 'session_turn':
      return { type: 'session_turn', create_request: json(input.create_request, 'registration.input.create_request'),
        turn_input: json(input.turn_input, 'registration.input.turn_input'),
        output_contract: json(input.output_contract, 'registration.input.output_contract') };
    default:
      return { type: 'external', metadata: json(input.metadata, 'registration.input.metadata') };
  }
}

// lash ProcessIdentity::from_process_input
function identityFromInput(input) {
  const labelled = (kind, label) => clean({ kind, label: str(label) ? label : undefined });
  switch (input.type) {
    case 'tool_call': return labelled('tool', input.call.tool_name);
    case 'engine': return { kind: input.kind };
    case 'session_turn': {
      const r = isObj(input.create_request) ? input.create_request : {};
      return labelled('session_turn', r.subagent?.capability ?? r.usage_source ?? r.session_id);
    }
    default: {
      const m = isObj(input.metadata) ? input.metadata : {};
      return labelled('external', m.label ?? m.name ?? m.title);
    }
  }
}

function provenance(p) {
  if (!isObj(p) || !isObj(p.originator) || !['host', 'session'].includes(p.originator.type)) {
    throw invalid('registration.provenance', "expected { originator: { type: 'host' } | { type: 'session', scope }, caused_by? }");
  }
  const originator = p.originator.type === 'host' ? { type: 'host' }
    : { type: 'session', scope: sessionScope(p.originator.scope, 'registration.provenance.originator.scope') };
  return clean({ originator, caused_by: p.caused_by == null ? undefined : json(p.caused_by, 'registration.provenance.caused_by') });
}

function eventType(t, i) {
  const at = `registration.event_types[${i}]`;
  if (!isObj(t) || !str(t.name)) throw invalid(at, 'expected { name, payload_schema, semantics }');
  const schema = t.payload_schema ?? { schema: {} };
  if (!isObj(schema) || !isObj(schema.schema)) throw invalid(`${at}.payload_schema`, 'expected { schema: object }');
  const semantics = t.semantics ?? {};
  if (!isObj(semantics)) throw invalid(`${at}.semantics`, 'expected { terminal?, wake? }');
  const { terminal, wake } = json(semantics, `${at}.semantics`);
  if (terminal != null && (!isObj(terminal) || !['completed', 'failed', 'cancelled'].includes(terminal.state))) {
    throw invalid(`${at}.semantics.terminal`, "expected { state: 'completed' | 'failed' | 'cancelled', await_output? }");
  }
  if (wake != null && (!isObj(wake) || wake.input === undefined)) throw invalid(`${at}.semantics.wake`, 'expected { when?, input, dedupe_key? }');
  // serde's shape: defaults filled, absent options left out (so equal specs hash equally)
  return { name: t.name, payload_schema: json(schema, `${at}.payload_schema`), semantics: clean({
    terminal: terminal == null ? undefined : clean({ state: terminal.state, await_output: terminal.await_output ?? undefined }),
    wake: wake == null ? undefined : clean({ when: wake.when ?? undefined, input: wake.input, dedupe_key: wake.dedupe_key ?? 'event_identity' }),
  }) };
}

const terminalEventType = (name, state) => ({ name, payload_schema: { schema: {} },
  semantics: { terminal: { state, await_output: { pointer: '/await_output' } } } });
/** lash default_process_event_types(): the core event types every process declares. */
export function defaultProcessEventTypes() {
  return [
    { name: 'process.cancel_requested', payload_schema: { schema: {} }, semantics: {} },
    { name: 'process.waiting', payload_schema: { schema: {} }, semantics: {} },
    { name: 'process.resumed', payload_schema: { schema: {} }, semantics: {} },
    terminalEventType('process.completed', 'completed'),
    terminalEventType('process.failed', 'failed'),
    terminalEventType('process.cancelled', 'cancelled'),
  ];
}

/**
 * Normalize a ProcessRegistration, add the core event types lash always adds,
 * validate it (lash validate_process_registration) and hash it. Pure.
 */
export function prepareRegistration(registration) {
  if (!isObj(registration)) throw invalid('registration', 'expected a ProcessRegistration object');
  if (!str(registration.id)) throw invalid('registration.id', 'expected a string');
  const input = processInput(registration.input);
  if (registration.event_types != null && !Array.isArray(registration.event_types)) throw invalid('registration.event_types', 'expected an array');
  const reg = clean({
    id: registration.id,
    input,
    identity: registration.identity == null ? identityFromInput(input) : json(registration.identity, 'registration.identity'),
    event_types: (registration.event_types ?? defaultProcessEventTypes()).map(eventType),
    provenance: provenance(registration.provenance),
    env_ref: registration.env_ref ?? undefined,
    wake_target: registration.wake_target == null ? undefined : sessionScope(registration.wake_target, 'registration.wake_target'),
  });
  if (reg.env_ref !== undefined && !str(reg.env_ref)) throw invalid('registration.env_ref', 'expected a string');
  const names = new Set(reg.event_types.map((t) => t.name));
  for (const t of defaultProcessEventTypes()) if (!names.has(t.name)) { names.add(t.name); reg.event_types.push(t); }
  // lash validate_process_registration
  if (!reg.id.trim()) throw processRegistryError('process id must be a non-empty string');
  const needsEnv = input.type === 'tool_call' || input.type === 'engine';
  if (needsEnv && reg.env_ref === undefined) throw processRegistryError(`process \`${reg.id}\` requires a captured execution env`);
  if (!needsEnv && reg.env_ref !== undefined) {
    throw processRegistryError(`process \`${reg.id}\` must not capture an execution env for this input kind`);
  }
  const seen = new Set();
  for (const t of reg.event_types) {
    if (!t.name.trim()) throw processRegistryError(`process \`${reg.id}\` declares an empty event type`);
    if (seen.has(t.name)) throw processRegistryError(`process \`${reg.id}\` declares duplicate event type \`${t.name}\``);
    seen.add(t.name);
    const term = t.semantics.terminal;
    if (term && term.state !== 'completed' && term.await_output == null) {
      throw processRegistryError(`terminal event \`${t.name}\` for process \`${reg.id}\` must declare await output`);
    }
  }
  return { registration: reg, hash: stableJsonSha256(reg) };
}

// ---- selectors and event semantics (lash materialization.rs) ----

// serde_json Value::pointer (RFC 6901)
function pointer(value, p) {
  if (p === '') return value;
  if (!p.startsWith('/')) return undefined;
  let cur = value;
  for (const raw of p.slice(1).split('/')) {
    const tok = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9][0-9]*)$/.test(tok)) return undefined;
      cur = cur[Number(tok)];
    } else if (isObj(cur)) {
      cur = Object.hasOwn(cur, tok) ? cur[tok] : undefined;
    } else return undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

const selectorText = (v) => (str(v) ? v : canonicalJson(v));
const truthy = (v) => (v === null ? false : typeof v === 'boolean' ? v : str(v) || Array.isArray(v) ? v.length > 0
  : isObj(v) ? Object.keys(v).length > 0 : true);

function select(payload, selector) {
  if (selector === 'payload') return payload;
  if (isObj(selector)) {
    if (str(selector.pointer)) {
      const v = pointer(payload, selector.pointer);
      if (v === undefined) throw processRegistryError(`payload pointer \`${selector.pointer}\` did not match`);
      return v;
    }
    if ('const' in selector) return selector.const;
    if (isObj(selector.template)) {
      let rendered = String(selector.template.template ?? '');
      const fields = isObj(selector.template.fields) ? selector.template.fields : {};
      for (const name of Object.keys(fields).sort()) rendered = rendered.split(`{${name}}`).join(selectorText(select(payload, fields[name])));
      return rendered;
    }
    if (str(selector.present)) return pointer(payload, selector.present) !== undefined;
  }
  throw processRegistryError(`unsupported process value selector ${canonicalJson(selector)}`);
}

const FAILURE_CLASSES = ['invalid_request', 'unavailable', 'permission_denied', 'timeout', 'execution', 'external', 'resource_limit', 'internal'];
// Does v deserialize as lash's ProcessAwaitOutput? Returns it in serde shape, or null.
function asAwaitOutput(v) {
  if (!isObj(v)) return null;
  const opt = (o, k) => (v[k] == null ? o : { ...o, [k]: v[k] });
  if (v.type === 'success') return opt({ type: 'success', value: v.value ?? null }, 'control');
  if (v.type === 'failure' && FAILURE_CLASSES.includes(v.class) && str(v.code) && str(v.message)) {
    return opt(opt({ type: 'failure', class: v.class, code: v.code, message: v.message }, 'raw'), 'control');
  }
  if (v.type === 'cancelled' && str(v.message)) return opt(opt({ type: 'cancelled', message: v.message }, 'raw'), 'control');
  return null;
}

function terminalSemantics(payload, terminal) {
  let out;
  if (terminal.await_output != null) {
    const selected = select(payload, terminal.await_output);
    out = asAwaitOutput(selected);
    if (!out) {
      if (terminal.state === 'completed') out = { type: 'success', value: selected };
      else if (terminal.state === 'failed') {
        out = { type: 'failure', class: 'execution', code: 'process_failed', message: selectorText(selected), raw: selected };
      } else out = { type: 'cancelled', message: selectorText(selected), raw: selected };
    }
  } else if (terminal.state === 'completed') {
    out = { type: 'success', value: payload };
  } else {
    throw processRegistryError('failed or cancelled terminal events must declare await output');
  }
  return { state: terminal.state, await_output: out };
}

function wakeSemantics(processId, sequence, payload, wake) {
  if (wake.when != null && !truthy(select(payload, wake.when))) return undefined;
  const input = selectorText(select(payload, wake.input));
  const d = wake.dedupe_key ?? 'event_identity';
  let dedupe_key;
  if (d === 'event_identity') dedupe_key = `${processId}:${sequence}`;
  else if (isObj(d) && 'selector' in d) dedupe_key = selectorText(select(payload, d.selector));
  else if (isObj(d) && str(d.const)) dedupe_key = d.const;
  else throw processRegistryError(`unsupported process wake dedupe key ${canonicalJson(d)}`);
  return { input, dedupe_key };
}

// ---- events ----

const occurredAt = (ms) => ({ secs_since_epoch: Math.floor(ms / 1000), nanos_since_epoch: (ms % 1000) * 1e6 });
const epochMs = (t) => t.secs_since_epoch * 1000 + Math.floor(t.nanos_since_epoch / 1e6);
const processEventHash = (eventType, payload) => stableJsonSha256([eventType, payload]);

// lash process_event_invocation
const eventInvocation = (processId, sequence, eventType, replay) => clean({
  scope: { session_id: 'runtime' },
  subject: { type: 'process_event', process_id: processId, sequence, event_type: eventType },
  caused_by: { type: 'process', process_id: processId },
  replay,
});

// lash process_wake_delivery: the wake id hashes (target scope id, dedupe key)
function wakeDelivery(record, event, wake, target) {
  if (!wake || !target) return undefined;
  const target_scope_id = sessionScopeId(target);
  return clean({
    wake_id: `wake:${sha256HexSync(JSON.stringify([target_scope_id, wake.dedupe_key]))}`,
    target_session_id: target.session_id,
    target_scope_id,
    process_id: record.id,
    sequence: event.sequence,
    event_type: event.event_type,
    event_invocation: event.invocation,
    process_caused_by: record.provenance.caused_by,
    dedupe_key: wake.dedupe_key,
    input: wake.input,
    created_at_ms: epochMs(event.occurred_at),
  });
}

function appendRequest(request) {
  if (!isObj(request) || !str(request.event_type)) throw invalid('request', 'expected { event_type, payload, replay?, wake_target_scope? }');
  if (request.replay != null && (!isObj(request.replay) || !str(request.replay.key))) throw invalid('request.replay', 'expected { key: string }');
  return clean({
    event_type: request.event_type,
    payload: json(request.payload, 'request.payload'),
    replay: request.replay == null ? undefined : { key: request.replay.key },
    wake_target_scope: request.wake_target_scope == null ? undefined : sessionScope(request.wake_target_scope, 'request.wake_target_scope'),
  });
}

/** lash ProcessEventAppendRequest::cancel_requested: the payload-derived replay key. */
export function cancelRequestedEvent(processId, reason = null) {
  const payload = { reason: reason ?? null };
  return { event_type: 'process.cancel_requested', payload,
    replay: { key: `process:${processId}:cancel_requested:${processEventHash('process.cancel_requested', payload)}` } };
}

const statusFromTerminal = (t) => ({ state: t.state, await_output: t.await_output });
const isTerminal = (record) => record.status.state !== 'running';

// lash prepare_process_event_append: pure over the process row and the replay row.
function planAppend(row, request, replayRow, now) {
  const record = row.record;
  const pid = record.id;
  const hash = processEventHash(request.event_type, request.payload);
  const target = request.wake_target_scope ?? record.wake_target;
  if (request.replay && replayRow) {
    if (replayRow.hash !== hash) {
      throw processRegistryError(`process \`${pid}\` event replay key \`${request.replay.key}\` conflicts with an existing event`);
    }
    const existing = replayRow.event;
    const term = existing.semantics.terminal;
    return { replayed: true, event: existing, hash,
      status: term && !isTerminal(record) ? statusFromTerminal(term) : undefined,
      occurred_ms: epochMs(existing.occurred_at),
      wake: wakeDelivery(record, existing, existing.semantics.wake, target) };
  }
  const declared = record.event_types.find((t) => t.name === request.event_type);
  if (!declared) throw processRegistryError(`process \`${pid}\` emitted undeclared event type \`${request.event_type}\``);
  const spec = declared.semantics ?? {};
  if ((spec.terminal || request.event_type === 'process.cancel_requested') && !request.replay?.key) {
    throw processRegistryError(`process \`${pid}\` event \`${request.event_type}\` requires a deterministic replay key`);
  }
  const bad = validateLashSchema(declared.payload_schema, request.payload);
  if (bad !== null) throw processRegistryError(`invalid \`${request.event_type}\` payload: ${bad}`);
  const sequence = row.next_sequence + 1;
  const semantics = clean({
    terminal: spec.terminal ? terminalSemantics(request.payload, spec.terminal) : undefined,
    wake: spec.wake ? wakeSemantics(pid, sequence, request.payload, spec.wake) : undefined,
  });
  if (semantics.terminal && isTerminal(record)) throw processRegistryError(`process \`${pid}\` is already terminal`);
  const event = {
    process_id: pid, sequence, event_type: request.event_type, payload: request.payload,
    invocation: eventInvocation(pid, sequence, declared.name, request.replay), semantics, occurred_at: occurredAt(now),
  };
  return { replayed: false, event, hash, status: semantics.terminal ? statusFromTerminal(semantics.terminal) : undefined,
    occurred_ms: now, wake: wakeDelivery(record, event, semantics.wake, target) };
}

const processRow = (row, record) => ({ ...row, record, wake_sid: record.wake_target?.session_id ?? '' });
const withoutWait = (record) => { const r = { ...record }; delete r.wait; return r; };

async function mustGet(tx, pid) {
  const row = await tx.getProcess(pid);
  if (!row) throw unknownProcess(pid);
  return row;
}

async function appendEventWrite(tx, { process_id, request }, now) {
  const row = await mustGet(tx, process_id);
  const replayRow = request.replay ? await tx.getReplay(process_id, request.replay.key) : undefined;
  const plan = planAppend(row, request, replayRow, now);
  let record = row.record;
  if (plan.status) record = { ...(plan.status.state === 'running' ? record : withoutWait(record)), status: plan.status, updated_at_ms: plan.occurred_ms };
  if (plan.replayed) {
    if (plan.status) await tx.putProcess(processRow(row, record)); // repair a stale projection
  } else {
    record = { ...record, updated_at_ms: plan.occurred_ms };
    await tx.putEvent({ process_id, sequence: plan.event.sequence, event: plan.event });
    if (request.replay) await tx.putReplay({ process_id, key: request.replay.key, hash: plan.hash, event: plan.event });
    await tx.putProcess(processRow({ ...row, next_sequence: plan.event.sequence }, record));
  }
  return { result: clean({ event: plan.event, wake_delivery: plan.wake }), record };
}

function leaseConflict(pid, current) {
  return processRegistryError(`process \`${pid}\` is already leased by \`${current.owner_id}\` until ${current.expires_at_epoch_ms}`);
}
const leaseExpired = (pid) => processRegistryError(`process lease for \`${pid}\` is missing or expired`);

/** The write operations: (tx, args, now) => result. Reads first, then writes. */
export const WRITES = {
  async register_process(tx, { registration, hash }, now) {
    const existing = await tx.getProcess(registration.id);
    if (existing) {
      if (existing.record.registration_hash === hash) return existing.record;
      throw processRegistryError(`process \`${registration.id}\` registration hash conflict: existing ${existing.record.registration_hash}, new ${hash}`);
    }
    const { id, input, identity, event_types, provenance: prov, env_ref, wake_target } = registration;
    const record = clean({ id, registration_hash: hash, input, identity, event_types, provenance: prov, env_ref, wake_target,
      created_at_ms: now, updated_at_ms: now, status: { state: 'running' } });
    await tx.putProcess(processRow({ id, next_sequence: 0, acked_wakes: [] }, record));
    return record;
  },

  async set_external_ref(tx, { process_id, external_ref }, now) {
    const row = await mustGet(tx, process_id);
    const record = { ...row.record, external_ref, updated_at_ms: now };
    await tx.putProcess(processRow(row, record));
    return record;
  },

  async grant_handle(tx, { scope, process_id, descriptor }) {
    await mustGet(tx, process_id);
    const grant = { session_id: scope.session_id, process_id, descriptor };
    await tx.putGrant({ scope_id: sessionScopeId(scope), session_id: scope.session_id, process_id, grant });
    return grant;
  },

  async revoke_handle(tx, { scope, process_id }) {
    await tx.delGrant(sessionScopeId(scope), process_id);
    return null;
  },

  async transfer_handle_grants(tx, { from, to, process_ids }) {
    const fromId = sessionScopeId(from);
    const toId = sessionScopeId(to);
    const moved = new Set();
    const rows = [];
    for (const pid of process_ids) {
      const row = moved.has(pid) ? undefined : await tx.getGrant(fromId, pid);
      if (!row) throw processRegistryError(`process handle \`${pid}\` is not granted to session \`${from.session_id}\``);
      moved.add(pid);
      rows.push(row);
    }
    for (const row of rows) {
      await tx.delGrant(fromId, row.process_id);
      await tx.putGrant({ scope_id: toId, session_id: to.session_id, process_id: row.process_id,
        grant: { session_id: to.session_id, process_id: row.process_id, descriptor: row.grant.descriptor } });
    }
    return null;
  },

  // Processes survive: grants of every scope of the session are revoked, wake
  // targets naming the session are detached, acknowledgements are kept.
  async delete_session_process_state(tx, { session_id }, now) {
    const removed = await tx.grantsBySession(session_id);
    const orphaned = new Set();
    const preserved = new Set();
    for (const g of removed) {
      const row = await tx.getProcess(g.process_id);
      if (!row || isTerminal(row.record)) continue;
      const others = (await tx.grantsByProcess(g.process_id)).filter((o) => o.session_id !== session_id);
      (others.length ? preserved : orphaned).add(g.process_id);
    }
    const targeted = await tx.processesByWakeSession(session_id);
    for (const g of removed) await tx.delGrant(g.scope_id, g.process_id);
    for (const row of targeted) {
      const record = { ...row.record, updated_at_ms: now };
      delete record.wake_target;
      await tx.putProcess(processRow(row, record));
    }
    return { session_id, revoked_handle_count: removed.length, deleted_wake_count: 0,
      orphaned_process_ids: [...orphaned].sort(), preserved_process_ids: [...preserved].sort() };
  },

  async append_event(tx, args, now) {
    return (await appendEventWrite(tx, args, now)).result;
  },

  async complete_process(tx, { process_id, await_output }, now) {
    const eventType = { success: 'process.completed', failure: 'process.failed', cancelled: 'process.cancelled' }[await_output.type];
    const request = { event_type: eventType, payload: { await_output },
      replay: { key: `process:${process_id}:terminal:${eventType}` } };
    return (await appendEventWrite(tx, { process_id, request }, now)).record;
  },

  async set_process_wait(tx, { process_id, wait }, now) {
    const row = await mustGet(tx, process_id);
    if (isTerminal(row.record)) throw processRegistryError(`terminal process \`${process_id}\` cannot enter a wait state`);
    const record = { ...row.record, wait, updated_at_ms: now };
    await tx.putProcess(processRow(row, record));
    return record;
  },

  async clear_process_wait(tx, { process_id }, now) {
    const row = await mustGet(tx, process_id);
    const record = { ...withoutWait(row.record), updated_at_ms: now };
    await tx.putProcess(processRow(row, record));
    return record;
  },

  async ack_wake(tx, { process_id, sequence }) {
    const row = await mustGet(tx, process_id);
    if (!row.acked_wakes.includes(sequence)) await tx.putProcess({ ...row, acked_wakes: [...row.acked_wakes, sequence] });
    return null;
  },

  // A live lease of another owner fences the claim; a free, expired or own lease is
  // taken with fencing_token + 1 (it only grows, even across release).
  async claim_process_lease(tx, { process_id, owner_id, lease_ttl_ms }, now) {
    const current = await tx.getLease(process_id);
    if (current && current.owner_id !== '' && current.expires_at_epoch_ms > now && current.owner_id !== owner_id) {
      throw leaseConflict(process_id, current);
    }
    const fencing_token = (current?.fencing_token ?? 0) + 1;
    const lease = { schema_version: PROCESS_LEASE_SCHEMA_VERSION, process_id, owner_id,
      lease_token: `${process_id}:${owner_id}:${now}:${fencing_token}`, fencing_token,
      claimed_at_epoch_ms: now, expires_at_epoch_ms: now + lease_ttl_ms };
    await tx.putLease(lease);
    return lease;
  },

  async renew_process_lease(tx, { lease, lease_ttl_ms }, now) {
    const current = await tx.getLease(lease.process_id);
    if (!current || current.owner_id === '' || current.lease_token !== lease.lease_token || current.expires_at_epoch_ms <= now) {
      throw leaseExpired(lease.process_id);
    }
    const renewed = { ...lease, expires_at_epoch_ms: now + lease_ttl_ms };
    await tx.putLease(renewed);
    return renewed;
  },

  // Release fenced by the token: a stale completion is a no-op; idempotent.
  async complete_process_lease(tx, { completion }) {
    const current = await tx.getLease(completion.process_id);
    if (current && current.lease_token === completion.lease_token) {
      await tx.putLease({ ...current, owner_id: '', lease_token: '', claimed_at_epoch_ms: 0, expires_at_epoch_ms: 0 });
    }
    return null;
  },
};

// ---- list filters (lash ProcessListFilter / ProcessStatusFilter) ----

const STATUS_FILTERS = ['running', 'completed', 'failed', 'cancelled', 'any'];
function listFilter(filter = {}) {
  if (!isObj(filter)) throw invalid('filter', 'expected { definition?, status?, waiting? }');
  for (const k of Object.keys(filter)) {
    if (!['definition', 'status', 'waiting'].includes(k)) throw invalid('filter', `processes.list unknown filter \`${k}\``);
  }
  const status = filter.status ?? 'running';
  if (!STATUS_FILTERS.includes(status)) {
    throw invalid('filter', `processes.list status must be \`running\`, \`completed\`, \`failed\`, \`cancelled\`, or \`any\`, got \`${status}\``);
  }
  if (filter.waiting != null && typeof filter.waiting !== 'boolean') throw invalid('filter', 'processes.list `waiting` filter must be a boolean');
  const definition = filter.definition === undefined ? undefined : canonicalJson(filter.definition);
  return (record) => (status === 'any' || record.status.state === status)
    && (definition === undefined || (record.identity.definition !== undefined && canonicalJson(record.identity.definition) === definition))
    && (filter.waiting == null || (record.wait != null) === filter.waiting);
}

// Results are plain JSON: a JSON round trip copies them (faster than structuredClone
// here), so a caller can never alias a backend's rows.
const copy = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
const byId = (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const byKey = (k) => (a, b) => (a[k] < b[k] ? -1 : a[k] > b[k] ? 1 : 0);

// ---- the registry object ----

/**
 * A ProcessRegistry over a backend. Backends implement
 *   _run(record, fn?)  apply one write record { op, args, now } atomically and
 *                      return WRITES[op]'s result (fn: the tx function, default WRITES[op])
 *   _read(fn)          run fn(rtx) over a consistent view; rtx reads rows
 *                      (getProcess, allProcesses, events, grantsByScope, grantsByProcess, getLease)
 *   durabilityTier     'inline' | 'durable'
 *   _pollMs            null when every write goes through this object (waiters are
 *                      woken by it); otherwise how often waiters re-read (other tabs,
 *                      other processes write too)
 */
export class ProcessRegistryBase {
  #waiters = new Set();

  async #write(op, args) {
    const out = await this._run({ op, args, now: Date.now() });
    this._notify();
    return copy(out);
  }
  async #get(fn) {
    try { return copy(await this._read(fn)); } catch (e) { throw asStoreError(e); }
  }

  /** Wake local waiters (a backend also calls this after it sees foreign writes). */
  _notify() {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) w();
  }

  // Re-run check until it yields a value; between tries, wait for a local write
  // (or, on a shared durable backend, at most _pollMs).
  async #until(check) {
    for (;;) {
      const v = await check();
      if (v !== undefined) return v;
      await new Promise((resolve) => {
        let timer = null;
        const wake = () => { if (timer !== null) clearTimeout(timer); this.#waiters.delete(wake); resolve(); };
        this.#waiters.add(wake);
        if (this._pollMs) timer = setTimeout(wake, this._pollMs);
      });
    }
  }

  async registerProcess(registration) {
    return this.#write('register_process', prepareRegistration(registration));
  }

  async setExternalRef(processId, externalRef) {
    if (!isObj(externalRef) || !str(externalRef.backend) || !str(externalRef.id)) throw invalid('externalRef', 'expected { backend, id, metadata? }');
    const ref = clean({ backend: externalRef.backend, id: externalRef.id,
      metadata: externalRef.metadata == null ? undefined : json(externalRef.metadata, 'externalRef.metadata') });
    return this.#write('set_external_ref', { process_id: String(processId), external_ref: ref });
  }

  async grantHandle(scope, processId, descriptor = {}) {
    const s = sessionScope(scope);
    if (!isObj(descriptor)) throw invalid('descriptor', 'expected { kind?, label? }');
    const d = clean({ kind: descriptor.kind ?? undefined, label: descriptor.label ?? undefined });
    return this.#write('grant_handle', { scope: s, process_id: String(processId), descriptor: d });
  }

  async revokeHandle(scope, processId) {
    await this.#write('revoke_handle', { scope: sessionScope(scope), process_id: String(processId) });
  }

  async transferHandleGrants(fromScope, toScope, processIds) {
    if (!Array.isArray(processIds) || !processIds.every(str)) throw invalid('processIds', 'expected an array of process ids');
    await this.#write('transfer_handle_grants', { from: sessionScope(fromScope, 'fromScope'), to: sessionScope(toScope, 'toScope'), process_ids: processIds });
  }

  /** Every grant of the scope, joined with its process, as [grant, record] pairs in process id order. */
  async listHandleGrants(scope, { live = false } = {}) {
    const id = sessionScopeId(sessionScope(scope));
    return this.#get(async (r) => {
      const out = [];
      for (const g of await r.grantsByScope(id)) {
        const row = await r.getProcess(g.process_id);
        if (row && !(live && isTerminal(row.record))) out.push([g.grant, row.record]);
      }
      return out.sort((a, b) => byKey('process_id')(a[0], b[0]));
    });
  }
  listLiveHandleGrants(scope) { return this.listHandleGrants(scope, { live: true }); }

  async hasHandleGrant(scope, processId) {
    const id = sessionScopeId(sessionScope(scope));
    return this.#get(async (r) => (await r.grantsByScope(id)).some((g) => g.process_id === processId)
      && Boolean(await r.getProcess(processId)));
  }

  async handleGrantsForProcess(processId) {
    return this.#get(async (r) => {
      if (!(await r.getProcess(processId))) throw unknownProcess(processId);
      return (await r.grantsByProcess(processId)).map((g) => g.grant).sort(byKey('session_id'));
    });
  }

  async deleteSessionProcessState(sessionId) {
    if (!str(sessionId)) throw invalid('sessionId', 'expected a string');
    return this.#write('delete_session_process_state', { session_id: sessionId });
  }

  async appendEvent(processId, request) {
    return this.#write('append_event', { process_id: String(processId), request: appendRequest(request) });
  }

  async #events(processId, keep) {
    return this.#get(async (r) => {
      const row = await r.getProcess(processId);
      if (!row) throw unknownProcess(processId);
      return keep((await r.events(processId)).map((e) => e.event), row);
    });
  }

  /** Events with sequence > afterSequence, in order. */
  async eventsAfter(processId, afterSequence = 0) {
    const after = seqArg(afterSequence, 'afterSequence');
    return this.#events(processId, (events) => events.filter((e) => e.sequence > after));
  }

  async countEventsThrough(processId, eventType, upToSequence) {
    // lash takes a u64: u64::MAX (here Infinity or MAX_SAFE_INTEGER) means "all"
    const upTo = upToSequence === Infinity ? upToSequence : seqArg(upToSequence, 'upToSequence');
    return this.#events(processId, (events) => events.filter((e) => e.sequence <= upTo && e.event_type === eventType).length);
  }

  async recentEvents(processId, limit) {
    const n = seqArg(limit, 'limit');
    return this.#events(processId, (events) => events.slice(Math.max(0, events.length - n)));
  }

  /** Events after the cursor whose wake materialized and that are not acknowledged. */
  async wakeEventsAfter(processId, afterSequence = 0) {
    const after = seqArg(afterSequence, 'afterSequence');
    return this.#events(processId, (events, row) => events.filter((e) => e.sequence > after && e.semantics.wake
      && !row.acked_wakes.includes(e.sequence)));
  }

  /** The first event of eventType after the cursor; waits for one if none exists yet. */
  async waitEventAfter(processId, eventType, afterSequence = 0) {
    const after = seqArg(afterSequence, 'afterSequence');
    return this.#until(() => this.#events(processId, (events) => events.find((e) => e.sequence > after && e.event_type === eventType)));
  }

  /** The terminal await output; waits until the process is terminal. */
  async awaitProcess(processId) {
    return this.#until(async () => {
      const record = await this.getProcess(processId);
      if (!record) throw unknownProcess(processId);
      return record.status.await_output;
    });
  }

  async completeProcess(processId, awaitOutput) {
    const out = asAwaitOutput(awaitOutput);
    if (!out) throw invalid('awaitOutput', "expected a ProcessAwaitOutput ({ type: 'success' | 'failure' | 'cancelled', ... })");
    return this.#write('complete_process', { process_id: String(processId), await_output: json(out, 'awaitOutput') });
  }

  async setProcessWait(processId, wait) {
    const k = wait?.kind;
    if (!isObj(wait) || !Number.isSafeInteger(wait.since_ms) || !isObj(k) || k.kind !== 'signal' || !str(k.name)
      || !str(k.event_type) || !str(k.key) || !Number.isSafeInteger(k.ordinal)) {
      throw invalid('wait', "expected { kind: { kind: 'signal', name, event_type, key, ordinal }, since_ms }");
    }
    const w = { kind: { kind: 'signal', name: k.name, event_type: k.event_type, key: k.key, ordinal: k.ordinal }, since_ms: wait.since_ms };
    return this.#write('set_process_wait', { process_id: String(processId), wait: w });
  }

  async clearProcessWait(processId) { return this.#write('clear_process_wait', { process_id: String(processId) }); }

  async getProcess(processId) {
    return this.#get(async (r) => (await r.getProcess(String(processId)))?.record ?? null);
  }

  async listProcesses(filter) {
    const keep = listFilter(filter);
    return this.#get(async (r) => (await r.allProcesses()).map((row) => row.record).filter(keep).sort(byId));
  }

  async ackWake(processId, sequence) {
    await this.#write('ack_wake', { process_id: String(processId), sequence: seqArg(sequence, 'sequence') });
  }

  /** Every non-terminal process (the recovery worklist), in process id order. */
  async listNonTerminal() {
    return this.#get(async (r) => (await r.allProcesses()).map((row) => row.record).filter((rec) => !isTerminal(rec)).sort(byId));
  }

  async claimProcessLease(processId, ownerId, leaseTtlMs) {
    if (!str(ownerId) || !ownerId) throw invalid('ownerId', 'expected a non-empty string');
    return this.#write('claim_process_lease', { process_id: String(processId), owner_id: ownerId, lease_ttl_ms: seqArg(leaseTtlMs, 'leaseTtlMs') });
  }

  async renewProcessLease(lease, leaseTtlMs) {
    if (!isObj(lease) || !str(lease.process_id) || !str(lease.lease_token)) throw invalid('lease', 'expected a ProcessLease');
    return this.#write('renew_process_lease', { lease: json(lease, 'lease'), lease_ttl_ms: seqArg(leaseTtlMs, 'leaseTtlMs') });
  }

  async completeProcessLease(completion) {
    if (!isObj(completion) || !str(completion.process_id) || !str(completion.lease_token)) {
      throw invalid('completion', 'expected { process_id, lease_token }');
    }
    await this.#write('complete_process_lease', { completion: { process_id: completion.process_id, lease_token: completion.lease_token } });
  }
}

// ---- the plain-tables backend state (memory, and files after replay) ----

const k2 = (a, b) => `${a}\u0000${b}`;

/**
 * Registry rows in Maps. tx() gives a transaction whose reads see the committed
 * tables and whose writes are queued; commit() applies them all (nothing can fail
 * there), so an operation that throws changes nothing.
 */
export class RegistryTables {
  processes = new Map(); // id -> process row
  events = new Map();    // id -> [event row] in sequence order
  replays = new Map();   // k2(id, key) -> replay row
  grants = new Map();    // scope_id -> Map(process_id -> grant row)
  leases = new Map();    // id -> lease

  reader() {
    const t = this;
    const grantRows = () => [...t.grants.values()].flatMap((m) => [...m.values()]);
    return {
      getProcess: (id) => t.processes.get(id),
      allProcesses: () => [...t.processes.values()],
      events: (id) => t.events.get(id) ?? [],
      grantsByScope: (scopeId) => [...(t.grants.get(scopeId)?.values() ?? [])],
      grantsByProcess: (id) => grantRows().filter((g) => g.process_id === id),
      grantsBySession: (sid) => grantRows().filter((g) => g.session_id === sid),
      processesByWakeSession: (sid) => [...t.processes.values()].filter((r) => r.wake_sid === sid && sid !== ''),
      getLease: (id) => t.leases.get(id),
      getGrant: (scopeId, id) => t.grants.get(scopeId)?.get(id),
      getReplay: (id, key) => t.replays.get(k2(id, key)),
    };
  }

  #queue = Promise.resolve();

  /**
   * Run fn(tx) and apply its writes only if it succeeds (never with apply: false:
   * a trial run). Transactions run one at a time (fn awaits its reads, so two
   * could otherwise interleave).
   */
  transact(fn, { apply = true } = {}) {
    const run = this.#queue.then(() => this.#transact(fn, apply));
    this.#queue = run.then(() => {}, () => {});
    return run;
  }

  /** fn(reader) over a consistent view (queued behind running transactions). */
  read(fn) {
    const run = this.#queue.then(() => fn(this.reader()));
    this.#queue = run.then(() => {}, () => {});
    return run;
  }

  async #transact(fn, apply) {
    const writes = [];
    const r = this.reader();
    const tx = {
      ...r, // WRITES never mutate what they read (they build new rows), so reads need no copy
      putProcess: (row) => { writes.push(() => this.processes.set(row.id, row)); },
      putEvent: (row) => {
        writes.push(() => { const l = this.events.get(row.process_id) ?? []; l.push(row); this.events.set(row.process_id, l); });
      },
      putReplay: (row) => { writes.push(() => this.replays.set(k2(row.process_id, row.key), row)); },
      putGrant: (row) => {
        writes.push(() => { const m = this.grants.get(row.scope_id) ?? new Map(); m.set(row.process_id, row); this.grants.set(row.scope_id, m); });
      },
      delGrant: (scopeId, id) => {
        writes.push(() => { const m = this.grants.get(scopeId); if (m) { m.delete(id); if (!m.size) this.grants.delete(scopeId); } });
      },
      putLease: (lease) => { writes.push(() => this.leases.set(lease.process_id, lease)); },
    };
    const out = await fn(tx);
    if (apply) for (const w of writes) w(); // cannot throw: the operation lands whole
    return out;
  }
}
