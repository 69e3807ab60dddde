import { connect, createServer, type Socket } from 'node:net';

export interface StallingProxy {
  /** `http://127.0.0.1:PORT`: open the pages here and everything they load, WebSocket included, goes through. */
  readonly url: string;
  readonly port: number;
  /**
   * Stops relaying, both ways, on every connection, open now or opened later: the connections stay open,
   * so each side's WebSocket still looks connected while nothing gets through (a dead network path, a
   * stalled proxy). The server's pings go unanswered too, so it drops the peers after two ping intervals.
   */
  stall(): void;
  /** Relays again what was held back, and what comes next. */
  resume(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy on 127.0.0.1 in front of `targetPort` that can be stalled: the signalling connection of the
 * pages behind it goes silent without closing, while the browsers' WebRTC media (which does not go
 * through it) carries on.
 */
export async function startStallingProxy(targetPort: number): Promise<StallingProxy> {
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  let stalled = false;
  const relay = (pair: { client: Socket; upstream: Socket }) => {
    pair.client.pipe(pair.upstream);
    pair.upstream.pipe(pair.client);
  };
  // pause() stops reading; pipe() would resume a paused source when its destination drains, so the pipes
  // are cut while stalled and put back on resume.
  const hold = (pair: { client: Socket; upstream: Socket }) => {
    for (const socket of [pair.client, pair.upstream]) {
      socket.unpipe();
      socket.pause();
    }
  };
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    const pair = { client, upstream };
    pairs.add(pair);
    for (const socket of [client, upstream]) {
      socket.on('error', () => undefined);
      socket.on('close', () => {
        pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      });
    }
    if (stalled) hold(pair);
    else relay(pair);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
  const port = address.port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stall() {
      stalled = true;
      for (const pair of pairs) hold(pair);
    },
    resume() {
      stalled = false;
      for (const pair of pairs) {
        relay(pair);
        pair.client.resume();
        pair.upstream.resume();
      }
    },
    async close() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
