import { createHash } from 'node:crypto';
import pg from 'pg';
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
import { redactDatabaseUrl } from './databaseLocation.js';
import {
  DuplicateExtensionError,
  type ExtensionRecord,
  type ExtensionStore,
  type NewExtension,
  type RemovalWatch,
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
 * Schema migrations, applied in order, each recorded as a row of `schema_migrations` (version = its
 * 1-based position). Only ever append: an edited or reordered entry would never reach databases that
 * already ran it. `s` is the quoted schema name.
 */
const MIGRATIONS: readonly ((s: string) => string)[] = [
  (s) => `CREATE TABLE ${s}.extensions (
     id text COLLATE "C" PRIMARY KEY,
     name text NOT NULL,
     password_hash text NOT NULL,
     created_at timestamptz NOT NULL,
     updated_at timestamptz NOT NULL
   )`,
  (s) => `CREATE TABLE ${s}.calls (
     call_id text COLLATE "C" PRIMARY KEY,
     extension_id text COLLATE "C" NOT NULL,
     caller_name text,
     agent_name text,
     ringing_at timestamptz NOT NULL,
     answered_at timestamptz,
     ended_at timestamptz NOT NULL,
     outcome text NOT NULL,
     ended_by text NOT NULL,
     done_at timestamptz,
     done_by text
   );
   CREATE INDEX calls_by_extension ON ${s}.calls (extension_id, ringing_at);
   CREATE INDEX calls_by_time ON ${s}.calls (ringing_at);
   CREATE TABLE ${s}.callback_requests (
     id text COLLATE "C" PRIMARY KEY,
     extension_id text COLLATE "C" NOT NULL,
     name text NOT NULL,
     contact text NOT NULL,
     message text NOT NULL,
     created_at timestamptz NOT NULL,
     done_at timestamptz,
     done_by text
   );
   CREATE INDEX callback_requests_by_extension ON ${s}.callback_requests (extension_id, created_at);
   CREATE INDEX callback_requests_by_time ON ${s}.callback_requests (created_at)`,
  (s) => `CREATE TABLE ${s}.webhook_outbox (
     seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     event_id text COLLATE "C" NOT NULL UNIQUE,
     order_key text COLLATE "C" NOT NULL,
     rank integer NOT NULL,
     type text NOT NULL,
     body text NOT NULL,
     created_at timestamptz NOT NULL,
     attempts integer NOT NULL DEFAULT 0,
     next_attempt_at timestamptz NOT NULL,
     claimed_by text,
     claimed_until timestamptz,
     delivered_at timestamptz,
     abandoned_at timestamptz,
     last_error text
   );
   CREATE INDEX webhook_outbox_open ON ${s}.webhook_outbox (order_key, rank, seq)
     WHERE delivered_at IS NULL AND abandoned_at IS NULL;
   CREATE INDEX webhook_outbox_by_time ON ${s}.webhook_outbox (created_at)`,
  (s) => `CREATE TABLE ${s}.admins (
     name text COLLATE "C" PRIMARY KEY,
     password_hash text NOT NULL,
     created_at timestamptz NOT NULL,
     updated_at timestamptz NOT NULL
   );
   CREATE TABLE ${s}.admin_sessions (
     token_hash text COLLATE "C" PRIMARY KEY,
     admin_name text COLLATE "C" NOT NULL REFERENCES ${s}.admins (name) ON DELETE CASCADE,
     csrf_token text NOT NULL,
     expires_at timestamptz NOT NULL
   );
   CREATE INDEX admin_sessions_by_admin ON ${s}.admin_sessions (admin_name)`,
];

/** The `?schema=` parameter of the URL; unquoted-identifier spelling so psql users need no quotes. */
const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;
const DEFAULT_SCHEMA = 'public';
/** PostgreSQL truncates longer identifiers, and pg_notify refuses longer channel names. */
const MAX_IDENTIFIER_BYTES = 63;
const CHANNEL_PREFIX = 'pbx_peers_removed.';

const CONNECT_TIMEOUT_MS = 10_000;
/** A listening connection is otherwise idle for hours: probe it so a dead peer is noticed. */
const LISTENER_KEEPALIVE_DELAY_MS = 10_000;
const RECONNECT_FIRST_DELAY_MS = 100;
const RECONNECT_MAX_DELAY_MS = 5_000;

/** Errors that mean the database could not be reached or would not let us in, as opposed to failed SQL. */
const UNREACHABLE_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  '3D000', // database does not exist
  '53300', // too many connections
  '57P03', // cannot connect now (starting up)
]);
const UNIQUE_VIOLATION = '23505';

