import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { EndedCall } from '../core/EndedCall.js';
import { randomId } from '../ids/randomId.js';
import { type AdminRecord, type AdminSession, DuplicateAdminError } from './AdminStore.js';
import { ADMIN_COLUMNS, type AdminRow, adminRecordOf } from './adminRows.js';
import type {
  CallbackListFilter,
  CallbackRequestRecord,
  CallHistoryRecord,
  CallListFilter,
  MarkDoneResult,
  NewCallbackRequest,
} from './CallHistoryStore.js';
import { Conditions } from './Conditions.js';
import {
  DuplicateExtensionError,
  type ExtensionRecord,
  type ExtensionStore,
  type NewExtension,
} from './ExtensionStore.js';
import {
  CALL_COLUMNS,
  CALLBACK_COLUMNS,
  type CallbackRow,
  type CallRow,
  callbackRecordOf,
  callRecordOf,
  limitClause,
  outcomeIsKnown,
} from './historyRows.js';
import type { NewWebhookEvent, PendingWebhook } from './WebhookOutbox.js';

/**
 * Schema migrations, applied in order; `PRAGMA user_version` records how many have run. Only ever append:
 * an edited or reordered entry would never reach databases that already ran it.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE extensions (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     password_hash TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   )`,
  // Times are milliseconds since the epoch.
  `CREATE TABLE calls (
     call_id TEXT PRIMARY KEY,
     extension_id TEXT NOT NULL,
     caller_name TEXT,
     agent_name TEXT,
     ringing_at INTEGER NOT NULL,
     answered_at INTEGER,
     ended_at INTEGER NOT NULL,
     outcome TEXT NOT NULL,
     ended_by TEXT NOT NULL,
     done_at INTEGER,
     done_by TEXT
   );
   CREATE INDEX calls_by_extension ON calls (extension_id, ringing_at);
   CREATE INDEX calls_by_time ON calls (ringing_at);
   CREATE TABLE callback_requests (
     id TEXT PRIMARY KEY,
     extension_id TEXT NOT NULL,
     name TEXT NOT NULL,
     contact TEXT NOT NULL,
     message TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     done_at INTEGER,
     done_by TEXT
   );
   CREATE INDEX callback_requests_by_extension ON callback_requests (extension_id, created_at);
   CREATE INDEX callback_requests_by_time ON callback_requests (created_at);`,
  `CREATE TABLE webhook_outbox (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     event_id TEXT NOT NULL UNIQUE,
     order_key TEXT NOT NULL,
     rank INTEGER NOT NULL,
     type TEXT NOT NULL,
     body TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL,
     claimed_by TEXT,
     claimed_until INTEGER,
     delivered_at INTEGER,
     abandoned_at INTEGER,
     last_error TEXT
   );
   CREATE INDEX webhook_outbox_open ON webhook_outbox (order_key, rank, seq)
     WHERE delivered_at IS NULL AND abandoned_at IS NULL;
   CREATE INDEX webhook_outbox_by_time ON webhook_outbox (created_at);`,
  `CREATE TABLE admins (
     name TEXT PRIMARY KEY,
     password_hash TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE admin_sessions (
     token_hash TEXT PRIMARY KEY,
     admin_name TEXT NOT NULL REFERENCES admins (name) ON DELETE CASCADE,
     csrf_token TEXT NOT NULL,
     expires_at INTEGER NOT NULL
   );
   CREATE INDEX admin_sessions_by_admin ON admin_sessions (admin_name);`,
];

/** The database file holds password hashes and callers' contacts: only its owner may read it. */
const FILE_MODE = 0o600;

const COLUMNS = 'id, name, password_hash, created_at, updated_at';

/** The CLI writes while a server reads the same file; a writer waits this long for the other's lock. */
const BUSY_TIMEOUT_MS = 5_000;

interface ExtensionRow {
  id: string;
  name: string;
  password_hash: string;
  created_at: number;
  updated_at: number;
}

export class SqliteExtensionStore implements ExtensionStore {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<
    [{ id: string; name: string; passwordHash: string; now: number }],
    ExtensionRow
  >;
  readonly #selectById: Database.Statement<[string], ExtensionRow>;
  readonly #selectExists: Database.Statement<[string], number>;
  readonly #selectAll: Database.Statement<[], ExtensionRow>;
  readonly #deleteById: Database.Statement<[string]>;
  readonly #updatePasswordHash: Database.Statement<[{ id: string; passwordHash: string; now: number }]>;

