import type { JsonValue, PbxClient } from '@pbx-peers/client';
import type { CallView } from './CallView.js';
import type { CallChannelMessage, CameraState, MediaStateMessage } from './callChannelProtocol.js';
import { type IceRestartEffect, IceRestartPolicy } from './IceRestartPolicy.js';
import type { LocalMedia } from './LocalMedia.js';
import { type PeerRole, PeerSession } from './PeerSession.js';
import type { SignalData } from './signalData.js';
import { mark, testHook } from './testHook.js';

/** How often the transport's received bytes are read (see IceRestartPolicy's silence). */
const INBOUND_POLL_MS = 500;

export interface CallMediaOptions {
  role: PeerRole;
  configuration: RTCConfiguration;
  client: PbxClient;
  callId: string;
  media: LocalMedia;
  /** Negotiate now but keep the signals until `releaseSignals()` (the caller, while ringing). */
  holdSignals?: boolean;
  /**
   * The media connection could not be set up, or stayed down for good despite ICE restarts (see
   * IceRestartPolicy): the page ends the call.
   */
  onMediaFailed(): void;
  /**
   * The other side hung up, as it said over the call's data channel (it tells the server too, when it can):
   * the page ends the call, and tells the server itself, which may not have heard.
   */
  onRemoteHangUp?(): void;
}

/**
 * One call's peer connection, wired to signalling and to its data channel, and to its view once there is
 * one: the caller prepares the connection while the call rings, before the call view exists, so what the
 * connection reports meanwhile is kept and handed to the view on `attach`.
 *
 * Signals go through the server while this page is connected to it as the peer that is in the call, and
 * over the data channel once it is open: two routes, so that an ICE restart works when either one is
 * down (PeerSession ignores the copies). The data channel also carries the hang-up, this side's microphone
 * and camera state, and the chat (see callChannelProtocol.ts). When the media path breaks, an
 * IceRestartPolicy decides when the caller restarts ICE, and when to give up; it hears the connection's
 * states and, every INBOUND_POLL_MS, how much the transport has received.
 */
export class CallMedia {
  readonly session: PeerSession;
  readonly #options: CallMediaOptions;
  readonly #policy: IceRestartPolicy;
  /** The peer this page was when the call began: signals go through the server only as that peer. */
  readonly #peerId: string | undefined;
  #view: CallView | undefined;
  #remoteStream: MediaStream | undefined;
  #connectionState: RTCPeerConnectionState | undefined;
  #remoteMedia: Omit<MediaStateMessage, 'type'> | undefined;
  readonly #chatBeforeView: string[] = [];
  readonly #inboundPoll: ReturnType<typeof setInterval>;
  #hungUp = false;
  #closed = false;

