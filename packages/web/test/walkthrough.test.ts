/**
 * Chromium, issue 10 section 5 (what a new user's walk-through found), against the real server and the
 * built web app: the caller page's pill follows its own call; the agent console after a missed call; a
 * second waiting call during a call, on a 1280x800 screen; the remote video's size after 5 s; the lock-out
 * message and the focus after a wrong password; a removed extension. Every wait is bounded.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { FRONT_DESK, stageWithOpener, useOneChromium } from './support/e2eStage.js';
import { firstRemoteFrameAt, remoteVideo } from './support/pageProbes.js';
import { answerButton, MEDIA, placeCall, SHORT, signIn } from './support/pages.js';

useOneChromium();

/** Starts watching the sign-in error, so that `errorRenewed` can tell the next one from the one shown now. */
async function markErrorStale(page: Page): Promise<void> {
  await page.evaluate(() => {
    const flag = window as unknown as { errorRenewed: boolean };
    flag.errorRenewed = false;
    const element = document.getElementById('signin-error');
    if (element === null) return;
    // The console replaces the error's children each time it shows one.
    new MutationObserver(() => {
      flag.errorRenewed = true;
    }).observe(element, { childList: true });
  });
}

/** Waits until the sign-in error was shown again since `markErrorStale`. */
async function errorRenewed(page: Page): Promise<void> {
  await page.waitForFunction(() => (window as unknown as { errorRenewed: boolean }).errorRenewed, undefined, {
    timeout: SHORT,
  });
}

/** Waits until the page's status pill reads exactly `text`. */
async function pillSays(page: Page, selector: string, text: string, timeout = SHORT): Promise<void> {
  await page
    .locator(selector, { hasText: new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) })
    .waitFor({ state: 'visible', timeout });
}

