/**
 * Every server option in one typed place: its CLI flag, its environment variable, its doc line and its
 * default. `ServerOptions` is derived from this table, the CLI builds its flags from it, and the README's
 * configuration table is checked against it by a test.
 */

import { isIP } from 'node:net';
import { unsupportedDatabaseProblem } from '../store/databaseLocation.js';

export class OptionError extends Error {
  override name = 'OptionError';
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

interface OptionSpec<T> {
  /** Long CLI flag of `pbx-peers serve`. */
  flag: string;
  /** What the option does, for `--help` and the README. */
  doc: string;
  defaultValue: T;
  /** How the default is shown in help and docs. */
  shownDefault: string;
  /** Parses a flag or environment value; throws OptionError with a sentence naming the option. */
  parse(raw: string, flag: string): T;
  /** Checks a value given in code (`startServer` options) as `parse` checks a raw one. */
  check(value: T, flag: string): T;
}

/** How raw text becomes a value, and how a value is checked: `parse` is `check` after `convert`. */
interface ValueRules<T> {
  convert(raw: string, flag: string): T;
  /** `shown`: how the value is quoted in the error, the raw text when there is one. */
  check(value: T, flag: string, shown?: string): T;
}

/** Blank text is not a number (Number('') is 0). */
const toNumber = (raw: string): number => (raw.trim() === '' ? Number.NaN : Number(raw));

function integer(min: number, max: number): ValueRules<number> {
  return {
    convert: toNumber,
    check(value, flag, shown = String(value)) {
      if (!Number.isInteger(value) || value < min || value > max) {
        throw new OptionError(`${flag} must be a whole number from ${min} to ${max}, got "${shown}".`);
      }
      return value;
    },
  };
}

function seconds(min: number, max: number): ValueRules<number> {
  return {
    convert: toNumber,
    check(value, flag, shown = String(value)) {
      if (!Number.isFinite(value) || value < min || value > max) {
        throw new OptionError(`${flag} must be a number of seconds from ${min} to ${max}, got "${shown}".`);
      }
      return value;
    },
  };
}

const nonEmpty: ValueRules<string> = {
  convert: (raw) => raw,
  check(value, flag) {
    if (typeof value !== 'string' || value.trim() === '') throw new OptionError(`${flag} must not be empty.`);
    return value;
  },
};

/** Comma-separated text to its trimmed, non-empty items. */
const commaList = (raw: string): string[] =>
  raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

const originList: ValueRules<string[]> = { convert: commaList, check: checkOrigins };

function checkOrigins(origins: string[], flag: string): string[] {
  for (const origin of origins) {
    if (origin === '*') continue;
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      throw new OptionError(`${flag}: "${origin}" is not an origin like https://example.com.`);
    }
    if (parsed.origin !== origin) {
      throw new OptionError(`${flag}: "${origin}" is not an origin; did you mean "${parsed.origin}"?`);
    }
  }
  return origins.includes('*') ? [] : origins;
}

/** `--embed-origins`: exact origins only; `*` would let any site frame the caller page. */
const embedOriginList: ValueRules<string[]> = {
  convert: commaList,
  check(origins, flag) {
    if (!Array.isArray(origins)) throw new OptionError(`${flag} must be a list of origins.`);
    if (origins.includes('*')) {
      throw new OptionError(`${flag}: list the sites allowed to frame the caller page; * is not accepted.`);
    }
    return checkOrigins(origins, flag);
  },
};

/**
 * A URL with one of `protocols` (`'http:'`...). The value may hold a password or a token, so the
 * error does not repeat it; `expected` says what a good one looks like.
 */
function urlWith(protocols: readonly string[], expected: string): ValueRules<string> {
  return {
    convert: (raw) => raw.trim(),
    check(value, flag) {
      let protocol: string | undefined;
      try {
        protocol = new URL(value).protocol;
      } catch {
        protocol = undefined;
      }
      if (protocol === undefined || !protocols.includes(protocol)) {
        throw new OptionError(`${flag} must be ${expected}.`);
      }
      return value;
    },
  };
}

const webhookUrl = urlWith(['http:', 'https:'], 'an http:// or https:// URL');