  constructor(options: CallMediaOptions) {
    this.#options = options;
    this.#peerId = options.client.peerId;
    this.#policy = new IceRestartPolicy({
      role: options.role,
      onEffect: (effect) => this.#onPathEffect(effect),
    });
    this.session = new PeerSession({
      role: options.role,
      configuration: options.configuration,
      localStream: options.media.stream,
      holdSignals: options.holdSignals === true,
      sendSignal: (data) => this.#sendSignal(data),
      onRemoteStream: (stream) => {
        this.#remoteStream = stream;
        this.#view?.setRemoteStream(stream);
      },
      onConnectionState: (state, ice) => {
        this.#connectionState = state;
        this.#policy.observe(ice, state);
        this.#view?.setConnectionState(state);
        this.#view?.setPathState(this.#policy.state);
      },
      onError: () => {
        // A failed first negotiation ends the call; a failed ICE restart is retried by the policy.
        if (this.#policy.state === 'new') options.onMediaFailed();
        else mark('pc:renegotiation-failed');
      },
    });
    this.session.channel.listen({
      open: () => {
        this.#view?.setChannelOpen(true);
        this.#sendMediaState();
        this.#policy.routeAvailable();
      },
      close: () => this.#view?.setChannelOpen(false),
      message: (message) => this.#onChannelMessage(message),
    });
    testHook.pc = this.session.pc;
    testHook.restartIce = () => this.session.restartIce();
    this.#inboundPoll = setInterval(() => void this.#pollInbound(), INBOUND_POLL_MS);
  }

  /** From now on the view shows the remote media, the connection state and the chat. */
  attach(view: CallView): void {
    this.#view = view;
    view.link({
      sendChat: (text) => this.session.channel.send({ type: 'chat', text }),
      localMediaChanged: () => this.#sendMediaState(),
      hangingUp: () => this.hangUp(),
    });
    if (this.#remoteStream !== undefined) view.setRemoteStream(this.#remoteStream);
    if (this.#connectionState !== undefined) view.setConnectionState(this.#connectionState);
    view.setPathState(this.#policy.state);
    view.setChannelOpen(this.session.channel.open);
    if (this.#remoteMedia !== undefined) view.setRemoteMedia(this.#remoteMedia);
    for (const text of this.#chatBeforeView.splice(0)) view.receiveChat(text);
  }

  /** The caller's offer: made at once; with `holdSignals` it waits for `releaseSignals()`. */
  start(): void {
    this.session.start();
  }

  releaseSignals(): void {
    mark('call:signals-released');
    this.session.releaseSignals();
  }

  /**
   * This side hangs up: says so over the data channel, which `close()` then lets deliver it before the
   * connection closes. The page also sends the protocol's `end`; whichever arrives first ends the call on
   * the other side, so it ends even when the server cannot be reached.
   */
  hangUp(): void {
    if (this.#closed) return;
    this.#hungUp = this.session.channel.send({ type: 'hangup' }) || this.#hungUp;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#inboundPoll);
    this.#policy.close();
    this.session.close(this.#hungUp);
    if (testHook.pc === this.session.pc) {
      testHook.pc = null;
      testHook.restartIce = null;
    }
  }

  /** Whether a signal can go through the server: connected, as the peer that is in this call. */
  get #serverRoute(): boolean {
    const { client } = this.#options;
    return client.connected && (this.#peerId === undefined || client.peerId === this.#peerId);
  }

  #sendSignal(data: SignalData): void {
    if (this.#serverRoute) {
      try {
        this.#options.client.signal(this.#options.callId, JSON.parse(JSON.stringify(data)) as JsonValue);
      } catch {
        // The connection just closed; the data channel may still carry it.
      }
    }
    this.session.channel.send({ type: 'signal', data });
  }

  /** What the transport has received so far: the policy notices a path that went silent. */
  async #pollInbound(): Promise<void> {
    if (this.#policy.state === 'new') return;
    let bytes = 0;
    try {
      const stats = await this.session.pc.getStats();
      stats.forEach((report: { type?: string; bytesReceived?: unknown }) => {
        if (report.type === 'transport' && typeof report.bytesReceived === 'number')
          bytes += report.bytesReceived;
      });
    } catch {
      return; // closed meanwhile
    }
    if (this.#closed) return;
    this.#policy.inbound(bytes);
    this.#view?.setPathState(this.#policy.state);
  }

  #onChannelMessage(message: CallChannelMessage): void {
    if (this.#closed) return;
    switch (message.type) {
      case 'hangup':
        this.#options.onRemoteHangUp?.();
        return;
      case 'media':
        this.#remoteMedia = { muted: message.muted, camera: message.camera };
        this.#view?.setRemoteMedia(this.#remoteMedia);
        return;
      case 'chat':
        if (this.#view === undefined) this.#chatBeforeView.push(message.text);
        else this.#view.receiveChat(message.text);
        return;
      case 'signal':
        this.session.handleSignal(message.data);
        return;
      default:
        message satisfies never;
    }
  }

  #onPathEffect(effect: IceRestartEffect): void {
    switch (effect.type) {
      case 'restart':
        mark(`ice:restart-${effect.attempt}`);
        this.session.restartIce();
        break;
      case 'recovered':
        mark(`ice:recovered-after-${Math.round(effect.downForMs)}ms`);
        break;
      case 'give-up':
        mark(`ice:give-up-${effect.reason}`);
        this.#options.onMediaFailed();
        break;
    }
    this.#view?.setPathState(this.#policy.state);
  }

  #sendMediaState(): void {
    const { media } = this.#options;
    const camera: CameraState = !media.hasVideo ? 'none' : media.cameraOff ? 'off' : 'on';
    this.session.channel.send({ type: 'media', muted: media.muted, camera });
  }
}
