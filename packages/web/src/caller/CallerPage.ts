import type {
  ExtensionStatus,
  JsonValue,
  PeerChange,
  ResponseFor,
  ResumingClient,
  SessionEvent,
} from '@pbx-peers/client';
import { CallMedia } from '../shared/CallMedia.js';
import { CallView } from '../shared/CallView.js';
import { ConnectionBanner } from '../shared/ConnectionBanner.js';
import { type CallPhase, callAfterReconnect } from '../shared/callAfterReconnect.js';
import { type CallEndReason, describeCallEnd } from '../shared/describeCallEnd.js';
import { byId } from '../shared/el.js';
import { formatDuration } from '../shared/formatDuration.js';
import { hydrateIcons, icon } from '../shared/icon.js';
import { LocalMedia, MediaAccessError, mediaProblem, webRtcProblem } from '../shared/LocalMedia.js';
import { pageConnection } from '../shared/pageConnection.js';
import { extensionName, peersUrl } from '../shared/pageExtension.js';
import { rtcConfiguration } from '../shared/rtcConfiguration.js';
import { showView } from '../shared/showView.js';
import { mark } from '../shared/testHook.js';
import { availability, type OwnCall } from './availability.js';
import { CallbackForm } from './CallbackForm.js';
import { offersCallback } from './callbackRequest.js';
import { callerName } from './callerName.js';
import { callTitle } from './callTitle.js';

/** Where the visitor's call is. Each state carries exactly what it owns (media, session, view). */
type CallState =
  | { kind: 'idle' }
  | { kind: 'preparing' }
  | {
      kind: 'ringing';
      callId: string;
      media: LocalMedia;
      startedAt: number;
      ice: PrefetchedConfiguration;
      /**
       * The call's peer connection, made while ringing once the ICE servers are in: the offer is made and
       * candidates gathered, held until someone answers (see SignalOutbox). Closed if nobody does.
       */
      prepared: CallMedia | undefined;
    }
  | {
      kind: 'connected';
      callId: string;
      /** The answering agent's name, when it gave one (protocol 1.1). */
      agentName: string | undefined;
      media: LocalMedia;
      view: CallView;
      call: CallMedia | undefined;
      /** Signals that arrive before the RTCPeerConnection exists (its ICE servers are being fetched). */
      pending: JsonValue[];
    }
  | { kind: 'ended'; reason: CallEndReason };

/** ICE servers fetched when the call was placed, so that the offer goes out as soon as someone answers. */
interface PrefetchedConfiguration {
  configuration: Promise<RTCConfiguration>;
  fetchedAt: number;
}

/** TURN credentials live at least a minute; a configuration older than this is fetched again. */
const ICE_CONFIGURATION_MAX_AGE_MS = 30_000;

/** The visitor's page, `/ext/<id>`: shows whether anyone is there, and places one call at a time. */
export class CallerPage {
  readonly #extensionId: string;
  readonly #connection: ResumingClient;
  readonly #banner = new ConnectionBanner(byId('connection-banner'));
  readonly #root = byId('extension-name').closest('.card') as HTMLElement;
  readonly #title = byId('extension-name');
  readonly #status = byId('extension-status');
  readonly #form = byId<HTMLFormElement>('view-idle');
  readonly #nameInput = byId<HTMLInputElement>('caller-name');
  readonly #callButton = byId<HTMLButtonElement>('call-button');
  readonly #callAgainButton = byId<HTMLButtonElement>('call-again');
  readonly #callError = byId('call-error');
  readonly #availabilityHint = byId('availability-hint');
  readonly #unsupported = byId('unsupported');
  readonly #ringingElapsed = byId('ringing-elapsed');
  readonly #callContainer = byId('view-call');
  /** "Leave your number" (issue 10, 3): on the start view while offline, and after an unanswered call. */
  readonly #callbackOffer = byId<HTMLButtonElement>('callback-offer');
  readonly #endedCallbackOffer = byId<HTMLButtonElement>('ended-callback');
  readonly #callback: CallbackForm;
  #extensionName = '';
  #extensionStatus: ExtensionStatus | undefined;
  #state: CallState = { kind: 'idle' };
  #ringTimer: ReturnType<typeof setInterval> | undefined;
  readonly #browserProblem = webRtcProblem();

