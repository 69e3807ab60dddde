import type { JsonValue } from '@pbx-peers/client';
import { SignalOutbox } from './SignalOutbox.js';
import { mark } from './testHook.js';
import { withStartBitrate } from './withStartBitrate.js';

/**
 * The `data` of the protocol's `signal` messages, as this web app exchanges them (trickle ICE). The server
 * relays it unchanged; each message is exactly one of:
 *
 *   { "sdp": { "type": "offer", "sdp": "v=0\r\n..." } }      caller → answerer, once connected
 *   { "sdp": { "type": "answer", "sdp": "v=0\r\n..." } }     answerer → caller
 *   { "candidate": { "candidate": "candidate:...", "sdpMid": "0", "sdpMLineIndex": 0,
 *                    "usernameFragment": "..." } }            both ways, as ICE candidates are gathered
 *
 * Anything else is ignored, so later versions can add kinds of signal.
 */
export type SignalData = { sdp: RTCSessionDescriptionInit } | { candidate: RTCIceCandidateInit };

export type PeerRole = 'offerer' | 'answerer';

export interface PeerSessionOptions {
  /** The caller makes the offer; the agent who answered answers it. */
  role: PeerRole;
  configuration: RTCConfiguration;
  localStream: MediaStream;
  /** Sends one signal to the other party (the protocol's `signal` request). */
  sendSignal(data: JsonValue): void;
  /**
   * Holds every outgoing signal until `releaseSignals()`: the caller negotiates while the call still rings,
   * before the server relays anything (see SignalOutbox).
   */
  holdSignals?: boolean;
  /** The other party's media, once its first track arrives. */
  onRemoteStream(stream: MediaStream): void;
  /** Every change of `RTCPeerConnection.connectionState`. */
  onConnectionState(state: RTCPeerConnectionState): void;
  /** Negotiation failed (bad SDP, ...); the call cannot work. */
  onError(error: unknown): void;
}

/**
 * One call's RTCPeerConnection. Signals are applied strictly in the order received (a promise chain), and
 * ICE candidates that arrive before the remote description are queued until it is set.
 */
export class PeerSession {
  readonly pc: RTCPeerConnection;
  readonly #options: PeerSessionOptions;
  readonly #outbox: SignalOutbox;
  #chain: Promise<void> = Promise.resolve();
  readonly #pendingCandidates: RTCIceCandidateInit[] = [];
  #remoteStream: MediaStream | undefined;
  #closed = false;

  constructor(options: PeerSessionOptions) {
    this.#options = options;
    this.#outbox = new SignalOutbox(
      (data) => options.sendSignal(JSON.parse(JSON.stringify(data)) as JsonValue),
      options.holdSignals === true,
    );
    const pc = new RTCPeerConnection(options.configuration);
    mark('pc:created');
    this.pc = pc;
    for (const track of options.localStream.getTracks()) pc.addTrack(track, options.localStream);
    if (options.role === 'offerer') {
      // Receive video (and audio) even when this side has no camera (or microphone) to send.
      const kinds = new Set(options.localStream.getTracks().map((track) => track.kind));
      if (!kinds.has('audio')) pc.addTransceiver('audio', { direction: 'recvonly' });
      if (!kinds.has('video')) pc.addTransceiver('video', { direction: 'recvonly' });
    }
    pc.addEventListener('icegatheringstatechange', () => mark(`pc:gathering-${pc.iceGatheringState}`));
    pc.addEventListener('iceconnectionstatechange', () => mark(`pc:ice-${pc.iceConnectionState}`));
    pc.addEventListener('icecandidate', (event) => {
      mark(event.candidate === null ? 'pc:candidates-done' : 'pc:candidate');
      if (event.candidate !== null && event.candidate.candidate !== '') {
        this.#send({ candidate: event.candidate.toJSON() });
      }
    });
    pc.addEventListener('track', (event) => {
      // The other side adds its tracks with their stream, so `streams[0]` holds audio and video together;
      // a track without a stream (another app) joins one made here.
      mark(`pc:track-${event.track.kind}`);
      let stream = event.streams[0];
      if (stream === undefined) {
        this.#remoteStream ??= new MediaStream();
        this.#remoteStream.addTrack(event.track);
        stream = this.#remoteStream;
      }
      this.#remoteStream = stream;
      options.onRemoteStream(stream);
    });
    pc.addEventListener('connectionstatechange', () => {
      mark(`pc:connection-${pc.connectionState}`);
      if (!this.#closed) options.onConnectionState(pc.connectionState);
    });
  }

