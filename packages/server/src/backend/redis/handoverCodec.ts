import type { PeerHandover } from '../../core/PeerHandover.js';

/**
 * The process-channel messages that move an absent peer between processes (protocol section 8), beside
 * the notices of `noticeCodec.ts`:
 * - `H{"q":{e,t,r,f}}`: process `f` asks for the absent peer of token `t` in extension `e` (request `r`);
 * - `H{"a":{r,e,p}}`: the answer to request `r` of extension `e`, the peer (`PeerHandover`) or null;
 * - `M{e,p,callId,peerId,node}` (published by the move script): peer `peerId` of call `callId` is now on
 *   `node`, told to the process of the call's other party `p`.
 * Checked before use, like every message from Redis.
 */

export const HANDOVER_MARK = 'H';
export const MOVED_MARK = 'M';

export interface HandoverRequest {
  extensionId: string;
  token: string;
  requestId: string;
  from: string;
}

export type HandoverMessage =
  | ({ kind: 'request' } & HandoverRequest)
  | { kind: 'answer'; requestId: string; extensionId: string; handover: PeerHandover | undefined };

export interface PeerMoved {
  extensionId: string;
  callId: string;
  peerId: string;
  node: string;
}

export function encodeHandoverRequest({ extensionId, token, requestId, from }: HandoverRequest): string {
  return HANDOVER_MARK + JSON.stringify({ q: { e: extensionId, t: token, r: requestId, f: from } });
}

export function encodeHandoverAnswer(
  requestId: string,
  extensionId: string,
  handover: PeerHandover | undefined,
): string {
  return HANDOVER_MARK + JSON.stringify({ a: { r: requestId, e: extensionId, p: handover ?? null } });
}

export function decodeHandoverMessage(message: string): HandoverMessage | undefined {
  const value = parseRecord(message.slice(HANDOVER_MARK.length));
  const request = value && record(value.q);
  if (request !== undefined) {
    const { e, t, r, f } = request;
    if (typeof e !== 'string' || typeof t !== 'string' || typeof r !== 'string' || typeof f !== 'string') {
      return undefined;
    }
    return { kind: 'request', extensionId: e, token: t, requestId: r, from: f };
  }
  const answer = value && record(value.a);
  if (answer === undefined || typeof answer.r !== 'string' || typeof answer.e !== 'string') return undefined;
  const { r: requestId, e: extensionId } = answer;
  if (answer.p === null) return { kind: 'answer', requestId, extensionId, handover: undefined };
  const handover = toHandover(answer.p);
  return handover && { kind: 'answer', requestId, extensionId, handover };
}

export function decodePeerMoved(message: string): PeerMoved | undefined {
  const value = parseRecord(message.slice(MOVED_MARK.length));
  if (value === undefined) return undefined;
  const { e, callId, peerId, node } = value;
  if (
    typeof e !== 'string' ||
    typeof callId !== 'string' ||
    typeof peerId !== 'string' ||
    typeof node !== 'string'
  ) {
    return undefined;
  }
  return { extensionId: e, callId, peerId, node };
}

/** The shape a process of this version writes; anything else is refused whole. */
function toHandover(value: unknown): PeerHandover | undefined {
  const peer = record(value);
  if (peer === undefined) return undefined;
  const strings = (list: unknown) => Array.isArray(list) && list.every((item) => typeof item === 'string');
  const session = record(peer.session);
  const sessionOk =
    peer.session === undefined ||
    (session !== undefined &&
      typeof session.callId === 'string' &&
      (session.state === 'ringing' ? session.role === 'caller' : session.state === 'connected') &&
      (session.state === 'ringing' || typeof session.otherPeerId === 'string'));
  const ok =
    typeof peer.peerId === 'string' &&
    typeof peer.registered === 'boolean' &&
    (peer.name === undefined || typeof peer.name === 'string') &&
    sessionOk &&
    strings(peer.announcedCalls) &&
    strings(peer.settledCalls) &&
    (peer.knownStatus === undefined || peer.knownStatus === 'ready' || peer.knownStatus === 'offline') &&
    typeof peer.knownStatusSeq === 'number' &&
    Array.isArray(peer.kept) &&
    peer.kept.every((kept) => {
      const entry = record(kept);
      return (
        entry !== undefined &&
        (record(entry.message) !== undefined ||
          (typeof entry.callId === 'string' && typeof entry.dataJson === 'string'))
      );
    });
  // Sound for what this version writes: every field the type declares was checked above.
  return ok ? (peer as unknown as PeerHandover) : undefined;
}

function parseRecord(text: string): Record<string, unknown> | undefined {
  try {
    return record(JSON.parse(text));
  } catch {
    return undefined;
  }
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
