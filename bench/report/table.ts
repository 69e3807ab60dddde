import { SERVER_KINDS, SERVER_LABELS, type ServerKind } from '../servers/serverKinds.js';
import type { FigureRow } from './figures.js';
import { formatRatio, formatSpread } from './format.js';

/**
 * The summary as one Markdown table (readable in a terminal, pasteable into BENCHMARKS.md): each cell
 * is `median (min–max) ×ratio`, the ratio being to the bare parse-and-forward relay in the same round;
 * `†` marks a cell where some runs did not count (server core not saturated, or messages lost).
 */
export function renderTable(rows: readonly FigureRow[]): string {
  const columns: ServerKind[] = SERVER_KINDS.filter((kind) =>
    rows.some((row) => row.cells[kind] !== undefined),
  );
  const header = ['figure', ...columns.map((kind) => SERVER_LABELS[kind])];
  const body = rows.map((row) => [
    `${row.label} (${row.unit})`,
    ...columns.map((kind) => {
      const cell = row.cells[kind];
      if (cell === undefined) return '';
      const ratio = formatRatio(cell.ratio);
      return `${formatSpread(cell.value, row.unit)}${ratio === '' ? '' : ` ${ratio}`}${cell.flagged ? ' †' : ''}`;
    }),
  ]);
  const widths = header.map((title, index) =>
    Math.max(title.length, ...body.map((line) => (line[index] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join(' | ')} |`;
  const rule = `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n');
}
