import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveServerOptions } from '../../src/config/serverOptions.js';
import { iceServersForBrowser } from '../../src/http/iceServersForBrowser.js';
import { assertAnswers503UntilBuilt } from '../support/assertAnswers503UntilBuilt.js';
import { startTestServer, type TestServer } from '../support/testServer.js';

/** A stand-in for the Vite build output, so the routes are tested apart from the app's build. */
async function fakeWebBuild(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'pbx-web-'));
  await mkdir(join(root, 'assets'));
  await writeFile(join(root, 'caller.html'), '<title>caller page</title>');
  await writeFile(join(root, 'agent.html'), '<title>agent console</title>');
  await writeFile(join(root, 'not-found.html'), '<title>no such extension</title>');
  await writeFile(join(root, 'home.html'), '<title>pbx-peers server</title>');
  await writeFile(join(root, 'assets', 'app-1a2b3c.js'), 'console.log(1);');
  return root;
}

const get = (server: TestServer, path: string) =>
  fetch(`${server.server.url}${path}`, { signal: AbortSignal.timeout(5000) });

describe('web routes', () => {
  let webRoot: string;
  let server: TestServer;

  before(async () => {
    webRoot = await fakeWebBuild();
    server = await startTestServer({
      webRoot,
      extensions: [{ id: 'front', name: 'Front desk', password: 'pw' }],
    });
  });
  after(async () => {
    await server.close();
    await rm(webRoot, { recursive: true, force: true });
  });

  it('serves the caller page and the agent console of a known extension with a strict CSP', async () => {
    for (const [path, title] of [
      ['/ext/front', 'caller page'],
      ['/ext/front/agent', 'agent console'],
    ] as const) {
      const response = await get(server, path);
      assert.equal(response.status, 200, path);
      assert.match(await response.text(), new RegExp(title));
      assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(response.headers.get('cache-control'), 'no-cache');
      const csp = response.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'self'/);
      assert.match(csp, /script-src 'self'(;|$)/, 'no inline or remote scripts');
      assert.match(csp, /frame-ancestors 'none'/);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    }
  });

  it('answers an unknown extension with the 404 page', async () => {
    for (const path of ['/ext/nope', '/ext/nope/agent']) {
      const response = await get(server, path);
      assert.equal(response.status, 404, path);
      assert.match(await response.text(), /no such extension/);
      assert.ok(response.headers.get('content-security-policy'));
    }
  });

  it('answers / with the short page about this server (HTML under the CSP, not JSON)', async () => {
    const response = await get(server, '/');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.match(await response.text(), /pbx-peers server/);
  });

  it('redirects a trailing slash to the page without it, query kept, the id encoded again', async () => {
    const location = async (path: string) => {
      const response = await fetch(`${server.server.url}${path}`, {
        redirect: 'manual',
        signal: AbortSignal.timeout(5000),
      });
      assert.equal(response.status, 301, path);
      assert.equal(await response.text(), '', `${path}: no body reflecting the request`);
      return response.headers.get('location');
    };
    assert.equal(await location('/ext/front/'), '/ext/front');
    assert.equal(await location('/ext/front/agent/'), '/ext/front/agent');
    assert.equal(await location('/ext/front/?relay=1'), '/ext/front?relay=1');
    // Whatever the id holds stays one path segment of this server: no markup, no other host.
    assert.equal(await location('/ext/%3Cscript%3E%22/'), '/ext/%3Cscript%3E%22');
    assert.equal(await location('/ext/%2F%2Fevil.example/'), '/ext/%2F%2Fevil.example');
    assert.equal(await location('/ext/a%20b/agent/'), '/ext/a%20b/agent');
    // Followed: the caller page of a known extension, the 404 page of an unknown one.
    const followed = await get(server, '/ext/front/');
    assert.equal(followed.status, 200);
    assert.match(await followed.text(), /caller page/);
    assert.equal((await get(server, '/ext/nope/agent/')).status, 404);
  });

  it('serves hashed assets with a long, immutable cache', async () => {
    const response = await get(server, '/assets/app-1a2b3c.js');
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'console.log(1);');
    assert.match(
      response.headers.get('cache-control') ?? '',
      /max-age=31536000.*immutable|immutable.*max-age=31536000/,
    );
    assert.equal((await get(server, '/assets/missing.js')).status, 404);
    assert.equal((await get(server, '/assets/../caller.html')).status, 404);
  });

  it('tells the pages an extension name, and 404 for an unknown one', async () => {
    const known = await get(server, '/api/extensions/front');
    assert.deepEqual(await known.json(), { id: 'front', name: 'Front desk' });
    const unknown = await get(server, '/api/extensions/nope');
    assert.equal(unknown.status, 404);
    assert.ok(((await unknown.json()) as { error: string }).error);
  });

  it('hands out no ICE servers by default, uncached', async () => {
    const response = await get(server, '/api/ice-servers');
    assert.deepEqual(await response.json(), { iceServers: [] });
    assert.equal(response.headers.get('cache-control'), 'no-store');
  });
});

