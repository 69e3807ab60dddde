/**
 * The load process. The runner starts it pinned to its own core, sends jobs over IPC one at a time and
 * gets one reply per job. It holds the relay pairs between `open-pairs` and `close-pairs` and the idle
 * connections between `idle-open` and `idle-close`; it exits when the runner disconnects.
 *
 * Usage (by the runner): node --import tsx bench/load/worker.ts
 */
import { type ServerKind, serverProcessesOf, type Target } from '../servers/serverKinds.js';
import { runCallSetups } from './drivers/callSetup.js';
import { runConnectionRate } from './drivers/connectionRate.js';
import { IdleConnections } from './drivers/idleConnections.js';
import { runLatency } from './drivers/latency.js';
import { runThroughput } from './drivers/throughput.js';
import type { Job, JobEnvelope, JobKind, JobResults, ReplyEnvelope } from './jobs.js';
import { closeRelayPairs, openRelayPairs, type RelayPair } from './relayPairs.js';

const PAIR_SETUP_TIMEOUT_MS = 60_000;

interface OpenPairs {
  target: Target;
  pairs: RelayPair[];
}

const openPairs = new Map<ServerKind, OpenPairs>();
const idle = new IdleConnections();

function pairsOf(server: ServerKind): OpenPairs {
  const open = openPairs.get(server);
  if (open === undefined) throw new Error(`no relay pairs open for ${server}: send open-pairs first`);
  return open;
}

function closePairs(server: ServerKind): number {
  const open = openPairs.get(server);
  openPairs.delete(server);
  if (open === undefined) return 0;
  closeRelayPairs(open.pairs);
  return open.pairs.length;
}

async function handle(job: Job): Promise<JobResults[JobKind]> {
  switch (job.kind) {
    case 'open-pairs': {
      closePairs(job.target.kind);
      const started = performance.now();
      const pairs = await openRelayPairs(job.target, job.pairs, job.localAddress, PAIR_SETUP_TIMEOUT_MS);
      openPairs.set(job.target.kind, { target: job.target, pairs });
      return { pairs: pairs.length, setupSeconds: (performance.now() - started) / 1000 };
    }
    case 'throughput': {
      const open = pairsOf(job.server);
      return runThroughput(open.pairs, serverProcessesOf(open.target), job);
    }
    case 'latency': {
      const open = pairsOf(job.server);
      return runLatency(open.pairs, serverProcessesOf(open.target), job);
    }
    case 'close-pairs':
      return { closed: closePairs(job.server) };
    case 'connect-rate':
      return runConnectionRate(job);
    case 'idle-open':
      return idle.openUpTo(job);
    case 'idle-close':
      return idle.closeAll();
    case 'call-setup':
      return runCallSetups(job);
  }
}

function isEnvelope(value: unknown): value is JobEnvelope {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { seq?: unknown }).seq === 'number' &&
    typeof (value as { job?: unknown }).job === 'object'
  );
}

// One job at a time, in arrival order.
let queue: Promise<void> = Promise.resolve();
process.on('message', (message: unknown) => {
  if (!isEnvelope(message)) return;
  queue = queue.then(async () => {
    let reply: ReplyEnvelope;
    try {
      reply = { seq: message.seq, ok: true, result: await handle(message.job) };
    } catch (error) {
      reply = {
        seq: message.seq,
        ok: false,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      };
    }
    process.send?.(reply);
  });
});
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });
