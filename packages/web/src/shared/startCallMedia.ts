import type { PbxClient } from '@pbx-peers/client';
import type { CallView } from './CallView.js';
import type { LocalMedia } from './LocalMedia.js';
import { type PeerRole, PeerSession } from './PeerSession.js';
import { testHook } from './testHook.js';

export interface CallMediaOptions {
  role: PeerRole;
  configuration: RTCConfiguration;
  client: PbxClient;
  callId: string;
  media: LocalMedia;
  view: CallView;
  /** The media connection failed or broke: the page ends the call. */
  onMediaFailed(): void;
}

/** One call's peer connection, wired to its view and to signalling, as both pages need it. */
export function startCallMedia(options: CallMediaOptions): PeerSession {
  const { client, callId, view, onMediaFailed } = options;
  const session = new PeerSession({
    role: options.role,
    configuration: options.configuration,
    localStream: options.media.stream,
    sendSignal: (data) => {
      try {
        client.signal(callId, data);
      } catch {
        // The connection is gone; its close ends the call.
      }
    },
    onRemoteStream: (stream) => view.setRemoteStream(stream),
    onConnectionState: (state) => {
      view.setConnectionState(state);
      if (state === 'failed') onMediaFailed();
    },
    onError: () => onMediaFailed(),
  });
  testHook.pc = session.pc;
  return session;
}
