/**
 * The pages' logic without a browser: what a call becomes when signalling comes back, the caller's
 * availability and call title, the agent's sign-in model, status pill, "took the call" notices and
 * remembered name, and answering across a dropped connection (with the SDK's ResumingClient on a fake
 * WebSocket).
 */
import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';
import { PbxClient, type ResponseFor, ResumingClient } from '@pbx-peers/client';
import { fakeWebSockets } from '../../client/test/support/FakeWebSocket.js';
import { AgentNameStore, type NameStorage } from '../src/agent/agentNameStore.js';
import { agentStatus } from '../src/agent/agentStatus.js';
import { answerAcrossDrop } from '../src/agent/answerAcrossDrop.js';
import {
  NO_ANSWER,
  NOT_CONNECTED,
  PASSWORD_CHANGED,
  REGISTER_FAILURES,
  Registration,
  type RegistrationEffect,
} from '../src/agent/Registration.js';
import { takenBy } from '../src/agent/takenBy.js';
import { availability } from '../src/caller/availability.js';
import { callTitle } from '../src/caller/callTitle.js';
import { callAfterReconnect } from '../src/shared/callAfterReconnect.js';
import { displayName } from '../src/shared/displayName.js';

const REGISTERED: ResponseFor<'register'> = { type: 'response', request: 'register', status: 'registered' };
const BAD_PASSWORD: ResponseFor<'register'> = {
  type: 'response',
  request: 'register',
  status: 'unregistered',
  reason: 'bad-password',
};
const ALICE = { password: 'pw', name: 'Alice' };

describe('callAfterReconnect', () => {
  test('resumed: everything goes on; a new peer ends what only the server held, keeps the media', () => {
    for (const phase of ['requesting', 'ringing', 'connected'] as const) {
      assert.equal(callAfterReconnect(phase, 'resumed'), 'goes-on', phase);
    }
    assert.equal(callAfterReconnect('requesting', 'replaced'), 'ended');
    assert.equal(callAfterReconnect('ringing', 'replaced'), 'ended');
    assert.equal(callAfterReconnect('connected', 'replaced'), 'media-only');
    assert.equal(callAfterReconnect('connected', 'new'), 'media-only');
  });
});

describe('caller availability', () => {
  test('Ready, Offline, and while the connection is away: Reconnecting…, Call disabled', () => {
    assert.deepEqual(availability({ status: 'ready', connection: 'online', browserCanCall: true }), {
      pill: { state: 'ready', text: 'Ready' },
      canCall: true,
      hint: '',
    });
    const offline = availability({ status: 'offline', connection: 'online', browserCanCall: true });
    assert.equal(offline.pill.text, 'Offline');
    assert.equal(offline.canCall, false);
    assert.match(offline.hint, /Nobody is available/);
    assert.deepEqual(availability({ status: undefined, connection: 'reconnecting', browserCanCall: true }), {
      pill: { state: 'connecting', text: 'Reconnecting…' },
      canCall: false,
      hint: 'Waiting for the connection to come back…',
    });
    assert.equal(
      availability({ status: undefined, connection: 'connecting', browserCanCall: true }).pill.text,
      'Connecting…',
    );
    assert.equal(
      availability({ status: undefined, connection: 'gone', browserCanCall: true }).pill.text,
      'Removed',
    );
    assert.equal(
      availability({ status: 'ready', connection: 'online', browserCanCall: false }).canCall,
      false,
    );
  });
});

describe('caller call title', () => {
  test('"Talking to <name>" once an agent with a name answered; else the extension, as before', () => {
    assert.deepEqual(callTitle('Alice', 'Front desk'), { peerName: 'Alice', title: 'Talking to Alice' });
    assert.deepEqual(callTitle(undefined, 'Front desk'), { peerName: 'Front desk', title: 'Front desk' });
  });
});

