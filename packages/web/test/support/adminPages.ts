/**
 * The web admin's Chromium tests (admin.test.ts, adminLive.test.ts): the real server with an admin account
 * added through the store, the admin's browser (clipboard allowed, downloads accepted), and helpers for
 * its pages. Every page error and console error is collected in `errors`.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { hashPassword } from '../../../server/src/store/passwordHash.js';
import { SCREENSHOTS_DIR } from './artifacts.js';
import { MEDIA, openPage } from './pages.js';
import { Scope } from './Scope.js';
import { startWebServer, type WebTestExtension } from './webServer.js';

export const FRONT_DESK: WebTestExtension = {
  id: 'front-desk',
  name: 'Front desk',
  password: 'correct horse battery',
};
export const SALES: WebTestExtension = { id: 'sales', name: 'Sales', password: 'another long password' };
export const ADMIN = { name: 'root', password: 'admin password 123' };
export const LAPTOP = { width: 1280, height: 800 };
export const PHONE = { width: 360, height: 740 };
/** The live view polls every 2 s; a call's record is written detached. */
export const LIVE = 10_000;
/** Every wait on the admin's page (a click, a page's answer); generous, as the tests share the machine. */
export const ADMIN_WAIT = 10_000;
export const XSS = '<img src=x onerror=alert(1)>';
const DOCS_SCREENSHOTS = fileURLToPath(new URL('../../../../docs/screenshots/', import.meta.url));

export async function adminStage(
  t: TestContext,
  browser: Browser,
  extensions: WebTestExtension[] = [FRONT_DESK, SALES],
) {
  const scope = new Scope();
  t.after(() => scope.close());
  const server = await startWebServer(extensions);
  scope.defer(() => server.close());
  await server.store.addAdmin(ADMIN.name, await hashPassword(ADMIN.password));
  const errors: string[] = [];
  /** The admin's browser: clipboard allowed (the Copy buttons), downloads accepted (the CSV). */
  const admin = async (viewport = LAPTOP, path = '/admin') => {
    const context = await browser.newContext({
      viewport,
      deviceScaleFactor: 1,
      permissions: ['clipboard-read', 'clipboard-write'],
      acceptDownloads: true,
    });
    scope.defer(() => context.close());
    context.setDefaultTimeout(ADMIN_WAIT);
    const page = await context.newPage();
    page.on('pageerror', (error) => errors.push(`admin: ${error.message}`));
    page.on('console', (message) => {
      // A refusal the test provokes on purpose (a wrong password: 401, a taken id: 409) is logged by
      // Chromium as a failed load.
      if (message.type() === 'error' && !/status of 40[19]/.test(message.text())) {
        errors.push(`admin: console: ${message.text()}`);
      }
    });
    page.on('dialog', (dialog) => {
      errors.push(`admin: dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    await page.goto(`${server.url}${path}`, { waitUntil: 'load', timeout: MEDIA });
    return page;
  };
  /** An agent's or a caller's page; loading it may take longer than a click's wait on a busy machine. */
  const open = async (url: string) => {
    const opened = await openPage(browser, 'about:blank', errors, LAPTOP);
    scope.defer(() => opened.context.close());
    // Pages with camera and microphone running: on a loaded machine a click can wait its turn.
    opened.context.setDefaultTimeout(MEDIA);
    await opened.page.goto(url, { waitUntil: 'load' });
    return opened.page;
  };
  return { server, errors, admin, open };
}

/** Signs in on the admin's sign-in form; waits for the page asked for. */
export async function adminSignIn(page: Page, password = ADMIN.password): Promise<void> {
  await page.getByLabel('Admin name').fill(ADMIN.name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor({ state: 'visible' });
}

export async function goTo(
  page: Page,
  link: 'Extensions' | 'Live' | 'Calls' | 'Callback requests',
): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Admin pages' })
    .getByRole('link', { name: link, exact: true })
    .click();
  await page.getByRole('heading', { level: 1, name: link }).waitFor();
}

export function extensionRow(page: Page, id: string) {
  return page.locator(`li[data-extension-id="${id}"]`);
}

export function liveCard(page: Page, id: string) {
  return page.locator(`.live-card[data-extension-id="${id}"]`);
}

export const clipboard = (page: Page) => page.evaluate(() => navigator.clipboard.readText());

/** Waits until the clipboard holds `expected` (the copy is asynchronous). */
export async function waitForClipboard(page: Page, expected: string | RegExp): Promise<string> {
  const deadline = Date.now() + ADMIN_WAIT;
  let text = '';
  while (Date.now() < deadline) {
    text = await clipboard(page);
    if (typeof expected === 'string' ? text === expected : expected.test(text)) return text;
    await page.waitForTimeout(100);
  }
  assert.fail(`the clipboard holds ${JSON.stringify(text)}, not ${String(expected)}`);
}

/** Saves the screenshot as a test artifact, and in docs/screenshots when asked to (and `docs`). */
export async function docsScreenshot(page: Page, name: string, docs = true): Promise<void> {
  await mkdir(SCREENSHOTS_DIR, { recursive: true });
  const path = join(SCREENSHOTS_DIR, `${name}.png`);
  // Entry animations settle first; the screen as the admin sees it (the viewport, not the whole page).
  await page.waitForTimeout(350);
  // A busy machine (calls' video running) can take longer than a click's wait to draw.
  await page.screenshot({ path, caret: 'hide', timeout: 15_000 });
  if (!docs || process.env.PBX_PEERS_DOCS_SCREENSHOTS !== '1') return;
  await mkdir(DOCS_SCREENSHOTS, { recursive: true });
  await copyFile(path, `${DOCS_SCREENSHOTS}${name}.png`);
}

/** Nothing wider than the screen: no sideways scrolling of the page (a table scrolls in its own box). */
export async function assertFitsWidth(page: Page, what: string): Promise<void> {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  assert.ok(scroll <= width, `${what}: the page is ${scroll} px wide on a ${width} px screen`);
}
