/**
 * The call's data channel in real headless Chromium (issue 9): what one side's camera and microphone
 * switches show on the other side, the in-call chat both ways, a hang-up that arrives with the signalling
 * connection stalled, and an ICE restart negotiated over the data channel alone. The pages load through a
 * proxy that can stall (test/support/stallingProxy.ts): their WebSockets stay open but nothing gets through,
 * while the browsers' media, which does not go through it, carries on.
 *
 * Needs the built web app (`npm run -s build`), /usr/bin/chromium; every wait is bounded.
 */
import assert from 'node:assert/strict';
import { after, before, describe, type TestContext, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { initials } from '../src/shared/initials.js';
import { screenshot } from './support/artifacts.js';
import { launchChromium } from './support/chromium.js';
import { iceCredentials, marks, waitForChannel, waitForMark } from './support/inCallProbes.js';
import { assertReceivingMedia } from './support/media.js';
import { eventually, firstRemoteFrameAt, inboundCounts } from './support/pageProbes.js';
import { answerButton, MEDIA, openPage, placeCall, SHORT, signIn } from './support/pages.js';
import { Scope } from './support/Scope.js';
import { startStallingProxy } from './support/stallingProxy.js';
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
 * A server for FRONT_DESK and, in front of it, a stalling proxy; an agent console signed in and a caller
 * page, both loaded through the proxy, in a call as `callerName` with media flowing and the data channel
 * open on both sides.
 */
async function callThroughProxy(t: TestContext, callerName: string) {
  const scope = new Scope();
  t.after(() => scope.close());
  const server = await startWebServer([FRONT_DESK]);
  scope.defer(() => server.close());
  const proxy = await startStallingProxy(server.port);
  scope.defer(() => proxy.close());
  const errors: string[] = [];
  const open = async (path: string) => {
    const opened = await openPage(browser, `${proxy.url}${path}`, errors);
    scope.defer(() => opened.context.close());
    return opened.page;
  };
  const agent = await open(`/ext/${FRONT_DESK.id}/agent`);
  const caller = await open(`/ext/${FRONT_DESK.id}`);
  await signIn(agent, FRONT_DESK.password);
  await placeCall(caller, callerName);
  await answerButton(agent, callerName).click();
  await Promise.all([firstRemoteFrameAt(agent, MEDIA), firstRemoteFrameAt(caller, MEDIA)]);
  await waitForChannel(caller, MEDIA, 'caller');
  await waitForChannel(agent, MEDIA, 'agent');
  return { scope, server, proxy, errors, agent, caller };
}

/** The other party's stage on `page`: what it shows instead of, or over, the remote video. */
function stage(page: Page) {
  return {
    root: page.locator('.stage'),
    placeholder: page.locator('.stage-placeholder'),
    avatar: page.locator('.stage-placeholder .avatar'),
    note: page.locator('.stage-note'),
    muted: page.locator('.stage-muted'),
  };
}

/** Waits until `page` shows the other party's camera as off (placeholder with initials) or on (video). */
async function waitForRemoteCamera(page: Page, state: 'off' | 'on'): Promise<void> {
  await page.locator(`.stage[data-remote-camera="${state}"]`).waitFor({ timeout: SHORT });
}

/** Opens the chat from its control (checking it says it is closed first). */
async function openChat(page: Page, unread: number): Promise<void> {
  const name = unread > 0 ? `Open chat, ${unread} unread` : 'Open chat';
  const button = page.getByRole('button', { name, exact: true });
  await button.waitFor({ timeout: SHORT });
  assert.equal(await button.getAttribute('aria-expanded'), 'false');
  await button.click();
  await page.getByRole('region', { name: /^Chat with / }).waitFor({ timeout: SHORT });
  assert.equal(
    await page.getByRole('button', { name: 'Close chat', exact: true }).getAttribute('aria-expanded'),
    'true',
  );
}

/** The chat messages shown on `page`, as "author: text". */
async function chatLines(page: Page): Promise<string[]> {
  return page
    .locator('.chat-message')
    .evaluateAll((items) =>
      items.map(
        (item) =>
          `${item.querySelector('.chat-author')?.textContent ?? ''}: ${item.querySelector('.chat-text')?.textContent ?? ''}`,
      ),
    );
}

describe('in-call controls over the data channel (Chromium)', () => {
  test('camera off shows the initials on the other side, mute shows a badge, and the chat works both ways', async (t) => {
    const { agent, caller, errors } = await callThroughProxy(t, 'Ann Lee');
    const onAgent = stage(agent);
    const onCaller = stage(caller);
    await waitForRemoteCamera(agent, 'on');
    await waitForRemoteCamera(caller, 'on');
    assert.equal(await onAgent.muted.isVisible(), false);

    // The caller turns the camera off: the agent sees Ann Lee's initials and "Camera off", no black box.
    await caller.getByRole('button', { name: 'Turn camera off' }).click();
    await waitForRemoteCamera(agent, 'off');
    await onAgent.placeholder.waitFor({ state: 'visible' });
    assert.equal(await onAgent.avatar.textContent(), 'AL');
    assert.equal(await onAgent.note.textContent(), 'Camera off');
    assert.equal(
      await agent
        .locator('video[aria-label="Remote video"]')
        .evaluate((video) => getComputedStyle(video).opacity),
      '0',
      'the (black) remote video is not shown',
    );
    // Its audio still plays: the element is only transparent, and audio packets still arrive.
    const audioBefore = (await inboundCounts(agent))?.audioPackets ?? 0;
    await eventually(
      () => inboundCounts(agent),
      (counts) => (counts?.audioPackets ?? 0) > audioBefore + 10,
      SHORT,
      'the agent still hears the caller',
    );
    assert.equal(
      await agent
        .locator('video[aria-label="Remote video"]')
        .evaluate((video) => (video as HTMLVideoElement).paused),
      false,
    );

    // Muted: a badge by the name on the agent's side.
    await caller.getByRole('button', { name: 'Mute microphone' }).click();
    await onAgent.muted.waitFor({ state: 'visible' });
    assert.equal((await onAgent.muted.textContent())?.trim(), 'Muted');
    await screenshot(agent, 'agent-9-caller-camera-off-muted');

    // Back on: the video returns, the badge goes.
    await caller.getByRole('button', { name: 'Unmute microphone' }).click();
    await caller.getByRole('button', { name: 'Turn camera on' }).click();
    await waitForRemoteCamera(agent, 'on');
    await onAgent.muted.waitFor({ state: 'hidden' });
    assert.equal(await onAgent.placeholder.isVisible(), false);

    // The other way: the agent's camera off shows the caller the initials of whom they talk to.
    await agent.getByRole('button', { name: 'Turn camera off' }).click();
    await agent.getByRole('button', { name: 'Mute microphone' }).click();
    await waitForRemoteCamera(caller, 'off');
    await onCaller.muted.waitFor({ state: 'visible' });
    const peerName = ((await caller.locator('section.call').getAttribute('aria-label')) ?? '').replace(
      /^Call with /,
      '',
    );
    assert.equal(await onCaller.avatar.textContent(), initials(peerName));
    assert.equal(await onCaller.note.textContent(), 'Camera off');
    await screenshot(caller, 'caller-9-agent-camera-off-muted');

    // Chat, caller to agent: text only, markup shown as typed.
    await openChat(caller, 0);
    const input = caller.getByRole('textbox', { name: 'Message' });
    assert.equal(await input.evaluate((element) => element === document.activeElement), true, 'focus is in');
    const hello = 'Hello <b>there</b> & welcome';
    await input.fill(hello);
    await input.press('Enter');
    assert.equal(await input.inputValue(), '', 'sent and cleared');
    await eventually(
      () => chatLines(caller),
      (lines) => lines.length === 1,
      SHORT,
      'the caller sees its own message',
    );
    // The agent's panel is closed: the Chat control counts the unread message.
    await openChat(agent, 1);
    await eventually(
      () => chatLines(agent),
      (lines) => lines.join('\n') === `Ann Lee: ${hello}`,
      SHORT,
      'the agent got the message',
    );
    assert.equal(await agent.locator('.chat-log b').count(), 0, 'never parsed as HTML');

    // Agent to caller, from the keyboard alone: the input has the focus after opening.
    await agent.keyboard.type('Hi Ann, how can I help?');
    await agent.keyboard.press('Enter');
    await eventually(
      () => chatLines(caller),
      (lines) => lines.at(-1)?.endsWith(': Hi Ann, how can I help?') === true && lines.length === 2,
      SHORT,
      'the caller got the reply',
    );
    assert.equal((await chatLines(caller))[0], `You: ${hello}`);
    // An empty message is refused in words; too long cannot be typed (maxlength), and Escape closes.
    await agent.keyboard.press('Enter');
    await agent.getByRole('alert').filter({ hasText: 'Type a message first.' }).waitFor();
    assert.equal(await agent.getByRole('textbox', { name: 'Message' }).getAttribute('maxlength'), '500');
    await screenshot(caller, 'caller-10-chat');
    await agent.keyboard.press('Escape');
    await agent.getByRole('region', { name: /^Chat with / }).waitFor({ state: 'hidden' });
    assert.equal(
      await agent
        .getByRole('button', { name: 'Open chat', exact: true })
        .evaluate((element) => element === document.activeElement),
      true,
      'focus back on the Chat control',
    );

    // A muted microphone and a camera turned off still send (silence, black frames): no path looked broken.
    assert.deepEqual(await marks(caller, 'ice:'), [], 'the caller never restarted ICE');
    assert.deepEqual(await marks(agent, 'ice:'), []);
    await caller.getByRole('button', { name: 'Hang up' }).click();
    await agent.getByText('The caller hung up.').waitFor();
    assert.deepEqual(errors, []);
  });

  test('with the signalling connection stalled, a hang-up over the data channel ends the call on both pages', async (t) => {
    const { agent, caller, proxy, errors } = await callThroughProxy(t, 'Hal');
    proxy.stall();
    const stalledAt = Date.now();
    await caller.getByRole('button', { name: 'Hang up' }).click();
    await caller.getByRole('heading', { name: 'Call ended' }).waitFor();
    await caller.getByText('You hung up.').waitFor();
    await agent.getByText('The caller hung up.').waitFor({ timeout: SHORT });
    const received = await waitForMark(agent, 'channel:hangup-received', stalledAt, SHORT, 'agent');
    console.log(
      `data-channel hang-up reached the agent ${Math.round(received.at - stalledAt)} ms after the stall`,
    );
    await eventually(
      () => inboundCounts(agent),
      (counts) => counts === null,
      SHORT,
      'the agent closed its RTCPeerConnection',
    );
    assert.equal(await inboundCounts(caller), null, 'the caller closed its RTCPeerConnection');
    assert.equal(await agent.locator('#agent-status').textContent(), 'Signed in');
    assert.deepEqual(errors, []);
  });

  test('after a single-process server restart (new peers, the call unknown to the server), hang-up still ends both pages', async (t) => {
    const { agent, caller, server, errors } = await callThroughProxy(t, 'Rex');
    await server.restart(500);
    // Both pages are back as new peers; the call lives on browser to browser.
    await agent.locator('#agent-status', { hasText: 'In a call' }).waitFor({ timeout: 15_000 });
    await caller.locator('#connection-banner').waitFor({ state: 'hidden', timeout: 15_000 });
    await assertReceivingMedia(agent, 'agent after the restart');
    const since = Date.now();
    await agent.getByRole('button', { name: 'Hang up' }).click();
    await agent.getByText('You hung up.').waitFor();
    // No `disconnected` can come from the server (it never knew this call): the data channel said it.
    await caller.getByText('The person you called hung up.').waitFor({ timeout: SHORT });
    await waitForMark(caller, 'channel:hangup-received', since, SHORT, 'caller');
    assert.equal(await inboundCounts(caller), null, 'the caller closed its RTCPeerConnection');
    assert.deepEqual(
      errors.filter((error) => !/WebSocket/i.test(error)),
      [],
      'no page errors (a failed WebSocket while the server is down is logged by Chromium itself)',
    );
  });

  test('with the signalling connection stalled, an ICE restart is negotiated over the data channel', async (t) => {
    const { agent, caller, proxy, errors } = await callThroughProxy(t, 'Ivy');
    const before = {
      caller: await iceCredentials(caller),
      agent: await iceCredentials(agent),
    };
    assert.ok(before.caller?.local && before.caller.remote && before.agent?.local && before.agent.remote);
    proxy.stall();
    const since = Date.now();
    await caller.evaluate(() => {
      (window as unknown as { __pbxTest: { restartIce: () => void } }).__pbxTest.restartIce();
    });
    // New ICE credentials on both sides: a new negotiation happened, and only the data channel carried it.
    const after = await eventually(
      async () => ({ caller: await iceCredentials(caller), agent: await iceCredentials(agent) }),
      (now) =>
        now.caller?.local !== before.caller?.local &&
        now.caller?.remote !== before.caller?.remote &&
        now.agent?.local === now.caller?.remote &&
        now.agent?.remote === now.caller?.local,
      MEDIA,
      'the restart did not complete',
    );
    assert.equal(after.caller?.connectionState, 'connected');
    assert.ok((await marks(agent, 'channel:signal-received')).some((entry) => entry.at >= since));
    assert.ok((await marks(caller, 'pc:restart-offer-1')).length === 1);
    await assertReceivingMedia(agent, 'agent after the restart');
    await assertReceivingMedia(caller, 'caller after the restart');

    // And the agent's hang-up still reaches the caller that way.
    await agent.getByRole('button', { name: 'Hang up' }).click();
    await caller.getByText('The person you called hung up.').waitFor();
    assert.deepEqual(errors, []);
  });
});