describe('agent Registration', () => {
  /** Signs in and answers `registered`; returns the model. */
  function signedIn(): Registration {
    const model = new Registration();
    const [effect] = model.dispatch({ type: 'sign-in', credentials: ALICE, online: true });
    assert.equal(effect?.type, 'register');
    model.dispatch({ type: 'register-answered', attempt: attemptOf(effect), response: REGISTERED });
    assert.equal(model.state.kind, 'signed-in');
    return model;
  }

  function attemptOf(effect: RegistrationEffect | undefined): number {
    assert.ok(effect?.type === 'register', `a register effect, not ${JSON.stringify(effect)}`);
    return effect.attempt;
  }

  test('signing in sends register with the name, and shows the console when registered', () => {
    const model = new Registration();
    const effects = model.dispatch({ type: 'sign-in', credentials: ALICE, online: true });
    assert.deepEqual(effects, [{ type: 'register', attempt: 1, credentials: ALICE }]);
    assert.equal(model.state.kind, 'signing-in');
    assert.equal(model.takesCalls, true, 'catch-up ringing may come before the response is handled');
    assert.equal(model.signedIn, false);
    assert.deepEqual(model.dispatch({ type: 'register-answered', attempt: 1, response: REGISTERED }), [
      { type: 'show-console' },
    ]);
    assert.equal(model.signedIn, true);
  });

  test('not connected, wrong password, no answer: back to the form with a sentence', () => {
    const model = new Registration();
    assert.deepEqual(model.dispatch({ type: 'sign-in', credentials: ALICE, online: false }), [
      { type: 'show-sign-in', error: NOT_CONNECTED },
    ]);
    assert.equal(model.state.kind, 'signed-out');

    const wrong = attemptOf(model.dispatch({ type: 'sign-in', credentials: ALICE, online: true })[0]);
    assert.deepEqual(model.dispatch({ type: 'register-answered', attempt: wrong, response: BAD_PASSWORD }), [
      { type: 'show-sign-in', error: REGISTER_FAILURES['bad-password'] },
    ]);

    const silent = attemptOf(model.dispatch({ type: 'sign-in', credentials: ALICE, online: true })[0]);
    assert.deepEqual(model.dispatch({ type: 'register-failed', attempt: silent, why: 'no-answer' }), [
      { type: 'deregister' },
      { type: 'show-sign-in', error: NO_ANSWER },
    ]);
    assert.equal(model.state.kind, 'signed-out');
  });

  test('a sign-in whose connection drops is sent again once the connection is back', () => {
    const model = new Registration();
    const first = attemptOf(model.dispatch({ type: 'sign-in', credentials: ALICE, online: true })[0]);
    assert.deepEqual(model.dispatch({ type: 'register-failed', attempt: first, why: 'connection-lost' }), []);
    assert.equal(model.state.kind, 'signing-in');
    const again = model.dispatch({ type: 'peer', change: 'resumed' });
    assert.deepEqual(again, [{ type: 'register', attempt: 2, credentials: ALICE }]);
    // The first attempt's late answer no longer counts; the second one's does.
    assert.deepEqual(model.dispatch({ type: 'register-answered', attempt: first, response: REGISTERED }), []);
    assert.deepEqual(model.dispatch({ type: 'register-answered', attempt: 2, response: REGISTERED }), [
      { type: 'show-console' },
    ]);
  });

  test('resumed: still registered, nothing to do', () => {
    const model = signedIn();
    assert.deepEqual(model.dispatch({ type: 'peer', change: 'resumed' }), []);
    assert.equal(model.state.kind, 'signed-in');
  });

  test('a new peer (the server restarted): registers again by itself, with the same name', () => {
    const model = signedIn();
    const effects = model.dispatch({ type: 'peer', change: 'replaced' });
    assert.deepEqual(effects, [{ type: 'register', attempt: 2, credentials: ALICE }]);
    assert.equal(model.state.kind, 'registering-again');
    assert.equal(model.signedIn, true, 'the console stays');
    assert.deepEqual(model.dispatch({ type: 'register-answered', attempt: 2, response: REGISTERED }), []);
    assert.equal(model.state.kind, 'signed-in');
  });

  test('registering again: refused for a changed password, retried when unanswered', () => {
    const model = signedIn();
    const again = attemptOf(model.dispatch({ type: 'peer', change: 'replaced' })[0]);
    const retry = attemptOf(model.dispatch({ type: 'register-failed', attempt: again, why: 'no-answer' })[0]);
    assert.deepEqual(model.dispatch({ type: 'register-failed', attempt: retry, why: 'connection-lost' }), []);
    const afterDrop = attemptOf(model.dispatch({ type: 'peer', change: 'replaced' })[0]);
    assert.deepEqual(
      model.dispatch({ type: 'register-answered', attempt: afterDrop, response: BAD_PASSWORD }),
      [{ type: 'show-sign-in', error: PASSWORD_CHANGED }],
    );
    assert.equal(model.state.kind, 'signed-out');
  });

  test('signing out deregisters; late answers and events change nothing', () => {
    const model = signedIn();
    const again = attemptOf(model.dispatch({ type: 'peer', change: 'replaced' })[0]);
    assert.deepEqual(model.dispatch({ type: 'sign-out' }), [
      { type: 'deregister' },
      { type: 'show-sign-in', error: undefined },
    ]);
    assert.deepEqual(model.dispatch({ type: 'register-answered', attempt: again, response: REGISTERED }), []);
    assert.deepEqual(model.dispatch({ type: 'peer', change: 'replaced' }), []);
    assert.deepEqual(model.dispatch({ type: 'sign-out' }), []);
    assert.equal(model.takesCalls, false);
  });
});

