import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { CallEndedByBackend } from '../../src/core/EndedCall.js';
import type { Audience, Notice, NoticeSink } from '../../src/core/Notice.js';
import type { NewCall, OutgoingSignal, SwitchboardBackend } from '../../src/core/SwitchboardBackend.js';

export interface BackendFixture {
  /** One backend per process sharing the same state: one for a single-process implementation. */
  nodes: SwitchboardBackend[];
  cleanup(): Promise<void>;
}

type Heard = [extensionId: string, audience: Audience, notice: Notice];

/** What one process's sink was handed, in order. */
class RecordingSink implements NoticeSink {
  readonly heard: Heard[] = [];
  readonly localPeers = new Set<string>();

  deliver(extensionId: string, audience: Audience, notice: Notice): void {
    this.heard.push([extensionId, audience, notice]);
  }

  hasPeer(peerId: string): boolean {
    return this.localPeers.has(peerId);
  }

  async handOver(): Promise<undefined> {
    return undefined;
  }

  /** This sink takes on no dead process's peers: the backend ends them (section 6). */
  readonly adopts = false;

  adopt(): void {}

  readonly ended: CallEndedByBackend[] = [];

  endedCalls(_extensionId: string, calls: readonly CallEndedByBackend[]): void {
    this.ended.push(...calls);
  }

  /** The notices of one extension, without the extension. */
  of(extensionId: string): Array<[Audience, Notice]> {
    return this.heard
      .filter(([ext]) => ext === extensionId)
      .map(([, audience, notice]) => [audience, notice]);
  }
}

const REGISTERED: Audience = { kind: 'registered' };
const RINGING_AT = 1_796_000_000_000;
const ANSWERED_AT = RINGING_AT + 4_321;
const UNREGISTERED: Audience = { kind: 'unregistered' };
const peer = (peerId: string): Audience => ({ kind: 'peer', peerId });
const signal = (
  callId: string,
  senderPeerId: string,
  toPeerId: string,
  dataJson: string,
): OutgoingSignal => ({
  callId,
  senderPeerId,
  toPeerId,
  dataJson,
});

