/**
 * The call button's server side (docs/embed.md): `GET /embed.js` (type, caching, ETag, gzip, readable
 * from other origins), the public `GET /api/extensions/:id/status` it polls, `--embed-origins` (checked
 * like `--allowed-origins`), and the CSP per page: only the caller page may be framed, and only by the
 * sites listed. The Chromium side is packages/web/test/embed.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { OptionError, resolveServerOptions, withDefaults } from '../../src/config/serverOptions.js';
import { assertAnswers503UntilBuilt } from '../support/assertAnswers503UntilBuilt.js';
import { startTestServer, type TestServer } from '../support/testServer.js';

const SCRIPT = '(function(){console.log("the call button");})();\n';
const SITE = 'https://shop.example';
const OTHER_SITE = 'https://blog.example:8443';

/** A stand-in for the Vite build output, embed.js included. */
async function fakeWebBuild(withScript = true): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'pbx-embed-'));
  await mkdir(join(root, 'assets'));
  for (const page of ['caller', 'agent', 'not-found', 'home']) {
    await writeFile(join(root, `${page}.html`), `<title>${page}</title>`);
  }
  if (withScript) await writeFile(join(root, 'embed.js'), SCRIPT);
  return root;
}

const get = (server: TestServer, path: string, headers: Record<string, string> = {}) =>
  fetch(`${server.server.url}${path}`, { headers, signal: AbortSignal.timeout(5000) });

const frameAncestors = (response: Response) =>
  /frame-ancestors ([^;]*)/.exec(response.headers.get('content-security-policy') ?? '')?.[1];

describe('the call button: /embed.js, the status endpoint, framing', () => {
  let webRoot: string;
  let server: TestServer;

  before(async () => {
    webRoot = await fakeWebBuild();
    server = await startTestServer({
      webRoot,
      embedOrigins: [SITE, OTHER_SITE],
      extensions: [{ id: 'front', name: 'Front desk', password: 'pw' }],
    });
  });
  after(async () => {
    await server.close();
    await rm(webRoot, { recursive: true, force: true });
  });

  it('serves /embed.js as JavaScript, cacheable for an hour, with an ETag, readable from any origin', async () => {
    const response = await get(server, '/embed.js', { 'accept-encoding': 'identity' });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.match(response.headers.get('cache-control') ?? '', /^public, max-age=3600\b/);
    assert.match(response.headers.get('etag') ?? '', /^"[\w-]{20,}"$/);
    assert.equal(response.headers.get('access-control-allow-origin'), '*');
    assert.equal(response.headers.get('cross-origin-resource-policy'), 'cross-origin');
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('content-encoding'), null);
    assert.equal(await response.text(), SCRIPT);
  });

  it('answers a matching If-None-Match with 304, and gzips for clients that accept it', async () => {
    const first = await get(server, '/embed.js');
    const etag = first.headers.get('etag') ?? '';
    await first.arrayBuffer();
    const again = await get(server, '/embed.js', { 'if-none-match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.headers.get('etag'), etag);
    assert.equal(await again.text(), '');
    const weak = await get(server, '/embed.js', { 'if-none-match': `W/${etag}` });
    assert.equal(weak.status, 304);
    await weak.arrayBuffer();

    // fetch() decodes gzip by itself; node:http shows the bytes as sent.
    const { request } = await import('node:http');
    const raw = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      const req = request(
        `${server.server.url}/embed.js`,
        { headers: { 'accept-encoding': 'br, gzip' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
        },
      );
      req.on('error', reject);
      req.setTimeout(5000, () => req.destroy(new Error('timed out')));
      req.end();
    });
    assert.equal(raw.headers['content-encoding'], 'gzip');
    assert.equal(raw.headers.vary, 'accept-encoding');
    assert.equal(gunzipSync(raw.body).toString(), SCRIPT);
  });

  it('says whether an extension is ready, to any origin, and 404 for an unknown one', async () => {
    const offline = await get(server, '/api/extensions/front/status', { origin: 'https://anywhere.example' });
    assert.equal(offline.status, 200);
    assert.deepEqual(await offline.json(), { status: 'offline', name: 'Front desk' });
    assert.equal(offline.headers.get('access-control-allow-origin'), '*');
    assert.equal(offline.headers.get('cache-control'), 'no-store');

    const agent = await server.agent('front', 'pw');
    const ready = await get(server, '/api/extensions/front/status');
    assert.deepEqual(await ready.json(), { status: 'ready', name: 'Front desk' });
    await agent.close();
    const deadline = Date.now() + 5000;
    let status: unknown;
    do {
      status = ((await (await get(server, '/api/extensions/front/status')).json()) as { status: unknown })
        .status;
    } while (status !== 'offline' && Date.now() < deadline);
    assert.equal(status, 'offline', 'offline again once the agent left');

    const unknown = await get(server, '/api/extensions/nobody/status');
    assert.equal(unknown.status, 404);
    assert.deepEqual(await unknown.json(), { error: 'No such extension.' });
  });

  it('lets the listed sites frame the caller page, and only the caller page', async () => {
    const caller = await get(server, '/ext/front');
    assert.equal(caller.status, 200);
    assert.equal(frameAncestors(caller), `'self' ${SITE} ${OTHER_SITE}`);
    assert.match(caller.headers.get('content-security-policy') ?? '', /script-src 'self';/);
    for (const path of ['/ext/front/agent', '/', '/ext/nobody']) {
      const response = await get(server, path);
      await response.arrayBuffer();
      assert.equal(frameAncestors(response), "'none'", path);
    }
  });

  it('keeps the caller page unframeable when no site is listed', async () => {
    const plain = await startTestServer({ webRoot, extensions: [{ id: 'front', password: 'pw' }] });
    try {
      const response = await get(plain, '/ext/front');
      assert.equal(frameAncestors(response), "'none'");
    } finally {
      await plain.close();
    }
  });

  it('answers 503 for /embed.js until the web app is built', async () => {
    await assertAnswers503UntilBuilt(await fakeWebBuild(false), '/embed.js');
  });
});

describe('--embed-origins', () => {
  it('is read from the flag or PBX_PEERS_EMBED_ORIGINS, comma-separated, empty by default', () => {
    assert.deepEqual(resolveServerOptions({}, {}).embedOrigins, []);
    assert.deepEqual(resolveServerOptions({ embedOrigins: `${SITE}, ${OTHER_SITE}` }, {}).embedOrigins, [
      SITE,
      OTHER_SITE,
    ]);
    assert.deepEqual(resolveServerOptions({}, { PBX_PEERS_EMBED_ORIGINS: SITE }).embedOrigins, [SITE]);
  });

  it('refuses what is not an origin, and *', () => {
    assert.throws(
      () => resolveServerOptions({ embedOrigins: 'https://shop.example/page' }, {}),
      (error: unknown) =>
        error instanceof OptionError &&
        /--embed-origins: .*did you mean "https:\/\/shop.example"/.test(error.message),
    );
    assert.throws(
      () => resolveServerOptions({ embedOrigins: 'shop.example' }, {}),
      (error: unknown) => error instanceof OptionError && /is not an origin/.test(error.message),
    );
    assert.throws(
      () => resolveServerOptions({}, { PBX_PEERS_EMBED_ORIGINS: '*' }),
      (error: unknown) =>
        error instanceof OptionError && /PBX_PEERS_EMBED_ORIGINS: .*\* is not accepted/.test(error.message),
    );
    assert.throws(() => withDefaults({ embedOrigins: ["'self' https://x.example"] }), OptionError);
  });
});
