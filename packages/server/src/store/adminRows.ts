import type { AdminRecord } from './AdminStore.js';

/**
 * The rows of the `admins` table, as both stores read them (SQLite's millisecond numbers turned into dates
 * first), and the records they make.
 */

export const ADMIN_COLUMNS = 'name, password_hash, created_at, updated_at';

export interface AdminRow {
  name: string;
  password_hash: string;
  created_at: Date;
  updated_at: Date;
}

export function adminRecordOf(row: AdminRow): AdminRecord {
  return {
    name: row.name,
    passwordHash: row.password_hash,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