async function eventually(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Lets notices in flight arrive (there are none to wait for in a single-process backend). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

/**
 * One contract for every SwitchboardBackend: run it against each implementation. With two nodes, the
 * caller's operations run on node A and the agents' on node B, so every notice that crosses processes
 * is checked to arrive on the right one.
 */
export function switchboardBackendContract(name: string, createFixture: () => Promise<BackendFixture>): void {
  describe(`SwitchboardBackend contract: ${name}`, () => {
    let fixture: BackendFixture;
    let a: SwitchboardBackend;
    let b: SwitchboardBackend;
    let sinkA: RecordingSink;
    let sinkB: RecordingSink;
    let extension: string;
    let serial = 0;

    beforeEach(async () => {
      fixture = await createFixture();
      a = fixture.nodes[0] as SwitchboardBackend;
      b = fixture.nodes[1] ?? a;
      sinkA = new RecordingSink();
      sinkB = a === b ? sinkA : new RecordingSink();
      a.connect(sinkA);
      if (b !== a) b.connect(sinkB);
      extension = `contract-${process.pid}-${++serial}`;
      await a.watch(extension);
      if (b !== a) await b.watch(extension);
    });
    afterEach(() => fixture.cleanup());

    const newCall = (callId: string, extensionId = extension): NewCall => ({
      callId,
      extensionId,
      callerPeerId: `caller-${callId}`,
      name: `Caller ${callId}`,
      ringingAt: RINGING_AT,
    });

    it('counts registered peers idempotently, per extension, and numbers each status change', async () => {
      const before = await a.status(extension);
      assert.equal(before.status, 'offline');
      const first = await b.addRegistered(extension, 'x');
      assert.equal(first.changed, true);
      assert.equal(first.status, 'ready');
      assert.ok(first.seq > before.seq, 'the change to ready takes a new number');
      assert.equal((await b.addRegistered(extension, 'x')).changed, false);
      const second = await b.addRegistered(extension, 'y');
      assert.equal(second.seq, first.seq, 'no status change, no new number');
      assert.deepEqual(await a.status(extension), { status: 'ready', seq: first.seq });
      assert.equal((await a.status(`${extension}-other`)).status, 'offline');
      const gone = await b.removeRegistered(extension, 'x');
      assert.deepEqual({ changed: gone.changed, status: gone.status }, { changed: true, status: 'ready' });
      assert.equal((await b.removeRegistered(extension, 'x')).changed, false);
      const last = await b.removeRegistered(extension, 'y');
      assert.equal(last.status, 'offline');
      assert.ok(last.seq > first.seq);
      assert.deepEqual(await a.status(extension), { status: 'offline', seq: last.seq });
    });

    it('publishes each status change to the unregistered audience of every process, numbered', async () => {
      const ready = await b.addRegistered(extension, 'x');
      await b.addRegistered(extension, 'y');
      await b.removeRegistered(extension, 'x');
      const offline = await b.removeRegistered(extension, 'y');
      const expected: Array<[Audience, Notice]> = [
        [UNREGISTERED, { kind: 'extension', status: 'ready', seq: ready.seq }],
        [UNREGISTERED, { kind: 'extension', status: 'offline', seq: offline.seq }],
      ];
      for (const sink of new Set([sinkA, sinkB])) {
        await eventually('both status changes', () => sink.of(extension).length >= 2);
        await settle();
        assert.deepEqual(sink.of(extension), expected);
      }
    });

    it('keeps numbering upward after an extension fell idle', async () => {
      const first = await b.addRegistered(extension, 'x');
      const idle = await b.removeRegistered(extension, 'x');
      const again = await b.addRegistered(extension, 'x');
      assert.ok(first.seq < idle.seq && idle.seq < again.seq, `${first.seq} < ${idle.seq} < ${again.seq}`);
    });

    it('places a call only while a peer is registered, and rings the registered audience', async () => {
      assert.deepEqual(await a.placeCall(newCall('early')), { outcome: 'unavailable' });
      await b.addRegistered(extension, 'agent');
      const placed = await a.placeCall(newCall('c1'));
      assert.equal(placed.outcome, 'ringing');
      assert.deepEqual(placed.outcome === 'ringing' && { ...placed.call, order: 0 }, {
        ...newCall('c1'),
        order: 0,
      });
      const ringing: [Audience, Notice] = [REGISTERED, { kind: 'ringing', callId: 'c1', name: 'Caller c1' }];
      await eventually('ringing on the agent node', () =>
        sinkB.of(extension).some(([, n]) => n.kind === 'ringing'),
      );
      assert.deepEqual(sinkB.of(extension).at(-1), ringing);
      assert.equal(
        (await b.addRegistered(extension, 'late')).ringingCalls.some((c) => c.callId === 'early'),
        false,
        'an unavailable call was never created',
      );
    });

    it('never rings a call that raced the last agent leaving ("create if ready" is one step)', async () => {
      for (let i = 0; i < 20; i++) {
        await b.addRegistered(extension, 'agent');
        const [placed] = await Promise.all([
          a.placeCall(newCall(`race-${i}`)),
          b.removeRegistered(extension, 'agent'),
        ]);
        const catchUp = await b.addRegistered(extension, 'checker');
        const exists = catchUp.ringingCalls.some((c) => c.callId === `race-${i}`);
        assert.equal(exists, placed.outcome === 'ringing', `round ${i}: ${placed.outcome}`);
        if (exists) await a.endCall(extension, `race-${i}`, { reason: 'hangup', peerId: `caller-race-${i}` });
        await b.removeRegistered(extension, 'checker');
      }
    });

    it('hands a registering peer the ringing calls, oldest first, without connected ones', async () => {
      await b.addRegistered(extension, 'agent');
      await b.addRegistered(`${extension}-other`, 'agent');
      for (const id of ['c2', 'c1', 'c3']) await a.placeCall(newCall(id));
      await b.claimCall(extension, 'c1', { answeredAt: ANSWERED_AT, peerId: 'agent' });
      await a.placeCall(newCall('elsewhere', `${extension}-other`));
      const registration = await b.addRegistered(extension, 'late');
      assert.deepEqual(
        registration.ringingCalls.map((c) => c.callId),
        ['c2', 'c3'],
      );
      const [c2, c3] = registration.ringingCalls;
      assert.ok((c2?.order ?? 0) < (c3?.order ?? 0));
      assert.deepEqual({ ...c2, order: 0 }, { ...newCall('c2'), order: 0 });
    });

    it('lets exactly one of many concurrent answers on every process claim a call', async () => {
      await b.addRegistered(extension, 'agent');
      await a.placeCall(newCall('race'));
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? a : b).claimCall(extension, 'race', { answeredAt: ANSWERED_AT, peerId: `agent-${i}` }),
        ),
      );
      const winners = results.filter((r) => r.outcome === 'claimed');
      assert.equal(winners.length, 1);
      assert.equal(winners[0]?.outcome === 'claimed' && winners[0].call.callId, 'race');
      assert.equal(
        (await b.claimCall(extension, 'race', { answeredAt: ANSWERED_AT, peerId: 'late' })).outcome,
        'not-ringing',
      );
    });

    it('tells the caller it is connected and the registered audience that the call was claimed', async () => {
      await b.addRegistered(extension, 'agent');
      await a.placeCall(newCall('c1'));
      await b.claimCall(extension, 'c1', { answeredAt: ANSWERED_AT, peerId: 'agent' });
      await eventually('connected on the caller node', () =>
        sinkA.of(extension).some(([, n]) => n.kind === 'connected'),
      );
      assert.deepEqual(
        sinkA.of(extension).find(([, n]) => n.kind === 'connected'),
        [peer('caller-c1'), { kind: 'connected', callId: 'c1', answererPeerId: 'agent' }],
      );
      await eventually('claimed on the agent node', () =>
        sinkB.of(extension).some(([, n]) => n.kind === 'claimed'),
      );
      const kinds = sinkB
        .of(extension)
        .filter(([audience]) => audience.kind === 'registered')
        .map(([, n]) => n.kind);
      assert.deepEqual(kinds, ['ringing', 'claimed']);
    });

    it('does not claim unknown calls or calls of another extension', async () => {
      await b.addRegistered(extension, 'agent');
      await a.placeCall(newCall('mine'));
      assert.deepEqual(await b.claimCall(extension, 'nope', { answeredAt: ANSWERED_AT, peerId: 'x' }), {
        outcome: 'not-ringing',
      });
      assert.deepEqual(
        await b.claimCall(`${extension}-other`, 'mine', { answeredAt: ANSWERED_AT, peerId: 'x' }),
        {
          outcome: 'not-ringing',
        },
      );
    });

    it('ends a call once, saying what it was, and tells the others as the reason says', async () => {
      await b.addRegistered(extension, 'agent');
      await a.placeCall(newCall('ringing'));
      await a.placeCall(newCall('connected'));
      await b.claimCall(extension, 'connected', { answeredAt: ANSWERED_AT, peerId: 'agent' });
      const hangup = { reason: 'hangup', peerId: 'caller-ringing' } as const;
      assert.equal((await a.endCall(extension, 'ringing', hangup)).outcome, 'was-ringing');
      const ended = await a.endCall(extension, 'connected', {
        reason: 'dropped',
        peerId: 'caller-connected',
      });
      assert.equal(ended.outcome, 'was-connected');
      assert.equal(ended.outcome === 'was-connected' && ended.answererPeerId, 'agent');
      assert.deepEqual(await a.endCall(extension, 'ringing', hangup), { outcome: 'not-found' });
      assert.deepEqual(
        await b.claimCall(extension, 'ringing', { answeredAt: ANSWERED_AT, peerId: 'agent' }),
        {
          outcome: 'not-ringing',
        },
      );
      await eventually('abandoned and disconnected on the agent node', () =>
        ['abandoned', 'disconnected'].every((kind) => sinkB.of(extension).some(([, n]) => n.kind === kind)),
      );
      assert.deepEqual(
        sinkB.of(extension).find(([, n]) => n.kind === 'abandoned'),
        [REGISTERED, { kind: 'abandoned', callId: 'ringing' }],
      );
      assert.deepEqual(
        sinkB.of(extension).find(([, n]) => n.kind === 'disconnected'),
        [peer('agent'), { kind: 'disconnected', callId: 'connected', reason: 'dropped' }],
      );
    });

    it('tells the caller when the answerer hangs up', async () => {
      await b.addRegistered(extension, 'agent');
      await a.placeCall(newCall('c1'));
      await b.claimCall(extension, 'c1', { answeredAt: ANSWERED_AT, peerId: 'agent' });
      await b.endCall(extension, 'c1', { reason: 'hangup', peerId: 'agent' });
      await eventually('disconnected on the caller node', () =>
        sinkA.of(extension).some(([, n]) => n.kind === 'disconnected'),
      );
      assert.deepEqual(
        sinkA.of(extension).find(([, n]) => n.kind === 'disconnected'),
        [peer('caller-c1'), { kind: 'disconnected', callId: 'c1', reason: 'hangup' }],
      );
    });

    it('times out only a ringing call, telling the agents and the caller', async () => {
      await b.addRegistered(extension, 'agent');
      await a.placeCall(newCall('slow'));
      await a.placeCall(newCall('answered'));
      await b.claimCall(extension, 'answered', { answeredAt: ANSWERED_AT, peerId: 'agent' });
      assert.deepEqual(await b.endCall(extension, 'answered', { reason: 'timeout' }), {
        outcome: 'not-found',
      });
      assert.equal((await b.endCall(extension, 'slow', { reason: 'timeout' })).outcome, 'was-ringing');
      await eventually('the caller hears the timeout', () =>
        sinkA.of(extension).some(([, n]) => n.kind === 'disconnected'),
      );
      assert.deepEqual(
        sinkA.of(extension).filter(([, n]) => n.kind === 'disconnected'),
        [[peer('caller-slow'), { kind: 'disconnected', callId: 'slow', reason: 'timeout' }]],
      );
      await eventually('the agents hear abandoned', () =>
        sinkB.of(extension).some(([, n]) => n.kind === 'abandoned'),
      );
      assert.equal(
        (await b.endCall(extension, 'answered', { reason: 'hangup', peerId: 'agent' })).outcome,
        'was-connected',
      );
    });

    it('only the process holding a party ends its call or its registration', async (t) => {
      if (a === b) return t.skip('one process holds every peer');
      await b.addRegistered(extension, 'agent');
      sinkA.localPeers.add('caller-owned');
      await a.placeCall(newCall('owned'));
      await b.claimCall(extension, 'owned', { answeredAt: ANSWERED_AT, peerId: 'agent' });
      // A process that was taken for dead, and whose peers another took on, comes back late.
      assert.deepEqual(await a.endCall(extension, 'owned', { reason: 'dropped', peerId: 'agent' }), {
        outcome: 'not-found',
      });
      assert.equal((await a.removeRegistered(extension, 'agent')).changed, false);
      assert.equal((await b.status(extension)).status, 'ready');
      assert.equal(
        (await b.endCall(extension, 'owned', { reason: 'hangup', peerId: 'agent' })).outcome,
        'was-connected',
      );
      assert.equal((await b.removeRegistered(extension, 'agent')).changed, true);
    });

    it("carries the answering agent's name on connected and claimed", async () => {
      await b.addRegistered(extension, 'agent');
      sinkA.localPeers.add('caller-named');
      await a.placeCall(newCall('named'));
      await b.claimCall(extension, 'named', { answeredAt: ANSWERED_AT, peerId: 'agent', name: 'Alice ☎' });
      await eventually(
        'connected and claimed',
        () =>
          sinkA.of(extension).some(([, n]) => n.kind === 'connected' && n.callId === 'named') &&
          sinkB.of(extension).some(([, n]) => n.kind === 'claimed' && n.callId === 'named'),
      );
      assert.deepEqual(
        sinkA.of(extension).find(([, n]) => n.kind === 'connected' && n.callId === 'named')?.[1],
        { kind: 'connected', callId: 'named', answererPeerId: 'agent', name: 'Alice ☎' },
      );
      assert.deepEqual(
        sinkB.of(extension).find(([, n]) => n.kind === 'claimed' && n.callId === 'named')?.[1],
        { kind: 'claimed', callId: 'named', name: 'Alice ☎' },
      );
    });

    it('keeps when a call rang, when and by whom it was answered, and returns them when it ends', async () => {
      await b.addRegistered(extension, 'agent');
      sinkA.localPeers.add('caller-timed');
      const placed = await a.placeCall(newCall('timed'));
      assert.equal(placed.outcome, 'ringing');
      assert.equal(placed.outcome === 'ringing' && placed.call.ringingAt, RINGING_AT);
      const claim = await b.claimCall(extension, 'timed', {
        answeredAt: ANSWERED_AT,
        peerId: 'agent',
        name: 'Alice',
      });
      assert.equal(claim.outcome, 'claimed');
      if (claim.outcome !== 'claimed') return;
      assert.equal(claim.call.answeredAt, ANSWERED_AT);
      assert.equal(claim.call.answererName, 'Alice');
      const ended = await a.endCall(extension, 'timed', { reason: 'hangup', peerId: 'caller-timed' });
      assert.equal(ended.outcome, 'was-connected');
      if (ended.outcome !== 'was-connected') return;
      assert.deepEqual(
        {
          ringingAt: ended.call.ringingAt,
          answeredAt: ended.call.answeredAt,
          answererName: ended.call.answererName,
          name: ended.call.name,
        },
        { ringingAt: RINGING_AT, answeredAt: ANSWERED_AT, answererName: 'Alice', name: 'Caller timed' },
      );
      await a.placeCall(newCall('unanswered'));
      const abandoned = await a.endCall(extension, 'unanswered', { reason: 'timeout' });
      assert.equal(abandoned.outcome, 'was-ringing');
      assert.equal(abandoned.outcome === 'was-ringing' && abandoned.call.ringingAt, RINGING_AT);
      assert.equal(abandoned.outcome === 'was-ringing' && abandoned.call.answeredAt, undefined);
    });

    it('shows every process the registered agents with their names and the calls, for the live view', async () => {
      await b.addRegistered(extension, 'alice', 'Alice');
      await b.addRegistered(extension, 'nameless');
      await a.placeCall(newCall('waiting'));
      await a.placeCall(newCall('talking'));
      await b.claimCall(extension, 'talking', { answeredAt: ANSWERED_AT, peerId: 'alice', name: 'Alice' });
      const view = await a.liveView(extension);
      assert.deepEqual(
        view.agents.sort((x, y) => x.peerId.localeCompare(y.peerId)),
        [{ peerId: 'alice', name: 'Alice' }, { peerId: 'nameless' }],
      );
      assert.deepEqual(
        view.calls.map((call) => [call.callId, call.answererPeerId, call.answererName, call.ringingAt]),
        [
          ['waiting', undefined, undefined, RINGING_AT],
          ['talking', 'alice', 'Alice', RINGING_AT],
        ],
      );
      await b.removeRegistered(extension, 'alice');
      await b.addRegistered(extension, 'alice');
      assert.deepEqual(
        (await b.liveView(extension)).agents.find((agent) => agent.peerId === 'alice'),
        { peerId: 'alice' },
        'the name went with the registration',
      );
      assert.deepEqual(await a.liveView(`${extension}-empty`), { agents: [], calls: [] });
    });

    it('gives a claim and an end racing on a ringing call one consistent order', async () => {
      await b.addRegistered(extension, 'agent');
      for (let i = 0; i < 10; i++) {
        const id = `race-${i}`;
        await a.placeCall(newCall(id));
        const [claim, end] = await Promise.all([
          b.claimCall(extension, id, { answeredAt: ANSWERED_AT, peerId: 'agent' }),
          a.endCall(extension, id, { reason: 'hangup', peerId: `caller-${id}` }),
        ]);
        if (claim.outcome === 'claimed') assert.equal(end.outcome, 'was-connected');
        else assert.equal(end.outcome, 'was-ringing');
      }
    });

    it('relays signals to the other party, in order, with their data text unchanged', async () => {
      await b.addRegistered(extension, 'agent');
      await a.placeCall(newCall('c1'));
      await b.claimCall(extension, 'c1', { answeredAt: ANSWERED_AT, peerId: 'agent' });
      const texts = Array.from({ length: 50 }, (_, i) =>
        JSON.stringify({ seq: i, text: 'héllo "x"', n: 1e308 }),
      );
      sinkA.localPeers.add('caller-c1');
      sinkB.localPeers.add('agent');
      await Promise.all(
        texts.map((text) => a.relaySignal(extension, signal('c1', 'caller-c1', 'agent', text))),
      );
      await Promise.all(
        texts.map((text) => b.relaySignal(extension, signal('c1', 'agent', 'caller-c1', text))),
      );
      const signalsTo = (sink: RecordingSink, peerId: string) =>
        sink
          .of(extension)
          .filter(
            ([audience, n]) => n.kind === 'signal' && audience.kind === 'peer' && audience.peerId === peerId,
          )
          .map(([, n]) => (n.kind === 'signal' ? n.dataJson : ''));
      await eventually(
        'every signal',
        () => signalsTo(sinkB, 'agent').length >= 50 && signalsTo(sinkA, 'caller-c1').length >= 50,
      );
      assert.deepEqual(signalsTo(sinkB, 'agent'), texts);
      assert.deepEqual(signalsTo(sinkA, 'caller-c1'), texts);
    });

    it('sends a signal for a call that has ended back to its sender, refused, after the end', async () => {
      await b.addRegistered(extension, 'agent');
      sinkA.localPeers.add('caller-c4');
      sinkB.localPeers.add('agent');
      await a.placeCall(newCall('c4'));
      await b.claimCall(extension, 'c4', { answeredAt: ANSWERED_AT, peerId: 'agent' });
      await b.endCall(extension, 'c4', { reason: 'hangup', peerId: 'agent' });
      await eventually('the hang-up', () =>
        sinkA.of(extension).some(([, n]) => n.kind === 'disconnected' && n.callId === 'c4'),
      );
      await a.relaySignal(extension, { ...signal('c4', 'caller-c4', 'agent', '{"late":1}'), id: 7 });
      await eventually('the refusal', () => sinkA.of(extension).some(([, n]) => n.kind === 'signal-refused'));
      const toCaller = sinkA
        .of(extension)
        .filter(([audience]) => audience.kind === 'peer' && audience.peerId === 'caller-c4')
        .map(([, n]) => n);
      assert.deepEqual(toCaller.slice(-2), [
        { kind: 'disconnected', callId: 'c4', reason: 'hangup' },
        { kind: 'signal-refused', callId: 'c4', id: 7 },
      ]);
      await settle();
      assert.ok(!sinkB.of(extension).some(([, n]) => n.kind === 'signal' && n.callId === 'c4'));
    });

    it('tells the sender of a signal the other side refused', async () => {
      await b.addRegistered(extension, 'agent');
      sinkA.localPeers.add('caller-c5');
      sinkB.localPeers.add('agent');
      await a.placeCall(newCall('c5'));
      await b.claimCall(extension, 'c5', { answeredAt: ANSWERED_AT, peerId: 'agent' });
      await eventually('connected', () =>
        sinkA.of(extension).some(([, n]) => n.kind === 'connected' && n.callId === 'c5'),
      );
      await a.relaySignal(extension, signal('c5', 'caller-c5', 'agent', '1'));
      await eventually('the signal', () =>
        sinkB.of(extension).some(([, n]) => n.kind === 'signal' && n.callId === 'c5'),
      );
      // What the agent's process does when the signal finds the agent's call already over.
      await b.refuseSignal(extension, { callId: 'c5', senderPeerId: 'caller-c5', id: 'sig-1' });
      await eventually('the refusal', () =>
        sinkA
          .of(extension)
          .some(
            ([audience, n]) =>
              audience.kind === 'peer' &&
              audience.peerId === 'caller-c5' &&
              n.kind === 'signal-refused' &&
              n.callId === 'c5' &&
              n.id === 'sig-1',
          ),
      );
    });

    it("delivers a party's signals before its hang-up, whatever their data holds", async () => {
      await b.addRegistered(extension, 'agent');
      sinkA.localPeers.add('caller-c2').add('caller-c3');
      sinkB.localPeers.add('agent');
      // Newlines, text that looks like the framing, multi-byte characters, and one signal long enough to
      // be sent on its own in the middle of the others.
      const texts = [
        '{"a":\n1}',
        '"12:Sx\\n"',
        JSON.stringify({ sdp: 'v=0\r\na=héllo ☎\r\n'.repeat(1000) }),
        JSON.stringify('x'.repeat(300_000)),
        '[]',
      ];
      const toParty = (sink: RecordingSink, peerId: string, callId: string) =>
        sink
          .of(extension)
          .filter(([audience, n]) => audience.kind === 'peer' && audience.peerId === peerId && 'callId' in n)
          .filter(([, n]) => (n as { callId: string }).callId === callId && n.kind !== 'connected')
          .map(([, n]) => (n.kind === 'signal' ? n.dataJson : n.kind));
      // The caller hangs up after its signals; then, on another call, the agent does.
      for (const [callId, from, sender, to, toSink] of [
        ['c2', a, 'caller-c2', 'agent', sinkB],
        ['c3', b, 'agent', 'caller-c3', sinkA],
      ] as const) {
        await a.placeCall(newCall(callId));
        await b.claimCall(extension, callId, { answeredAt: ANSWERED_AT, peerId: 'agent' });
        await eventually('connected', () =>
          sinkA.of(extension).some(([, n]) => n.kind === 'connected' && n.callId === callId),
        );
        const signals = texts.map((text) => from.relaySignal(extension, signal(callId, sender, to, text)));
        const ended = from.endCall(extension, callId, { reason: 'hangup', peerId: sender });
        await Promise.all([...signals, ended]);
        await eventually('the hang-up', () => toParty(toSink, to, callId).includes('disconnected'));
        assert.deepEqual(toParty(toSink, to, callId), [...texts, 'disconnected']);
      }
    });
  });
}
