/**
 * What a `--db` value names: a PostgreSQL database (`postgres://` or `postgresql://` URL) or a SQLite file
 * (anything that is not a `scheme://` URL). Other URL schemes are refused rather than taken for a path.
 */

export type DatabaseLocation =
  | { kind: 'postgres'; url: string }
  | { kind: 'sqlite'; path: string }
  | { kind: 'unsupported'; scheme: string };

const URL_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
const POSTGRES_SCHEMES = ['postgres', 'postgresql'];

export const ACCEPTED_DATABASE_FORMS =
  'a SQLite file path or a postgres:// (or postgresql://) URL such as postgres://user@host:5432/db';

export function databaseLocation(db: string): DatabaseLocation {
  const scheme = URL_SCHEME.exec(db)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: 'sqlite', path: db };
  if (POSTGRES_SCHEMES.includes(scheme)) return { kind: 'postgres', url: db };
  return { kind: 'unsupported', scheme };
}

/**
 * Why `db` cannot be used, as the end of a sentence starting with the option's name; undefined when it
 * can. Quotes only the scheme: the rest of a URL may hold a password.
 */
export function unsupportedDatabaseProblem(db: string): string | undefined {
  const location = databaseLocation(db);
  if (location.kind !== 'unsupported') return undefined;
  return `must be ${ACCEPTED_DATABASE_FORMS}; ${location.scheme}:// is not supported.`;
}

/**
 * The URL with its password (in the user part or a `password` query parameter) replaced by `***`, for
 * messages and logs. Up to the last `@`, so that a password with a stray `/` or `@` is masked too.
 */
export function redactDatabaseUrl(url: string): string {
  const withoutUserPassword = url.replace(
    /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([\s\S]*)@/,
    (_match, scheme: string, userInfo: string) => {
      const colon = userInfo.indexOf(':');
      return colon === -1 ? `${scheme}${userInfo}@` : `${scheme}${userInfo.slice(0, colon)}:***@`;
    },
  );
  return withoutUserPassword.replace(/([?&](?:ssl)?password=)[^&#]*/gi, '$1***');
}
