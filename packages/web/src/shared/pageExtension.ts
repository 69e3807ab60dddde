/** The extension a page is for, read from its URL: `/ext/<id>` (caller) or `/ext/<id>/agent` (console). */
export function extensionIdFromPath(pathname: string = window.location.pathname): string | undefined {
  const match = /^\/ext\/([^/]+)/.exec(pathname);
  if (match?.[1] === undefined) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
}

/** `ws(s)://<this host>/peers/<id>`: the signalling endpoint, on the origin that served the page. */
export function peersUrl(extensionId: string, location: Location = window.location): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/peers/${encodeURIComponent(extensionId)}`;
}

export interface ExtensionInfo {
  id: string;
  name: string;
}

/** `undefined` when the server says the extension does not exist; throws on network or server errors. */
export async function fetchExtension(extensionId: string): Promise<ExtensionInfo | undefined> {
  const response = await fetch(`/api/extensions/${encodeURIComponent(extensionId)}`, {
    headers: { accept: 'application/json' },
  });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`GET /api/extensions answered ${response.status}`);
  const body: unknown = await response.json();
  if (
    typeof body === 'object' &&
    body !== null &&
    'name' in body &&
    typeof body.name === 'string' &&
    'id' in body &&
    typeof body.id === 'string'
  ) {
    return { id: body.id, name: body.name };
  }
  throw new Error('GET /api/extensions answered an unexpected body');
}

/** The extension's display name; its id when the name cannot be had (the page works without it). */
export async function extensionName(extensionId: string): Promise<string> {
  try {
    return (await fetchExtension(extensionId))?.name ?? extensionId;
  } catch {
    return extensionId;
  }
}
