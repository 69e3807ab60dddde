import { MemoryBackend } from '../../src/backend/MemoryBackend.js';
import type { Audience, Notice, NoticeSink } from '../../src/core/Notice.js';
import type { SwitchboardBackend } from '../../src/core/SwitchboardBackend.js';
import { delay } from './delay.js';

export interface LaggingBackendOptions {
  /** Seeds the pseudo-random lags, so a run can be repeated. Default 1. */
  seed?: number;
  /** Default 0. */
  minLag?: number;
  /** Default 3. */
  maxLag?: number;
  /**
   * What one unit of lag is: an event-loop turn (for the core driven directly, fast and exact) or a
   * millisecond (through a real server, where sockets need real time). Default `turns`.
   */
  unit?: 'turns' | 'ms';
}

/**
 * Several processes' backends over one shared memory state, behind network-like latency, as a networked
 * backend (Redis) has: every operation answers after a pseudo-random lag, and each notice reaches each
 * process late, in publish order per publishing process (as one pub/sub connection keeps it) but with
 * its own lag per pair of processes, so notices from different publishers overtake one another. That is
 * weaker than what Redis promises, so a core that passes here does not lean on Redis's stronger order.
 */
export class LaggingCluster {
  private readonly state = new MemoryBackend();
  private readonly nodes: LaggingNode[] = [];
  /** The node whose operation is running: the shared state publishes synchronously inside it. */
  private publisher: LaggingNode | undefined;
  private seed: number;
  private readonly minLag: number;
  private readonly maxLag: number;
  readonly wait: (lag: number) => Promise<void>;

  constructor(options: LaggingBackendOptions = {}) {
    this.seed = options.seed ?? 1;
    this.minLag = options.minLag ?? 0;
    this.maxLag = options.maxLag ?? 3;
    this.wait = options.unit === 'ms' ? delay : turnsPass;
    this.state.connect({
      deliver: (e, a, n) => this.route(e, a, n),
      hasPeer: () => false,
      handOver: async () => undefined,
      adopts: false,
      adopt: () => {},
      // The shared state is one process's memory backend: no process of it dies, so it ends no calls itself.
      endedCalls: () => {},
    });
  }

  /** A new process's backend. */
  node(): SwitchboardBackend {
    return new LaggingNode(this);
  }

  adopt(node: LaggingNode): void {
    this.nodes.push(node);
  }

  /** Runs one operation of `node` on the shared state, its notices published as `node`'s. */
  async run<R>(node: LaggingNode, operation: (state: MemoryBackend) => Promise<R>): Promise<R> {
    await this.wait(this.nextLag());
    this.publisher = node;
    let result: Promise<R>;
    try {
      result = operation(this.state);
    } finally {
      this.publisher = undefined;
    }
    const value = await result;
    await this.wait(this.nextLag());
    return value;
  }

  nextLag(): number {
    this.seed = (this.seed * 1103515245 + 12345) % 2147483648;
    return this.minLag + (this.seed % (this.maxLag - this.minLag + 1));
  }

  private route(extensionId: string, audience: Audience, notice: Notice): void {
    const publisher = this.publisher;
    if (publisher === undefined) throw new Error('a notice was published outside an operation');
    for (const receiver of this.nodes) {
      const addressed =
        audience.kind === 'peer' ? receiver.hasPeer(audience.peerId) : receiver.watches(extensionId);
      if (addressed) publisher.send(receiver, () => receiver.deliver(extensionId, audience, notice));
    }
  }
}

class LaggingNode implements SwitchboardBackend {
  private sink: NoticeSink | undefined;
  private readonly watched = new Map<string, number>();
  /** Per receiving node, the chain of this node's notices still on their way to it. */
  private readonly chains = new Map<LaggingNode, Promise<void>>();

  constructor(private readonly cluster: LaggingCluster) {
    cluster.adopt(this);
  }

  connect(sink: NoticeSink): void {
    this.sink = sink;
  }

  async watch(extensionId: string): Promise<void> {
    this.watched.set(extensionId, (this.watched.get(extensionId) ?? 0) + 1);
    await this.cluster.wait(this.cluster.nextLag());
  }

  unwatch(extensionId: string): void {
    const count = (this.watched.get(extensionId) ?? 0) - 1;
    if (count > 0) this.watched.set(extensionId, count);
    else this.watched.delete(extensionId);
  }

  watches(extensionId: string): boolean {
    return this.watched.has(extensionId);
  }

  hasPeer(peerId: string): boolean {
    return this.sink?.hasPeer(peerId) ?? false;
  }

  deliver(extensionId: string, audience: Audience, notice: Notice): void {
    this.sink?.deliver(extensionId, audience, notice);
  }

  send(receiver: LaggingNode, delivery: () => void): void {
    const lag = this.cluster.nextLag();
    const chain = (this.chains.get(receiver) ?? Promise.resolve()).then(async () => {
      await this.cluster.wait(lag);
      delivery();
    });
    this.chains.set(receiver, chain);
  }

  addRegistered: SwitchboardBackend['addRegistered'] = (...args) =>
    this.cluster.run(this, (state) => state.addRegistered(...args));
  removeRegistered: SwitchboardBackend['removeRegistered'] = (...args) =>
    this.cluster.run(this, (state) => state.removeRegistered(...args));
  status: SwitchboardBackend['status'] = (...args) =>
    this.cluster.run(this, (state) => state.status(...args));
  liveView: SwitchboardBackend['liveView'] = (...args) =>
    this.cluster.run(this, (state) => state.liveView(...args));
  placeCall: SwitchboardBackend['placeCall'] = (...args) =>
    this.cluster.run(this, (state) => state.placeCall(...args));
  claimCall: SwitchboardBackend['claimCall'] = (...args) =>
    this.cluster.run(this, (state) => state.claimCall(...args));
  endCall: SwitchboardBackend['endCall'] = (...args) =>
    this.cluster.run(this, (state) => state.endCall(...args));
  relaySignal: SwitchboardBackend['relaySignal'] = (...args) =>
    this.cluster.run(this, (state) => state.relaySignal(...args));
  /** Its nodes share one memory state but hand no peer between them: a peer resumes on its own node. */
  readonly handsOverPeers = false;
  async offerResumable(): Promise<void> {}
  withdrawResumable(): void {}
  recordResumable(): void {}
  forgetResumable(): void {}
  keepForAbsent(): void {}
  async takeResumable(): Promise<undefined> {
    return undefined;
  }
  refuseSignal: SwitchboardBackend['refuseSignal'] = (...args) =>
    this.cluster.run(this, (state) => state.refuseSignal(...args));

  async close(): Promise<void> {
    await Promise.all(this.chains.values());
  }
}

/** One process's backend behind network-like latency (a cluster of one). */
export class LaggingBackend extends LaggingNode {
  constructor(options: LaggingBackendOptions = {}) {
    super(new LaggingCluster(options));
  }
}

async function turnsPass(turns: number): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}
