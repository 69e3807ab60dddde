import assert from 'node:assert/strict';
import WebSocket, { type RawData } from 'ws';
import { delay } from './delay.js';
import { UpgradeRefusedError } from './UpgradeRefusedError.js';

/** One decoded server frame. Deliberately untyped: the tests check what is on the wire, not what the types say. */
export type WireMessage = Record<string, unknown>;

/** The close frame the client saw (1006 when the connection dropped without one). */
export interface CloseInfo {
  code: number;
  reason: string;
}

export interface ConnectOptions {
  /** Subprotocols offered in `Sec-WebSocket-Protocol`; `[]` offers none. Default: `['pbx-webrtc-peers']`. */
  protocols?: string[];
  /** Extra upgrade request headers, e.g. `{ Origin: 'https://good.example' }`. */
  headers?: Record<string, string>;
  /** `false` makes a dead peer: it never answers the server's pings. Default true. */
  autoPong?: boolean;
  /** Names the client in failure messages. */
  label?: string;
  /** Bound on the opening handshake. Default 2000 ms. */
  timeoutMs?: number;
  /** Local address to connect from, e.g. `127.0.0.2` to be another client address on loopback. */
  localAddress?: string;
  /** `false` accepts any certificate on `wss://` (a test proxy's self-signed one). Default true. */
  rejectUnauthorized?: boolean;
}

export const SUBPROTOCOL = 'pbx-webrtc-peers';
export const DEFAULT_WAIT_MS = 2_000;

interface Waiter {
  matches(message: WireMessage): boolean;
  resolve(message: WireMessage): void;
  reject(error: Error): void;
  what: string;
  timer: NodeJS.Timeout;
}

/**
 * A raw WebSocket client for protocol tests. Every frame the server sends is decoded and queued;
 * `next` and `nextMatching` take messages off the queue (a message another wait skipped stays queued, in
 * order), and `history` keeps every message in arrival order for ordering checks. Every wait is bounded
 * and fails with a message naming what it awaited and what was queued instead.
 */
