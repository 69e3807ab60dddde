import type { Target } from '../../servers/serverKinds.js';
import { startsWith } from '../payloads.js';
import { textFrameOf } from '../rawWs/frames.js';
import { connectRawWebSocket, type RawWebSocket } from '../rawWs/RawWebSocket.js';

/**
 * The pbx-webrtc-peers wire protocol (docs/protocol.md) as the load generator speaks it: requests
 * carry an integer `id` and are matched to their response; `signal` deliveries are recognised by their
 * first bytes and handed over unparsed; everything else is parsed JSON.
 */

export const SUBPROTOCOL = 'pbx-webrtc-peers';
export const SIGNAL_START = Buffer.from('{"type":"signal"');

export type WireMessage = Record<string, unknown>;

export class ProtocolFailure extends Error {
  override name = 'ProtocolFailure';
}

export class PbxPeer {
  peerId: string | undefined;
  /** Signal deliveries, unparsed (a view valid only during the call). */
  onSignal: (frame: Buffer) => void = () => {};
  /** Every other message that is not the awaited response to a `request`. */
  onMessage: (message: WireMessage) => void = () => {};
  private nextId = 1;
  private readonly awaiting = new Map<number, (message: WireMessage) => void>();

  constructor(readonly ws: RawWebSocket) {
    ws.onText = (frame) => this.dispatch(frame);
  }

  dispatch(frame: Buffer): void {
    if (startsWith(frame, SIGNAL_START)) return this.onSignal(frame);
    const parsed: unknown = JSON.parse(frame.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return;
    const message = parsed as WireMessage;
    const id = message.id;
    if (typeof id === 'number') {
      const waiter = this.awaiting.get(id);
      if (waiter !== undefined) {
        this.awaiting.delete(id);
        return waiter(message);
      }
    }
    this.onMessage(message);
  }

  /** Sends a request and returns its id without waiting; its answer reaches `onMessage`. */
  send(body: WireMessage): number {
    const id = this.nextId++;
    const withPeer =
      this.peerId === undefined || body.type === 'init' ? body : { ...body, peerId: this.peerId };
    this.ws.send(textFrameOf(JSON.stringify({ ...withPeer, id })));
    return id;
  }

  /** Sends a request and resolves with its response or error (bounded by `timeoutMs`). */
  request(body: WireMessage, timeoutMs: number): Promise<WireMessage> {
    return new Promise((resolve, reject) => {
      const id = this.send(body);
      const timer = setTimeout(() => {
        this.awaiting.delete(id);
        reject(new ProtocolFailure(`no answer to ${String(body.type)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.awaiting.set(id, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
  }

  async init(timeoutMs: number): Promise<string> {
    const response = await this.request({ type: 'init' }, timeoutMs);
    if (response.type !== 'response' || typeof response.peerId !== 'string') {
      throw new ProtocolFailure(`init answered ${JSON.stringify(response)}`);
    }
    this.peerId = response.peerId;
    return response.peerId;
  }

  async register(password: string, timeoutMs: number): Promise<void> {
    const response = await this.request({ type: 'register', password }, timeoutMs);
    if (response.status !== 'registered') {
      throw new ProtocolFailure(`register answered ${JSON.stringify(response)}`);
    }
  }

  /** The frame prefix of a signal in `callId`; the payload and a closing `}` follow. */
  signalPrefix(callId: string): Buffer {
    return Buffer.from(`{"type":"signal","peerId":"${this.peerId}","callId":"${callId}","data":`, 'latin1');
  }

  close(): void {
    this.ws.destroy();
  }
}

export async function connectPbxPeer(
  target: Target,
  localAddress: string | undefined,
  timeoutMs: number,
): Promise<PbxPeer> {
  if (target.protocol !== 'pbx') throw new TypeError('not a pbx-peers target');
  // No frame can arrive before `init`, so the handler can be installed after the upgrade.
  const ws = await connectRawWebSocket({
    host: target.host,
    port: target.port,
    path: `/peers/${encodeURIComponent(target.extensionId)}`,
    protocol: SUBPROTOCOL,
    ...(localAddress === undefined ? {} : { localAddress }),
    timeoutMs,
  });
  return new PbxPeer(ws);
}
