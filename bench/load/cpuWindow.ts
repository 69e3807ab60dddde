import { cpus } from 'node:os';
import { type CpuSample, type CpuWindow, cpuBetween, readCpu, readStealSeconds } from '../proc/procStat.js';

/** CPU of the server (from /proc) and of this load process, sampled together at a window's edges. */
export interface CpuMark {
  server: CpuSample;
  load: CpuSample;
  /** Machine-wide steal time so far, seconds. */
  steal: number;
}

export function markCpu(serverPid: number): CpuMark {
  const usage = process.cpuUsage();
  const load: CpuSample = { at: performance.now(), cpuSeconds: (usage.user + usage.system) / 1e6 };
  return { server: readCpu(serverPid), load, steal: readStealSeconds() };
}

export interface CpuWindows {
  server: CpuWindow;
  load: CpuWindow;
  /** Share of the machine's core time the hypervisor took during the window (noise indicator). */
  hostSteal: number;
}

export function cpuSince(start: CpuMark, end: CpuMark): CpuWindows {
  const server = cpuBetween(start.server, end.server);
  const hostSteal = (end.steal - start.steal) / (server.seconds * cpus().length);
  return { server, load: cpuBetween(start.load, end.load), hostSteal };
}
