import type { Browser, BrowserContext, Page } from 'playwright-core';

/** Every wait in the e2e tests is bounded by one of these. */
export const SHORT = 5_000;
export const MEDIA = 15_000;

export interface OpenedPage {
  context: BrowserContext;
  page: Page;
}

/**
 * A page in a fresh browser context (its own cookies, storage and permissions: one person), with camera,
 * microphone and notifications granted and every page error collected in `errors`. `initScript` runs in
 * the page before its own scripts.
 */
export async function openPage(
  browser: Browser,
  url: string,
  errors: string[],
  viewport = { width: 1100, height: 860 },
  initScript?: string,
): Promise<OpenedPage> {
  const context = await browser.newContext({
    viewport,
    permissions: ['camera', 'microphone', 'notifications'],
    deviceScaleFactor: 1,
  });
  context.setDefaultTimeout(SHORT);
  const page = await context.newPage();
  if (initScript !== undefined) await page.addInitScript(initScript);
  page.on('pageerror', (error) => errors.push(`${url}: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`${url}: console: ${message.text()}`);
  });
  await page.goto(url, { waitUntil: 'load' });
  return { context, page };
}

export function extensionStatus(page: Page) {
  return page.locator('#extension-status');
}

/** Types the password and signs in; waits for the console. */
export async function signIn(page: Page, password: string): Promise<void> {
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor({ state: 'visible', timeout: SHORT });
}

/** Waits until the caller page shows the extension as ready, then calls with `name`; waits for ringing. */
export async function placeCall(page: Page, name?: string): Promise<void> {
  await waitForStatus(page, 'Ready');
  if (name !== undefined) await page.getByLabel('Your name').fill(name);
  await page.getByRole('button', { name: 'Call', exact: true }).click();
  await page.getByRole('button', { name: 'Hang up' }).waitFor({ state: 'visible', timeout: SHORT });
}

export async function waitForStatus(page: Page, text: 'Ready' | 'Offline', timeout = SHORT): Promise<void> {
  await page
    .locator('#extension-status', { hasText: new RegExp(`^${text}$`) })
    .waitFor({ state: 'visible', timeout });
}

/** The Answer button of one waiting call, by the caller's name. */
export function answerButton(page: Page, callerName: string) {
  return page.getByRole('button', { name: `Answer ${callerName}`, exact: true });
}
