/**
 * `npm run bench`: pbx-peers against the PeerJS server and two bare `ws` relays, side by side.
 * Prints one table and PASS/FAIL lines for the targets, and writes every measurement to
 * bench/results/<mode>-<timestamp>.json. Method and results: BENCHMARKS.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { figureRows } from './report/figures.js';
import { renderTable } from './report/table.js';
import { checkTargets, renderTargets } from './report/targets.js';
import { parseCli, USAGE, UsageError } from './runner/args.js';
import type { BenchResults } from './runner/results.js';
import { runBenchmark } from './runner/runBenchmark.js';
import { benchFile } from './servers/paths.js';
import { median } from './stats/summary.js';

async function main(argv: readonly string[]): Promise<number> {
  let cli: ReturnType<typeof parseCli>;
  try {
    cli = parseCli(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`error: ${error.message}\n${USAGE}\n`);
    return 2;
  }
  if (cli.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const began = performance.now();
  const log = (line: string) =>
    process.stderr.write(`[${((performance.now() - began) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
  const results = await runBenchmark({ mode: cli.mode, pin: cli.pin, log });
  const rows = figureRows(results);
  const targets = checkTargets(results, rows);

  const outDir = cli.outDir ?? benchFile('results');
  mkdirSync(outDir, { recursive: true });
  const stamp = results.startedAt.replaceAll(':', '-').replace(/\.\d+Z$/, 'Z');
  const file = join(outDir, `${cli.mode.name}-${stamp}.json`);
  writeFileSync(file, `${JSON.stringify({ ...results, summary: rows, targets }, null, 2)}\n`);

  const { machine, cluster } = results;
  const steal = hostStealShares(results);
  const clusterLine =
    'skipped' in cluster
      ? `cluster figures left out: ${cluster.skipped}`
      : `cluster: ${cluster.nodes} pbx-peers nodes on a private Redis ${cluster.redis}` +
        (machine.pinned ? ', all on the server core' : '');
  const lines = [
    '',
    `pbx-peers benchmark, ${cli.mode.name} mode, ${results.rounds.length} round(s), ${results.startedAt}`,
    `${machine.cpuModel}, ${machine.cpus} cores, ${machine.memory}, Node ${machine.node}, ws ${machine.ws}, peer ${machine.peer}, ` +
      (machine.pinned ? 'servers on core 0, load on core 1' : 'not pinned'),
    clusterLine,
    '',
    renderTable(rows),
    '',
    `Host steal during measurement windows: median ${percent(median(steal))}, max ${percent(Math.max(0, ...steal))}.`,
    'Cells: median (min–max over rounds) ×ratio to the ws relay (parse) in the same round (the cluster: to pbx-peers); † some runs did not count.',
    '',
    renderTargets(targets),
    '',
    `results: ${file}`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
  return 0;
}

/** The hypervisor's share of the machine in every measurement window: a noise indicator. */
function hostStealShares(results: BenchResults): number[] {
  const shares: number[] = [];
  for (const round of results.rounds) {
    for (const bySize of Object.values(round.throughput))
      for (const run of Object.values(bySize ?? {})) shares.push(run.hostSteal);
    for (const runs of Object.values(round.latency)) for (const run of runs ?? []) shares.push(run.hostSteal);
    for (const run of Object.values(round.connect)) if (run !== undefined) shares.push(run.hostSteal);
    for (const calls of Object.values(round.calls))
      if (calls !== undefined) shares.push(calls.saturated.hostSteal, calls.halfRate.hostSteal);
  }
  return shares;
}

const percent = (share: number) => (Number.isFinite(share) ? `${(share * 100).toFixed(1)}%` : '—');

process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));
process.exitCode = await main(process.argv.slice(2));
