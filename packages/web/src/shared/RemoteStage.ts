import type { CameraState, MediaStateMessage } from './callChannelProtocol.js';
import type { MediaPathState } from './IceRestartPolicy.js';

/** What the call view shows of the other party, derived by `RemoteStage` from what is known of it. */
export interface RemotePresentation {
  /** Show the remote video; otherwise the placeholder (the person's initials and `note`). */
  video: boolean;
  /** The line under the initials: "Connecting…", "Camera off", "Audio only", or ''. */
  note: string;
  /** The other side's microphone is off (it said so over the call's data channel). */
  muted: boolean;
  /** The other side turned its camera off (as opposed to having none). */
  cameraOff: boolean;
  /** The media path is down and being recovered: shown over the video, which is frozen meanwhile. */
  trouble: boolean;
}

/**
 * The other party's side of the call view as a model: the connection's state, whether the remote video
 * has frames, and what the other side announced about its microphone and camera go in; what to show comes
 * out. Without an announcement (an older page, or before the data channel opens) the frames decide, as
 * before: a black box is never shown for a camera the other side turned off.
 */
export class RemoteStage {
  #connection: RTCPeerConnectionState = 'new';
  #path: MediaPathState = 'new';
  #everConnected = false;
  #frames = false;
  #announced: { muted: boolean; camera: CameraState } | undefined;

  connection(state: RTCPeerConnectionState): void {
    this.#connection = state;
    if (state === 'connected') this.#everConnected = true;
  }

  path(state: MediaPathState): void {
    this.#path = state;
  }

  /** Whether the remote video element has a picture (`videoWidth > 0`). */
  frames(hasFrames: boolean): void {
    this.#frames = hasFrames;
  }

  announced(media: Omit<MediaStateMessage, 'type'>): void {
    this.#announced = { muted: media.muted, camera: media.camera };
  }

  get presentation(): RemotePresentation {
    const camera = this.#announced?.camera;
    const cameraOff = camera === 'off';
    const video = this.#frames && camera !== 'off' && camera !== 'none';
    const trouble =
      this.#everConnected &&
      (this.#path === 'unstable' ||
        this.#path === 'restarting' ||
        this.#connection === 'disconnected' ||
        this.#connection === 'failed');
    let note = '';
    if (!this.#everConnected) note = 'Connecting…';
    else if (cameraOff) note = 'Camera off';
    else if (!video) note = 'Audio only';
    return { video, note, muted: this.#announced?.muted === true, cameraOff, trouble };
  }
}
