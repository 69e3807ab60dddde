import type { Duplex } from 'node:stream';

/**
 * Frames for one connection produced in the same event-loop turn (a burst of ICE candidates, a response
 * and the events after it, several relayed signals) leave in one write instead of one system call each:
 * the socket is corked on its first frame and uncorked once the turn's I/O callbacks have run. Order and
 * content of frames are unchanged.
 */
export class WriteBatcher {
  private corked: Duplex[] = [];

  /** Call before writing a frame to `socket`. */
  holdUntilTurnEnds(socket: Duplex): void {
    if (socket.writableCorked) return;
    socket.cork();
    this.corked.push(socket);
    if (this.corked.length === 1) setImmediate(this.release);
  }

  private readonly release = (): void => {
    const corked = this.corked;
    this.corked = [];
    for (const socket of corked) socket.uncork();
  };
}
