/**
 * The machine's PostgreSQL for tests (`PBX_PEERS_TEST_POSTGRES_URL`, by default the CI database). Every
 * test owns a schema `pbx_test_<pid>_<n>`, named in the store URL's `schema` parameter and dropped
 * afterwards, so tests running at once neither see nor hear each other.
 */
import pg from 'pg';

export const TEST_POSTGRES_URL =
  process.env.PBX_PEERS_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let schemaCount = 0;

export interface TestSchema {
  name: string;
  /** TEST_POSTGRES_URL with `schema=<name>`. */
  url: string;
  /** DROP SCHEMA ... CASCADE; safe when it was never created. */
  drop(): Promise<void>;
}

export function newTestSchema(): TestSchema {
  schemaCount += 1;
  const name = `pbx_test_${process.pid}_${schemaCount}`;
  return {
    name,
    url: urlWithSchema(name),
    async drop() {
      await withAdminClient((client) =>
        client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(name)} CASCADE`),
      );
    },
  };
}

export function urlWithSchema(schema: string, base = TEST_POSTGRES_URL): string {
  return `${base}${base.includes('?') ? '&' : '?'}schema=${schema}`;
}

/** A plain connection to the test database, for looking behind a store's back. */
export async function withAdminClient<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, application_name: 'pbx-peers-test' });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