const WEBHOOK_SECRET_MIN_LENGTH = 16;
const webhookSecret: ValueRules<string> = {
  convert: (raw) => raw,
  check(value, flag) {
    if (typeof value !== 'string' || value.length < WEBHOOK_SECRET_MIN_LENGTH) {
      throw new OptionError(`${flag} must be at least ${WEBHOOK_SECRET_MIN_LENGTH} characters.`);
    }
    return value;
  },
};

const redisUrl = urlWith(['redis:', 'rediss:'], 'a URL like redis://127.0.0.1:6379 or rediss://host:6380');

/** Braces are Redis Cluster hash tags, which the keys use for themselves. */
const redisPrefix: ValueRules<string> = {
  convert: (raw) => raw,
  check(value, flag) {
    if (typeof value !== 'string' || !/^[^\s{}]{1,64}$/.test(value)) {
      throw new OptionError(`${flag} must be 1 to 64 characters without spaces or braces, got "${value}".`);
    }
    return value;
  },
};

/** The ranges proxy-addr knows by name. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

const proxyList: ValueRules<string[]> = { convert: commaList, check: checkProxies };

/** Each entry an IPv4 or IPv6 address, a CIDR of one (prefix length from 1), or a range name. */
function checkProxies(entries: string[], flag: string): string[] {
  if (!Array.isArray(entries)) throw new OptionError(`${flag} must be a list of addresses or CIDRs.`);
  for (const entry of entries) {
    if (typeof entry === 'string' && PROXY_RANGE_NAMES.includes(entry)) continue;
    const text = String(entry);
    const slash = text.indexOf('/');
    const family = typeof entry === 'string' ? isIP(slash === -1 ? text : text.slice(0, slash)) : 0;
    if (family === 0) {
      throw new OptionError(
        `${flag}: "${text}" is not an IP address, a CIDR like 10.0.0.0/8 or fd00::/8, or one of ${PROXY_RANGE_NAMES.join(', ')}.`,
      );
    }
    if (slash === -1) continue;
    const maxPrefix = family === 4 ? 32 : 128;
    const prefix = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefix) || Number(prefix) < 1 || Number(prefix) > maxPrefix) {
      throw new OptionError(`${flag}: "${text}" needs a prefix length from 1 to ${maxPrefix} after the "/".`);
    }
  }
  return entries;
}

const logLevel: ValueRules<LogLevel> = {
  convert: (raw) => raw as LogLevel, // checked next
  check(value, flag) {
    if (!(LOG_LEVELS as readonly string[]).includes(value)) {
      throw new OptionError(`${flag} must be one of ${LOG_LEVELS.join(', ')}, got "${value}".`);
    }
    return value;
  },
};

/** What `--ice-servers` holds: RTCIceServer entries as the browser's RTCPeerConnection takes them. */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

const ICE_URL = /^(stun|stuns|turn|turns):/;

const iceServerList: ValueRules<IceServer[]> = {
  convert(raw, flag) {
    try {
      return JSON.parse(raw);
    } catch {
      throw new OptionError(`${flag} must be a JSON array like [{"urls":"stun:stun.example.org:3478"}].`);
    }
  },
  check: checkIceServers,
};

function checkIceServers(value: unknown, flag: string): IceServer[] {
  if (!Array.isArray(value)) throw new OptionError(`${flag} must be a JSON array of ICE servers.`);
  return value.map((entry, index) => {
    const server = entry as Partial<Record<keyof IceServer, unknown>>;
    const urls = typeof server?.urls === 'string' ? [server.urls] : server?.urls;
    if (
      !Array.isArray(urls) ||
      urls.length === 0 ||
      !urls.every((url) => typeof url === 'string' && ICE_URL.test(url))
    ) {
      throw new OptionError(
        `${flag}: entry ${index} needs "urls", one or more stun:, stuns:, turn: or turns: URLs.`,
      );
    }
    for (const field of ['username', 'credential'] as const) {
      if (server[field] !== undefined && typeof server[field] !== 'string') {
        throw new OptionError(`${flag}: entry ${index} has a "${field}" that is not a string.`);
      }
    }
    return server as IceServer;
  });
}

const turnUrlList: ValueRules<string[]> = {
  convert: commaList,
  check(urls, flag) {
    for (const url of urls) {
      if (!/^turns?:/.test(url)) throw new OptionError(`${flag}: "${url}" is not a turn: or turns: URL.`);
    }
    return urls;
  },
};

