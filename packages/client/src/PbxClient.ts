import {
  type ClientMessageOf,
  type ErrorMessage,
  type ExtensionEvent,
  type JsonValue,
  parseServerMessage,
  type RequestId,
  type RequestType,
  type ResponseFor,
  type ServerResponse,
  type SessionEvent,
  type SignalDelivery,
  type SignalRequest,
  SUBPROTOCOL,
} from '@pbx-peers/protocol';
import { ConnectionClosedError } from './ConnectionClosedError.js';
import { ConnectionFailedError } from './ConnectionFailedError.js';
import { ProtocolError } from './ProtocolError.js';
import { RequestTimeoutError } from './RequestTimeoutError.js';
import { TypedEmitter } from './TypedEmitter.js';
import { WEBSOCKET_OPEN, type WebSocketConstructorLike, type WebSocketLike } from './WebSocketLike.js';

export interface PbxClientOptions {
  /** `ws://host:port/peers/<extensionId>` (or `wss://`). */
  url: string;
  /** Defaults to `globalThis.WebSocket`; the package's Node entry defaults to `ws`. */
  WebSocket?: WebSocketConstructorLike;
  /** How long a request waits for its `response` or `error`; default 10000. */
  requestTimeoutMs?: number;
}

/** A frame from the server that is not a valid protocol message; the client drops it. */
export interface InvalidMessage {
  /** The frame's text; empty for a binary frame. */
  frame: string;
  reason: string;
}

export interface ConnectionClose {
  code: number;
  reason: string;
  /**
   * True when this client's `close()` closed the connection (the server then ends the peer at once);
   * false when the server closed it or the network dropped it (a 1.1 server keeps the peer for its resume
   * grace period: see `ResumingClient`).
   */
  byClient: boolean;
}

/** What `init()` may ask for (protocol 1.1). */
export interface InitOptions {
  /** The `resumeToken` of a peer whose connection dropped: the server makes this connection that peer again. */
  resume?: string;
}

export interface PbxClientEvents {
  extension: ExtensionEvent;
  session: SessionEvent;
  signal: SignalDelivery;
  /** A server `error` not answering a pending request: a failed `signal`, or one whose request timed out. */
  error: ProtocolError;
  /** A frame the client could not understand (a broken or newer server). Nothing else happens with it. */
  invalidMessage: InvalidMessage;
  /** The connection `connect()` opened has closed, for whatever reason. */
  close: ConnectionClose;
  /**
   * An `init` was answered: emitted as its response arrives, before `init()` resolves and before any later
   * frame is handled (such as the messages a resumed peer was sent while away).
   */
  initialized: ResponseFor<'init'>;
}

interface PendingRequest {
  id: number;
  type: RequestType;
  timer: ReturnType<typeof setTimeout>;
  resolve(response: ServerResponse): void;
  reject(error: Error): void;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const NORMAL_CLOSURE = 1000;

/**
 * One peer's connection to a pbx-peers server: typed requests, events and signals over the
 * `pbx-webrtc-peers` protocol. Knows nothing of WebRTC; `signal` carries whatever JSON the app's
 * WebRTC code exchanges.
 *
 * The client enforces no protocol rules itself (it sends `register` before `init` if asked, and the
 * server answers `not-initialized`), so that there is one source of truth for them: the server.
 *
 * A late response (after its request timed out) is dropped silently; a late error is emitted as an
 * `error` event, since it may carry news the program wants.
 *
 * One `PbxClient` is one connection at a time and does not reconnect by itself: wrap it in a
 * `ResumingClient` to reconnect after a drop and resume the same peer (protocol 1.1).
 */
export class PbxClient extends TypedEmitter<PbxClientEvents> {
  readonly url: string;
  readonly requestTimeoutMs: number;
  readonly #WebSocket: WebSocketConstructorLike | undefined;
  /** Set from `connect()` until the socket's close event, so a new `connect()` never overlaps an old socket. */
  #socket: WebSocketLike | undefined;
  #peerId: string | undefined;
  /** Set by `close()` until the socket's close event, which then reports `byClient`. */
  #closeRequested = false;
  /** Connections `abandon()`ed and still open: closed once a new connection's `init` is answered. */
  readonly #abandoned = new Set<WebSocketLike>();
  #nextRequestId = 1;
  readonly #pending = new Map<number, PendingRequest>();

  constructor(options: PbxClientOptions) {
    super();
    this.url = options.url;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#WebSocket = options.WebSocket;
  }

  /** This connection's peer ID, known after `init()` answers; cleared when the connection closes. */
  get peerId(): string | undefined {
    return this.#peerId;
  }

  get connected(): boolean {
    return this.#socket?.readyState === WEBSOCKET_OPEN;
  }

