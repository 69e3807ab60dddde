import { formatDuration } from '../shared/formatDuration.js';
import type {
  AnsweredCall,
  CallbackRequest,
  FrontDeskData,
  FrontDeskFetch,
  MarkDoneResult,
  MissedCall,
} from './frontDeskData.js';

/** How often the console asks for the front desk while signed in. */
export const POLL_MS = 5_000;
/** Right after a call ended: the server writes its record detached, so the console asks a few times, quickly. */
export const SOON_MS = 1_000;
export const SOON_POLLS = 3;
/** After `rate-limited`: wrong passwords count toward the extension's lock-out, so the console waits. */
export const RATE_LIMITED_MS = 60_000;

/** One entry of the "Missed calls" list: a missed call or a callback request, by `call:<id>` / `callback:<id>`. */
export type WorkKey = `call:${string}` | `callback:${string}`;

export type DeskProblem = 'bad-password' | 'rate-limited' | 'unknown-extension' | 'failed' | 'done-failed';

/**
 * The front desk of the agent console, as one union:
 * - `off`: signed out; nothing is fetched, nothing shown;
 * - `on`: signed in. `data` is the last answer (undefined until the first), `known` every entry of the
 *   missed list seen since signing in (what was there at sign-in is not news), `unseen` how many new ones
 *   arrived while the tab was hidden (the title counts them), `marking` the entries marked done whose
 *   mark is on its way or not yet reflected by a fetch (hidden meanwhile), `request` the fetch in flight.
 *   `online`: whether the signalling connection is (the server is up): while it is not, nothing is fetched
 *   (each try would fail, and the browser logs each failure), and once it is back the lists are fetched.
 *   `stopped`: the server refused the password (or knows no such extension): asking again every few
 *   seconds would only count toward the lock-out.
 */
export type FrontDeskState =
  | { kind: 'off' }
  | {
      kind: 'on';
      data: FrontDeskData | undefined;
      problem: DeskProblem | undefined;
      known: ReadonlySet<WorkKey> | undefined;
      unseen: number;
      hidden: boolean;
      marking: ReadonlySet<WorkKey>;
      request: number | undefined;
      /** Fetch again as soon as the one in flight answers (something changed while it was on its way). */
      again: boolean;
      /** Polls left at SOON_MS after a call ended, before going back to POLL_MS. */
      soon: number;
      online: boolean;
      stopped: boolean;
    };

export type FrontDeskEvent =
  /** Signed in (the console shows); `hidden` is document.visibilityState === 'hidden'. */
  | { type: 'start'; hidden: boolean; online: boolean }
  /** The signalling connection went online or offline. */
  | { type: 'connection'; online: boolean }
  | { type: 'stop' }
  /** The poll timer fired. */
  | { type: 'poll' }
  /** A call this console saw ended (answered and hung up, abandoned, timed out): the lists change. */
  | { type: 'call-ended' }
  | { type: 'fetched'; request: number; result: FrontDeskFetch }
  | { type: 'visibility'; hidden: boolean }
  /** The agent pressed Done. */
  | { type: 'mark-done'; key: WorkKey }
  | { type: 'marked'; key: WorkKey; result: MarkDoneResult };

export type FrontDeskEffect =
  /** GET the front desk; answer with `fetched` carrying the same `request`. */
  | { type: 'fetch'; request: number }
  /** (Re)arm the one poll timer: `poll` in `delayMs`. */
  | { type: 'schedule'; delayMs: number }
  | { type: 'cancel-schedule' }
  /** POST done; answer with `marked`. */
  | { type: 'post-done'; key: WorkKey; kind: 'call' | 'callback'; id: string }
  /** Show the lists again (from `rows`, `recent`, `problem`). */
  | { type: 'render' }
  /** The tab title changed (see `titlePrefix`). */
  | { type: 'title' }
  /** A desktop notification, for entries that arrived while the tab was hidden. */
  | { type: 'notify'; title: string; body: string };

