import type { PeerChange } from '@pbx-peers/client';

/** Where a page's call is, as far as the server is concerned. */
export type CallPhase =
  /** The caller's `call`, or the agent's `answer`, was on its way. */
  | 'requesting'
  /** The caller's call rings at the agents. */
  | 'ringing'
  /** The two browsers are in the call (media set up, or being set up). */
  | 'connected';

/**
 * What becomes of a page's call when its signalling connection is back (ResumingClient's `peer` event):
 * - `goes-on`: the peer was resumed; the call is still the server's, and what happened meanwhile arrives;
 * - `ended`: a new peer, and the call existed only at the server (ringing, or not yet answered): it is over;
 * - `media-only`: a new peer, but the media runs browser to browser and needs no server: the call goes on,
 *   though the server no longer knows it (no `disconnected` will come; the data channel carries the
 *   hang-up). Closing the RTCPeerConnection because signalling restarted would cut a working call.
 */
export type CallAfterReconnect = 'goes-on' | 'ended' | 'media-only';

export function callAfterReconnect(phase: CallPhase, change: PeerChange['kind']): CallAfterReconnect {
  if (change === 'resumed') return 'goes-on';
  return phase === 'connected' ? 'media-only' : 'ended';
}