function spec<T>(s: Omit<OptionSpec<T>, 'parse' | 'check'> & { rules: ValueRules<T> }): OptionSpec<T> {
  const { rules, ...rest } = s;
  return {
    ...rest,
    parse: (raw, flag) => rules.check(rules.convert(raw, flag), flag, raw),
    check: (value, flag) => rules.check(value, flag),
  };
}

export const serverOptionSpecs = {
  host: spec({
    flag: '--host',
    doc: 'Address to listen on.',
    defaultValue: '127.0.0.1',
    shownDefault: '127.0.0.1',
    rules: nonEmpty,
  }),
  port: spec({
    flag: '--port',
    doc: 'TCP port for HTTP and WebSocket; 0 picks a free one.',
    defaultValue: 8080,
    shownDefault: '8080',
    rules: integer(0, 65535),
  }),
  db: spec({
    flag: '--db',
    doc: 'Where the extensions are kept: a SQLite file (created with its folder on first use) or a postgres:// URL (`?schema=NAME` picks the schema, default public).',
    defaultValue: './data/pbx-peers.db',
    shownDefault: './data/pbx-peers.db',
    rules: {
      convert: (raw) => raw,
      check(value, flag) {
        const problem = unsupportedDatabaseProblem(nonEmpty.check(value, flag));
        if (problem !== undefined) throw new OptionError(`${flag} ${problem}`);
        return value;
      },
    },
  }),
  ringTimeout: spec({
    flag: '--ring-timeout',
    doc: 'Seconds a call may ring before it is abandoned; 0 disables.',
    defaultValue: 60,
    shownDefault: '60',
    rules: seconds(0, 86_400),
  }),
  resumeGrace: spec({
    flag: '--resume-grace',
    doc: 'Seconds a peer whose connection dropped may come back with its resume token and carry on (its registration and call kept, its messages held); 0 turns resuming off.',
    defaultValue: 20,
    shownDefault: '20',
    rules: seconds(0, 3_600),
  }),
  historyRetention: spec({
    flag: '--history-retention',
    doc: 'Days the call history and callback requests are kept; older ones are deleted hourly.',
    defaultValue: 90,
    shownDefault: '90',
    rules: integer(1, 3_650),
  }),
  pingInterval: spec({
    flag: '--ping-interval',
    doc: 'Seconds between WebSocket pings; a peer that missed the previous ping is terminated.',
    defaultValue: 30,
    shownDefault: '30',
    rules: seconds(0.05, 3_600),
  }),
  maxMessageBytes: spec({
    flag: '--max-message-bytes',
    doc: 'Largest frame accepted; a larger one closes the connection with code 1009.',
    defaultValue: 65_536,
    shownDefault: '65536',
    rules: integer(1_024, 16 * 1024 * 1024),
  }),
  maxBufferedBytes: spec({
    flag: '--max-buffered-bytes',
    doc: 'Unsent output one connection may have waiting; beyond it the client is not reading and is closed with code 1008.',
    defaultValue: 1_048_576,
    shownDefault: '1048576',
    rules: integer(4_096, 1024 * 1024 * 1024),
  }),
  maxConnectionsPerAddress: spec({
    flag: '--max-connections-per-address',
    doc: 'WebSocket connections one client address may hold open at once (more are refused with HTTP 429); 0 means no limit.',
    defaultValue: 0,
    shownDefault: '0 (no limit)',
    rules: integer(0, 10_000_000),
  }),
  allowedOrigins: spec<string[]>({
    flag: '--allowed-origins',
    doc: 'Comma-separated origins allowed to open a WebSocket (others get HTTP 403); empty or * allows any.',
    defaultValue: [],
    shownDefault: 'any origin',
    rules: originList,
  }),
  embedOrigins: spec<string[]>({
    flag: '--embed-origins',
    doc: "Comma-separated origins of the sites allowed to frame the caller page (the call button of /embed.js, see docs/embed.md): its CSP then says `frame-ancestors 'self'` and these; every other page, and the caller page when empty, cannot be framed.",
    defaultValue: [],
    shownDefault: 'none (no framing)',
    rules: embedOriginList,
  }),
  trustProxy: spec<string[]>({
    flag: '--trust-proxy',
    doc: 'Comma-separated addresses or CIDRs (IPv4, IPv6, or loopback, linklocal, uniquelocal) of reverse proxies whose `X-Forwarded-For` is believed: the client address (per-address limits, logs) is then the rightmost one in it that is not a trusted proxy.',
    defaultValue: [],
    shownDefault: 'none (the socket address)',
    rules: proxyList,
  }),
  messageRate: spec({
    flag: '--message-rate',
    doc: 'Messages per second one connection may send on average; the excess is dropped with `rate-limited`.',
    defaultValue: 100,
    shownDefault: '100',
    rules: integer(1, 10_000_000),
  }),
  messageBurst: spec({
    flag: '--message-burst',
    doc: 'Messages one connection may send in one burst before the average rate applies (ICE trickle).',
    defaultValue: 300,
    shownDefault: '300',
    rules: integer(1, 10_000_000),
  }),
  registerFailureLimit: spec({
    flag: '--register-failure-limit',
    doc: 'Failed `register` attempts allowed per client address and extension within the window.',
    defaultValue: 5,
    shownDefault: '5',
    rules: integer(1, 1_000_000),
  }),
  registerFailureWindow: spec({
    flag: '--register-failure-window',
    doc: 'Seconds over which failed `register` attempts are counted; once over the limit, `register` answers `rate-limited` until the window passes.',
    defaultValue: 900,
    shownDefault: '900',
    rules: seconds(1, 86_400),
  }),
  extensionCheckInterval: spec({
    flag: '--extension-check-interval',
    doc: 'Seconds between checks for extensions removed from a SQLite store; their connections are closed (code 4404). A PostgreSQL store announces removals, which close them at once.',
    defaultValue: 2,
    shownDefault: '2',
    rules: seconds(0.1, 3_600),
  }),
  iceServers: spec<IceServer[]>({
    flag: '--ice-servers',
    doc: 'JSON array of ICE servers (STUN or TURN with fixed credentials) handed to browsers by /api/ice-servers.',
    defaultValue: [],
    shownDefault: 'none',
    rules: iceServerList,
  }),
  turnSecret: spec({
    flag: '--turn-secret',
    doc: 'Shared secret of a TURN server using the coturn REST API scheme (`use-auth-secret`); enables time-limited TURN credentials. Needs --turn-urls.',
    defaultValue: '',
    shownDefault: 'none',
    rules: nonEmpty,
  }),
  turnUrls: spec<string[]>({
    flag: '--turn-urls',
    doc: 'Comma-separated turn: or turns: URLs of that TURN server. Needs --turn-secret.',
    defaultValue: [],
    shownDefault: 'none',
    rules: turnUrlList,
  }),
  turnTtl: spec({
    flag: '--turn-ttl',
    doc: 'Seconds a TURN credential stays valid; a relayed call cannot outlast it.',
    defaultValue: 86_400,
    shownDefault: '86400',
    rules: seconds(60, 30 * 86_400),
  }),
  metricsToken: spec({
    flag: '--metrics-token',
    doc: 'When set, /metrics answers only requests with the header `Authorization: Bearer <token>` (others get 401).',
    defaultValue: '',
    shownDefault: 'none (open)',
    rules: nonEmpty,
  }),
  webhookUrl: spec({
    flag: '--webhook-url',
    doc: 'Where call.ringing, call.answered, call.ended and callback.requested events are POSTed, signed with --webhook-secret (see docs/webhooks.md); empty sends none.',
    defaultValue: '',
    shownDefault: 'none',
    rules: webhookUrl,
  }),
  webhookSecret: spec({
    flag: '--webhook-secret',
    doc: 'The HMAC-SHA256 key webhook requests are signed with: at least 16 characters; needed with --webhook-url.',
    defaultValue: '',
    shownDefault: 'none',
    rules: webhookSecret,
  }),
  webhookRetryFor: spec({
    flag: '--webhook-retry-for',
    doc: 'Seconds a webhook event that the receiver keeps refusing is retried (with backoff) before it is given up.',
    defaultValue: 3_600,
    shownDefault: '3600',
    rules: seconds(10, 7 * 86_400),
  }),
  shutdownTimeout: spec({
    flag: '--shutdown-timeout',
    doc: 'Seconds SIGTERM or SIGINT waits for connections to close before the process exits anyway.',
    defaultValue: 10,
    shownDefault: '10',
    rules: seconds(1, 3_600),
  }),
  redisUrl: spec({
    flag: '--redis-url',
    doc: 'Redis to share calls and presence with the other processes of a cluster (`redis://` or `rediss://`); unset, this process is alone and keeps them in memory.',
    defaultValue: '',
    shownDefault: 'none (one process)',
    rules: redisUrl,
  }),
  redisPrefix: spec({
    flag: '--redis-prefix',
    doc: 'Prefix of every Redis key and channel, so several deployments can share one Redis.',
    defaultValue: 'pbx-peers:',
    shownDefault: 'pbx-peers:',
    rules: redisPrefix,
  }),
  nodeLease: spec({
    flag: '--node-lease',
    doc: "Seconds a cluster process's lease in Redis lasts without a heartbeat; a process silent that long is taken for dead and its calls and agents are cleaned up by the others.",
    defaultValue: 5,
    shownDefault: '5',
    rules: seconds(1, 60),
  }),
  logLevel: spec<LogLevel>({
    flag: '--log-level',
    doc: `Log level: ${LOG_LEVELS.join(', ')}.`,
    defaultValue: 'info',
    shownDefault: 'info',
    rules: logLevel,
  }),
};

