import type { DisconnectReason, ExtensionStatus, RequestId } from '@pbx-peers/protocol';
import type { Audience, Notice } from '../../core/Notice.js';
import type { OutgoingSignal, SignalRefusal } from '../../core/SwitchboardBackend.js';

/**
 * The messages of the Redis backend's channels. Redis is trusted, but a message is still checked
 * before it reaches the core: another version of pbx-peers, or a stray publisher on the same prefix,
 * must not be able to crash a process.
 *
 * - Extension channel: JSON `{a: "registered" | "unregistered", n: notice, s?: event number}` (`s` on
 *   every message for the registered audience, see `extensionScripts.ts`).
 * - Process channel: JSON `{e: extensionId, p: peerId, n: notice, o?: node}` (`o`, on `connected`: the
 *   process holding the answerer), or, for a signal, the text
 *   `S<extensionId>\n<peerId>\n<callId>\n<senderPeerId>\n<senderNode>\n<id as JSON, or nothing>\n<dataJson>`
 *   (ids and process names never hold a newline; an `id` as JSON never does): a signal's data stays the
 *   text it arrived in, and is not escaped into a JSON string and parsed back on the way. Several
 *   messages for one process go as one, `B` then each message as `<length>:<message>` (the length in
 *   UTF-16 code units, as JavaScript counts it; a signal's data may hold newlines).
 */

export interface PeerMessage {
  extensionId: string;
  peerId: string;
  notice: Notice;
  /** The process holding the other party: the answerer's on `connected`, the sender's on a signal. */
  otherNode?: string;
}

const SIGNAL_MARK = 'S';
const BATCH_MARK = 'B';
const SIGNAL_HEADER_LINES = 6;

export function encodeSignal(extensionId: string, signal: OutgoingSignal, senderNode: string): string {
  const id = signal.id === undefined ? '' : JSON.stringify(signal.id);
  return `${SIGNAL_MARK}${extensionId}\n${signal.toPeerId}\n${signal.callId}\n${signal.senderPeerId}\n${senderNode}\n${id}\n${signal.dataJson}`;
}

export function encodeSignalRefusal(
  extensionId: string,
  { senderPeerId, ...refusal }: SignalRefusal,
): string {
  return JSON.stringify({ e: extensionId, p: senderPeerId, n: { kind: 'signal-refused', ...refusal } });
}

/** A peer message as it came, for another process (a peer that moved there, see `RedisBackend`). */
export function encodePeerMessage({ extensionId, peerId, notice, otherNode }: PeerMessage): string {
  if (notice.kind === 'signal' && otherNode !== undefined) {
    const { kind: _, ...signal } = notice;
    return encodeSignal(extensionId, { ...signal, toPeerId: peerId }, otherNode);
  }
  return JSON.stringify({
    e: extensionId,
    p: peerId,
    n: notice,
    ...(otherNode === undefined ? {} : { o: otherNode }),
  });
}

/** One message for several process-channel messages to the same process, in order. */
export function encodeBatch(messages: readonly string[]): string {
  if (messages.length === 1) return messages[0] as string;
  let batch = BATCH_MARK;
  for (const message of messages) batch += `${message.length}:${message}`;
  return batch;
}

/** The messages in one message of a process channel, in order; undefined when any is unreadable. */
export function decodePeerMessages(message: string): PeerMessage[] | undefined {
  if (!message.startsWith(BATCH_MARK)) {
    const single = decodePeerMessage(message);
    return single && [single];
  }
  const messages: PeerMessage[] = [];
  let at = BATCH_MARK.length;
  while (at < message.length) {
    const colon = message.indexOf(':', at);
    const digits = message.slice(at, colon);
    if (colon < 0 || !/^[0-9]{1,9}$/.test(digits)) return undefined;
    const end = colon + 1 + Number(digits);
    const inner = end <= message.length ? message.slice(colon + 1, end) : '';
    const decoded = inner.startsWith(BATCH_MARK) ? undefined : decodePeerMessage(inner);
    if (decoded === undefined) return undefined;
    messages.push(decoded);
    at = end;
  }
  return messages.length > 0 ? messages : undefined;
}

