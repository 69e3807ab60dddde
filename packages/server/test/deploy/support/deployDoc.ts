/**
 * The configurations of docs/deploy.md, as the tests run them: each is the fenced block that follows an
 * `<!-- config: NAME -->` comment, taken as it is, with only the placeholders a test must change
 * (ports, certificate paths, names) replaced, and each replacement required to match.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root, for what the docs call `/opt/pbx-peers`. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));

export const DEPLOY_DOC_PATH = fileURLToPath(new URL('../../../../../docs/deploy.md', import.meta.url));

/** The text of the fenced block after `<!-- config: NAME -->` in docs/deploy.md. */
export function deployConfig(name: string, documentText = readFileSync(DEPLOY_DOC_PATH, 'utf8')): string {
  const marker = `<!-- config: ${name} -->`;
  const at = documentText.indexOf(marker);
  assert.ok(at >= 0, `docs/deploy.md has no ${marker}`);
  assert.equal(documentText.indexOf(marker, at + 1), -1, `docs/deploy.md has ${marker} twice`);
  const block = /^[ \t]*\n?(```+)[^\n]*\n([\s\S]*?)\n\1[ \t]*$/m.exec(documentText.slice(at + marker.length));
  assert.ok(block?.[2] !== undefined, `no fenced block after ${marker}`);
  const before = documentText.slice(at + marker.length, at + marker.length + (block.index ?? 0));
  assert.equal(before.trim(), '', `${marker} must be followed directly by its fenced block`);
  return `${block[2]}\n`;
}

/**
 * Replaces each `from` with its `to`, every occurrence; fails when one does not occur, so a test never
 * silently runs something other than the documented text.
 */
export function substitute(text: string, replacements: readonly (readonly [string, string])[]): string {
  let result = text;
  for (const [from, to] of replacements) {
    assert.ok(result.includes(from), `the documented config no longer contains ${JSON.stringify(from)}`);
    result = result.replaceAll(from, to);
  }
  return result;
}

/**
 * Parses a duration with its unit as nginx and haproxy write it (`75s`, `2m`, `500ms`). A bare number is
 * refused: nginx reads it as seconds, haproxy as milliseconds.
 */
export function durationSeconds(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  assert.ok(match?.[1] !== undefined && match[2] !== undefined, `not a duration with a unit: ${text}`);
  const factor = { ms: 0.001, s: 1, m: 60, h: 3600 }[match[2]] ?? Number.NaN;
  return Number(match[1]) * factor;
}
