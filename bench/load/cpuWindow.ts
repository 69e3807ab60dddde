import { cpus } from 'node:os';
import { type CpuSample, type CpuWindow, cpuBetween, readCpu, readStealSeconds } from '../proc/procStat.js';
import type { ServerProcess } from '../servers/serverKinds.js';

/**
 * CPU of the server (from /proc) and of this load process, sampled together at a window's edges. A
 * server of several processes (a cluster: its nodes and Redis) is the sum of them, each also kept.
 */
export interface CpuMark {
  server: CpuSample;
  /** Each of the server's processes, in the order given. */
  parts: { label: string; sample: CpuSample }[];
  load: CpuSample;
  /** Machine-wide steal time so far, seconds. */
  steal: number;
}

export function markCpu(server: readonly ServerProcess[]): CpuMark {
  const usage = process.cpuUsage();
  const load: CpuSample = { at: performance.now(), cpuSeconds: (usage.user + usage.system) / 1e6 };
  const parts = server.map(({ label, pid }) => ({ label, sample: readCpu(pid) }));
  const at = parts[0]?.sample.at ?? load.at;
  const cpuSeconds = parts.reduce((sum, part) => sum + part.sample.cpuSeconds, 0);
  return { server: { at, cpuSeconds }, parts, load, steal: readStealSeconds() };
}

export interface CpuWindows {
  server: CpuWindow;
  load: CpuWindow;
  /** Share of the machine's core time the hypervisor took during the window (noise indicator). */
  hostSteal: number;
  /** With more than one server process: each one's utilisation (CPU s / wall s) by its label. */
  serverParts: Record<string, number> | undefined;
}

export function cpuSince(start: CpuMark, end: CpuMark): CpuWindows {
  const server = cpuBetween(start.server, end.server);
  const hostSteal = (end.steal - start.steal) / (server.seconds * cpus().length);
  let serverParts: Record<string, number> | undefined;
  if (start.parts.length > 1) {
    const parts: Record<string, number> = {};
    start.parts.forEach(({ label, sample }, index) => {
      const to = end.parts[index]?.sample;
      if (to !== undefined) parts[label] = (to.cpuSeconds - sample.cpuSeconds) / server.seconds;
    });
    serverParts = parts;
  }
  return { server, load: cpuBetween(start.load, end.load), hostSteal, serverParts };
}
