import {
  connectPbxPeer,
  type PbxPeer,
  ProtocolFailure,
  type WireMessage,
} from '../load/protocols/pbxProtocol.js';
import type { Target } from '../servers/serverKinds.js';

export { ProtocolFailure, type WireMessage };

interface Waiter {
  matches(message: WireMessage): boolean;
  resolve(message: WireMessage): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** Unclaimed messages kept for a wait that starts just after its message arrived. */
const RECENT_KEPT = 32;

/**
 * A pbx-peers peer of the soak: the benchmark's raw-WebSocket protocol client plus bounded waits for
 * events and signals. Signals are counted, not parsed: a soak peer is in one call at a time, so every
 * signal it receives belongs to that call. Any `error` nobody awaited is reported as unexpected.
 */
export class SoakPeer {
  private readonly waiters: Waiter[] = [];
  private readonly recent: WireMessage[] = [];
  private signalWaiter:
    | { resolve: () => void; reject: (error: Error) => void; timer: NodeJS.Timeout }
    | undefined;
  private pendingSignals = 0;
  private isClosed = false;

  private constructor(
    private readonly peer: PbxPeer,
    onUnexpected: (message: WireMessage) => void,
  ) {
    peer.onMessage = (message) => {
      const index = this.waiters.findIndex((waiter) => waiter.matches(message));
      if (index >= 0) {
        const [waiter] = this.waiters.splice(index, 1) as [Waiter];
        clearTimeout(waiter.timer);
        return waiter.resolve(message);
      }
      if (message.type === 'error') onUnexpected(message);
      this.recent.push(message);
      if (this.recent.length > RECENT_KEPT) this.recent.shift();
    };
    peer.onSignal = () => {
      const waiter = this.signalWaiter;
      if (waiter === undefined) {
        this.pendingSignals++;
        return;
      }
      this.signalWaiter = undefined;
      clearTimeout(waiter.timer);
      waiter.resolve();
    };
    peer.ws.onClose = () => {
      this.isClosed = true;
      const error = new ProtocolFailure('the connection closed');
      for (const waiter of this.waiters.splice(0)) {
        clearTimeout(waiter.timer);
        waiter.reject(error);
      }
      if (this.signalWaiter !== undefined) {
        clearTimeout(this.signalWaiter.timer);
        this.signalWaiter.reject(error);
        this.signalWaiter = undefined;
      }
    };
  }

  /** Connects and sends `init`. */
  static async open(
    target: Target,
    timeoutMs: number,
    onUnexpected: (message: WireMessage) => void,
  ): Promise<SoakPeer> {
    const peer = await connectPbxPeer(target, undefined, timeoutMs);
    const soakPeer = new SoakPeer(peer, onUnexpected);
    try {
      await peer.init(timeoutMs);
    } catch (error) {
      soakPeer.drop();
      throw error;
    }
    return soakPeer;
  }

  get closed(): boolean {
    return this.isClosed || !this.peer.ws.isOpen;
  }

  request(body: WireMessage, timeoutMs: number): Promise<WireMessage> {
    return this.peer.request(body, timeoutMs);
  }

  async register(password: string, timeoutMs: number): Promise<void> {
    await this.peer.register(password, timeoutMs);
  }

  /** Sends a signal in `callId` (no response on success). */
  signal(callId: string, data: unknown): void {
    this.peer.send({ type: 'signal', callId, data });
  }

  /** Resolves with the first message (recent or coming) that `matches`; rejects after `timeoutMs`. */
  waitFor(matches: (message: WireMessage) => boolean, timeoutMs: number, what: string): Promise<WireMessage> {
    const index = this.recent.findIndex(matches);
    if (index >= 0) return Promise.resolve(this.recent.splice(index, 1)[0] as WireMessage);
    if (this.closed) return Promise.reject(new ProtocolFailure(`closed while waiting for ${what}`));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        matches,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(new ProtocolFailure(`no ${what} within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Resolves once a signal arrived (one that came earlier counts). */
  nextSignal(timeoutMs: number): Promise<void> {
    if (this.pendingSignals > 0) {
      this.pendingSignals--;
      return Promise.resolve();
    }
    if (this.closed) return Promise.reject(new ProtocolFailure('closed while waiting for a signal'));
    if (this.signalWaiter !== undefined)
      return Promise.reject(new ProtocolFailure('two signal waits at once'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.signalWaiter = undefined;
        reject(new ProtocolFailure(`no signal within ${timeoutMs} ms`));
      }, timeoutMs);
      this.signalWaiter = { resolve, reject, timer };
    });
  }

  /** Forgets signals and messages of a call that is over. */
  reset(): void {
    this.pendingSignals = 0;
    this.recent.length = 0;
  }

  /** Closes with a close frame: the server ends the peer at once (protocol section 6). */
  close(): void {
    this.peer.ws.close();
  }

  /** Drops the TCP connection without a close frame. */
  drop(): void {
    this.peer.close();
  }
}

export function isSessionEvent(status: string, callId: string) {
  return (message: WireMessage): boolean =>
    message.type === 'event' &&
    message.topic === 'session' &&
    message.status === status &&
    message.callId === callId;
}
