import type { ConnectionState } from './ReconnectingClient.js';

/**
 * `window.__pbxTest`: what the end-to-end tests (packages/web/test) read from a page. It exposes the
 * current call's RTCPeerConnection (for `getStats()`: packets received, the selected candidate pair) and
 * the signalling connection's state. Read-only by convention; the app never reads it back, and it holds
 * nothing the page's own scripts could not already reach (no password).
 */
export interface PbxTestHook {
  /** The current call's RTCPeerConnection; null between calls. */
  pc: RTCPeerConnection | null;
  connection: ConnectionState;
}

declare global {
  interface Window {
    __pbxTest?: PbxTestHook;
  }
}

export const testHook: PbxTestHook = { pc: null, connection: 'connecting' };
window.__pbxTest = testHook;
