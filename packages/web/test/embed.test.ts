/**
 * The call button for other websites (`/embed.js`, docs/embed.md) in headless Chromium: a sample site on
 * another origin (support/hostSite.ts, under its own strict CSP) loads it with one script tag; the
 * visitor opens the panel, calls, an agent answers in the agent console, and media flows both ways inside
 * the iframe, also while the panel is minimised. The site's hostile stylesheet changes nothing of the
 * button; a site that `--embed-origins` does not list cannot frame the caller page; the panel fills a
 * phone's screen. Screenshots go to test-artifacts/screenshots, and to docs/screenshots with
 * PBX_PEERS_DOCS_SCREENSHOTS=1.
 *
 * Every test owns its pbx-peers server (port 0 for the host site, then a free port for the server, whose
 * own origin is the only one `--allowed-origins` lets open a WebSocket), store and browser contexts.
 * Every wait is bounded.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { after, before, describe, type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Browser, Frame, Page } from 'playwright-core';
import { startServerWithExtensions } from '../../server/test/support/startServerWithExtensions.js';
import { screenshot, writeArtifact } from './support/artifacts.js';
import { launchChromium } from './support/chromium.js';
import { type HostSite, startHostSite } from './support/hostSite.js';
import { assertReceivingMedia } from './support/media.js';
import { eventually, inboundCounts } from './support/pageProbes.js';
import { answerButton, MEDIA, openPage, SHORT, signIn, waitForStatus } from './support/pages.js';
import { Scope } from './support/Scope.js';
import type { WebTestExtension } from './support/webServer.js';

const FRONT_DESK: WebTestExtension = {
  id: 'front-desk',
  name: 'Front desk',
  password: 'correct horse battery',
};
const DOCS_SCREENSHOTS = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));
const EMBED_JS = fileURLToPath(new URL('../dist/embed.js', import.meta.url));
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

let browser: Browser;

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

/** A port that was free a moment ago: the server's origin must be known before it starts. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** The host site, then the pbx-peers server that lets it (`http://localhost:PORT`, only) frame the caller page. */
async function stage(t: TestContext) {
  const scope = new Scope();
  t.after(() => scope.close());
  const site = await startHostSite(FRONT_DESK.id);
  scope.defer(() => site.close());
  const port = await freePort();
  const pbxUrl = `http://127.0.0.1:${port}`;
  const { server, store } = await startServerWithExtensions([FRONT_DESK], {
    port,
    embedOrigins: [site.url],
    // The iframe's WebSocket comes from the server's own origin: the strictest list still lets it in.
    allowedOrigins: [pbxUrl],
    // A closed panel takes the caller's connection away without a word: its call ends once this passes.
    resumeGrace: 2,
  });
  scope.defer(() => store.close());
  scope.defer(() => server.close());
  site.pbxUrl = server.url;
  const errors: string[] = [];
  const open = async (url: string, viewport = DESKTOP, pageErrors = errors) => {
    const opened = await openPage(browser, url, pageErrors, viewport);
    scope.defer(() => opened.context.close());
    return opened.page;
  };
  return { scope, site, server, errors, open };
}

const launcher = (page: Page) =>
  page.locator('pbx-call-button').getByRole('button', { name: /^Call us|^Talk/ });

async function waitForButtonStatus(page: Page, status: 'ready' | 'offline', timeout = SHORT): Promise<void> {
  await page.locator(`pbx-call-button[data-status="${status}"]`).waitFor({ state: 'attached', timeout });
}

/** The caller page's frame inside the panel, once it has loaded. */
async function callerFrame(page: Page, site: HostSite): Promise<Frame> {
  return eventually(
    async () => page.frames().find((frame) => frame.url().startsWith(`${site.pbxUrl}/ext/`)) ?? null,
    (frame) => frame !== null,
    SHORT,
    'the panel has no caller page frame',
  ) as Promise<Frame>;
}

/** What the site's CSS could change: the boxes and computed styles of the button and its parts. */
interface ButtonLook {
  box: { x: number; y: number; width: number; height: number };
  styles: Record<string, string>[];
}

function buttonLook(page: Page): Promise<ButtonLook> {
  return page.evaluate(() => {
    const host = document.querySelector('pbx-call-button');
    const root = host?.shadowRoot;
    const button = root?.querySelector('.launcher');
    if (root === null || root === undefined || button === null || button === undefined) {
      throw new Error('no call button');
    }
    const rect = button.getBoundingClientRect();
    const names = [
      'background-color',
      'color',
      'font-size',
      'font-family',
      'font-weight',
      'letter-spacing',
      'line-height',
      'padding',
      'margin',
      'border',
      'border-radius',
      'display',
      'position',
      'opacity',
      'transform',
      'filter',
      'visibility',
      'width',
      'height',
    ];
    const parts = [button, ...Array.from(root.querySelectorAll('.launcher *'))];
    return {
      box: { x: rect.x, y: rect.y, width: rect.width, height: rect.height },
      styles: parts.map((part) => {
        const style = getComputedStyle(part);
        return Object.fromEntries(names.map((name) => [name, style.getPropertyValue(name)]));
      }),
    };
  });
}