describe('agent status pill', () => {
  test('signed out, reconnecting (also while registering again), in a call, signed in', () => {
    assert.deepEqual(agentStatus('signed-out', 'online', false), { state: 'offline', text: 'Signed out' });
    assert.deepEqual(agentStatus('signed-in', 'reconnecting', true), {
      state: 'connecting',
      text: 'Reconnecting…',
    });
    assert.equal(agentStatus('registering-again', 'online', true).text, 'Reconnecting…');
    assert.deepEqual(agentStatus('signed-in', 'online', true), { state: 'busy', text: 'In a call' });
    assert.deepEqual(agentStatus('signed-in', 'online', false), { state: 'ready', text: 'Signed in' });
    assert.equal(agentStatus('signed-in', 'gone', false).text, 'Removed');
  });
});

describe('"took the call"', () => {
  test('with the winner\'s name, or "Taken by another agent" without one', () => {
    assert.deepEqual(takenBy('Alice', 'Bob', true), {
      title: 'Alice took the call',
      detail: 'They answered just before you.',
      tone: 'neutral',
    });
    assert.deepEqual(takenBy(undefined, 'Bob', true), {
      title: 'Taken by another agent',
      detail: 'Another agent answered just before you.',
      tone: 'neutral',
    });
    assert.equal(takenBy('Alice', 'Bob', false).detail, 'The call from Bob was answered.');
  });
});

describe('agent name', () => {
  test("normalized like the caller's, remembered, forgotten when emptied, storage failures ignored", () => {
    assert.equal(displayName('  Alice   Smith '), 'Alice Smith');
    assert.equal(displayName('  '), undefined);
    const map = new Map<string, string>();
    const storage: NameStorage = {
      getItem: (key) => map.get(key) ?? null,
      setItem: (key, value) => void map.set(key, value),
      removeItem: (key) => void map.delete(key),
    };
    const store = new AgentNameStore(() => storage);
    assert.equal(store.load(), '');
    store.save('Alice');
    assert.equal(new AgentNameStore(() => storage).load(), 'Alice');
    store.save(undefined);
    assert.equal(store.load(), '');
    const broken = new AgentNameStore(() => {
      throw new Error('SecurityError');
    });
    broken.save('Alice');
    assert.equal(broken.load(), '');
    assert.equal(new AgentNameStore(() => undefined).load(), '');
  });
});

describe('answerAcrossDrop', () => {
  function flush(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }

  async function onlineAgent() {
    const { WebSocket, sockets } = fakeWebSockets();
    const client = new PbxClient({ url: 'ws://pbx.test/peers/x', WebSocket });
    const connection = new ResumingClient({ client, random: () => 0 });
    connection.start();
    sockets[0]?.open();
    await flush();
    sockets[0]?.respond('init', { status: 'ready', peerId: 'P1', resumeToken: 'T1' });
    await flush();
    return { connection, sockets };
  }

  /** Drops socket 0 while the answer is on its way, and brings socket 1 online as `fields`. */
  async function dropAndReturn(sockets: ReturnType<typeof fakeWebSockets>['sockets'], fields: object) {
    sockets[0]?.drop();
    await flush();
    mock.timers.tick(250);
    sockets[1]?.open();
    await flush();
    sockets[1]?.respond('init', { status: 'ready', ...fields });
    await flush();
  }

  test('answered on the live connection: as usual', async () => {
    const { connection, sockets } = await onlineAgent();
    const answer = answerAcrossDrop(connection, 'C1');
    sockets[0]?.respond('answer', { status: 'connected', callId: 'C1' });
    assert.equal((await answer).status, 'connected');
    await connection.close();
  });

  test('resumed after a drop mid-answer: asks again; busy means this agent had won', async (t) => {
    mock.timers.enable({ apis: ['setTimeout'] });
    t.after(() => mock.timers.reset());
    const { connection, sockets } = await onlineAgent();
    const answer = answerAcrossDrop(connection, 'C1');
    await dropAndReturn(sockets, { peerId: 'P1', resumeToken: 'T2', resumed: true });
    const resent = sockets[1]?.lastRequest('answer');
    assert.deepEqual(
      { ...resent, id: undefined },
      { type: 'answer', id: undefined, peerId: 'P1', callId: 'C1' },
    );
    sockets[1]?.receive({
      type: 'error',
      code: 'busy',
      message: 'in a session',
      request: 'answer',
      id: resent?.id,
    });
    assert.deepEqual(await answer, {
      type: 'response',
      request: 'answer',
      status: 'connected',
      callId: 'C1',
    });
    await connection.close();
  });

  test('a new peer after a drop mid-answer: the answer failed', async (t) => {
    mock.timers.enable({ apis: ['setTimeout'] });
    t.after(() => mock.timers.reset());
    const { connection, sockets } = await onlineAgent();
    const answer = answerAcrossDrop(connection, 'C1');
    const outcome = answer.then(
      () => 'answered',
      (error: Error) => error.name,
    );
    await dropAndReturn(sockets, { peerId: 'P2', resumeToken: 'T9', resumed: false });
    assert.equal(await outcome, 'ConnectionClosedError');
    assert.equal(sockets[1]?.lastRequest('answer'), undefined, 'not asked again as another peer');
    await connection.close();
  });
});
