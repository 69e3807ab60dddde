/**
 * docs/deploy.md's systemd template unit. systemd cannot run here, so: `systemd-analyze verify` checks the
 * unit where the program is installed, the unit's settings are checked against the server's own (the
 * stop timeout against --shutdown-timeout, no npm in between), and its ExecStart is run by hand with its
 * Environment= and EnvironmentFile= values, in its WorkingDirectory, as systemd would start
 * `pbx-peers@PORT`: the node must join the cluster named there, serve, and stop cleanly on its KillSignal.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createClient } from 'redis';
import { serverOptionSpecs } from '../../src/config/serverOptions.js';
import { GroupProcess } from '../support/GroupProcess.js';
import { request } from '../support/httpRequest.js';
import { freePort } from '../support/serveNodes.js';
import { deleteRedisKeys, TEST_REDIS_URL, uniqueRedisPrefix } from '../support/testRedis.js';
import { WireClient } from '../support/WireClient.js';
import { DEPLOY_DOC_PATH, deployConfig, REPO_ROOT } from './support/deployDoc.js';
import { addExtension } from './support/deployment.js';
import { findProgram, workFolder } from './support/proxies.js';

const run = promisify(execFile);
const FRONT = { id: 'front-desk', name: 'Front desk', password: 'front desk secret' };
const SERVICE_RESTART = 1012;

type Unit = Map<string, [string, string][]>;

/** systemd's unit syntax as far as the doc uses it: sections, `Key=Value` lines, comments. */
function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section: [string, string][] | undefined;
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header?.[1] !== undefined) {
      section = [];
      unit.set(header[1], section);
      continue;
    }
    const equals = line.indexOf('=');
    assert.ok(
      section !== undefined && equals > 0,
      `unit line ${index + 1} is not Key=Value in a section: ${raw}`,
    );
    section.push([line.slice(0, equals), line.slice(equals + 1)]);
  }
  return unit;
}

function values(unit: Unit, section: string, key: string): string[] {
  return (unit.get(section) ?? []).filter(([name]) => name === key).map(([, value]) => value);
}

function single(unit: Unit, section: string, key: string): string {
  const found = values(unit, section, key);
  assert.equal(found.length, 1, `[${section}] ${key}= is set once: ${JSON.stringify(found)}`);
  return found[0] as string;
}

/** `KEY=value` lines (Environment= values, an EnvironmentFile) to a record. */
function assignments(lines: readonly string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (const line of lines) {
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const equals = line.indexOf('=');
    assert.ok(equals > 0, `not KEY=value: ${line}`);
    record[line.slice(0, equals).trim()] = line.slice(equals + 1).trim();
  }
  return record;
}

/** systemd's seconds (`20`, `20s`, `1min`). */
function systemdSeconds(text: string): number {
  const match = /^(\d+)\s*(s|sec|min)?$/.exec(text);
  assert.ok(match?.[1] !== undefined, `not a systemd time span: ${text}`);
  return Number(match[1]) * (match[2] === 'min' ? 60 : 1);
}

