import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * CPU time and resident memory of a process, read from /proc (Linux). CPU time is utime + stime of the
 * whole thread group (the main thread, libuv's pool and V8's GC helpers alike), in seconds.
 */

let clockTicks: number | undefined;

function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2000 }).trim());
    } catch {
      clockTicks = 100;
    }
    if (!Number.isFinite(clockTicks) || clockTicks <= 0) clockTicks = 100;
  }
  return clockTicks;
}

export interface CpuSample {
  /** performance.now() when read, in ms. */
  at: number;
  /** utime + stime, seconds. */
  cpuSeconds: number;
}

/** Reads `/proc/<pid>/stat`; fields after the parenthesised command name are space-separated. */
export function readCpu(pid: number): CpuSample {
  ticksPerSecond(); // resolved before the clock is read, so the first call is not slower
  const at = performance.now();
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3 (index 0 here); utime and stime are fields 14 and 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return { at, cpuSeconds: (utime + stime) / ticksPerSecond() };
}

export interface CpuWindow {
  /** Wall-clock length of the window, seconds. */
  seconds: number;
  /** CPU seconds the process used in the window. */
  cpuSeconds: number;
  /** cpuSeconds / seconds: 1.0 is one core fully busy. */
  utilisation: number;
}

/** Time the hypervisor took from this (virtual) machine's cores: the `steal` column of /proc/stat, s. */
export function readStealSeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0] ?? '';
    const fields = line.trim().split(/\s+/);
    return Number(fields[8] ?? 0) / ticksPerSecond();
  } catch {
    return 0;
  }
}

export function cpuBetween(start: CpuSample, end: CpuSample): CpuWindow {
  const seconds = (end.at - start.at) / 1000;
  const cpuSeconds = end.cpuSeconds - start.cpuSeconds;
  return { seconds, cpuSeconds, utilisation: seconds > 0 ? cpuSeconds / seconds : Number.NaN };
}

/** Resident set size from `/proc/<pid>/status`, bytes. */
export function readRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return match === null ? Number.NaN : Number(match[1]) * 1024;
}

/** Waits (bounded) until the process uses less than `threshold` of a core over `windowMs`. */
export async function waitUntilQuiet(
  pid: number,
  { threshold = 0.05, windowMs = 250, timeoutMs = 10_000 } = {},
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    let before: CpuSample;
    try {
      before = readCpu(pid);
    } catch {
      return true; // gone
    }
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    let after: CpuSample;
    try {
      after = readCpu(pid);
    } catch {
      return true;
    }
    if (cpuBetween(before, after).utilisation < threshold) return true;
  }
  return false;
}
