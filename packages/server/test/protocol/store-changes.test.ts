import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { hashPassword } from '../../src/store/passwordHash.js';
import { connectCall } from '../support/calls.js';
import { BACK, FRONT } from '../support/extensions.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import { UpgradeRefusedError } from '../support/UpgradeRefusedError.js';
import { WireClient } from '../support/WireClient.js';

/** Changes to the extension store while the server runs. */

describe('store changes while running', () => {
  let ts: TestServer;
  beforeEach(async () => {
    ts = await startTestServer({ extensions: [FRONT, BACK], extensionCheckInterval: 0.2, ringTimeout: 0 });
  });
  afterEach(() => ts.close());

  it("a removed extension's connections are closed with 4404 within a few seconds; others stay", async () => {
    const uninitialized = await ts.connect(FRONT.id, { label: 'uninitialized' });
    const observer = await ts.peer(FRONT.id, 'observer');
    const agent = await ts.agent(FRONT.id, FRONT.password, 'agent');
    const caller = await ts.peer(FRONT.id, 'caller');
    await connectCall(caller, agent);
    const backAgent = await ts.agent(BACK.id, BACK.password, 'back agent');

    assert.equal(await ts.store.remove(FRONT.id), true);
    const removedAt = Date.now();
    const closes = await Promise.all(
      [uninitialized, observer, agent, caller].map((client) => client.closed(3_000)),
    );
    for (const { code } of closes) assert.equal(code, 4404);
    assert.ok(Date.now() - removedAt < 3_000);

    const refusal = await WireClient.connect(ts.wsUrl(FRONT.id)).then(
      async (opened) => {
        await opened.close();
        return undefined;
      },
      (error: unknown) => error,
    );
    assert.ok(refusal instanceof UpgradeRefusedError && refusal.statusCode === 404, String(refusal));

    assert.equal(backAgent.isClosed, false);
    assert.equal((await backAgent.request({ type: 'status', peerId: backAgent.peerId })).status, 'ready');
  });

  it('a changed password applies to the next register', async () => {
    const peer = await ts.peer(FRONT.id, 'agent');
    assert.equal(await ts.store.setPasswordHash(FRONT.id, await hashPassword('new secret')), true);
    assert.deepEqual(
      await peer.request({ type: 'register', id: 1, peerId: peer.peerId, password: FRONT.password }),
      {
        type: 'response',
        request: 'register',
        id: 1,
        status: 'unregistered',
        reason: 'bad-password',
      },
    );
    assert.deepEqual(
      await peer.request({ type: 'register', id: 2, peerId: peer.peerId, password: 'new secret' }),
      {
        type: 'response',
        request: 'register',
        id: 2,
        status: 'registered',
      },
    );
  });
});
