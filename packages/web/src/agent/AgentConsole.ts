import type { DisconnectReason, JsonValue, RegisterFailureReason, SessionEvent } from '@pbx-peers/client';
import { CallMedia } from '../shared/CallMedia.js';
import { CallView } from '../shared/CallView.js';
import { ConnectionBanner } from '../shared/ConnectionBanner.js';
import { type CallEndReason, type CallEndText, describeCallEnd } from '../shared/describeCallEnd.js';
import { byId, el } from '../shared/el.js';
import { formatDuration } from '../shared/formatDuration.js';
import { hydrateIcons, icon } from '../shared/icon.js';
import { initials } from '../shared/initials.js';
import { LocalMedia, MediaAccessError, mediaProblem, webRtcProblem } from '../shared/LocalMedia.js';
import { extensionName, peersUrl } from '../shared/pageExtension.js';
import { ReconnectingClient } from '../shared/ReconnectingClient.js';
import { rtcConfiguration } from '../shared/rtcConfiguration.js';
import { showView } from '../shared/showView.js';
import { mark } from '../shared/testHook.js';
import { WarmStandby } from '../shared/WarmStandby.js';
import { CallNotifier } from './CallNotifier.js';
import { Ringer } from './Ringer.js';

/** A call ringing on the extension, as one row of the queue. */
interface WaitingCall {
  callId: string;
  displayName: string;
  since: number;
  row: HTMLLIElement;
  button: HTMLButtonElement;
  waited: HTMLElement;
}

/**
 * This agent's answer in progress. Signals that arrive before the RTCPeerConnection exists wait in
 * `pending`; a `disconnected` event that arrives meanwhile is kept in `endedWith`.
 */
