import { type NetworkBackSignal, PbxClient, ResumingClient } from '@pbx-peers/client';

/** The browser's `online` event: the network is back, so a waiting reconnect should not wait on. */
export const browserNetworkBack: NetworkBackSignal = (retry) => {
  window.addEventListener('online', retry);
  return () => window.removeEventListener('online', retry);
};

/**
 * A page's signalling connection: one `PbxClient` for `url`, kept connected and resumed across drops by the
 * SDK's `ResumingClient`, retrying at once when the browser says the network is back.
 */
export function pageConnection(url: string): ResumingClient {
  return new ResumingClient({ client: new PbxClient({ url }), networkBack: browserNetworkBack });
}
