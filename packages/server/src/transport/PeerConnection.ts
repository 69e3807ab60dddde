import type { Duplex } from 'node:stream';
import {
  type ClientMessage,
  type ParseResult,
  parseClientMessage,
  protocolError,
  type ResponseFor,
  type ServerMessage,
} from '@pbx-peers/protocol';
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import type { PeerLink } from '../core/PeerLink.js';
import type { AttachedPeer } from '../core/Switchboard.js';
import { TokenBucket } from '../limits/TokenBucket.js';
import type { ConnectionCutReason, ServerMetrics } from '../metrics/ServerMetrics.js';
import { jsonMemberText } from './jsonMemberText.js';
import { clientAddressOf, type ProxyTrust } from './proxyTrust.js';
import type { WriteBatcher } from './WriteBatcher.js';

/** What every connection of one gateway shares. */
export interface ConnectionServices {
  metrics: ServerMetrics;
  writes: WriteBatcher;
  log: Logger;
  messageRate: number;
  messageBurst: number;
  /** Unsent output a connection may have waiting before it is cut off as not reading. */
  maxBufferedBytes: number;
  /** `--trust-proxy` compiled; undefined: the socket's address is the client's. */
  proxyTrust: ProxyTrust | undefined;
  /** Told once per connection, when it has closed. */
  connectionClosed(connection: PeerConnection): void;
  /** Whether connections are logged as they open and close (level debug); read once, for the hot path. */
  logConnections: boolean;
  /** Whether every message in and out is logged (level trace); read once, as it is on the hot path. */
  traceMessages: boolean;
}

const CONNECTION = Symbol('pbx-peers connection');
type TaggedWebSocket = WebSocket & { [CONNECTION]?: PeerConnection };

/** The parts of a `net.Socket` a connection reads beyond `Duplex`. */
interface ByteCountingSocket extends Duplex {
  readonly remoteAddress?: string | undefined;
  /** Bytes accepted for writing so far, including those still waiting in `writableLength`. */
  readonly bytesWritten?: number;
}

/** Close code for a connection cut off because it is not reading what it is sent. */
export const NOT_READING_CLOSE_CODE = 1008;
/**
 * A client that is not reading will not read the close frame either (it waits behind the unsent output),
 * so the socket is destroyed this long after the close is sent.
 */
const NOT_READING_TERMINATE_MS = 1_000;

/**
 * One client connection at the edge: the core's `PeerLink` for it, its message budget, its liveness and
 * the bound on what the server holds for it. Its socket listeners are module functions shared by every
 * connection (they find the connection on the socket), so a connection holds no closures: an idle peer
 * should cost little memory.
 */
/** The code `ws` reports when the connection ended without a close frame (network loss, terminate). */
const NO_CLOSE_FRAME = 1006;
/** The server's own closes after which the peer may resume: going away, service restart. */
const RESUMABLE_SERVER_CLOSES: ReadonlySet<number> = new Set([1001, 1012]);

