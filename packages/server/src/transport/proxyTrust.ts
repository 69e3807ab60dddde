import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';

/** Whether `address`, `hop` steps from the socket, is a trusted proxy; what Fastify's `trustProxy` takes. */
export type ProxyTrust = (address: string, hop: number) => boolean;

/**
 * `--trust-proxy`, compiled once for every connection and request; undefined when no proxy is trusted,
 * and then the socket's address is the client's.
 */
export function compileProxyTrust(proxies: readonly string[]): ProxyTrust | undefined {
  return proxies.length === 0 ? undefined : proxyAddr.compile([...proxies]);
}

/**
 * The client's address behind trusted proxies, by proxy-addr's rule (the one Fastify's `request.ip` uses):
 * walking from the socket address leftwards through `X-Forwarded-For`, the first address that is not a
 * trusted proxy. Entries left of it are the client's own say and are never believed.
 */
export function clientAddressOf(
  socketAddress: string | undefined,
  forwardedFor: string | undefined,
  trust: ProxyTrust | undefined,
): string {
  const remoteAddress = socketAddress ?? 'unknown';
  if (trust === undefined || forwardedFor === undefined) return remoteAddress;
  // proxy-addr reads only these two fields of the request.
  const request = { socket: { remoteAddress }, headers: { 'x-forwarded-for': forwardedFor } };
  return proxyAddr(request as unknown as IncomingMessage, trust);
}

/** The header a trusted proxy appends to, when proxies are trusted and the request has it. */
export function forwardedForOf(request: IncomingMessage, trust: ProxyTrust | undefined): string | undefined {
  if (trust === undefined) return undefined;
  const header = request.headers['x-forwarded-for'];
  return typeof header === 'string' ? header : undefined;
}