export type ServerOptionName = keyof typeof serverOptionSpecs;
export type ServerOptions = { [K in ServerOptionName]: (typeof serverOptionSpecs)[K]['defaultValue'] };

/** `--ring-timeout` becomes `PBX_PEERS_RING_TIMEOUT`. */
export function envVarName(name: ServerOptionName): string {
  return `PBX_PEERS_${serverOptionSpecs[name].flag.slice(2).replaceAll('-', '_').toUpperCase()}`;
}

export const serverOptionNames = Object.keys(serverOptionSpecs) as ServerOptionName[];

/**
 * Resolves options: an explicit raw value (a CLI flag) wins over the environment variable, which wins
 * over the default. Then rejects combinations that contradict each other.
 */
export function resolveServerOptions(
  rawValues: Partial<Record<ServerOptionName, string>>,
  env: NodeJS.ProcessEnv = process.env,
): ServerOptions {
  const resolved: Record<string, unknown> = {};
  for (const name of serverOptionNames) {
    const optionSpec: OptionSpec<unknown> = serverOptionSpecs[name];
    const flagValue = rawValues[name];
    const envValue = env[envVarName(name)];
    if (flagValue !== undefined) resolved[name] = optionSpec.parse(flagValue, optionSpec.flag);
    else if (envValue !== undefined) resolved[name] = optionSpec.parse(envValue, envVarName(name));
    else resolved[name] = optionSpec.defaultValue;
  }
  return checkServerOptions(resolved as ServerOptions);
}

