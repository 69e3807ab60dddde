import { delay } from '../load/concurrency.js';
import type { Target } from '../servers/serverKinds.js';
import { isSessionEvent, SoakPeer, type WireMessage } from './SoakPeer.js';
import type { SoakExtension } from './startSoakServer.js';

export interface ChurnCounters {
  callsCompleted: number;
  signalsRelayed: number;
  errors: number;
  reconnects: number;
  /** The first few distinct error messages, for the report. */
  errorSamples: string[];
}

export interface ChurnOptions {
  host: string;
  port: number;
  serverPid: number;
  extensions: readonly SoakExtension[];
  agentsPerExtension: number;
  callersPerExtension: number;
  callsPerSecond: number;
  signalsEachWay: number;
}

type Ending = 'caller hangs up' | 'agent hangs up' | 'caller leaves' | 'agent leaves';

/** How calls end: mostly hang-ups; a caller's or an agent's connection closing (then it reconnects). */
const ENDINGS: readonly [Ending, number][] = [
  ['caller hangs up', 0.4],
  ['agent hangs up', 0.4],
  ['caller leaves', 0.17],
  // An agent's reconnect costs a scrypt check on register: kept rare.
  ['agent leaves', 0.03],
];

const WAIT_MS = 10_000;
const ERROR_SAMPLES_KEPT = 8;

/** A pool of one extension's free agents; a caller borrows one for each call. */
class AgentPool {
  private readonly free: SoakPeer[] = [];
  private readonly waiting: ((agent: SoakPeer) => void)[] = [];

  give(agent: SoakPeer): void {
    const next = this.waiting.shift();
    if (next === undefined) this.free.push(agent);
    else next(agent);
  }

  take(timeoutMs: number): Promise<SoakPeer | undefined> {
    const agent = this.free.pop();
    if (agent !== undefined) return Promise.resolve(agent);
    return new Promise((resolve) => {
      const handOver = (given: SoakPeer) => {
        clearTimeout(timer);
        resolve(given);
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(handOver), 1);
        resolve(undefined);
      }, timeoutMs);
      this.waiting.push(handOver);
    });
  }
}

/**
 * Continuous call churn on every extension: each caller, in its own loop, calls, has a free agent of its
 * extension answer, exchanges a few signals each way, and ends the call (hang-up by either side, or a
 * connection closed, after which that peer reconnects), then pauses so that all callers together start
 * about `callsPerSecond` calls a second. Every wait is bounded; a failed step counts an error, closes the
 * peers involved and the loop goes on with fresh ones. `stop()` ends every loop and closes every peer.
 */
export class CallChurn {
  readonly counters: ChurnCounters = {
    callsCompleted: 0,
    signalsRelayed: 0,
    errors: 0,
    reconnects: 0,
    errorSamples: [],
  };
  private running = false;
  private readonly loops: Promise<void>[] = [];
  private readonly pools = new Map<string, AgentPool>();
  private readonly open = new Set<SoakPeer>();

  constructor(private readonly options: ChurnOptions) {}

  async start(): Promise<void> {
    this.running = true;
    for (const extension of this.options.extensions) {
      const pool = new AgentPool();
      this.pools.set(extension.id, pool);
      for (let index = 0; index < this.options.agentsPerExtension; index++)
        pool.give(await this.openAgent(extension));
    }
    const callers = this.options.extensions.length * this.options.callersPerExtension;
    const meanPauseMs = (1000 * callers) / this.options.callsPerSecond;
    for (const extension of this.options.extensions) {
      for (let index = 0; index < this.options.callersPerExtension; index++) {
        this.loops.push(this.callerLoop(extension, meanPauseMs));
      }
    }
  }

