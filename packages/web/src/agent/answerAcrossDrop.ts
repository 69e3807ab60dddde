import {
  ConnectionClosedError,
  type PeerChange,
  ProtocolError,
  type ResponseFor,
  type ResumingClient,
} from '@pbx-peers/client';
import { callAfterReconnect } from '../shared/callAfterReconnect.js';

/**
 * Answers a ringing call so that a connection dropping mid-answer does not lose it. The `answer` may have
 * reached the server before the drop, its response lost: when the peer is resumed, it is sent again, and
 * `busy` (this peer is already in a session, which can only be this call) means it had won. A new peer
 * cannot answer for the old one: the original error is thrown.
 */
export async function answerAcrossDrop(
  connection: ResumingClient,
  callId: string,
): Promise<ResponseFor<'answer'>> {
  const { client } = connection;
  try {
    return await client.answer(callId);
  } catch (error) {
    if (!(error instanceof ConnectionClosedError)) throw error;
    const back = await nextPeerChange(connection);
    if (back === 'gone' || callAfterReconnect('requesting', back) !== 'goes-on') throw error;
  }
  try {
    return await client.answer(callId);
  } catch (error) {
    if (error instanceof ProtocolError && error.code === 'busy') {
      return { type: 'response', request: 'answer', status: 'connected', callId };
    }
    throw error;
  }
}

/** How the connection is next online again (ResumingClient's `peer` event), or `gone` if it never will be. */
function nextPeerChange(connection: ResumingClient): Promise<PeerChange['kind'] | 'gone'> {
  return new Promise((resolve) => {
    const stop = () => {
      stopPeer();
      stopState();
    };
    const stopPeer = connection.on('peer', (change) => {
      stop();
      resolve(change.kind);
    });
    const stopState = connection.on('state', (state) => {
      if (state !== 'gone' && state !== 'closed') return;
      stop();
      resolve('gone');
    });
  });
}