  /**
   * Opens (creating the file, readable by its owner only, and its folder when missing) and brings the
   * schema up to date.
   */
  static open(path: string): SqliteExtensionStore {
    if (!isInMemory(path)) {
      mkdirSync(dirname(resolve(path)), { recursive: true });
      // Created here rather than by SQLite (which uses 0644 less the umask); its -wal and -shm files take
      // the database file's mode.
      if (!existsSync(path)) closeSync(openSync(path, 'a', FILE_MODE));
    }
    const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    try {
      // WAL lets a running server keep reading while the CLI writes.
      db.pragma('journal_mode = WAL');
      migrate(db);
      return new SqliteExtensionStore(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#insert = db.prepare(
      `INSERT INTO extensions (id, name, password_hash, created_at, updated_at)
       VALUES (@id, @name, @passwordHash, @now, @now)
       RETURNING ${COLUMNS}`,
    );
    this.#selectById = db.prepare(`SELECT ${COLUMNS} FROM extensions WHERE id = ?`);
    this.#selectExists = db.prepare<[string], number>('SELECT 1 FROM extensions WHERE id = ?').pluck();
    this.#selectAll = db.prepare(`SELECT ${COLUMNS} FROM extensions ORDER BY created_at, id`);
    this.#deleteById = db.prepare('DELETE FROM extensions WHERE id = ?');
    this.#updatePasswordHash = db.prepare(
      'UPDATE extensions SET password_hash = @passwordHash, updated_at = @now WHERE id = @id',
    );
  }

  async add(extension: NewExtension): Promise<ExtensionRecord> {
    const { id, name, passwordHash } = extension;
    let row: ExtensionRow | undefined;
    try {
      row = this.#insert.get({ id, name, passwordHash, now: Date.now() });
    } catch (error) {
      if (isUniqueViolation(error)) throw new DuplicateExtensionError(id);
      throw error;
    }
    if (row === undefined) throw new Error(`Inserting extension "${id}" returned no row.`);
    return toRecord(row);
  }

  async get(id: string): Promise<ExtensionRecord | undefined> {
    const row = this.#selectById.get(id);
    return row === undefined ? undefined : toRecord(row);
  }

  async exists(id: string): Promise<boolean> {
    return this.#selectExists.get(id) !== undefined;
  }

  async list(): Promise<ExtensionRecord[]> {
    return this.#selectAll.all().map(toRecord);
  }

  async remove(id: string): Promise<boolean> {
    return this.#deleteById.run(id).changes > 0;
  }

  async rename(id: string, name: string): Promise<boolean> {
    return (
      this.#db
        .prepare('UPDATE extensions SET name = ?, updated_at = ? WHERE id = ?')
        .run(name, Date.now(), id).changes > 0
    );
  }

  async addAdmin(name: string, passwordHash: string): Promise<AdminRecord> {
    const now = Date.now();
    try {
      this.#db
        .prepare('INSERT INTO admins (name, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?)')
        .run(name, passwordHash, now, now);
    } catch (error) {
      if (isUniqueViolation(error)) throw new DuplicateAdminError(name);
      throw error;
    }
    return { name, passwordHash, createdAt: new Date(now), updatedAt: new Date(now) };
  }

  async getAdmin(name: string): Promise<AdminRecord | undefined> {
    const row = this.#db
      .prepare<[string], SqliteRow<AdminRow>>(`SELECT ${ADMIN_COLUMNS} FROM admins WHERE name = ?`)
      .get(name);
    return row === undefined ? undefined : adminRecordOf(toAdminRow(row));
  }

  async listAdmins(): Promise<AdminRecord[]> {
    return this.#db
      .prepare<[], SqliteRow<AdminRow>>(`SELECT ${ADMIN_COLUMNS} FROM admins ORDER BY created_at, name`)
      .all()
      .map((row) => adminRecordOf(toAdminRow(row)));
  }

