/**
 * Chromium, issue 10 section 5 (what a new user's walk-through found), against the real server and the
 * built web app: the caller page's pill follows its own call; the agent console after a missed call; a
 * second waiting call during a call, on a 1280x800 screen; the remote video's size after 5 s; the lock-out
 * message and the focus after a wrong password; a removed extension. Every wait is bounded.
 */
import assert from 'node:assert/strict';
import { after, before, describe, type TestContext, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './support/chromium.js';
import { firstRemoteFrameAt } from './support/pageProbes.js';
import { answerButton, MEDIA, openPage, placeCall, SHORT, signIn } from './support/pages.js';
import { Scope } from './support/Scope.js';
import { startWebServer, type WebTestExtension } from './support/webServer.js';

const FRONT_DESK: WebTestExtension = {
  id: 'front-desk',
  name: 'Front desk',
  password: 'correct horse battery',
};
/** The laptop screen the walk-through used. */
const LAPTOP = { width: 1280, height: 800 };

let browser: Browser;

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

async function stage(t: TestContext, options: Parameters<typeof startWebServer>[1] = {}) {
  const scope = new Scope();
  t.after(() => scope.close());
  const server = await startWebServer([FRONT_DESK], options);
  scope.defer(() => server.close());
  const errors: string[] = [];
  const open = async (url: string, viewport = LAPTOP) => {
    const opened = await openPage(browser, url, errors, viewport);
    scope.defer(() => opened.context.close());
    return opened.page;
  };
  return { server, errors, open };
}

/** Waits until the page's status pill reads exactly `text`. */
async function pillSays(page: Page, selector: string, text: string, timeout = SHORT): Promise<void> {
  await page
    .locator(selector, { hasText: new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) })
    .waitFor({ state: 'visible', timeout });
}

describe('issue 10, what the walk-through found', () => {
  test("the caller's pill says the call's state: Ringing…, then Talking to <agent>, then Ready again", async (t) => {
    const { server, errors, open } = await stage(t);
    const agent = await open(server.agentUrl(FRONT_DESK.id));
    const caller = await open(server.callerUrl(FRONT_DESK.id));
    await agent.getByLabel('Your name').fill('Alice');
    await signIn(agent, FRONT_DESK.password);

    await placeCall(caller, 'Ann');
    await pillSays(caller, '#extension-status', 'Ringing…');
    await answerButton(agent, 'Ann').click();
    await pillSays(caller, '#extension-status', 'Talking to Alice');
    await caller.locator('.stage-name', { hasText: 'Talking to Alice' }).waitFor();
    await firstRemoteFrameAt(caller, MEDIA);
    assert.equal(await caller.locator('#extension-status').textContent(), 'Talking to Alice');

    await caller.getByRole('button', { name: 'Hang up' }).click();
    await caller.getByRole('heading', { name: 'Call ended' }).waitFor();
    await pillSays(caller, '#extension-status', 'Ready');
    assert.deepEqual(errors, []);
  });
});