/** Saves the screenshot as a test artifact, and the docs' ones (`docs`) in docs/screenshots when asked to. */
async function saveScreenshot(page: Page, name: string, docs = false): Promise<void> {
  const path = await screenshot(page, name);
  if (!docs || process.env.PBX_PEERS_DOCS_SCREENSHOTS !== '1') return;
  await mkdir(DOCS_SCREENSHOTS, { recursive: true });
  await copyFile(path, `${DOCS_SCREENSHOTS}${name}.png`);
}

/** The caller page's inbound packets keep growing: the call goes on. */
async function assertStillReceiving(frame: Frame, label: string): Promise<void> {
  const probe = () => inboundCounts(frame as unknown as Page);
  const first = await eventually(probe, (counts) => counts !== null, SHORT, `${label}: no call`);
  await eventually(
    probe,
    (counts) => counts !== null && first !== null && counts.videoPackets > first.videoPackets,
    SHORT,
    `${label}: inbound video packets do not grow`,
  );
}

describe('the call button on another site', () => {
  test('embed.js is small: its gzipped size', async (t) => {
    const plain = await readFile(EMBED_JS);
    const gzipped = gzipSync(plain, { level: 9 }).length;
    t.diagnostic(`embed.js: ${plain.length} bytes, ${gzipped} bytes gzipped (zlib level 9)`);
    await writeArtifact('embed-size.json', { bytes: plain.length, gzippedBytes: gzipped });
    assert.ok(gzipped < 8 * 1024, `embed.js is ${gzipped} bytes gzipped; the budget is 8 KB`);
  });

  test('a visitor calls from the button, an agent answers, media flows both ways in the iframe, minimised too', async (t) => {
    const { site, errors, open } = await stage(t);
    const agent = await open(`${site.pbxUrl}/ext/${FRONT_DESK.id}/agent`);
    const host = await open(`${site.url}/plain`);

    await waitForButtonStatus(host, 'offline');
    assert.match((await launcher(host).textContent()) ?? '', /Call us\s*Offline/);
    await signIn(agent, FRONT_DESK.password);
    // The button polls every 15 s: the agent shows within one poll, without a reload.
    await waitForButtonStatus(host, 'ready', 15_000 + SHORT);
    assert.match((await launcher(host).getAttribute('aria-label')) ?? '', /^Call us, available now$/);
    await saveScreenshot(host, 'embed-button', true);

    await launcher(host).click();
    assert.equal(await launcher(host).getAttribute('aria-expanded'), 'true');
    const dialog = host.getByRole('dialog', { name: 'Call us: Front desk' });
    await dialog.waitFor({ state: 'visible' });
    const iframe = dialog.locator('iframe');
    assert.equal(await iframe.getAttribute('allow'), 'camera; microphone; autoplay');
    assert.equal(await iframe.getAttribute('src'), `${site.pbxUrl}/ext/${FRONT_DESK.id}?embed=1`);
    const frame = await callerFrame(host, site);
    await waitForStatus(frame as unknown as Page, 'Ready');
    await saveScreenshot(host, 'embed-panel');

    await frame.getByLabel('Your name').fill('Ann');
    await frame.getByRole('button', { name: 'Call', exact: true }).click();
    await answerButton(agent, 'Ann').click();
    // media.ts reads the page with `evaluate`, which a Frame has too.
    await assertReceivingMedia(frame as unknown as Page, 'caller in the iframe');
    await assertReceivingMedia(agent, 'agent');
    await saveScreenshot(host, 'embed-call', true);

    // Minimised: the panel is out of sight, the iframe and the call stay.
    await dialog.getByRole('button', { name: 'Minimise' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await host.locator('pbx-call-button iframe').count(), 1);
    assert.equal(await launcher(host).getAttribute('aria-expanded'), 'false');
    assert.match((await launcher(host).getAttribute('aria-label')) ?? '', /minimised/);
    assert.match((await launcher(host).textContent()) ?? '', /Available now · minimised$/);
    await assertStillReceiving(frame, 'minimised');
    await assertReceivingMedia(agent, 'agent while the panel is minimised');
    await launcher(host).click();
    await dialog.waitFor({ state: 'visible' });
    await frame.getByRole('button', { name: 'Hang up' }).waitFor({ state: 'visible' });

    // Closed: the iframe goes, and the call with it.
    await dialog.getByRole('button', { name: 'Close' }).click();
    assert.equal(await host.locator('pbx-call-button iframe').count(), 0);
    await eventually(
      () => agent.locator('video[aria-label="Remote video"]').count(),
      (count) => count === 0,
      MEDIA,
      'the agent is still in the call after the panel was closed',
    );
    assert.deepEqual(errors, []);
  });

  test('a hostile stylesheet on the site changes nothing of the button or its panel', async (t) => {
    const { site, errors, open } = await stage(t);
    const plain = await open(`${site.url}/plain`);
    const hostile = await open(`${site.url}/hostile`);
    await waitForButtonStatus(plain, 'offline');
    await waitForButtonStatus(hostile, 'offline');
    const [plainLook, hostileLook] = [await buttonLook(plain), await buttonLook(hostile)];
    assert.deepEqual(hostileLook, plainLook);
    // Bottom right, 20 px from the edges, and the colour given (the default).
    assert.equal(Math.round(plainLook.box.x + plainLook.box.width), DESKTOP.width - 20);
    assert.equal(Math.round(plainLook.box.y + plainLook.box.height), DESKTOP.height - 20);
    assert.equal(plainLook.styles[0]?.['background-color'], 'rgb(29, 78, 216)');
    assert.ok(plainLook.box.height >= 44, 'a touch-sized button');

    for (const page of [plain, hostile]) await launcher(page).click();
    const panels = await Promise.all(
      [plain, hostile].map((page) =>
        page.locator('pbx-call-button').getByRole('dialog').boundingBox({ timeout: SHORT }),
      ),
    );
    assert.deepEqual(panels[1], panels[0]);
    assert.equal(panels[0]?.width, 380);
    await callerFrame(hostile, site);
    await waitForStatus((await callerFrame(hostile, site)) as unknown as Page, 'Offline');
    await saveScreenshot(hostile, 'embed-hostile');
    assert.deepEqual(errors, []);
  });

  test('the <pbx-call-button> element sits in the text; keyboard: Enter opens, Escape minimises', async (t) => {
    const { site, errors, open } = await stage(t);
    const page = await open(`${site.url}/inline`);
    await waitForButtonStatus(page, 'offline');
    const button = page.locator('pbx-call-button').getByRole('button', { name: /^Talk to a plumber/ });
    const look = await buttonLook(page);
    assert.equal(look.styles[0]?.position, 'relative', 'inline, not floating');
    assert.equal(look.styles[0]?.['background-color'], 'rgb(15, 61, 62)');
    assert.equal(look.styles[0]?.color, 'rgb(255, 255, 255)');

    await button.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor({ state: 'visible' });
    const frame = await callerFrame(page, site);
    // Offline: the caller page says so and offers what it offers then (the callback request).
    await waitForStatus(frame as unknown as Page, 'Offline');
    await dialog.getByRole('button', { name: 'Minimise' }).focus();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await page.locator('pbx-call-button iframe').count(), 1, 'minimised, not closed');
    const focused = await page.evaluate(
      () => document.querySelector('pbx-call-button')?.shadowRoot?.activeElement?.className ?? '',
    );
    assert.match(focused, /launcher/, 'focus is back on the button');
    assert.deepEqual(errors, []);
  });

  test('on a phone the panel fills the screen and closes', async (t) => {
    const { site, errors, open } = await stage(t);
    const page = await open(`${site.url}/plain`, PHONE);
    await waitForButtonStatus(page, 'offline');
    await launcher(page).click();
    const dialog = page.locator('pbx-call-button').getByRole('dialog');
    await dialog.waitFor({ state: 'visible' });
    assert.deepEqual(await dialog.boundingBox(), { x: 0, y: 0, ...PHONE });
    await waitForStatus((await callerFrame(page, site)) as unknown as Page, 'Offline');
    await saveScreenshot(page, 'embed-phone', true);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await page.locator('pbx-call-button iframe').count(), 0);
    await launcher(page).waitFor({ state: 'visible' });
    assert.deepEqual(errors, []);
  });

  test('a site that --embed-origins does not list cannot frame the caller page', async (t) => {
    const { site, open } = await stage(t);
    const pageErrors: string[] = [];
    // The same site, reached as http://127.0.0.1:PORT: not the origin listed.
    const page = await open(`${site.otherOriginUrl}/plain`, DESKTOP, pageErrors);
    await waitForButtonStatus(page, 'offline');
    await launcher(page).click();
    await page.locator('pbx-call-button').getByRole('dialog').waitFor({ state: 'visible' });
    await eventually(
      async () => pageErrors.some((error) => /frame-ancestors/.test(error)),
      (refused) => refused,
      SHORT,
      `Chromium did not refuse the frame: ${JSON.stringify(pageErrors)}`,
    );
    // The frame holds Chromium's error page, not the caller page.
    const frames = page.frames().filter((frame) => frame !== page.mainFrame());
    assert.equal(frames.length, 1);
    assert.equal(await frames[0]?.locator('#extension-status').count(), 0);
  });
});
