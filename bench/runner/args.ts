import { parseArgs } from 'node:util';
import { MODES, type ModeName, type ModeParams } from './modes.js';

export interface CliOptions {
  mode: ModeParams;
  outDir: string | undefined;
  pin: boolean;
  help: boolean;
}

export const USAGE = `usage: npm run bench -- [--quick | --smoke | --full] [--rounds N] [--out DIR] [--no-pin]

  --full      the reported run: 3 interleaved rounds, about 15 minutes (default)
  --quick     one short round, about a minute and a half, for development
  --smoke     a few seconds per figure with a handful of connections (used by bench/test)
  --rounds N  override the number of rounds
  --out DIR   where the JSON goes (default bench/results)
  --no-pin    do not pin the servers to core 0 and the load to core 1

The pbx-peers cluster (3 nodes on a private redis-server, all on the server core) is measured when
redis-server is on the PATH.`;

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseCli(argv: readonly string[]): CliOptions {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values } = parsed;
  const chosen = (['smoke', 'quick', 'full'] as const).filter((name) => values[name] === true);
  if (chosen.length > 1) throw new UsageError('choose one of --smoke, --quick, --full');
  const name: ModeName = chosen[0] ?? 'full';
  let mode = MODES[name];
  if (values.rounds !== undefined) {
    const rounds = Number(values.rounds);
    if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20)
      throw new UsageError('--rounds must be 1 to 20');
    mode = { ...mode, rounds };
  }
  return { mode, outDir: values.out, pin: values['no-pin'] !== true, help: values.help === true };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    options: {
      smoke: { type: 'boolean' },
      quick: { type: 'boolean' },
      full: { type: 'boolean' },
      rounds: { type: 'string' },
      out: { type: 'string' },
      'no-pin': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
}