  /** The caller starts negotiation: once the call is connected, or while it rings with `holdSignals`. */
  start(): void {
    if (this.#options.role !== 'offerer') return;
    this.#enqueue(async () => {
      const offer = await this.pc.createOffer();
      mark('pc:offer-created');
      await this.pc.setLocalDescription(offer);
      mark('pc:local-description-set');
      this.#sendDescription();
    });
  }

  /** Sends the signals held so far (the offer with the candidates gathered meanwhile) and any later ones. */
  releaseSignals(): void {
    if (this.#closed) return;
    this.#outbox.release(this.pc.localDescription);
  }

  /** Applies one `signal` from the other party. */
  handleSignal(data: JsonValue): void {
    const signal = parseSignal(data);
    if (signal === undefined) return;
    mark('sdp' in signal ? `signal:${signal.sdp.type}-arrived` : 'signal:candidate-arrived');
    this.#enqueue(async () => {
      if ('sdp' in signal) {
        mark(`pc:${signal.sdp.type}-received`);
        // The remote description sets how this side sends: see withStartBitrate.
        await this.pc.setRemoteDescription({
          type: signal.sdp.type,
          sdp: withStartBitrate(signal.sdp.sdp ?? ''),
        });
        mark('pc:remote-description-set');
        for (const candidate of this.#pendingCandidates.splice(0)) await this.#addCandidate(candidate);
        if (signal.sdp.type === 'offer') {
          await this.pc.setLocalDescription(await this.pc.createAnswer());
          mark('pc:local-description-set');
          this.#sendDescription();
        }
      } else if (this.pc.remoteDescription === null) {
        this.#pendingCandidates.push(signal.candidate);
      } else {
        await this.#addCandidate(signal.candidate);
      }
    });
  }

  /** Closes the connection; the local tracks belong to the caller of the constructor and are not stopped. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.pc.close();
  }

  #enqueue(step: () => Promise<void>): void {
    this.#chain = this.#chain.then(async () => {
      if (this.#closed) return;
      try {
        await step();
      } catch (error) {
        if (!this.#closed) this.#options.onError(error);
      }
    });
  }

  async #addCandidate(candidate: RTCIceCandidateInit): Promise<void> {
    try {
      await this.pc.addIceCandidate(candidate);
    } catch {
      // A candidate the browser cannot use (another address family, a stale ufrag) is not fatal.
    }
  }

  #sendDescription(): void {
    const description = this.pc.localDescription;
    if (description !== null) mark(`pc:${description.type}-ready`);
    if (description !== null) this.#send({ sdp: { type: description.type, sdp: description.sdp } });
  }

  #send(data: SignalData): void {
    if (this.#closed) return;
    this.#outbox.send(data);
  }
}

/** Validates untrusted signal data into one of the known shapes. */
export function parseSignal(data: JsonValue): SignalData | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const sdp = data.sdp;
  if (typeof sdp === 'object' && sdp !== null && !Array.isArray(sdp)) {
    if ((sdp.type === 'offer' || sdp.type === 'answer') && typeof sdp.sdp === 'string') {
      return { sdp: { type: sdp.type, sdp: sdp.sdp } };
    }
    return undefined;
  }
  const candidate = data.candidate;
  if (typeof candidate === 'object' && candidate !== null && !Array.isArray(candidate)) {
    if (typeof candidate.candidate !== 'string') return undefined;
    const init: RTCIceCandidateInit = { candidate: candidate.candidate };
    if (typeof candidate.sdpMid === 'string') init.sdpMid = candidate.sdpMid;
    if (typeof candidate.sdpMLineIndex === 'number') init.sdpMLineIndex = candidate.sdpMLineIndex;
    if (typeof candidate.usernameFragment === 'string') init.usernameFragment = candidate.usernameFragment;
    return { candidate: init };
  }
  return undefined;
}
