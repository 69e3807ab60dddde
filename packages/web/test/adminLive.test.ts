/**
 * Chromium, issue 11 point 2: the web admin's Live page (agents signed in by name, a call ringing then
 * connected, with durations, from polls every 2 s) and Calls page (the finished calls in the table,
 * filtered, and the CSV link downloads CSV), against the real server with agents and callers in
 * Chromium. A file of its own: the calls take their time, and each test file has two minutes.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import {
  adminSignIn,
  adminStage,
  docsScreenshot,
  FRONT_DESK,
  goTo,
  LAPTOP,
  LIVE,
  liveCard,
} from './support/adminPages.js';
import { launchChromium } from './support/chromium.js';
import { answerButton, placeCall, signIn } from './support/pages.js';

let browser: Browser;

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

describe('issue 11, the web admin: Live and Calls', () => {
  test('Live: agents by name, a call ringing then connected with durations; Calls: the finished call and its CSV', async (t) => {
    const { server, errors, admin, open } = await adminStage(t, browser);
    const page = await admin(LAPTOP, '/admin/live');
    await adminSignIn(page);
    await page.getByRole('heading', { level: 1, name: 'Live' }).waitFor();
    const card = liveCard(page, FRONT_DESK.id);
    await card.waitFor();
    await card.locator('.pill', { hasText: 'Offline' }).waitFor();

    const alice = await open(server.agentUrl(FRONT_DESK.id));
    const bea = await open(server.agentUrl(FRONT_DESK.id));
    for (const [agent, name] of [
      [alice, 'Alice'],
      [bea, 'Bea'],
    ] as const) {
      await agent.getByLabel('Your name').fill(name);
      await signIn(agent, FRONT_DESK.password);
    }
    await card.locator('.live-agents li', { hasText: 'Alice' }).waitFor({ timeout: LIVE });
    await card.locator('.live-agents li', { hasText: 'Bea' }).waitFor({ timeout: LIVE });
    await card.locator('.pill', { hasText: 'Ready' }).waitFor();

    // Ann calls: ringing, with how long; Alice answers: connected, Ann with Alice.
    const ann = await open(server.callerUrl(FRONT_DESK.id));
    await placeCall(ann, 'Ann');
    const ringing = card.locator('.live-ringing li', { hasText: 'Ann' });
    await ringing.waitFor({ timeout: LIVE });
    assert.match((await ringing.locator('.live-duration').textContent()) ?? '', /0:0\d$/);
    await answerButton(alice, 'Ann').click();
    await ann.locator('.stage').waitFor();
    const connected = card.locator('.live-connected li', { hasText: 'Ann with Alice' });
    await connected.waitFor({ timeout: LIVE });
    assert.equal(await card.locator('.live-ringing li').count(), 0);
    // Its duration counts on, without a reload.
    const first = (await connected.locator('.live-duration').textContent()) ?? '';
    await page.waitForFunction(
      (before) => {
        const text = document.querySelector('.live-connected .live-duration')?.textContent ?? '';
        return text !== '' && text !== before;
      },
      first,
      { timeout: LIVE },
    );
    // Cy calls as well and rings at Bea while Ann talks: the screenshot has both kinds of call.
    const cy = await open(server.callerUrl(FRONT_DESK.id));
    await placeCall(cy, 'Cy');
    await card.locator('.live-ringing li', { hasText: 'Cy' }).waitFor({ timeout: LIVE });
    assert.match(
      (await card.locator('.live-summary').textContent()) ?? '',
      /2 agents signed in · 1 ringing · 1 connected/,
    );
    await docsScreenshot(page, 'admin-live');

    await cy.getByRole('button', { name: 'Hang up' }).click();
    await ann.getByRole('button', { name: 'Hang up' }).click();
    await card.locator('.live-connected li').waitFor({ state: 'detached', timeout: LIVE });
    await card.locator('.live-ringing li').waitFor({ state: 'detached', timeout: LIVE });

    // Calls: the two, newest first, once the records are written.
    await goTo(page, 'Calls');
    const rows = page.locator('#calls-results tbody tr');
    const deadline = Date.now() + LIVE;
    while ((await rows.count()) < 2 && Date.now() < deadline) {
      await page.waitForTimeout(500);
      await page.getByRole('button', { name: 'Show calls' }).click();
      await page.locator('#calls-caption', { hasNotText: 'Loading' }).waitFor();
    }
    assert.equal(await rows.count(), 2);
    const answered = page.locator('#calls-results tbody tr[data-outcome="answered"]');
    assert.match((await answered.textContent()) ?? '', /Reception|Front desk/);
    assert.match((await answered.textContent()) ?? '', /Ann.*Alice.*Answered/);
    const missed = page.locator('#calls-results tbody tr[data-outcome="abandoned"]');
    assert.match((await missed.textContent()) ?? '', /Cy.*Missed: caller hung up/);

    // The extensions' names arriving after the rows still name the rows' extensions (not their ids).
    await page.route('**/admin/api/extensions', async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await route.continue();
    });
    await goTo(page, 'Live');
    await goTo(page, 'Calls');
    await rows.nth(1).waitFor();
    await page
      .locator('#calls-extension option', { hasText: FRONT_DESK.name })
      .waitFor({ state: 'attached' });
    assert.doesNotMatch((await answered.textContent()) ?? '', new RegExp(FRONT_DESK.id));
    await page.unroute('**/admin/api/extensions');

    // Filtered to the answered ones: the URL keeps the filter, and the CSV link has it too.
    for (const outcome of ['dropped', 'abandoned', 'timeout']) {
      await page.locator(`#calls-outcome-${outcome}`).uncheck();
    }
    await page.getByLabel('Extension').selectOption(FRONT_DESK.id);
    await page.getByRole('button', { name: 'Show calls' }).click();
    await page.locator('#calls-caption', { hasText: '1 call, newest first.' }).waitFor();
    assert.match(page.url(), /\/admin\/calls\?extension=front-desk&outcome=answered$/);
    const csvLink = page.getByRole('link', { name: 'Download CSV' });
    assert.match(
      (await csvLink.getAttribute('href')) ?? '',
      /^\/admin\/api\/calls\.csv\?extension=front-desk&outcome=answered$/,
    );
    const [download] = await Promise.all([page.waitForEvent('download'), csvLink.click()]);
    const csv = await readFile(await download.path(), 'utf8');
    const lines = csv.trim().split(/\r?\n/);
    assert.match(lines[0] ?? '', /^call_id,extension_id,caller_name,agent_name,/);
    assert.equal(lines.length, 2, csv);
    assert.match(lines[1] ?? '', /answered/);
    assert.match(lines[1] ?? '', /Ann/);
    assert.deepEqual(errors, []);
  });
});
