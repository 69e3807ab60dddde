import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { SwitchboardBackend } from '../core/SwitchboardBackend.js';
import type { ExtensionStore } from '../store/ExtensionStore.js';

export interface EmbedRoutesOptions {
  store: ExtensionStore;
  /** Where the extension's status is read: the same backend the switchboard uses (cluster-wide). */
  backend: SwitchboardBackend;
  /** The web app's build output, holding `embed.js` (packages/web: `vite build -c vite.embed.config.ts`). */
  webRoot: string;
  log: Logger;
}

/**
 * The script's URL has no hash in it (sites paste it once), so it is cached for an hour and then
 * revalidated with its ETag; a new release reaches every site within the hour.
 */
const SCRIPT_CACHE_CONTROL = 'public, max-age=3600, stale-while-revalidate=86400';

interface BuiltScript {
  plain: Buffer;
  gzipped: Buffer;
  etag: string;
}

/**
 * The embeddable call button (docs/embed.md): `GET /embed.js`, loaded by other sites, and the public
 * `GET /api/extensions/:id/status` it polls (`{status: 'ready' | 'offline', name}`), readable from any
 * origin: it says no more than the caller page shows anyone (the name, and whether someone is there).
 */
export async function registerEmbedRoutes(app: FastifyInstance, options: EmbedRoutesOptions): Promise<void> {
  const { store, backend, webRoot, log } = options;
  let script: Promise<BuiltScript | undefined> | undefined;
  const builtScript = () => {
    script ??= readFile(join(webRoot, 'embed.js')).then(
      (plain) => ({
        plain,
        gzipped: gzipSync(plain, { level: 9 }),
        etag: `"${createHash('sha256').update(plain).digest('base64url').slice(0, 27)}"`,
      }),
      () => {
        log.warn({ webRoot }, 'embed.js not built: /embed.js answers 503 until `npm run build` has run');
        script = undefined;
        return undefined;
      },
    );
    return script;
  };

  app.get('/embed.js', async (request, reply) => {
    const built = await builtScript();
    if (built === undefined) {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The web app is not built; run `npm run build`.\n');
    }
    reply.headers({
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': SCRIPT_CACHE_CONTROL,
      etag: built.etag,
      vary: 'accept-encoding',
      // Loaded by other sites, some of which isolate themselves (COEP): it is meant to be.
      'cross-origin-resource-policy': 'cross-origin',
      'access-control-allow-origin': '*',
    });
    if (etagMatches(request.headers['if-none-match'], built.etag)) return reply.code(304).send();
    if (acceptsGzip(request.headers['accept-encoding'])) {
      return reply.header('content-encoding', 'gzip').send(built.gzipped);
    }
    return reply.send(built.plain);
  });

  app.get<{ Params: { extensionId: string } }>(
    '/api/extensions/:extensionId/status',
    async (request, reply) => {
      reply.headers({ 'access-control-allow-origin': '*', 'cache-control': 'no-store' });
      const extension = await store.get(request.params.extensionId);
      if (extension === undefined) return reply.code(404).send({ error: 'No such extension.' });
      const { status } = await backend.status(extension.id);
      return { status, name: extension.name };
    },
  );
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === etag || tag === '*');
}

/** `gzip` listed without `q=0`. */
function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().split(';');
    if (coding?.trim().toLowerCase() !== 'gzip') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}
