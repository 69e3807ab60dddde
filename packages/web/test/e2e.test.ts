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
import { describe, test } from 'node:test';
import { writeArtifact } from './support/artifacts.js';
import {
  AGENT_STANDING_BY,
  CALLER_PREPARED,
  FRONT_DESK,
  NOTHING_HELD,
  open,
  sharedBrowser,
  stage,
  useOneChromium,
  waitForHeld,
} from './support/e2eStage.js';
import { assertReceivingMedia } from './support/media.js';
import {
  firstRemoteFrameAt,
  inboundCounts,
  mergedTimeline,
  RECORD_DEVICES,
  timeline,
} from './support/pageProbes.js';
import { answerButton, MEDIA, placeCall, signIn, waitForStatus } from './support/pages.js';

useOneChromium();

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
      browser: `Chromium ${sharedBrowser().version()}`,
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
});
