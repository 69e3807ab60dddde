/**
 * The `--db PATH|URL` option shared by every command (a SQLite path or a postgres:// URL), resolved like
 * the `serve` option of the same name.
 */

import { Option } from 'commander';
import { envVarName, resolveServerOptions, serverOptionSpecs } from '../config/serverOptions.js';

const DB_ENV_VAR = envVarName('db');

export function dbPathOption(): Option {
  const { flag, doc, shownDefault } = serverOptionSpecs.db;
  return new Option(`${flag} <path-or-url>`, `${doc} (default: ${shownDefault}; env ${DB_ENV_VAR})`);
}

/**
 * Flag, then environment, then default. Only the database variable is passed on, so that an unrelated
 * malformed `PBX_PEERS_*` variable cannot break extension management.
 */
export function resolveDbPath(flagValue: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const rawValues = flagValue === undefined ? {} : { db: flagValue };
  return resolveServerOptions(rawValues, { [DB_ENV_VAR]: env[DB_ENV_VAR] }).db;
}
