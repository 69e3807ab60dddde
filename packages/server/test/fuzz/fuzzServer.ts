import { connectCall, placeCall } from '../support/calls.js';
import { FRONT } from '../support/extensions.js';
import { startTestServer } from '../support/testServer.js';
import type { WireClient, WireMessage } from '../support/WireClient.js';
import { isSessionEvent, isSignal } from '../support/wireMatchers.js';
import { FrameGenerator, type FuzzFrame, type FuzzTarget } from './FrameGenerator.js';
import { expectationOf, type FrameExpectation, payloadBytes, replyProblem } from './frameExpectation.js';
import { SeededRandom } from './SeededRandom.js';
import { sameJsonValue } from './sameJsonValue.js';
import { type ClientWatch, preview, watchClient } from './watchClient.js';

/**
 * The frame fuzzer against a real server (in-process, its own port and store). Bystanders that send only
 * valid messages share the extension with the fuzzers: a connected call (its parties exchange a signal
 * every few frames), an idle agent and an idle caller. Three fuzzing lanes send the generated frames one
 * at a time, each followed by a probe request, so that every reply is attributed to the frame before it:
 *
 * - `stranger`: a connection that starts uninitialized (it may `init`, `register`, `call` by itself);
 * - `caller`: a caller in a connected call with a victim agent;
 * - `agent`: a registered agent in a connected call with a victim caller.
 *
 * A victim receives what its fuzzer's valid signals relay, and is a bystander too: nothing a fuzzer sends
 * may close it. A lane whose fuzzer was closed (a frame over the limit) or whose call was ended (a valid
 * `end`) is set up again with a new fuzzer connection.
 */

export interface FuzzOptions {
  seed: number;
  frames: number;
  /** Called every `progressEvery` frames and at the end. */
  onProgress?: (progress: FuzzProgress) => void;
  progressEvery?: number;
}

export interface FuzzProgress {
  framesSent: number;
  elapsedMs: number;
  closes: Record<string, number>;
  relayedSignals: number;
  /** Of those, signals whose data nests deeper than JSON.stringify can go (the known 1011 case). */
  relayedDeepSignals: number;
  laneRestarts: number;
}

export interface FuzzFailure {
  frameIndex: number;
  lane: string;
  /** Undefined when the failure came from a check between or after frames. */
  frame: FuzzFrame | undefined;
  problem: string;
}

export interface FuzzReport extends FuzzProgress {
  seed: number;
  failure: FuzzFailure | undefined;
}

const MAX_FRAME_BYTES = 65_536;
const WAIT_MS = 5_000;
const HEARTBEAT_EVERY = 25;
const HEALTH_EVERY = 500;
const HEARD_CALLS_KEPT = 8;

type LaneName = 'stranger' | 'caller' | 'agent';

interface Lane {
  name: LaneName;
  fuzzer: WireClient;
  watch: ClientWatch;
  /** Undefined for the stranger. */
  victim: WireClient | undefined;
  /** The lane's connected call, while it is up. */
  callId: string | undefined;
  peerId: string | undefined;
  heardCallIds: string[];
}

/** A failed expectation; carries the frame it is blamed on. */
class FuzzProblem extends Error {}