  /** Ends the loops (each finishes its current call, bounded by its waits) and closes every peer. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    for (const peer of this.open) peer.close();
    this.open.clear();
  }

  get peerCount(): number {
    return this.open.size;
  }

  private target(extension: SoakExtension): Target {
    const { host, port, serverPid } = this.options;
    return {
      protocol: 'pbx',
      kind: 'pbx-peers',
      host,
      port,
      serverPid,
      extensionId: extension.id,
      password: extension.password,
    };
  }

  private async openPeer(extension: SoakExtension): Promise<SoakPeer> {
    const peer = await SoakPeer.open(this.target(extension), WAIT_MS, (message) =>
      this.fail(`unexpected ${JSON.stringify(message)}`),
    );
    this.open.add(peer);
    return peer;
  }

  private async openAgent(extension: SoakExtension): Promise<SoakPeer> {
    const agent = await this.openPeer(extension);
    await agent.register(extension.password, WAIT_MS);
    return agent;
  }

  private retire(peer: SoakPeer): void {
    peer.close();
    this.open.delete(peer);
  }

  private fail(reason: string): void {
    this.counters.errors++;
    const { errorSamples } = this.counters;
    if (errorSamples.length < ERROR_SAMPLES_KEPT && !errorSamples.includes(reason)) errorSamples.push(reason);
  }

  private async callerLoop(extension: SoakExtension, meanPauseMs: number): Promise<void> {
    const pool = this.pools.get(extension.id) as AgentPool;
    let caller: SoakPeer | undefined;
    // Spread the first calls over one mean pause so that the loops do not start in step.
    await delay(Math.random() * meanPauseMs);
    while (this.running) {
      let agent: SoakPeer | undefined;
      try {
        caller ??= await this.openPeer(extension);
        agent = await pool.take(WAIT_MS);
        if (agent === undefined) throw new Error('no free agent');
        const ending = await this.oneCall(caller, agent);
        this.counters.callsCompleted++;
        if (ending === 'caller leaves') {
          this.retire(caller);
          caller = undefined;
          this.counters.reconnects++;
        }
        if (ending === 'agent leaves') {
          this.retire(agent);
          agent = await this.openAgent(extension);
          this.counters.reconnects++;
        }
      } catch (error) {
        this.fail(error instanceof Error ? error.message : String(error));
        // Start over with fresh peers rather than guess what state the old ones are in.
        if (caller !== undefined) this.retire(caller);
        caller = undefined;
        if (agent !== undefined) {
          this.retire(agent);
          agent = await this.openAgent(extension).catch(() => undefined);
        }
      }
      if (agent !== undefined) pool.give(agent);
      // Exponential pauses: call starts come as a Poisson stream of about `callsPerSecond`.
      if (this.running) await delay(-Math.log(1 - Math.random()) * meanPauseMs);
    }
    if (caller !== undefined) this.retire(caller);
  }

  /** One call from ringing to its end; returns how it ended. Throws on anything off script. */
  private async oneCall(caller: SoakPeer, agent: SoakPeer): Promise<Ending> {
    caller.reset();
    agent.reset();
    const ringing = await caller.request({ type: 'call' }, WAIT_MS);
    const callId = ringing.callId;
    if (ringing.status !== 'ringing' || typeof callId !== 'string')
      throw new Error(`call answered ${show(ringing)}`);
    const connected = caller.waitFor(isSessionEvent('connected', callId), WAIT_MS, 'connected');
    const answer = await agent.request({ type: 'answer', callId }, WAIT_MS);
    if (answer.status !== 'connected') throw new Error(`answer answered ${show(answer)}`);
    await connected;
    for (let index = 0; index < this.options.signalsEachWay; index++) {
      caller.signal(callId, {
        sdp: `offer ${index}`,
        candidate: `candidate:${index} 1 udp 2122260223 192.0.2.1 5000${index} typ host`,
      });
      await agent.nextSignal(WAIT_MS);
      agent.signal(callId, { sdp: `answer ${index}` });
      await caller.nextSignal(WAIT_MS);
      this.counters.signalsRelayed += 2;
    }
    const ending = pickEnding();
    const [leaver, other] = ending.startsWith('caller') ? [caller, agent] : [agent, caller];
    const reason = ending.endsWith('hangs up') ? 'hangup' : 'dropped';
    const heard = other.waitFor(isSessionEvent('disconnected', callId), WAIT_MS, `disconnected (${reason})`);
    if (reason === 'hangup') {
      const ended = await leaver.request({ type: 'end', callId }, WAIT_MS);
      if (ended.status !== 'disconnected') throw new Error(`end answered ${show(ended)}`);
    } else {
      leaver.close();
    }
    const disconnected = await heard;
    if (disconnected.reason !== reason) throw new Error(`expected ${reason}, heard ${show(disconnected)}`);
    return ending;
  }
}

function pickEnding(): Ending {
  let roll = Math.random();
  for (const [ending, share] of ENDINGS) {
    roll -= share;
    if (roll < 0) return ending;
  }
  return 'caller hangs up';
}

function show(message: WireMessage): string {
  return JSON.stringify(message).slice(0, 200);
}
