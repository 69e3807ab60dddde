import type { DisconnectReason, ExtensionStatus } from '@pbx-peers/protocol';
import type { Audience, Notice } from '../../core/Notice.js';

/**
 * The messages of the Redis backend's channels. Redis is trusted, but a message is still checked
 * before it reaches the core: another version of pbx-peers, or a stray publisher on the same prefix,
 * must not be able to crash a process.
 *
 * - Extension channel: JSON `{a: "registered" | "unregistered", n: notice}`.
 * - Process channel: JSON `{e: extensionId, p: peerId, n: notice}`, or, for a signal, the text
 *   `S<extensionId>\n<peerId>\n<callId>\n<dataJson>` (ids never hold a newline): a signal's data stays the
 *   text it arrived in, and is not escaped into a JSON string and parsed back on the way.
 */

export interface PeerMessage {
  extensionId: string;
  peerId: string;
  notice: Notice;
}

const SIGNAL_MARK = 'S';

export function encodeSignal(extensionId: string, peerId: string, callId: string, dataJson: string): string {
  return `${SIGNAL_MARK}${extensionId}\n${peerId}\n${callId}\n${dataJson}`;
}

export function decodePeerMessage(message: string): PeerMessage | undefined {
  if (message.startsWith(SIGNAL_MARK)) {
    const first = message.indexOf('\n');
    const second = message.indexOf('\n', first + 1);
    const third = message.indexOf('\n', second + 1);
    if (first < 0 || second < 0 || third < 0) return undefined;
    return {
      extensionId: message.slice(1, first),
      peerId: message.slice(first + 1, second),
      notice: {
        kind: 'signal',
        callId: message.slice(second + 1, third),
        dataJson: message.slice(third + 1),
      },
    };
  }
  const value = parseJson(message);
  if (!isRecord(value) || typeof value.e !== 'string' || typeof value.p !== 'string') return undefined;
  const notice = toNotice(value.n);
  return notice && { extensionId: value.e, peerId: value.p, notice };
}

export function decodeAudienceMessage(message: string): { audience: Audience; notice: Notice } | undefined {
  const value = parseJson(message);
  if (!isRecord(value) || (value.a !== 'registered' && value.a !== 'unregistered')) return undefined;
  const notice = toNotice(value.n);
  return notice && { audience: { kind: value.a }, notice };
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
  claimed: ({ callId }) => (typeof callId === 'string' ? { kind: 'claimed', callId } : undefined),
  abandoned: ({ callId }) => (typeof callId === 'string' ? { kind: 'abandoned', callId } : undefined),
  connected: ({ callId, answererPeerId }) =>
    typeof callId === 'string' && typeof answererPeerId === 'string'
      ? { kind: 'connected', callId, answererPeerId }
      : undefined,
  disconnected: ({ callId, reason }) =>
    typeof callId === 'string' && DISCONNECT_REASONS.includes(reason as DisconnectReason)
      ? { kind: 'disconnected', callId, reason: reason as DisconnectReason }
      : undefined,
  extension: ({ status, seq }) =>
    STATUSES.includes(status as ExtensionStatus) && typeof seq === 'number'
      ? { kind: 'extension', status: status as ExtensionStatus, seq }
      : undefined,
  signal: ({ callId, dataJson }) =>
    typeof callId === 'string' && typeof dataJson === 'string'
      ? { kind: 'signal', callId, dataJson }
      : undefined,
};

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
