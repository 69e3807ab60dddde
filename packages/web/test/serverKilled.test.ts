/**
 * Chromium, issue 9 (b): the single server process, a real `pbx-peers serve` on SQLite, is killed with
 * kill -9 mid-call and started again on the same port. Its state is gone (both pages come back as new
 * peers), but the media goes browser to browser: it keeps flowing while the server is dead and after;
 * the pages say "Reconnecting…", never that the call ended; the console registers again; either side can
 * still hang up (over the call's data channel, since the new process knows no call) and both see the end;
 * the next call works. It records how long the remote video stood still, by the frames decoded, from the
 * kill until 5 s after the restart (test-artifacts/server-killed-timings.json).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { runCli } from '../../server/test/support/cliProcess.js';
import { type ClusterNode, freePort, startNode } from '../../server/test/support/serveNodes.js';
import { screenshot, writeArtifact } from './support/artifacts.js';
import { launchChromium } from './support/chromium.js';
import { longestStall, recordVideoAdvances, textsSeen, watchForTexts } from './support/inCallProbes.js';
import { assertReceivingMedia } from './support/media.js';
import { firstRemoteFrameAt } from './support/pageProbes.js';
import { answerButton, MEDIA, openPage, placeCall, signIn, waitForStatus } from './support/pages.js';
import { Scope } from './support/Scope.js';

const FRONT_DESK = { id: 'front-desk', name: 'Front desk', password: 'correct horse battery' };
const DOWN_MS = 1500;
/** The stall is measured from the kill until this long after the new process is listening. */
const MEASURE_AFTER_RESTART_MS = 5_000;
/** How long the frames are recorded before the kill, for the usual gap between two frames (`baseline`). */
const BASELINE_MS = 3_000;
/** What a page would say if it took the call for ended. */
const ENDED = ['Connection lost', 'Call ended', 'Line dropped', 'Call failed', 'so the call ended'];

let browser: Browser;

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

