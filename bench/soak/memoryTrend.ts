import { linearFit } from '../stats/regression.js';

/** One reading of the server after forced GC. */
export interface MemorySample {
  elapsedSeconds: number;
  rss: number;
  heapUsed: number;
  /** Off-heap memory V8 knows of (Buffers among it): tells an RSS rise from Buffers apart from the allocator's. */
  external: number;
  callsCompleted: number;
}

export type Verdict = 'flat' | 'growing' | 'too short';

export interface MemoryTrend {
  /** Samples after the warm-up that the slopes are fitted to. */
  samples: number;
  rssKiBPerMinute: number;
  heapKiBPerMinute: number;
  /** Calls completed per minute over the fitted window. */
  callsPerMinute: number;
  heapThresholdKiBPerMinute: number;
  rssThresholdKiBPerMinute: number;
  verdict: Verdict;
}

/** A verdict needs this many samples after the warm-up, spanning at least a minute. */
const MIN_SAMPLES = 5;
const MIN_WINDOW_MINUTES = 1;
/** Growth below this is noise on any run (a few KiB of lazily built caches), KiB/min. */
const FLOOR_KIB_PER_MINUTE = 256;
/**
 * A leak worth finding keeps something per call: 64 bytes per completed call is the heap threshold (at
 * 100 calls/s, 375 KiB/min). RSS also moves with the allocator's page reuse, so it gets twice that.
 */
const LEAK_BYTES_PER_CALL = 64;

/**
 * The least-squares slopes of RSS and heap (after forced GC) over the samples after the warm-up, in
 * KiB/min, and the verdict: "flat" when the heap slope is at most max(256 KiB/min, 64 B x calls per
 * minute) and the RSS slope at most twice that; "growing" otherwise; "too short" with fewer than five
 * samples after the warm-up or when they span less than a minute.
 */
export function memoryTrend(all: readonly MemorySample[], warmupSeconds: number): MemoryTrend {
  const window = all.filter((sample) => sample.elapsedSeconds >= warmupSeconds);
  const fit = (value: (sample: MemorySample) => number) =>
    linearFit(window.map((sample) => ({ x: sample.elapsedSeconds / 60, y: value(sample) / 1024 }))).slope;
  const rssKiBPerMinute = fit((sample) => sample.rss);
  const heapKiBPerMinute = fit((sample) => sample.heapUsed);
  const first = window[0];
  const last = window[window.length - 1];
  const minutes =
    first !== undefined && last !== undefined ? (last.elapsedSeconds - first.elapsedSeconds) / 60 : 0;
  const callsPerMinute =
    first !== undefined && last !== undefined && minutes > 0
      ? (last.callsCompleted - first.callsCompleted) / minutes
      : 0;
  const heapThresholdKiBPerMinute = Math.max(
    FLOOR_KIB_PER_MINUTE,
    (LEAK_BYTES_PER_CALL * callsPerMinute) / 1024,
  );
  const rssThresholdKiBPerMinute = 2 * heapThresholdKiBPerMinute;
  let verdict: Verdict = 'too short';
  if (window.length >= MIN_SAMPLES && minutes >= MIN_WINDOW_MINUTES) {
    verdict =
      heapKiBPerMinute <= heapThresholdKiBPerMinute && rssKiBPerMinute <= rssThresholdKiBPerMinute
        ? 'flat'
        : 'growing';
  }
  return {
    samples: window.length,
    rssKiBPerMinute,
    heapKiBPerMinute,
    callsPerMinute,
    heapThresholdKiBPerMinute,
    rssThresholdKiBPerMinute,
    verdict,
  };
}
