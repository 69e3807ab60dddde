import { ChatPanel } from './ChatPanel.js';
import type { MediaStateMessage } from './callChannelProtocol.js';
import { el } from './el.js';
import { formatDuration } from './formatDuration.js';
import type { MediaPathState } from './IceRestartPolicy.js';
import { icon } from './icon.js';
import { initials } from './initials.js';
import type { LocalMedia } from './LocalMedia.js';
import { RemoteStage } from './RemoteStage.js';
import { mark } from './testHook.js';

export interface CallViewOptions {
  /** Who is on the other end: the extension's name for a caller, the caller's for an agent. */
  peerName: string;
  /** The line at the top of the call, e.g. "Talking to Alice"; `peerName` when absent. */
  title?: string;
  media: LocalMedia;
  onHangUp(): void;
}

/** What the view asks of the call (CallMedia) once attached. */
export interface CallViewLink {
  /** Sends a chat message over the data channel; false when it could not. */
  sendChat(text: string): boolean;
  /** This side's microphone or camera was switched: the other side is told. */
  localMediaChanged(): void;
  /** Hang up was pressed: the other side is told over the data channel, before the page ends the call. */
  hangingUp(): void;
}

/**
 * The in-call screen both pages share: the other party's video (or their initials while there is none, or
 * their camera is off), whether they are muted, this side's preview, a duration, the controls (mute,
 * camera, chat, hang up) and the chat. What to show of the other party is RemoteStage's decision.
 */
export class CallView {
  readonly root: HTMLElement;
  readonly #options: CallViewOptions;
  readonly #stage: HTMLElement;
  readonly #remoteVideo: HTMLVideoElement;
  readonly #note: HTMLElement;
  readonly #remoteMuted: HTMLElement;
  readonly #trouble: HTMLElement;
  readonly #timer: HTMLElement;
  readonly #muteButton: HTMLButtonElement;
  readonly #cameraButton: HTMLButtonElement;
  readonly #chatButton: HTMLButtonElement;
  readonly #hangUpButton: HTMLButtonElement;
  readonly #chat: ChatPanel;
  readonly #remote = new RemoteStage();
  #link: CallViewLink | undefined;
  #firstFrame = false;
  #connectedAt: number | undefined;
  #tick: ReturnType<typeof setInterval> | undefined;

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
    this.#remoteMuted = el(
      'span',
      { class: 'stage-badge stage-muted', title: `${peerName} is muted`, hidden: true },
      icon('micOff'),
      el('span', {}, 'Muted'),
    );
    this.#trouble = el(
      'p',
      { class: 'stage-trouble', hidden: true },
      icon('wifiOff'),
      el('span', {}, 'Connection unstable. Trying to recover…'),
    );
    this.#stage = el(
      'div',
      {
        class: 'stage',
        'data-remote-video': 'false',
        'data-remote-camera': 'unknown',
        'data-local-video': String(media.hasVideo),
      },
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
        el(
          'div',
          { class: 'stage-who', role: 'status' },
          el('span', { class: 'stage-name' }, options.title ?? peerName),
          this.#remoteMuted,
        ),
        this.#timer,
      ),
      el('div', { class: 'stage-alerts', role: 'status' }, this.#trouble),
      media.hasVideo ? localVideo : null,
    );

    this.#muteButton = controlButton();
    this.#muteButton.addEventListener('click', () => this.#toggleMute());
    this.#cameraButton = controlButton();
    this.#cameraButton.disabled = !media.hasVideo;
    if (!media.hasVideo) this.#cameraButton.title = 'No camera was found; this is an audio call.';
    this.#cameraButton.addEventListener('click', () => this.#toggleCamera());
    this.#hangUpButton = controlButton('control-danger');
    this.#hangUpButton.addEventListener('click', () => {
      this.#link?.hangingUp();
      options.onHangUp();
    });
    this.#chat = new ChatPanel({
      peerName,
      transmit: (text) => this.#link?.sendChat(text) ?? false,
      onChange: () => this.#renderControls(),
      onEscape: () => {
        this.#chat.setOpen(false);
        this.#chatButton.focus();
      },
    });
    this.#chatButton = controlButton();
    this.#chatButton.setAttribute('aria-controls', this.#chat.root.id);
    this.#chatButton.addEventListener('click', () => this.#chat.setOpen(!this.#chat.open));
    this.#renderControls();

    const remoteReady = () => {
      const hasVideo = this.#remoteVideo.videoWidth > 0;
      if (hasVideo && !this.#firstFrame) {
        this.#firstFrame = true;
        mark('view:first-remote-frame');
      }
      this.#remote.frames(hasVideo);
      this.#renderRemote();
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
        this.#chatButton,
        this.#hangUpButton,
      ),
      this.#chat.root,
      this.#chat.announcer,
    );
  }

  /** Connects the view to its call (CallMedia.attach). */
  link(link: CallViewLink): void {
    this.#link = link;
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
    this.#remote.connection(state);
    if (state === 'connected' && this.#connectedAt === undefined) {
      this.#connectedAt = Date.now();
      this.#tick = setInterval(() => this.#renderTimer(), 1000);
      this.#renderTimer();
    }
    this.#stage.dataset.connection = state;
    this.#renderRemote();
  }

  /** Where the media path is (see IceRestartPolicy): trouble shows over the video. */
  setPathState(state: MediaPathState): void {
    this.#remote.path(state);
    this.#stage.dataset.path = state;
    this.#renderRemote();
  }

  /** The other side's microphone and camera, as it announced them. */
  setRemoteMedia(media: Omit<MediaStateMessage, 'type'>): void {
    this.#remote.announced(media);
    this.#renderRemote();
  }

  /** Whether the data channel is open: the chat can send. */
  setChannelOpen(open: boolean): void {
    this.#chat.setConnected(open);
  }

  receiveChat(text: string): void {
    this.#chat.receive(text);
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

  #renderRemote(): void {
    const shown = this.#remote.presentation;
    this.#stage.dataset.remoteVideo = String(shown.video);
    this.#stage.dataset.remoteCamera = shown.cameraOff ? 'off' : shown.video ? 'on' : 'none';
    this.#note.textContent = shown.note;
    this.#remoteMuted.hidden = !shown.muted;
    this.#trouble.hidden = !shown.trouble;
  }

  #toggleMute(): void {
    this.#options.media.muted = !this.#options.media.muted;
    this.#renderControls();
    this.#link?.localMediaChanged();
  }

  #toggleCamera(): void {
    const media = this.#options.media;
    if (!media.hasVideo) return;
    media.cameraOff = !media.cameraOff;
    this.#stage.dataset.localVideo = String(!media.cameraOff);
    this.#renderControls();
    this.#link?.localMediaChanged();
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
    const unread = this.#chat.unread;
    setControl(this.#chatButton, icon('message'), unread > 0 ? `Chat (${unread})` : 'Chat');
    this.#chatButton.dataset.unread = String(unread);
    this.#chatButton.setAttribute('aria-expanded', String(this.#chat.open));
    this.#chatButton.setAttribute(
      'aria-label',
      `${this.#chat.open ? 'Close chat' : 'Open chat'}${unread > 0 ? `, ${unread} unread` : ''}`,
    );
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
