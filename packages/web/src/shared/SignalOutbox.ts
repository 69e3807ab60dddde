import type { SignalData } from './PeerSession.js';

/**
 * A call's outgoing signals, held back until they may go out. The caller negotiates its offer while the
 * call is still ringing, but the server relays signals only once the call is connected, so until then the
 * offer and its ICE candidates wait here.
 *
 * On release a held offer goes out as the connection's local description *as it is then*, which already
 * lists every candidate gathered so far (the browser adds each candidate to it before announcing it): one
 * message instead of the offer plus a trickle of candidates, and the other side can start its ICE checks
 * the moment it applies the offer. The held candidates are dropped for that reason. Signals sent after
 * the release go out at once.
 */
export class SignalOutbox {
  readonly #transmit: (data: SignalData) => void;
  #held: SignalData[] | undefined;

  /** `held`: whether signals wait for `release()`; otherwise they go out at once. */
  constructor(transmit: (data: SignalData) => void, held: boolean) {
    this.#transmit = transmit;
    this.#held = held ? [] : undefined;
  }

  get held(): boolean {
    return this.#held !== undefined;
  }

  send(data: SignalData): void {
    if (this.#held === undefined) this.#transmit(data);
    else this.#held.push(data);
  }

  /**
   * Sends what was held and lets later signals through. `localDescription` is the connection's current
   * one (`RTCPeerConnection.localDescription`), used in place of the held description.
   */
  release(localDescription: RTCSessionDescriptionInit | null): void {
    const held = this.#held;
    if (held === undefined) return;
    this.#held = undefined;
    const description = held.find((data) => 'sdp' in data);
    const current = usableDescription(localDescription);
    if (description === undefined || current === undefined) {
      for (const data of held) this.#transmit(data);
      return;
    }
    this.#transmit({ sdp: current });
    // The candidates announced after the description was held are in the current one; any other signal
    // (none today) keeps its place after it.
    for (const data of held) if (data !== description && !('candidate' in data)) this.#transmit(data);
  }
}

function usableDescription(
  description: RTCSessionDescriptionInit | null,
): { type: 'offer' | 'answer'; sdp: string } | undefined {
  if (description === null || description.sdp === undefined) return undefined;
  if (description.type !== 'offer' && description.type !== 'answer') return undefined;
  return { type: description.type, sdp: description.sdp };
}