interface ExtensionRow {
  id: string;
  name: string;
  password_hash: string;
  created_at: Date;
  updated_at: Date;
}

export interface PostgresOpenOptions {
  /** Whether a missing schema and tables may be created (pending migrations are applied either way). */
  create?: boolean;
}

/**
 * Extensions in PostgreSQL, in the schema named by the URL's `schema` query parameter (default `public`;
 * created when missing). Every process opening the store applies pending migrations under one advisory
 * lock, so any number may start at once. `remove` notifies (LISTEN/NOTIFY) on a channel named after the
 * schema in the same statement as the DELETE, which `watchRemovals` hears.
 */
export class PostgresExtensionStore implements ExtensionStore {
  readonly #pool: pg.Pool;
  readonly #clientConfig: pg.ClientConfig;
  readonly #channel: string;
  readonly #table: string;
  readonly #calls: string;
  readonly #callbacks: string;
  readonly #outbox: string;
  readonly #admins: string;
  readonly #sessions: string;
  readonly #watches = new Set<RemovalListener>();
  #closing: Promise<void> | undefined;

  /** Opens a pool and brings the schema up to date; rejects with one sentence naming the URL, redacted. */
  static async open(url: string, options: PostgresOpenOptions = {}): Promise<PostgresExtensionStore> {
    const shownUrl = redactDatabaseUrl(url);
    const { connectionString, schema } = splitSchemaParameter(url, shownUrl);
    const clientConfig: pg.ClientConfig = {
      connectionString,
      application_name: 'pbx-peers',
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    };
    // allowExitOnIdle: a CLI command ends when its work is done, without waiting for idle connections.
    const pool = new pg.Pool({ ...clientConfig, allowExitOnIdle: true });
    // An idle connection that breaks is dropped by the pool; the next query reports the problem.
    pool.on('error', () => {});
    try {
      await migrate(pool, schema, options.create ?? true);
    } catch (error) {
      await pool.end().catch(() => {});
      throw new Error(openFailureSentence(error, url, shownUrl));
    }
    return new PostgresExtensionStore(pool, clientConfig, schema);
  }

  private constructor(pool: pg.Pool, clientConfig: pg.ClientConfig, schema: string) {
    this.#pool = pool;
    this.#clientConfig = clientConfig;
    this.#channel = removalChannel(schema);
    this.#table = `${pg.escapeIdentifier(schema)}.extensions`;
    this.#calls = `${pg.escapeIdentifier(schema)}.calls`;
    this.#callbacks = `${pg.escapeIdentifier(schema)}.callback_requests`;
    this.#outbox = `${pg.escapeIdentifier(schema)}.webhook_outbox`;
    this.#admins = `${pg.escapeIdentifier(schema)}.admins`;
    this.#sessions = `${pg.escapeIdentifier(schema)}.admin_sessions`;
  }

