import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Audience, Notice } from '../../src/core/Notice.js';
import type { CallRecord, SwitchboardBackend } from '../../src/core/SwitchboardBackend.js';

export interface BackendFixture {
  backend: SwitchboardBackend;
  /** A second process's backend sharing the same state, where the implementation has processes. */
  peerBackend?: SwitchboardBackend;
  cleanup(): Promise<void>;
}

/** One contract for every SwitchboardBackend: run it against each implementation. */
export function switchboardBackendContract(name: string, createFixture: () => Promise<BackendFixture>): void {
  describe(`SwitchboardBackend contract: ${name}`, () => {
    let fixture: BackendFixture;
    let backend: SwitchboardBackend;
    let extension: string;
    let serial = 0;

    beforeEach(async () => {
      fixture = await createFixture();
      backend = fixture.backend;
      extension = `contract-${process.pid}-${++serial}`;
    });
    afterEach(() => fixture.cleanup());

    const call = (callId: string, createdAt: number, extensionId = extension): CallRecord => ({
      callId,
      extensionId,
      callerPeerId: `caller-${callId}`,
      createdAt,
      name: `Caller ${callId}`,
    });

    it('counts registered peers idempotently, per extension', async () => {
      assert.deepEqual(await backend.addRegistered(extension, 'a'), {
        changed: true,
        registeredCount: 1,
        ringingCalls: [],
      });
      assert.equal((await backend.addRegistered(extension, 'a')).changed, false);
      assert.equal((await backend.addRegistered(extension, 'b')).registeredCount, 2);
      assert.equal(await backend.registeredCount(extension), 2);
      assert.equal(await backend.registeredCount(`${extension}-other`), 0);
      assert.deepEqual(await backend.removeRegistered(extension, 'a'), { changed: true, registeredCount: 1 });
      assert.deepEqual(await backend.removeRegistered(extension, 'a'), {
        changed: false,
        registeredCount: 1,
      });
      assert.deepEqual(await backend.removeRegistered(extension, 'b'), { changed: true, registeredCount: 0 });
    });

    it('hands a registering peer the ringing calls, oldest first, without connected ones', async () => {
      await backend.createCall(call('c2', 200));
      await backend.createCall(call('c1', 100));
      await backend.createCall(call('c3', 300));
      await backend.claimCall(extension, 'c3', 'agent');
      await backend.createCall(call('elsewhere', 50, `${extension}-other`));
      const registration = await backend.addRegistered(extension, 'late');
      assert.deepEqual(
        registration.ringingCalls.map((c) => c.callId),
        ['c1', 'c2'],
      );
      assert.deepEqual(registration.ringingCalls[0], call('c1', 100));
    });

    it('lets exactly one of many concurrent answers claim a call', async () => {
      await backend.createCall(call('race', 1));
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => backend.claimCall(extension, 'race', `agent-${i}`)),
      );
      const winners = results.filter((r) => r.outcome === 'claimed');
      assert.equal(winners.length, 1);
      assert.deepEqual(winners[0], { outcome: 'claimed', call: call('race', 1) });
      assert.equal((await backend.claimCall(extension, 'race', 'late')).outcome, 'not-ringing');
    });

    it('does not claim unknown calls or calls of another extension', async () => {
      await backend.createCall(call('mine', 1));
      assert.deepEqual(await backend.claimCall(extension, 'nope', 'a'), { outcome: 'not-ringing' });
      assert.deepEqual(await backend.claimCall(`${extension}-other`, 'mine', 'a'), {
        outcome: 'not-ringing',
      });
    });

    it('ends a call once, saying whether it was ringing or connected', async () => {
      await backend.createCall(call('ringing', 1));
      await backend.createCall(call('connected', 2));
      await backend.claimCall(extension, 'connected', 'agent-1');
      assert.deepEqual(await backend.endCall(extension, 'ringing'), {
        outcome: 'was-ringing',
        call: call('ringing', 1),
      });
      assert.deepEqual(await backend.endCall(extension, 'connected'), {
        outcome: 'was-connected',
        call: call('connected', 2),
        answererPeerId: 'agent-1',
      });
      assert.deepEqual(await backend.endCall(extension, 'ringing'), { outcome: 'not-found' });
      assert.deepEqual(await backend.claimCall(extension, 'ringing', 'a'), { outcome: 'not-ringing' });
    });

    it('leaves a connected call alone when ending only if ringing (ring timeout vs answer)', async () => {
      await backend.createCall(call('answered', 1));
      await backend.claimCall(extension, 'answered', 'agent');
      assert.deepEqual(await backend.endCall(extension, 'answered', true), { outcome: 'not-found' });
      assert.equal((await backend.endCall(extension, 'answered')).outcome, 'was-connected');
    });

    it('gives a claim and an end racing on a ringing call one consistent order', async () => {
      for (let i = 0; i < 10; i++) {
        const id = `race-${i}`;
        await backend.createCall(call(id, i));
        const [claim, end] = await Promise.all([
          backend.claimCall(extension, id, 'agent'),
          backend.endCall(extension, id),
        ]);
        if (claim.outcome === 'claimed') assert.equal(end.outcome, 'was-connected');
        else assert.equal(end.outcome, 'was-ringing');
      }
    });

    it('counts calls by state', async () => {
      const before = await backend.callCounts();
      await backend.createCall(call('r', 1));
      await backend.createCall(call('c', 2));
      await backend.claimCall(extension, 'c', 'agent');
      const after = await backend.callCounts();
      assert.deepEqual(
        { ringing: after.ringing - before.ringing, connected: after.connected - before.connected },
        { ringing: 1, connected: 1 },
      );
    });

    it('delivers published notices to every process, in publish order', async () => {
      const backends = [backend, ...(fixture.peerBackend ? [fixture.peerBackend] : [])];
      const received = backends.map(() => [] as Array<[string, Audience, Notice]>);
      for (const [i, each] of backends.entries()) {
        each.onNotice((ext, audience, notice) => received[i]?.push([ext, audience, notice]));
      }
      const sent: Array<[string, Audience, Notice]> = Array.from({ length: 50 }, (_, i) => [
        extension,
        i % 2 ? { kind: 'peer', peerId: `p${i}` } : { kind: 'registered' },
        { kind: 'signal', callId: 'c', dataJson: JSON.stringify({ seq: i, text: 'héllo' }) },
      ]);
      for (const [ext, audience, notice] of sent) backend.publish(ext, audience, notice);
      const deadline = Date.now() + 5000;
      while (received.some((r) => r.length < sent.length) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      for (const r of received) assert.deepEqual(r, sent);
    });
  });
}