describe('a single server process killed with kill -9 mid-call (Chromium)', () => {
  test('the media keeps flowing, the pages come back, both can hang up and see the end, the next call works', async (t) => {
    const scope = new Scope();
    t.after(() => scope.close());
    const folder = await mkdtemp(join(tmpdir(), 'pbx-killed-'));
    scope.defer(() => rm(folder, { recursive: true, force: true }));
    const db = join(folder, 'pbx-peers.db');
    const added = await runCli([
      'extension',
      'add',
      FRONT_DESK.name,
      '--id',
      FRONT_DESK.id,
      '--password',
      FRONT_DESK.password,
      '--db',
      db,
    ]);
    assert.equal(added.code, 0, added.stderr);

    const port = await freePort();
    let server: ClusterNode | undefined;
    const serve = async () => {
      server = await startNode({
        port,
        db,
        args: ['--host', '127.0.0.1'],
        label: `pbx-peers serve --port ${port}`,
      });
    };
    scope.defer(() => server?.kill() ?? Promise.resolve());
    await serve();
    const url = `http://127.0.0.1:${port}`;
    const errors: string[] = [];
    const open = async (path: string) => {
      const opened = await openPage(browser, `${url}${path}`, errors);
      scope.defer(() => opened.context.close());
      return opened.page;
    };
    const agent = await open(`/ext/${FRONT_DESK.id}/agent`);
    const caller = await open(`/ext/${FRONT_DESK.id}`);
    await agent.getByLabel('Your name').fill('Alice');
    await signIn(agent, FRONT_DESK.password);
    await waitForStatus(caller, 'Ready');
    await placeCall(caller, 'Cleo');
    await answerButton(agent, 'Cleo').click();
    await Promise.all([firstRemoteFrameAt(agent, MEDIA), firstRemoteFrameAt(caller, MEDIA)]);
    for (const page of [agent, caller]) {
      await recordVideoAdvances(page);
      await watchForTexts(page, ENDED);
    }
    const recordingFrom = Date.now();
    await new Promise((resolve) => setTimeout(resolve, BASELINE_MS));

    const killedAt = Date.now();
    await server?.kill();
    server = undefined;
    for (const page of [agent, caller]) {
      await page.locator('#connection-banner', { hasText: 'Reconnecting…' }).waitFor({ timeout: 10_000 });
    }
    await assertReceivingMedia(caller, 'caller, server dead');
    await assertReceivingMedia(agent, 'agent, server dead');
    await screenshot(agent, 'agent-7-server-killed-in-call');
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, killedAt + DOWN_MS - Date.now())));
    const restartedAt = Date.now();
    await serve();
    const listeningAt = Date.now();

    // A new process: both pages are new peers there; the console registers again by itself.
    // The caller's pill says its call (not Ready) while the call is on.
    await caller.locator('#extension-status', { hasText: /^Talking to Alice$/ }).waitFor({ timeout: 20_000 });
    await agent.locator('#agent-status', { hasText: 'In a call' }).waitFor({ timeout: 20_000 });
    for (const page of [agent, caller]) {
      await page.locator('#connection-banner').waitFor({ state: 'hidden', timeout: 20_000 });
    }
    const backAfterMs = Date.now() - killedAt;
    await assertReceivingMedia(caller, 'caller, after the restart');
    await assertReceivingMedia(agent, 'agent, after the restart');
    const measuredUntil = listeningAt + MEASURE_AFTER_RESTART_MS;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, measuredUntil - Date.now())));
    for (const [label, page] of [
      ['agent', agent],
      ['caller', caller],
    ] as const) {
      assert.deepEqual(await textsSeen(page), {}, `${label}: the page said the call had ended`);
    }

    const stalls: Record<string, unknown> = {};
    for (const [label, page] of [
      ['agent', agent],
      ['caller', caller],
    ] as const) {
      const stall = await longestStall(page, killedAt, 'frames', measuredUntil);
      const baseline = await longestStall(page, recordingFrom, 'frames', killedAt);
      stalls[label] = { ...stall, baselineGapMs: baseline?.gapMs };
      t.diagnostic(
        `(b) ${label}: remote video's longest stall (decoded frames) from kill -9 to ${MEASURE_AFTER_RESTART_MS} ms after the restart: ${stall?.gapMs} ms (it ended ${stall?.fromBreakMs} ms after the kill); longest gap in the ${BASELINE_MS} ms before the kill: ${baseline?.gapMs} ms`,
      );
      assert.ok(stall !== null, `${label}: no frame decoded after the kill`);
      assert.ok(stall.gapMs < 1_000, `${label}: the video stood still ${stall.gapMs} ms`);
      assert.ok(
        (await longestStall(page, measuredUntil - 500, 'frames')) !== null,
        `${label}: no frame decoded in the last 500 ms of the measure`,
      );
    }
    t.diagnostic(
      `down ${restartedAt - killedAt} ms, listening again ${listeningAt - killedAt} ms and signalling back ${backAfterMs} ms after the kill`,
    );
    await writeArtifact('server-killed-timings.json', {
      scenario: 'single serve process killed with SIGKILL mid-call, started again on the same port and db',
      measuredBy: `longest gap between decoded remote video frames, from the kill until ${MEASURE_AFTER_RESTART_MS} ms after the restart; baselineGapMs: the same over the ${BASELINE_MS} ms before the kill`,
      downMs: restartedAt - killedAt,
      listeningAgainAfterMs: listeningAt - killedAt,
      signallingBackAfterMs: backAfterMs,
      stalls,
    });

    // The agent hangs up: the new process knows no call, so the data channel tells the caller.
    await agent.getByRole('button', { name: 'Hang up' }).click();
    await caller.getByRole('heading', { name: 'Call ended' }).waitFor({ timeout: 10_000 });
    await agent.locator('#agent-status', { hasText: 'Signed in' }).waitFor({ timeout: 10_000 });

    // And the next call works on the new process.
    await caller.getByRole('button', { name: 'Call again' }).click();
    await answerButton(agent, 'Cleo').click();
    await Promise.all([firstRemoteFrameAt(agent, MEDIA), firstRemoteFrameAt(caller, MEDIA)]);
    await caller.getByRole('button', { name: 'Hang up' }).click();
    await agent.getByText('The caller hung up.').waitFor({ timeout: 10_000 });
    assert.deepEqual(
      errors.filter((error) => !/WebSocket|ERR_CONNECTION_REFUSED/i.test(error)),
      [],
      'no page errors (failed WebSockets while the server is dead are logged by Chromium itself)',
    );
  });
});
