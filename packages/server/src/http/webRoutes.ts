import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { ExtensionStore } from '../store/ExtensionStore.js';
import { type IceServerSettings, iceServersForBrowser } from './iceServersForBrowser.js';

export interface WebRoutesOptions {
  store: ExtensionStore;
  /** The web app's build output (caller.html, agent.html, not-found.html, home.html, assets/). */
  webRoot: string;
  ice: IceServerSettings;
  log: Logger;
  /** `--embed-origins`: the sites that may frame the caller page (docs/embed.md); empty, none may. */
  embedOrigins?: readonly string[];
}

/**
 * The pages allow only this origin's scripts, styles and connections (WebSocket included), media from
 * the camera and blobs, and no framing (but the caller page's by the sites of `--embed-origins`): the app
 * has no inline code and loads nothing from elsewhere.
 */
const cspWith = (frameAncestors: string) =>
  [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "media-src 'self' blob: mediastream:",
    "connect-src 'self' ws: wss:",
    "object-src 'none'",
    "base-uri 'none'",
    `frame-ancestors ${frameAncestors}`,
    "form-action 'self'",
  ].join('; ');
const CONTENT_SECURITY_POLICY = cspWith("'none'");

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  // Pages name their hashed assets, so they must be revalidated; the assets never change.
  'cache-control': 'no-cache',
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'referrer-policy': 'no-referrer',
  'permissions-policy': 'camera=(self), microphone=(self), geolocation=()',
};

type Page = 'caller.html' | 'agent.html' | 'not-found.html' | 'home.html' | 'admin.html';

/**
 * Where `/ext/<id>/` and `/ext/<id>/agent/` (a trailing slash, as people type and some links have) go: the
 * page without it, its query kept. The id is encoded again, so the Location is always a path of this
 * server (`/ext/...`, never `//host`) and nothing of the request reaches the header unescaped.
 */
export function pageWithoutSlash(extensionId: string, agent: boolean, url: string): string {
  const queryAt = url.indexOf('?');
  const query = queryAt === -1 ? '' : url.slice(queryAt);
  return `/ext/${encodeURIComponent(extensionId)}${agent ? '/agent' : ''}${query}`;
}

/** The caller page, the agent console, their assets, and the small JSON API they use. */
export async function registerWebRoutes(app: FastifyInstance, options: WebRoutesOptions): Promise<void> {
  const { store, webRoot, log } = options;
  // Only the caller page may be framed, by this origin and the embedding sites (the call button's panel).
  const embedOrigins = options.embedOrigins ?? [];
  const callerHeaders =
    embedOrigins.length === 0
      ? PAGE_HEADERS
      : { ...PAGE_HEADERS, 'content-security-policy': cspWith(["'self'", ...embedOrigins].join(' ')) };
  const built = existsSync(join(webRoot, 'caller.html'));
  if (!built) log.warn({ webRoot }, 'web app not built: pages answer 503 until `npm run build` has run');
  const pages = new Map<Page, Promise<string>>();
  const page = (name: Page) => {
    let html = pages.get(name);
    if (html === undefined) {
      html = readFile(join(webRoot, name), 'utf8');
      pages.set(name, html);
    }
    return html;
  };

  const sendPage = async (reply: FastifyReply, name: Page, status = 200, headers = PAGE_HEADERS) => {
    if (!built) {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The web app is not built; run `npm run build`.\n');
    }
    return reply
      .code(status)
      .headers(headers)
      .send(await page(name));
  };

  const servePage =
    (name: Page) => async (request: { params: { extensionId: string } }, reply: FastifyReply) => {
      const known = await store.exists(request.params.extensionId);
      if (!known) return sendPage(reply, 'not-found.html', 404);
      return sendPage(reply, name, 200, name === 'caller.html' ? callerHeaders : PAGE_HEADERS);
    };

  app.get<{ Params: { extensionId: string } }>('/ext/:extensionId', servePage('caller.html'));
  app.get<{ Params: { extensionId: string } }>('/ext/:extensionId/agent', servePage('agent.html'));
  // The web admin is one page that routes itself; its API (/admin/api/...) is `adminRoutes`.
  app.get('/admin', async (_request, reply) => sendPage(reply, 'admin.html'));
  app.get('/admin/*', async (_request, reply) => sendPage(reply, 'admin.html'));
  // A short page saying what this server is and where its pages are, instead of a JSON 404.
  app.get('/', async (_request, reply) => sendPage(reply, 'home.html'));
  app.get<{ Params: { extensionId: string } }>('/ext/:extensionId/', async (request, reply) =>
    reply.redirect(pageWithoutSlash(request.params.extensionId, false, request.url), 301),
  );
  app.get<{ Params: { extensionId: string } }>('/ext/:extensionId/agent/', async (request, reply) =>
    reply.redirect(pageWithoutSlash(request.params.extensionId, true, request.url), 301),
  );

  app.get<{ Params: { extensionId: string } }>('/api/extensions/:extensionId', async (request, reply) => {
    const extension = await store.get(request.params.extensionId);
    if (extension === undefined) return reply.code(404).send({ error: 'No such extension.' });
    return { id: extension.id, name: extension.name };
  });

  app.get('/api/ice-servers', async (_request, reply) => {
    // Credentials are per request and time-limited: never cache them.
    reply.header('cache-control', 'no-store');
    return { iceServers: iceServersForBrowser(options.ice) };
  });

  if (built) {
    await app.register(fastifyStatic, {
      root: join(webRoot, 'assets'),
      prefix: '/assets/',
      immutable: true,
      maxAge: '365d',
      index: false,
    });
  }
}