  async add(extension: NewExtension): Promise<ExtensionRecord> {
    const { id, name, passwordHash } = extension;
    let rows: ExtensionRow[];
    try {
      ({ rows } = await this.#pool.query<ExtensionRow>(
        `INSERT INTO ${this.#table} (id, name, password_hash, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $4)
         RETURNING id, name, password_hash, created_at, updated_at`,
        [id, name, passwordHash, new Date()],
      ));
    } catch (error) {
      if (error instanceof pg.DatabaseError && error.code === UNIQUE_VIOLATION) {
        throw new DuplicateExtensionError(id);
      }
      throw error;
    }
    const [row] = rows;
    if (row === undefined) throw new Error(`Inserting extension "${id}" returned no row.`);
    return toRecord(row);
  }

  async get(id: string): Promise<ExtensionRecord | undefined> {
    const { rows } = await this.#pool.query<ExtensionRow>(
      `SELECT id, name, password_hash, created_at, updated_at FROM ${this.#table} WHERE id = $1`,
      [id],
    );
    const [row] = rows;
    return row === undefined ? undefined : toRecord(row);
  }

  async exists(id: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query(`SELECT 1 FROM ${this.#table} WHERE id = $1`, [id]);
    return (rowCount ?? 0) > 0;
  }

  async list(): Promise<ExtensionRecord[]> {
    const { rows } = await this.#pool.query<ExtensionRow>(
      `SELECT id, name, password_hash, created_at, updated_at FROM ${this.#table} ORDER BY created_at, id`,
    );
    return rows.map(toRecord);
  }

  /** One statement, so one transaction: the notice goes out exactly when the DELETE commits. */
  async remove(id: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      `WITH removed AS (DELETE FROM ${this.#table} WHERE id = $1 RETURNING id)
       SELECT pg_notify($2, id) FROM removed`,
      [id, this.#channel],
    );
    return (rowCount ?? 0) > 0;
  }

  async rename(id: string, name: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      `UPDATE ${this.#table} SET name = $2, updated_at = $3 WHERE id = $1`,
      [id, name, new Date()],
    );
    return (rowCount ?? 0) > 0;
  }

  async addAdmin(name: string, passwordHash: string): Promise<AdminRecord> {
    const now = new Date();
    try {
      await this.#pool.query(
        `INSERT INTO ${this.#admins} (name, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $3)`,
        [name, passwordHash, now],
      );
    } catch (error) {
      if (error instanceof pg.DatabaseError && error.code === UNIQUE_VIOLATION)
        throw new DuplicateAdminError(name);
      throw error;
    }
    return { name, passwordHash, createdAt: now, updatedAt: now };
  }

  async getAdmin(name: string): Promise<AdminRecord | undefined> {
    const { rows } = await this.#pool.query<AdminRow>(
      `SELECT ${ADMIN_COLUMNS} FROM ${this.#admins} WHERE name = $1`,
      [name],
    );
    const [row] = rows;
    return row === undefined ? undefined : adminRecordOf(row);
  }

  async listAdmins(): Promise<AdminRecord[]> {
    const { rows } = await this.#pool.query<AdminRow>(
      `SELECT ${ADMIN_COLUMNS} FROM ${this.#admins} ORDER BY created_at, name`,
    );
    return rows.map(adminRecordOf);
  }

  /** Its sessions go with it (ON DELETE CASCADE). */
  async removeAdmin(name: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query(`DELETE FROM ${this.#admins} WHERE name = $1`, [name]);
    return (rowCount ?? 0) > 0;
  }

  async setAdminPasswordHash(name: string, passwordHash: string): Promise<boolean> {
    const { rows } = await this.#pool.query<{ changed: boolean }>(
      `WITH changed AS (UPDATE ${this.#admins} SET password_hash = $2, updated_at = $3 WHERE name = $1 RETURNING name),
            ended AS (DELETE FROM ${this.#sessions} WHERE admin_name IN (SELECT name FROM changed))
       SELECT EXISTS (SELECT 1 FROM changed) AS changed`,
      [name, passwordHash, new Date()],
    );
    return rows[0]?.changed === true;
  }

  async createAdminSession(tokenHash: string, session: AdminSession): Promise<void> {
    await this.#pool.query(
      `INSERT INTO ${this.#sessions} (token_hash, admin_name, csrf_token, expires_at) VALUES ($1, $2, $3, $4)`,
      [tokenHash, session.adminName, session.csrfToken, session.expiresAt],
    );
  }

  async getAdminSession(tokenHash: string, now: Date): Promise<AdminSession | undefined> {
    const { rows } = await this.#pool.query<{ admin_name: string; csrf_token: string; expires_at: Date }>(
      `SELECT admin_name, csrf_token, expires_at FROM ${this.#sessions} WHERE token_hash = $1 AND expires_at > $2`,
      [tokenHash, now],
    );
    const [row] = rows;
    return row === undefined
      ? undefined
      : { adminName: row.admin_name, csrfToken: row.csrf_token, expiresAt: row.expires_at };
  }

  async deleteAdminSession(tokenHash: string): Promise<void> {
    await this.#pool.query(`DELETE FROM ${this.#sessions} WHERE token_hash = $1`, [tokenHash]);
  }

  async pruneAdminSessions(now: Date): Promise<number> {
    const { rowCount } = await this.#pool.query(`DELETE FROM ${this.#sessions} WHERE expires_at <= $1`, [
      now,
    ]);
    return rowCount ?? 0;
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      `UPDATE ${this.#table} SET password_hash = $2, updated_at = $3 WHERE id = $1`,
      [id, passwordHash, new Date()],
    );
    return (rowCount ?? 0) > 0;
  }

  async recordCall(call: EndedCall): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      `INSERT INTO ${this.#calls} (call_id, extension_id, caller_name, agent_name, ringing_at, answered_at,
         ended_at, outcome, ended_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (call_id) DO NOTHING`,
      [
        call.callId,
        call.extensionId,
        call.callerName ?? null,
        call.agentName ?? null,
        new Date(call.ringingAt),
        call.answeredAt === undefined ? null : new Date(call.answeredAt),
        new Date(call.endedAt),
        call.outcome,
        call.endedBy,
      ],
    );
    return (rowCount ?? 0) > 0;
  }

  async listCalls(filter: CallListFilter = {}): Promise<CallHistoryRecord[]> {
    const where = Conditions.numbered();
    if (filter.extensionId !== undefined) where.add('extension_id = $?', filter.extensionId);
    if (filter.since !== undefined) where.add('ringing_at >= $?', filter.since);
    if (filter.outcomes !== undefined) {
      const outcomes = filter.outcomes.filter(outcomeIsKnown);
      if (outcomes.length === 0) return [];
      where.add('outcome = ANY($?)', outcomes);
    }
    const { rows } = await this.#pool.query<CallRow>(
      `SELECT ${CALL_COLUMNS} FROM ${this.#calls} ${where.clause()}
       ORDER BY ringing_at DESC, call_id DESC ${limitClause(filter.limit)}`,
      where.values,
    );
    return rows.map(callRecordOf);
  }

  markCallDone(extensionId: string, callId: string, doneBy?: string): Promise<MarkDoneResult> {
    return this.#markDone(this.#calls, 'call_id', extensionId, callId, doneBy);
  }

  async addCallbackRequest(request: NewCallbackRequest): Promise<CallbackRequestRecord> {
    const { rows } = await this.#pool.query<CallbackRow>(
      `INSERT INTO ${this.#callbacks} (id, extension_id, name, contact, message, created_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING ${CALLBACK_COLUMNS}`,
      [randomId(), request.extensionId, request.name, request.contact, request.message, new Date()],
    );
    const [row] = rows;
    if (row === undefined) throw new Error('Inserting a callback request returned no row.');
    return callbackRecordOf(row);
  }

  async listCallbackRequests(filter: CallbackListFilter = {}): Promise<CallbackRequestRecord[]> {
    const where = Conditions.numbered();
    if (filter.extensionId !== undefined) where.add('extension_id = $?', filter.extensionId);
    if (filter.since !== undefined) where.add('created_at >= $?', filter.since);
    if (filter.includeDone === false) where.add('done_at IS NULL');
    const { rows } = await this.#pool.query<CallbackRow>(
      `SELECT ${CALLBACK_COLUMNS} FROM ${this.#callbacks} ${where.clause()}
       ORDER BY created_at DESC, id DESC ${limitClause(filter.limit)}`,
      where.values,
    );
    return rows.map(callbackRecordOf);
  }

  markCallbackDone(extensionId: string, id: string, doneBy?: string): Promise<MarkDoneResult> {
    return this.#markDone(this.#callbacks, 'id', extensionId, id, doneBy);
  }

  async pruneHistory(before: Date): Promise<number> {
    const { rows } = await this.#pool.query<{ removed: number }>(
      `WITH calls AS (DELETE FROM ${this.#calls} WHERE ringing_at < $1 RETURNING 1),
            callbacks AS (DELETE FROM ${this.#callbacks} WHERE created_at < $1 RETURNING 1),
            -- Settled events only: one still being retried is not history yet.
            events AS (DELETE FROM ${this.#outbox} WHERE created_at < $1
                         AND (delivered_at IS NOT NULL OR abandoned_at IS NOT NULL) RETURNING 1)
       SELECT ((SELECT count(*) FROM calls) + (SELECT count(*) FROM callbacks)
               + (SELECT count(*) FROM events))::integer AS removed`,
      [before],
    );
    return rows[0]?.removed ?? 0;
  }

  async enqueueWebhook(event: NewWebhookEvent): Promise<void> {
    await this.#pool.query(
      `INSERT INTO ${this.#outbox} (event_id, order_key, rank, type, body, created_at, next_attempt_at)
       VALUES ($1, $2, $3, $4, $5, $6, $6)
       ON CONFLICT (event_id) DO NOTHING`,
      [event.eventId, event.orderKey, event.rank, event.type, event.body, event.createdAt],
    );
  }

  /** One statement: rows another claimer has locked are skipped, so two processes never take one. */
  async claimWebhooks(owner: string, now: Date, until: Date, limit: number): Promise<PendingWebhook[]> {
    const { rows } = await this.#pool.query<{
      seq: string;
      event_id: string;
      type: string;
      body: string;
      created_at: Date;
      attempts: number;
    }>(
      `WITH due AS (
         SELECT seq FROM ${this.#outbox} o
         WHERE delivered_at IS NULL AND abandoned_at IS NULL AND next_attempt_at <= $2
           AND (claimed_until IS NULL OR claimed_until <= $2 OR claimed_by = $1)
           AND seq = (SELECT p.seq FROM ${this.#outbox} p
                      WHERE p.order_key = o.order_key AND p.delivered_at IS NULL AND p.abandoned_at IS NULL
                      ORDER BY p.rank, p.seq LIMIT 1)
         ORDER BY seq LIMIT $4
         FOR UPDATE SKIP LOCKED
       )
       UPDATE ${this.#outbox} t SET claimed_by = $1, claimed_until = $3
       FROM due WHERE t.seq = due.seq
       RETURNING t.seq, t.event_id, t.type, t.body, t.created_at, t.attempts`,
      [owner, now, until, limit],
    );
    return rows
      .map((row) => ({
        seq: Number(row.seq),
        eventId: row.event_id,
        type: row.type,
        body: row.body,
        createdAt: row.created_at,
        attempts: row.attempts,
      }))
      .sort((a, b) => a.seq - b.seq);
  }

  async webhookDelivered(seq: number, at: Date): Promise<void> {
    await this.#pool.query(
      `UPDATE ${this.#outbox} SET delivered_at = $2, attempts = attempts + 1, claimed_by = NULL,
         claimed_until = NULL WHERE seq = $1`,
      [seq, at],
    );
  }

  async webhookFailed(seq: number, error: string, retryAt: Date | undefined): Promise<void> {
    await this.#pool.query(
      retryAt === undefined
        ? `UPDATE ${this.#outbox} SET abandoned_at = now(), attempts = attempts + 1, last_error = $2,
             claimed_by = NULL, claimed_until = NULL WHERE seq = $1`
        : `UPDATE ${this.#outbox} SET next_attempt_at = $3, attempts = attempts + 1, last_error = $2,
             claimed_by = NULL, claimed_until = NULL WHERE seq = $1`,
      retryAt === undefined ? [seq, error] : [seq, error, retryAt],
    );
  }

  async webhookCounts(): Promise<{ pending: number; delivered: number; abandoned: number }> {
    const { rows } = await this.#pool.query<{ pending: number; delivered: number; abandoned: number }>(
      `SELECT count(*) FILTER (WHERE delivered_at IS NULL AND abandoned_at IS NULL)::integer AS pending,
              count(delivered_at)::integer AS delivered, count(abandoned_at)::integer AS abandoned
       FROM ${this.#outbox}`,
    );
    return rows[0] ?? { pending: 0, delivered: 0, abandoned: 0 };
  }

  /** The first mark wins: one statement updates a row not yet done and says why when it did not. */
  async #markDone(
    table: string,
    idColumn: 'call_id' | 'id',
    extensionId: string,
    id: string,
    doneBy: string | undefined,
  ): Promise<MarkDoneResult> {
    const { rows } = await this.#pool.query<{ marked: boolean; found: boolean }>(
      `WITH marked AS (
         UPDATE ${table} SET done_at = $3, done_by = $4
         WHERE extension_id = $1 AND ${idColumn} = $2 AND done_at IS NULL RETURNING 1
       )
       SELECT EXISTS (SELECT 1 FROM marked) AS marked,
              EXISTS (SELECT 1 FROM ${table} WHERE extension_id = $1 AND ${idColumn} = $2) AS found`,
      [extensionId, id, new Date(), doneBy ?? null],
    );
    const [row] = rows;
    if (row?.marked === true) return 'marked';
    return row?.found === true ? 'already-done' : 'not-found';
  }

  /**
   * LISTEN on a connection of its own, outside the pool. When that connection drops it reconnects with
   * backoff, then calls `onResync` (removals made meanwhile were not heard).
   */
  async watchRemovals(watch: RemovalWatch): Promise<() => Promise<void>> {
    if (this.#closing !== undefined) throw new Error('The extension store is closed.');
    const listener = new RemovalListener(
      {
        ...this.#clientConfig,
        application_name: 'pbx-peers-listener',
        keepAlive: true,
        keepAliveInitialDelayMillis: LISTENER_KEEPALIVE_DELAY_MS,
      },
      this.#channel,
      watch,
    );
    await listener.start();
    this.#watches.add(listener);
    return async () => {
      this.#watches.delete(listener);
      await listener.stop();
    };
  }

  /** Safe to call more than once. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const watches = [...this.#watches];
      this.#watches.clear();
      await Promise.all(watches.map((watch) => watch.stop()));
      await this.#pool.end();
    })();
    return this.#closing;
  }
}

/** One LISTEN connection, restored whenever it drops, until stopped. */
class RemovalListener {
  #client: pg.Client | undefined;
  #stopped = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #failedAttempts = 0;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly channel: string,
    private readonly watch: RemovalWatch,
  ) {}

  async start(): Promise<void> {
    this.#client = await this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    const client = this.#client;
    this.#client = undefined;
    if (client !== undefined) await retire(client);
  }

  async #connect(): Promise<pg.Client> {
    const client = new pg.Client(this.config);
    client.on('notification', (message) => {
      if (message.channel === this.channel && message.payload) this.watch.onRemoved(message.payload);
    });
    client.on('error', (error) => this.#lost(client, error));
    client.on('end', () => this.#lost(client, new Error('the connection listening for removals closed')));
    try {
      await client.connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(this.channel)}`);
      return client;
    } catch (error) {
      await retire(client);
      throw error;
    }
  }

  #lost(client: pg.Client, error: Error): void {
    if (client !== this.#client || this.#stopped) return;
    this.#client = undefined;
    void retire(client);
    this.watch.onError?.(error);
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    const delay = Math.min(RECONNECT_FIRST_DELAY_MS * 2 ** this.#failedAttempts, RECONNECT_MAX_DELAY_MS);
    this.#retryTimer = setTimeout(() => void this.#reconnect(), delay);
  }

  async #reconnect(): Promise<void> {
    this.#retryTimer = undefined;
    if (this.#stopped) return;
    let client: pg.Client;
    try {
      client = await this.#connect();
    } catch (error) {
      this.#failedAttempts += 1;
      this.watch.onError?.(error instanceof Error ? error : new Error(String(error)));
      if (!this.#stopped) this.#scheduleReconnect();
      return;
    }
    if (this.#stopped) {
      await retire(client);
      return;
    }
    this.#client = client;
    this.#failedAttempts = 0;
    this.watch.onResync();
  }
}

/** Ends a client whatever its state; later errors from it are ignored. */
async function retire(client: pg.Client): Promise<void> {
  client.removeAllListeners();
  client.on('error', () => {});
  await client.end().catch(() => {});
}

/** Takes `schema` out of the query string (pg does not know it) and checks it. */
function splitSchemaParameter(url: string, shownUrl: string): { connectionString: string; schema: string } {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return { connectionString: url, schema: DEFAULT_SCHEMA };
  const hashStart = url.indexOf('#', queryStart);
  const query = url.slice(queryStart + 1, hashStart === -1 ? undefined : hashStart);
  const parameters = new URLSearchParams(query);
  const schemas = parameters.getAll('schema');
  parameters.delete('schema');
  if (schemas.length > 1) {
    throw new Error(`The PostgreSQL URL ${shownUrl} gives the schema parameter more than once.`);
  }
  const schema = schemas[0] ?? DEFAULT_SCHEMA;
  if (!SCHEMA_PATTERN.test(schema) || schema.startsWith('pg_')) {
    throw new Error(
      `The schema parameter of the PostgreSQL URL ${shownUrl} must be 1 to 63 of a-z 0-9 _ (not starting with a digit or pg_), got "${schema}".`,
    );
  }
  const rest = parameters.toString();
  return { connectionString: url.slice(0, queryStart) + (rest === '' ? '' : `?${rest}`), schema };
}

/** Schemas of a database do not hear each other; names too long for a channel are hashed. */
function removalChannel(schema: string): string {
  const channel = `${CHANNEL_PREFIX}${schema}`;
  if (Buffer.byteLength(channel) <= MAX_IDENTIFIER_BYTES) return channel;
  return `${CHANNEL_PREFIX}${createHash('sha256').update(schema).digest('hex').slice(0, 40)}`;
}

/** Signed 64-bit key of the advisory lock that serializes migrations of one schema. */
function migrationLockKey(schema: string): string {
  return createHash('sha256').update(`pbx-peers migrations ${schema}`).digest().readBigInt64BE(0).toString();
}

/**
 * Applies pending migrations in one transaction holding a transaction-level advisory lock: a second
 * process starting at the same moment waits, then finds them applied. Checks before creating, so an
 * up-to-date schema needs no CREATE privilege.
 */
async function migrate(pool: pg.Pool, schema: string, create: boolean): Promise<void> {
  const client = await pool.connect();
  const quoted = pg.escapeIdentifier(schema);
  let failure: unknown;
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [migrationLockKey(schema)]);
    const namespace = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (namespace.rowCount === 0) {
      if (!create) throw new Error(`there is no schema "${schema}" (and creating it was not allowed)`);
      await client.query(`CREATE SCHEMA ${quoted}`);
    }
    const table = await client.query<{ found: string | null }>('SELECT to_regclass($1)::text AS found', [
      `${quoted}.schema_migrations`,
    ]);
    if (table.rows[0]?.found == null) {
      if (!create)
        throw new Error(`schema "${schema}" holds no pbx-peers tables (and creating them was not allowed)`);
      await client.query(
        `CREATE TABLE ${quoted}.schema_migrations (
           version integer PRIMARY KEY,
           applied_at timestamptz NOT NULL DEFAULT now()
         )`,
      );
    }
    const applied = await client.query<{ version: number }>(
      `SELECT coalesce(max(version), 0)::integer AS version FROM ${quoted}.schema_migrations`,
    );
    const version = applied.rows[0]?.version ?? 0;
    if (version > MIGRATIONS.length) {
      throw new Error(
        `schema "${schema}" is at version ${version}, newer than this pbx-peers understands (${MIGRATIONS.length}); upgrade pbx-peers`,
      );
    }
    for (const [index, migration] of MIGRATIONS.entries()) {
      if (index < version) continue;
      await client.query(migration(quoted));
      await client.query(`INSERT INTO ${quoted}.schema_migrations (version) VALUES ($1)`, [index + 1]);
    }
    await client.query('COMMIT');
  } catch (error) {
    failure = error;
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    // A connection that failed mid-transaction is not handed out again.
    client.release(failure instanceof Error ? failure : undefined);
  }
}

/** One sentence, never the password: what the URL (redacted) is and what went wrong. */
function openFailureSentence(error: unknown, url: string, shownUrl: string): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const isSystemCode = typeof code === 'string' && /^E[A-Z]+$/.test(code);
  // A refused connection to a name with several addresses is an AggregateError with an empty message.
  const reason = isSystemCode ? code : message || String(code ?? 'unknown error');
  const unreachable =
    (typeof code === 'string' && (UNREACHABLE_ERROR_CODES.has(code) || code.startsWith('28'))) ||
    /timeout|terminated/i.test(message);
  const sentence = unreachable
    ? `Cannot reach the PostgreSQL database at ${shownUrl}: ${reason}`
    : `Cannot open the PostgreSQL database at ${shownUrl}: ${reason}`;
  return withoutPassword(sentence.endsWith('.') ? sentence : `${sentence}.`, url);
}

/** Belt and braces: a password quoted back by a driver or server message is masked too. */
function withoutPassword(text: string, url: string): string {
  const inUserPart = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^:@/]*:([\s\S]*)@/.exec(url)?.[1];
  const queryStart = url.indexOf('?');
  const inQuery = queryStart === -1 ? [] : new URLSearchParams(url.slice(queryStart + 1)).getAll('password');
  let masked = text;
  for (const password of [inUserPart, ...inQuery]) {
    if (password === undefined || password === '') continue;
    let decoded = password;
    try {
      decoded = decodeURIComponent(password);
    } catch {}
    masked = masked.replaceAll(password, '***').replaceAll(decoded, '***');
  }
  return masked;
}

function toRecord(row: ExtensionRow): ExtensionRecord {
  return {
    id: row.id,
    name: row.name,
    passwordHash: row.password_hash,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