export class WireClient {
  /** Every message received, in arrival order, consumed or not. */
  readonly history: WireMessage[] = [];
  private readonly inbox: WireMessage[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly closedPromise: Promise<CloseInfo>;
  private closeInfo: CloseInfo | undefined;
  private requestCounter = 0;
  private initializedPeerId: string | undefined;

  private constructor(
    readonly socket: WebSocket,
    readonly label: string,
  ) {
    socket.on('message', (data: RawData, isBinary: boolean) => this.receive(decode(data, isBinary)));
    // Errors also surface as a close (or a rejected connect); the listener keeps them from being thrown.
    socket.on('error', () => {});
    this.closedPromise = new Promise((resolve) => {
      socket.once('close', (code: number, reason: Buffer) => {
        this.closeInfo = { code, reason: reason.toString('utf8') };
        for (const waiter of this.waiters.splice(0)) {
          clearTimeout(waiter.timer);
          waiter.reject(
            new Error(
              `${this.label}: the connection closed (${code} ${this.closeInfo.reason}) while waiting for ${waiter.what}.`,
            ),
          );
        }
        resolve(this.closeInfo);
      });
    });
  }

  /** Opens a WebSocket; rejects with `UpgradeRefusedError` (carrying `statusCode`) when the upgrade is refused. */
  static connect(url: string, options: ConnectOptions = {}): Promise<WireClient> {
    const { protocols = [SUBPROTOCOL], headers = {}, autoPong = true, timeoutMs = DEFAULT_WAIT_MS } = options;
    const socket = new WebSocket(url, protocols, {
      headers,
      autoPong,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
      ...(options.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: options.rejectUnauthorized }),
    });
    const client = new WireClient(socket, options.label ?? url);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.terminate();
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for the WebSocket to ${url} to open.`));
      }, timeoutMs);
      socket.once('open', () => {
        clearTimeout(timer);
        resolve(client);
      });
      socket.once('unexpected-response', (request, response) => {
        clearTimeout(timer);
        response.resume();
        request.destroy();
        reject(new UpgradeRefusedError(url, response.statusCode ?? 0));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  /** The subprotocol the server selected; '' when none. */
  get protocol(): string {
    return this.socket.protocol;
  }

  /** The peer id the last successful `init()` returned. */
  get peerId(): string {
    assert.ok(this.initializedPeerId !== undefined, `${this.label}: init() was not called.`);
    return this.initializedPeerId;
  }

  /** Sends one object as a JSON text frame. */
  send(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }

  /** Sends a frame as is: text by default, a binary frame with `{ binary: true }`. */
  sendRaw(data: string | Buffer, options: { binary?: boolean } = {}): void {
    this.socket.send(data, { binary: options.binary ?? false });
  }

  /** The oldest message not yet taken. */
  next(timeoutMs = DEFAULT_WAIT_MS): Promise<WireMessage> {
    return this.nextMatching(() => true, timeoutMs, 'the next message');
  }

  /** Takes the oldest message satisfying `matches`; other messages stay queued in order. */
  nextMatching(
    matches: (message: WireMessage) => boolean,
    timeoutMs = DEFAULT_WAIT_MS,
    what = `a message matching ${String(matches)}`,
  ): Promise<WireMessage> {
    const index = this.inbox.findIndex(matches);
    if (index >= 0) return Promise.resolve(this.inbox.splice(index, 1)[0] as WireMessage);
    if (this.closeInfo !== undefined) {
      const { code, reason } = this.closeInfo;
      return Promise.reject(
        new Error(`${this.label}: the connection is closed (${code} ${reason}); no ${what}.`),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        matches,
        resolve,
        reject,
        what,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(
            new Error(
              `${this.label}: timed out after ${timeoutMs} ms waiting for ${what}; queued instead: ${this.describeInbox()}`,
            ),
          );
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Takes the oldest queued message satisfying `matches`, without waiting. */
  take(matches: (message: WireMessage) => boolean): WireMessage | undefined {
    const index = this.inbox.findIndex(matches);
    return index < 0 ? undefined : this.inbox.splice(index, 1)[0];
  }

  /** Takes every queued message. */
  drain(): WireMessage[] {
    return this.inbox.splice(0);
  }

  /** Fails when a message arrives within `ms`, or one is still queued untaken. */
  async expectSilence(ms = 200): Promise<void> {
    await delay(ms);
    assert.equal(
      this.inbox.length,
      0,
      `${this.label}: expected no message within ${ms} ms, got ${this.describeInbox()}`,
    );
  }

  /** The connection is open (not closed by either side, nor closing). */
  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Resolves with the close code and reason once the connection has closed. */
  closed(timeoutMs = DEFAULT_WAIT_MS): Promise<CloseInfo> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`${this.label}: timed out after ${timeoutMs} ms waiting for the connection to close.`),
          ),
        timeoutMs,
      );
      void this.closedPromise.then((info) => {
        clearTimeout(timer);
        resolve(info);
      });
    });
  }

  get isClosed(): boolean {
    return this.closeInfo !== undefined;
  }

  /** Closes with 1000 and waits for the close (terminates after 1 s); never throws. */
  async close(): Promise<void> {
    if (this.closeInfo !== undefined) return;
    if (this.socket.readyState === WebSocket.OPEN) this.socket.close(1000, 'test done');
    else this.socket.terminate();
    const timer = setTimeout(() => this.socket.terminate(), 1_000);
    await this.closedPromise;
    clearTimeout(timer);
  }

  /** Drops the TCP connection without a close frame; resolves once the client saw it close. */
  /**
   * Stops reading: pings go unanswered and nothing more arrives, as from a peer whose machine froze.
   * `resume()` reads again, and sees what happened meanwhile (a terminated connection, say).
   */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  async terminate(): Promise<CloseInfo> {
    this.socket.terminate();
    return this.closed();
  }

  /**
   * Sends a request, giving it an id (`req-N`) unless it has one, and takes the `response` or `error`
   * carrying that id; other messages stay queued.
   */
  request(message: WireMessage, timeoutMs = DEFAULT_WAIT_MS): Promise<WireMessage> {
    const id = 'id' in message ? message.id : `req-${++this.requestCounter}`;
    this.send({ ...message, id });
    return this.nextMatching(
      (reply) => (reply.type === 'response' || reply.type === 'error') && reply.id === id,
      timeoutMs,
      `the reply to ${JSON.stringify({ ...message, id })}`,
    );
  }

  /** `init`; asserts a response with a peer id and remembers it as `peerId`. */
  /** The last `init` response (section 8: it carries the `resumeToken`). */
  lastInit: WireMessage | undefined;

  /** `init` with `resume` (section 8); returns the reply, and takes its `peerId` as this connection's. */
  async initResuming(token: string, timeoutMs = DEFAULT_WAIT_MS): Promise<WireMessage> {
    const reply = await this.request({ type: 'init', resume: token }, timeoutMs);
    if (reply.type === 'response' && typeof reply.peerId === 'string') {
      this.initializedPeerId = reply.peerId;
      this.lastInit = reply;
    }
    return reply;
  }

  async init(): Promise<string> {
    const reply = await this.request({ type: 'init' });
    this.lastInit = reply;
    assert.equal(reply.type, 'response', `${this.label}: init failed: ${JSON.stringify(reply)}`);
    assert.equal(
      typeof reply.peerId,
      'string',
      `${this.label}: init answered no peerId: ${JSON.stringify(reply)}`,
    );
    this.initializedPeerId = reply.peerId as string;
    return this.initializedPeerId;
  }

  /** `register` with this connection's peer id; returns the reply unchecked. */
  register(password: string): Promise<WireMessage> {
    return this.request({ type: 'register', peerId: this.peerId, password });
  }

  private receive(message: WireMessage): void {
    this.history.push(message);
    const index = this.waiters.findIndex((waiter) => waiter.matches(message));
    if (index < 0) {
      this.inbox.push(message);
      return;
    }
    const [waiter] = this.waiters.splice(index, 1) as [Waiter];
    clearTimeout(waiter.timer);
    waiter.resolve(message);
  }

  private describeInbox(): string {
    return this.inbox.length === 0
      ? 'nothing'
      : this.inbox.map((message) => JSON.stringify(message)).join(', ');
  }
}

/** A frame that is not one JSON object becomes a marker object that no expectation matches. */
function decode(data: RawData, isBinary: boolean): WireMessage {
  const chunks = Array.isArray(data) ? data : [Buffer.from(data as Buffer)];
  const text = Buffer.concat(chunks).toString('utf8');
  if (isBinary) return { type: '<binary frame>', text };
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as WireMessage;
  } catch {
    // Reported below as a frame that is not a JSON object.
  }
  return { type: '<not a JSON object>', text };
}
