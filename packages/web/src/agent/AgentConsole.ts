import {
  ConnectionClosedError,
  type DisconnectReason,
  type JsonValue,
  type PeerChange,
  type ResumingClient,
  type SessionEvent,
} from '@pbx-peers/client';
import { CallMedia } from '../shared/CallMedia.js';
import { CallView } from '../shared/CallView.js';
import { ConnectionBanner } from '../shared/ConnectionBanner.js';
import { type CallEndReason, type CallEndText, describeCallEnd } from '../shared/describeCallEnd.js';
import { displayName } from '../shared/displayName.js';
import { byId, el } from '../shared/el.js';
import { formatDuration } from '../shared/formatDuration.js';
import { hydrateIcons, icon } from '../shared/icon.js';
import { initials } from '../shared/initials.js';
import { LocalMedia, MediaAccessError, mediaProblem, webRtcProblem } from '../shared/LocalMedia.js';
import { pageConnection } from '../shared/pageConnection.js';
import { extensionName, peersUrl } from '../shared/pageExtension.js';
import { rtcConfiguration } from '../shared/rtcConfiguration.js';
import { showView } from '../shared/showView.js';
import { mark } from '../shared/testHook.js';
import { WarmStandby } from '../shared/WarmStandby.js';
import { AgentNameStore } from './agentNameStore.js';
import { agentStatus, consoleHint } from './agentStatus.js';
import { answerAcrossDrop } from './answerAcrossDrop.js';
import { CallNotifier } from './CallNotifier.js';
import { FrontDesk } from './FrontDesk.js';
import { LockoutClock, lockoutMessage } from './lockoutClock.js';
import { Registration, type RegistrationEffect, type RegistrationEvent } from './Registration.js';
import { Ringer } from './Ringer.js';
import { takenBy } from './takenBy.js';
import { answerBlocked, missedCall } from './waitingCallText.js';

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
 * `pending`; a `disconnected` event that arrives meanwhile is kept in `endedWith`, and a `claimed` one in
 * `claimed` (with the winner's name, if it gave one: this agent's own, or another's that won the race).
 */
interface Answering {
  callId: string;
  displayName: string;
  pending: JsonValue[];
  endedWith: DisconnectReason | undefined;
  claimed: { name: string | undefined } | undefined;
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

/**
 * The agent console, `/ext/<id>/agent`: signs in (registers) with the extension's password and the agent's
 * display name, lists the ringing calls, rings, and answers one call at a time.
 *
 * The password is kept in this object's memory only (never in storage), for the page's lifetime, so that
 * the console can register again by itself when the server no longer knows this peer (see Registration);
 * Sign out forgets it. The display name is remembered in localStorage.
 */
export class AgentConsole {
  readonly #extensionId: string;
  readonly #connection: ResumingClient;
  readonly #banner = new ConnectionBanner(byId('connection-banner'));
  readonly #ringer = new Ringer();
  readonly #notifier = new CallNotifier();
  readonly #root = byId('extension-name').closest('.card') as HTMLElement;
  readonly #status = byId('agent-status');
  readonly #nameInput = byId<HTMLInputElement>('agent-name');
  readonly #passwordInput = byId<HTMLInputElement>('password');
  readonly #signInButton = byId<HTMLButtonElement>('signin-button');
  readonly #signInError = byId('signin-error');
  readonly #notice = byId('notice');
  readonly #callArea = byId('call-area');
  readonly #queueList = byId<HTMLUListElement>('queue-list');
  readonly #queueEmpty = byId('queue-empty');
  readonly #queueCount = byId('queue-count');
  readonly #queueTitle = byId('queue-title');
  readonly #queueHint = byId('queue-hint');
  readonly #browserProblem = webRtcProblem();
  #extensionName = '';
  readonly #registration = new Registration();
  readonly #names = new AgentNameStore();
  /** Missed calls, callback requests and recent calls, from the HTTP API while signed in (issue 10). */
  readonly #frontDesk: FrontDesk;
  readonly #lockout: LockoutClock;
  /** Counts the lock-out message down while it shows. */
  #lockoutTimer: ReturnType<typeof setInterval> | undefined;
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
    this.#connection = pageConnection(peersUrl(extensionId));
    this.#lockout = new LockoutClock(extensionId);
    this.#frontDesk = new FrontDesk({
      extensionId,
      // The password the console signed in with, from memory (see Registration): never stored.
      credentials: () => {
        const state = this.#registration.state;
        return state.kind === 'signed-out' ? undefined : state.credentials;
      },
      extensionName: () => this.#extensionName || this.#extensionId,
      onTitle: () => this.#renderTitle(),
    });
  }

  start(): void {
    hydrateIcons();
    void this.#loadExtension();
    this.#frontDesk.install();
    if (this.#browserProblem !== undefined) {
      byId('unsupported').textContent = this.#browserProblem.message;
      byId('unsupported').hidden = false;
    }

    this.#nameInput.value = this.#names.load();
    byId<HTMLFormElement>('view-signin').addEventListener('submit', (event) => {
      event.preventDefault();
      this.#signIn();
    });
    byId('signout-button').addEventListener('click', () => this.#signOut());
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
      // The extension was removed: no call of it will ring again.
      if (state === 'gone') this.#clearQueue();
      this.#frontDesk.connection(state === 'online');
      this.#renderStatus();
      this.#renderQueue();
    });
    this.#connection.on('peer', (change) => this.#onPeer(change));
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

  // ---------------------------------------------------------------- the connection

  /**
   * The signalling connection is online again. Resumed: nothing was lost, and what happened meanwhile
   * arrives next. A new peer: the queue was the old peer's (the server sends the ringing calls again after
   * the new `register`), and a call in progress goes on browser to browser (see callAfterReconnect).
   */
  #onPeer(change: PeerChange): void {
    if (change.kind !== 'resumed') this.#clearQueue();
    this.#dispatch({ type: 'peer', change: change.kind });
  }

  // ---------------------------------------------------------------- signing in and out

  #signIn(): void {
    if (this.#registration.state.kind !== 'signed-out') return;
    const password = this.#passwordInput.value;
    if (password === '') {
      this.#showSignInError('Enter the password for this extension.');
      return;
    }
    this.#stopLockoutTimer();
    const name = displayName(this.#nameInput.value);
    this.#nameInput.value = name ?? '';
    this.#names.save(name);
    // Both need a user gesture: this click.
    this.#ringer.unlock();
    this.#notifier.requestPermission();
    this.#dispatch({ type: 'sign-in', credentials: { password, name }, online: this.#connection.online });
  }

  #signOut(): void {
    if (!this.#registration.signedIn) return;
    this.#dispatch({ type: 'sign-out' });
  }

  /** Feeds the sign-in model an event and carries out what it says. */
  #dispatch(event: RegistrationEvent): void {
    for (const effect of this.#registration.dispatch(event)) this.#carryOut(effect);
    this.#renderSignIn();
    this.#renderStatus();
    this.#renderQueue();
  }

  #carryOut(effect: RegistrationEffect): void {
    const { client } = this.#connection;
    switch (effect.type) {
      case 'register': {
        const { attempt, credentials } = effect;
        this.#lockout.attempted(Date.now());
        client.register(credentials.password, credentials.name).then(
          (response) => this.#dispatch({ type: 'register-answered', attempt, response }),
          (error: unknown) =>
            this.#dispatch({
              type: 'register-failed',
              attempt,
              why: error instanceof ConnectionClosedError ? 'connection-lost' : 'no-answer',
            }),
        );
        return;
      }
      case 'deregister':
        // Not connected: the server forgets this peer by itself.
        client.deregister().catch(() => undefined);
        return;
      case 'show-console':
        this.#passwordInput.value = '';
        this.#signInError.hidden = true;
        this.#notice.hidden = true;
        showView(this.#root, 'console', this.#queueTitle);
        this.#frontDesk.signedIn(this.#connection.online);
        return;
      case 'show-sign-in':
        // Signed out (by the agent, or because registering again was refused): nothing of the console
        // stays, not even a call in progress, which would go on out of sight.
        this.#answering = undefined;
        if (this.#active !== undefined) this.#hangUp();
        this.#clearQueue();
        this.#frontDesk.signedOut();
        this.#notice.hidden = true;
        if (effect.error === undefined) this.#signInError.hidden = true;
        else if (effect.lockedOut === true) this.#showLockout();
        else this.#showSignInError(effect.error);
        showView(this.#root, 'signin', this.#passwordInput);
        // Refused: the field keeps what was typed, selected, so that typing again replaces it.
        if (effect.error !== undefined) this.#passwordInput.select();
        return;
    }
  }

  #renderSignIn(): void {
    const signingIn = this.#registration.state.kind === 'signing-in';
    this.#signInButton.disabled = signingIn;
    this.#signInButton.textContent = signingIn ? 'Signing in…' : 'Sign in';
  }

  /** The server refused with `rate-limited`: says how long is left, counting down (see LockoutClock). */
  #showLockout(): void {
    this.#stopLockoutTimer();
    const initially = this.#lockout.remainingMs(Date.now());
    this.#showSignInError(lockoutMessage(initially), true);
    if (initially === undefined) return;
    let shown = lockoutMessage(initially);
    this.#lockoutTimer = setInterval(() => {
      const left = this.#lockout.remainingMs(Date.now());
      const text = lockoutMessage(left, true);
      // Changed only when the words change (once a minute): the alert is read again at every change.
      if (text !== shown) this.#showSignInError(text, true);
      shown = text;
      if (left === undefined) this.#stopLockoutTimer();
    }, 1000);
  }

  #stopLockoutTimer(): void {
    clearInterval(this.#lockoutTimer);
    this.#lockoutTimer = undefined;
  }

  #showSignInError(message: string, keepTimer = false): void {
    if (!keepTimer) this.#stopLockoutTimer();
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
        // This agent's own answer: the row stays ("Answering…") until the answer settles.
        if (this.#answering?.callId === event.callId) this.#answering.claimed = { name: event.name };
        else this.#callTaken(event.callId, event.name);
        return;
      case 'abandoned':
        this.#callMissed(event.callId);
        this.#frontDesk.callEnded();
        return;
      case 'disconnected':
        if (this.#active?.callId === event.callId) this.#finish(event.reason);
        else if (this.#answering?.callId === event.callId) this.#answering.endedWith = event.reason;
        return;
      case 'connected':
        return;
    }
  }

  /** Another agent answered a call this one saw ringing; `winner` is its name, when it gave one. */
  #callTaken(callId: string, winner: string | undefined): void {
    const call = this.#calls.get(callId);
    if (call === undefined) return;
    this.#removeCall(callId);
    // Said only to an agent free to take calls: one in a call is not interrupted with other calls' news.
    if (this.#active === undefined && this.#answering === undefined) {
      this.#showNotice(takenBy(winner, call.displayName, false));
    }
  }

  /** A call this agent saw ringing stopped before anyone answered (the caller hung up, or it timed out). */
  #callMissed(callId: string): void {
    const call = this.#calls.get(callId);
    if (call === undefined) return;
    this.#removeCall(callId);
    // Said only to an agent free to take calls; what it said about an earlier call is no longer the news.
    if (this.#active === undefined && this.#answering === undefined) {
      this.#showNotice(missedCall(call.displayName, Date.now() - call.since));
    }
  }

  #addCall(callId: string, name: string | undefined): void {
    // Late events of a registration this page already signed out of are not calls for this agent.
    if (!this.#registration.takesCalls) return;
    if (this.#calls.has(callId) || this.#active?.callId === callId) return;
    // A new call rings: a notice about an earlier one ("Call ended — You hung up", ...) is stale now.
    if (this.#answering === undefined) this.#notice.hidden = true;
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

  #clearQueue(): void {
    for (const callId of [...this.#calls.keys()]) this.#removeCall(callId);
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
    // Why Answer is off, said next to the buttons and named by each one's aria-describedby.
    const blocked = answerBlocked({
      inCall: this.#active !== undefined,
      answering: this.#answering !== undefined,
      online: this.#connection.online,
      browserCanCall: this.#browserProblem === undefined,
    });
    this.#queueHint.textContent = blocked ?? '';
    this.#queueHint.hidden = blocked === undefined || count === 0;
    // In a call the console puts the waiting calls beside it (or above it on narrow screens), in view.
    this.#root.parentElement?.classList.toggle('in-call', this.#active !== undefined);
    for (const call of this.#calls.values()) {
      const answeringThis = this.#answering?.callId === call.callId;
      call.button.disabled = busy || !this.#connection.online || this.#browserProblem !== undefined;
      if (call.button.disabled && blocked !== undefined)
        call.button.setAttribute('aria-describedby', 'queue-hint');
      else call.button.removeAttribute('aria-describedby');
      call.button.lastElementChild?.replaceChildren(answeringThis ? 'Answering…' : 'Answer');
      call.row.dataset.answering = String(answeringThis);
    }
    const waiting = count > 0 && !busy && this.#registration.signedIn;
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
    // Ringing calls first; else missed calls that arrived while the tab was hidden.
    const prefix = count > 0 ? `(${count}) ` : this.#frontDesk.titlePrefix;
    document.title = `${prefix}${name}Agent console`;
  }

  #renderStatus(): void {
    const { state, text } = agentStatus(
      this.#registration.state.kind,
      this.#connection.state,
      this.#active !== undefined,
    );
    this.#status.dataset.state = state;
    this.#status.textContent = text;
    byId('console-hint').textContent = consoleHint(this.#connection.state);
  }

  // ---------------------------------------------------------------- answering and the call

  async #answer(callId: string): Promise<void> {
    const call = this.#calls.get(callId);
    if (call === undefined || this.#active !== undefined || this.#answering !== undefined) return;
    mark('agent:answer-clicked');
    const answering: Answering = {
      callId,
      displayName: call.displayName,
      pending: [],
      endedWith: undefined,
      claimed: undefined,
    };
    this.#answering = answering;
    // The answer goes out first: the first answer wins the call. The camera and microphone are usually
    // open already (see #standbyMedia), else they start while the answer travels; taken before the render
    // below, which stops wanting them. Should they fail, the call is ended at once.
    const client = this.#connection.client;
    const answerResult = settle(answerAcrossDrop(this.#connection, callId));
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
      // Signed out meanwhile.
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
      // Lost the race: said with the winner's name when the `claimed` came first (it usually does).
      const { claimed } = answering;
      this.#showNotice(
        claimed === undefined
          ? describeCallEnd('unavailable', 'agent')
          : takenBy(claimed.name, answering.displayName, true),
      );
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
      onRemoteHangUp: () => this.#hangUp('hangup'),
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
    this.#frontDesk.callEnded();
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
