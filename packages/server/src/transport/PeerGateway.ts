import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { SUBPROTOCOL } from '@pbx-peers/protocol';
import type { Logger } from 'pino';
import { type WebSocket, WebSocketServer } from 'ws';
import { settlesWithin } from '../async/settlesWithin.js';
import type { Switchboard } from '../core/Switchboard.js';
import type { ServerMetrics } from '../metrics/ServerMetrics.js';
import type { ExtensionStore } from '../store/ExtensionStore.js';
import { type ConnectionServices, connectionOf, PeerConnection } from './PeerConnection.js';
import { clientAddressOf, forwardedForOf, type ProxyTrust } from './proxyTrust.js';
import { WriteBatcher } from './WriteBatcher.js';

export interface PeerGatewayOptions {
  maxMessageBytes: number;
  pingIntervalMs: number;
  /** Empty: any origin. */
  allowedOrigins: string[];
  messageRate: number;
  messageBurst: number;
  /** Unsent output a connection may have waiting before it is closed with 1008. */
  maxBufferedBytes: number;
  /** Connections one client address may hold (accepted or being upgraded); 0: no limit. */
  maxConnectionsPerAddress: number;
  /** `--trust-proxy` compiled: whose `X-Forwarded-For` names the client; undefined trusts nobody. */
  proxyTrust: ProxyTrust | undefined;
}

/**
 * Matched on the raw request target: a WHATWG URL parse per upgrade costs more than the rest of this
 * check, and browsers send the origin form (`/peers/<id>?query`). A query is ignored.
 */