  async removeAdmin(name: string): Promise<boolean> {
    const remove = this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM admin_sessions WHERE admin_name = ?').run(name);
      return this.#db.prepare('DELETE FROM admins WHERE name = ?').run(name).changes > 0;
    });
    return remove.immediate();
  }

  async setAdminPasswordHash(name: string, passwordHash: string): Promise<boolean> {
    const change = this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM admin_sessions WHERE admin_name = ?').run(name);
      return (
        this.#db
          .prepare('UPDATE admins SET password_hash = ?, updated_at = ? WHERE name = ?')
          .run(passwordHash, Date.now(), name).changes > 0
      );
    });
    return change.immediate();
  }

  async createAdminSession(tokenHash: string, session: AdminSession): Promise<void> {
    this.#db
      .prepare(
        'INSERT INTO admin_sessions (token_hash, admin_name, csrf_token, expires_at) VALUES (?, ?, ?, ?)',
      )
      .run(tokenHash, session.adminName, session.csrfToken, session.expiresAt.getTime());
  }

  async getAdminSession(tokenHash: string, now: Date): Promise<AdminSession | undefined> {
    const row = this.#db
      .prepare<[string, number], { admin_name: string; csrf_token: string; expires_at: number }>(
        `SELECT s.admin_name, s.csrf_token, s.expires_at FROM admin_sessions s JOIN admins a ON a.name = s.admin_name
         WHERE s.token_hash = ? AND s.expires_at > ?`,
      )
      .get(tokenHash, now.getTime());
    return row === undefined
      ? undefined
      : { adminName: row.admin_name, csrfToken: row.csrf_token, expiresAt: new Date(row.expires_at) };
  }

  async deleteAdminSession(tokenHash: string): Promise<void> {
    this.#db.prepare('DELETE FROM admin_sessions WHERE token_hash = ?').run(tokenHash);
  }

  async pruneAdminSessions(now: Date): Promise<number> {
    return this.#db.prepare('DELETE FROM admin_sessions WHERE expires_at <= ?').run(now.getTime()).changes;
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<boolean> {
    return this.#updatePasswordHash.run({ id, passwordHash, now: Date.now() }).changes > 0;
  }

  async recordCall(call: EndedCall): Promise<boolean> {
    const result = this.#db
      .prepare(
        `INSERT INTO calls (call_id, extension_id, caller_name, agent_name, ringing_at, answered_at, ended_at,
           outcome, ended_by)
         VALUES (@callId, @extensionId, @callerName, @agentName, @ringingAt, @answeredAt, @endedAt,
           @outcome, @endedBy)
         ON CONFLICT (call_id) DO NOTHING`,
      )
      .run({
        callId: call.callId,
        extensionId: call.extensionId,
        callerName: call.callerName ?? null,
        agentName: call.agentName ?? null,
        ringingAt: call.ringingAt,
        answeredAt: call.answeredAt ?? null,
        endedAt: call.endedAt,
        outcome: call.outcome,
        endedBy: call.endedBy,
      });
    return result.changes > 0;
  }

  async listCalls(filter: CallListFilter = {}): Promise<CallHistoryRecord[]> {
    const where = Conditions.anonymous<string | number>();
    if (filter.extensionId !== undefined) where.add('extension_id = $?', filter.extensionId);
    if (filter.since !== undefined) where.add('ringing_at >= $?', filter.since.getTime());
    if (filter.outcomes !== undefined) {
      const outcomes = filter.outcomes.filter(outcomeIsKnown);
      if (outcomes.length === 0) return [];
      where.add(`outcome IN (${outcomes.map(() => '$?').join(', ')})`, ...outcomes);
    }
    const rows = this.#db
      .prepare<(string | number)[], SqliteRow<CallRow>>(
        `SELECT ${CALL_COLUMNS} FROM calls ${where.clause()}
         ORDER BY ringing_at DESC, call_id DESC ${limitClause(filter.limit)}`,
      )
      .all(...where.values);
    return rows.map((row) => callRecordOf(toCallRow(row)));
  }

  async markCallDone(extensionId: string, callId: string, doneBy?: string): Promise<MarkDoneResult> {
    return this.#markDone('calls', 'call_id', extensionId, callId, doneBy);
  }

  async addCallbackRequest(request: NewCallbackRequest): Promise<CallbackRequestRecord> {
    const row = this.#db
      .prepare<[NewCallbackRequest & { id: string; now: number }], SqliteRow<CallbackRow>>(
        `INSERT INTO callback_requests (id, extension_id, name, contact, message, created_at)
         VALUES (@id, @extensionId, @name, @contact, @message, @now)
         RETURNING ${CALLBACK_COLUMNS}`,
      )
      .get({ id: randomId(), ...request, now: Date.now() });
    if (row === undefined) throw new Error('Inserting a callback request returned no row.');
    return callbackRecordOf(toCallbackRow(row));
  }

  async listCallbackRequests(filter: CallbackListFilter = {}): Promise<CallbackRequestRecord[]> {
    const where = Conditions.anonymous<string | number>();
    if (filter.extensionId !== undefined) where.add('extension_id = $?', filter.extensionId);
    if (filter.since !== undefined) where.add('created_at >= $?', filter.since.getTime());
    if (filter.includeDone === false) where.add('done_at IS NULL');
    const rows = this.#db
      .prepare<(string | number)[], SqliteRow<CallbackRow>>(
        `SELECT ${CALLBACK_COLUMNS} FROM callback_requests ${where.clause()}
         ORDER BY created_at DESC, id DESC ${limitClause(filter.limit)}`,
      )
      .all(...where.values);
    return rows.map((row) => callbackRecordOf(toCallbackRow(row)));
  }

  async markCallbackDone(extensionId: string, id: string, doneBy?: string): Promise<MarkDoneResult> {
    return this.#markDone('callback_requests', 'id', extensionId, id, doneBy);
  }

  async pruneHistory(before: Date): Promise<number> {
    const cutoff = before.getTime();
    const prune = this.#db.transaction(
      () =>
        this.#db.prepare('DELETE FROM calls WHERE ringing_at < ?').run(cutoff).changes +
        this.#db.prepare('DELETE FROM callback_requests WHERE created_at < ?').run(cutoff).changes +
        // Settled events only: one still being retried is not history yet.
        this.#db
          .prepare(
            'DELETE FROM webhook_outbox WHERE created_at < ? AND (delivered_at IS NOT NULL OR abandoned_at IS NOT NULL)',
          )
          .run(cutoff).changes,
    );
    return prune.immediate();
  }

  async enqueueWebhook(event: NewWebhookEvent): Promise<void> {
    this.#db
      .prepare(
        `INSERT INTO webhook_outbox (event_id, order_key, rank, type, body, created_at, next_attempt_at)
         VALUES (@eventId, @orderKey, @rank, @type, @body, @createdAt, @createdAt)
         ON CONFLICT (event_id) DO NOTHING`,
      )
      .run({ ...event, createdAt: event.createdAt.getTime() });
  }

  async claimWebhooks(owner: string, now: Date, until: Date, limit: number): Promise<PendingWebhook[]> {
    const claim = this.#db.transaction(() => {
      const rows = this.#db
        .prepare<[{ now: number; owner: string; limit: number }], SqlitePendingRow>(
          `SELECT seq, event_id, type, body, created_at, attempts FROM webhook_outbox o
           WHERE delivered_at IS NULL AND abandoned_at IS NULL AND next_attempt_at <= @now
             AND (claimed_until IS NULL OR claimed_until <= @now OR claimed_by = @owner)
             AND seq = (SELECT p.seq FROM webhook_outbox p
                        WHERE p.order_key = o.order_key AND p.delivered_at IS NULL AND p.abandoned_at IS NULL
                        ORDER BY p.rank, p.seq LIMIT 1)
           ORDER BY seq LIMIT @limit`,
        )
        .all({ now: now.getTime(), owner, limit });
      const take = this.#db.prepare(
        'UPDATE webhook_outbox SET claimed_by = ?, claimed_until = ? WHERE seq = ?',
      );
      for (const row of rows) take.run(owner, until.getTime(), row.seq);
      return rows;
    });
    // IMMEDIATE: the write lock before the read, so two processes cannot claim the same rows.
    return claim.immediate().map((row) => ({
      seq: row.seq,
      eventId: row.event_id,
      type: row.type,
      body: row.body,
      createdAt: new Date(row.created_at),
      attempts: row.attempts,
    }));
  }

  async webhookDelivered(seq: number, at: Date): Promise<void> {
    this.#db
      .prepare(
        'UPDATE webhook_outbox SET delivered_at = ?, attempts = attempts + 1, claimed_by = NULL, claimed_until = NULL WHERE seq = ?',
      )
      .run(at.getTime(), seq);
  }

  async webhookFailed(seq: number, error: string, retryAt: Date | undefined): Promise<void> {
    const statement =
      retryAt === undefined
        ? `UPDATE webhook_outbox SET abandoned_at = @now, attempts = attempts + 1, last_error = @error,
             claimed_by = NULL, claimed_until = NULL WHERE seq = @seq`
        : `UPDATE webhook_outbox SET next_attempt_at = @retryAt, attempts = attempts + 1, last_error = @error,
             claimed_by = NULL, claimed_until = NULL WHERE seq = @seq`;
    this.#db.prepare(statement).run({ seq, error, now: Date.now(), retryAt: retryAt?.getTime() ?? null });
  }

  async webhookCounts(): Promise<{ pending: number; delivered: number; abandoned: number }> {
    const row = this.#db
      .prepare<[], { pending: number | null; delivered: number | null; abandoned: number | null }>(
        `SELECT sum(delivered_at IS NULL AND abandoned_at IS NULL) AS pending,
                sum(delivered_at IS NOT NULL) AS delivered, sum(abandoned_at IS NOT NULL) AS abandoned
         FROM webhook_outbox`,
      )
      .get();
    return { pending: row?.pending ?? 0, delivered: row?.delivered ?? 0, abandoned: row?.abandoned ?? 0 };
  }

  /** The first mark wins: an update only of a row not yet done, else a read to tell why. */
  #markDone(
    table: 'calls' | 'callback_requests',
    idColumn: 'call_id' | 'id',
    extensionId: string,
    id: string,
    doneBy: string | undefined,
  ): MarkDoneResult {
    const marked = this.#db
      .prepare(
        `UPDATE ${table} SET done_at = ?, done_by = ?
         WHERE extension_id = ? AND ${idColumn} = ? AND done_at IS NULL`,
      )
      .run(Date.now(), doneBy ?? null, extensionId, id);
    if (marked.changes > 0) return 'marked';
    const exists = this.#db
      .prepare(`SELECT 1 FROM ${table} WHERE extension_id = ? AND ${idColumn} = ?`)
      .get(extensionId, id);
    return exists === undefined ? 'not-found' : 'already-done';
  }

  /** Safe to call more than once. */
  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}

