export * from './messages.js';
export * from './parseClientMessage.js';
