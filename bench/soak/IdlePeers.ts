import { forEachConcurrent } from '../load/concurrency.js';
import type { Target } from '../servers/serverKinds.js';
import { SoakPeer } from './SoakPeer.js';

export interface IdleOptions {
  targets: readonly Target[];
  count: number;
  reconnectsPerSecond: number;
}

const WAIT_MS = 10_000;
const OPEN_CONCURRENCY = 32;
const TICK_MS = 100;

/**
 * Idle callers spread over the extensions, initialized and then silent, as most of a real intercom's
 * visitors are. A few drop and come back every second (half with a close frame, half by cutting the
 * TCP connection), so connection set-up and clean-up are soaked too.
 */
export class IdlePeers {
  readonly counters = { reconnects: 0, errors: 0 };
  private readonly slots: (SoakPeer | undefined)[] = [];
  private readonly busy = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private owed = 0;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: IdleOptions) {}

  async start(): Promise<void> {
    const { count, targets } = this.options;
    await forEachConcurrent(count, OPEN_CONCURRENCY, async (index) => {
      this.slots[index] = await this.open(targets[index % targets.length] as Target);
    });
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  get peerCount(): number {
    return this.slots.filter((peer) => peer !== undefined && !peer.closed).length;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.inFlight);
    for (const peer of this.slots) peer?.close();
  }

  private open(target: Target): Promise<SoakPeer> {
    return SoakPeer.open(target, WAIT_MS, () => this.counters.errors++);
  }

  private tick(): void {
    const { count, targets } = this.options;
    if (count === 0) return;
    this.owed += (this.options.reconnectsPerSecond * TICK_MS) / 1000;
    for (; this.owed >= 1; this.owed--) {
      const index = Math.floor(Math.random() * count);
      if (this.busy.has(index)) continue;
      this.busy.add(index);
      const old = this.slots[index];
      if (Math.random() < 0.5) old?.close();
      else old?.drop();
      const reconnect = this.open(targets[index % targets.length] as Target).then(
        (peer) => {
          this.slots[index] = peer;
          this.counters.reconnects++;
        },
        () => {
          this.slots[index] = undefined;
          this.counters.errors++;
        },
      );
      const tracked = reconnect.finally(() => {
        this.busy.delete(index);
        this.inFlight.delete(tracked);
      });
      this.inFlight.add(tracked);
    }
  }
}