  constructor(extensionId: string) {
    this.#extensionId = extensionId;
    this.#connection = pageConnection(peersUrl(extensionId));
    this.#callback = new CallbackForm({
      extensionId,
      root: this.#root,
      callerName: () => callerName(this.#nameInput.value) ?? '',
      extensionName: () => this.#extensionName || this.#extensionId,
      onBack: () => {
        if (this.#state.kind !== 'idle' && this.#state.kind !== 'ended') return;
        this.#state = { kind: 'idle' };
        this.#render();
        showView(this.#root, 'idle', this.#nameInput);
      },
    });
  }

  start(): void {
    hydrateIcons();
    void this.#loadExtension();
    if (this.#browserProblem !== undefined) {
      this.#unsupported.textContent = this.#browserProblem.message;
      this.#unsupported.hidden = false;
    }

    this.#form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#placeCall();
    });
    this.#callAgainButton.addEventListener('click', () => void this.#placeCall());
    byId('ended-back').addEventListener('click', () => {
      this.#state = { kind: 'idle' };
      showView(this.#root, 'idle', this.#nameInput);
    });
    byId('preparing-cancel').addEventListener('click', () => this.#cancelPreparing());
    byId('ringing-hangup').addEventListener('click', () => this.#hangUp());
    this.#callback.install();
    this.#callbackOffer.addEventListener('click', () => this.#callback.show());
    this.#endedCallbackOffer.addEventListener('click', () => this.#callback.show());

    const { client } = this.#connection;
    client.on('extension', (event) => this.#setExtensionStatus(event.status));
    client.on('session', (event) => this.#onSession(event));
    client.on('signal', ({ callId, data }) => {
      const state = this.#state;
      if (state.kind !== 'connected' || state.callId !== callId) return;
      if (state.call === undefined) state.pending.push(data);
      else state.call.session.handleSignal(data);
    });
    this.#connection.on('state', (state) => {
      this.#banner.show(state);
      // Offline or online, what the page last heard about the extension no longer holds (while
      // disconnected) or was just refreshed by `init`; either way the buttons follow.
      if (state !== 'online') this.#extensionStatus = undefined;
      this.#render();
      // The extension was removed: this peer is over at the server, as if replaced.
      if (state === 'gone') this.#signallingBack('replaced');
    });
    this.#connection.on('peer', (change) => {
      this.#setExtensionStatus(change.init.status);
      this.#signallingBack(change.kind);
    });
    this.#banner.show(this.#connection.state);
    this.#render();
    this.#connection.start();
  }