interface Answering {
  callId: string;
  pending: JsonValue[];
  endedWith: DisconnectReason | undefined;
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A promise's outcome as a value, so that two concurrent steps can both be waited for. */
function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

interface ActiveCall {
  callId: string;
  media: LocalMedia;
  view: CallView;
  call: CallMedia;
}

/** TURN credentials live at least a minute; a configuration older than this is fetched again. */
const ICE_CONFIGURATION_MAX_AGE_MS = 30_000;

const REGISTER_FAILURES: Record<RegisterFailureReason, string> = {
  'bad-password': 'Wrong password. Please check it and try again.',
  'rate-limited': 'Too many failed sign-in attempts. Please wait a few minutes, then try again.',
};

/**
 * The agent console, `/ext/<id>/agent`: signs in (registers) with the extension's password, lists the
 * ringing calls, rings, and answers one call at a time.
 *
 * The password is kept in this object's memory only (never in storage), for the page's lifetime, so that a
 * dropped connection can re-register by itself; Sign out forgets it.
 */
export class AgentConsole {
  readonly #extensionId: string;
  readonly #connection: ReconnectingClient;
  readonly #banner = new ConnectionBanner(byId('connection-banner'));
  readonly #ringer = new Ringer();
  readonly #notifier = new CallNotifier();
  readonly #root = byId('extension-name').closest('.card') as HTMLElement;
  readonly #status = byId('agent-status');
  readonly #passwordInput = byId<HTMLInputElement>('password');
  readonly #signInButton = byId<HTMLButtonElement>('signin-button');
  readonly #signInError = byId('signin-error');
  readonly #notice = byId('notice');
  readonly #callArea = byId('call-area');
  readonly #queueList = byId<HTMLUListElement>('queue-list');
  readonly #queueEmpty = byId('queue-empty');
  readonly #queueCount = byId('queue-count');
  readonly #queueTitle = byId('queue-title');
  readonly #browserProblem = webRtcProblem();
  #extensionName = '';
  #password: string | undefined;
  #signedIn = false;
  #signingIn = false;
  readonly #calls = new Map<string, WaitingCall>();
  #answering: Answering | undefined;
  #active: ActiveCall | undefined;
  /**
   * While a call rings, the camera and microphone are already open and the ICE servers fetched, so that
   * Answer waits for neither (a real camera takes a few hundred milliseconds to start). The camera light
   * is on while calls wait; both are released when none does.
   */
  readonly #standbyMedia = new WarmStandby<LocalMedia>({
    create: () => LocalMedia.acquire(),
    dispose: (media) => media.stop(),
  });
  readonly #standbyConfiguration = new WarmStandby<RTCConfiguration>({
    create: () => rtcConfiguration(),
    dispose: () => undefined,
    maxAgeMs: ICE_CONFIGURATION_MAX_AGE_MS,
  });

  constructor(extensionId: string) {
    this.#extensionId = extensionId;
    this.#connection = new ReconnectingClient({
      url: peersUrl(extensionId),
      onInit: () => this.#registerAgain(),
    });
  }

  start(): void {
    hydrateIcons();
    void this.#loadExtension();
    if (this.#browserProblem !== undefined) {
      byId('unsupported').textContent = this.#browserProblem.message;
      byId('unsupported').hidden = false;
    }

    byId<HTMLFormElement>('view-signin').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#signIn();
    });
    byId('signout-button').addEventListener('click', () => void this.#signOut());
    byId('notice-close').addEventListener('click', () => {
      this.#notice.hidden = true;
    });
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) this.#notifier.dismissAll();
    });

    const { client } = this.#connection;
    client.on('session', (event) => this.#onSession(event));
    client.on('signal', ({ callId, data }) => {
      if (this.#active?.callId === callId) this.#active.call.session.handleSignal(data);
      else if (this.#answering?.callId === callId) this.#answering.pending.push(data);
    });
    this.#connection.on('state', (state) => {
      this.#banner.show(state);
      this.#renderStatus();
      this.#renderQueue();
    });
    this.#connection.on('lost', () => {
      // Everything tied to the old connection is over; the server replays the ringing calls after the
      // automatic re-register.
      this.#answering = undefined;
      if (this.#active !== undefined) this.#finish('connection-lost');
      for (const callId of [...this.#calls.keys()]) this.#removeCall(callId);
    });
    setInterval(() => this.#renderWaitTimes(), 1000);

    this.#banner.show(this.#connection.state);
    this.#renderStatus();
    showView(this.#root, 'signin');
    this.#connection.start();
  }

  async #loadExtension(): Promise<void> {
    this.#setExtensionName(await extensionName(this.#extensionId));
  }

  #setExtensionName(name: string): void {
    this.#extensionName = name;
    byId('extension-name').textContent = name;
    this.#renderTitle();
  }

  // ---------------------------------------------------------------- signing in and out

  async #signIn(): Promise<void> {
    if (this.#signingIn || this.#signedIn) return;
    const password = this.#passwordInput.value;
    if (password === '') {
      this.#showSignInError('Enter the password for this extension.');
      return;
    }
    if (!this.#connection.online) {
      this.#showSignInError('Not connected to the server yet. Please wait a moment and try again.');
      return;
    }
    // Both need a user gesture: this click.
    this.#ringer.unlock();
    this.#notifier.requestPermission();

    this.#signingIn = true;
    this.#signInButton.disabled = true;
    this.#signInButton.textContent = 'Signing in…';
    try {
      const response = await this.#connection.client.register(password);
      if (response.status === 'registered') {
        this.#password = password;
        this.#passwordInput.value = '';
        this.#signedIn = true;
        this.#signInError.hidden = true;
        this.#notice.hidden = true;
        showView(this.#root, 'console', this.#queueTitle);
      } else {
        this.#showSignInError(REGISTER_FAILURES[response.reason]);
      }
    } catch {
      this.#showSignInError('The server did not answer. Please try again.');
    } finally {
      this.#signingIn = false;
      this.#signInButton.disabled = false;
      this.#signInButton.textContent = 'Sign in';
      this.#renderStatus();
      this.#renderQueue();
    }
  }

  /** After a reconnect: registers again with the password kept in memory. */
  async #registerAgain(): Promise<void> {
    const password = this.#password;
    if (password === undefined) return;
    const response = await this.#connection.client.register(password);
    if (response.status !== 'registered' && this.#password === password) {
      this.#password = undefined;
      this.#signedIn = false;
      this.#showSignInError(
        response.reason === 'bad-password'
          ? 'The password for this extension has changed. Please sign in again.'
          : REGISTER_FAILURES[response.reason],
      );
      showView(this.#root, 'signin', this.#passwordInput);
      this.#renderStatus();
      this.#renderQueue();
    }
  }

  async #signOut(): Promise<void> {
    if (!this.#signedIn) return;
    this.#password = undefined;
    this.#signedIn = false;
    this.#answering = undefined;
    if (this.#active !== undefined) this.#hangUp();
    for (const callId of [...this.#calls.keys()]) this.#removeCall(callId);
    this.#notice.hidden = true;
    this.#signInError.hidden = true;
    showView(this.#root, 'signin', this.#passwordInput);
    this.#renderStatus();
    this.#renderQueue();
    try {
      await this.#connection.client.deregister();
    } catch {
      // Not connected: the server already forgot this peer.
    }
  }

  #showSignInError(message: string): void {
    this.#signInError.replaceChildren(icon('alert'), document.createTextNode(message));
    this.#signInError.hidden = false;
  }

  // ---------------------------------------------------------------- the queue

  #onSession(event: SessionEvent): void {
    switch (event.status) {
      case 'ringing':
        this.#addCall(event.callId, event.name);
        return;
      case 'claimed':
        // This agent's own answer: the row stays ("Answering…") until the call view replaces it.
        if (this.#answering?.callId !== event.callId) this.#removeCall(event.callId);
        return;
      case 'abandoned':
        this.#removeCall(event.callId);
        return;
      case 'disconnected':
        if (this.#active?.callId === event.callId) this.#finish(event.reason);
        else if (this.#answering?.callId === event.callId) this.#answering.endedWith = event.reason;
        return;
      case 'connected':
        return;
    }
  }

  #addCall(callId: string, name: string | undefined): void {
    // Late events of a registration this page already signed out of are not calls for this agent.
    if (!this.#signedIn && !this.#signingIn) return;
    if (this.#calls.has(callId) || this.#active?.callId === callId) return;
    const displayName = name ?? 'Anonymous';
    const waited = el('span', { class: 'tabular' }, '0:00');
    const button = el(
      'button',
      { type: 'button', class: 'btn btn-call btn-small', 'aria-label': `Answer ${displayName}` },
      icon('phone'),
      el('span', {}, 'Answer'),
    );
    button.addEventListener('click', () => void this.#answer(callId));
    const row = el(
      'li',
      { class: 'queue-item', 'data-call-id': callId },
      el(
        'div',
        { class: `avatar${name === undefined ? ' avatar-anonymous' : ''}`, 'aria-hidden': 'true' },
        initials(displayName),
      ),
      el(
        'div',
        { class: 'queue-main' },
        el('p', { class: 'queue-name' }, displayName),
        el('p', { class: 'queue-meta' }, 'Waiting ', waited),
      ),
      button,
    );
    const call: WaitingCall = { callId, displayName, since: Date.now(), row, button, waited };
    this.#calls.set(callId, call);
    this.#queueList.append(row);
    this.#notifier.notify(callId, displayName, this.#extensionName || this.#extensionId);
    this.#renderQueue();
  }

  #removeCall(callId: string): void {
    const call = this.#calls.get(callId);
    if (call === undefined) return;
    this.#calls.delete(callId);
    call.row.remove();
    this.#notifier.dismiss(callId);
    this.#renderQueue();
  }

  #renderWaitTimes(): void {
    const now = Date.now();
    for (const call of this.#calls.values()) call.waited.textContent = formatDuration(now - call.since);
  }

  #renderQueue(): void {
    const count = this.#calls.size;
    this.#queueCount.textContent = String(count);
    this.#queueEmpty.hidden = count > 0;
    const busy = this.#active !== undefined || this.#answering !== undefined;
    for (const call of this.#calls.values()) {
      const answeringThis = this.#answering?.callId === call.callId;
      call.button.disabled = busy || !this.#connection.online || this.#browserProblem !== undefined;
      call.button.lastElementChild?.replaceChildren(answeringThis ? 'Answering…' : 'Answer');
      call.row.dataset.answering = String(answeringThis);
    }
    const waiting = count > 0 && !busy && this.#signedIn;
    if (waiting) this.#ringer.start();
    else this.#ringer.stop();
    const canAnswer = waiting && this.#browserProblem === undefined;
    this.#standbyMedia.want(canAnswer);
    this.#standbyConfiguration.want(canAnswer);
    this.#renderWaitTimes();
    this.#renderTitle();
  }

  #renderTitle(): void {
    const count = this.#calls.size;
    const name = this.#extensionName === '' ? '' : `${this.#extensionName} · `;
    document.title = `${count > 0 ? `(${count}) ` : ''}${name}Agent console`;
  }

  #renderStatus(): void {
    let state: string;
    let text: string;
    if (!this.#signedIn) [state, text] = ['offline', 'Signed out'];
    else if (!this.#connection.online) [state, text] = ['connecting', 'Reconnecting…'];
    else if (this.#active !== undefined) [state, text] = ['busy', 'In a call'];
    else [state, text] = ['ready', 'Signed in'];
    this.#status.dataset.state = state;
    this.#status.textContent = text;
  }

  // ---------------------------------------------------------------- answering and the call

  async #answer(callId: string): Promise<void> {
    const call = this.#calls.get(callId);
    if (call === undefined || this.#active !== undefined || this.#answering !== undefined) return;
    mark('agent:answer-clicked');
    const answering: Answering = { callId, pending: [], endedWith: undefined };
    this.#answering = answering;
    // The answer goes out first: the first answer wins the call. The camera and microphone are usually
    // open already (see #standbyMedia), else they start while the answer travels; taken before the render
    // below, which stops wanting them. Should they fail, the call is ended at once.
    const client = this.#connection.client;
    const answerResult = settle(client.answer(callId));
    const mediaResult = settle(this.#standbyMedia.take());
    // rtcConfiguration() never rejects: without ICE servers, calls between reachable hosts still work.
    const configurationReady = this.#standbyConfiguration.take();
    this.#notice.hidden = true;
    this.#renderQueue();
    const [prepared, answered, configuration] = await Promise.all([
      mediaResult,
      answerResult,
      configurationReady,
    ]);
    mark('agent:answered-with-media');
    const media = prepared.ok ? prepared.value : undefined;
    const connected = answered.ok && answered.value.status === 'connected';
    if (this.#answering !== answering) {
      // Signed out, or the connection dropped, meanwhile.
      media?.stop();
      if (connected) client.end(callId).catch(() => undefined);
      return;
    }
    this.#answering = undefined;
    if (!answered.ok) {
      this.#showNotice({
        title: 'Could not answer',
        detail: 'The connection to the server failed. Please try again.',
        tone: 'danger',
      });
      this.#renderQueue();
      // After the render, which decides whether calls still wait for them.
      if (media !== undefined) this.#standbyMedia.giveBack(media);
      return;
    }
    if (!connected) {
      this.#removeCall(callId);
      this.#showNotice(describeCallEnd('unavailable', 'agent'));
      this.#renderQueue();
      if (media !== undefined) this.#standbyMedia.giveBack(media);
      return;
    }
    if (!prepared.ok || media === undefined) {
      client.end(callId).catch(() => undefined);
      this.#removeCall(callId);
      const error = prepared.ok ? undefined : prepared.error;
      this.#showNotice({
        title: 'Could not answer',
        detail: error instanceof MediaAccessError ? error.message : mediaProblem('failed').message,
        tone: 'danger',
      });
      return;
    }
    if (answering.endedWith !== undefined) {
      // The caller hung up (or dropped) while the camera was starting.
      this.#removeCall(callId);
      this.#showNotice(describeCallEnd(answering.endedWith, 'agent'));
      this.#renderQueue();
      this.#standbyMedia.giveBack(media);
      return;
    }

    const view = new CallView({ peerName: call.displayName, media, onHangUp: () => this.#hangUp() });
    const callMedia = new CallMedia({
      role: 'answerer',
      configuration,
      client,
      callId,
      media,
      onMediaFailed: () => this.#hangUp('media-failed'),
    });
    callMedia.attach(view);
    this.#active = { callId, media, view, call: callMedia };
    for (const data of answering.pending.splice(0)) callMedia.session.handleSignal(data);
    this.#removeCall(callId);
    this.#callArea.replaceChildren(view.root);
    this.#callArea.hidden = false;
    view.hangUpButton.focus();
    this.#renderStatus();
    this.#renderQueue();
  }

  #hangUp(reason: CallEndReason = 'you-hung-up'): void {
    const active = this.#active;
    if (active === undefined) return;
    this.#connection.client.end(active.callId).catch(() => undefined);
    this.#finish(reason);
  }

  #finish(reason: CallEndReason): void {
    const active = this.#active;
    if (active === undefined) return;
    this.#active = undefined;
    active.call.close();
    active.media.stop();
    active.view.destroy();
    this.#callArea.hidden = true;
    this.#showNotice(describeCallEnd(reason, 'agent'));
    this.#renderStatus();
    this.#renderQueue();
    this.#queueTitle.focus();
  }

  #showNotice(text: CallEndText): void {
    this.#notice.dataset.tone = text.tone;
    byId('notice-text').replaceChildren(el('strong', {}, text.title), ' — ', text.detail);
    this.#notice.hidden = false;
  }
}
