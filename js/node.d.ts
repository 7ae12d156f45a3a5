// lash-wasm for Node: everything in index.d.ts plus the file-backed durable stores.
export * from './index.js';
import type { SessionStoreFactory, SessionStore, AttachmentStore, ProcessExecutionEnvStore, AttachmentRef, ProcessRegistry } from './index.js';

/** Sessions as directories of fsync'ed append-only commit logs; a torn tail is ignored on open. */
export class FileSessionStoreFactory implements SessionStoreFactory {
  constructor(options: { dir: string });
  readonly durabilityTier: 'durable';
  createStore(req: Parameters<SessionStoreFactory['createStore']>[0]): Promise<SessionStore>;
  openExistingStore(req: { session_id: string }): Promise<SessionStore | null>;
  deleteSession(sessionId: string): Promise<void>;
}
export class FileAttachmentStore implements AttachmentStore {
  constructor(options: { dir: string });
  readonly durabilityTier: 'durable';
  put(bytes: Uint8Array, meta?: object): Promise<AttachmentRef>;
  get(id: string): Promise<{ meta: AttachmentRef; bytes: Uint8Array }>;
}
export class FileProcessExecutionEnvStore implements ProcessExecutionEnvStore {
  constructor(options: { dir: string });
  readonly durabilityTier: 'durable';
  putProcessExecutionEnv(ref: string, bytes: Uint8Array): Promise<void>;
  getProcessExecutionEnv(ref: string): Promise<Uint8Array | null>;
}
/** The process registry as an fsync'ed append-only log, {dir}/registry.log, shared safely by processes. */
export class FileProcessRegistry {
  constructor(options: { dir: string });
  readonly durabilityTier: 'durable';
}
export interface FileProcessRegistry extends ProcessRegistry {}
