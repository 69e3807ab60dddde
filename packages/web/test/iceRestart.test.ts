/**
 * ICE restart end to end in real headless Chromium (issue 9): a call relayed through a real coturn
 * (`?relay=1`, so the TURN relay is the only media path) whose TURN server is stopped mid-call, which
 * breaks the media path, and started again on the same port with the same secret (the credentials the
 * pages hold stay valid, their allocations are gone): the old path is dead and a new one is there to be
 * found, as after a network change. The caller notices (its transport receives nothing for 2 s, or ICE
 * says disconnected), restarts ICE, the agent answers, both gather new relay candidates and the media
 * flows again, in the same call. Prints how long the remote video stood still on each side, from the break to its first
 * frame decoded again (Chromium's `currentTime` of a live stream moves on with the clock even while no
 * frame arrives, so frames are counted instead), and writes it to test-artifacts/ice-restart-timings.json.
 *
 * Needs the built web app, /usr/bin/chromium and /usr/bin/turnserver; every wait is bounded.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ICE_RESTART_DEFAULTS } from '../src/shared/IceRestartPolicy.js';
import { writeArtifact } from './support/artifacts.js';
import { launchChromium } from './support/chromium.js';
import {
  iceCredentials,
  longestStall,
  marks,
  recordVideoAdvances,
  videoMovesAgain,
  waitForChannel,
  waitForMark,
} from './support/inCallProbes.js';
import { assertReceivingMedia } from './support/media.js';
import { eventually, firstRemoteFrameAt, selectedPair } from './support/pageProbes.js';
import { answerButton, MEDIA, openPage, placeCall, SHORT, signIn } from './support/pages.js';
import { Scope } from './support/Scope.js';
import { startTurnServer, type TurnServer } from './support/turnServer.js';
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

async function assertRelayed(page: Page, label: string): Promise<string> {
  const pair = await eventually(
    () => selectedPair(page),
    (value) => value !== null && value.localType === 'relay',
    MEDIA,
    `${label}: no relayed pair`,
  );
  return `${pair?.localAddress} -> ${pair?.remoteAddress}`;
}

describe('ICE restart (Chromium, coturn)', () => {
  test('the TURN relay stops mid-call and comes back: the caller restarts ICE and the call goes on', async (t) => {
    const scope = new Scope();
    t.after(() => scope.close());
    let turn: TurnServer = await startTurnServer();
    scope.defer(() => turn.close());
    const server = await startWebServer([FRONT_DESK], { turnSecret: turn.secret, turnUrls: [turn.url] });
    scope.defer(() => server.close());
    const errors: string[] = [];
    const open = async (url: string) => {
      const opened = await openPage(browser, url, errors);
      scope.defer(() => opened.context.close());
      return opened.page;
    };
    const agent = await open(server.agentUrl(FRONT_DESK.id, '?relay=1'));
    const caller = await open(server.callerUrl(FRONT_DESK.id, '?relay=1'));
    await signIn(agent, FRONT_DESK.password);
    await placeCall(caller, 'Rita');
    await answerButton(agent, 'Rita').click();
    const logs = () => `\n--- coturn log ---\n${turn.log().slice(-3000)}`;
    try {
      await Promise.all([firstRemoteFrameAt(agent, MEDIA), firstRemoteFrameAt(caller, MEDIA)]);
      await waitForChannel(caller, MEDIA, 'caller');
      await assertReceivingMedia(agent, 'agent');
      await assertReceivingMedia(caller, 'caller');
    } catch (error) {
      throw new Error(`${(error as Error).message}${logs()}`);
    }
    const pairsBefore = {
      caller: await assertRelayed(caller, 'caller'),
      agent: await assertRelayed(agent, 'agent'),
    };
    const before = { caller: await iceCredentials(caller), agent: await iceCredentials(agent) };
    await recordVideoAdvances(caller);
    await recordVideoAdvances(agent);
    await new Promise((resolve) => setTimeout(resolve, 500)); // some frames before the break

    // The break: the relay, the only path, goes away.
    const { port, secret } = turn;
    const breakAt = Date.now();
    await turn.close();
    // The relay comes back at once (a restarted coturn, its allocations gone): only a restart finds a path.
    turn = await startTurnServer({ port, secret });
    const turnBackAt = Date.now();
    try {
      const restarted = await waitForMark(caller, 'ice:restart-', breakAt, MEDIA, 'caller');
      const recovered = await waitForMark(caller, 'ice:recovered', breakAt, MEDIA * 2, 'caller');
      const after = await eventually(
        async () => ({ caller: await iceCredentials(caller), agent: await iceCredentials(agent) }),
        (now) =>
          now.caller?.local !== before.caller?.local &&
          now.agent?.local !== before.agent?.local &&
          now.agent?.remote === now.caller?.local &&
          now.caller?.remote === now.agent?.local,
        SHORT,
        'no new ICE negotiation',
      );
      assert.equal(after.caller?.connectionState, 'connected');
      await assertReceivingMedia(agent, 'agent after the restart');
      await assertReceivingMedia(caller, 'caller after the restart');
      const pairsAfter = {
        caller: await assertRelayed(caller, 'caller'),
        agent: await assertRelayed(agent, 'agent'),
      };
      assert.notEqual(pairsAfter.caller, pairsBefore.caller, 'a new relayed pair');

      // The picture moves again once frames are decoded after the outage (which needs a key frame).
      const stalls = {
        caller: await videoMovesAgain(caller, breakAt, restarted.at, MEDIA),
        agent: await videoMovesAgain(agent, breakAt, restarted.at, MEDIA),
      };
      const clockGaps = {
        caller: (await longestStall(caller, breakAt, 'advances'))?.gapMs,
        agent: (await longestStall(agent, breakAt, 'advances'))?.gapMs,
      };
      const restarts = (await marks(caller, 'ice:restart-')).filter((entry) => entry.at >= breakAt);
      const timings = {
        measuredAt: new Date().toISOString(),
        browser: `Chromium ${browser.version()}`,
        stallFromBreakMs: { caller: stalls.caller.fromBreakMs, agent: stalls.agent.fromBreakMs },
        frozenMs: { caller: stalls.caller.gapMs, agent: stalls.agent.gapMs },
        currentTimeLongestGapMs: clockGaps,
        afterBreakMs: {
          turnServerBack: turnBackAt - breakAt,
          firstRestart: Math.round(restarted.at - breakAt),
          callerRecovered: Math.round(recovered.at - breakAt),
        },
        restarts: restarts.map((entry) => entry.name),
        policy: ICE_RESTART_DEFAULTS,
        pairs: { before: pairsBefore, after: pairsAfter },
        note: "Relay-only call through coturn, which is stopped (the break) and started again at once on the same port and secret (its allocations gone). Stall: from the break to the first remote video frame decoded after the outage (getVideoPlaybackQuality().totalVideoFrames, polled every 10 ms in each page); frozen: the longest time between two decoded frames. Chromium moves a live stream's currentTime on with the clock while no media arrives (currentTimeLongestGapMs), so it cannot show the stall.",
      };
      console.log(
        `ice-restart stall (break to the remote video moving again): caller=${timings.stallFromBreakMs.caller}ms agent=${timings.stallFromBreakMs.agent}ms ` +
          `(frozen ${timings.frozenMs.caller}/${timings.frozenMs.agent}ms); after the break: TURN server back +${timings.afterBreakMs.turnServerBack}ms, ` +
          `restart +${timings.afterBreakMs.firstRestart}ms, ICE connected again +${timings.afterBreakMs.callerRecovered}ms; restarts: ${timings.restarts.join(' ')}`,
      );
      await writeArtifact('ice-restart-timings.json', timings);
    } catch (error) {
      throw new Error(`${(error as Error).message}${logs()}`);
    }

    // Still one call: no "call ended" anywhere, and hanging up works as usual.
    assert.equal(await caller.getByRole('heading', { name: 'Call ended' }).count(), 0);
    assert.equal(await agent.locator('#agent-status').textContent(), 'In a call');
    await caller.getByRole('button', { name: 'Hang up' }).click();
    await agent.getByText('The caller hung up.').waitFor();
    assert.deepEqual(errors, []);
  });
});
