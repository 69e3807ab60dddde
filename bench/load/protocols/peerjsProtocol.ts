import { randomBytes } from 'node:crypto';
import type { Target } from '../../servers/serverKinds.js';
import { startsWith } from '../payloads.js';
import { connectRawWebSocket, HandshakeError, type RawWebSocket } from '../rawWs/RawWebSocket.js';

/**
 * The PeerJS server's wire format, which the bare relays speak too: connect to
 * `/peerjs?key=peerjs&id=ID&token=TOKEN`, wait for `{"type":"OPEN"}`, then send
 * `{"type":"OFFER"|"CANDIDATE","dst":ID,"payload":...}`; the receiver gets the same with `src` added.
 * `peer=PARTNER` is for the forwarding relay (it routes by connection, not by frame); PeerJS ignores it.
 */

const OPEN_START = Buffer.from('{"type":"OPEN"');

export type PeerjsSignalType = 'OFFER' | 'CANDIDATE';

/** Large payloads travel as OFFER (SDP), small ones as CANDIDATE, as in a real PeerJS session. */
export function peerjsTypeFor(payloadBytes: number): PeerjsSignalType {
  return payloadBytes >= 1024 ? 'OFFER' : 'CANDIDATE';
}

export function newPeerjsId(): string {
  return randomBytes(12).toString('base64url');
}

export function peerjsSignalPrefix(type: PeerjsSignalType, destinationId: string): Buffer {
  return Buffer.from(`{"type":"${type}","dst":"${destinationId}","payload":`, 'latin1');
}

/** How every relayed frame of that type begins, whichever of the three PeerJS-format servers sent it. */
export function peerjsDeliveredStart(type: PeerjsSignalType): Buffer {
  return Buffer.from(`{"type":"${type}"`, 'latin1');
}

/** Connects as peer `id` and resolves once the server said OPEN. */
export function connectPeerjsPeer(
  target: Target,
  id: string,
  partnerId: string,
  localAddress: string | undefined,
  timeoutMs: number,
): Promise<RawWebSocket> {
  const token = randomBytes(6).toString('hex');
  return new Promise((resolve, reject) => {
    let ws: RawWebSocket | undefined;
    let opened = false;
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      ws?.destroy();
      reject(new HandshakeError(`no OPEN within ${timeoutMs} ms`));
    }, timeoutMs);
    // OPEN can arrive in the same read as the 101, before the connection promise resolves.
    const settle = () => {
      if (settled || !opened || ws === undefined) return;
      settled = true;
      clearTimeout(timer);
      ws.onText = () => {};
      resolve(ws);
    };
    connectRawWebSocket({
      host: target.host,
      port: target.port,
      path: `/peerjs?key=peerjs&id=${id}&token=${token}&peer=${partnerId}`,
      ...(localAddress === undefined ? {} : { localAddress }),
      timeoutMs,
      onText: (frame) => {
        if (!startsWith(frame, OPEN_START)) return;
        opened = true;
        settle();
      },
    }).then(
      (connected) => {
        ws = connected;
        if (settled) connected.destroy();
        else settle();
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
