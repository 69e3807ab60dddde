import type { Spread } from '../stats/summary.js';
import type { Unit } from './figures.js';

/** Compact numbers for the table: 3 significant digits, k/M for large rates, KiB for bytes. */
export function formatValue(value: number, unit: Unit): string {
  if (!Number.isFinite(value)) return '—';
  switch (unit) {
    case 'msg/s':
    case 'conn/s':
    case 'calls/s':
      return compact(value);
    case 'B':
      return Math.abs(value) >= 1024 ? `${significant(value / 1024)} KiB` : `${Math.round(value)} B`;
    case '%':
      return `${Math.round(value)}%`;
    case 'µs':
    case 'ms':
      return significant(value);
  }
}

function significant(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

function compact(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6) return `${significant(value / 1e6)}M`;
  if (magnitude >= 1e3) return `${significant(value / 1e3)}k`;
  return significant(value);
}

/** `median` alone for one round, `median (min–max)` for several. */
export function formatSpread(spread: Spread, unit: Unit): string {
  const median = formatValue(spread.median, unit);
  if (spread.n <= 1) return median;
  return `${median} (${formatValue(spread.min, unit)}–${formatValue(spread.max, unit)})`;
}

export function formatRatio(spread: Spread | undefined): string {
  if (spread === undefined || !Number.isFinite(spread.median)) return '';
  return `×${spread.median.toFixed(2)}`;
}