export async function fuzzServer(options: FuzzOptions): Promise<FuzzReport> {
  const startedAt = performance.now();
  const ts = await startTestServer({
    extensions: [FRONT],
    maxMessageBytes: MAX_FRAME_BYTES,
    // Generous, so that the abuse limits answer nothing and every frame reaches the code under test.
    messageRate: 10_000_000,
    messageBurst: 10_000_000,
    registerFailureLimit: 1_000_000,
    ringTimeout: 0,
  });
  const progress: FuzzProgress = {
    framesSent: 0,
    elapsedMs: 0,
    closes: {},
    relayedSignals: 0,
    relayedDeepSignals: 0,
    laneRestarts: 0,
  };
  let current: { lane: string; frame: FuzzFrame | undefined } = { lane: 'setup', frame: undefined };
  const asyncProblems: string[] = [];
  // A crash of the in-process server is a crash of this process; say which frame was in flight.
  const blameFrame = () => {
    const { lane, frame } = current;
    process.stderr.write(
      `fuzz: uncaught exception at frame ${progress.framesSent} (${lane}, seed ${options.seed})` +
        `${frame === undefined ? '' : `: ${describeFrame(frame)}`}\n`,
    );
  };
  process.on('uncaughtExceptionMonitor', blameFrame);
  const report = (problem: string) => asyncProblems.push(problem);
  const watches: ClientWatch[] = [];
  const guard = (client: WireClient, role: string) => {
    watches.push(watchClient(client, role, true, report));
    return client;
  };

  let failure: FuzzFailure | undefined;
  try {
    // Bystanders.
    const callAgent = guard(
      await ts.agent(FRONT.id, FRONT.password, 'bystander agent in call'),
      'bystander agent',
    );
    const idleAgent = guard(await ts.agent(FRONT.id, FRONT.password, 'idle agent'), 'idle agent');
    const callCaller = guard(await ts.peer(FRONT.id, 'bystander caller in call'), 'bystander caller');
    const idleCaller = guard(await ts.peer(FRONT.id, 'idle caller'), 'idle caller');
    const bystanderCall = await connectCall(callCaller, callAgent);
    const victimAgent = guard(await ts.agent(FRONT.id, FRONT.password, 'victim agent'), 'victim agent');
    const victimCaller = guard(await ts.peer(FRONT.id, 'victim caller'), 'victim caller');
    const bystanders = [callAgent, idleAgent, callCaller, idleCaller];

    const random = new SeededRandom(options.seed);
    const generator = new FrameGenerator(random);
    const lanes: Lane[] = [];
    for (const name of ['stranger', 'caller', 'agent'] as const) lanes.push(await openLane(name));
    // What the setup itself caused (the bystander call ringing and claimed) is not the fuzzers' doing.
    for (const client of bystanders) forget(client);

    async function openLane(name: LaneName): Promise<Lane> {
      const label = `${name} fuzzer`;
      switch (name) {
        case 'stranger': {
          const fuzzer = await ts.connect(FRONT.id, { label });
          return lane(name, fuzzer, undefined, undefined, undefined);
        }
        case 'caller': {
          const fuzzer = await ts.peer(FRONT.id, label);
          return lane(name, fuzzer, victimAgent, await connectCall(fuzzer, victimAgent), fuzzer.peerId);
        }
        case 'agent': {
          const fuzzer = await ts.agent(FRONT.id, FRONT.password, label);
          return lane(name, fuzzer, victimCaller, await connectCall(victimCaller, fuzzer), fuzzer.peerId);
        }
      }
    }
    function lane(
      name: LaneName,
      fuzzer: WireClient,
      victim: WireClient | undefined,
      callId: string | undefined,
      peerId: string | undefined,
    ): Lane {
      forget(fuzzer);
      if (victim !== undefined) forget(victim);
      const watch = watchClient(fuzzer, `${name} fuzzer`, false, report);
      return { name, fuzzer, watch, victim, callId, peerId, heardCallIds: [] };
    }
    async function restartLane(index: number): Promise<void> {
      const old = lanes[index] as Lane;
      old.watch.release();
      await old.fuzzer.close();
      lanes[index] = await openLane(old.name);
      progress.laneRestarts++;
    }

    const targetOf = (lane: Lane): FuzzTarget => ({
      ownPeerId: lane.peerId,
      ownCallId: lane.callId,
      knownCallIds: [
        bystanderCall,
        ...lanes.flatMap((other) => (other.callId === undefined ? [] : [other.callId])),
        ...lane.heardCallIds,
      ],
      foreignPeerIds: [
        ...bystanders.map((client) => client.peerId),
        victimAgent.peerId,
        victimCaller.peerId,
        ...lanes.flatMap((other) => (other !== lane && other.peerId !== undefined ? [other.peerId] : [])),
      ],
      password: FRONT.password,
      maxFrameBytes: MAX_FRAME_BYTES,
    });

    const throwIfProblems = () => {
      if (asyncProblems.length > 0) throw new FuzzProblem(asyncProblems.join('; '));
    };

    /** Messages to bystanders: only events for other calls, and no sign of their own call changing. */
    const checkBystanders = () => {
      for (const client of bystanders) {
        for (const message of forget(client)) {
          if (message.type === 'error')
            throw new FuzzProblem(`${client.label} got an error: ${show(message)}`);
          if (message.type === 'signal')
            throw new FuzzProblem(`${client.label} got a stray signal: ${show(message)}`);
          if (message.type === 'event' && message.topic === 'extension') {
            throw new FuzzProblem(`${client.label} heard the extension change: ${show(message)}`);
          }
          if (message.type === 'event' && message.callId === bystanderCall) {
            throw new FuzzProblem(`${client.label} heard its call change: ${show(message)}`);
          }
        }
      }
    };

    /** The bystander call still relays both ways. */
    const heartbeat = async (beat: number) => {
      for (const [from, to] of [
        [callCaller, callAgent],
        [callAgent, callCaller],
      ] as const) {
        const data = { beat, from: from.label };
        from.send({ type: 'signal', peerId: from.peerId, callId: bystanderCall, data });
        const delivered = await to.nextMatching(isSignal(bystanderCall), WAIT_MS, `heartbeat ${beat}`);
        if (!sameJsonValue(delivered.data, data))
          throw new FuzzProblem(`heartbeat came back as ${show(delivered)}`);
      }
    };

    const checkHealth = async () => {
      const response = await fetch(`${ts.server.url}/healthz`, { signal: AbortSignal.timeout(WAIT_MS) });
      if (response.status !== 200) throw new FuzzProblem(`/healthz answered ${response.status}`);
    };

    /** Sends one frame and its probe and checks everything the frame may have caused. */
    const fuzzOne = async (laneIndex: number, frame: FuzzFrame, frameIndex: number) => {
      const lane = lanes[laneIndex] as Lane;
      const { fuzzer, victim } = lane;
      const expectation = expectationOf(frame, MAX_FRAME_BYTES);
      // Whatever arrived since the last probe is events only (checked when it arrived).
      learn(lane, forget(fuzzer));
      if (victim !== undefined) checkVictim(lane, forget(victim));

      fuzzer.sendRaw(payloadBytes(frame), { binary: frame.binary });
      if (expectation.kind === 'close') {
        lane.watch.release();
        const info = await fuzzer.closed(WAIT_MS).catch(() => undefined);
        if (info?.code !== expectation.code) {
          throw new FuzzProblem(
            `expected close ${expectation.code} (${expectation.why}), got ${info === undefined ? 'no close' : info.code}`,
          );
        }
        progress.closes[info.code] = (progress.closes[info.code] ?? 0) + 1;
        if (victim !== undefined && lane.callId !== undefined) {
          const ended = await victim.nextMatching(isSessionEvent('disconnected', lane.callId), WAIT_MS);
          if (ended.reason !== 'dropped')
            throw new FuzzProblem(`victim heard ${show(ended)} after its fuzzer closed`);
        }
        return restartLane(laneIndex);
      }

      const probeId = `probe-${frameIndex}`;
      const initializedBefore = lane.peerId !== undefined;
      fuzzer.send({ type: 'status', peerId: lane.peerId ?? 'probe', id: probeId });
      const probeReply = await fuzzer.nextMatching(
        (message) => message.id === probeId,
        WAIT_MS,
        `probe ${probeId}`,
      );
      const received = fuzzer.history.splice(0);
      fuzzer.drain();
      const probeAt = received.indexOf(probeReply);
      const beforeProbe = received.slice(0, probeAt);
      const afterProbe = received.slice(probeAt + 1);
      const replies = beforeProbe.filter(isReply);
      const problem = replyProblem(expectation, replies);
      if (problem !== undefined)
        throw new FuzzProblem(`${problem}: ${replies.map(show).join(', ') || 'none'}`);
      const late = afterProbe.find(isReply);
      if (late !== undefined) throw new FuzzProblem(`a reply after the probe's: ${show(late)}`);
      learn(lane, received);
      checkProbe(lane, probeReply, initializedBefore);
      await checkConsequences(lane, frame, expectation, replies[0]);
      throwIfProblems();
      checkBystanders();
      if (frameIndex % HEARTBEAT_EVERY === 0) await heartbeat(frameIndex);
      if (frameIndex % HEALTH_EVERY === 0) await checkHealth();
      // A lane whose call a valid `end` legitimately ended gets a new fuzzer and a new call.
      if (lane.victim !== undefined && lane.callId === undefined) await restartLane(laneIndex);
    };

    /** The probe (`status`) answers `ready` for an initialized fuzzer: the extension never went offline. */
    const checkProbe = (lane: Lane, reply: WireMessage, initializedBefore: boolean) => {
      const ok = initializedBefore
        ? reply.type === 'response' && reply.status === 'ready'
        : reply.type === 'error' && (reply.code === 'not-initialized' || reply.code === 'bad-peer-id');
      if (!ok) throw new FuzzProblem(`the probe got ${show(reply)} (${lane.name}, peerId ${lane.peerId})`);
    };

    /** What a valid signal or `end` in the lane's own call must have done to the victim. */
    const checkConsequences = async (
      lane: Lane,
      frame: FuzzFrame,
      expectation: FrameExpectation,
      reply: WireMessage | undefined,
    ) => {
      const { victim, callId } = lane;
      if (victim === undefined || callId === undefined || expectation.kind !== 'message') return;
      const { message, knownType, id } = expectation;
      const inOwnCall = id !== 'invalid' && message.peerId === lane.peerId && message.callId === callId;
      if (knownType === 'signal' && inOwnCall && 'data' in message) {
        if (reply !== undefined)
          throw new FuzzProblem(`a valid signal in a connected call got ${show(reply)}`);
        const delivered = await victim.nextMatching(isSignal(callId), WAIT_MS, 'the relayed signal');
        if (!sameJsonValue(delivered.data, message.data)) {
          throw new FuzzProblem(
            `the victim received different data: ${preview(JSON.stringify(delivered.data) ?? '')}`,
          );
        }
        progress.relayedSignals++;
        if (frame.label.startsWith('deep')) progress.relayedDeepSignals++;
      } else if (knownType === 'end' && inOwnCall && reply?.type === 'response') {
        const ended = await victim.nextMatching(
          isSessionEvent('disconnected', callId),
          WAIT_MS,
          'the hangup',
        );
        if (ended.reason !== 'hangup')
          throw new FuzzProblem(`the victim heard ${show(ended)} after a hangup`);
        lane.callId = undefined;
      }
      checkVictim(lane, forget(victim));
    };

    /** Anything else a victim heard about its call, or any signal it was not meant to get, is a problem. */
    function checkVictim(lane: Lane, messages: WireMessage[]) {
      for (const message of messages) {
        if (message.type === 'signal')
          throw new FuzzProblem(`${lane.name} victim got a stray signal: ${show(message)}`);
        if (message.type === 'error')
          throw new FuzzProblem(`${lane.name} victim got an error: ${show(message)}`);
        if (message.type === 'event' && lane.callId !== undefined && message.callId === lane.callId) {
          throw new FuzzProblem(`${lane.name} victim heard its call change: ${show(message)}`);
        }
      }
    }

    let frameIndex = 0;
    for (; frameIndex < options.frames; frameIndex++) {
      const laneIndex = random.below(lanes.length);
      const lane = lanes[laneIndex] as Lane;
      const frame = generator.next(targetOf(lane));
      current = { lane: lane.name, frame };
      await fuzzOne(laneIndex, frame, frameIndex);
      progress.framesSent = frameIndex + 1;
      if (options.onProgress !== undefined && (frameIndex + 1) % (options.progressEvery ?? 1000) === 0) {
        options.onProgress({ ...progress, elapsedMs: performance.now() - startedAt });
      }
    }

    // State unchanged: the server, the bystander call, the extension, the agents and the victims' calls.
    current = { lane: 'final checks', frame: undefined };
    await checkHealth();
    await heartbeat(frameIndex);
    const status = await idleCaller.request({ type: 'status', peerId: idleCaller.peerId }, WAIT_MS);
    if (status.status !== 'ready') throw new FuzzProblem(`the extension reports ${show(status)}`);
    const newCall = await placeCall(idleCaller);
    await idleAgent.nextMatching(isSessionEvent('ringing', newCall), WAIT_MS, 'ringing for a new call');
    await idleCaller.request({ type: 'end', peerId: idleCaller.peerId, callId: newCall }, WAIT_MS);
    await idleAgent.nextMatching(isSessionEvent('abandoned', newCall), WAIT_MS, 'abandoned for the new call');
    for (const lane of lanes) {
      if (lane.victim === undefined || lane.callId === undefined) continue;
      for (const [from, to] of [
        [lane.fuzzer, lane.victim],
        [lane.victim, lane.fuzzer],
      ] as const) {
        from.send({ type: 'signal', peerId: from.peerId, callId: lane.callId, data: 'still up' });
        await to.nextMatching(isSignal(lane.callId), WAIT_MS, `the ${lane.name} lane's final signal`);
      }
    }
    throwIfProblems();
  } catch (error) {
    const problems = [error instanceof Error ? error.message : String(error), ...asyncProblems];
    failure = {
      frameIndex: progress.framesSent,
      lane: current.lane,
      frame: current.frame,
      problem: [...new Set(problems)].join('; '),
    };
  } finally {
    process.off('uncaughtExceptionMonitor', blameFrame);
    for (const watch of watches) watch.release();
    await ts.close();
  }
  return { ...progress, seed: options.seed, elapsedMs: performance.now() - startedAt, failure };
}

