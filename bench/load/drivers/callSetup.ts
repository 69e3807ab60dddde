import { nodeCountOf, onNode, serverProcessesOf, type Target } from '../../servers/serverKinds.js';
import { SampleRecorder, summarizeLatencies } from '../../stats/percentiles.js';
import { forEachConcurrent, waitFor } from '../concurrency.js';
import { type CpuMark, cpuSince, markCpu } from '../cpuWindow.js';
import type { CallSetupJob, CallSetupResult } from '../jobs.js';
import { candidatePayloadOf, payloadOf } from '../payloads.js';
import { connectPbxPeer, type PbxPeer, type WireMessage } from '../protocols/pbxProtocol.js';
import { textFrame } from '../rawWs/frames.js';
import { runSchedule } from './openLoop.js';

/**
 * Full call setups against pbx-peers with `agents` registered agents. One setup: the caller sends
 * `call` (every agent hears `ringing`); a free agent answers (the caller hears `connected`, every agent
 * `claimed`); the caller sends an SDP offer and its ICE candidates as signals; the agent, on the offer,
 * sends its SDP answer and candidates; once every signal has arrived both ways the setup is complete
 * (its time is taken here) and the caller ends the call (the agent hears `disconnected`). Caller and
 * agent are then free for the next call.
 *
 * Closed loop: `concurrency` callers call again as soon as their call ended. Open loop: calls are
 * scheduled at `rate` per second and timed from their scheduled time, waiting for a free caller or
 * agent when there is none.
 *
 * On a cluster, agents and callers are spread over the nodes in turn, and a call is answered only by a
 * free agent on another node than its caller's, so every call's notices and signals cross Redis; which
 * node pairs the completed calls used is counted.
 */

const CONNECT_TIMEOUT_MS = 20_000;
const REGISTER_TIMEOUT_MS = 60_000;
const CLOSE_BRACE = Buffer.from('}');
const OPEN_LOOP_CALLERS = 64;

interface Party {
  peer: PbxPeer;
  /** The cluster node it is connected to (0 on one process). */
  node: number;
  call: Call | undefined;
}

interface Call {
  scheduledAt: number;
  caller: Party;
  agent: Party | undefined;
  callId: string | undefined;
  toCaller: number;
  toAgent: number;
  setupAt: number | undefined;
  callerEnded: boolean;
  agentEnded: boolean;
}

export async function runCallSetups(job: CallSetupJob): Promise<CallSetupResult> {
  const { target } = job;
  if (target.protocol !== 'pbx') throw new TypeError('call setups are a pbx-peers figure');
  const callerCount = job.rate === undefined ? job.concurrency : OPEN_LOOP_CALLERS;
  const agents = await openParties(target, job.agents, job.localAddress, async (peer) =>
    peer.register(target.password, REGISTER_TIMEOUT_MS),
  );
  // Callers start one node further on, so the nodes with fewer agents get more callers.
  const callers = await openParties(target, callerCount, job.localAddress, async () => {}, 1);
  try {
    return await drive(job, agents, callers);
  } finally {
    for (const party of [...agents, ...callers]) party.peer.close();
  }
}

async function openParties(
  target: Target,
  count: number,
  localAddress: string | undefined,
  prepare: (peer: PbxPeer) => Promise<void>,
  firstNode = 0,
): Promise<Party[]> {
  const parties: Party[] = [];
  const nodes = nodeCountOf(target);
  await forEachConcurrent(count, 16, async (index) => {
    const node = (firstNode + index) % nodes;
    const peer = await connectPbxPeer(onNode(target, node), localAddress, CONNECT_TIMEOUT_MS);
    await peer.init(CONNECT_TIMEOUT_MS);
    await prepare(peer);
    parties.push({ peer, node, call: undefined });
  });
  return parties;
}

