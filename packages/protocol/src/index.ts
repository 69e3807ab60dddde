export * from './messages.js';
export * from './parseClientMessage.js';
export * from './parseServerMessage.js';
