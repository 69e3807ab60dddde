import type { Duplex } from 'node:stream';
import { parseClientMessage, protocolError, type ServerMessage } from '@pbx-peers/protocol';
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import type { PeerLink } from '../core/PeerLink.js';
import type { AttachedPeer } from '../core/Switchboard.js';
import { TokenBucket } from '../limits/TokenBucket.js';
import type { ServerMetrics } from '../metrics/ServerMetrics.js';
import type { WriteBatcher } from './WriteBatcher.js';

/** What every connection of one gateway shares. */
export interface ConnectionServices {
  metrics: ServerMetrics;
  writes: WriteBatcher;
  log: Logger;
  messageRate: number;
  messageBurst: number;
}

const CONNECTION = Symbol('pbx-peers connection');
type TaggedWebSocket = WebSocket & { [CONNECTION]?: PeerConnection };

/**
 * One client connection at the edge: the core's `PeerLink` for it, its message budget and its liveness.
 * Its socket listeners are module functions shared by every connection (they find the connection on the
 * socket), so a connection holds no closures: an idle peer should cost little memory.
 */
export class PeerConnection implements PeerLink {
  /** Cleared at each ping, set by the pong; a connection still false at the next ping is dead. */
  alive = true;
  private peer: AttachedPeer | undefined;
  private readonly budget: TokenBucket;

  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Duplex,
    private readonly services: ConnectionServices,
  ) {
    this.budget = new TokenBucket(services.messageRate, services.messageBurst);
    (ws as TaggedWebSocket)[CONNECTION] = this;
    ws.on('message', onMessage);
    ws.on('pong', onPong);
    ws.on('error', onError);
    ws.on('close', onClose);
  }

  /** The core's side of this connection; frames are accepted only once it is set. */
  attach(peer: AttachedPeer): void {
    this.peer = peer;
  }

  send(message: ServerMessage): void {
    const { ws } = this;
    if (ws.readyState !== ws.OPEN) return;
    this.services.metrics.messageOut(message);
    this.services.writes.holdUntilTurnEnds(this.socket);
    ws.send(JSON.stringify(message));
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  /** Validates one frame into a typed message for the core, or answers it with a protocol error. */
  receive(data: RawData, isBinary: boolean): void {
    const { metrics } = this.services;
    const parsed = isBinary ? undefined : parseClientMessage(rawText(data));
    if (!this.budget.take()) {
      metrics.messageIn('invalid');
      const context = parsed?.ok ? { request: parsed.message.type, id: parsed.message.id } : {};
      return this.send(protocolError('rate-limited', 'Too many messages; this one was dropped.', context));
    }
    if (parsed === undefined) {
      metrics.messageIn('invalid');
      return this.send(protocolError('bad-request', 'Binary frames are not accepted; send JSON text.'));
    }
    if (!parsed.ok) {
      metrics.messageIn('invalid');
      return this.send(parsed.error);
    }
    metrics.messageIn(parsed.message.type);
    this.peer?.receive(parsed.message);
  }

  detach(): void {
    this.peer?.detach();
  }

  logError(error: Error): void {
    this.services.log.debug({ err: error }, 'websocket error');
  }
}

/** The connection of a socket a `PeerConnection` was made for. */
export function connectionOf(ws: WebSocket): PeerConnection {
  return (ws as TaggedWebSocket)[CONNECTION] as PeerConnection;
}

function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  connectionOf(this).receive(data, isBinary);
}

function onPong(this: WebSocket): void {
  connectionOf(this).alive = true;
}

function onError(this: WebSocket, error: Error): void {
  connectionOf(this).logError(error);
}

function onClose(this: WebSocket): void {
  connectionOf(this).detach();
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}