function isReply(message: WireMessage): boolean {
  return message.type === 'response' || message.type === 'error';
}

/** Takes everything a client has queued and clears its history (bounded memory over long runs). */
function forget(client: WireClient): WireMessage[] {
  client.history.length = 0;
  return client.drain();
}

/** Remembers the call ids a fuzzer hears and the peer id its `init` gave it; the peer id never changes. */
function learn(lane: Lane, messages: WireMessage[]): void {
  for (const message of messages) {
    if (message.type === 'response' && message.request === 'init' && typeof message.peerId === 'string') {
      if (lane.peerId !== undefined && message.peerId !== lane.peerId) {
        throw new FuzzProblem(`a second init answered another peerId: ${show(message)}`);
      }
      lane.peerId = message.peerId;
    }
    if (typeof message.callId === 'string' && !lane.heardCallIds.includes(message.callId)) {
      lane.heardCallIds.push(message.callId);
      if (lane.heardCallIds.length > HEARD_CALLS_KEPT) lane.heardCallIds.shift();
    }
  }
}

function show(message: WireMessage): string {
  let text: string;
  try {
    text = JSON.stringify(message);
  } catch {
    text = '(too deep to print)';
  }
  return preview(text, 200);
}

/** A frame as it can be printed in a failure report. */
export function describeFrame(frame: FuzzFrame): string {
  const bytes = payloadBytes(frame);
  const kind = frame.binary ? 'binary' : 'text';
  const shown =
    typeof frame.data === 'string'
      ? preview(frame.data, 600)
      : `hex ${bytes.subarray(0, 300).toString('hex')}`;
  return `${frame.label} [${kind}, ${bytes.length} bytes]: ${shown}`;
}
