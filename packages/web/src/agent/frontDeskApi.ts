import {
  type FrontDeskFetch,
  frontDeskFetchResult,
  type MarkDoneResult,
  markDoneResult,
} from './frontDeskData.js';

/** A request that hangs is given up after this long, so that polling goes on. */
const REQUEST_TIMEOUT_MS = 10_000;

function base(extensionId: string): string {
  return `/api/extensions/${encodeURIComponent(extensionId)}`;
}

function authorization(password: string): Record<string, string> {
  return { accept: 'application/json', authorization: `Bearer ${password}` };
}

/** `GET /api/extensions/:id/front-desk`, authorized by the extension's password. Never rejects. */
export async function fetchFrontDesk(extensionId: string, password: string): Promise<FrontDeskFetch> {
  try {
    const response = await fetch(`${base(extensionId)}/front-desk`, {
      headers: authorization(password),
      cache: 'no-store',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const body: unknown = response.status === 200 ? await response.json() : undefined;
    return frontDeskFetchResult(response.status, body);
  } catch {
    return { kind: 'failed' };
  }
}

/** `POST .../calls/:callId/done` or `.../callbacks/:id/done`, with the agent's name. Never rejects. */
export async function postDone(
  extensionId: string,
  password: string,
  kind: 'call' | 'callback',
  id: string,
  by: string | undefined,
): Promise<MarkDoneResult> {
  const path = kind === 'call' ? 'calls' : 'callbacks';
  try {
    const response = await fetch(`${base(extensionId)}/${path}/${encodeURIComponent(id)}/done`, {
      method: 'POST',
      headers: { ...authorization(password), 'content-type': 'application/json' },
      body: JSON.stringify(by === undefined ? {} : { by }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    return markDoneResult(response.status);
  } catch {
    return 'failed';
  }
}
