import type { PeerChange, RegisterFailureReason, ResponseFor } from '@pbx-peers/client';

/** What the agent signs in with. The password stays in memory only, for the page's lifetime. */
export interface AgentCredentials {
  password: string;
  /** The display name sent on `register` (protocol 1.1), shown to callers; none when left empty. */
  name: string | undefined;
}

/**
 * The agent's sign-in, as one union:
 * - `signed-out`: the sign-in form;
 * - `signing-in`: the agent pressed Sign in and its `register` is on its way (sent again if the connection
 *   drops meanwhile);
 * - `signed-in`: registered as the current peer;
 * - `registering-again`: the signalling connection came back as a new peer (the server restarted, or the
 *   drop outlasted the resume grace): the console registers again by itself, with the same credentials.
 */
export type RegistrationState =
  | { kind: 'signed-out' }
  | { kind: 'signing-in'; credentials: AgentCredentials; attempt: number }
  | { kind: 'signed-in'; credentials: AgentCredentials }
  | { kind: 'registering-again'; credentials: AgentCredentials; attempt: number };

export type RegistrationEvent =
  /** Sign in was pressed; `online` is whether requests can be sent right now. */
  | { type: 'sign-in'; credentials: AgentCredentials; online: boolean }
  | { type: 'register-answered'; attempt: number; response: ResponseFor<'register'> }
  /** The `register` got no answer: the connection dropped (`connection-lost`) or it timed out. */
  | { type: 'register-failed'; attempt: number; why: 'connection-lost' | 'no-answer' }
  /** The signalling connection is online again (ResumingClient's `peer` event). */
  | { type: 'peer'; change: PeerChange['kind'] }
  | { type: 'sign-out' };

export type RegistrationEffect =
  /** Send `register`; answer with `register-answered` or `register-failed` carrying the same `attempt`. */
  | { type: 'register'; attempt: number; credentials: AgentCredentials }
  | { type: 'deregister' }
  | { type: 'show-console' }
  /**
   * The sign-in form, with a sentence saying what went wrong, if anything did; `lockedOut` when the server
   * answered `rate-limited` (the console then says how long is left, see LockoutClock).
   */
  | { type: 'show-sign-in'; error: string | undefined; lockedOut?: true };

export const REGISTER_FAILURES: Record<RegisterFailureReason, string> = {
  'bad-password': 'Wrong password. Please check it and try again.',
  'rate-limited':
    'Too many failed sign-in attempts. Signing in is blocked for up to 15 minutes; then try again.',
};

export const NOT_CONNECTED = 'Not connected to the server yet. Please wait a moment and try again.';
export const NO_ANSWER = 'The server did not answer. Please try again.';
export const PASSWORD_CHANGED = 'The password for this extension has changed. Please sign in again.';

/**
 * The agent console's sign-in logic, with no DOM and no network: events in, state and effects out. The
 * console carries out the effects and feeds back what comes of them; an answer to an attempt that is no
 * longer the current one (signed out meanwhile, or sent again) is ignored.
 */
export class Registration {
  #state: RegistrationState = { kind: 'signed-out' };
  #attempts = 0;

  get state(): RegistrationState {
    return this.#state;
  }

  /** Whether the console (queue, calls) is shown: signed in, or registering again by itself. */
  get signedIn(): boolean {
    return this.#state.kind === 'signed-in' || this.#state.kind === 'registering-again';
  }

  /** Whether ringing calls are this agent's to see: from pressing Sign in until signing out. */
  get takesCalls(): boolean {
    return this.#state.kind !== 'signed-out';
  }

  dispatch(event: RegistrationEvent): RegistrationEffect[] {
    const state = this.#state;
    switch (event.type) {
      case 'sign-in': {
        if (state.kind !== 'signed-out') return [];
        if (!event.online) return [{ type: 'show-sign-in', error: NOT_CONNECTED }];
        return [this.#register('signing-in', event.credentials)];
      }
      case 'register-answered': {
        if (!this.#isCurrent(event.attempt)) return [];
        if (state.kind === 'signed-out' || state.kind === 'signed-in') return [];
        if (event.response.status === 'registered') {
          this.#state = { kind: 'signed-in', credentials: state.credentials };
          return state.kind === 'signing-in' ? [{ type: 'show-console' }] : [];
        }
        this.#state = { kind: 'signed-out' };
        const reason = event.response.reason;
        const error =
          state.kind === 'registering-again' && reason === 'bad-password'
            ? PASSWORD_CHANGED
            : REGISTER_FAILURES[reason];
        return [
          reason === 'rate-limited'
            ? { type: 'show-sign-in', error, lockedOut: true }
            : { type: 'show-sign-in', error },
        ];
      }
      case 'register-failed': {
        if (!this.#isCurrent(event.attempt)) return [];
        if (state.kind === 'signed-out' || state.kind === 'signed-in') return [];
        // The connection dropped: the `peer` event that ends the drop sends it again.
        if (event.why === 'connection-lost') return [];
        if (state.kind === 'registering-again')
          return [this.#register('registering-again', state.credentials)];
        // The user's own attempt: say so, and make sure the server has not registered it after all.
        this.#state = { kind: 'signed-out' };
        return [{ type: 'deregister' }, { type: 'show-sign-in', error: NO_ANSWER }];
      }
      case 'peer': {
        if (state.kind === 'signed-out') return [];
        if (state.kind === 'signed-in') {
          return event.change === 'resumed' ? [] : [this.#register('registering-again', state.credentials)];
        }
        // A register on its way when the connection dropped: its answer is lost, so ask again (register is
        // idempotent for a resumed peer that had been registered meanwhile).
        return [this.#register(state.kind, state.credentials)];
      }
      case 'sign-out': {
        if (state.kind === 'signed-out') return [];
        this.#state = { kind: 'signed-out' };
        return [{ type: 'deregister' }, { type: 'show-sign-in', error: undefined }];
      }
    }
  }

  #register(kind: 'signing-in' | 'registering-again', credentials: AgentCredentials): RegistrationEffect {
    const attempt = ++this.#attempts;
    this.#state = { kind, credentials, attempt };
    return { type: 'register', attempt, credentials };
  }

  #isCurrent(attempt: number): boolean {
    const state = this.#state;
    return (state.kind === 'signing-in' || state.kind === 'registering-again') && state.attempt === attempt;
  }
}
