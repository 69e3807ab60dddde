import type { PbxClient } from '@pbx-peers/client';
import type { CallView } from './CallView.js';
import type { LocalMedia } from './LocalMedia.js';
import { type PeerRole, PeerSession } from './PeerSession.js';
import { mark, testHook } from './testHook.js';

export interface CallMediaOptions {
  role: PeerRole;
  configuration: RTCConfiguration;
  client: PbxClient;
  callId: string;
  media: LocalMedia;
  /** Negotiate now but keep the signals until `releaseSignals()` (the caller, while ringing). */
  holdSignals?: boolean;
  /** The media connection failed or broke: the page ends the call. */
  onMediaFailed(): void;
}

/**
 * One call's peer connection, wired to signalling, and to its view once there is one: the caller
 * prepares the connection while the call rings, before the call view exists, so what the connection
 * reports meanwhile is kept and handed to the view on `attach`.
 */
export class CallMedia {
  readonly session: PeerSession;
  #view: CallView | undefined;
  #remoteStream: MediaStream | undefined;
  #connectionState: RTCPeerConnectionState | undefined;

  constructor(options: CallMediaOptions) {
    const { client, callId, onMediaFailed } = options;
    this.session = new PeerSession({
      role: options.role,
      configuration: options.configuration,
      localStream: options.media.stream,
      holdSignals: options.holdSignals === true,
      sendSignal: (data) => {
        try {
          client.signal(callId, data);
        } catch {
          // The connection is gone; its close ends the call.
        }
      },
      onRemoteStream: (stream) => {
        this.#remoteStream = stream;
        this.#view?.setRemoteStream(stream);
      },
      onConnectionState: (state) => {
        this.#connectionState = state;
        this.#view?.setConnectionState(state);
        if (state === 'failed') onMediaFailed();
      },
      onError: () => onMediaFailed(),
    });
    testHook.pc = this.session.pc;
  }

  /** From now on the view shows the remote media and the connection state. */
  attach(view: CallView): void {
    this.#view = view;
    if (this.#remoteStream !== undefined) view.setRemoteStream(this.#remoteStream);
    if (this.#connectionState !== undefined) view.setConnectionState(this.#connectionState);
  }

  /** The caller's offer: made at once; with `holdSignals` it waits for `releaseSignals()`. */
  start(): void {
    this.session.start();
  }

  releaseSignals(): void {
    mark('call:signals-released');
    this.session.releaseSignals();
  }

  close(): void {
    this.session.close();
    if (testHook.pc === this.session.pc) testHook.pc = null;
  }
}
