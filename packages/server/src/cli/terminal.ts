/** CLI output: results on stdout, one-line errors on stderr. */

export function printLine(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** Always exactly one line, so scripts can show or match it; never a stack trace. */
export function printErrorLine(message: string): void {
  process.stderr.write(`${toOneLine(message)}\n`);
}

export function toOneLine(text: string): string {
  return text
    .trim()
    .split(/\s*\n\s*/)
    .join(' ');
}