/** Completes typed options given in code with their defaults; checks each given one as the CLI does. */
export function withDefaults(options: Partial<ServerOptions>): ServerOptions {
  const complete: Record<string, unknown> = {};
  for (const name of serverOptionNames) {
    const optionSpec: OptionSpec<unknown> = serverOptionSpecs[name];
    const given = options[name];
    // A default is valid by construction (and '' means "none" for the optional secrets).
    const isDefault = given === undefined || Object.is(given, optionSpec.defaultValue);
    complete[name] = isDefault ? optionSpec.defaultValue : optionSpec.check(given, optionSpec.flag);
  }
  return checkServerOptions(complete as ServerOptions);
}

/** Rejects options that contradict each other, with a sentence saying how to fix it. */
function checkServerOptions(options: ServerOptions): ServerOptions {
  if (options.maxBufferedBytes < 2 * options.maxMessageBytes) {
    throw new OptionError(
      `--max-buffered-bytes (${options.maxBufferedBytes}) must be at least twice --max-message-bytes (${options.maxMessageBytes}): a client relayed one large frame would otherwise be cut off.`,
    );
  }
  if (options.webhookUrl !== '' && options.webhookSecret === '') {
    throw new OptionError(
      '--webhook-url needs --webhook-secret: receivers must be able to check who sent an event.',
    );
  }
  if (options.webhookSecret !== '' && options.webhookUrl === '') {
    throw new OptionError('--webhook-secret is set without --webhook-url: say where to send the events.');
  }
  if (options.turnSecret !== '' && options.turnUrls.length === 0) {
    throw new OptionError('--turn-secret needs --turn-urls: say where the TURN server is.');
  }
  if (options.turnUrls.length > 0 && options.turnSecret === '') {
    throw new OptionError(
      '--turn-urls needs --turn-secret to issue credentials; for a TURN server with a fixed username and password use --ice-servers.',
    );
  }
  return options;
}
