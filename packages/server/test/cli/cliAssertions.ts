/** What every CLI test checks of a command's result, and the databases `--db` names in tests. */

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliResult } from '../support/cliProcess.js';
import { newTestSchema, withAdminClient } from '../support/postgres.js';

const STACK_FRAME = '    at ';
/** Where `serve` listens by default, which `extension add` prints the pages under. */
export const DEFAULT_BASE_URL = 'http://127.0.0.1:8080';

export function assertSucceeded(result: CliResult): void {
  assert.equal(result.code, 0, `expected exit 0, got ${result.code}; stderr: ${result.stderr}`);
  assert.equal(result.stderr, '');
}

/** Failures are one line on stderr, nothing on stdout, and never a stack trace. */
export function assertFailed(result: CliResult, expectedCode: 1 | 2, messagePattern?: RegExp): void {
  assert.equal(result.code, expectedCode, `expected exit ${expectedCode}, got ${result.code}`);
  assert.equal(result.stdout, '');
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `expected one stderr line, got: ${result.stderr}`);
  assert.ok(!result.stderr.includes(STACK_FRAME), 'stderr shows a stack trace');
  if (messagePattern) assert.match(result.stderr, messagePattern);
}

export function parseJson(text: string): unknown {
  const lines = text.trimEnd().split('\n');
  assert.equal(lines.length, 1, `expected exactly one line of JSON, got: ${text}`);
  return JSON.parse(lines[0] ?? '');
}

/** A database for one test, named as `--db` takes it. */
export interface TestDatabase {
  db: string;
  /** Whether anything was created there (the SQLite file, the PostgreSQL schema). */
  exists(): Promise<boolean>;
  cleanup(): Promise<void>;
}

export async function sqliteDatabase(): Promise<TestDatabase> {
  const dir = await mkdtemp(join(tmpdir(), 'pbx-peers-cli-'));
  const db = join(dir, 'data', 'extensions.db');
  return {
    db,
    exists: async () => existsSync(db),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export async function postgresDatabase(): Promise<TestDatabase> {
  const schema = newTestSchema();
  return {
    db: schema.url,
    exists: () => schemaExists(schema.name),
    cleanup: () => schema.drop(),
  };
}

export function schemaExists(name: string): Promise<boolean> {
  return withAdminClient(
    async (client) =>
      ((await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [name])).rowCount ?? 0) > 0,
  );
}
