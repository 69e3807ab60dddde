/**
 * End-to-end tests of the web app in real headless Chromium against the real server: the caller page and
 * the agent console as built by Vite (`npm run build -w @pbx-peers/web`), served by the server's routes,
 * with real WebRTC media between two browser contexts (fake camera and microphone), and a real coturn for
 * the relayed call.
 *
 * Every test owns its server, store and browser contexts; one Chromium process is shared. Every wait is
 * bounded (SHORT for UI, MEDIA for media to flow).
 */
import assert from 'node:assert/strict';
import { after, before, describe, type TestContext, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { screenshot, writeArtifact } from './support/artifacts.js';
import { launchChromium } from './support/chromium.js';
import { assertReceivingMedia } from './support/media.js';
import {
  eventually,
  firstRemoteFrameAt,
  type HeldDevices,
  heldDevices,
  inboundCounts,
  mergedTimeline,
  RECORD_DEVICES,
  selectedPair,
  timeline,
} from './support/pageProbes.js';
import {
  answerButton,
  MEDIA,
  type OpenedPage,
  openPage,
  placeCall,
  SHORT,
  signIn,
  waitForStatus,
} from './support/pages.js';
import { Scope } from './support/Scope.js';
import { startTurnServer } from './support/turnServer.js';
import { startWebServer, type WebTestExtension } from './support/webServer.js';

const FRONT_DESK: WebTestExtension = {
  id: 'front-desk',
  name: 'Front desk',
  password: 'correct horse battery',
};

let browser: Browser;

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

/**
 * What every test starts from: its own server for FRONT_DESK, a scope that closes the server and every
 * page opened with it when the test ends (a given scope may already hold what must close after them),
 * and the list that collects the pages' errors.
 */
async function stage(
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
async function open(
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

/** Waits until `page` holds exactly `expected` (see RECORD_DEVICES). */
async function waitForHeld(page: Page, expected: HeldDevices, label: string): Promise<void> {
  await eventually(
    () => heldDevices(page),
    (held) => held.liveTracks === expected.liveTracks && held.openConnections === expected.openConnections,
    SHORT,
    `${label}: expected ${JSON.stringify(expected)}`,
  );
}

const NOTHING_HELD: HeldDevices = { liveTracks: 0, openConnections: 0 };
/** A caller ringing: its microphone and camera, and the connection with the offer made in advance. */
const CALLER_PREPARED: HeldDevices = { liveTracks: 2, openConnections: 1 };
/** An agent while calls ring: microphone and camera open in advance, no connection yet. */
const AGENT_STANDING_BY: HeldDevices = { liveTracks: 2, openConnections: 0 };

/** Agent signed in, caller calling as `callerName` and answered: both in call with media flowing. */
async function connectCall(caller: Page, agent: Page, callerName: string): Promise<void> {
  await placeCall(caller, callerName);
  await answerButton(agent, callerName).click();
  await Promise.all([firstRemoteFrameAt(agent, MEDIA), firstRemoteFrameAt(caller, MEDIA)]);
}

describe('the web app in Chromium', () => {
  test('caller and agent talk: media both ways, answer-to-first-frame measured, hang up ends both', async (t) => {
    const { scope, server, errors } = await stage(t);
    const agent = await open(scope, server.agentUrl(FRONT_DESK.id), errors);
    const caller = await open(scope, server.callerUrl(FRONT_DESK.id), errors);

    await waitForStatus(caller.page, 'Offline');
    assert.equal(await caller.page.getByRole('heading', { level: 1 }).textContent(), 'Front desk');
    await signIn(agent.page, FRONT_DESK.password);
    await placeCall(caller.page, 'Ann');
    const answer = answerButton(agent.page, 'Ann');
    await answer.waitFor({ state: 'visible' });

    const agentFrame = firstRemoteFrameAt(agent.page, MEDIA);
    const callerFrame = firstRemoteFrameAt(caller.page, MEDIA);
    // Measured from the click itself (the page's own clock, which is the machine's, as for the frames), not
    // from when Playwright was asked to click: its actionability checks take a while on a loaded machine.
    await agent.page.evaluate(() => {
      document.addEventListener(
        'click',
        () => {
          const clicked = window as unknown as { answerClickedAt: number; answerClickedAtPrecise: number };
          clicked.answerClickedAt = Date.now();
          clicked.answerClickedAtPrecise = performance.timeOrigin + performance.now();
        },
        { capture: true, once: true },
      );
    });
    await answer.click();
    const [agentFrameAt, callerFrameAt] = await Promise.all([agentFrame, callerFrame]);
    const { clickedAt, clickedAtPrecise } = await agent.page.evaluate(() => {
      const clicked = window as unknown as { answerClickedAt: number; answerClickedAtPrecise: number };
      return { clickedAt: clicked.answerClickedAt, clickedAtPrecise: clicked.answerClickedAtPrecise };
    });
    const breakdown = mergedTimeline(clickedAtPrecise, {
      agent: await timeline(agent.page, clickedAtPrecise - 5_000),
      caller: await timeline(caller.page, clickedAtPrecise - 5_000),
    });
    const timings = {
      answerToFirstFrameMs: { agent: agentFrameAt - clickedAt, caller: callerFrameAt - clickedAt },
      measuredAt: new Date().toISOString(),
      browser: `Chromium ${browser.version()}`,
      breakdown,
      note: 'From the click on Answer (a capturing click listener) to the first remote video frame (videoWidth > 0, polled every 5 ms) on each side; one host, headless, fake devices, no ICE servers.',
    };
    console.log(
      `answer-to-first-frame agent=${timings.answerToFirstFrameMs.agent}ms caller=${timings.answerToFirstFrameMs.caller}ms`,
    );
    console.log(breakdown.map((line) => `  ${line}`).join('\n'));
    await writeArtifact('e2e-timings.json', timings);

    await assertReceivingMedia(agent.page, 'agent');
    await assertReceivingMedia(caller.page, 'caller');
    assert.equal(await agent.page.locator('#agent-status').textContent(), 'In a call');

    // The controls work while media flows.
    await caller.page.getByRole('button', { name: 'Mute microphone' }).click();
    await caller.page.getByRole('button', { name: 'Unmute microphone' }).waitFor();
    await caller.page.getByRole('button', { name: 'Turn camera off' }).click();
    await caller.page.getByRole('button', { name: 'Turn camera on' }).waitFor();

    await caller.page.getByRole('button', { name: 'Hang up' }).click();
    await caller.page.getByRole('heading', { name: 'Call ended' }).waitFor();
    await caller.page.getByText('You hung up.').waitFor();
    await agent.page.getByText('The caller hung up.').waitFor();
    await agent.page.locator('#agent-status', { hasText: 'Signed in' }).waitFor();
    assert.equal(await inboundCounts(agent.page), null, 'the agent closed its RTCPeerConnection');
    assert.equal(await inboundCounts(caller.page), null, 'the caller closed its RTCPeerConnection');
    assert.equal(await caller.page.locator('video').count(), 0, 'the caller page released its videos');
    assert.deepEqual(errors, []);
  });

  test('two agents ring; when one answers, the call disappears from the other', async (t) => {
    const { scope, server, errors } = await stage(t);
    const first = await open(scope, server.agentUrl(FRONT_DESK.id), errors);
    const second = await open(scope, server.agentUrl(FRONT_DESK.id), errors);
    const caller = await open(scope, server.callerUrl(FRONT_DESK.id), errors);
    // The first agent gives a display name (protocol 1.1): the caller and the other agent see it.
    await first.page.getByLabel('Your name').fill('Alice');
    await signIn(first.page, FRONT_DESK.password);
    await signIn(second.page, FRONT_DESK.password);

    await placeCall(caller.page, 'Bob');
    await answerButton(first.page, 'Bob').waitFor();
    await answerButton(second.page, 'Bob').waitFor();
    await answerButton(first.page, 'Bob').click();

    await answerButton(second.page, 'Bob').waitFor({ state: 'detached' });
    await second.page.getByText('No calls waiting.').waitFor();
    await second.page.locator('#notice', { hasText: 'Alice took the call' }).waitFor();
    await first.page.getByRole('button', { name: 'Hang up' }).waitFor();
    await caller.page.locator('video[aria-label="Remote video"]').waitFor();
    await caller.page.locator('.stage-name', { hasText: 'Talking to Alice' }).waitFor();
    assert.equal(await second.page.locator('#agent-status').textContent(), 'Signed in');

    // The answering agent's tab goes away mid-call: the caller learns the line dropped.
    await first.context.close();
    await caller.page.getByRole('heading', { name: 'Line dropped' }).waitFor();
    assert.deepEqual(errors, []);
  });

  test('a caller who hangs up while ringing disappears from the agent console', async (t) => {
    const { scope, server, errors } = await stage(t);
    const agent = await open(scope, server.agentUrl(FRONT_DESK.id), errors);
    const caller = await open(scope, server.callerUrl(FRONT_DESK.id), errors);
    await signIn(agent.page, FRONT_DESK.password);

    await placeCall(caller.page); // no name: the agent sees "Anonymous"
    await answerButton(agent.page, 'Anonymous').waitFor();
    assert.equal(await agent.page.locator('#queue-count').textContent(), '1');
    await caller.page.getByRole('button', { name: 'Hang up' }).click();

    await caller.page.getByRole('heading', { name: 'Call cancelled' }).waitFor();
    await answerButton(agent.page, 'Anonymous').waitFor({ state: 'detached' });
    assert.equal(await agent.page.locator('#queue-count').textContent(), '0');
    await caller.page.getByRole('button', { name: 'Call again' }).waitFor();
    assert.deepEqual(errors, []);
  });

  test('what is prepared while ringing is released: cancelled, timed out, taken by another agent', async (t) => {
    const { scope, server, errors } = await stage(t, { ringTimeout: 2 });
    const openRecording = (url: string) => open(scope, url, errors, undefined, RECORD_DEVICES);
    const first = await openRecording(server.agentUrl(FRONT_DESK.id));
    const second = await openRecording(server.agentUrl(FRONT_DESK.id));
    const caller = await openRecording(server.callerUrl(FRONT_DESK.id));
    await signIn(first.page, FRONT_DESK.password);
    await signIn(second.page, FRONT_DESK.password);
    await waitForHeld(first.page, NOTHING_HELD, 'first agent, no call');

    const ringing = async (label: string) => {
      await waitForHeld(caller.page, CALLER_PREPARED, `caller ringing (${label})`);
      await waitForHeld(first.page, AGENT_STANDING_BY, `first agent ringing (${label})`);
      await waitForHeld(second.page, AGENT_STANDING_BY, `second agent ringing (${label})`);
    };
    const allReleased = async (label: string) => {
      await waitForHeld(caller.page, NOTHING_HELD, `caller (${label})`);
      await waitForHeld(first.page, NOTHING_HELD, `first agent (${label})`);
      await waitForHeld(second.page, NOTHING_HELD, `second agent (${label})`);
    };

    // The caller hangs up while ringing.
    await placeCall(caller.page, 'Fay');
    await ringing('cancelled');
    await caller.page.getByRole('button', { name: 'Hang up' }).click();
    await caller.page.getByRole('heading', { name: 'Call cancelled' }).waitFor();
    await allReleased('cancelled');

    // Nobody answers.
    await caller.page.getByRole('button', { name: 'Call again' }).click();
    await ringing('timed out');
    await caller.page.getByRole('heading', { name: 'No answer' }).waitFor();
    await allReleased('timed out');

    // The first agent answers: the second one lets go; the call itself holds what it uses.
    await caller.page.getByRole('button', { name: 'Call again' }).click();
    await ringing('answered');
    await answerButton(first.page, 'Fay').click();
    await Promise.all([firstRemoteFrameAt(first.page, MEDIA), firstRemoteFrameAt(caller.page, MEDIA)]);
    await waitForHeld(second.page, NOTHING_HELD, 'second agent, call taken by the first');
    await waitForHeld(first.page, { liveTracks: 2, openConnections: 1 }, 'first agent in the call');
    await waitForHeld(caller.page, CALLER_PREPARED, 'caller in the call');
    await first.page.getByRole('button', { name: 'Hang up' }).click();
    await caller.page.getByText('The person you called hung up.').waitFor();
    await allReleased('hung up');
    assert.deepEqual(errors, []);
  });

  test('a call nobody answers times out: the caller reads "No answer", the agent\'s entry goes', async (t) => {
    const { scope, server, errors } = await stage(t, { ringTimeout: 1.5 });
    const agent = await open(scope, server.agentUrl(FRONT_DESK.id), errors);
    const caller = await open(scope, server.callerUrl(FRONT_DESK.id), errors);
    await signIn(agent.page, FRONT_DESK.password);

    await placeCall(caller.page, 'Dana');
    await answerButton(agent.page, 'Dana').waitFor();
    await caller.page.getByRole('heading', { name: 'No answer' }).waitFor();
    await answerButton(agent.page, 'Dana').waitFor({ state: 'detached' });
    await caller.page.getByRole('button', { name: 'Call again' }).waitFor();
    assert.deepEqual(errors, []);
  });

  test('without a camera the call is audio-only; with media blocked the page says so and calls nobody', async (t) => {
    const { scope, server, errors } = await stage(t);
    const agent = await open(scope, server.agentUrl(FRONT_DESK.id), errors);
    await signIn(agent.page, FRONT_DESK.password);

    // A visitor whose browser has no camera: getUserMedia with video fails as it does then.
    const noCamera = await open(scope, server.callerUrl(FRONT_DESK.id), errors);
    await noCamera.page.evaluate(`(() => {
      const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      navigator.mediaDevices.getUserMedia = (constraints) => constraints && constraints.video
        ? Promise.reject(new DOMException('Requested device not found', 'NotFoundError'))
        : original(constraints);
    })()`);
    await placeCall(noCamera.page, 'Eve');
    await answerButton(agent.page, 'Eve').click();
    await firstRemoteFrameAt(noCamera.page, MEDIA); // the agent's camera still reaches the visitor
    await eventually(
      () => inboundCounts(agent.page),
      (counts) => counts !== null && counts.audioPackets > 20,
      MEDIA,
      'the agent hears the audio-only caller',
    );
    assert.equal((await inboundCounts(agent.page))?.videoPackets, 0);
    await agent.page.locator('.stage-note', { hasText: 'Audio only' }).waitFor();
    await screenshot(agent.page, 'agent-7-audio-only-call');
    await screenshot(noCamera.page, 'caller-7-audio-only-call');
    assert.equal(
      await noCamera.page.getByRole('button', { name: 'No camera (audio call)' }).isDisabled(),
      true,
    );
    await noCamera.page.getByRole('button', { name: 'Hang up' }).click();
    await agent.page.getByText('The caller hung up.').waitFor();

    // A visitor who blocked camera and microphone: told how to fix it; no call is placed.
    const blocked = await open(scope, server.callerUrl(FRONT_DESK.id), errors);
    await blocked.page.evaluate(`(() => {
      navigator.mediaDevices.getUserMedia = () =>
        Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
    })()`);
    await waitForStatus(blocked.page, 'Ready');
    await blocked.page.getByRole('button', { name: 'Call', exact: true }).click();
    await blocked.page
      .getByRole('alert')
      .filter({ hasText: 'Camera and microphone access is blocked' })
      .waitFor();
    await blocked.page.getByRole('button', { name: 'Call', exact: true }).waitFor();
    await screenshot(blocked.page, 'caller-8-media-blocked');
    assert.equal(await agent.page.locator('#queue-count').textContent(), '0', 'no call reached the agent');
    assert.deepEqual(errors, []);
  });

  test('the caller page follows the extension: Offline, Ready when an agent signs in, Offline after sign-out', async (t) => {
    const { scope, server, errors } = await stage(t);
    const caller = await open(scope, server.callerUrl(FRONT_DESK.id), errors);
    const agent = await open(scope, server.agentUrl(FRONT_DESK.id), errors);
    const callButton = caller.page.getByRole('button', { name: 'Call', exact: true });

    await waitForStatus(caller.page, 'Offline');
    assert.equal(await callButton.isDisabled(), true, 'Call is disabled while offline');

    // A wrong password is refused in words and changes nothing.
    await agent.page.getByLabel('Password').fill('not the password');
    await agent.page.getByRole('button', { name: 'Sign in' }).click();
    await agent.page.getByRole('alert').filter({ hasText: 'Wrong password' }).waitFor();
    await waitForStatus(caller.page, 'Offline');

    // Signing in works from the keyboard alone: type, Enter.
    await agent.page.getByLabel('Password').fill(FRONT_DESK.password);
    await agent.page.getByLabel('Password').press('Enter');
    await agent.page.getByRole('button', { name: 'Sign out' }).waitFor();
    await waitForStatus(caller.page, 'Ready');
    assert.equal(await callButton.isEnabled(), true, 'Call is enabled while ready');

    await agent.page.getByRole('button', { name: 'Sign out' }).click();
    await agent.page.getByRole('button', { name: 'Sign in' }).waitFor();
    await waitForStatus(caller.page, 'Offline');
    assert.equal(await callButton.isDisabled(), true);
    assert.equal(await agent.page.getByLabel('Password').inputValue(), '', 'the password field is cleared');
    assert.deepEqual(errors, []);
  });

  test('a call relayed through a real TURN server (coturn, ?relay=1)', async (t) => {
    const scope = new Scope();
    const turn = await startTurnServer();
    scope.defer(() => turn.close());
    const { server, errors } = await stage(t, { turnSecret: turn.secret, turnUrls: [turn.url] }, scope);
    const agent = await open(scope, server.agentUrl(FRONT_DESK.id, '?relay=1'), errors);
    const caller = await open(scope, server.callerUrl(FRONT_DESK.id, '?relay=1'), errors);
    await signIn(agent.page, FRONT_DESK.password);

    try {
      await connectCall(caller.page, agent.page, 'Relay');
      await assertReceivingMedia(agent.page, 'agent');
      await assertReceivingMedia(caller.page, 'caller');
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- coturn log ---\n${turn.log().slice(-4000)}`);
    }
    for (const [label, page] of [
      ['agent', agent.page],
      ['caller', caller.page],
    ] as const) {
      const pair = await eventually(
        () => selectedPair(page),
        (value) => value !== null,
        SHORT,
        `${label}: no pair`,
      );
      assert.equal(pair?.localType, 'relay', `${label}: selected pair ${JSON.stringify(pair)}`);
      assert.equal(pair?.remoteType, 'relay', `${label}: selected pair ${JSON.stringify(pair)}`);
    }
    assert.deepEqual(errors, []);
  });

  test('after the server restarts mid-call, the pages reconnect, the call and its media go on, and the agent re-registers', async (t) => {
    const { scope, server, errors } = await stage(t);
    const agent = await open(scope, server.agentUrl(FRONT_DESK.id), errors);
    const caller = await open(scope, server.callerUrl(FRONT_DESK.id), errors);
    await signIn(agent.page, FRONT_DESK.password);
    await connectCall(caller.page, agent.page, 'Cleo');

    const restarted = server.restart(1500);
    await agent.page.locator('#connection-banner', { hasText: 'Reconnecting…' }).waitFor();
    await caller.page.locator('#connection-banner', { hasText: 'Reconnecting…' }).waitFor();
    await agent.page.locator('#agent-status', { hasText: 'Reconnecting…' }).waitFor();
    // Signalling is gone, the media is not: nothing ends, and the media flows browser to browser.
    await assertReceivingMedia(caller.page, 'caller, server down');
    await assertReceivingMedia(agent.page, 'agent, server down');
    await caller.page.getByRole('button', { name: 'Hang up' }).waitFor();
    await agent.page.getByRole('button', { name: 'Hang up' }).waitFor();
    await screenshot(caller.page, 'caller-6-reconnecting-in-call');
    await screenshot(agent.page, 'agent-6-reconnecting-in-call');
    await restarted;

    // The restarted process knows neither peer (resumed: false): still in the call, media still flowing,
    // and the console registers again by itself, so the extension is ready again (the caller's pill says
    // its call meanwhile, and Ready once it is over).
    await caller.page.locator('#extension-status', { hasText: /^In a call$/ }).waitFor({ timeout: 15_000 });
    await agent.page.locator('#agent-status', { hasText: 'In a call' }).waitFor({ timeout: 15_000 });
    await agent.page.locator('#connection-banner').waitFor({ state: 'hidden' });
    await caller.page.locator('#connection-banner').waitFor({ state: 'hidden' });
    await assertReceivingMedia(caller.page, 'caller, after the restart');
    await assertReceivingMedia(agent.page, 'agent, after the restart');
    assert.equal(await caller.page.getByRole('heading', { name: 'Connection lost' }).count(), 0);

    // Both sides can still hang up (the server no longer knows the call; the data channel, when the other
    // side has one, tells it, else it hangs up itself).
    await caller.page.getByRole('button', { name: 'Hang up' }).click();
    await caller.page.getByRole('heading', { name: 'Call ended' }).waitFor();
    await waitForStatus(caller.page, 'Ready', 15_000);
    const agentHangUp = agent.page.getByRole('button', { name: 'Hang up' });
    await agentHangUp.click({ timeout: 2_000 }).catch(() => undefined);
    await agent.page.locator('#agent-status', { hasText: 'Signed in' }).waitFor();

    // And calls work again on the new server.
    await caller.page.getByRole('button', { name: 'Call again' }).click();
    await answerButton(agent.page, 'Cleo').click();
    await Promise.all([firstRemoteFrameAt(agent.page, MEDIA), firstRemoteFrameAt(caller.page, MEDIA)]);
    assert.deepEqual(
      errors.filter((error) => !/WebSocket/i.test(error)),
      [],
      'no page errors (a failed WebSocket while the server is down is logged by Chromium itself)',
    );
  });

  test('screenshots of every state, desktop and phone', async (t) => {
    const { scope, server, errors } = await stage(t);
    const shots: string[] = [];
    const shoot = async (opened: OpenedPage, name: string) => shots.push(await screenshot(opened.page, name));

    const caller = await open(scope, server.callerUrl(FRONT_DESK.id), errors);
    const agent = await open(scope, server.agentUrl(FRONT_DESK.id), errors);
    await waitForStatus(caller.page, 'Offline');
    await shoot(caller, 'caller-1-offline');
    await shoot(agent, 'agent-1-signed-out');
    await signIn(agent.page, FRONT_DESK.password);
    await waitForStatus(caller.page, 'Ready');
    await shoot(agent, 'agent-2-signed-in');
    await caller.page.getByLabel('Your name').fill('Ann Lee');
    await shoot(caller, 'caller-2-ready');
    await placeCall(caller.page);
    await answerButton(agent.page, 'Ann Lee').waitFor();
    await shoot(caller, 'caller-3-ringing');
    await shoot(agent, 'agent-3-ringing');
    await answerButton(agent.page, 'Ann Lee').click();
    await Promise.all([firstRemoteFrameAt(agent.page, MEDIA), firstRemoteFrameAt(caller.page, MEDIA)]);
    await shoot(caller, 'caller-4-in-call');
    await shoot(agent, 'agent-4-in-call');
    await agent.page.getByRole('button', { name: 'Hang up' }).click();
    await caller.page.getByText('The person you called hung up.').waitFor();
    await shoot(caller, 'caller-5-ended');
    await shoot(agent, 'agent-5-call-ended');

    // Phone width: a second visitor and agent console on a 390×844 screen.
    const phone = { width: 390, height: 844 };
    const phoneCaller = await open(scope, server.callerUrl(FRONT_DESK.id), errors, phone);
    const phoneAgent = await open(scope, server.agentUrl(FRONT_DESK.id), errors, phone);
    await shoot(phoneAgent, 'phone-agent-1-signed-out');
    await signIn(phoneAgent.page, FRONT_DESK.password);
    await waitForStatus(phoneCaller.page, 'Ready');
    await shoot(phoneCaller, 'phone-caller-1-ready');
    await placeCall(phoneCaller.page, 'Mobile visitor');
    await answerButton(phoneAgent.page, 'Mobile visitor').waitFor();
    await shoot(phoneCaller, 'phone-caller-2-ringing');
    await shoot(phoneAgent, 'phone-agent-2-ringing');
    await answerButton(phoneAgent.page, 'Mobile visitor').click();
    await Promise.all([
      firstRemoteFrameAt(phoneAgent.page, MEDIA),
      firstRemoteFrameAt(phoneCaller.page, MEDIA),
    ]);
    await shoot(phoneCaller, 'phone-caller-3-in-call');
    await shoot(phoneAgent, 'phone-agent-3-in-call');
    await phoneCaller.page.getByRole('button', { name: 'Hang up' }).click();
    await phoneCaller.page.getByRole('heading', { name: 'Call ended' }).waitFor();
    await shoot(phoneCaller, 'phone-caller-4-ended');

    // An unknown extension: the server's 404 page.
    // Chromium logs the document's own 404 as a console error; those pages get their own list.
    const notFoundErrors: string[] = [];
    const notFound = await open(scope, `${server.url}/ext/no-such-extension`, notFoundErrors);
    assert.equal(await notFound.page.title(), 'Extension not found');
    await shoot(notFound, 'not-found');
    const phoneNotFound = await open(scope, `${server.url}/ext/no-such-extension`, notFoundErrors, phone);
    await shoot(phoneNotFound, 'phone-not-found');

    console.log(`screenshots:\n${shots.map((path) => `  ${path}`).join('\n')}`);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      notFoundErrors.filter((error) => !/status of 404/.test(error)),
      [],
      'the 404 page loads its styles under the CSP',
    );
  });
});
