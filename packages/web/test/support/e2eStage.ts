import { after, before, type TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './chromium.js';
import { eventually, firstRemoteFrameAt, type HeldDevices, heldDevices } from './pageProbes.js';
import { answerButton, MEDIA, openPage, placeCall, SHORT } from './pages.js';
import { Scope } from './Scope.js';
import { startWebServer, type WebTestExtension } from './webServer.js';

export const FRONT_DESK: WebTestExtension = {
  id: 'front-desk',
  name: 'Front desk',
  password: 'correct horse battery',
};

let browser: Browser;

/** The file's Chromium (see `useOneChromium`). */
export function sharedBrowser(): Browser {
  return browser;
}

/** One Chromium for the test file that calls this (at its top level), closed after its tests. */
export function useOneChromium(): void {
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });
}

/**
 * What every test starts from: its own server for FRONT_DESK, a scope that closes the server and every
 * page opened with it when the test ends (a given scope may already hold what must close after them),
 * and the list that collects the pages' errors.
 */
export async function stage(
  t: TestContext,
  options: Parameters<typeof startWebServer>[1] = {},
  scope = new Scope(),
) {
  t.after(() => scope.close());
  const server = await startWebServer([FRONT_DESK], options);
  scope.defer(() => server.close());
  const errors: string[] = [];
  return { scope, server, errors };
}

/** Opens a page in its own context, closed with the scope. */
export async function open(
  scope: Scope,
  url: string,
  errors: string[],
  viewport?: { width: number; height: number },
  initScript?: string,
) {
  const opened = await openPage(browser, url, errors, viewport, initScript);
  scope.defer(() => opened.context.close());
  return opened;
}

/** The laptop screen of issue 10's walk-through, where `stageWithOpener` opens pages unless told otherwise. */
export const LAPTOP = { width: 1280, height: 800 };

/**
 * `stage` with `open` bound to its scope and errors: `open(url)` gives the page, at LAPTOP size unless
 * told otherwise. A dialog a page shows is dismissed, as Playwright does when nothing listens, and its
 * message kept in `dialogs`, so that a test can say none came.
 */
export async function stageWithOpener(t: TestContext, options: Parameters<typeof startWebServer>[1] = {}) {
  const { scope, server, errors } = await stage(t, options);
  const dialogs: string[] = [];
  const openAt = async (url: string, viewport = LAPTOP, initScript?: string) => {
    const { page } = await open(scope, url, errors, viewport, initScript);
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    return page;
  };
  return { server, errors, dialogs, open: openAt };
}

/** Waits until `page` holds exactly `expected` (see RECORD_DEVICES). */
export async function waitForHeld(page: Page, expected: HeldDevices, label: string): Promise<void> {
  await eventually(
    () => heldDevices(page),
    (held) => held.liveTracks === expected.liveTracks && held.openConnections === expected.openConnections,
    SHORT,
    `${label}: expected ${JSON.stringify(expected)}`,
  );
}

export const NOTHING_HELD: HeldDevices = { liveTracks: 0, openConnections: 0 };
/** A caller ringing: its microphone and camera, and the connection with the offer made in advance. */
export const CALLER_PREPARED: HeldDevices = { liveTracks: 2, openConnections: 1 };
/** An agent while calls ring: microphone and camera open in advance, no connection yet. */
export const AGENT_STANDING_BY: HeldDevices = { liveTracks: 2, openConnections: 0 };

/** Agent signed in, caller calling as `callerName` and answered: both in call with media flowing. */
export async function connectCall(caller: Page, agent: Page, callerName: string): Promise<void> {
  await placeCall(caller, callerName);
  await answerButton(agent, callerName).click();
  await Promise.all([firstRemoteFrameAt(agent, MEDIA), firstRemoteFrameAt(caller, MEDIA)]);
}
