import type { Target } from '../servers/serverKinds.js';
import { connectPbxPeer } from './protocols/pbxProtocol.js';
import { connectPeerjsPeer, newPeerjsId } from './protocols/peerjsProtocol.js';
import type { RawWebSocket } from './rawWs/RawWebSocket.js';

/**
 * One peer, connected the way that server's clients connect: for the PeerJS format until the server's
 * OPEN; for pbx-peers until the upgrade, plus `init` answered when `initialize` is set.
 */
export async function openPeer(
  target: Target,
  localAddress: string | undefined,
  initialize: boolean,
  timeoutMs: number,
): Promise<RawWebSocket> {
  if (target.protocol === 'peerjs') {
    const id = newPeerjsId();
    return connectPeerjsPeer(target, id, id, localAddress, timeoutMs);
  }
  const peer = await connectPbxPeer(target, localAddress, timeoutMs);
  if (initialize) {
    try {
      await peer.init(timeoutMs);
    } catch (error) {
      peer.close();
      throw error;
    }
  }
  peer.ws.onText = () => {};
  return peer.ws;
}