  /**
   * Opens the WebSocket, offering the `pbx-webrtc-peers` subprotocol. Rejects with
   * `ConnectionFailedError` when it cannot (unknown extension: HTTP 404). May be called again after the
   * connection closed; the new connection needs its own `init()`.
   */
  connect(): Promise<void> {
    if (this.#socket !== undefined) {
      return Promise.reject(new Error('connect() was called while a connection is open or closing.'));
    }
    // `globalThis.WebSocket` is typed as always present (DOM lib) but is absent from Node 20.
    const WebSocketImplementation: WebSocketConstructorLike | undefined =
      this.#WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructorLike }).WebSocket;
    if (typeof WebSocketImplementation !== 'function') {
      return Promise.reject(
        new TypeError(
          'No WebSocket implementation: pass options.WebSocket, or import the Node entry of the SDK.',
        ),
      );
    }
    return new Promise((resolve, reject) => {
      let socket: WebSocketLike;
      try {
        socket = new WebSocketImplementation(this.url, SUBPROTOCOL);
      } catch (error) {
        reject(new ConnectionFailedError(this.url, describe(error)));
        return;
      }
      this.#socket = socket;
      this.#peerId = undefined;
      this.#closeRequested = false;
      let opened = false;
      let failure: string | undefined;
      socket.addEventListener('open', () => {
        opened = true;
        resolve();
      });
      socket.addEventListener('error', (event) => {
        if (!opened) failure = describe(event);
      });
      socket.addEventListener('message', (event) => {
        if (this.#socket === socket) this.#receive(event.data);
      });
      socket.addEventListener('close', (event) => {
        if (this.#abandoned.delete(socket)) return; // reported when it was abandoned
        const byClient = this.#closeRequested;
        this.#socket = undefined;
        this.#peerId = undefined;
        this.#closeRequested = false;
        this.#rejectPending(
          new ConnectionClosedError(`The connection closed (code ${event.code}).`, event.code),
        );
        if (opened) this.emit('close', { code: event.code, reason: event.reason, byClient });
        else reject(new ConnectionFailedError(this.url, failure));
      });
    });
  }

  /**
   * Closes the connection with code 1000. Pending requests reject with `ConnectionClosedError` at once;
   * the returned promise resolves once the socket has closed (after the `close` event).
   */
  close(): Promise<void> {
    for (const abandoned of this.#abandoned) abandoned.close(NORMAL_CLOSURE);
    const socket = this.#socket;
    if (socket === undefined) return Promise.resolve();
    this.#closeRequested = true;
    this.#rejectPending(new ConnectionClosedError('close() was called.'));
    const closed = new Promise<void>((resolve) => socket.addEventListener('close', () => resolve()));
    socket.close(NORMAL_CLOSURE);
    return closed;
  }

  /**
   * Gives up on the open connection without closing it: no close frame is sent, so to the server this is a
   * drop, and a 1.1 server keeps the peer for its resume grace. For a connection that went silent (a dead
   * network path looks open for minutes): pending requests reject with `ConnectionClosedError`, `close` is
   * emitted (code 1006, `byClient` false), and `connect()` may be called at once. Whatever the old socket
   * still receives is ignored; it is closed once a new connection's `init` is answered (by then a resume
   * has taken the peer over, and a new peer means the old one is to end).
   */
  abandon(reason = 'abandoned'): void {
    const socket = this.#socket;
    if (socket === undefined || socket.readyState !== WEBSOCKET_OPEN) return;
    this.#abandoned.add(socket);
    this.#socket = undefined;
    this.#peerId = undefined;
    this.#closeRequested = false;
    this.#rejectPending(new ConnectionClosedError(`The connection was abandoned: ${reason}.`, 1006));
    this.emit('close', { code: 1006, reason, byClient: false });
  }

  /**
   * Asks for this connection's peer ID (and the extension's state); remembers the peer ID as the response
   * arrives. A 1.1 server also answers a `resumeToken`; with `resume` (a token of a peer whose connection
   * dropped) it answers `resumed: true` and that peer's ID, or `resumed: false` and a new peer.
   */
  init(options: InitOptions = {}): Promise<ResponseFor<'init'>> {
    return this.#request('init', options.resume === undefined ? {} : { resume: options.resume });
  }

  /**
   * Becomes an agent of the extension; a wrong password answers `unregistered` with a reason. `name`
   * (1 to 64 characters, protocol 1.1) is shown to the caller and the other agents once this agent answers.
   */
  register(password: string, name?: string): Promise<ResponseFor<'register'>> {
    return this.#request(
      'register',
      name === undefined
        ? { peerId: this.#wirePeerId, password }
        : { peerId: this.#wirePeerId, password, name },
    );
  }

  deregister(): Promise<ResponseFor<'deregister'>> {
    return this.#request('deregister', { peerId: this.#wirePeerId });
  }

  status(): Promise<ResponseFor<'status'>> {
    return this.#request('status', { peerId: this.#wirePeerId });
  }

  /** Calls the extension; `name` (1 to 64 characters) is shown to agents. */
  call(name?: string): Promise<ResponseFor<'call'>> {
    return this.#request(
      'call',
      name === undefined ? { peerId: this.#wirePeerId } : { peerId: this.#wirePeerId, name },
    );
  }

  answer(callId: string): Promise<ResponseFor<'answer'>> {
    return this.#request('answer', { peerId: this.#wirePeerId, callId });
  }

  /** Ends (or abandons) a call; idempotent on the server. */
  end(callId: string): Promise<ResponseFor<'end'>> {
    return this.#request('end', { peerId: this.#wirePeerId, callId });
  }

  /**
   * Relays `data` to the other party of a connected call. Fire and forget: a failure comes back as an
   * `error` event (`unknown-call`, `rate-limited`, ...). Throws `ConnectionClosedError` when there is no
   * open connection, since the signal could not even be sent.
   */
  signal(callId: string, data: JsonValue): void {
    const message: SignalRequest = { type: 'signal', peerId: this.#wirePeerId, callId, data };
    this.#openSocket().send(JSON.stringify(message));
  }

  /**
   * Before `init()` there is no peer ID; an empty one is still a string, so the server gets past its
   * `bad-request` check and answers the protocol's `not-initialized`.
   */
  get #wirePeerId(): string {
    return this.#peerId ?? '';
  }

  #openSocket(): WebSocketLike {
    const socket = this.#socket;
    if (socket === undefined || socket.readyState !== WEBSOCKET_OPEN) {
      throw new ConnectionClosedError('The connection is not open; call connect() first.');
    }
    return socket;
  }

  /** Sends a request with a fresh integer `id` and settles on the response or error echoing it. */
  #request<R extends RequestType>(
    type: R,
    fields: Omit<ClientMessageOf<R>, 'type' | 'id'>,
  ): Promise<ResponseFor<R>> {
    let socket: WebSocketLike;
    try {
      socket = this.#openSocket();
    } catch (error) {
      return Promise.reject(error);
    }
    const id = this.#nextRequestId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new RequestTimeoutError(type, id, this.requestTimeoutMs));
      }, this.requestTimeoutMs);
      this.#pending.set(id, {
        id,
        type,
        timer,
        // Sound because #settle only resolves with a response whose `request` equals `type`.
        resolve: (response) => resolve(response as ResponseFor<R>),
        reject,
      });
      socket.send(JSON.stringify({ ...fields, type, id }));
    });
  }

  #receive(data: unknown): void {
    if (typeof data !== 'string') {
      this.emit('invalidMessage', { frame: '', reason: 'binary frame' });
      return;
    }
    const parsed = parseServerMessage(data);
    if (!parsed.ok) {
      this.emit('invalidMessage', { frame: data, reason: parsed.reason });
      return;
    }
    const message = parsed.message;
    switch (message.type) {
      case 'response':
        this.#settle(message, data);
        return;
      case 'error':
        this.#fail(message);
        return;
      case 'event':
        if (message.topic === 'extension') this.emit('extension', message);
        else this.emit('session', message);
        return;
      case 'signal':
        this.emit('signal', message);
        return;
      default:
        message satisfies never;
    }
  }

  #settle(response: ServerResponse, frame: string): void {
    const pending = this.#pendingFor(response.id);
    if (pending === undefined) return;
    if (pending.type !== response.request) {
      // Not this request's answer after all: report it and leave the request to its timeout.
      this.emit('invalidMessage', {
        frame,
        reason: `a "${response.request}" response echoed the id of a "${pending.type}" request`,
      });
      return;
    }
    this.#forget(pending);
    if (response.request === 'init') {
      this.#peerId = response.peerId;
      for (const abandoned of this.#abandoned) abandoned.close(NORMAL_CLOSURE);
      this.emit('initialized', response);
    }
    pending.resolve(response);
  }

  #fail(error: ErrorMessage): void {
    const pending = this.#pendingFor(error.id);
    const protocolError = new ProtocolError(error);
    if (pending === undefined) {
      this.emit('error', protocolError);
      return;
    }
    this.#forget(pending);
    pending.reject(protocolError);
  }

  #pendingFor(id: RequestId | undefined): PendingRequest | undefined {
    return typeof id === 'number' ? this.#pending.get(id) : undefined;
  }

  #forget(pending: PendingRequest): void {
    clearTimeout(pending.timer);
    this.#pending.delete(pending.id);
  }

  #rejectPending(error: ConnectionClosedError): void {
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.#pending.clear();
  }
}

/** What an error or error event says about itself, if anything (`ws` gives a message, browsers nothing). */
function describe(value: unknown): string | undefined {
  if (
    typeof value === 'object' &&
    value !== null &&
    'message' in value &&
    typeof value.message === 'string'
  ) {
    return value.message || undefined;
  }
  return undefined;
}