describe('web routes before the web app is built', () => {
  it('answers 503 with a hint instead of failing', async () => {
    await assertAnswers503UntilBuilt(await mkdtemp(join(tmpdir(), 'pbx-web-empty-')), '/ext/front');
  });
});

describe('ICE servers for browsers', () => {
  it('adds time-limited TURN credentials in the coturn REST scheme', () => {
    const stun = { urls: 'stun:stun.example.org:3478' };
    const settings = {
      iceServers: [stun],
      turnSecret: 's3cret',
      turnUrls: ['turn:127.0.0.1:3478'],
      turnTtl: 600,
    };
    const now = Date.UTC(2026, 0, 1);
    const [first, turn, ...rest] = iceServersForBrowser(settings, now);
    assert.deepEqual(first, stun);
    assert.deepEqual(rest, []);
    assert.deepEqual(turn?.urls, ['turn:127.0.0.1:3478']);
    const [expiry, label] = (turn?.username ?? '').split(':');
    assert.equal(Number(expiry), now / 1000 + 600);
    assert.ok(label && label.length >= 8, 'a random part keeps usernames apart');
    const expected = createHmac('sha1', 's3cret')
      .update(turn?.username ?? '')
      .digest('base64');
    assert.equal(turn?.credential, expected);
    const again = iceServersForBrowser(settings, now)[1];
    assert.notEqual(again?.username, turn?.username);
  });

  it('serves them from /api/ice-servers', async () => {
    const server = await startTestServer({
      turnSecret: 'k',
      turnUrls: ['turn:127.0.0.1:3478?transport=udp'],
      turnTtl: 120,
    });
    try {
      const body = (await (await get(server, '/api/ice-servers')).json()) as {
        iceServers: Array<{ urls: string[]; username: string; credential: string }>;
      };
      const [turn] = body.iceServers;
      assert.deepEqual(turn?.urls, ['turn:127.0.0.1:3478?transport=udp']);
      const expiry = Number(turn?.username.split(':')[0]);
      assert.ok(Math.abs(expiry - (Date.now() / 1000 + 120)) < 5);
    } finally {
      await server.close();
    }
  });

  it('rejects conflicting or malformed ICE options with a sentence', () => {
    assert.throws(() => resolveServerOptions({ turnSecret: 'k' }, {}), /--turn-secret needs --turn-urls/);
    assert.throws(
      () => resolveServerOptions({ turnUrls: 'turn:h:3478' }, {}),
      /--turn-urls needs --turn-secret/,
    );
    assert.throws(
      () => resolveServerOptions({ turnSecret: 'k', turnUrls: 'http://h' }, {}),
      /not a turn: or turns: URL/,
    );
    assert.throws(() => resolveServerOptions({ iceServers: '{"urls":"stun:h"}' }, {}), /JSON array/);
    assert.throws(() => resolveServerOptions({ iceServers: '[{"urls":"http://h"}]' }, {}), /entry 0/);
    assert.throws(() => resolveServerOptions({ iceServers: 'nope' }, {}), /JSON array like/);
    assert.deepEqual(
      resolveServerOptions(
        { iceServers: '[{"urls":["stun:a:1","turn:b:2"],"username":"u","credential":"c"}]' },
        {},
      ).iceServers,
      [{ urls: ['stun:a:1', 'turn:b:2'], username: 'u', credential: 'c' }],
    );
  });
});