describe('docs/deploy.md: the systemd unit pbx-peers@.service', () => {
  const unitText = deployConfig('systemd');
  const unit = parseUnit(unitText);
  let folder: Awaited<ReturnType<typeof workFolder>>;

  before(async () => {
    folder = await workFolder('pbx-systemd-');
  });
  after(async () => {
    await folder?.remove();
  });

  it('runs node on the bin directly, stops with SIGTERM within TimeoutStopSec, restarts on failure only, and is hardened', () => {
    const execStart = single(unit, 'Service', 'ExecStart');
    assert.match(
      execStart,
      /^\/usr\/bin\/node \/opt\/pbx-peers\/packages\/server\/bin\/pbx-peers\.js serve /,
    );
    assert.doesNotMatch(execStart, /\bnpm\b|\bnpx\b/, 'no npm between systemd and the server');
    assert.match(execStart, /--port %i(\s|$)/, 'the instance name is the port');
    assert.equal(single(unit, 'Service', 'KillSignal'), 'SIGTERM');
    assert.equal(single(unit, 'Service', 'Restart'), 'on-failure');

    const environment = assignments(values(unit, 'Service', 'Environment'));
    assert.match(environment.PBX_PEERS_REDIS_URL ?? '', /^rediss?:\/\//);
    const shutdownTimeout = Number(
      environment.PBX_PEERS_SHUTDOWN_TIMEOUT ?? serverOptionSpecs.shutdownTimeout.defaultValue,
    );
    const stopTimeout = systemdSeconds(single(unit, 'Service', 'TimeoutStopSec'));
    assert.ok(
      stopTimeout > shutdownTimeout,
      `TimeoutStopSec ${stopTimeout} s > --shutdown-timeout ${shutdownTimeout} s`,
    );

    const user = single(unit, 'Service', 'User');
    assert.notEqual(user, 'root');
    assert.equal(single(unit, 'Service', 'NoNewPrivileges'), 'yes');
    assert.equal(single(unit, 'Service', 'ProtectSystem'), 'strict');
    assert.equal(single(unit, 'Service', 'ProtectHome'), 'yes');
    assert.deepEqual(values(unit, 'Service', 'MemoryDenyWriteExecute'), [], "V8's JIT needs W+X memory");
    assert.deepEqual(values(unit, 'Install', 'WantedBy'), ['multi-user.target']);
    // The doc says how to make that user.
    assert.match(readFileSync(DEPLOY_DOC_PATH, 'utf8'), new RegExp(`useradd --system .*\\b${user}$`, 'm'));
  });

  it('systemd-analyze verify accepts the unit and an instance of it', async (t) => {
    const analyze = findProgram('systemd-analyze');
    if (analyze === undefined) {
      t.skip(
        'systemd-analyze is not installed (Debian package systemd); the unit is still run by hand below',
      );
      return;
    }
    // ExecStart's program must exist: where node is installed elsewhere, the unit is checked with that path.
    const text =
      process.execPath === '/usr/bin/node'
        ? unitText
        : unitText.replaceAll('/usr/bin/node', process.execPath);
    const template = join(folder.path, 'pbx-peers@.service');
    await writeFile(template, text);
    for (const name of ['pbx-peers@.service', 'pbx-peers@8081.service']) {
      const { stdout, stderr }: { stdout: string; stderr: string } = await run(
        analyze,
        ['verify', join(folder.path, name)],
        {
          timeout: 30_000,
        },
      ).catch((error: { stdout?: string; stderr?: string; code?: number }) => {
        throw new Error(
          `systemd-analyze verify ${name} failed (${error.code}):\n${error.stdout}${error.stderr}`,
        );
      });
      const aboutUs = `${stdout}${stderr}`.split('\n').filter((line) => line.includes('pbx-peers'));
      assert.deepEqual(aboutUs, [], `systemd-analyze verify ${name} has remarks`);
    }
  });

  it('its ExecStart, run by hand with its environment, joins the cluster, serves, and exits 0 on SIGTERM with 1012 to its clients', async (t) => {
    const port = await freePort();
    const redisPrefix = uniqueRedisPrefix();
    t.after(() => deleteRedisKeys(redisPrefix));
    const db = join(folder.path, 'pbx-peers.db');
    await addExtension(db, FRONT);

    // What systemd passes: its Environment= values, then the EnvironmentFile (here the SQLite variant the
    // doc mentions instead of the PostgreSQL URL), pointed at this machine's Redis under a test prefix.
    const environment = assignments(values(unit, 'Service', 'Environment'));
    assert.ok(
      environment.PBX_PEERS_REDIS_URL !== undefined && environment.PBX_PEERS_REDIS_PREFIX !== undefined,
    );
    environment.PBX_PEERS_REDIS_URL = TEST_REDIS_URL;
    environment.PBX_PEERS_REDIS_PREFIX = redisPrefix;
    assert.equal(values(unit, 'Service', 'EnvironmentFile').length, 1);
    const fromFile = assignments(deployConfig('systemd-env').split('\n'));
    assert.deepEqual(Object.keys(fromFile), ['PBX_PEERS_DB']);
    assert.match(fromFile.PBX_PEERS_DB ?? '', /^postgres:\/\//);
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...environment, PBX_PEERS_DB: db };

    const [program, ...args] = single(unit, 'Service', 'ExecStart')
      .split(/\s+/)
      .map((word) =>
        word
          .replaceAll('%i', String(port))
          .replace(/^\/usr\/bin\/node$/, process.execPath)
          .replace(/^\/opt\/pbx-peers\//, REPO_ROOT),
      );
    const workingDirectory = single(unit, 'Service', 'WorkingDirectory').replace(
      /^\/opt\/pbx-peers$/,
      REPO_ROOT,
    );
    const node = GroupProcess.start(program as string, args, {
      env,
      cwd: workingDirectory,
      label: 'ExecStart',
    });
    t.after(() => node.stop());
    await node.waitForOutput(
      new RegExp(`^pbx-peers listening on http://127\\.0\\.0\\.1:${port}$`, 'm'),
      15_000,
    );

    const health = JSON.parse((await request(`http://127.0.0.1:${port}/healthz`)).body);
    assert.equal(health.status, 'ok');
    const redis = createClient({ url: TEST_REDIS_URL });
    await redis.connect();
    try {
      const keys = await redis.keys(`${redisPrefix}*`);
      assert.ok(keys.length > 0, 'the node joined the cluster under PBX_PEERS_REDIS_PREFIX');
    } finally {
      redis.destroy();
    }
    const client = await WireClient.connect(`ws://127.0.0.1:${port}/peers/${FRONT.id}`, { label: 'agent' });
    await client.init();
    assert.equal((await client.register(FRONT.password)).status, 'registered', 'the store of PBX_PEERS_DB');

    const signal = single(unit, 'Service', 'KillSignal') as NodeJS.Signals;
    const stopTimeoutMs = systemdSeconds(single(unit, 'Service', 'TimeoutStopSec')) * 1000;
    const signalledAt = Date.now();
    node.signal(signal);
    assert.equal((await client.closed(5_000)).code, SERVICE_RESTART);
    assert.deepEqual(await node.exited(stopTimeoutMs), { code: 0, signal: null }, node.output());
    t.diagnostic(`exited ${Date.now() - signalledAt} ms after ${signal}`);
  });
});