/** One row of the "Missed calls" list, ready to show (every string in it is text, never markup). */
export type DeskRow =
  | {
      kind: 'call';
      key: WorkKey;
      id: string;
      at: Date;
      /** The caller's name, or "Unknown caller". */
      name: string;
      anonymous: boolean;
      /** "Hung up after 0:12" / "Nobody answered in 0:30". */
      detail: string;
      outcome: MissedCall['outcome'];
    }
  | {
      kind: 'callback';
      key: WorkKey;
      id: string;
      at: Date;
      name: string;
      contact: string;
      message: string;
    };

/** One row of "Recent calls". */
export interface RecentRow {
  key: string;
  at: Date;
  name: string;
  anonymous: boolean;
  /** "Alice answered · 2:03", "Answered · 0:41", "Line dropped after 1:10 · Bea". */
  detail: string;
  outcome: AnsweredCall['outcome'];
}

export const UNKNOWN_CALLER = 'Unknown caller';

export const PROBLEMS: Record<DeskProblem, string> = {
  'bad-password':
    'The missed calls could not be loaded: the password for this extension has changed. Sign out and sign in again.',
  'rate-limited': 'The missed calls could not be loaded: too many attempts. Trying again in a minute.',
  'unknown-extension': 'This extension no longer exists.',
  failed: 'The missed calls could not be loaded. Trying again…',
  'done-failed': 'It could not be marked done. Please try again.',
};

export function workKey(kind: 'call' | 'callback', id: string): WorkKey {
  return kind === 'call' ? `call:${id}` : `callback:${id}`;
}

function keysOf(data: FrontDeskData): WorkKey[] {
  return [
    ...data.missed.map((call) => workKey('call', call.callId)),
    ...data.callbacks.map((request) => workKey('callback', request.id)),
  ];
}

function missedDetail(call: MissedCall): string {
  const waited = formatDuration(call.waitedSeconds * 1000);
  return call.outcome === 'abandoned' ? `Hung up after ${waited}` : `Nobody answered in ${waited}`;
}

function recentDetail(call: AnsweredCall): string {
  const talked = formatDuration(call.talkSeconds * 1000);
  if (call.outcome === 'dropped') {
    return call.agentName === null
      ? `Line dropped after ${talked}`
      : `Line dropped after ${talked} · ${call.agentName}`;
  }
  return call.agentName === null ? `Answered · ${talked}` : `${call.agentName} answered · ${talked}`;
}

function callRow(call: MissedCall): DeskRow {
  const name = call.callerName === null || call.callerName.trim() === '' ? undefined : call.callerName;
  return {
    kind: 'call',
    key: workKey('call', call.callId),
    id: call.callId,
    at: call.endedAt,
    name: name ?? UNKNOWN_CALLER,
    anonymous: name === undefined,
    detail: missedDetail(call),
    outcome: call.outcome,
  };
}

function callbackRow(request: CallbackRequest): DeskRow {
  return {
    kind: 'callback',
    key: workKey('callback', request.id),
    id: request.id,
    at: request.createdAt,
    name: request.name,
    contact: request.contact,
    message: request.message,
  };
}

/** What a notification says about `fresh` (newest first) new entries. */
export function notificationText(fresh: readonly DeskRow[], extensionName: string): FrontDeskEffect {
  const [first] = fresh;
  if (fresh.length === 1 && first !== undefined) {
    return first.kind === 'call'
      ? {
          type: 'notify',
          title: `Missed call from ${first.name}`,
          body: `${extensionName}: ${first.detail}.`,
        }
      : {
          type: 'notify',
          title: `${first.name} asks to be called back`,
          body: `${extensionName}: ${first.contact}`,
        };
  }
  return {
    type: 'notify',
    title: `${fresh.length} missed calls`,
    body: `${extensionName}: open the console to see them.`,
  };
}

/** The title's prefix while missed entries went unseen: "(1) Missed call — ", "(3) Missed calls — ". */
export function missedTitlePrefix(unseen: number): string {
  if (unseen <= 0) return '';
  return `(${unseen}) Missed call${unseen === 1 ? '' : 's'} — `;
}

