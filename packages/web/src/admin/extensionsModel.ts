/**
 * The Extensions page's state, without a browser: the list, the one row being renamed or asked about
 * (new password, remove: both ask first), the add form, and the generated password shown once. Pure; the
 * view renders whatever `nextExtensions` returns and carries out the requests.
 */
import type { ApiResult, CreatedExtension, ExtensionRow } from './adminData.js';
import { problemText } from './adminModel.js';

export type RowAction = 'rename' | 'password' | 'remove';

/** One row at a time is renamed or asked about; `busy` while its request is on its way. */
export interface ActiveRow {
  id: string;
  action: RowAction;
  busy: boolean;
  error: string | undefined;
}

/** A password the server generated: shown once, until the admin closes it (or leaves the page). */
export interface Secret {
  kind: 'created' | 'new-password';
  id: string;
  name: string;
  password: string;
  callerUrl: string;
}

export interface AddForm {
  busy: boolean;
  error: { field: 'name' | 'id' | 'form'; message: string } | undefined;
}

export interface ExtensionsState {
  rows: ExtensionRow[] | undefined;
  loadError: string | undefined;
  active: ActiveRow | undefined;
  secret: Secret | undefined;
  add: AddForm;
  /** The last thing done, for the status line ("Front desk renamed to Reception."). */
  notice: string | undefined;
}

export const initialExtensions: ExtensionsState = {
  rows: undefined,
  loadError: undefined,
  active: undefined,
  secret: undefined,
  add: { busy: false, error: undefined },
  notice: undefined,
};

export type ExtensionsEvent =
  | { type: 'loaded'; result: ApiResult<ExtensionRow[]> }
  | { type: 'begin'; id: string; action: RowAction }
  | { type: 'cancel' }
  /** The active row's request is sent (rename with `name`). */
  | { type: 'send' }
  | { type: 'rename-invalid'; message: string }
  | { type: 'renamed'; id: string; result: ApiResult<{ id: string; name: string }> }
  | { type: 'password-changed'; id: string; result: ApiResult<string> }
  | { type: 'removed'; id: string; result: ApiResult<true> }
  | { type: 'add-sent' }
  | { type: 'add-invalid'; field: 'name' | 'id'; message: string }
  | { type: 'added'; result: ApiResult<CreatedExtension> }
  | { type: 'dismiss-secret' };

/** What the view does besides rendering: load the list again (after a 404, or a change). */
export interface ExtensionsStep {
  state: ExtensionsState;
  reload: boolean;
  /** The session is gone: back to sign-in. */
  unauthorized: boolean;
}

function failedRow(state: ExtensionsState, id: string, result: Extract<ApiResult<unknown>, { ok: false }>) {
  const active =
    state.active?.id === id
      ? { ...state.active, busy: false, error: problemText(result.problem, result.message) }
      : state.active;
  return {
    state: { ...state, active },
    reload: result.problem === 'not-found',
    unauthorized: result.problem === 'unauthorized',
  };
}

const step = (state: ExtensionsState, reload = false): ExtensionsStep => ({
  state,
  reload,
  unauthorized: false,
});

