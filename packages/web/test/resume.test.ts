/**
 * Chromium: a page's signalling connection cut by the network (a TCP reset through a proxy, no close frame)
 * comes back as the same peer (protocol 1.1 resume) and nothing of the call is lost: not the call, not its
 * media, not a ringing call in the agent's queue.
 */
import assert from 'node:assert/strict';
import { after, before, describe, type TestContext, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { writeArtifact } from './support/artifacts.js';
import { launchChromium } from './support/chromium.js';
import { startCuttingProxy } from './support/cuttingProxy.js';
import { assertReceivingMedia } from './support/media.js';
import { eventually, firstRemoteFrameAt, remoteVideo, timeline } from './support/pageProbes.js';
import { answerButton, MEDIA, openPage, placeCall, SHORT, signIn } from './support/pages.js';
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

/** A server, a proxy in front of it for the agent console (signed in as Alice), and a caller page. */
async function stage(t: TestContext) {
  const cleanups: (() => Promise<unknown>)[] = [];
  t.after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });
  const server = await startWebServer([FRONT_DESK]);
  cleanups.push(() => server.close());
  const proxy = await startCuttingProxy(server.port);
  cleanups.push(() => proxy.close());
  const errors: string[] = [];
  const open = async (url: string) => {
    const opened = await openPage(browser, url, errors);
    cleanups.push(() => opened.context.close());
    return opened.page;
  };
  const agent = await open(`${proxy.url}/ext/${FRONT_DESK.id}/agent`);
  const caller = await open(server.callerUrl(FRONT_DESK.id));
  await agent.getByLabel('Your name').fill('Alice');
  await signIn(agent, FRONT_DESK.password);
  return { proxy, agent, caller, errors };
}

/** Waits for the page's connection to come back after `since`, and says how (`resumed`, `replaced`). */
async function cameBack(page: Page, since: number): Promise<{ how: string; afterMs: number }> {
  const marks = await eventually(
    () => timeline(page, since),
    (entries) => entries.some((entry) => /^connection:(resumed|replaced|new)$/.test(entry.name)),
    SHORT,
    'the connection did not come back',
  );
  const back = marks.find(
    (entry) => entry.name.startsWith('connection:') && entry.name !== 'connection:dropped',
  );
  assert.ok(back !== undefined);
  return { how: back.name.slice('connection:'.length), afterMs: Math.round(back.at - since) };
}

/**
 * The longest time the remote video's `currentTime` stood still on `page` while sampled every 50 ms for
 * `forMs`: how long the media was interrupted.
 */
async function longestVideoStall(page: Page, forMs: number): Promise<number> {
  let last = (await remoteVideo(page))?.currentTime ?? 0;
  let lastMovedAt = Date.now();
  let longest = 0;
  const end = Date.now() + forMs;
  while (Date.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = (await remoteVideo(page))?.currentTime ?? 0;
    if (now > last) {
      longest = Math.max(longest, Date.now() - lastMovedAt);
      lastMovedAt = Date.now();
      last = now;
    }
  }
  return Math.max(longest, Date.now() - lastMovedAt);
}

describe('resuming in Chromium', () => {
  test("the agent's WebSocket is cut mid-call: it resumes, the call and its media go on, and hang-up works", async (t) => {
    const { proxy, agent, caller, errors } = await stage(t);
    await placeCall(caller, 'Cleo');
    await answerButton(agent, 'Cleo').click();
    await Promise.all([firstRemoteFrameAt(agent, MEDIA), firstRemoteFrameAt(caller, MEDIA)]);
    await caller.locator('.stage-name', { hasText: 'Talking to Alice' }).waitFor();

    const cutAt = Date.now();
    const stalls = Promise.all([longestVideoStall(agent, 3_000), longestVideoStall(caller, 3_000)]);
    proxy.cut();
    const back = await cameBack(agent, cutAt);
    assert.equal(back.how, 'resumed', 'the same peer: the server kept it through the drop');
    const [agentStall, callerStall] = await stalls;
    await writeArtifact('resume-timings.json', {
      scenario: "agent's WebSocket cut mid-call (TCP reset through a proxy), resumed",
      resumedAfterMs: back.afterMs,
      longestRemoteVideoStallMs: { agent: agentStall, caller: callerStall },
    });
    console.log(
      `agent resumed ${back.afterMs} ms after the cut; longest remote video stall: agent ${agentStall} ms, caller ${callerStall} ms`,
    );

    // Nothing ended: both still in the call, media flowing, the agent signed in and in the call.
    await agent.locator('#connection-banner').waitFor({ state: 'hidden' });
    await agent.locator('#agent-status', { hasText: 'In a call' }).waitFor();
    await assertReceivingMedia(agent, 'agent after the resume');
    await assertReceivingMedia(caller, 'caller after the resume');
    for (const page of [agent, caller]) {
      assert.equal(
        await page.getByRole('heading', { name: /Call ended|Connection lost|Line dropped/ }).count(),
        0,
      );
      assert.equal(await page.locator('#notice:visible').count(), 0, 'no notice about the call ending');
    }

    // The server still holds the call: the agent's hang-up reaches the caller.
    await agent.getByRole('button', { name: 'Hang up' }).click();
    await caller.getByText('The person you called hung up.').waitFor();
    await agent.locator('#agent-status', { hasText: 'Signed in' }).waitFor();
    assert.deepEqual(errors, []);
  });

  test("the agent's WebSocket is cut while a call rings: the call stays in the queue and is answered after the resume", async (t) => {
    const { proxy, agent, caller, errors } = await stage(t);
    await placeCall(caller, 'Dora');
    await answerButton(agent, 'Dora').waitFor();

    const cutAt = Date.now();
    proxy.cut();
    assert.equal((await cameBack(agent, cutAt)).how, 'resumed');
    await answerButton(agent, 'Dora').waitFor();
    assert.equal(await agent.locator('#queue-count').textContent(), '1', 'the ringing call was not cleared');
    await agent.locator('#agent-status', { hasText: 'Signed in' }).waitFor();

    await answerButton(agent, 'Dora').click();
    await Promise.all([firstRemoteFrameAt(agent, MEDIA), firstRemoteFrameAt(caller, MEDIA)]);
    await caller.locator('.stage-name', { hasText: 'Talking to Alice' }).waitFor();
    await caller.getByRole('button', { name: 'Hang up' }).click();
    await agent.getByText('The caller hung up.').waitFor();
    assert.deepEqual(errors, []);
  });
});
