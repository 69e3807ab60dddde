import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { SwitchboardBackend } from '../../src/core/SwitchboardBackend.js';
import { delay } from '../support/delay.js';
import { FRONT } from '../support/extensions.js';
import { LaggingBackend } from '../support/LaggingBackend.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import type { WireClient, WireMessage } from '../support/WireClient.js';
import { isSessionEvent } from '../support/wireMatchers.js';

/** Protocol section 7: ordering, under concurrent load. */

const STORM_MS = 500;

/**
 * Checks what one agent saw of the calls. Each `registered` response opens a registration period and each
 * `deregister` response closes it. Within a period: only `ringing`, `claimed` and `abandoned` session
 * events (and `disconnected` as an answerer), `ringing` at most once per call, and `claimed`/`abandoned`
 * only after that call's `ringing` in the same period. Outside a period: no such events. Once every call
 * is over, every call heard ringing in the last period has ended.
 */
function assertCallEventsInOrder(label: string, history: WireMessage[]): void {
  let registered = false;
  let ringing = new Set<string>();
  let heard = new Set<string>();
  for (const message of history) {
    if (message.type === 'response') {
      if (message.request === 'register' && message.status === 'registered' && !registered) {
        registered = true;
        ringing = new Set();
        heard = new Set();
      } else if (message.request === 'deregister') {
        registered = false;
      }
      continue;
    }
    assert.equal(message.type, 'event', `${label}: unexpected ${JSON.stringify(message)}`);
    if (message.topic === 'extension') {
      // Readiness is for unregistered peers only (section 5), e.g. a `ready` caused by another agent
      // registering while this one's register was still being checked.
      assert.ok(!registered, `${label}: ${JSON.stringify(message)} while registered`);
      continue;
    }
    assert.equal(message.topic, 'session', `${label}: unexpected ${JSON.stringify(message)}`);
    const callId = message.callId as string;
    if (message.status === 'disconnected') continue; // as the answerer of a call
    assert.ok(registered, `${label}: ${JSON.stringify(message)} while not registered`);
    switch (message.status) {
      case 'ringing':
        assert.ok(!heard.has(callId), `${label}: ringing twice for ${callId}`);
        heard.add(callId);
        ringing.add(callId);
        break;
      case 'claimed':
      case 'abandoned':
        assert.ok(
          ringing.has(callId),
          `${label}: ${message.status} for ${callId} before (or without) its ringing`,
        );
        ringing.delete(callId);
        break;
      default:
        assert.fail(`${label}: unexpected ${JSON.stringify(message)}`);
    }
  }
  assert.ok(registered, `${label}: not registered at the end`);
  assert.deepEqual([...ringing], [], `${label}: calls heard ringing that never ended`);
}

/** The single-process backend, and the same behind network-like latency (as a networked backend would be). */
const BACKENDS: Array<[string, () => SwitchboardBackend | undefined]> = [
  ['the memory backend', () => undefined],
  ['a backend lagging a few milliseconds', () => new LaggingBackend({ seed: 7, unit: 'ms' })],
];

function optionalBackend(backend: SwitchboardBackend | undefined): { backend?: SwitchboardBackend } {
  return backend === undefined ? {} : { backend };
}

for (const [backendName, makeBackend] of BACKENDS) {
  describe(`§7 ordering under load, with ${backendName}`, () => {
    let ts: TestServer;
    beforeEach(async () => {
      ts = await startTestServer({
        extensions: [FRONT],
        ringTimeout: 0,
        messageRate: 1_000_000,
        messageBurst: 1_000_000,
        ...optionalBackend(makeBackend()),
      });
    });
    afterEach(() => ts.close());

    it('agents registering (and deregistering) while calls ring, are claimed and abandoned never see claimed or abandoned before ringing', async () => {
      const answerers = await Promise.all(
        [1, 2, 3].map((n) => ts.agent(FRONT.id, FRONT.password, `answerer ${n}`)),
      );
      const callers = await Promise.all(
        Array.from({ length: 8 }, (_, n) => ts.peer(FRONT.id, `caller ${n}`)),
      );
      const late = await Promise.all(
        Array.from({ length: 6 }, (_, n) => ts.peer(FRONT.id, `late agent ${n}`)),
      );

      let callersDone = false;
      let callsPlaced = 0;
      const deadline = Date.now() + STORM_MS;

      const callerLoop = async (caller: WireClient, n: number) => {
        for (let round = 0; Date.now() < deadline; round++) {
          const reply = await caller.request({ type: 'call', peerId: caller.peerId });
          assert.equal(reply.status, 'ringing', `${caller.label}: ${JSON.stringify(reply)}`);
          callsPlaced++;
          const callId = reply.callId as string;
          if ((n + round) % 2 === 0) {
            await caller.request({ type: 'end', peerId: caller.peerId, callId }); // abandoned, unless claimed first
          } else {
            await caller.nextMatching(isSessionEvent('disconnected', callId), 3_000); // answered, then hung up
          }
          caller.drain();
        }
      };

      const answererLoop = async (agent: WireClient) => {
        for (;;) {
          const ringing = agent.take(isSessionEvent('ringing'));
          if (ringing === undefined) {
            if (callersDone) return;
            await delay(2);
            continue;
          }
          const callId = ringing.callId as string;
          const answer = await agent.request({ type: 'answer', peerId: agent.peerId, callId });
          assert.ok(answer.status === 'connected' || answer.status === 'unavailable', JSON.stringify(answer));
          if (answer.status === 'connected')
            await agent.request({ type: 'end', peerId: agent.peerId, callId });
        }
      };

      const register = async (agent: WireClient) => {
        const reply = await agent.register(FRONT.password);
        assert.equal(reply.status, 'registered', JSON.stringify(reply));
      };
      // Half the late agents register once, staggered; the others keep registering and deregistering.
      const lateRegistrations = late.map(async (agent, n) => {
        await delay((n * STORM_MS) / (late.length + 1));
        if (n % 2 === 0) return register(agent);
        while (Date.now() < deadline) {
          await register(agent);
          await delay(n * 3);
          const reply = await agent.request({ type: 'deregister', peerId: agent.peerId });
          assert.equal(reply.status, 'unregistered', JSON.stringify(reply));
          await delay(n);
        }
        await register(agent);
      });

      const answering = answerers.map(answererLoop);
      await Promise.all([...callers.map(callerLoop), ...lateRegistrations]);
      callersDone = true;
      await Promise.all(answering);
      await delay(200);

      assert.ok(callsPlaced >= 16, `the storm placed only ${callsPlaced} calls`);
      for (const agent of [...answerers, ...late]) assertCallEventsInOrder(agent.label, agent.history);
      // The storm overlapped the registrations: some late agent caught up on a call ringing when it registered.
      const caughtUp = late.filter((agent) => {
        const registeredAt = agent.history.findIndex((message) => message.request === 'register');
        return agent.history[registeredAt + 1]?.status === 'ringing';
      });
      assert.ok(caughtUp.length > 0, 'no late agent registered while a call was ringing');
    });
  });
}
