import type { ExtensionStatus, ServerMessage } from '@pbx-peers/protocol';
import type { PeerLink } from './PeerLink.js';
import { SerialQueue } from './SerialQueue.js';

/** The session a peer is in, as this process knows it. */
export type LocalSession =
  | { callId: string; role: 'caller'; state: 'ringing' }
  | { callId: string; role: 'caller' | 'answerer'; state: 'connected'; otherPeerId: string };

/** One connection attached to this process, with the protocol state the core keeps for it. */
export class LocalPeer {
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
    readonly clientAddress: string,
    private readonly link: PeerLink,
    onTaskError: (peer: LocalPeer, error: unknown) => void,
  ) {
    this.queue = new SerialQueue((error) => onTaskError(this, error));
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
