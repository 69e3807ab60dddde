import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { parseClientMessage, protocolError, type ServerMessage, SUBPROTOCOL } from '@pbx-peers/protocol';
import type { Logger } from 'pino';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import type { Switchboard } from '../core/Switchboard.js';
import { TokenBucket } from '../limits/TokenBucket.js';
import type { ServerMetrics } from '../metrics/ServerMetrics.js';
import type { ExtensionStore } from '../store/ExtensionStore.js';

export interface PeerGatewayOptions {
  maxMessageBytes: number;
  pingIntervalMs: number;
  /** Empty: any origin. */
  allowedOrigins: string[];
  messageRate: number;
  messageBurst: number;
}

const PEERS_PATH = /^\/peers\/([^/]+)$/;
const GOING_AWAY = 1001;

/**
 * The WebSocket edge (protocol section 1): upgrade checks, frame limits, pings, the per-connection rate
 * limit, and validation of every frame into a typed message before the core sees it.
 */
export class PeerGateway {
  private readonly wss: WebSocketServer;
  private readonly alive = new WeakMap<WebSocket, boolean>();
  private readonly heartbeat: NodeJS.Timeout;
  /** Sockets corked during this turn of the event loop, uncorked together once its I/O is handled. */
  private corked: Duplex[] = [];

  constructor(
    private readonly switchboard: Switchboard,
    private readonly store: ExtensionStore,
    private readonly metrics: ServerMetrics,
    private readonly log: Logger,
    private readonly options: PeerGatewayOptions,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxMessageBytes,
      perMessageDeflate: false,
      handleProtocols: (offered) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
    this.heartbeat = setInterval(() => this.pingAll(), options.pingIntervalMs);
    this.heartbeat.unref();
  }

  /** Handles an HTTP upgrade request; anything but `/peers/<known extension>` is refused with a status. */
  async handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // A method, not a closure over this call: a listener that lives as long as the connection must not
    // keep the upgrade request (headers and all) reachable.
    socket.on('error', this.onSocketError);
    const pathname = new URL(request.url ?? '/', 'http://upgrade').pathname;
    const extensionId = decodePathSegment(PEERS_PATH.exec(pathname)?.[1]);
    if (extensionId === undefined) return refuse(socket, 404, 'Not Found');
    const origin = request.headers.origin;
    const { allowedOrigins } = this.options;
    if (allowedOrigins.length > 0 && (origin === undefined || !allowedOrigins.includes(origin))) {
      return refuse(socket, 403, 'Forbidden');
    }
    if ((await this.store.get(extensionId)) === undefined) return refuse(socket, 404, 'Not Found');
    if (socket.destroyed) return;
    const clientAddress = request.socket.remoteAddress ?? 'unknown';
    this.wss.handleUpgrade(request, socket, head, (ws) =>
      this.accept(ws, socket, extensionId, clientAddress),
    );
  }

  private readonly onSocketError = (error: Error): void => {
    this.log.debug({ err: error }, 'upgrade socket error');
  };

  /** Closes every connection with 1001 and waits (bounded) until they are gone. */
  async close(timeoutMs = 3000): Promise<void> {
    clearInterval(this.heartbeat);
    const closing = [...this.wss.clients].map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === ws.CLOSED) return resolve();
          ws.once('close', () => resolve());
          ws.close(GOING_AWAY, 'server shutting down');
        }),
    );
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
    await Promise.race([Promise.all(closing), timeout]);
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private accept(ws: WebSocket, socket: Duplex, extensionId: string, clientAddress: string): void {
    const { metrics } = this;
    const send = (message: ServerMessage) => {
      if (ws.readyState !== ws.OPEN) return;
      metrics.messageOut(message);
      // Frames for one connection produced in the same event-loop turn (a burst of ICE candidates, a
      // response and the events after it) leave in one write instead of one system call each.
      if (!socket.writableCorked) this.corkUntilTurnEnds(socket);
      ws.send(JSON.stringify(message));
    };
    const peer = this.switchboard.attach(
      extensionId,
      { send, close: (code, reason) => ws.close(code, reason) },
      clientAddress,
    );
    const budget = new TokenBucket(this.options.messageRate, this.options.messageBurst);
    this.alive.set(ws, true);
    ws.on('pong', () => this.alive.set(ws, true));
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const parsed = isBinary ? undefined : parseClientMessage(rawText(data));
      if (!budget.take()) {
        metrics.messageIn('invalid');
        const context = parsed?.ok ? { request: parsed.message.type, id: parsed.message.id } : {};
        return send(protocolError('rate-limited', 'Too many messages; this one was dropped.', context));
      }
      if (parsed === undefined) {
        metrics.messageIn('invalid');
        return send(protocolError('bad-request', 'Binary frames are not accepted; send JSON text.'));
      }
      if (!parsed.ok) {
        metrics.messageIn('invalid');
        return send(parsed.error);
      }
      metrics.messageIn(parsed.message.type);
      peer.receive(parsed.message);
    });
    ws.on('error', (error) => this.log.debug({ err: error, extensionId }, 'websocket error'));
    ws.on('close', () => peer.detach());
  }

  private corkUntilTurnEnds(socket: Duplex): void {
    socket.cork();
    this.corked.push(socket);
    if (this.corked.length === 1) setImmediate(this.uncorkAll);
  }

  /** Runs after the I/O callbacks of the current turn; order and content of frames are unchanged. */
  private readonly uncorkAll = (): void => {
    const corked = this.corked;
    this.corked = [];
    for (const socket of corked) socket.uncork();
  };

  /** A connection that has not answered the previous ping is terminated (protocol section 1). */
  private pingAll(): void {
    for (const ws of this.wss.clients) {
      if (this.alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      this.alive.set(ws, false);
      ws.ping();
    }
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}

function decodePathSegment(segment: string | undefined): string | undefined {
  if (segment === undefined) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function refuse(socket: Duplex, status: 404 | 403, statusText: string): void {
  const body = status === 404 ? 'No such extension.\n' : 'Origin not allowed.\n';
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
