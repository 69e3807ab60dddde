import WebSocket from 'ws';
import { type PbxClientOptions, PbxClient as PortablePbxClient } from './PbxClient.js';

/**
 * The Node entry: everything the browser entry exports, except that `PbxClient` defaults to the `ws`
 * package (Node 20 has no global WebSocket). Kept to one subclass so the public API, and therefore
 * `index.d.ts` which types both entries, is the same.
 */
export * from './index.js';

export class PbxClient extends PortablePbxClient {
  constructor(options: PbxClientOptions) {
    super({ ...options, WebSocket: options.WebSocket ?? WebSocket });
  }
}