export class PeerConnection implements PeerLink {
  /** Cleared at each ping, set by the pong; a connection still false at the next ping is dead. */
  alive = true;
  private peer: AttachedPeer | undefined;
  private readonly budget: TokenBucket;
  /** Set once a frame over the rate was answered `rate-limited`; cleared by the next frame within it. */
  private overRate = false;
  /** Bytes handed to the kernel at the last ping while output was waiting; -1 when none was waiting. */
  private flushedAtLastPing = -1;
  /**
   * Set when the server ends the connection: `drop` for its own shutdown or restart (1001, 1012) and
   * for a client it gave up on, which may resume (protocol section 8); `end` for any other close.
   */
  private endedBy: 'drop' | 'end' | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly socket: ByteCountingSocket,
    /** Known when the per-address connection limit read it at the upgrade; else read on first use. */
    private address: string | undefined,
    /** The upgrade's `X-Forwarded-For` while `address` is unread, kept only when a proxy is trusted. */
    private forwardedFor: string | undefined,
    private readonly services: ConnectionServices,
  ) {
    this.budget = new TokenBucket(services.messageRate, services.messageBurst);
    (ws as TaggedWebSocket)[CONNECTION] = this;
    ws.on('message', onMessage);
    ws.on('pong', onPong);
    ws.on('error', onError);
    ws.on('close', onClose);
  }

  /**
   * Read from the socket only when first needed (a `register`, a log line): asking the kernel for the
   * peer's address costs a system call, and most connections never need it. Behind a trusted proxy
   * (`--trust-proxy`) it is the client that proxy names in `X-Forwarded-For`.
   */
  get clientAddress(): string {
    if (this.address === undefined) {
      this.address = clientAddressOf(this.socket.remoteAddress, this.forwardedFor, this.services.proxyTrust);
      this.forwardedFor = undefined;
    }
    return this.address;
  }

  /** The core's side of this connection; frames are accepted only once it is set. */
  attach(peer: AttachedPeer): void {
    this.peer = peer;
  }

  send(message: ServerMessage): void {
    if (!this.open) return;
    this.services.metrics.messageOut(message);
    if (this.services.traceMessages) this.trace('message out', message);
    if (message.type === 'response' && message.request === 'register') this.logRegister(message);
    this.write(JSON.stringify(message));
  }

  relaySignal(callId: string, dataJson: string): void {
    if (!this.open) return;
    this.services.metrics.signalOut();
    if (this.services.traceMessages) this.trace('message out', { type: 'signal', callId });
    // What JSON.stringify would write for `{type, callId, data}`, with `data` as the text it arrived in.
    this.write(`{"type":"signal","callId":${JSON.stringify(callId)},"data":${dataJson}}`);
  }

  private get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  private write(frame: string): void {
    this.services.writes.holdUntilTurnEnds(this.socket);
    this.ws.send(frame);
    // Memory per connection is bounded: output the client does not read is not kept without limit.
    if (this.ws.bufferedAmount > this.services.maxBufferedBytes) this.cutOff('output-overflow');
  }

  close(code: number, reason: string): void {
    this.endedBy ??= RESUMABLE_SERVER_CLOSES.has(code) ? 'drop' : 'end';
    this.ws.close(code, reason);
  }

  /** Validates one frame into a typed message for the core, or answers it with a protocol error. */
  receive(data: RawData, isBinary: boolean): void {
    const { metrics } = this.services;
    const text = isBinary ? undefined : rawText(data);
    const parsed = text === undefined ? undefined : parseClientMessage(text);
    if (!this.budget.take()) return this.refuseOverRate(parsed);
    this.overRate = false;
    if (text === undefined || parsed === undefined) {
      metrics.messageIn('invalid');
      return this.send(protocolError('bad-request', 'Binary frames are not accepted; send JSON text.'));
    }
    if (!parsed.ok) {
      metrics.messageIn('invalid');
      return this.send(parsed.error);
    }
    const { message } = parsed;
    metrics.messageIn(message.type);
    if (this.services.traceMessages) this.trace('message in', message);
    this.peer?.receive(
      message.type === 'signal'
        ? // The validator accepted the frame with a `data` member, so its text is there.
          Object.assign(message, { dataJson: jsonMemberText(text, 'data') as string })
        : message,
    );
  }

  /**
   * A frame over the rate is dropped. A request still gets its one reply (protocol section 3: every
   * request gets exactly one response or error), `rate-limited`. Anything else (a signal, a frame that is
   * not a valid message) gets `rate-limited` only for the first drop of a run: a flood of junk must not
   * earn a reply per frame.
   */
  private refuseOverRate(parsed: ParseResult | undefined): void {
    const { metrics } = this.services;
    metrics.messageIn('invalid');
    const request = parsed?.ok && parsed.message.type !== 'signal' ? parsed.message : undefined;
    if (request === undefined && this.overRate) return metrics.unansweredDrop();
    this.overRate = true;
    const context = parsed?.ok ? { request: parsed.message.type, id: parsed.message.id } : {};
    this.send(protocolError('rate-limited', 'Too many messages; this one was dropped.', context));
  }

  /**
   * True when output has been waiting since the last ping without a byte of it reaching the kernel: the
   * client is not reading (even if it answers pings), so it is treated as dead.
   */
  outputStuck(): boolean {
    const pending = this.socket.writableLength;
    if (pending === 0) {
      this.flushedAtLastPing = -1;
      return false;
    }
    const flushed = (this.socket.bytesWritten ?? 0) - pending;
    const stuck = flushed === this.flushedAtLastPing;
    this.flushedAtLastPing = flushed;
    return stuck;
  }

  /** Ends a connection the server gives up on; the close then cleans up as in protocol section 6. */
  cutOff(reason: ConnectionCutReason): void {
    const { ws } = this;
    // A client that missed a ping or stopped reading may be behind a network that failed: it may resume.
    this.endedBy ??= 'drop';
    this.services.metrics.connectionCut(reason);
    this.services.log.debug({ ...this.logContext(), reason }, 'connection cut off');
    // Only an overflowing client may still be reading, slowly: it can get the close frame.
    if (reason !== 'output-overflow' || ws.readyState !== ws.OPEN) {
      ws.terminate();
      return;
    }
    ws.close(NOT_READING_CLOSE_CODE, 'not reading');
    setTimeout(terminateSocket, NOT_READING_TERMINATE_MS, ws).unref();
  }

  /** The type and the fields that name things; never a password, never signal data. */
  private trace(
    what: string,
    message: ClientMessage | ServerMessage | { type: 'signal'; callId: string },
  ): void {
    const { type } = message;
    const fields: Record<string, unknown> = { ...this.logContext(), type };
    for (const key of ['request', 'id', 'status', 'code', 'callId', 'reason', 'topic'] as const) {
      const value = (message as unknown as Record<string, unknown>)[key];
      if (value !== undefined) fields[key] = value;
    }
    this.services.log.trace(fields, what);
  }

  private logRegister(response: ResponseFor<'register'>): void {
    const { log } = this.services;
    // Every sign-in, for operators (issue 10): the address and extension, never the password.
    if (response.status === 'registered') log.info(this.logContext(), 'register accepted');
    else if (response.reason === 'rate-limited') {
      log.warn({ ...this.logContext(), reason: response.reason }, 'register refused: address locked out');
    } else log.info({ ...this.logContext(), reason: response.reason }, 'register refused');
  }

  private logContext(): Record<string, unknown> {
    return {
      clientAddress: this.clientAddress,
      extensionId: this.peer?.extensionId,
      peerId: this.peer?.peerId,
    };
  }

  /** The socket has closed: the core ends the peer's session and registration (protocol section 6). */
  closed(code: number): void {
    if (this.services.logConnections) {
      this.services.log.debug({ ...this.logContext(), code }, 'connection closed');
    }
    const dropped = this.endedBy === undefined ? code === NO_CLOSE_FRAME : this.endedBy === 'drop';
    this.peer?.detach(dropped, this);
    this.services.connectionClosed(this);
  }

  logError(error: Error): void {
    this.services.log.debug({ err: error }, 'websocket error');
  }
}

function terminateSocket(ws: WebSocket): void {
  ws.terminate();
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

function onClose(this: WebSocket, code: number): void {
  connectionOf(this).closed(code);
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}