/**
 * The agent console's front desk (issue 10, 2 and 3), with no DOM, no timers and no network: events in,
 * state and effects out. The console carries out the effects (FrontDesk) and feeds back what comes of
 * them; an answer to a fetch that is no longer the current one is ignored.
 */
export class FrontDeskModel {
  #state: FrontDeskState = { kind: 'off' };
  #requests = 0;
  readonly #extensionName: () => string;

  constructor(extensionName: () => string = () => '') {
    this.#extensionName = extensionName;
  }

  get state(): FrontDeskState {
    return this.#state;
  }

  /** The "Missed calls" list: missed calls and callback requests not done, newest first. */
  get rows(): DeskRow[] {
    const state = this.#state;
    if (state.kind === 'off' || state.data === undefined) return [];
    return this.#rowsOf(state.data).filter((row) => !state.marking.has(row.key));
  }

  /** "Recent calls": the last answered calls, newest first. */
  get recent(): RecentRow[] {
    const state = this.#state;
    if (state.kind === 'off' || state.data === undefined) return [];
    return state.data.answered.map((call) => {
      const name = call.callerName === null || call.callerName.trim() === '' ? undefined : call.callerName;
      return {
        key: call.callId,
        at: call.endedAt,
        name: name ?? UNKNOWN_CALLER,
        anonymous: name === undefined,
        detail: recentDetail(call),
        outcome: call.outcome,
      };
    });
  }

  /** Whether anything was loaded yet (before the first answer the lists say "Loading…"). */
  get loaded(): boolean {
    return this.#state.kind === 'on' && this.#state.data !== undefined;
  }

  get problem(): string | undefined {
    const state = this.#state;
    return state.kind === 'on' && state.problem !== undefined ? PROBLEMS[state.problem] : undefined;
  }

  get titlePrefix(): string {
    const state = this.#state;
    return state.kind === 'on' ? missedTitlePrefix(state.unseen) : '';
  }

