import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { decodeFrameAt, encodeFrame, OPCODE_CLOSE, OPCODE_PING, OPCODE_PONG, OPCODE_TEXT } from './frames.js';

/**
 * A minimal WebSocket client for load generation: a hand-written upgrade request on a plain TCP socket,
 * pre-built frames, and frame parsing without copies. It answers pings (servers that ping would
 * otherwise drop idle peers) and treats every text frame as a message. Not a general client: no
 * fragmentation, no extensions; the servers under test send neither.
 */

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** A fixed key: the servers only check its form; the expected accept value is computed once. */
const KEY = 'YmVuY2gtbG9hZC1rZXkhIQ==';
const EXPECTED_ACCEPT = createHash('sha1')
  .update(KEY + GUID)
  .digest('base64');
const HEADER_END = Buffer.from('\r\n\r\n');

export interface ConnectOptions {
  host: string;
  port: number;
  path: string;
  protocol?: string;
  localAddress?: string;
  timeoutMs: number;
  /** Installed before any frame is parsed: a server may send its first message with the 101. */
  onText?: TextHandler;
}

export class HandshakeError extends Error {
  override name = 'HandshakeError';
}

export type TextHandler = (payload: Buffer) => void;

export class RawWebSocket {
  /** Called for each text frame with a view valid only during the call. */
  onText: TextHandler = () => {};
  onClose: () => void = () => {};
  private pending: Buffer | undefined;
  private closed = false;

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () => {
      this.closed = true;
      this.onClose();
    });
    socket.on('error', () => {});
  }

  get isOpen(): boolean {
    return !this.closed && !this.socket.destroyed;
  }

  /** Sends a pre-built frame (see frames.ts). */
  send(frame: Buffer): void {
    if (this.isOpen) this.socket.write(frame);
  }

  /** Sends a close frame and ends the socket. */
  close(): void {
    if (!this.isOpen) return;
    const code = Buffer.allocUnsafe(2);
    code.writeUInt16BE(1000, 0);
    this.socket.end(encodeFrame(OPCODE_CLOSE, [code]));
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Parses every complete frame; sends written meanwhile on this socket go out in one write. */
  receive(chunk: Buffer): void {
    let buffer = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = undefined;
    let offset = 0;
    this.socket.cork();
    try {
      for (;;) {
        const frame = decodeFrameAt(buffer, offset);
        if (frame === undefined) break;
        offset = frame.payloadEnd;
        const { opcode } = frame;
        if (opcode === OPCODE_TEXT) {
          this.onText(buffer.subarray(frame.payloadStart, frame.payloadEnd));
        } else if (opcode === OPCODE_PING) {
          this.send(encodeFrame(OPCODE_PONG, [buffer.subarray(frame.payloadStart, frame.payloadEnd)]));
        } else if (opcode === OPCODE_CLOSE) {
          this.socket.end();
        }
        if (offset === buffer.length) break;
      }
    } finally {
      this.socket.uncork();
    }
    if (offset < buffer.length) {
      buffer = buffer.subarray(offset);
      this.pending = buffer;
    }
  }
}

/** Opens a TCP connection, upgrades it, and resolves with the client once the server answered 101. */
export function connectRawWebSocket(options: ConnectOptions): Promise<RawWebSocket> {
  const { host, port, path, protocol, localAddress, timeoutMs } = options;
  return new Promise((resolve, reject) => {
    const socket = connect(localAddress === undefined ? { host, port } : { host, port, localAddress });
    socket.setNoDelay(true);
    let received: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new HandshakeError(`no upgrade within ${timeoutMs} ms`)), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      const end = received.indexOf(HEADER_END);
      if (end === -1) return;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', fail);
      socket.off('close', onEarlyClose);
      const head = received.toString('latin1', 0, end);
      if (!head.startsWith('HTTP/1.1 101') || !head.includes(EXPECTED_ACCEPT)) {
        socket.destroy();
        return reject(new HandshakeError(`upgrade refused: ${head.split('\r\n')[0]}`));
      }
      const ws = new RawWebSocket(socket);
      if (options.onText !== undefined) ws.onText = options.onText;
      resolve(ws);
      const rest = received.subarray(end + HEADER_END.length);
      if (rest.length > 0) ws.receive(rest);
    };
    const onEarlyClose = () => fail(new HandshakeError('connection closed during the upgrade'));
    socket.on('data', onData);
    socket.on('error', fail);
    socket.on('close', onEarlyClose);
    socket.on('connect', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n` +
          (protocol === undefined ? '' : `Sec-WebSocket-Protocol: ${protocol}\r\n`) +
          '\r\n',
      );
    });
  });
}
