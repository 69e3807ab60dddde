import { serverProcessesOf } from '../../servers/serverKinds.js';
import { forEachConcurrent } from '../concurrency.js';
import { cpuSince, markCpu } from '../cpuWindow.js';
import type { ConnectRateJob, ConnectRateResult } from '../jobs.js';
import { openPeer } from '../openPeer.js';
import type { RawWebSocket } from '../rawWs/RawWebSocket.js';

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Connections per second with at most `concurrency` handshakes in flight: each counts once the server
 * answered (PeerJS format: OPEN; pbx-peers: the `init` response). They stay open until the run ends,
 * then all close; a warm-up batch goes first and is not timed.
 */
export async function runConnectionRate(job: ConnectRateJob): Promise<ConnectRateResult> {
  const { target } = job;
  const open: RawWebSocket[] = [];
  let failures = 0;
  const connectMany = (count: number) =>
    forEachConcurrent(count, job.concurrency, async () => {
      try {
        open.push(await openPeer(target, job.localAddress, true, CONNECT_TIMEOUT_MS));
      } catch {
        failures++;
      }
    });
  try {
    await connectMany(job.warmupCount);
    const warmupFailures = failures;
    const start = markCpu(serverProcessesOf(target));
    await connectMany(job.count);
    const end = markCpu(serverProcessesOf(target));
    const cpu = cpuSince(start, end);
    const connections = job.count - (failures - warmupFailures);
    return {
      connections,
      failures,
      perSecond: connections / cpu.server.seconds,
      server: cpu.server,
      load: cpu.load,
      hostSteal: cpu.hostSteal,
    };
  } finally {
    for (const ws of open) ws.destroy();
  }
}
