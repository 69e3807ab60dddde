/** How long and how hard each mode runs. `full` is the reported run; `quick` is for development. */
export type ModeName = 'smoke' | 'quick' | 'full';

export interface ModeParams {
  name: ModeName;
  /** Interleaved rounds; the server order rotates each round. */
  rounds: number;
  relay: {
    pairs: number;
    /** Messages each pair's sender keeps in flight. */
    window: number;
    payloads: readonly number[];
    warmupMs: number;
    measureMs: number;
  };
  latency: {
    payloadBytes: number;
    /** Offered rates as fractions of the weakest server's saturation (from round 1, same payload). */
    fractions: readonly number[];
    warmupMs: number;
    measureMs: number;
    drainMs: number;
  };
  connect: { warmupCount: number; count: number; concurrency: number };
  memory: { rounds: number; steps: readonly number[]; concurrency: number };
  calls: {
    agents: number;
    concurrency: number;
    offerBytes: number;
    candidates: number;
    candidateBytes: number;
    warmupMs: number;
    measureMs: number;
    drainMs: number;
  };
  cluster: {
    /**
     * Discarded traffic before the cluster's first relay run and before its first call setups: its
     * nodes each see a third of the traffic, so their hot paths take longer to be optimised.
     */
    jitWarmupMs: number;
  };
  /** A throughput run counts only when the server used at least this share of its core. */
  saturation: number;
  /** Extra attempts for a throughput run whose server core was not saturated. */
  retries: number;
}

const callShape = { agents: 10, offerBytes: 8192, candidates: 10, candidateBytes: 150 } as const;

export const MODES: Record<ModeName, ModeParams> = {
  smoke: {
    name: 'smoke',
    rounds: 1,
    relay: { pairs: 3, window: 2, payloads: [200, 8192], warmupMs: 100, measureMs: 250 },
    latency: { payloadBytes: 200, fractions: [0.25, 0.5, 0.75], warmupMs: 50, measureMs: 150, drainMs: 1000 },
    connect: { warmupCount: 10, count: 40, concurrency: 8 },
    memory: { rounds: 1, steps: [10, 20, 30], concurrency: 8 },
    calls: { ...callShape, agents: 3, concurrency: 4, warmupMs: 100, measureMs: 300, drainMs: 2000 },
    cluster: { jitWarmupMs: 200 },
    saturation: 0.9,
    retries: 0,
  },
  quick: {
    name: 'quick',
    rounds: 1,
    relay: { pairs: 40, window: 2, payloads: [200, 8192], warmupMs: 400, measureMs: 1200 },
    latency: {
      payloadBytes: 200,
      fractions: [0.25, 0.5, 0.75],
      warmupMs: 200,
      measureMs: 700,
      drainMs: 1000,
    },
    connect: { warmupCount: 500, count: 1000, concurrency: 64 },
    memory: { rounds: 1, steps: [400, 800, 1200, 1600], concurrency: 32 },
    calls: { ...callShape, concurrency: 20, warmupMs: 400, measureMs: 1200, drainMs: 3000 },
    cluster: { jitWarmupMs: 2000 },
    saturation: 0.9,
    retries: 0,
  },
  full: {
    name: 'full',
    rounds: 3,
    relay: { pairs: 100, window: 2, payloads: [200, 8192], warmupMs: 1500, measureMs: 4000 },
    latency: {
      payloadBytes: 200,
      fractions: [0.25, 0.5, 0.75],
      warmupMs: 1000,
      measureMs: 3000,
      drainMs: 3000,
    },
    connect: { warmupCount: 2000, count: 6000, concurrency: 64 },
    memory: { rounds: 2, steps: [2500, 5000, 7500, 10000, 12500, 15000], concurrency: 64 },
    calls: { ...callShape, concurrency: 20, warmupMs: 1500, measureMs: 4000, drainMs: 5000 },
    cluster: { jitWarmupMs: 8000 },
    saturation: 0.9,
    retries: 2,
  },
};