  async #loadExtension(): Promise<void> {
    this.#setExtensionName(await extensionName(this.#extensionId));
  }

  #setExtensionName(name: string): void {
    this.#extensionName = name;
    this.#title.textContent = name;
    document.title = `Call ${name}`;
  }

  #setExtensionStatus(status: ExtensionStatus | undefined): void {
    this.#extensionStatus = status;
    this.#render();
  }

  /** The status pill, the Call buttons and the hint under them. */
  #render(): void {
    const { pill, canCall, hint } = availability({
      status: this.#extensionStatus,
      connection: this.#connection.state,
      browserCanCall: this.#browserProblem === undefined,
      call: this.#ownCall(),
    });
    this.#status.dataset.state = pill.state;
    this.#status.textContent = pill.text;
    this.#callButton.disabled = !canCall;
    this.#callAgainButton.disabled = !canCall;
    this.#availabilityHint.textContent = hint;
    const offer = { status: this.#extensionStatus, connection: this.#connection.state };
    this.#callbackOffer.hidden = !offersCallback({ ...offer, view: 'idle' });
    const reason = this.#state.kind === 'ended' ? this.#state.reason : undefined;
    this.#endedCallbackOffer.hidden = !offersCallback({ ...offer, view: 'ended', reason });
  }

  /** This page's call while it is under way, for the pill. */
  #ownCall(): OwnCall | undefined {
    const state = this.#state;
    if (state.kind === 'preparing' || state.kind === 'ringing') return { kind: state.kind };
    if (state.kind === 'connected') {
      return state.agentName === undefined
        ? { kind: 'connected' }
        : { kind: 'connected', agentName: state.agentName };
    }
    return undefined;
  }

  /**
   * The signalling connection is back (or, `gone`, never will be). While it was away nothing was ended:
   * a resumed peer's call goes on; for a new peer, a ringing call is over, and a connected call's media
   * keeps running browser to browser (see callAfterReconnect).
   */
  #signallingBack(change: PeerChange['kind']): void {
    const state = this.#state;
    // Preparing: a `call` on its way failed with the connection, and one not yet sent goes to the new peer.
    const phase: CallPhase | undefined =
      state.kind === 'ringing' ? 'ringing' : state.kind === 'connected' ? 'connected' : undefined;
    if (phase === undefined) return;
    if (callAfterReconnect(phase, change) === 'ended') this.#finish('connection-lost');
  }

  async #placeCall(): Promise<void> {
    if (this.#state.kind !== 'idle' && this.#state.kind !== 'ended') return;
    if (this.#callButton.disabled && this.#callAgainButton.disabled) return;
    this.#callError.hidden = true;
    const name = callerName(this.#nameInput.value);
    const preparing: CallState = { kind: 'preparing' };
    this.#state = preparing;
    this.#render();
    showView(this.#root, 'preparing', true);

    const ice: PrefetchedConfiguration = { configuration: rtcConfiguration(), fetchedAt: Date.now() };
    let media: LocalMedia;
    try {
      media = await LocalMedia.acquire();
    } catch (error) {
      if (this.#state !== preparing) return;
      this.#backToIdle(error instanceof MediaAccessError ? error.message : mediaProblem('failed').message);
      return;
    }
    if (this.#state !== preparing) {
      media.stop();
      return;
    }

    let response: ResponseFor<'call'>;
    try {
      response = await this.#connection.client.call(name);
    } catch {
      media.stop();
      if (this.#state === preparing) {
        this.#backToIdle('The call could not be placed because the connection to the server failed.');
      }
      return;
    }
    if (this.#state !== preparing) {
      // Cancelled while the request was on its way.
      media.stop();
      if (response.status === 'ringing') this.#connection.client.end(response.callId).catch(() => undefined);
      return;
    }
    if (response.status === 'unavailable') {
      media.stop();
      this.#showEnded('unavailable');
      return;
    }
    const ringing: CallState = {
      kind: 'ringing',
      callId: response.callId,
      media,
      startedAt: Date.now(),
      ice,
      prepared: undefined,
    };
    this.#state = ringing;
    this.#render();
    this.#startRingTimer();
    showView(this.#root, 'ringing', byId('ringing-hangup'));
    void this.#prepareOffer(ringing);
  }

  /** While ringing: the peer connection, its offer and candidates, ready to go when someone answers. */
  async #prepareOffer(ringing: Extract<CallState, { kind: 'ringing' }>): Promise<void> {
    const configuration = await ringing.ice.configuration;
    if (this.#state !== ringing) return;
    ringing.prepared = this.#callMedia(ringing.callId, ringing.media, configuration, true);
    ringing.prepared.start();
  }

  #callMedia(callId: string, media: LocalMedia, configuration: RTCConfiguration, hold: boolean): CallMedia {
    return new CallMedia({
      role: 'offerer',
      configuration,
      client: this.#connection.client,
      callId,
      media,
      holdSignals: hold,
      onMediaFailed: () => this.#hangUp('media-failed'),
      onRemoteHangUp: () => this.#hangUp('hangup'),
    });
  }

  #backToIdle(error: string): void {
    this.#state = { kind: 'idle' };
    this.#render();
    this.#callError.replaceChildren(icon('alert'), document.createTextNode(error));
    this.#callError.hidden = false;
    showView(this.#root, 'idle', this.#callButton.disabled ? this.#nameInput : this.#callButton);
  }

  #cancelPreparing(): void {
    if (this.#state.kind !== 'preparing') return;
    this.#state = { kind: 'idle' };
    this.#render();
    showView(this.#root, 'idle', this.#callButton);
  }

  #onSession(event: SessionEvent): void {
    const state = this.#state;
    if ((state.kind !== 'ringing' && state.kind !== 'connected') || state.callId !== event.callId) {
      // Answered, yet not this page's call: one whose `call` was carried out while the connection dropped
      // (its response lost). Ended, so that the agent is not left waiting for a caller who is not there.
      if (event.status === 'connected') this.#connection.client.end(event.callId).catch(() => undefined);
      return;
    }
    if (event.status === 'connected' && state.kind === 'ringing') void this.#connect(state, event.name);
    else if (event.status === 'disconnected') this.#finish(event.reason);
  }

  /** Someone answered; `agentName` is theirs when they gave one (protocol 1.1). */
  async #connect(
    ringing: Extract<CallState, { kind: 'ringing' }>,
    agentName: string | undefined,
  ): Promise<void> {
    mark('caller:connected-event');
    const { callId, media, ice } = ringing;
    const fresh = Date.now() - ice.fetchedAt < ICE_CONFIGURATION_MAX_AGE_MS;
    // The prepared offer goes out before anything else happens: the answer is what the agent waits for.
    // One prepared with TURN credentials that may have expired by now is made again.
    let prepared = ringing.prepared;
    if (prepared !== undefined && !fresh) {
      prepared.close();
      prepared = undefined;
    }
    prepared?.releaseSignals();
    this.#stopRingTimer();
    const { peerName, title } = callTitle(agentName, this.#extensionName || this.#extensionId);
    const view = new CallView({ peerName, title, media, onHangUp: () => this.#hangUp() });
    prepared?.attach(view);
    const state: CallState = {
      kind: 'connected',
      callId,
      agentName,
      media,
      view,
      call: prepared,
      pending: [],
    };
    this.#state = state;
    this.#render();
    this.#callContainer.replaceChildren(view.root);
    this.#root.parentElement?.classList.add('in-call');
    showView(this.#root, 'call', view.hangUpButton);
    if (prepared !== undefined) return;

    // Answered before the ICE servers were in (or long after they were fetched): negotiate now.
    const configuration = await (fresh ? ice.configuration : rtcConfiguration());
    if (this.#state !== state) return;
    const call = this.#callMedia(callId, media, configuration, false);
    call.attach(view);
    state.call = call;
    for (const data of state.pending.splice(0)) call.session.handleSignal(data);
    call.start();
  }

  /** This side ends the call: tells the server, then cleans up. */
  #hangUp(reason: CallEndReason = 'you-hung-up'): void {
    const state = this.#state;
    if (state.kind !== 'ringing' && state.kind !== 'connected') return;
    this.#connection.client.end(state.callId).catch(() => undefined);
    this.#finish(reason === 'you-hung-up' && state.kind === 'ringing' ? 'cancelled' : reason);
  }

  /** The call is over (for whatever reason): releases everything it held and says why. */
  #finish(reason: CallEndReason): void {
    const state = this.#state;
    if (state.kind === 'preparing') {
      this.#backToIdle('The connection to the server dropped. Please try again.');
      return;
    }
    if (state.kind !== 'ringing' && state.kind !== 'connected') return;
    this.#stopRingTimer();
    if (state.kind === 'connected') {
      state.call?.close();
      state.view.destroy();
      this.#root.parentElement?.classList.remove('in-call');
    } else {
      state.prepared?.close();
    }
    state.media.stop();
    this.#showEnded(reason);
  }

  #showEnded(reason: CallEndReason): void {
    this.#state = { kind: 'ended', reason };
    const text = describeCallEnd(reason, 'caller');
    byId('ended-title').textContent = text.title;
    byId('ended-detail').textContent = text.detail;
    const endedIcon = byId('ended-icon');
    endedIcon.dataset.tone = text.tone;
    endedIcon.replaceChildren(icon(text.tone === 'neutral' ? 'hangUp' : 'alert'));
    this.#render();
    showView(this.#root, 'ended', true);
  }

  #startRingTimer(): void {
    this.#stopRingTimer();
    const render = () => {
      const state = this.#state;
      if (state.kind === 'ringing')
        this.#ringingElapsed.textContent = formatDuration(Date.now() - state.startedAt);
    };
    render();
    this.#ringTimer = setInterval(render, 1000);
  }

  #stopRingTimer(): void {
    clearInterval(this.#ringTimer);
    this.#ringTimer = undefined;
  }
}
