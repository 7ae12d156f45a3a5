// lash-wasm for Node: everything in index.js plus the file-backed durable stores.
// (Kept apart so browser and worker bundles never import node: modules.)
export * from './index.js';
export { FileSessionStoreFactory, FileAttachmentStore, FileProcessExecutionEnvStore } from './stores/files.js';
export { FileProcessRegistry } from './stores/files-processes.js';