export function nextExtensions(state: ExtensionsState, event: ExtensionsEvent): ExtensionsStep {
  switch (event.type) {
    case 'loaded': {
      const { result } = event;
      if (!result.ok) {
        return {
          state: { ...state, loadError: problemText(result.problem, result.message) },
          reload: false,
          unauthorized: result.problem === 'unauthorized',
        };
      }
      const rows = result.value;
      // A row asked about that is gone (removed elsewhere) is no longer active.
      const active =
        state.active !== undefined && rows.some((row) => row.id === state.active?.id)
          ? state.active
          : undefined;
      return step({ ...state, rows, loadError: undefined, active });
    }
    case 'begin':
      return step({
        ...state,
        active: { id: event.id, action: event.action, busy: false, error: undefined },
        notice: undefined,
      });
    case 'cancel':
      return step({ ...state, active: undefined });
    case 'send':
      return state.active === undefined
        ? step(state)
        : step({ ...state, active: { ...state.active, busy: true, error: undefined } });
    case 'rename-invalid':
      return state.active === undefined
        ? step(state)
        : step({ ...state, active: { ...state.active, busy: false, error: event.message } });
    case 'renamed': {
      if (!event.result.ok) return failedRow(state, event.id, event.result);
      const { name } = event.result.value;
      const rows = state.rows?.map((row) => (row.id === event.id ? { ...row, name } : row));
      return step({ ...state, rows, active: undefined, notice: `Renamed to ${name}.` });
    }
    case 'password-changed': {
      if (!event.result.ok) return failedRow(state, event.id, event.result);
      const row = state.rows?.find((candidate) => candidate.id === event.id);
      const secret: Secret = {
        kind: 'new-password',
        id: event.id,
        name: row?.name ?? event.id,
        password: event.result.value,
        callerUrl: row?.callerUrl ?? '',
      };
      return step({ ...state, active: undefined, secret, notice: undefined });
    }
    case 'removed': {
      if (!event.result.ok) return failedRow(state, event.id, event.result);
      const gone = state.rows?.find((row) => row.id === event.id);
      const rows = state.rows?.filter((row) => row.id !== event.id);
      const secret = state.secret?.id === event.id ? undefined : state.secret;
      return step({
        ...state,
        rows,
        active: undefined,
        secret,
        notice: `${gone?.name ?? event.id} removed.`,
      });
    }
    case 'add-sent':
      return step({ ...state, add: { busy: true, error: undefined }, notice: undefined });
    case 'add-invalid':
      return step({ ...state, add: { busy: false, error: { field: event.field, message: event.message } } });
    case 'added': {
      const { result } = event;
      if (!result.ok) {
        const field = result.problem === 'duplicate' ? 'id' : 'form';
        return {
          state: {
            ...state,
            add: { busy: false, error: { field, message: problemText(result.problem, result.message) } },
          },
          reload: false,
          unauthorized: result.problem === 'unauthorized',
        };
      }
      const created = result.value;
      const secret: Secret = { kind: 'created', ...created };
      return step({ ...state, add: { busy: false, error: undefined }, secret, active: undefined }, true);
    }
    case 'dismiss-secret':
      return step({ ...state, secret: undefined });
  }
}

/** The server's rule for ids (store/extensionIds.ts): checked here too, so a typo is caught at once. */
export const EXTENSION_ID_PATTERN = /^[A-Za-z0-9_-]{3,64}$/;
export const NAME_MAX = 100;

/** The add form's values checked; undefined when they can be sent. An empty id lets the server pick one. */
export function addProblem(name: string, id: string): { field: 'name' | 'id'; message: string } | undefined {
  if (name.trim() === '') return { field: 'name', message: 'Enter a name, e.g. Front desk.' };
  if (name.trim().length > NAME_MAX)
    return { field: 'name', message: `A name is at most ${NAME_MAX} characters.` };
  if (id.trim() !== '' && !EXTENSION_ID_PATTERN.test(id.trim())) {
    return { field: 'id', message: 'An id is 3 to 64 letters, digits, - or _ (it is part of the URLs).' };
  }
  return undefined;
}

export function renameProblem(name: string): string | undefined {
  if (name.trim() === '') return 'Enter a name.';
  if (name.trim().length > NAME_MAX) return `A name is at most ${NAME_MAX} characters.`;
  return undefined;
}

/** The sentence under a generated password. */
export function secretNote(secret: Secret): string {
  return secret.kind === 'created'
    ? `${secret.name} was added. Its agent password is shown only now: copy it and give it to the agents. It cannot be shown again (you can make a new one).`
    : `${secret.name} has a new agent password, shown only now: copy it and give it to the agents. The old one no longer works for signing in.`;
}