  dispatch(event: FrontDeskEvent): FrontDeskEffect[] {
    const state = this.#state;
    if (event.type === 'start') {
      if (state.kind === 'on') return [];
      this.#state = {
        kind: 'on',
        data: undefined,
        problem: undefined,
        known: undefined,
        unseen: 0,
        hidden: event.hidden,
        marking: new Set(),
        request: undefined,
        again: false,
        soon: 0,
        online: event.online,
        stopped: false,
      };
      return [...(event.online ? [this.#fetch()] : []), { type: 'render' }, { type: 'title' }];
    }
    if (state.kind === 'off') return [];
    switch (event.type) {
      case 'stop':
        this.#state = { kind: 'off' };
        return [{ type: 'cancel-schedule' }, { type: 'render' }, { type: 'title' }];
      case 'connection': {
        if (state.online === event.online) return [];
        this.#state = { ...state, online: event.online };
        if (!event.online) return [{ type: 'cancel-schedule' }];
        if (state.stopped || state.request !== undefined) return [];
        return [this.#fetch()];
      }
      case 'poll':
        if (state.stopped || !state.online) return [];
        if (state.request !== undefined) return [];
        return [this.#fetch()];
      case 'call-ended': {
        if (state.stopped) return [];
        if (!state.online) {
          this.#state = { ...state, soon: SOON_POLLS };
          return [];
        }
        if (state.request !== undefined) {
          this.#state = { ...state, soon: SOON_POLLS, again: true };
          return [];
        }
        this.#state = { ...state, soon: SOON_POLLS };
        return [this.#fetch()];
      }
      case 'fetched':
        return this.#fetched(state, event.request, event.result);
      case 'visibility': {
        if (event.hidden) {
          this.#state = { ...state, hidden: true };
          return [];
        }
        const hadUnseen = state.unseen > 0;
        this.#state = { ...state, hidden: false, unseen: 0 };
        return hadUnseen ? [{ type: 'title' }] : [];
      }
      case 'mark-done': {
        if (state.data === undefined || state.marking.has(event.key)) return [];
        const row = this.#rowsOf(state.data).find((candidate) => candidate.key === event.key);
        if (row === undefined) return [];
        const problem = state.problem === 'done-failed' ? undefined : state.problem;
        this.#state = { ...state, marking: new Set([...state.marking, event.key]), problem };
        return [{ type: 'post-done', key: event.key, kind: row.kind, id: row.id }, { type: 'render' }];
      }
      case 'marked': {
        if (!state.marking.has(event.key)) return [];
        if (event.result === 'done' || event.result === 'not-found') {
          // Stays hidden until a fetch no longer lists it (one already on its way may still).
          if (state.request !== undefined) {
            this.#state = { ...state, again: true };
            return [];
          }
          return state.stopped || !state.online ? [] : [this.#fetch()];
        }
        const marking = new Set(state.marking);
        marking.delete(event.key);
        this.#state = { ...state, marking, problem: 'done-failed' };
        return [{ type: 'render' }];
      }
    }
    return [];
  }

  #rowsOf(data: FrontDeskData): DeskRow[] {
    const rows = [...data.missed.map(callRow), ...data.callbacks.map(callbackRow)];
    // Stable: entries at the same instant keep the server's order.
    return rows
      .map((row, index) => ({ row, index }))
      .sort((a, b) => b.row.at.getTime() - a.row.at.getTime() || a.index - b.index)
      .map(({ row }) => row);
  }

  #fetch(): FrontDeskEffect {
    const request = ++this.#requests;
    const state = this.#state;
    if (state.kind === 'on') this.#state = { ...state, request, again: false };
    return { type: 'fetch', request };
  }

  #fetched(
    state: Extract<FrontDeskState, { kind: 'on' }>,
    request: number,
    result: FrontDeskFetch,
  ): FrontDeskEffect[] {
    if (state.request !== request) return [];
    const settled = { ...state, request: undefined };
    if (result.kind !== 'ok') {
      const stopped = result.kind === 'bad-password' || result.kind === 'unknown-extension';
      this.#state = { ...settled, problem: result.kind, stopped, again: false };
      if (stopped) return [{ type: 'cancel-schedule' }, { type: 'render' }];
      const delayMs = result.kind === 'rate-limited' ? RATE_LIMITED_MS : POLL_MS;
      return [{ type: 'schedule', delayMs }, { type: 'render' }];
    }
    const { data } = result;
    const keys = keysOf(data);
    const present = new Set(keys);
    // A mark that a fetch no longer lists is over; the others stay hidden until it does.
    const marking = new Set([...state.marking].filter((key) => present.has(key)));
    const fresh =
      state.known === undefined ? [] : this.#rowsOf(data).filter((row) => !state.known?.has(row.key));
    const known = new Set([...(state.known ?? []), ...keys]);
    const notifyFresh = state.hidden ? fresh.filter((row) => !marking.has(row.key)) : [];
    const unseen = state.unseen + notifyFresh.length;
    const problem = state.problem === 'done-failed' ? 'done-failed' : undefined;
    this.#state = { ...settled, data, known, marking, unseen, problem, soon: Math.max(0, state.soon - 1) };
    const effects: FrontDeskEffect[] = [];
    if (state.again && state.online) effects.push(this.#fetch());
    else effects.push({ type: 'schedule', delayMs: state.soon > 0 ? SOON_MS : POLL_MS });
    effects.push({ type: 'render' });
    if (notifyFresh.length > 0) {
      effects.push({ type: 'title' }, notificationText(notifyFresh, this.#extensionName()));
    }
    return effects;
  }
}

/**
 * When something happened, for a list: "14:32" today, "Yesterday 14:32", else "3 Dec 14:32" (the
 * browser's locale and time zone).
 */
export function formatWhen(at: Date, now: Date, locale?: string): string {
  const time = at.toLocaleTimeString(locale, { hour: 'numeric', minute: '2-digit' });
  const day = (date: Date) => new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
  const days = Math.round((day(now) - day(at)) / 86_400_000);
  if (days === 0) return time;
  if (days === 1) return `Yesterday ${time}`;
  const date = at.toLocaleDateString(locale, {
    day: 'numeric',
    month: 'short',
    ...(at.getFullYear() === now.getFullYear() ? {} : { year: 'numeric' }),
  });
  return `${date} ${time}`;
}