describe('issue 10, what the walk-through found', () => {
  test("the caller's pill says the call's state: Ringing…, then Talking to <agent>, then Ready again", async (t) => {
    const { server, errors, open } = await stageWithOpener(t);
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

  test('after a missed call (abandoned, timed out, taken) the console no longer says the last call ended', async (t) => {
    const { server, errors, open } = await stageWithOpener(t, { ringTimeout: 2 });
    const agent = await open(server.agentUrl(FRONT_DESK.id));
    const other = await open(server.agentUrl(FRONT_DESK.id));
    const caller = await open(server.callerUrl(FRONT_DESK.id));
    await signIn(agent, FRONT_DESK.password);
    await other.getByLabel('Your name').fill('Bea');
    await signIn(other, FRONT_DESK.password);
    const notice = agent.locator('#notice');

    // A call this agent answered and hung up: "Call ended — You hung up."
    await placeCall(caller, 'Ann');
    await answerButton(agent, 'Ann').click();
    await agent.getByRole('button', { name: 'Hang up' }).click();
    await notice.filter({ hasText: 'Call ended — You hung up.' }).waitFor();

    // The next call rings, and its caller hangs up before anyone answers.
    await caller.getByRole('button', { name: 'Call again' }).click();
    await answerButton(agent, 'Ann').waitFor();
    assert.equal(await notice.isHidden(), true, 'a new call ringing hides the news of the last one');
    await caller.getByRole('button', { name: 'Hang up' }).click();
    await notice
      .filter({ hasText: /Missed call from Ann — The call ended before anyone answered/ })
      .waitFor();
    assert.doesNotMatch((await notice.textContent()) ?? '', /You hung up/);

    // Nobody answers: the ring timeout ends it.
    await caller.getByRole('button', { name: 'Call again' }).click();
    await answerButton(agent, 'Ann').waitFor();
    await caller.getByRole('heading', { name: 'No answer' }).waitFor({ timeout: SHORT });
    await notice.filter({ hasText: 'Missed call from Ann' }).waitFor();

    // Another agent takes it.
    await caller.getByRole('button', { name: 'Call again' }).click();
    await answerButton(other, 'Ann').click();
    await notice.filter({ hasText: 'Bea took the call' }).waitFor();
    assert.doesNotMatch((await notice.textContent()) ?? '', /You hung up|Missed/);
    assert.deepEqual(errors, []);
  });

  test('at 1280x800, a second call waiting during a call is in view, its disabled Answer explained', async (t) => {
    const { server, errors, open } = await stageWithOpener(t);
    const agent = await open(server.agentUrl(FRONT_DESK.id));
    const first = await open(server.callerUrl(FRONT_DESK.id));
    const second = await open(server.callerUrl(FRONT_DESK.id));
    await signIn(agent, FRONT_DESK.password);
    await placeCall(first, 'Ann');
    await answerButton(agent, 'Ann').click();
    await firstRemoteFrameAt(agent, MEDIA);

    await placeCall(second, 'Bob');
    const answer = answerButton(agent, 'Bob');
    await answer.waitFor();
    assert.equal(await answer.isDisabled(), true);
    const box = await answer.boundingBox();
    const viewport = agent.viewportSize();
    assert.ok(box !== null && viewport !== null);
    console.log(
      `waiting call's Answer at x=${box.x} y=${box.y} (${box.width}x${box.height}) in ${viewport.width}x${viewport.height}`,
    );
    assert.ok(
      box.x >= 0 &&
        box.y >= 0 &&
        box.x + box.width <= viewport.width &&
        box.y + box.height <= viewport.height,
      `the Answer button is inside the ${viewport.width}x${viewport.height} viewport: ${JSON.stringify(box)}`,
    );
    // The remote video and the hang-up button are in view too.
    const hangUp = await agent.getByRole('button', { name: 'Hang up' }).boundingBox();
    assert.ok(
      hangUp !== null && hangUp.y >= 0 && hangUp.y + hangUp.height <= viewport.height,
      'Hang up in view',
    );

    // Why it is off: visible text, and the button's description.
    const describedBy = await answer.getAttribute('aria-describedby');
    assert.ok(describedBy !== null, 'the disabled Answer has aria-describedby');
    const explanation = agent.locator(`#${describedBy}`);
    assert.equal(await explanation.isVisible(), true);
    assert.equal(await explanation.textContent(), 'You are in a call: hang up to answer a waiting call.');
    const description = await answer.evaluate((button) => {
      const ids = (button.getAttribute('aria-describedby') ?? '').split(' ');
      return ids.map((id) => document.getElementById(id)?.textContent ?? '').join(' ');
    });
    assert.match(description, /hang up to answer/);
    const explained = await explanation.boundingBox();
    assert.ok(explained !== null && explained.y >= 0 && explained.y + explained.height <= viewport.height);

    // Hung up: Answer is on, nothing to explain.
    await agent.getByRole('button', { name: 'Hang up' }).click();
    await agent.waitForFunction(
      () => !document.querySelector<HTMLButtonElement>('[aria-label="Answer Bob"]')?.disabled,
      undefined,
      { timeout: SHORT },
    );
    assert.equal(await answer.getAttribute('aria-describedby'), null);
    assert.equal(await explanation.isHidden(), true);
    assert.deepEqual(errors, []);
  });

  test('a wrong password puts the focus back in the field; the lock-out says the time left', async (t) => {
    const { server, errors, open } = await stageWithOpener(t, { registerFailureLimit: 2 });
    const agent = await open(server.agentUrl(FRONT_DESK.id));
    const password = agent.getByLabel('Password');
    const error = agent.locator('#signin-error');
    const focused = () => agent.evaluate(() => document.activeElement?.id ?? '');

    await password.fill('not the password');
    await agent.getByRole('button', { name: 'Sign in' }).click();
    await error.filter({ hasText: 'Wrong password' }).waitFor();
    assert.equal(await focused(), 'password', 'focus back in the password field after a wrong password');
    // Its text is selected: typing again replaces it.
    await agent.keyboard.type('still wrong');
    assert.equal(await password.inputValue(), 'still wrong');
    await markErrorStale(agent);
    await agent.keyboard.press('Enter');
    await errorRenewed(agent);
    await error.filter({ hasText: 'Wrong password' }).waitFor();
    assert.equal(await focused(), 'password');

    // Over the limit (2 here): even the right password is refused, and the console says for how long.
    await password.fill(FRONT_DESK.password);
    await password.press('Enter');
    await error.filter({ hasText: 'Too many failed sign-in attempts' }).waitFor();
    const text = (await error.textContent()) ?? '';
    console.log(`lock-out message: ${text}`);
    assert.doesNotMatch(text, /a few minutes/);
    // The window (the server's default, 15 minutes) opened with the first attempt, seconds ago.
    assert.match(text, /You can try again in 15 minutes\./);
    assert.equal(await focused(), 'password');

    // After a reload the console still knows when the window ends.
    await agent.reload({ waitUntil: 'load' });
    await password.fill(FRONT_DESK.password);
    await password.press('Enter');
    await error.filter({ hasText: /You can try again in 15 minutes\./ }).waitFor();
    assert.deepEqual(errors, []);
  });

  test('a removed extension: the pill and the text on both pages say Removed; no banner saying otherwise', async (t) => {
    const { server, errors, open } = await stageWithOpener(t, { extensionCheckInterval: 0.2 });
    const agent = await open(server.agentUrl(FRONT_DESK.id));
    const caller = await open(server.callerUrl(FRONT_DESK.id));
    await signIn(agent, FRONT_DESK.password);
    await pillSays(caller, '#extension-status', 'Ready');

    assert.equal(await server.store.remove(FRONT_DESK.id), true);
    await pillSays(agent, '#agent-status', 'Removed');
    await pillSays(caller, '#extension-status', 'Removed');
    assert.equal(
      await agent.locator('#console-hint').textContent(),
      'This extension was removed: no more calls will ring here.',
    );
    assert.equal(
      await caller.locator('#availability-hint').textContent(),
      'This extension no longer exists, so it cannot take calls.',
    );
    assert.equal(await caller.getByRole('button', { name: 'Call', exact: true }).isDisabled(), true);
    for (const page of [agent, caller]) {
      assert.equal(await page.locator('#connection-banner').isHidden(), true, 'no banner beside the pill');
    }
    // It stays that way: nothing reconnects.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(await agent.locator('#agent-status').textContent(), 'Removed');
    assert.equal(await caller.locator('#extension-status').textContent(), 'Removed');
    assert.deepEqual(
      errors.filter((error) => !/WebSocket/i.test(error)),
      [],
    );
  });

  test('after 5 s of a call the remote video is at least 640 px wide at both ends (fake camera, 720p asked)', async (t) => {
    const { server, errors, open } = await stageWithOpener(t);
    const agent = await open(server.agentUrl(FRONT_DESK.id));
    const caller = await open(server.callerUrl(FRONT_DESK.id));
    await signIn(agent, FRONT_DESK.password);
    await placeCall(caller, 'Ann');
    await answerButton(agent, 'Ann').click();
    await Promise.all([firstRemoteFrameAt(agent, MEDIA), firstRemoteFrameAt(caller, MEDIA)]);
    const connectedAt = Date.now();
    const sizes: string[] = [];
    for (let second = 1; second <= 5; second++) {
      await new Promise((resolve) => setTimeout(resolve, connectedAt + second * 1000 - Date.now()));
      const [atAgent, atCaller] = await Promise.all([remoteVideo(agent), remoteVideo(caller)]);
      sizes.push(
        `${second} s: agent sees ${atAgent?.videoWidth}x${atAgent?.videoHeight}, caller sees ${atCaller?.videoWidth}x${atCaller?.videoHeight}`,
      );
    }
    console.log(`remote video sizes after the first frame:\n  ${sizes.join('\n  ')}`);
    const [atAgent, atCaller] = await Promise.all([remoteVideo(agent), remoteVideo(caller)]);
    assert.ok((atAgent?.videoWidth ?? 0) >= 640, `the agent's remote video: ${JSON.stringify(atAgent)}`);
    assert.ok((atCaller?.videoWidth ?? 0) >= 640, `the caller's remote video: ${JSON.stringify(atCaller)}`);
    // What each side captures: the camera's 720p (the fake camera has it).
    for (const page of [agent, caller]) {
      const settings = await page.evaluate(() => {
        const track = (window.__pbxTest?.pc?.getSenders() ?? []).find(
          (sender) => sender.track?.kind === 'video',
        )?.track;
        const { width, height } = track?.getSettings() ?? {};
        return { width, height };
      });
      assert.deepEqual(settings, { width: 1280, height: 720 });
    }
    assert.deepEqual(errors, []);
  });
});
