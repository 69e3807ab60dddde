export * from './config/serverOptions.js';
export { type RunningServer, type StartServerOptions, startServer } from './startServer.js';
export type { ExtensionRecord, ExtensionStore, NewExtension } from './store/ExtensionStore.js';
export { DuplicateExtensionError } from './store/ExtensionStore.js';
export { hashPassword, verifyPassword } from './store/passwordHash.js';
export { SqliteExtensionStore } from './store/SqliteExtensionStore.js';
