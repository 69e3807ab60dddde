import type { ServerProcess } from '../../servers/serverKinds.js';
import { delay, waitFor } from '../concurrency.js';
import { cpuSince, markCpu } from '../cpuWindow.js';
import type { ThroughputJob, ThroughputResult } from '../jobs.js';
import { payloadOf, startsWith } from '../payloads.js';
import { textFrame } from '../rawWs/frames.js';
import type { RelayPair } from '../relayPairs.js';

const CLOSE_BRACE = Buffer.from('}');
const DRAIN_MS = 5000;

/**
 * Closed loop at saturation: in every pair, A keeps `window` signals in flight; B echoes each signal it
 * receives with one of the same size; A sends a new one for each echo. Every delivered signal, either
 * way, counts as one relayed message. Frames are built once: the servers do the same work for each.
 */
export async function runThroughput(
  pairs: readonly RelayPair[],
  server: readonly ServerProcess[],
  job: ThroughputJob,
): Promise<ThroughputResult> {
  const payload = payloadOf(job.payloadBytes);
  let delivered = 0;
  let unexpected = 0;
  let inFlight = 0;
  let running = true;
  for (const { a, b } of pairs) {
    const frameFromA = textFrame(a.prefixFor(job.payloadBytes), payload, CLOSE_BRACE);
    const frameFromB = textFrame(b.prefixFor(job.payloadBytes), payload, CLOSE_BRACE);
    const atA = a.deliveredStart(job.payloadBytes);
    const atB = b.deliveredStart(job.payloadBytes);
    a.ws.onText = (frame) => {
      if (!startsWith(frame, atA)) {
        unexpected++;
        return;
      }
      delivered++;
      inFlight--;
      if (running) {
        inFlight++;
        a.ws.send(frameFromA);
      }
    };
    b.ws.onText = (frame) => {
      if (!startsWith(frame, atB)) {
        unexpected++;
        return;
      }
      delivered++;
      b.ws.send(frameFromB);
    };
    a.ws.socket.cork();
    for (let sent = 0; sent < job.window; sent++) {
      inFlight++;
      a.ws.send(frameFromA);
    }
    a.ws.socket.uncork();
  }

  await delay(job.warmupMs);
  const start = markCpu(server);
  const deliveredAtStart = delivered;
  await delay(job.measureMs);
  const end = markCpu(server);
  const messages = delivered - deliveredAtStart;

  running = false;
  await waitFor(() => inFlight <= 0, DRAIN_MS);
  for (const { a, b } of pairs) {
    a.ws.onText = () => {};
    b.ws.onText = () => {};
  }
  const cpu = cpuSince(start, end);
  return {
    messages,
    messagesPerSecond: messages / cpu.server.seconds,
    server: cpu.server,
    load: cpu.load,
    hostSteal: cpu.hostSteal,
    unexpected,
    ...(cpu.serverParts === undefined ? {} : { serverParts: cpu.serverParts }),
  };
}
