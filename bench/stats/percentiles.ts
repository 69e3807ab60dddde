/**
 * Latency samples kept exactly (a growable Float64Array) and sorted once at the end: a run records at
 * most a few hundred thousand samples, so exact percentiles cost less than a histogram's bookkeeping.
 */
export class SampleRecorder {
  private values = new Float64Array(1024);
  private length = 0;

  record(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }

  get count(): number {
    return this.length;
  }

  /** Sorted copy of the samples recorded so far. */
  sorted(): Float64Array {
    return this.values.slice(0, this.length).sort();
  }
}

/** Nearest-rank percentile (`p` from 0 to 100) of ascending values; NaN when there are none. */
export function percentile(sortedValues: Float64Array, p: number): number {
  if (sortedValues.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sortedValues.length);
  const index = Math.min(sortedValues.length - 1, Math.max(0, rank - 1));
  return sortedValues[index] as number;
}

export interface LatencySummary {
  p50: number;
  p99: number;
  p999: number;
  max: number;
  count: number;
}

export function summarizeLatencies(recorder: SampleRecorder): LatencySummary {
  const sorted = recorder.sorted();
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    max: sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] as number),
    count: sorted.length,
  };
}
