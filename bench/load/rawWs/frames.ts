/**
 * Client-to-server WebSocket frames (RFC 6455) built by hand so the load generator spends as little CPU
 * as possible per message: a single FIN frame, masked with the all-zero key (valid: servers must unmask,
 * and do so whatever the key; the payload bytes are then sent as they are, without an XOR pass).
 */

export const OPCODE_TEXT = 0x1;
export const OPCODE_CLOSE = 0x8;
export const OPCODE_PING = 0x9;
export const OPCODE_PONG = 0xa;

const MASK_BIT = 0x80;
const MASK_KEY_BYTES = 4;

function headerLength(payloadLength: number): number {
  if (payloadLength < 126) return 2 + MASK_KEY_BYTES;
  if (payloadLength < 65536) return 4 + MASK_KEY_BYTES;
  return 10 + MASK_KEY_BYTES;
}

/** Writes the header into `target` and returns where the payload starts. */
function writeHeader(target: Buffer, opcode: number, payloadLength: number): number {
  target[0] = 0x80 | opcode;
  let offset: number;
  if (payloadLength < 126) {
    target[1] = MASK_BIT | payloadLength;
    offset = 2;
  } else if (payloadLength < 65536) {
    target[1] = MASK_BIT | 126;
    target.writeUInt16BE(payloadLength, 2);
    offset = 4;
  } else {
    target[1] = MASK_BIT | 127;
    target.writeUInt32BE(0, 2);
    target.writeUInt32BE(payloadLength, 6);
    offset = 10;
  }
  target.writeUInt32BE(0, offset); // the zero masking key
  return offset + MASK_KEY_BYTES;
}

/** One frame whose payload is the concatenation of `parts` (one allocation, one copy per part). */
export function encodeFrame(opcode: number, parts: readonly Buffer[]): Buffer {
  let payloadLength = 0;
  for (const part of parts) payloadLength += part.length;
  const frame = Buffer.allocUnsafe(headerLength(payloadLength) + payloadLength);
  let offset = writeHeader(frame, opcode, payloadLength);
  for (const part of parts) {
    part.copy(frame, offset);
    offset += part.length;
  }
  return frame;
}

export function textFrame(...parts: Buffer[]): Buffer {
  return encodeFrame(OPCODE_TEXT, parts);
}

export function textFrameOf(text: string): Buffer {
  return encodeFrame(OPCODE_TEXT, [Buffer.from(text, 'utf8')]);
}

/** A server frame found in a receive buffer. */
export interface FrameView {
  opcode: number;
  payloadStart: number;
  payloadEnd: number;
}

/**
 * Decodes the unmasked server frame starting at `offset`, or returns undefined when the buffer does
 * not yet hold all of it.
 */
export function decodeFrameAt(buffer: Buffer, offset: number): FrameView | undefined {
  if (buffer.length - offset < 2) return undefined;
  const first = buffer[offset] as number;
  const second = buffer[offset + 1] as number;
  let length = second & 0x7f;
  let start = offset + 2;
  if (length === 126) {
    if (buffer.length - offset < 4) return undefined;
    length = buffer.readUInt16BE(offset + 2);
    start = offset + 4;
  } else if (length === 127) {
    if (buffer.length - offset < 10) return undefined;
    length = buffer.readUInt32BE(offset + 6);
    start = offset + 10;
  }
  if ((second & MASK_BIT) !== 0) start += MASK_KEY_BYTES; // servers never mask; tolerated anyway
  const end = start + length;
  if (end > buffer.length) return undefined;
  return { opcode: first & 0x0f, payloadStart: start, payloadEnd: end };
}
