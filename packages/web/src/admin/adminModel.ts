/**
 * The web admin's logic without a browser (issue 11 point 2): the page's state as one union, its routes
 * (`/admin/<page>` with the filters in the query), the sign-in answers and their sentences, and how the
 * call history and callback filters become API queries. Pure; the unit tests run it in Node.
 */
import { formatDuration } from '../shared/formatDuration.js';
import { type AdminSession, type ApiResult, OUTCOMES, type Outcome } from './adminData.js';

export const ROUTES = ['extensions', 'live', 'calls', 'callbacks'] as const;
export type Route = (typeof ROUTES)[number];

export const ROUTE_TITLES: Record<Route, string> = {
  extensions: 'Extensions',
  live: 'Live',
  calls: 'Calls',
  callbacks: 'Callback requests',
};

/** `/admin`, `/admin/`, `/admin/extensions` → extensions; `/admin/live` → live; anything else unknown. */
export function routeOf(pathname: string): Route | undefined {
  const rest = pathname.replace(/^\/admin\/?/, '').replace(/\/+$/, '');
  if (rest === '') return 'extensions';
  return (ROUTES as readonly string[]).includes(rest) ? (rest as Route) : undefined;
}

export function pathOf(route: Route): string {
  return `/admin/${route}`;
}

/** Why the sign-in form shows, or what its last attempt came to. */
export type SignInNotice = 'bad-password' | 'rate-limited' | 'failed' | 'expired' | 'signed-out' | 'missing';

/**
 * The whole page:
 * - `checking`: asking the server whether this browser has a session (`GET /admin/api/session`);
 * - `signed-out`: the sign-in form, with why (`notice`), `busy` while an attempt is on its way;
 * - `signed-in`: the admin's pages; `session.csrfToken` goes with every change.
 * `route` is the page asked for (kept across sign-in, so a link to /admin/calls lands there).
 */
export type AdminState =
  | { kind: 'checking'; route: Route }
  | { kind: 'signed-out'; route: Route; notice: SignInNotice | undefined; busy: boolean }
  | { kind: 'signed-in'; route: Route; session: AdminSession };

export type AdminEvent =
  | { type: 'session-checked'; result: ApiResult<AdminSession> }
  | { type: 'sign-in-sent' }
  | { type: 'sign-in-missing' }
  | { type: 'signed-in'; result: ApiResult<AdminSession> }
  /** An API call answered 401: the session expired or was ended elsewhere. */
  | { type: 'unauthorized' }
  | { type: 'signed-out' }
  | { type: 'navigate'; route: Route };

export function nextAdminState(state: AdminState, event: AdminEvent): AdminState {
  const { route } = state;
  switch (event.type) {
    case 'session-checked':
      if (state.kind !== 'checking') return state;
      if (event.result.ok) return { kind: 'signed-in', route, session: event.result.value };
      return {
        kind: 'signed-out',
        route,
        notice: event.result.problem === 'unauthorized' ? undefined : 'failed',
        busy: false,
      };
    case 'sign-in-sent':
      return state.kind === 'signed-out' ? { ...state, notice: undefined, busy: true } : state;
    case 'sign-in-missing':
      return state.kind === 'signed-out' ? { ...state, notice: 'missing', busy: false } : state;
    case 'signed-in': {
      if (state.kind !== 'signed-out') return state;
      const { result } = event;
      if (result.ok) return { kind: 'signed-in', route, session: result.value };
      const notice: SignInNotice =
        result.problem === 'bad-password' || result.problem === 'unauthorized'
          ? 'bad-password'
          : result.problem === 'rate-limited'
            ? 'rate-limited'
            : 'failed';
      return { kind: 'signed-out', route, notice, busy: false };
    }
    case 'unauthorized':
      return state.kind === 'signed-in'
        ? { kind: 'signed-out', route, notice: 'expired', busy: false }
        : state;
    case 'signed-out':
      return { kind: 'signed-out', route, notice: 'signed-out', busy: false };
    case 'navigate':
      return { ...state, route: event.route };
  }
}

/** The sentence above the sign-in form, and whether it is an error (an alert) or news (a status). */
export function signInNotice(
  notice: SignInNotice | undefined,
): { text: string; tone: 'danger' | 'info' } | undefined {
  switch (notice) {
    case undefined:
      return undefined;
    case 'bad-password':
      return { text: 'That name and password do not match an admin account.', tone: 'danger' };
    case 'rate-limited':
      return {
        text: 'Too many failed sign-in attempts. Signing in is blocked for a while; wait a few minutes, then try again.',
        tone: 'danger',
      };
    case 'failed':
      return { text: 'The server could not be reached. Check the connection and try again.', tone: 'danger' };
    case 'missing':
      return { text: 'Enter your admin name and password.', tone: 'danger' };
    case 'expired':
      return { text: 'Your session has ended. Sign in again to go on.', tone: 'info' };
    case 'signed-out':
      return { text: 'You are signed out.', tone: 'info' };
  }
}

/** Which field of the sign-in form gets focus after an answer: the one to fix. */
export function signInFocus(notice: SignInNotice | undefined, name: string): 'name' | 'password' {
  if (notice === 'bad-password') return 'password';
  return name.trim() === '' ? 'name' : 'password';
}

