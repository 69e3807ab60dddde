import { parseArgs } from 'node:util';

export interface SoakOptions {
  minutes: number;
  /** Idle callers held open for the whole run (a few reconnect now and then). */
  peers: number;
  extensions: number;
  /** Registered agents per extension. */
  agents: number;
  /** Callers per extension that call in a loop. */
  callers: number;
  /** Calls started per second over all extensions (a target; the loop is paced, not saturated). */
  rate: number;
  /** Signals each way per call. */
  signals: number;
  /** Idle callers that drop and reconnect per second. */
  idleReconnects: number;
  sampleSeconds: number;
  warmupSeconds: number;
  outDir: string;
}

export const USAGE = `usage: npm run soak -- [--minutes N] [--peers N] [--extensions N] [--agents N] [--callers N]
                      [--rate N] [--signals N] [--idle-reconnects N] [--sample-seconds N]
                      [--warmup-seconds N] [--out DIR]

  --minutes N          how long the churn runs (default 5)
  --peers N            idle callers held open (default 2000)
  --extensions N       extensions created with the CLI (default 20)
  --agents N           registered agents per extension (default 3)
  --callers N          callers per extension calling in a loop (default 5)
  --rate N             calls per second over all extensions (default 100)
  --signals N          signals each way per call (default 3)
  --idle-reconnects N  idle callers dropped and reconnected per second (default 10)
  --sample-seconds N   memory sample and progress line interval (default 10)
  --warmup-seconds N   samples before this are left out of the slopes (default: min(60, a quarter of the run))
  --out DIR            where the JSON goes (default bench/results)`;

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseSoakArgs(argv: readonly string[], defaultOutDir: string): SoakOptions | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        minutes: { type: 'string' },
        peers: { type: 'string' },
        extensions: { type: 'string' },
        agents: { type: 'string' },
        callers: { type: 'string' },
        rate: { type: 'string' },
        signals: { type: 'string' },
        'idle-reconnects': { type: 'string' },
        'sample-seconds': { type: 'string' },
        'warmup-seconds': { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) return 'help';
  const number = (name: string, fallback: number, min: number, max: number): number => {
    const text = values[name];
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < min || value > max) {
      throw new UsageError(`--${name} must be a number from ${min} to ${max}, got "${String(text)}"`);
    }
    return value;
  };
  const minutes = number('minutes', 5, 0.05, 24 * 60);
  const integer = (name: string, fallback: number, min: number, max: number) =>
    Math.round(number(name, fallback, min, max));
  return {
    minutes,
    peers: integer('peers', 2000, 0, 15_000),
    extensions: integer('extensions', 20, 1, 500),
    agents: integer('agents', 3, 1, 50),
    callers: integer('callers', 5, 1, 100),
    rate: number('rate', 100, 0.1, 10_000),
    signals: integer('signals', 3, 0, 100),
    idleReconnects: number('idle-reconnects', 10, 0, 1_000),
    sampleSeconds: number('sample-seconds', 10, 0.5, 600),
    warmupSeconds: number('warmup-seconds', Math.min(60, (minutes * 60) / 4), 0, 24 * 3600),
    outDir: typeof values.out === 'string' ? values.out : defaultOutDir,
  };
}
