import {
  type AdminSession,
  type ApiResult,
  apiResult,
  type CallbackRow,
  type CallRow,
  type CreatedExtension,
  type ExtensionRow,
  type LiveExtension,
  noBody,
  parseCallbacks,
  parseCalls,
  parseCreatedExtension,
  parseExtensions,
  parseLive,
  parsePassword,
  parseSession,
  parseSnippet,
} from './adminData.js';

/** A request that hangs is given up after this long. */
const REQUEST_TIMEOUT_MS = 10_000;
const BASE = '/admin/api';

const segment = encodeURIComponent;

/**
 * The admin API from the page: the session cookie goes by itself (same origin, Path=/admin), and every
 * change carries the session's CSRF token. No method rejects; a 401 also calls `onUnauthorized`, so that
 * the page goes back to sign-in whatever was asked.
 */
export class AdminApi {
  #csrfToken: string | undefined;
  onUnauthorized: () => void = () => undefined;

  set session(session: AdminSession | undefined) {
    this.#csrfToken = session?.csrfToken;
  }

  async #request<T>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    read: (body: unknown) => T | undefined,
    body?: unknown,
  ): Promise<ApiResult<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && this.#csrfToken !== undefined) headers['x-csrf-token'] = this.#csrfToken;
    let result: ApiResult<T>;
    try {
      const response = await fetch(`${BASE}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        credentials: 'same-origin',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = response.status === 204 ? '' : await response.text();
      let parsed: unknown;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      result = apiResult(response.status, parsed, read);
    } catch {
      result = { ok: false, problem: 'failed' };
    }
    if (!result.ok && result.problem === 'unauthorized' && path !== '/session') this.onUnauthorized();
    // The session changed underneath (signed in again in another tab): the next change goes with its token.
    if (!result.ok && result.problem === 'csrf') await this.#refreshToken();
    return result;
  }

  async #refreshToken(): Promise<void> {
    const session = await this.currentSession();
    if (session.ok) this.#csrfToken = session.value.csrfToken;
  }

  currentSession(): Promise<ApiResult<AdminSession>> {
    return this.#request('GET', '/session', parseSession);
  }

  signIn(name: string, password: string): Promise<ApiResult<AdminSession>> {
    return this.#request('POST', '/session', parseSession, { name, password });
  }

  signOut(): Promise<ApiResult<true>> {
    return this.#request('DELETE', '/session', noBody);
  }

  extensions(): Promise<ApiResult<ExtensionRow[]>> {
    return this.#request('GET', '/extensions', parseExtensions);
  }

  addExtension(name: string, id: string | undefined): Promise<ApiResult<CreatedExtension>> {
    return this.#request(
      'POST',
      '/extensions',
      parseCreatedExtension,
      id === undefined ? { name } : { name, id },
    );
  }

  renameExtension(id: string, name: string): Promise<ApiResult<{ id: string; name: string }>> {
    return this.#request(
      'PATCH',
      `/extensions/${segment(id)}`,
      (body) => {
        const value = body as { id?: unknown; name?: unknown } | undefined;
        return typeof value?.name === 'string' ? { id, name: value.name } : undefined;
      },
      { name },
    );
  }

  newPassword(id: string): Promise<ApiResult<string>> {
    return this.#request('POST', `/extensions/${segment(id)}/password`, parsePassword);
  }

  removeExtension(id: string): Promise<ApiResult<true>> {
    return this.#request('DELETE', `/extensions/${segment(id)}`, noBody);
  }

  embedSnippet(id: string): Promise<ApiResult<string>> {
    return this.#request('GET', `/extensions/${segment(id)}/embed-snippet`, parseSnippet);
  }

  live(): Promise<ApiResult<LiveExtension[]>> {
    return this.#request('GET', '/live', parseLive);
  }

  /** `query` from callsApiQuery. */
  calls(query: string): Promise<ApiResult<CallRow[]>> {
    return this.#request('GET', `/calls${query}`, parseCalls);
  }

  callbacks(query: string): Promise<ApiResult<CallbackRow[]>> {
    return this.#request('GET', `/callbacks${query}`, parseCallbacks);
  }

  markCallbackDone(extensionId: string, id: string): Promise<ApiResult<true>> {
    return this.#request('POST', `/callbacks/${segment(extensionId)}/${segment(id)}/done`, noBody);
  }
}

/** The CSV export's URL for a query from callsApiQuery (without a limit). */
export function callsCsvUrl(query: string): string {
  return `${BASE}/calls.csv${query}`;
}
