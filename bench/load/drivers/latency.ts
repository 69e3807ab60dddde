import type { ServerProcess } from '../../servers/serverKinds.js';
import { SampleRecorder, summarizeLatencies } from '../../stats/percentiles.js';
import { waitFor } from '../concurrency.js';
import { type CpuMark, cpuSince, markCpu } from '../cpuWindow.js';
import type { LatencyJob, LatencyResult } from '../jobs.js';
import { readStamp, StampedFrame, stampValue, startsWith } from '../payloads.js';
import type { RelayEndpoint, RelayPair } from '../relayPairs.js';
import { runSchedule } from './openLoop.js';

interface Sender {
  from: RelayEndpoint;
  frame: StampedFrame;
}

/**
 * Open loop at a fixed offered rate: signals leave on a fixed schedule, alternating over both
 * directions of every pair, each stamped with its scheduled send time; the receiver records
 * receipt time minus scheduled time. Only signals scheduled inside the measurement window count.
 */
export async function runLatency(
  pairs: readonly RelayPair[],
  server: readonly ServerProcess[],
  job: LatencyJob,
): Promise<LatencyResult> {
  const senders: Sender[] = [];
  const recorder = new SampleRecorder();
  let unexpected = 0;
  let received = 0;
  const startAt = performance.now() + 20;
  const measureFrom = startAt + job.warmupMs;
  const measureTo = measureFrom + job.measureMs;

  const receiveAt = (to: RelayEndpoint) => {
    const start = to.deliveredStart(job.payloadBytes);
    to.ws.onText = (frame) => {
      const now = performance.now();
      if (!startsWith(frame, start)) {
        unexpected++;
        return;
      }
      const stamp = readStamp(frame);
      if (stamp >= measureFrom && stamp < measureTo) {
        received++;
        recorder.record(now - stamp);
      }
    };
  };
  for (const { a, b } of pairs) {
    senders.push({ from: a, frame: new StampedFrame(a.prefixFor(job.payloadBytes), job.payloadBytes) });
    senders.push({ from: b, frame: new StampedFrame(b.prefixFor(job.payloadBytes), job.payloadBytes) });
    receiveAt(a);
    receiveAt(b);
  }

  let scheduled = 0;
  let start: CpuMark | undefined;
  await runSchedule(job.rate, startAt, measureTo, (index, exactDueAt) => {
    const dueAt = stampValue(exactDueAt);
    if (dueAt >= measureFrom && dueAt < measureTo) {
      start ??= markCpu(server);
      scheduled++;
    }
    const sender = senders[index % senders.length] as Sender;
    sender.from.ws.send(sender.frame.stamped(dueAt));
  });
  const end = markCpu(server);
  await waitFor(() => received >= scheduled, job.drainMs);
  for (const { a, b } of pairs) {
    a.ws.onText = () => {};
    b.ws.onText = () => {};
  }
  const cpu = cpuSince(start ?? end, end);
  return {
    latency: summarizeLatencies(recorder),
    scheduled,
    received,
    lost: scheduled - received,
    server: cpu.server,
    load: cpu.load,
    hostSteal: cpu.hostSteal,
    unexpected,
    ...(cpu.serverParts === undefined ? {} : { serverParts: cpu.serverParts }),
  };
}