function decodePeerMessage(message: string): PeerMessage | undefined {
  if (message.startsWith(SIGNAL_MARK)) return decodeSignal(message);
  const value = parseJson(message);
  if (!isRecord(value) || typeof value.e !== 'string' || typeof value.p !== 'string') return undefined;
  const notice = toNotice(value.n);
  if (notice === undefined) return undefined;
  const decoded: PeerMessage = { extensionId: value.e, peerId: value.p, notice };
  if (typeof value.o === 'string') decoded.otherNode = value.o;
  return decoded;
}

export function decodeAudienceMessage(
  message: string,
): { audience: Audience; notice: Notice; eventNumber?: number } | undefined {
  const value = parseJson(message);
  if (!isRecord(value) || (value.a !== 'registered' && value.a !== 'unregistered')) return undefined;
  const notice = toNotice(value.n);
  const eventNumber = Number.isSafeInteger(value.s) ? { eventNumber: value.s as number } : {};
  return notice && { audience: { kind: value.a }, notice, ...eventNumber };
}

type NoticeReaders = {
  [K in Notice['kind']]: (fields: Record<string, unknown>) => Extract<Notice, { kind: K }> | undefined;
};

const DISCONNECT_REASONS: readonly DisconnectReason[] = ['hangup', 'dropped', 'timeout'];
const STATUSES: readonly ExtensionStatus[] = ['ready', 'offline'];

const readers: NoticeReaders = {
  ringing: ({ callId, name }) =>
    typeof callId !== 'string'
      ? undefined
      : typeof name === 'string'
        ? { kind: 'ringing', callId, name }
        : { kind: 'ringing', callId },
  claimed: ({ callId, name }) =>
    typeof callId !== 'string'
      ? undefined
      : typeof name === 'string'
        ? { kind: 'claimed', callId, name }
        : { kind: 'claimed', callId },
  abandoned: ({ callId }) => (typeof callId === 'string' ? { kind: 'abandoned', callId } : undefined),
  connected: ({ callId, answererPeerId, name }) =>
    typeof callId !== 'string' || typeof answererPeerId !== 'string'
      ? undefined
      : typeof name === 'string'
        ? { kind: 'connected', callId, answererPeerId, name }
        : { kind: 'connected', callId, answererPeerId },
  disconnected: ({ callId, reason }) =>
    typeof callId === 'string' && DISCONNECT_REASONS.includes(reason as DisconnectReason)
      ? { kind: 'disconnected', callId, reason: reason as DisconnectReason }
      : undefined,
  extension: ({ status, seq }) =>
    STATUSES.includes(status as ExtensionStatus) && typeof seq === 'number'
      ? { kind: 'extension', status: status as ExtensionStatus, seq }
      : undefined,
  signal: ({ callId, dataJson, senderPeerId, id }) =>
    typeof callId === 'string' &&
    typeof dataJson === 'string' &&
    typeof senderPeerId === 'string' &&
    (id === undefined || isRequestId(id))
      ? { kind: 'signal', callId, dataJson, senderPeerId, ...optionalId(id) }
      : undefined,
  'signal-refused': ({ callId, id }) =>
    typeof callId === 'string' && (id === undefined || isRequestId(id))
      ? { kind: 'signal-refused', callId, ...optionalId(id) }
      : undefined,
};

function decodeSignal(message: string): PeerMessage | undefined {
  const fields: string[] = [];
  let at = SIGNAL_MARK.length;
  for (let line = 0; line < SIGNAL_HEADER_LINES; line++) {
    const newline = message.indexOf('\n', at);
    if (newline < 0) return undefined;
    fields.push(message.slice(at, newline));
    at = newline + 1;
  }
  const [extensionId, peerId, callId, senderPeerId, senderNode, idJson] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const id = idJson === '' ? undefined : parseJson(idJson);
  if (id !== undefined && !isRequestId(id)) return undefined;
  return {
    extensionId,
    peerId,
    notice: { kind: 'signal', callId, dataJson: message.slice(at), senderPeerId, ...optionalId(id) },
    otherNode: senderNode,
  };
}

function isRequestId(value: unknown): value is RequestId {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

function optionalId(id: RequestId | undefined): { id?: RequestId } {
  return id === undefined ? {} : { id };
}

function toNotice(value: unknown): Notice | undefined {
  if (!isRecord(value) || typeof value.kind !== 'string' || !Object.hasOwn(readers, value.kind))
    return undefined;
  const read = readers[value.kind as Notice['kind']] as (
    fields: Record<string, unknown>,
  ) => Notice | undefined;
  return read(value);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
