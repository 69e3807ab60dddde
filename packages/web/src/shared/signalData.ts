/**
 * The `data` of the protocol's `signal` messages, as this web app exchanges them (trickle ICE). The server
 * relays it unchanged, and during a call the same shapes also travel over the call's data channel (see
 * callChannelProtocol.ts). Each message is exactly one of:
 *
 *   { "sdp": { "type": "offer", "sdp": "v=0\r\n..." } }      caller → answerer, once connected
 *   { "sdp": { "type": "answer", "sdp": "v=0\r\n..." } }     answerer → caller
 *   { "sdp": { ... }, "negotiation": 2 }                     an ICE restart: the caller's offer numbers its
 *                                                             negotiations (1, 2, ...; absent for the first,
 *                                                             0) and the answer repeats the number
 *   { "candidate": { "candidate": "candidate:...", "sdpMid": "0", "sdpMLineIndex": 0,
 *                    "usernameFragment": "..." } }            both ways, as ICE candidates are gathered
 *
 * Anything else is ignored, so later versions can add kinds of signal.
 */
export type SignalData =
  | { sdp: RTCSessionDescriptionInit; negotiation?: number }
  | { candidate: RTCIceCandidateInit };

/** The largest negotiation number accepted: far more ICE restarts than one call can make. */
const MAX_NEGOTIATION = 1_000_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates untrusted signal data (from the server or the other browser) into one of the known shapes. */
export function parseSignal(data: unknown): SignalData | undefined {
  if (!isRecord(data)) return undefined;
  const sdp = data.sdp;
  if (isRecord(sdp)) {
    if ((sdp.type !== 'offer' && sdp.type !== 'answer') || typeof sdp.sdp !== 'string') return undefined;
    const negotiation = data.negotiation;
    if (negotiation === undefined || negotiation === 0) return { sdp: { type: sdp.type, sdp: sdp.sdp } };
    if (typeof negotiation !== 'number' || !Number.isSafeInteger(negotiation)) return undefined;
    if (negotiation < 0 || negotiation > MAX_NEGOTIATION) return undefined;
    return { sdp: { type: sdp.type, sdp: sdp.sdp }, negotiation };
  }
  const candidate = data.candidate;
  if (isRecord(candidate)) {
    if (typeof candidate.candidate !== 'string') return undefined;
    const init: RTCIceCandidateInit = { candidate: candidate.candidate };
    if (typeof candidate.sdpMid === 'string') init.sdpMid = candidate.sdpMid;
    if (typeof candidate.sdpMLineIndex === 'number') init.sdpMLineIndex = candidate.sdpMLineIndex;
    if (typeof candidate.usernameFragment === 'string') init.usernameFragment = candidate.usernameFragment;
    return { candidate: init };
  }
  return undefined;
}
