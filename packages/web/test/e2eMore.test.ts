/**
 * More end-to-end tests (a file of its own, so each stays well inside the runner's per-file timeout) of the web app in real headless Chromium against the real server: the caller page and
 * the agent console as built by Vite (`npm run build -w @pbx-peers/web`), served by the server's routes,
 * with real WebRTC media between two browser contexts (fake camera and microphone), and a real coturn for
 * the relayed call.
 *
 * Every test owns its server, store and browser contexts; one Chromium process is shared. Every wait is
 * bounded (SHORT for UI, MEDIA for media to flow).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { screenshot } from './support/artifacts.js';
import { connectCall, FRONT_DESK, open, stage, useOneChromium } from './support/e2eStage.js';
import { assertReceivingMedia } from './support/media.js';
import { eventually, firstRemoteFrameAt, inboundCounts, selectedPair } from './support/pageProbes.js';
import {
  answerButton,
  MEDIA,
  type OpenedPage,
  placeCall,
  SHORT,
  signIn,
  waitForStatus,
} from './support/pages.js';
import { Scope } from './support/Scope.js';
import { startTurnServer } from './support/turnServer.js';

useOneChromium();

describe('the web app in Chromium, continued', () => {
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