/** SQLite hands back milliseconds; the shared row shape holds dates. */
function toCallRow(row: SqliteRow<CallRow>): CallRow {
  return {
    ...row,
    ringing_at: new Date(row.ringing_at),
    answered_at: row.answered_at === null ? null : new Date(row.answered_at),
    ended_at: new Date(row.ended_at),
    done_at: row.done_at === null ? null : new Date(row.done_at),
  };
}

function toCallbackRow(row: SqliteRow<CallbackRow>): CallbackRow {
  return {
    ...row,
    created_at: new Date(row.created_at),
    done_at: row.done_at === null ? null : new Date(row.done_at),
  };
}

function toAdminRow(row: SqliteRow<AdminRow>): AdminRow {
  return { ...row, created_at: new Date(row.created_at), updated_at: new Date(row.updated_at) };
}

interface SqlitePendingRow {
  seq: number;
  event_id: string;
  type: string;
  body: string;
  created_at: number;
  attempts: number;
}

/** A row as SQLite returns it: every date column a number of milliseconds. */
type SqliteRow<Row> = {
  [K in keyof Row]: Row[K] extends Date ? number : Row[K] extends Date | null ? number | null : Row[K];
};

function isInMemory(path: string): boolean {
  // better-sqlite3 treats an empty path as a private temporary database, like ':memory:'.
  return path === ':memory:' || path === '';
}

function migrate(db: Database.Database): void {
  const readVersion = () => db.pragma('user_version', { simple: true }) as number;
  if (readVersion() === MIGRATIONS.length) return;
  // IMMEDIATE takes the write lock before re-reading the version, so two processes opening a new file
  // at once cannot both apply the same migration.
  const applyPending = db.transaction(() => {
    const version = readVersion();
    if (version > MIGRATIONS.length) {
      throw new Error(
        `The database schema is version ${version}, newer than this pbx-peers understands (${MIGRATIONS.length}); upgrade pbx-peers.`,
      );
    }
    for (const migration of MIGRATIONS.slice(version)) db.exec(migration);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  });
  applyPending.immediate();
}

function isUniqueViolation(error: unknown): boolean {
  return (
    error instanceof Database.SqliteError &&
    (error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || error.code === 'SQLITE_CONSTRAINT_UNIQUE')
  );
}

function toRecord(row: ExtensionRow): ExtensionRecord {
  return {
    id: row.id,
    name: row.name,
    passwordHash: row.password_hash,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}
