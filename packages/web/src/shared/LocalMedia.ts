export type MediaProblem = 'insecure' | 'unsupported' | 'denied' | 'no-microphone' | 'busy' | 'failed';

/** Why the page cannot use the camera or microphone, with a sentence to show the user. */
export class MediaAccessError extends Error {
  override name = 'MediaAccessError';

  constructor(
    readonly problem: MediaProblem,
    message: string,
  ) {
    super(message);
  }
}

const MESSAGES: Record<MediaProblem, string> = {
  insecure: 'Calls need a secure connection. Open this page with an https:// address.',
  unsupported:
    'This browser cannot make video calls. Please use a recent version of Chrome, Edge, Firefox or Safari.',
  denied:
    'Camera and microphone access is blocked. Allow it for this site (use the icon next to the address bar), then try again.',
  'no-microphone': 'No microphone was found. Connect a microphone or headset and try again.',
  busy: 'Your microphone could not be started. Another app may be using it; close it and try again.',
  failed: 'Your camera and microphone could not be started. Please try again.',
};

export function mediaProblem(problem: MediaProblem): MediaAccessError {
  return new MediaAccessError(problem, MESSAGES[problem]);
}

/** Why this browser cannot take part in a call at all, or `undefined` when it can. */
export function webRtcProblem(): MediaAccessError | undefined {
  if (!window.isSecureContext) return mediaProblem('insecure');
  if (typeof RTCPeerConnection !== 'function' || typeof navigator.mediaDevices?.getUserMedia !== 'function') {
    return mediaProblem('unsupported');
  }
  return undefined;
}

const VIDEO: MediaTrackConstraints = {
  facingMode: 'user',
  width: { ideal: 1280 },
  height: { ideal: 720 },
};

/**
 * The microphone and, when there is one, the camera, for one call. Owns the tracks: `stop()` releases the
 * devices (the camera light goes off). Muting and turning the camera off disable the tracks, so the other
 * side gets silence and black frames without any renegotiation.
 */
export class LocalMedia {
  private constructor(readonly stream: MediaStream) {}

  /**
   * Asks for microphone and camera; without a usable camera, for the microphone alone (an audio-only call).
   * Throws `MediaAccessError` with a sentence for the user.
   */
  static async acquire(): Promise<LocalMedia> {
    const problem = webRtcProblem();
    if (problem !== undefined) throw problem;
    try {
      return new LocalMedia(await navigator.mediaDevices.getUserMedia({ audio: true, video: VIDEO }));
    } catch (error) {
      const name = errorName(error);
      // No camera, or a camera that cannot start (in use, unsupported): try a call without video.
      if (name !== 'NotAllowedError' && name !== 'SecurityError' && name !== 'AbortError') {
        try {
          return new LocalMedia(await navigator.mediaDevices.getUserMedia({ audio: true }));
        } catch (audioError) {
          throw toMediaAccessError(audioError);
        }
      }
      throw toMediaAccessError(error);
    }
  }

  get hasVideo(): boolean {
    return this.stream.getVideoTracks().length > 0;
  }

  get muted(): boolean {
    return this.stream.getAudioTracks().every((track) => !track.enabled);
  }

  set muted(muted: boolean) {
    for (const track of this.stream.getAudioTracks()) track.enabled = !muted;
  }

  get cameraOff(): boolean {
    return this.stream.getVideoTracks().every((track) => !track.enabled);
  }

  set cameraOff(off: boolean) {
    for (const track of this.stream.getVideoTracks()) track.enabled = !off;
  }

  stop(): void {
    for (const track of this.stream.getTracks()) track.stop();
  }
}

function errorName(error: unknown): string {
  return typeof error === 'object' && error !== null && 'name' in error && typeof error.name === 'string'
    ? error.name
    : '';
}

function toMediaAccessError(error: unknown): MediaAccessError {
  switch (errorName(error)) {
    case 'NotAllowedError':
    case 'SecurityError':
      return mediaProblem('denied');
    case 'NotFoundError':
    case 'OverconstrainedError':
      return mediaProblem('no-microphone');
    case 'NotReadableError':
    case 'AbortError':
      return mediaProblem('busy');
    default:
      return mediaProblem('failed');
  }
}
