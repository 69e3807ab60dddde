import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { connectCall, placeCall } from '../support/calls.js';
import { delay } from '../support/delay.js';
import { READY, sessionEvent } from '../support/expectedMessages.js';
import { FRONT } from '../support/extensions.js';
import { startTestServer, type TestServer, type TestServerOptions } from '../support/testServer.js';
import type { WireClient } from '../support/WireClient.js';
import { isSessionEvent } from '../support/wireMatchers.js';

/**
 * Protocol section 8, resuming a dropped connection: the token, the grace period, the messages kept
 * meanwhile and sent after the resumed `init`, and every way a resume does not happen.
 *
 * On a cluster run (`npm run test:clusters`) each connection goes to the next node, so every resume here
 * happens on another node than the one the peer was on: the peer is handed over.
 */

const GRACE_S = 5;

/**
 * A client that dropped its connection has seen it close before the server has: what the server writes
 * to the socket until then is lost with it (there are no acknowledgements in the protocol), and only
 * what comes after the server noticed is kept.
 */
const serverNoticed = () => delay(100);

describe('§8 resuming a dropped connection', () => {
  let ts: TestServer;
  const start = async (options: TestServerOptions = {}) => {
    ts = await startTestServer({
      extensions: [FRONT],
      ringTimeout: 0,
      resumeGrace: GRACE_S,
      ...options,
    });
    return ts;
  };
  afterEach(() => ts.close());

  /** An agent and a caller in a connected call. */
  const connectedCall = async () => {
    const agent = await ts.agent(FRONT.id, FRONT.password, 'agent');
    const caller = await ts.peer(FRONT.id, 'caller');
    return { agent, caller, callId: await connectCall(caller, agent) };
  };

  const tokenOf = (client: WireClient): string => {
    const token = client.lastInit?.resumeToken;
    assert.equal(typeof token, 'string', `${client.label}: init gave no resumeToken`);
    return token as string;
  };

  /** A new connection that resumes with `token`. */
  const resumeWith = async (token: string, label: string) => {
    const client = await ts.connect(FRONT.id, { label });
    return { client, reply: await client.initResuming(token) };
  };

  it('gives each init a new URL-safe token of at least 128 bits, and voids the previous one', async () => {
    await start();
    const peer = await ts.peer(FRONT.id, 'peer');
    const first = tokenOf(peer);
    assert.match(first, /^[A-Za-z0-9_-]{22,}$/);
    await peer.init();
    const second = tokenOf(peer);
    assert.notEqual(second, first);
    await peer.terminate();
    const { reply: stale } = await resumeWith(first, 'with the voided token');
    assert.equal(stale.resumed, false);
    assert.notEqual(stale.peerId, peer.peerId);
    const { reply } = await resumeWith(second, 'with the current token');
    assert.equal(reply.resumed, true);
    assert.equal(reply.peerId, peer.peerId);
  });

  it('resumes within the grace: same peer, resumed, a new token, and what was kept, in order', async () => {
    await start();
    const { agent, caller, callId } = await connectedCall();
    const token = tokenOf(agent);
    await agent.terminate();
    await serverNoticed();
    // While the agent is away: signals, and then the caller hangs up.
    for (let i = 0; i < 3; i++)
      caller.send({ type: 'signal', peerId: caller.peerId, callId, data: { n: i } });
    await delay(100);
    const hangUp = await caller.request({ type: 'end', peerId: caller.peerId, callId });
    assert.equal(hangUp.status, 'disconnected');
    const { client, reply } = await resumeWith(token, 'agent again');
    assert.equal(reply.type, 'response');
    assert.equal(reply.request, 'init');
    assert.equal(reply.peerId, agent.peerId);
    assert.equal(reply.resumed, true);
    assert.equal(typeof reply.resumeToken, 'string');
    assert.notEqual(reply.resumeToken, token);
    for (let i = 0; i < 3; i++)
      assert.deepEqual(await client.next(), { type: 'signal', callId, data: { n: i } });
    assert.deepEqual(await client.next(), sessionEvent('disconnected', callId, { reason: 'hangup' }));
    await client.expectSilence(150);
    // Still registered, as if it had never left: the next call rings it, and it can answer.
    const next = await ts.peer(FRONT.id, 'next caller');
    const nextCall = await placeCall(next);
    await client.nextMatching(isSessionEvent('ringing', nextCall));
    assert.equal(
      (await client.request({ type: 'answer', peerId: client.peerId, callId: nextCall })).status,
      'connected',
    );
  });

  it('keeps a connected call through the absence: nobody hears dropped, signals flow again after', async () => {
    await start();
    const { agent, caller, callId } = await connectedCall();
    const token = tokenOf(caller);
    await caller.terminate();
    await agent.expectSilence(300);
    const { client } = await resumeWith(token, 'caller again');
    client.send({ type: 'signal', peerId: client.peerId, callId, data: 'after' });
    assert.deepEqual(await agent.next(), { type: 'signal', callId, data: 'after' });
    agent.send({ type: 'signal', peerId: agent.peerId, callId, data: 'back' });
    assert.deepEqual(await client.next(), { type: 'signal', callId, data: 'back' });
  });

  it('keeps the extension ready while its only agent is away, and a call placed meanwhile rings on its return', async () => {
    await start();
    const agent = await ts.agent(FRONT.id, FRONT.password, 'agent');
    const token = tokenOf(agent);
    await agent.terminate();
    const caller = await ts.peer(FRONT.id, 'caller');
    assert.equal(caller.lastInit?.status, 'ready');
    const callId = await placeCall(caller);
    const { client } = await resumeWith(token, 'agent again');
    assert.deepEqual(await client.next(), sessionEvent('ringing', callId));
  });

  it('after the grace: a new peer, and the other party heard dropped', async () => {
    await start({ resumeGrace: 0.3 });
    const { agent, caller, callId } = await connectedCall();
    const token = tokenOf(agent);
    await agent.terminate();
    assert.deepEqual(await caller.next(), sessionEvent('disconnected', callId, { reason: 'dropped' }));
    assert.deepEqual(await caller.next(), { type: 'event', topic: 'extension', status: 'offline' });
    const { reply } = await resumeWith(token, 'too late');
    assert.equal(reply.resumed, false);
    assert.notEqual(reply.peerId, agent.peerId);
    assert.equal(reply.status, 'offline');
  });

  it('a used token does not resume again', async () => {
    await start();
    const peer = await ts.peer(FRONT.id, 'peer');
    const token = tokenOf(peer);
    await peer.terminate();
    const { client, reply } = await resumeWith(token, 'resumed');
    assert.equal(reply.resumed, true);
    await client.terminate();
    const { reply: again } = await resumeWith(token, 'again');
    assert.equal(again.resumed, false);
    assert.notEqual(again.peerId, peer.peerId);
  });

  it("a client's own close frame ends the peer at once, as in section 6", async () => {
    await start();
    const { agent, caller, callId } = await connectedCall();
    const token = tokenOf(agent);
    await agent.close();
    assert.deepEqual(await caller.next(), sessionEvent('disconnected', callId, { reason: 'dropped' }));
    const { reply } = await resumeWith(token, 'after closing');
    assert.equal(reply.resumed, false);
  });

  it('ends the absence as section 6 when more messages come than can be kept (256)', async () => {
    await start();
    const { agent, caller, callId } = await connectedCall();
    const token = tokenOf(agent);
    await agent.terminate();
    await serverNoticed();
    for (let i = 0; i < 256; i++) caller.send({ type: 'signal', peerId: caller.peerId, callId, data: i });
    await caller.expectSilence(300);
    caller.send({ type: 'signal', peerId: caller.peerId, callId, data: 'one too many' });
    assert.deepEqual(await caller.next(), sessionEvent('disconnected', callId, { reason: 'dropped' }));
    const { reply } = await resumeWith(token, 'after the overflow');
    assert.equal(reply.resumed, false);
  });

  it('answers resume on an initialized connection with bad-request, and changes nothing', async () => {
    await start();
    const peer = await ts.peer(FRONT.id, 'peer');
    const other = await ts.peer(FRONT.id, 'other');
    const reply = await peer.request({ type: 'init', resume: tokenOf(other) });
    assert.equal(reply.type, 'error');
    assert.equal(reply.code, 'bad-request');
    assert.equal(reply.request, 'init');
    const status = await peer.request({ type: 'status', peerId: peer.peerId });
    assert.equal(status.type, 'response');
  });

  it('takes over a peer whose old connection still looks open (a half-open connection)', async () => {
    // Only on its own node: another node learns of a token only once its peer is away.
    await start({ onOneProcess: true });
    const agent = await ts.agent(FRONT.id, FRONT.password, 'agent');
    const { client, reply } = await resumeWith(tokenOf(agent), 'agent elsewhere');
    assert.equal(reply.resumed, true);
    assert.equal(reply.peerId, agent.peerId);
    assert.equal((await agent.closed()).code, 4409);
    const caller = await ts.peer(FRONT.id, 'caller');
    const callId = await placeCall(caller);
    assert.deepEqual(await client.next(), sessionEvent('ringing', callId));
  });

  it('answers an unknown token as a plain init, resumed false', async () => {
    await start();
    await ts.agent(FRONT.id, FRONT.password, 'agent');
    const { reply } = await resumeWith('no-such-token', 'guess');
    assert.equal(reply.resumed, false);
    assert.equal(reply.status, 'ready');
    assert.equal(typeof reply.peerId, 'string');
  });

  it('with resuming off (--resume-grace 0): no token, and a drop is section 6 at once', async () => {
    await start({ resumeGrace: 0 });
    const agent = await ts.agent(FRONT.id, FRONT.password, 'agent');
    assert.equal(agent.lastInit?.resumeToken, undefined);
    const caller = await ts.peer(FRONT.id, 'caller');
    assert.deepEqual(
      caller.lastInit && { type: 'event', topic: 'extension', status: caller.lastInit.status },
      {
        ...READY,
      },
    );
    const callId = await connectCall(caller, agent);
    await agent.terminate();
    assert.deepEqual(await caller.next(), sessionEvent('disconnected', callId, { reason: 'dropped' }));
  });
});
