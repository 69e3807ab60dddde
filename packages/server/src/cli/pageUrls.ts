/**
 * The web pages of an extension as `extension add` prints them: the caller page `/ext/<id>` and the agent
 * console `/ext/<id>/agent` (the routes of http/webRoutes.ts), under a base URL.
 */

import { serverOptionSpecs } from '../config/serverOptions.js';
import { UsageError } from './cliErrors.js';

/** Where `serve` listens when given no --host or --port, as startServer names it. */
export function defaultBaseUrl(): string {
  const host = serverOptionSpecs.host.defaultValue;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return `http://${shownHost}:${serverOptionSpecs.port.defaultValue}`;
}

/**
 * An http: or https: URL, possibly with a path (a server behind a proxy under a prefix), without
 * credentials, query or fragment, since the page paths are appended to it. Returned without a trailing
 * slash.
 */
export function parseBaseUrl(raw: string, flag: string): string {
  let url: URL | undefined;
  try {
    url = new URL(raw.trim());
  } catch {
    url = undefined;
  }
  if (url !== undefined && (url.username !== '' || url.password !== '')) {
    // Not repeated: it holds a password.
    throw new UsageError(`${flag} must not hold a user name or password.`);
  }
  if (
    url === undefined ||
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.search !== '' ||
    url.hash !== ''
  ) {
    throw new UsageError(
      `${flag} must be an http:// or https:// URL without a query, like https://intercom.example.com, got "${raw}".`,
    );
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

export function extensionPageUrls(
  baseUrl: string,
  extensionId: string,
): { callerUrl: string; agentUrl: string } {
  const callerUrl = `${baseUrl}/ext/${encodeURIComponent(extensionId)}`;
  return { callerUrl, agentUrl: `${callerUrl}/agent` };
}