const PEERS_PATH = /^\/peers\/([^/?#]+)(?:\?[^#]*)?$/;
/** RFC 6455 "service restart": the client should reconnect, and may resume (protocol section 8). */
const SERVICE_RESTART = 1012;

/**
 * The WebSocket edge (protocol section 1): upgrade checks, frame limits, pings, the per-connection rate
 * limit, and validation of every frame into a typed message before the core sees it.
 */
export class PeerGateway {
  private readonly wss: WebSocketServer;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly services: ConnectionServices;
  /** Connections per client address, counted only when a limit is set. */
  private readonly connectionsByAddress = new Map<string, number>();
  /** Set while the backend cannot be reached: new connections would rely on state nobody can vouch for. */
  private refusingWith503 = false;

  constructor(
    private readonly switchboard: Switchboard,
    private readonly store: ExtensionStore,
    metrics: ServerMetrics,
    private readonly log: Logger,
    private readonly options: PeerGatewayOptions,
  ) {
    this.services = {
      metrics,
      log,
      writes: new WriteBatcher(),
      messageRate: options.messageRate,
      messageBurst: options.messageBurst,
      maxBufferedBytes: options.maxBufferedBytes,
      proxyTrust: options.proxyTrust,
      connectionClosed: (connection) => {
        if (options.maxConnectionsPerAddress > 0) this.release(connection.clientAddress);
      },
      logConnections: log.isLevelEnabled('debug'),
      traceMessages: log.isLevelEnabled('trace'),
    };
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
    const extensionId = decodePathSegment(PEERS_PATH.exec(request.url ?? '/')?.[1]);
    if (extensionId === undefined) return this.refuse(request, socket, 404);
    if (this.refusingWith503) return this.refuse(request, socket, 503);
    const origin = request.headers.origin;
    const { allowedOrigins } = this.options;
    if (allowedOrigins.length > 0 && (origin === undefined || !allowedOrigins.includes(origin))) {
      return this.refuse(request, socket, 403);
    }
    // The address is read (a system call) only when the per-address limit needs it; else the connection
    // keeps only the forwarded-for header, if a trusted proxy may have sent one, and reads it when needed.
    const { proxyTrust } = this.options;
    const forwardedFor = forwardedForOf(request, proxyTrust);
    const counted = this.options.maxConnectionsPerAddress > 0;
    const clientAddress = counted
      ? clientAddressOf(request.socket.remoteAddress, forwardedFor, proxyTrust)
      : undefined;
    if (clientAddress !== undefined && !this.reserve(clientAddress)) {
      return this.refuse(request, socket, 429);
    }
    let accepted = false;
    try {
      if (!(await this.store.exists(extensionId))) return this.refuse(request, socket, 404);
      if (socket.destroyed) return;
      this.wss.handleUpgrade(request, socket, head, (ws) => {
        accepted = true;
        this.accept(ws, socket, extensionId, clientAddress, forwardedFor);
      });
    } finally {
      // ws calls back synchronously on success; a refused or failed upgrade frees its place at once.
      if (!accepted && clientAddress !== undefined) this.release(clientAddress);
    }
  }

  /** While set, upgrades are answered with HTTP 503 (the backend is out of reach). */
  refuseUpgrades(refuse: boolean): void {
    this.refusingWith503 = refuse;
  }

  private refuse(request: IncomingMessage, socket: Duplex, status: keyof typeof REFUSALS): void {
    if (this.services.logConnections) {
      const { proxyTrust } = this.options;
      const clientAddress = clientAddressOf(
        request.socket.remoteAddress,
        forwardedForOf(request, proxyTrust),
        proxyTrust,
      );
      this.log.debug({ clientAddress, url: request.url, status }, 'upgrade refused');
    }
    const { statusText, body } = REFUSALS[status];
    socket.end(
      `HTTP/1.1 ${status} ${statusText}\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }

  /** Takes a place for one more connection from `address`; false when it has used them all. */
  private reserve(address: string): boolean {
    const count = this.connectionsByAddress.get(address) ?? 0;
    if (count >= this.options.maxConnectionsPerAddress) return false;
    this.connectionsByAddress.set(address, count + 1);
    return true;
  }

  private release(address: string): void {
    const count = (this.connectionsByAddress.get(address) ?? 1) - 1;
    if (count <= 0) this.connectionsByAddress.delete(address);
    else this.connectionsByAddress.set(address, count);
  }

  private readonly onSocketError = (error: Error): void => {
    this.log.debug({ err: error }, 'upgrade socket error');
  };

  /** Closes every connection with 1012 and waits (bounded) until they are gone. */
  async close(timeoutMs = 3000): Promise<void> {
    clearInterval(this.heartbeat);
    const closing = [...this.wss.clients].map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === ws.CLOSED) return resolve();
          ws.once('close', () => resolve());
          connectionOf(ws).close(SERVICE_RESTART, 'server restarting');
        }),
    );
    await settlesWithin(Promise.all(closing), timeoutMs);
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private accept(
    ws: WebSocket,
    socket: Duplex,
    extensionId: string,
    clientAddress: string | undefined,
    forwardedFor: string | undefined,
  ): void {
    const connection = new PeerConnection(
      ws,
      socket,
      clientAddress,
      clientAddress === undefined ? forwardedFor : undefined,
      this.services,
    );
    connection.attach(this.switchboard.attach(extensionId, connection));
    if (this.services.logConnections) {
      this.log.debug({ clientAddress: connection.clientAddress, extensionId }, 'connection opened');
    }
  }

  /**
   * A connection that has not answered the previous ping is terminated (protocol section 1), and so is
   * one whose output has not moved since the previous ping (it answers pings but reads nothing).
   */
  private pingAll(): void {
    for (const ws of this.wss.clients) {
      const connection = connectionOf(ws);
      if (!connection.alive) {
        connection.cutOff('unresponsive');
        continue;
      }
      if (connection.outputStuck()) {
        connection.cutOff('output-stuck');
        continue;
      }
      connection.alive = false;
      ws.ping();
    }
  }
}

function decodePathSegment(segment: string | undefined): string | undefined {
  if (segment === undefined) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

const REFUSALS = {
  403: { statusText: 'Forbidden', body: 'Origin not allowed.\n' },
  404: { statusText: 'Not Found', body: 'No such extension.\n' },
  429: { statusText: 'Too Many Requests', body: 'Too many connections from this address.\n' },
  503: { statusText: 'Service Unavailable', body: 'The server cannot reach its backend; try again later.\n' },
};
