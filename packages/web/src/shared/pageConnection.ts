import { type NetworkBackSignal, PbxClient, ResumingClient } from '@pbx-peers/client';
import { mark } from './testHook.js';

/** The browser's `online` event: the network is back, so a waiting reconnect should not wait on. */
export const browserNetworkBack: NetworkBackSignal = (retry) => {
  window.addEventListener('online', retry);
  return () => window.removeEventListener('online', retry);
};

/**
 * A page's signalling connection: one `PbxClient` for `url`, kept connected and resumed across drops by the
 * SDK's `ResumingClient`, retrying at once when the browser says the network is back. Its drops and
 * comebacks are marked on the test hook's timeline (`connection:dropped`, `connection:resumed`, ...).
 */
export function pageConnection(url: string): ResumingClient {
  const connection = new ResumingClient({ client: new PbxClient({ url }), networkBack: browserNetworkBack });
  connection.on('dropped', () => mark('connection:dropped'));
  connection.on('peer', (change) => mark(`connection:${change.kind}`));
  return connection;
}
