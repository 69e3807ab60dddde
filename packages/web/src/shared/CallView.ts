import { el } from './el.js';
import { formatDuration } from './formatDuration.js';
import { icon } from './icon.js';
import { initials } from './initials.js';
import type { LocalMedia } from './LocalMedia.js';
import { mark } from './testHook.js';

export interface CallViewOptions {
  /** Who is on the other end: the extension's name for a caller, the caller's for an agent. */
  peerName: string;
  /** The line at the top of the call, e.g. "Talking to Alice"; `peerName` when absent. */
  title?: string;
  media: LocalMedia;
  onHangUp(): void;
}

/**
 * The in-call screen both pages share: the other party's video (or an avatar while there is none), this
 * side's preview, a duration, and the controls (mute, camera, hang up).
 */
export class CallView {
  readonly root: HTMLElement;
  readonly #options: CallViewOptions;
  readonly #stage: HTMLElement;
  readonly #remoteVideo: HTMLVideoElement;
  readonly #note: HTMLElement;
  readonly #timer: HTMLElement;
  readonly #muteButton: HTMLButtonElement;
  readonly #cameraButton: HTMLButtonElement;
  readonly #hangUpButton: HTMLButtonElement;
  #connectedAt: number | undefined;
  #tick: ReturnType<typeof setInterval> | undefined;
  #connectionState: RTCPeerConnectionState = 'new';

  constructor(options: CallViewOptions) {
    this.#options = options;
    const { media, peerName } = options;

    this.#remoteVideo = el('video', {
      class: 'stage-remote',
      'aria-label': 'Remote video',
      autoplay: true,
      playsinline: true,
    });
    const localVideo = el('video', {
      class: 'stage-local',
      'aria-label': 'Your camera',
      autoplay: true,
      playsinline: true,
    });
    localVideo.muted = true;
    localVideo.srcObject = media.stream;
    this.#note = el('p', { class: 'stage-note' }, 'Connecting…');
    this.#timer = el('span', { class: 'stage-timer', 'aria-label': 'Call duration' }, '0:00');
    this.#stage = el(
      'div',
      { class: 'stage', 'data-remote-video': 'false', 'data-local-video': String(media.hasVideo) },
      this.#remoteVideo,
      el(
        'div',
        { class: 'stage-placeholder' },
        el('div', { class: 'avatar avatar-xl', 'aria-hidden': 'true' }, initials(peerName)),
        this.#note,
      ),
      el(
        'div',
        { class: 'stage-top' },
        el('span', { class: 'stage-name' }, options.title ?? peerName),
        this.#timer,
      ),
      media.hasVideo ? localVideo : null,
    );

    this.#muteButton = controlButton();
    this.#muteButton.addEventListener('click', () => this.#toggleMute());
    this.#cameraButton = controlButton();
    this.#cameraButton.disabled = !media.hasVideo;
    if (!media.hasVideo) this.#cameraButton.title = 'No camera was found; this is an audio call.';
    this.#cameraButton.addEventListener('click', () => this.#toggleCamera());
    this.#hangUpButton = controlButton('control-danger');
    this.#hangUpButton.addEventListener('click', () => options.onHangUp());
    this.#renderControls();

    const remoteReady = () => {
      const hasVideo = this.#remoteVideo.videoWidth > 0;
      if (hasVideo && this.#stage.dataset.remoteVideo !== 'true') mark('view:first-remote-frame');
      this.#stage.dataset.remoteVideo = String(hasVideo);
      this.#renderNote();
    };
    this.#remoteVideo.addEventListener('loadedmetadata', remoteReady);
    this.#remoteVideo.addEventListener('resize', remoteReady);

    this.root = el(
      'section',
      { class: 'call', 'aria-label': `Call with ${peerName}` },
      this.#stage,
      el(
        'div',
        { class: 'controls', role: 'group', 'aria-label': 'Call controls' },
        this.#muteButton,
        this.#cameraButton,
        this.#hangUpButton,
      ),
    );
  }

  /** The button to focus when the view appears. */
  get hangUpButton(): HTMLButtonElement {
    return this.#hangUpButton;
  }

  setRemoteStream(stream: MediaStream): void {
    if (this.#remoteVideo.srcObject !== stream) this.#remoteVideo.srcObject = stream;
    // Autoplay can be refused (no user gesture on this page yet); the controls still work.
    this.#remoteVideo.play().catch(() => undefined);
  }

  setConnectionState(state: RTCPeerConnectionState): void {
    this.#connectionState = state;
    if (state === 'connected' && this.#connectedAt === undefined) {
      this.#connectedAt = Date.now();
      this.#tick = setInterval(() => this.#renderTimer(), 1000);
      this.#renderTimer();
    }
    this.#stage.dataset.connection = state;
    this.#renderNote();
  }

  destroy(): void {
    clearInterval(this.#tick);
    this.#remoteVideo.srcObject = null;
    this.root.remove();
  }

  #renderTimer(): void {
    if (this.#connectedAt !== undefined)
      this.#timer.textContent = formatDuration(Date.now() - this.#connectedAt);
  }

  #renderNote(): void {
    const state = this.#connectionState;
    if (state === 'disconnected') this.#note.textContent = 'Connection unstable. Trying to recover…';
    else if (state === 'connected') {
      this.#note.textContent = this.#stage.dataset.remoteVideo === 'true' ? '' : 'Audio only';
    } else this.#note.textContent = 'Connecting…';
  }

  #toggleMute(): void {
    this.#options.media.muted = !this.#options.media.muted;
    this.#renderControls();
  }

  #toggleCamera(): void {
    const media = this.#options.media;
    if (!media.hasVideo) return;
    media.cameraOff = !media.cameraOff;
    this.#stage.dataset.localVideo = String(!media.cameraOff);
    this.#renderControls();
  }

  /**
   * The toggles say what pressing them does ("Mute microphone" / "Unmute microphone"), the way call apps
   * do, and carry `data-off` for styling while the microphone or camera is off.
   */
  #renderControls(): void {
    const { media } = this.#options;
    const muted = media.muted;
    this.#muteButton.dataset.off = String(muted);
    setControl(this.#muteButton, muted ? icon('micOff') : icon('mic'), muted ? 'Unmute' : 'Mute');
    this.#muteButton.setAttribute('aria-label', muted ? 'Unmute microphone' : 'Mute microphone');
    if (media.hasVideo) {
      const off = media.cameraOff;
      this.#cameraButton.dataset.off = String(off);
      setControl(
        this.#cameraButton,
        off ? icon('videoOff') : icon('video'),
        off ? 'Camera on' : 'Camera off',
      );
      this.#cameraButton.setAttribute('aria-label', off ? 'Turn camera on' : 'Turn camera off');
    } else {
      this.#cameraButton.dataset.off = 'true';
      setControl(this.#cameraButton, icon('videoOff'), 'No camera');
      this.#cameraButton.setAttribute('aria-label', 'No camera (audio call)');
    }
    setControl(this.#hangUpButton, icon('hangUp'), 'Hang up');
  }
}

function controlButton(extraClass = ''): HTMLButtonElement {
  return el(
    'button',
    { type: 'button', class: `control ${extraClass}`.trim() },
    el('span', { class: 'control-icon' }),
    el('span', { class: 'control-label' }),
  );
}

function setControl(button: HTMLButtonElement, svg: SVGSVGElement, label: string): void {
  button.querySelector('.control-icon')?.replaceChildren(svg);
  const span = button.querySelector('.control-label');
  if (span !== null) span.textContent = label;
}
