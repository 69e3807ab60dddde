import type { ClientMessage, ExtensionStatus, ServerMessage } from '@pbx-peers/protocol';
import type { PeerLink } from './PeerLink.js';
import { SerialQueue, type TaskOwner } from './SerialQueue.js';

/** The session a peer is in, as this process knows it. */
export type LocalSession =
  | { callId: string; role: 'caller'; state: 'ringing' }
  | { callId: string; role: 'caller' | 'answerer'; state: 'connected'; otherPeerId: string };

/** The switchboard's side of every peer: one object shared by all, so a peer holds no closures. */
export interface PeerDispatcher {
  handle(peer: LocalPeer, message: ClientMessage): void | Promise<void>;
  detach(peer: LocalPeer): Promise<void>;
  taskFailed(peer: LocalPeer, error: unknown): void;
}

/**
 * One connection attached to this process, with the protocol state the core keeps for it. It is also
 * what the transport holds (as an `AttachedPeer`): messages and the detach go through its queue.
 */
export class LocalPeer implements TaskOwner {
  /** Issued by the first `init`; undefined until then. */
  peerId: string | undefined;
  /**
   * Set before the backend is told, cleared before the backend is told: notices published while the
   * backend call is in flight then already address this peer, and queue behind the request.
   */
  registered = false;
  session: LocalSession | undefined;
  private announced: Set<string> | undefined;
  /**
   * The extension status this peer last learned (from `init`, `status`, or `ready` implied by registering).
   * An extension event repeating it is not sent: with a backend whose notices arrive late, a `ready`
   * published before this peer's own `init` or `deregister` would otherwise reach it after them.
   */
  knownStatus: ExtensionStatus | undefined;
  closed = false;
  readonly queue: SerialQueue;

  constructor(
    readonly extensionId: string,
    private readonly link: PeerLink,
    private readonly dispatcher: PeerDispatcher,
  ) {
    this.queue = new SerialQueue(this);
  }

  /** Hands over one validated message; it is processed after those before it. */
  receive(message: ClientMessage): void {
    this.queue.push(() => this.dispatcher.handle(this, message));
  }

  /** The connection is gone: ends its session and registration (protocol section 6). */
  detach(): void {
    this.queue.push(() => this.dispatcher.detach(this));
  }

  taskFailed(error: unknown): void {
    this.dispatcher.taskFailed(this, error);
  }

  /**
   * Calls this registered peer has heard `ringing` for and not yet `claimed` or `abandoned`. It
   * enforces "never `claimed` or `abandoned` before `ringing`" and drops a duplicate `ringing` when a
   * call is both in the register catch-up list and broadcast. Created on first use: most connections
   * (callers) never register, and an idle connection should cost as little as possible.
   */
  get announcedCalls(): Set<string> {
    this.announced ??= new Set();
    return this.announced;
  }

  get clientAddress(): string {
    return this.link.clientAddress;
  }

  get initialized(): boolean {
    return this.peerId !== undefined;
  }

  send(message: ServerMessage): void {
    if (!this.closed) this.link.send(message);
  }

  close(code: number, reason: string): void {
    this.link.close(code, reason);
  }
}