/** A failed change or load, for people. `what` names the thing ("the extension"). */
export function problemText(
  problem: Extract<ApiResult<unknown>, { ok: false }>['problem'],
  message?: string,
): string {
  switch (problem) {
    case 'not-found':
      return 'It no longer exists (removed in another window?). The list has been refreshed.';
    case 'csrf':
      return 'The page was out of date, so the server refused the change. Try again (or reload the page).';
    case 'invalid':
    case 'duplicate':
      return message ?? (problem === 'duplicate' ? 'That id is taken.' : 'That is not valid.');
    case 'rate-limited':
      return 'Too many requests. Wait a minute and try again.';
    case 'unauthorized':
    case 'bad-password':
      return 'Your session has ended. Sign in again.';
    case 'failed':
      return 'The server could not be reached, or its answer could not be read. Try again.';
  }
}

// ------------------------------------------------------------------ call history

export interface CallsFilter {
  /** An extension id; '' for every extension. */
  extension: string;
  /** `YYYY-MM-DD` (a date input's value), calls from that local midnight on; '' for no limit. */
  since: string;
  /** Empty for every outcome. */
  outcomes: Outcome[];
}

/** How many rows the calls page asks for (the CSV export has the same filters and no limit). */
export const CALLS_LIMIT = 200;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The filter a page URL's query holds (`?extension=&since=YYYY-MM-DD&outcome=a,b`); wrong parts ignored. */
export function callsFilterOf(search: string): CallsFilter {
  const query = new URLSearchParams(search);
  const since = query.get('since') ?? '';
  const outcomes = (query.get('outcome') ?? '')
    .split(',')
    .filter((outcome): outcome is Outcome => (OUTCOMES as readonly string[]).includes(outcome));
  return {
    extension: query.get('extension') ?? '',
    since: DATE.test(since) ? since : '',
    outcomes: OUTCOMES.filter((outcome) => outcomes.includes(outcome)),
  };
}

/** The page URL's query for a filter (`''` when it filters nothing): bookmarkable. */
export function callsPageSearch(filter: CallsFilter): string {
  const query = new URLSearchParams();
  if (filter.extension !== '') query.set('extension', filter.extension);
  if (filter.since !== '') query.set('since', filter.since);
  if (filter.outcomes.length > 0 && filter.outcomes.length < OUTCOMES.length) {
    query.set('outcome', filter.outcomes.join(','));
  }
  const text = query.toString();
  return text === '' ? '' : `?${text}`;
}

/** Local midnight at the start of `date` (`YYYY-MM-DD`), as the API's ISO instant. */
export function sinceInstant(date: string): string | undefined {
  if (!DATE.test(date)) return undefined;
  const at = new Date(`${date}T00:00:00`);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}

/** `GET /admin/api/calls?...` (with `limit`) or the CSV export's query (without). */
export function callsApiQuery(filter: CallsFilter, limit: number | undefined): string {
  const query = new URLSearchParams();
  if (filter.extension !== '') query.set('extension', filter.extension);
  const since = sinceInstant(filter.since);
  if (since !== undefined) query.set('since', since);
  if (filter.outcomes.length > 0 && filter.outcomes.length < OUTCOMES.length) {
    query.set('outcome', filter.outcomes.join(','));
  }
  if (limit !== undefined) query.set('limit', String(limit));
  const text = query.toString();
  return text === '' ? '' : `?${text}`;
}

export const OUTCOME_LABELS: Record<Outcome, string> = {
  answered: 'Answered',
  dropped: 'Dropped',
  abandoned: 'Missed: caller hung up',
  timeout: 'Missed: no answer',
};

/** "Alice", or a stand-in for a party that gave no name. */
export function partyName(name: string | null, who: 'caller' | 'agent'): string {
  if (name !== null && name.trim() !== '') return name;
  return who === 'caller' ? 'Anonymous caller' : 'Unnamed agent';
}

/** `3 Dec 2026, 14:05` in the reader's locale; the text as it came when it is no date. */
export function formatDateTime(iso: string, locale?: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return at.toLocaleString(locale, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
  });
}

/** Seconds as `1:05` (the API's ring and talk times). */
export function formatSeconds(seconds: number | null): string {
  return seconds === null ? '—' : formatDuration(seconds * 1000);
}

// ------------------------------------------------------------------ callback requests

export interface CallbacksFilter {
  extension: string;
  /** Only those not marked done (the default). */
  open: boolean;
}

export function callbacksFilterOf(search: string): CallbacksFilter {
  const query = new URLSearchParams(search);
  return { extension: query.get('extension') ?? '', open: query.get('open') !== '0' };
}

export function callbacksPageSearch(filter: CallbacksFilter): string {
  const query = new URLSearchParams();
  if (filter.extension !== '') query.set('extension', filter.extension);
  if (!filter.open) query.set('open', '0');
  const text = query.toString();
  return text === '' ? '' : `?${text}`;
}

export function callbacksApiQuery(filter: CallbacksFilter): string {
  const query = new URLSearchParams();
  if (filter.extension !== '') query.set('extension', filter.extension);
  if (filter.open) query.set('open', '1');
  const text = query.toString();
  return text === '' ? '' : `?${text}`;
}

/** `mailto:` or `tel:` for a contact that looks like one; undefined for anything else (shown as text). */
export function contactHref(contact: string): string | undefined {
  const trimmed = contact.trim();
  if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(trimmed)) return `mailto:${trimmed}`;
  if (/^\+?[\d\s().-]{3,}$/.test(trimmed) && /\d{3}/.test(trimmed.replace(/\D/g, ''))) {
    return `tel:${trimmed.replace(/[^\d+]/g, '')}`;
  }
  return undefined;
}