async function drive(job: CallSetupJob, agents: Party[], callers: Party[]): Promise<CallSetupResult> {
  const server = serverProcessesOf(job.target);
  const crossNode = nodeCountOf(job.target) > 1;
  /** Whether `agent` may answer `caller`'s call: on a cluster, only from another node. */
  const matches = (caller: Party, agent: Party) => !crossNode || caller.node !== agent.node;
  const nodePairs: Record<string, number> = {};
  const signalsEachWay = 1 + job.candidates;
  const offer = payloadOf(job.offerBytes);
  const candidates = Array.from({ length: job.candidates }, (_, index) =>
    candidatePayloadOf(job.candidateBytes, index),
  );
  /** The SDP and the candidates of one side, as one write of consecutive frames. */
  const signalBurst = (from: PbxPeer, callId: string) => {
    const prefix = from.signalPrefix(callId);
    return Buffer.concat([offer, ...candidates].map((payload) => textFrame(prefix, payload, CLOSE_BRACE)));
  };

  const freeAgents: Party[] = [...agents];
  const freeCallers: Party[] = [];
  const waitingForAgent: Call[] = [];
  const waitingForCaller: number[] = [];
  const setupTimes = new SampleRecorder();
  let running = true;
  let inProgress = 0;
  let completed = 0;
  let failures = 0;
  let setUpInWindow = 0;
  let measureFrom = Number.POSITIVE_INFINITY;
  let measureTo = Number.POSITIVE_INFINITY;

  const startCall = (caller: Party, scheduledAt: number) => {
    const call: Call = {
      scheduledAt,
      caller,
      agent: undefined,
      callId: undefined,
      toCaller: 0,
      toAgent: 0,
      setupAt: undefined,
      callerEnded: false,
      agentEnded: false,
    };
    caller.call = call;
    inProgress++;
    caller.peer.send({ type: 'call' });
  };
  const assignAgent = (call: Call, agent: Party) => {
    call.agent = agent;
    agent.call = call;
    agent.peer.send({ type: 'answer', callId: call.callId });
  };
  const setUpIfComplete = (call: Call) => {
    if (call.toCaller < signalsEachWay || call.toAgent < signalsEachWay) return;
    const now = performance.now();
    call.setupAt = now;
    const inWindow =
      job.rate === undefined ? now >= measureFrom && now < measureTo : call.scheduledAt >= measureFrom;
    if (inWindow && call.scheduledAt < measureTo) {
      setupTimes.record(now - call.scheduledAt);
      setUpInWindow++;
    }
    call.caller.peer.send({ type: 'end', callId: call.callId });
  };
  const releaseCaller = (caller: Party) => {
    caller.call = undefined;
    if (!running) return;
    if (job.rate === undefined) return startCall(caller, performance.now());
    const dueAt = waitingForCaller.shift();
    if (dueAt === undefined) freeCallers.push(caller);
    else startCall(caller, dueAt);
  };
  const releaseAgent = (agent: Party) => {
    agent.call = undefined;
    const index = waitingForAgent.findIndex((call) => matches(call.caller, agent));
    if (index < 0) {
      freeAgents.push(agent);
      return;
    }
    const [next] = waitingForAgent.splice(index, 1);
    assignAgent(next as Call, agent);
  };
  const finishIfEnded = (call: Call) => {
    if (!call.callerEnded || !call.agentEnded) return;
    inProgress--;
    const now = performance.now();
    if (now >= measureFrom && now < measureTo) {
      completed++;
      if (crossNode && call.agent !== undefined) {
        const pair = `${call.caller.node}>${call.agent.node}`;
        nodePairs[pair] = (nodePairs[pair] ?? 0) + 1;
      }
    }
    if (call.agent !== undefined) releaseAgent(call.agent);
    releaseCaller(call.caller);
  };
  const fail = (call: Call | undefined) => {
    failures++;
    if (call === undefined) return;
    // Give both parties back as if the call had ended.
    call.callerEnded = true;
    call.agentEnded = true;
    finishIfEnded(call);
  };

  for (const caller of callers) {
    caller.peer.onMessage = (message: WireMessage) => {
      const call = caller.call;
      if (message.type === 'response' && message.request === 'call') {
        if (call === undefined || message.status !== 'ringing' || typeof message.callId !== 'string') {
          return fail(call);
        }
        call.callId = message.callId;
        const agent = takeLast(freeAgents, (candidate) => matches(caller, candidate));
        if (agent === undefined) waitingForAgent.push(call);
        else assignAgent(call, agent);
      } else if (message.type === 'event' && message.topic === 'session' && message.status === 'connected') {
        if (call?.callId === undefined) return fail(call);
        caller.peer.ws.send(signalBurst(caller.peer, call.callId));
      } else if (message.type === 'response' && message.request === 'end') {
        if (call === undefined) return;
        call.callerEnded = true;
        finishIfEnded(call);
      } else if (message.type === 'error') {
        fail(call);
      }
    };
    caller.peer.onSignal = () => {
      const call = caller.call;
      if (call === undefined) return;
      call.toCaller++;
      setUpIfComplete(call);
    };
  }
  for (const agent of agents) {
    agent.peer.onMessage = (message: WireMessage) => {
      const call = agent.call;
      if (message.type === 'event' && message.topic === 'session' && message.status === 'disconnected') {
        if (call === undefined) return;
        call.agentEnded = true;
        finishIfEnded(call);
      } else if (
        message.type === 'response' &&
        message.request === 'answer' &&
        message.status !== 'connected'
      ) {
        fail(call);
      } else if (message.type === 'error') {
        fail(call);
      }
      // ringing and claimed (for every call) and the `connected` response need nothing.
    };
    agent.peer.onSignal = () => {
      const call = agent.call;
      if (call?.callId === undefined) return;
      call.toAgent++;
      if (call.toAgent === 1) agent.peer.ws.send(signalBurst(agent.peer, call.callId));
      setUpIfComplete(call);
    };
  }

  const startAt = performance.now() + 20;
  measureFrom = startAt + job.warmupMs;
  measureTo = measureFrom + job.measureMs;
  let start: CpuMark | undefined;
  let end: CpuMark;
  let scheduledInWindow = 0;
  if (job.rate === undefined) {
    for (const caller of callers) startCall(caller, performance.now());
    await new Promise((resolve) => setTimeout(resolve, measureFrom - performance.now()));
    start = markCpu(server);
    await new Promise((resolve) => setTimeout(resolve, measureTo - performance.now()));
    end = markCpu(server);
  } else {
    freeCallers.push(...callers);
    await runSchedule(job.rate, startAt, measureTo, (_index, dueAt) => {
      if (dueAt >= measureFrom) {
        start ??= markCpu(server);
        scheduledInWindow++;
      }
      const caller = freeCallers.pop();
      if (caller === undefined) waitingForCaller.push(dueAt);
      else startCall(caller, dueAt);
    });
    end = markCpu(server);
    await waitFor(() => setUpInWindow >= scheduledInWindow, job.drainMs);
  }
  running = false;
  await waitFor(() => inProgress === 0, job.drainMs);
  const cpu = cpuSince(start ?? end, end);
  return {
    completed,
    perSecond: completed / cpu.server.seconds,
    setup: summarizeLatencies(setupTimes),
    lost: job.rate === undefined ? 0 : scheduledInWindow - setUpInWindow,
    failures,
    server: cpu.server,
    load: cpu.load,
    hostSteal: cpu.hostSteal,
    ...(cpu.serverParts === undefined ? {} : { serverParts: cpu.serverParts }),
    ...(crossNode ? { nodePairs } : {}),
  };
}

/** Removes and returns the last item that satisfies `accepts`. */
function takeLast<T>(items: T[], accepts: (item: T) => boolean): T | undefined {
  for (let index = items.length - 1; index >= 0; index--) {
    if (accepts(items[index] as T)) return items.splice(index, 1)[0];
  }
  return undefined;
}
