import { CallChannel, createCallDataChannel } from './CallChannel.js';
import { SignalOutbox } from './SignalOutbox.js';
import { parseSignal, type SignalData } from './signalData.js';
import { mark } from './testHook.js';
import { withStartBitrate } from './withStartBitrate.js';

export { parseSignal, type SignalData } from './signalData.js';

export type PeerRole = 'offerer' | 'answerer';

export interface PeerSessionOptions {
  /** The caller makes the offer; the agent who answered answers it. */
  role: PeerRole;
  configuration: RTCConfiguration;
  localStream: MediaStream;
  /** Sends one signal to the other party (through the server, and over the data channel once open). */
  sendSignal(data: SignalData): void;
  /**
   * Holds every outgoing signal until `releaseSignals()`: the caller negotiates while the call still rings,
   * before the server relays anything (see SignalOutbox).
   */
  holdSignals?: boolean;
  /** The other party's media, once its first track arrives. */
  onRemoteStream(stream: MediaStream): void;
  /** Every change of `RTCPeerConnection.connectionState` or `iceConnectionState`. */
  onConnectionState(state: RTCPeerConnectionState, ice: RTCIceConnectionState): void;
  /** Negotiation failed (bad SDP, ...). */
  onError(error: unknown): void;
}

/**
 * One call's RTCPeerConnection and its data channel (created before the offer, so that it is part of the
 * first negotiation). Signals are applied strictly in the order received (a promise chain), and ICE
 * candidates that arrive before the remote description are queued until it is set.
 *
 * The same signal may arrive twice, through the server and over the data channel (see CallMedia): an
 * offer is applied once per negotiation number and an answer only to the offer it answers, so copies are
 * ignored, and a candidate applied twice is harmless.
 */
export class PeerSession {
  readonly pc: RTCPeerConnection;
  readonly channel: CallChannel;
  readonly #options: PeerSessionOptions;
  readonly #outbox: SignalOutbox;
  #chain: Promise<void> = Promise.resolve();
  readonly #pendingCandidates: RTCIceCandidateInit[] = [];
  #remoteStream: MediaStream | undefined;
  #closed = false;
  /** The caller's current negotiation: 0 for the first offer, then one more per ICE restart. */
  #negotiation = 0;
  /** The answerer's last offer taken (its negotiation number); -1 before the first. */
  #lastOffer = -1;

  constructor(options: PeerSessionOptions) {
    this.#options = options;
    this.#outbox = new SignalOutbox((data) => options.sendSignal(data), options.holdSignals === true);
    const pc = new RTCPeerConnection(options.configuration);
    mark('pc:created');
    this.pc = pc;
    this.channel = new CallChannel(createCallDataChannel(pc));
    for (const track of options.localStream.getTracks()) pc.addTrack(track, options.localStream);
    if (options.role === 'offerer') {
      // Receive video (and audio) even when this side has no camera (or microphone) to send.
      const kinds = new Set(options.localStream.getTracks().map((track) => track.kind));
      if (!kinds.has('audio')) pc.addTransceiver('audio', { direction: 'recvonly' });
      if (!kinds.has('video')) pc.addTransceiver('video', { direction: 'recvonly' });
    }
    pc.addEventListener('icegatheringstatechange', () => mark(`pc:gathering-${pc.iceGatheringState}`));
    pc.addEventListener('iceconnectionstatechange', () => {
      mark(`pc:ice-${pc.iceConnectionState}`);
      if (!this.#closed) options.onConnectionState(pc.connectionState, pc.iceConnectionState);
    });
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
      if (!this.#closed) options.onConnectionState(pc.connectionState, pc.iceConnectionState);
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

  /**
   * The caller restarts ICE: a new offer with fresh ICE credentials (a new negotiation number), so both
   * sides gather candidates again and look for a new path while the old one, if it still works, carries
   * on. An offer of an earlier restart still unanswered is rolled back first.
   */
  restartIce(): void {
    if (this.#options.role !== 'offerer') return;
    this.#enqueue(async () => {
      if (this.pc.signalingState === 'have-local-offer') {
        await this.pc.setLocalDescription({ type: 'rollback' });
        mark('pc:restart-rolled-back');
      }
      if (this.pc.signalingState !== 'stable') return;
      const offer = await this.pc.createOffer({ iceRestart: true });
      this.#negotiation++;
      mark(`pc:restart-offer-${this.#negotiation}`);
      await this.pc.setLocalDescription(offer);
      this.#sendDescription();
    });
  }

  /** Sends the signals held so far (the offer with the candidates gathered meanwhile) and any later ones. */
  releaseSignals(): void {
    if (this.#closed) return;
    this.#outbox.release(this.pc.localDescription);
  }

  /** Applies one `signal` from the other party (untrusted: validated here). */
  handleSignal(data: unknown): void {
    const signal = parseSignal(data);
    if (signal === undefined) return;
    mark('sdp' in signal ? `signal:${signal.sdp.type}-arrived` : 'signal:candidate-arrived');
    if ('sdp' in signal) {
      const negotiation = signal.negotiation ?? 0;
      if (signal.sdp.type === 'offer') {
        // A copy of an offer already taken (it came the other way too), or an older one.
        if (this.#options.role !== 'answerer' || negotiation <= this.#lastOffer) return;
        this.#lastOffer = negotiation;
      }
      this.#enqueue(async () => {
        if (signal.sdp.type === 'answer') {
          // Only for the offer in hand: not a copy, nor the answer to a restart offer already replaced.
          if (this.pc.signalingState !== 'have-local-offer' || negotiation !== this.#negotiation) {
            mark('pc:stale-answer-ignored');
            return;
          }
        }
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
          this.#sendDescription(negotiation);
        }
      });
    } else {
      this.#enqueue(async () => {
        if (this.pc.remoteDescription === null) this.#pendingCandidates.push(signal.candidate);
        else await this.#addCandidate(signal.candidate);
      });
    }
  }

  /**
   * Closes the connection; the local tracks belong to the caller of the constructor and are not stopped.
   * With `flushChannel`, what was just sent on the data channel (a hang-up) is delivered first: the
   * connection closes once the channel has (at most CHANNEL_FLUSH_TIMEOUT_MS later). Either way nothing is
   * reported from now on.
   */
  close(flushChannel = false): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!flushChannel) {
      this.pc.close();
      return;
    }
    void this.channel.closeAfterFlush().then(() => this.pc.close());
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

  /** The local description as a signal; an answer repeats the number of the offer it answers. */
  #sendDescription(answering?: number): void {
    const description = this.pc.localDescription;
    if (description === null) return;
    mark(`pc:${description.type}-ready`);
    const negotiation = answering ?? this.#negotiation;
    const sdp = { type: description.type, sdp: description.sdp };
    this.#send(negotiation === 0 ? { sdp } : { sdp, negotiation });
  }

  #send(data: SignalData): void {
    if (this.#closed) return;
    this.#outbox.send(data);
  }
}
