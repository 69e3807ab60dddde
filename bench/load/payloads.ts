import { encodeFrame, OPCODE_TEXT } from './rawWs/frames.js';

/**
 * The signalling payload every server relays: a JSON object of exactly the requested size,
 * `{"t":"<send time>","sdp":"xxxx..."}`. PeerJS carries it as `payload`, pbx-peers as `data`; the
 * servers that parse it re-serialise it unchanged. `t` is a fixed-width time stamp (ms, performance.now()
 * of the load process) that open-loop runs fill in and receivers read back.
 */

const STAMP_WIDTH = 16;
const STAMP_MARKER = Buffer.from('{"t":"');
const HEAD = `{"t":"${'0'.repeat(STAMP_WIDTH)}","sdp":"`;
const TAIL = '"}';
export const MIN_PAYLOAD_BYTES = HEAD.length + TAIL.length;

export function payloadOf(bytes: number): Buffer {
  if (bytes < MIN_PAYLOAD_BYTES) throw new RangeError(`payloads are at least ${MIN_PAYLOAD_BYTES} bytes`);
  return Buffer.from(HEAD + 'x'.repeat(bytes - MIN_PAYLOAD_BYTES) + TAIL, 'latin1');
}

/** An ICE-candidate-like payload of about `bytes` bytes. */
export function candidatePayloadOf(bytes: number, index: number): Buffer {
  const head = `{"candidate":"candidate:${index} 1 udp 2122260223 192.0.2.${index + 1} ${50000 + index} typ host`;
  const tail = '","sdpMid":"0","sdpMLineIndex":0}';
  const padding = Math.max(0, bytes - head.length - tail.length);
  return Buffer.from(head + ' '.repeat(padding) + tail, 'latin1');
}

function formatStamp(ms: number): string {
  return ms.toFixed(3).padStart(STAMP_WIDTH, '0');
}

/** `ms` as a stamp will carry it (µs precision), so senders and receivers agree on window edges. */
export function stampValue(ms: number): number {
  return Number(formatStamp(ms));
}

/** A whole client frame (prefix + payload + `}`) whose time stamp is rewritten per send. */
export class StampedFrame {
  private readonly template: Buffer;
  private readonly stampOffset: number;

  constructor(prefix: Buffer, payloadBytes: number) {
    this.template = encodeFrame(OPCODE_TEXT, [prefix, payloadOf(payloadBytes), Buffer.from('}')]);
    this.stampOffset = this.template.indexOf(STAMP_MARKER) + STAMP_MARKER.length;
  }

  /** A fresh frame (the socket may still hold earlier ones) stamped with `ms`. */
  stamped(ms: number): Buffer {
    const frame = Buffer.allocUnsafe(this.template.length);
    this.template.copy(frame);
    frame.write(formatStamp(ms), this.stampOffset, STAMP_WIDTH, 'latin1');
    return frame;
  }
}

/** The time stamp inside a relayed frame, or NaN when there is none. */
export function readStamp(payload: Buffer): number {
  const at = payload.indexOf(STAMP_MARKER);
  if (at === -1) return Number.NaN;
  const start = at + STAMP_MARKER.length;
  return Number(payload.toString('latin1', start, start + STAMP_WIDTH));
}

/** True when `frame` begins with the bytes of `start`. */
export function startsWith(frame: Buffer, start: Buffer): boolean {
  if (frame.length < start.length) return false;
  for (let index = 0; index < start.length; index++) {
    if (frame[index] !== start[index]) return false;
  }
  return true;
}
